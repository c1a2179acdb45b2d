/**
 * Grace and renewals end to end, against a Hardhat node with the deployed contracts (the local
 * deployment's grace period and renewal window), the local IPFS node and the local adapter: a
 * booking with a renewal policy is renewed on time by the node; one that ends unextended is
 * suspended with its files kept, resumed by an extension in grace, deprovisioned and completed after
 * grace, or at once when its consumer completes it in grace. Then the node is killed (SIGKILL) right
 * after each of those steps and restarted: each happens once.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import type { Address } from "viem";

import { BookingStatus, decryptAccessDetails } from "@d-cloudx/sdk";
import { escrowManagerAbi, resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import { OracleNode } from "../src/node.ts";
import { LocalProvisioner } from "../src/provisioners/local.ts";
import type { Stage } from "../src/store/bookings.ts";
import {
  type Booked,
  type Stack,
  activated,
  advanceChain,
  autoRenew,
  book,
  bookingStatus,
  eventsOf,
  extendBooking,
  listResource,
  mined,
  nodeEnv,
  nodeProcess,
  openState,
  provisionedEvents,
  renewedEvents,
  sealedAccessDetails,
  startStack,
  streamOf,
  testConfig,
  waitFor,
} from "./helpers/stack.ts";

const FILE_SETTINGS = { renewals: { recheckSeconds: 5 } };

describe("grace and renewals", { timeout: 600_000 }, () => {
  let stack: Stack;
  let node: OracleNode;
  let resourceId: bigint;
  let graceSeconds: number;
  let nextAccount = 4;
  let stopped = false;
  const consumer = () => stack.accounts[nextAccount++]!;

  before(async () => {
    stack = await startStack();
    ({ resourceId } = await listResource(stack, stack.accounts[3]!));
    node = await OracleNode.start(testConfig(stack, mkdtempSync(join(stack.workDir, "oracle-")), FILE_SETTINGS));
    graceSeconds = await stack.publicClient.readContract({
      address: contracts().EscrowManager.proxy as Address,
      abi: escrowManagerAbi,
      functionName: "gracePeriod",
    });
    assert.ok(graceSeconds > 0, "the local deployment has a grace period");
  });

  after(async () => {
    if (!stopped) await node?.stop();
    await stack?.stop();
  });

  const contracts = () => stack.deployment.contracts;
  const local = () => node.registry.for("local") as LocalProvisioner;
  const stageOf = (bookingId: bigint) => node.store.bookings.get(String(bookingId))?.stage;
  const atStage = (bookingId: bigint, stage: Stage, what: string = stage) =>
    waitFor(`booking ${bookingId} ${what}`, () => (stageOf(bookingId) === stage ? true : undefined), 60_000);

  /** Moves the chain's clock `offset` seconds past the booking's current end. */
  async function pastEnd(bookingId: bigint, offset: number): Promise<void> {
    const { endsAt } = await streamOf(stack, bookingId);
    const now = Number((await stack.publicClient.getBlock()).timestamp);
    await advanceChain(stack, Math.max(1, endsAt + offset - now));
  }

  /** The consumer's decrypted access details, and a file written with them. */
  async function useMachine(booked: Booked) {
    const [provisioned] = await provisionedEvents(stack, booked.bookingId);
    const access = decryptAccessDetails(booked.privateKey, await sealedAccessDetails(stack, provisioned!));
    const headers = { authorization: `Bearer ${access.credentials.secret}` };
    const file = `${access.url}files/notes.txt`;
    assert.equal((await fetch(file, { method: "PUT", body: "kept", headers })).status, 201);
    return {
      read: () => fetch(file, { headers, signal: AbortSignal.timeout(1_000) }).then((r) => r.text()),
    };
  }

  async function completeBooking(account: Address, bookingId: bigint) {
    await mined(
      stack,
      await stack.wallet(account).writeContract({
        chain: null,
        address: contracts().ResourceMarketplace.proxy as Address,
        abi: resourceMarketplaceAbi,
        functionName: "completeBooking",
        args: [bookingId],
      }),
    );
  }

  it("renews a booking with a renewal policy in its window, once per window, and not past its budget", async () => {
    const account = consumer();
    const booked = await book(stack, account, resourceId);
    await activated(stack, booked.bookingId);
    const { endsAt } = await streamOf(stack, booked.bookingId);

    // A one-hour booking is in the local deployment's renewal window at once.
    await autoRenew(stack, account, booked.bookingId, 1);
    const [renewed] = await waitFor("the renewal", async () => {
      const events = await renewedEvents(stack, booked.bookingId);
      return events.length ? events : undefined;
    });
    assert.equal((renewed!.args.caller as string).toLowerCase(), node.chain.account.address.toLowerCase());
    assert.equal(renewed!.args.hoursRenewed, 1);
    assert.equal((await streamOf(stack, booked.bookingId)).endsAt, endsAt + 3_600);
    await waitFor("the node to see its renewal mined", () =>
      node.sender.outbox.outcome(`renew-${booked.bookingId}-${endsAt}`).status === "succeeded" ? true : undefined,
    );

    // In the next window the budget is spent: the node asks the chain, sends nothing, and the
    // booking is suspended at its end.
    await pastEnd(booked.bookingId, -60);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await pastEnd(booked.bookingId, 1);
    await atStage(booked.bookingId, "suspended");
    assert.deepEqual(node.store.txs.keysLike(`renew-${booked.bookingId}-`), [`renew-${booked.bookingId}-${endsAt}`]);
    assert.equal((await renewedEvents(stack, booked.bookingId)).length, 1);
  });

  it("suspends at the end keeping the files, and resumes on an extension in grace with the same access", async () => {
    const account = consumer();
    const booked = await book(stack, account, resourceId);
    await activated(stack, booked.bookingId);
    const machine = await useMachine(booked);

    await pastEnd(booked.bookingId, 1);
    await atStage(booked.bookingId, "suspended");
    await assert.rejects(machine.read(), "a suspended machine does not answer");
    assert.ok(existsSync(local().folderOf(booked.bookingId)!));
    assert.equal(await bookingStatus(stack, booked.bookingId), BookingStatus.Active);

    await extendBooking(stack, account, booked.bookingId, 1);
    const resumed = (await eventsOf(stack, contracts().EscrowManager.proxy, escrowManagerAbi, "StreamResumed")).find(
      (e) => e.args.bookingId === booked.bookingId,
    );
    assert.ok(resumed, "the escrow resumed the stream");
    await atStage(booked.bookingId, "active", "resumed");
    assert.equal(await machine.read(), "kept", "the same machine, files and access details");
    assert.equal((await streamOf(stack, booked.bookingId)).endsAt, Number(resumed.args.endsAt));
  });

  it("deprovisions after the grace period and completes the booking on chain", async () => {
    const booked = await book(stack, consumer(), resourceId);
    await activated(stack, booked.bookingId);
    const folder = local().folderOf(booked.bookingId)!;
    await pastEnd(booked.bookingId, 1);
    await atStage(booked.bookingId, "suspended");
    assert.equal(node.sender.outbox.outcome(`complete-${booked.bookingId}`).status, "none", "not during grace");

    await pastEnd(booked.bookingId, graceSeconds + 1);
    await atStage(booked.bookingId, "deprovisioned");
    assert.ok(!existsSync(folder));
    await waitFor("the booking completed on chain", async () =>
      (await bookingStatus(stack, booked.bookingId)) === BookingStatus.Completed ? true : undefined,
    );
  });

  it("deprovisions at once when the consumer completes the booking in grace", async () => {
    const account = consumer();
    const booked = await book(stack, account, resourceId);
    await activated(stack, booked.bookingId);
    await pastEnd(booked.bookingId, 1);
    await atStage(booked.bookingId, "suspended");
    await completeBooking(account, booked.bookingId);
    await atStage(booked.bookingId, "deprovisioned");
    assert.equal(local().folderOf(booked.bookingId), undefined);
    assert.equal(node.sender.outbox.outcome(`complete-${booked.bookingId}`).status, "none");
  });

  describe("a node killed (SIGKILL) right after a step and restarted does it once", () => {
    let nextProvider = 14;

    before(async () => {
      await node.stop();
      stopped = true;
    });

    /** Runs a node process that is killed at `crashAt`, then one restarted on the same state; returns the state's path. */
    async function crashAndRestart(
      crashAt: string,
      steps: {
        before: (booked: Booked) => Promise<void>;
        after: (booked: Booked, dataDir: string) => Promise<void>;
      },
      account = consumer(),
    ) {
      // Each node process serves a provider of its own: it sees no other test's bookings.
      const provider = stack.accounts[nextProvider++]!;
      const { resourceId: resource } = await listResource(stack, provider);
      const dataDir = mkdtempSync(join(stack.workDir, "oracle-"));
      testConfig(stack, dataDir, { ...FILE_SETTINGS, serve: { providers: [provider] } });
      const env = nodeEnv(stack, dataDir);
      const crashing = nodeProcess({ ...env, ORACLE_CRASH_AT: crashAt });
      const exited = new Promise((resolve) => crashing.once("exit", (_code, signal) => resolve(signal)));
      const booked = await book(stack, account, resource);
      await activated(stack, booked.bookingId, 30_000);
      await steps.before(booked);
      assert.equal(await exited, "SIGKILL");
      const restarted = nodeProcess(env);
      try {
        await steps.after(booked, dataDir);
      } finally {
        restarted.kill("SIGTERM");
        await new Promise((resolve) => restarted.once("exit", resolve));
      }
      return { booked, dataDir };
    }

    const workloads = (dataDir: string) => readdirSync(join(dataDir, "local-workloads"));
    const reachesStage = (dataDir: string, bookingId: bigint, stage: Stage) =>
      waitFor(`booking ${bookingId} ${stage} after the restart`, () =>
        stageIn(dataDir, bookingId).stage === stage ? true : undefined,
      );
    const stageIn = (dataDir: string, bookingId: bigint) => {
      const state = openState(dataDir);
      try {
        return { stage: state.bookings.get(String(bookingId))?.stage, keys: state.txs.keysLike("") };
      } finally {
        state.close();
      }
    };

    it("pause", async () => {
      const { booked, dataDir } = await crashAndRestart("after-cloud:pause-", {
        before: (booked) => pastEnd(booked.bookingId, 1),
        after: async (booked, dataDir) => {
          const folder = new LocalProvisioner(join(dataDir, "local-workloads")).folderOf(booked.bookingId)!;
          assert.ok(existsSync(join(folder, "paused")));
          await reachesStage(dataDir, booked.bookingId, "suspended");
          assert.equal(workloads(dataDir).length, 1, "no second machine");
        },
      });
      assert.equal(stageIn(dataDir, booked.bookingId).stage, "suspended");
    });

    it("resume", async () => {
      const account = consumer();
      let read: () => Promise<string> = async () => "";
      const { booked, dataDir } = await crashAndRestart(
        "after-cloud:resume-",
        {
          before: async (booked) => {
            ({ read } = await useMachine(booked));
            await pastEnd(booked.bookingId, 1);
            await waitFor("the machine to stop", () =>
              read().then(
                () => undefined,
                () => true,
              ),
            );
            await extendBooking(stack, account, booked.bookingId, 1);
          },
          after: async (booked, dataDir) => {
            assert.equal(await waitFor("the machine to answer again", () => read().catch(() => undefined)), "kept");
            await reachesStage(dataDir, booked.bookingId, "active");
            assert.equal(workloads(dataDir).length, 1, "no second machine");
          },
        },
        account,
      );
      assert.equal(stageIn(dataDir, booked.bookingId).stage, "active");
    });

    it("deprovision (and complete)", async () => {
      const { booked, dataDir } = await crashAndRestart("after-cloud:deprovision-", {
        before: (booked) => pastEnd(booked.bookingId, graceSeconds + 1),
        after: async (booked, dataDir) => {
          await waitFor("the booking completed on chain", async () =>
            (await bookingStatus(stack, booked.bookingId)) === BookingStatus.Completed ? true : undefined,
          );
          await reachesStage(dataDir, booked.bookingId, "deprovisioned");
        },
      });
      const { stage, keys } = stageIn(dataDir, booked.bookingId);
      assert.equal(stage, "deprovisioned");
      assert.deepEqual(
        keys.filter((k) => k.startsWith("complete-")),
        [`complete-${booked.bookingId}`],
      );
      const completed = (
        await eventsOf(stack, contracts().ResourceMarketplace.proxy, resourceMarketplaceAbi, "BookingCompleted")
      ).filter((e) => e.args.bookingId === booked.bookingId);
      assert.equal(completed.length, 1);
    });

    it("renew (sent, not yet mined)", async () => {
      const account = consumer();
      const { booked, dataDir } = await crashAndRestart(
        "after-send:renew-",
        {
          before: (booked) => autoRenew(stack, account, booked.bookingId, 3),
          after: async (booked) => {
            await waitFor("the renewal", async () =>
              (await renewedEvents(stack, booked.bookingId)).length ? true : undefined,
            );
            await new Promise((resolve) => setTimeout(resolve, 3_000));
          },
        },
        account,
      );
      assert.equal(
        (await renewedEvents(stack, booked.bookingId)).length,
        1,
        "renewed once, though the policy allowed three",
      );
      assert.equal(stageIn(dataDir, booked.bookingId).keys.filter((k) => k.startsWith("renew-")).length, 1);
    });
  });
});
