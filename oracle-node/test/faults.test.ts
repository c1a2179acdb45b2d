/**
 * Faults, each against the real chain and IPFS node: duplicate events, malformed metadata, a cloud
 * API failing then recovering, an oracle account without gas money, a faulty RPC endpoint, a reorg,
 * and the node killed after signing and after sending. After each: one provisioning, one
 * confirmation and one report per period at most, and no booking missed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { type IncomingMessage, type Server, createServer, request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import type { Address, Hex } from "viem";

import { BookingStatus, decryptAccessDetails } from "@d-cloudx/sdk";
import { escrowManagerAbi, resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import { OracleNode } from "../src/node.ts";
import { LocalProvisioner } from "../src/provisioners/local.ts";
import { type ProvisionRequest, ProvisionerError } from "../src/provisioners/types.ts";
import {
  type Stack,
  activated,
  advanceChain,
  book,
  bookingStatus,
  eventsOf,
  settledPeriods,
  freePort,
  listResource,
  mined,
  nodeEnv,
  nodeProcess,
  openState,
  provisionedEvents,
  samplesTaken,
  sealedAccessDetails,
  startStack,
  testConfig,
  waitFor,
} from "./helpers/stack.ts";

const REQUESTED = BookingStatus.Requested;
const ORACLE = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";

describe("oracle node faults", { timeout: 600_000 }, () => {
  let stack: Stack;
  let nextAccount = 3;
  /** A provider of its own for each test, so that each node serves only its test's bookings. */
  const newProvider = () => stack.accounts[nextAccount++]!;
  const consumer = () => stack.accounts[19]!;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  const marketplace = () => stack.deployment.contracts.ResourceMarketplace.proxy;

  async function startNode(provider: Address, options: Parameters<typeof OracleNode.start>[1] = {}, file = {}) {
    const dataDir = mkdtempSync(join(stack.workDir, "oracle-"));
    return OracleNode.start(testConfig(stack, dataDir, { serve: { providers: [provider] }, ...file }), options);
  }

  function provisionTxs(node: OracleNode, bookingId: bigint): number {
    return node.store.txs.keysLike(`provision-${bookingId}`).length;
  }

  it("ignores duplicate events: replaying the chain provisions nothing twice", async () => {
    const provider = newProvider();
    const { resourceId } = await listResource(stack, provider);
    const node = await startNode(provider);
    try {
      const booked = await book(stack, consumer(), resourceId);
      await activated(stack, booked.bookingId);
      // Deliver every log again: forget the cursor, so the node reads the chain from the deployment on.
      node.store.cursor.forget();
      await waitFor("the replay", () => (node.follower.cursor().hash ? true : undefined));
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal((await provisionedEvents(stack, booked.bookingId)).length, 1);
      assert.equal(provisionTxs(node, booked.bookingId), 1);
      assert.equal(readdirSync(join(node.config.dataDir, "local-workloads")).length, 1);
    } finally {
      await node.stop();
    }
  });

  it("fails a booking with malformed metadata without crashing; the consumer gets a full refund after the timeout", async () => {
    const provider = newProvider();
    const bad = await listResource(stack, provider, '{"version": 1, "name": "no cloud"}');
    const good = await listResource(stack, provider);
    const node = await startNode(provider);
    try {
      const broken = await book(stack, consumer(), bad.resourceId);
      const fine = await book(stack, consumer(), good.resourceId);
      await activated(stack, fine.bookingId);
      const row = await waitFor("the bad booking to fail", () => {
        const booking = node.store.bookings.get(broken.bookingId);
        return booking?.stage === "failed" ? booking : undefined;
      });
      assert.match(row.lastError!, /metadata .* is invalid: cloud: Invalid option/);
      assert.equal(await bookingStatus(stack, broken.bookingId), REQUESTED);
      assert.equal(provisionTxs(node, broken.bookingId), 0);

      await advanceChain(stack, 301);
      await mined(
        stack,
        await stack.wallet(consumer()).writeContract({
          chain: null,
          address: marketplace() as Address,
          abi: resourceMarketplaceAbi,
          functionName: "cancelBooking",
          args: [broken.bookingId],
        }),
      );
      const refunds = await eventsOf(
        stack,
        stack.deployment.contracts.EscrowManager.proxy,
        escrowManagerAbi,
        "ConsumerRefunded",
      );
      assert.equal(refunds.find((e) => e.args.bookingId === broken.bookingId)?.args.amount, broken.amount);
    } finally {
      await node.stop();
    }
  });

  it("states a consumer fault for a booking whose encryption key is unusable: full refund, nobody slashed", async () => {
    // The marketplace refuses such keys at booking; a booking made before it did is simulated by
    // giving the node's record of a fresh booking a small-order key (u = 1) before it provisions.
    const provider = newProvider();
    const { resourceId } = await listResource(stack, provider);
    const escrow = stack.deployment.contracts.EscrowManager.proxy as Address;
    const node = await startNode(provider, {}, { serve: { providers: [provider], provision: false } });
    try {
      const booked = await book(stack, consumer(), resourceId);
      await waitFor("the node to record the booking", () => node.store.bookings.get(booked.bookingId));
      node.store.bookings.update(String(booked.bookingId), { encryptionKey: `0x01${"00".repeat(31)}` });
      const cancelled = await waitFor("the consumer-fault cancellation", async () => {
        const events = await eventsOf(stack, marketplace(), resourceMarketplaceAbi, "BookingCancelled");
        return events.find((e) => e.args.bookingId === booked.bookingId);
      });
      assert.equal(cancelled.args.reason, 2, "UnusableEncryptionKey");
      const refunds = await eventsOf(stack, escrow, escrowManagerAbi, "ConsumerRefunded");
      assert.equal(refunds.find((e) => e.args.bookingId === booked.bookingId)?.args.amount, booked.amount);
      const slashes = await eventsOf(stack, escrow, escrowManagerAbi, "BondSlashed");
      assert.equal(slashes.filter((e) => e.args.bookingId === booked.bookingId).length, 0);
      assert.equal(provisionTxs(node, booked.bookingId), 0);
    } finally {
      await node.stop();
    }
  });

  it("retries a failing cloud API with backoff and provisions once it recovers", async () => {
    const provider = newProvider();
    const { resourceId } = await listResource(stack, provider);
    const dataDir = mkdtempSync(join(stack.workDir, "oracle-"));
    const local = new LocalProvisioner(join(dataDir, "local-workloads"));
    let calls = 0;
    // The cloud's edge: its API throttles the first two calls.
    const flaky = Object.assign(Object.create(local) as LocalProvisioner, {
      provision(request: ProvisionRequest) {
        calls++;
        if (calls <= 2) return Promise.reject(new ProvisionerError("RequestLimitExceeded", true));
        return local.provision(request);
      },
    });
    const node = await OracleNode.start(testConfig(stack, dataDir, { serve: { providers: [provider] } }), {
      provisioners: [flaky],
    });
    try {
      const booked = await book(stack, consumer(), resourceId);
      await activated(stack, booked.bookingId);
      assert.equal(calls, 3);
      assert.equal((await provisionedEvents(stack, booked.bookingId)).length, 1);
      assert.equal(node.store.bookings.get(booked.bookingId)!.attempts, 2);
    } finally {
      await node.stop();
    }
  });

  it("waits without losing anything while the oracle account cannot pay for gas", async () => {
    const provider = newProvider();
    const { resourceId } = await listResource(stack, provider);
    const balance = await stack.publicClient.getBalance({ address: ORACLE });
    await stack.rpc("hardhat_setBalance", [ORACLE, "0x0"]);
    const node = await startNode(provider);
    try {
      const booked = await book(stack, consumer(), resourceId);
      await waitFor("the confirmation to be queued", () =>
        node.sender.outbox.outcome(`provision-${booked.bookingId}`).status === "pending" ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(await bookingStatus(stack, booked.bookingId), REQUESTED);
      await stack.rpc("hardhat_setBalance", [ORACLE, `0x${balance.toString(16)}`]);
      await activated(stack, booked.bookingId, 20_000);
      assert.equal((await provisionedEvents(stack, booked.bookingId)).length, 1);
      assert.equal(provisionTxs(node, booked.bookingId), 1);
    } finally {
      await stack.rpc("hardhat_setBalance", [ORACLE, `0x${balance.toString(16)}`]);
      await node.stop();
    }
  });

  it("rides out RPC timeouts, 429s and 5xx from a faulty endpoint", async () => {
    const provider = newProvider();
    const { resourceId } = await listResource(stack, provider);
    const proxy = await faultyProxy(stack.rpcUrl);
    const dataDir = mkdtempSync(join(stack.workDir, "oracle-"));
    const config = testConfig(
      stack,
      dataDir,
      { serve: { providers: [provider] }, chain: { confirmations: 0, pollIntervalMs: 100, requestTimeoutMs: 1_000 } },
      { ORACLE_RPC_URL: proxy.url },
    );
    const node = await OracleNode.start(config);
    try {
      const booked = await book(stack, consumer(), resourceId);
      await activated(stack, booked.bookingId, 60_000);
      await samplesTaken(node, booked.bookingId, 5);
      await advanceChain(stack, 61);
      await waitFor(
        "the report",
        async () => (await settledEvents(booked.bookingId)).length === 1 || undefined,
        60_000,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal((await provisionedEvents(stack, booked.bookingId)).length, 1);
      assert.equal((await settledEvents(booked.bookingId)).length, 1);
      assert.ok(
        proxy.faults.throttled > 0 && proxy.faults.failed > 0 && proxy.faults.slow > 0,
        JSON.stringify(proxy.faults),
      );
      const metrics = await node.metrics.registry.getSingleMetricAsString("oracle_rpc_errors_total");
      assert.match(metrics, /kind="429"/);
    } finally {
      await node.stop();
      proxy.server.close();
    }
  });

  it("rewinds on a reorg: a booking id that now names another booking is provisioned for the new consumer", async () => {
    const provider = newProvider();
    const { resourceId } = await listResource(stack, provider);
    const node = await startNode(provider);
    try {
      const snapshot = await stack.rpc<string>("evm_snapshot");
      const first = await book(stack, stack.accounts[17]!, resourceId);
      await activated(stack, first.bookingId);
      await stack.rpc("evm_revert", [snapshot]);
      // The other branch: another consumer books, and gets the same booking id; a few more blocks.
      const second = await book(stack, stack.accounts[18]!, resourceId);
      assert.equal(second.bookingId, first.bookingId);
      for (let i = 0; i < 3; i++) await stack.rpc("evm_mine");

      await activated(stack, second.bookingId, 30_000);
      const [event] = await provisionedEvents(stack, second.bookingId);
      const sealed = await sealedAccessDetails(stack, event!);
      const access = decryptAccessDetails(second.privateKey, sealed);
      assert.throws(() => decryptAccessDetails(first.privateKey, sealed));
      assert.equal(
        (await fetch(`${access.url}`, { headers: { authorization: `Bearer ${access.credentials.secret}` } })).status,
        200,
      );
      assert.equal((await provisionedEvents(stack, second.bookingId)).length, 1);
      assert.ok(
        Number(
          await node.metrics.registry
            .getSingleMetric("oracle_reorgs_total")!
            .get()
            .then((m) => m.values[0]!.value),
        ) >= 1,
      );
      assert.equal(readdirSync(join(node.config.dataDir, "local-workloads")).length, 1);
    } finally {
      await node.stop();
    }
  });

  for (const point of ["after-sign", "after-send"] as const) {
    it(`survives being killed ${point.replace("-", " ")}ing a confirmation: one confirmation, same transaction`, async () => {
      const provider = newProvider();
      const { resourceId } = await listResource(stack, provider);
      const dataDir = mkdtempSync(join(stack.workDir, "oracle-"));
      testConfig(stack, dataDir, { serve: { providers: [provider] } });
      const env = nodeEnv(stack, dataDir);
      const crashing = nodeProcess({ ...env, ORACLE_CRASH_AT: `${point}:provision-` });
      const booked = await book(stack, consumer(), resourceId);
      const exit = await new Promise<NodeJS.Signals | null>((r) => crashing.once("exit", (_code, signal) => r(signal)));
      assert.equal(exit, "SIGKILL");

      const state = openState(dataDir);
      const confirmation = state.txs.get(`provision-${booked.bookingId}`)!;
      const attempts = state.txs.attempts(confirmation.id);
      state.close();
      assert.equal(attempts.length, 1);
      const onChain = await stack.publicClient
        .getTransaction({ hash: attempts[0]!.hash as Hex })
        .catch(() => undefined);
      assert.equal(onChain !== undefined, point === "after-send");

      const restarted = nodeProcess(env);
      try {
        await activated(stack, booked.bookingId, 30_000);
        const events = await provisionedEvents(stack, booked.bookingId);
        assert.equal(events.length, 1);
        const receipt = await stack.publicClient.getTransactionReceipt({ hash: attempts[0]!.hash as Hex });
        assert.equal(receipt.status, "success", "the transaction signed before the crash is the one mined");
        assert.ok(new LocalProvisioner(join(dataDir, "local-workloads")).folderOf(booked.bookingId));
        assert.equal(readdirSync(join(dataDir, "local-workloads")).length, 1);
      } finally {
        restarted.kill("SIGTERM");
        await new Promise((r) => restarted.once("exit", r));
      }
    });
  }

  it("survives being killed after signing a report batch: the period settles once, with that transaction", async () => {
    const provider = newProvider();
    const { resourceId } = await listResource(stack, provider);
    const dataDir = mkdtempSync(join(stack.workDir, "oracle-"));
    testConfig(stack, dataDir, { serve: { providers: [provider] } });
    const env = nodeEnv(stack, dataDir);
    const crashing = nodeProcess({ ...env, ORACLE_CRASH_AT: "after-sign:reports-" });
    const exited = new Promise<NodeJS.Signals | null>((r) => crashing.once("exit", (_code, signal) => r(signal)));
    const booked = await book(stack, consumer(), resourceId);
    await activated(stack, booked.bookingId, 30_000);
    await new Promise((r) => setTimeout(r, 2_000)); // some probes
    await advanceChain(stack, 61);
    assert.equal(await exited, "SIGKILL");
    assert.equal((await settledEvents(booked.bookingId)).length, 0);

    const restarted = nodeProcess(env);
    try {
      const [settled] = await waitFor("the report", async () => {
        const events = await settledEvents(booked.bookingId);
        return events.length ? events : undefined;
      });
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal((await settledEvents(booked.bookingId)).length, 1);
      const state = openState(dataDir);
      const batches = state.txs.keysLike("reports-").map((key) => state.txs.get(key)!);
      state.close();
      assert.equal(batches.length, 1, "one report transaction, signed before the crash and sent after it");
      const logs = await stack.publicClient.getLogs({ fromBlock: settled!.blockNumber, toBlock: settled!.blockNumber });
      assert.equal(logs[0]!.transactionHash, batches[0]!.hash);
    } finally {
      restarted.kill("SIGTERM");
      await new Promise((r) => restarted.once("exit", r));
    }
  });

  async function settledEvents(bookingId: bigint) {
    return (await settledPeriods(stack)).filter((e) => e.args.bookingId === bookingId);
  }
});

/** The state file of the node whose data folder is `dataDir`. */
/**
 * A JSON-RPC proxy on loopback that fails on a fixed schedule: every 7th request is answered 429,
 * every 7th+2 with 503, and every 11th is held longer than the node's timeout before being answered.
 */
async function faultyProxy(target: string) {
  const faults = { throttled: 0, failed: 0, slow: 0 };
  let count = 0;
  const upstream = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res) => {
    const n = ++count;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (n % 7 === 0) {
        faults.throttled++;
        return res.writeHead(429).end("too many requests");
      }
      if (n % 7 === 2) {
        faults.failed++;
        return res.writeHead(503).end("unavailable");
      }
      const forward = () => {
        const out = request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: "POST",
            path: "/",
            headers: { "content-type": "application/json" },
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, { "content-type": "application/json" });
            answer.pipe(res);
          },
        );
        out.on("error", () => res.writeHead(502).end());
        out.end(Buffer.concat(chunks));
      };
      if (n % 11 === 0) {
        faults.slow++;
        setTimeout(forward, 1_500);
      } else forward();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${port}`, faults };
}
