/**
 * Three oracle nodes as separate processes, each with its own key, data folder and ports, talking
 * over the peer-to-peer network on loopback, with a quorum of 2 set through a DAO proposal
 * (`npm run oracle:signers -- pass`): the happy path; a node killed mid-provisioning and
 * mid-report; a node cut off for several periods; and a byzantine peer.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { type Address, type Hex, decodeFunctionData } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { BookingStatus } from "@d-cloudx/sdk";
import { escrowManagerAbi, resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { pass } from "../../scripts/oracle-signers.ts";
import { LOCAL_ORACLE_KEY } from "../src/config.ts";
import { type NodeProcess, nodeProcesses } from "./helpers/processes.ts";
import {
  LOCAL_METADATA,
  type Stack,
  activated,
  advanceChain,
  book,
  bookingStatus,
  eventsOf,
  settledPeriods,
  freePort,
  listResource,
  provisionedEvents,
  startStack,
  waitFor,
} from "./helpers/stack.ts";

const REQUESTED = BookingStatus.Requested;
const BYZANTINE = fileURLToPath(new URL("./helpers/byzantine.ts", import.meta.url));

describe("an oracle network of separate processes", { timeout: 900_000 }, () => {
  let stack: Stack;
  let nodes: NodeProcess[];
  let a: NodeProcess, b: NodeProcess, c: NodeProcess;
  let resourceId: bigint;
  /** A resource no honest node provisions (its cloud has no adapter here): the lying provisioner's. */
  let unprovisionedId: bigint;
  const byzantineKey = generatePrivateKey();
  let consumerIndex = 5;
  const consumer = () => stack.accounts[(consumerIndex++ % 10) + 5]!;

  before(async () => {
    stack = await startStack();
    const provider = stack.accounts[3]!;
    ({ resourceId } = await listResource(stack, provider));
    const otherProvider = stack.accounts[4]!;
    ({ resourceId: unprovisionedId } = await listResource(stack, otherProvider, {
      ...LOCAL_METADATA,
      cloud: "aws",
      region: "us-east-1",
      instanceType: "t3.micro",
    }));
    nodes = await nodeProcesses(
      stack,
      [
        { name: "a", key: LOCAL_ORACLE_KEY as Hex, provision: true },
        { name: "b", key: generatePrivateKey(), provision: false },
        { name: "c", key: generatePrivateKey(), provision: false },
      ],
      [provider, otherProvider],
    );
    [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    // Through the DAO, as operators join: b, c and the byzantine peer's key become signers, quorum 2.
    await pass(
      { deployment: stack.deployment, rpcUrl: stack.rpcUrl, account: stack.accounts[0]!, log: () => {} },
      { add: [b.address, c.address, privateKeyToAccount(byzantineKey).address].join(","), quorum: "2" },
      stack.accounts.slice(0, 10),
    );
    for (const node of nodes) node.start();
    for (const node of nodes) await node.healthy();
    await waitFor("every node to reach the other two", async () => {
      const peers = await Promise.all(nodes.map((n) => n.metric("oracle_network_peers")));
      return peers.every((p) => p >= 2) ? true : undefined;
    });
  });

  after(async () => {
    for (const node of nodes ?? []) {
      node.signal("SIGCONT");
      await node.stop();
    }
    await stack?.stop();
  });

  const sla = () => stack.deployment.contracts.SLAEnforcement.proxy as Address;
  /** Runs the byzantine peer on period 0 of a booking; `orders` say what it probes, floods or lies about. */
  const byzantinePeer = (bookingId: bigint, orders: Record<string, unknown>) =>
    runByzantine({
      bootstrap: nodes.map((n) => n.multiaddr),
      key: byzantineKey,
      unregisteredKey: generatePrivateKey(),
      chainId: stack.deployment.chainId,
      sla: sla(),
      bookingId: String(bookingId),
      period: 0,
      ...orders,
    });
  const settledEvents = async (bookingId: bigint) =>
    (await settledPeriods(stack)).filter((e) => e.args.bookingId === bookingId);
  const settled = (bookingId: bigint, period: number, timeoutMs = 60_000) =>
    waitFor(
      `period ${period} of booking ${bookingId} to settle`,
      async () => (await settledEvents(bookingId)).find((e) => e.args.period === period),
      timeoutMs,
    );
  /** The signers of the report transaction that settled `event`. */
  const signersOf = async (event: { blockNumber: bigint }) => {
    const logs = await stack.publicClient.getLogs({
      address: sla(),
      fromBlock: event.blockNumber,
      toBlock: event.blockNumber,
    });
    const tx = await stack.publicClient.getTransaction({ hash: logs[0]!.transactionHash! });
    const { args } = decodeFunctionData({ abi: sLAEnforcementAbi, data: tx.input as Hex });
    return (args as readonly [unknown, readonly (readonly Hex[])[]])[1][0]!.length;
  };
  async function activeBooking() {
    const booked = await book(stack, consumer(), resourceId);
    await activated(stack, booked.bookingId);
    return booked;
  }
  /** Waits until each node has made a few more probes (of the booking just activated, among others). */
  const probed = async (...of: NodeProcess[]) => {
    const before = await Promise.all(of.map((n) => n.metric("oracle_probes_total")));
    await waitFor("probes", async () => {
      const now = await Promise.all(of.map((n) => n.metric("oracle_probes_total")));
      return now.every((n, i) => n >= before[i]! + 8) ? true : undefined;
    });
  };

  it("confirms and reports each booking with a quorum of independent measurements", async () => {
    const booked = await activeBooking();
    assert.equal((await provisionedEvents(stack, booked.bookingId)).length, 1);
    await probed(a, b, c);
    await advanceChain(stack, 61);
    const event = await settled(booked.bookingId, 0);
    assert.equal(event.args.uptimeBps, 10_000);
    assert.ok((await signersOf(event)) >= 2, "signed by a quorum");
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await settledEvents(booked.bookingId)).length, 1);
    for (const node of nodes) assert.ok((await node.metric("oracle_statements_signed_total")) >= 1, node.spec.name);
  });

  it("a node killed mid-provisioning and mid-report and restarted does nothing twice and misses nothing", async () => {
    // The provisioning node dies right after signing the confirmation.
    await a.stop();
    a.start({ ORACLE_CRASH_AT: "after-sign:provision-" });
    await a.healthy();
    const booked = await book(stack, consumer(), resourceId);
    assert.equal(await a.exited, "SIGKILL");
    a.start();
    await activated(stack, booked.bookingId);
    assert.equal((await provisionedEvents(stack, booked.bookingId)).length, 1);

    // A co-signer dies right after storing its signature of the report, before announcing it.
    await probed(a, b, c);
    await b.stop();
    b.start({ ORACLE_CRASH_AT: `after-statement:report-${booked.bookingId}-` });
    await b.healthy();
    await advanceChain(stack, 61);
    assert.equal(await b.exited, "SIGKILL");
    b.start();
    await b.healthy();
    const event = await settled(booked.bookingId, 0);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal((await settledEvents(booked.bookingId)).filter((e) => e.args.period === 0).length, 1);
    assert.equal(event.args.uptimeBps, 10_000);
  });

  it("a node cut off for several periods catches up; the others report without it", async () => {
    const booked = await activeBooking();
    await probed(a, b, c);
    c.signal("SIGSTOP");
    try {
      for (let period = 0; period < 3; period++) {
        await advanceChain(stack, 61);
        await settled(booked.bookingId, period, 90_000);
      }
    } finally {
      c.signal("SIGCONT");
    }
    const signedBefore = await c.metric("oracle_statements_signed_total");
    const health = await c.healthy();
    assert.equal(health.caughtUp, true);
    await new Promise((r) => setTimeout(r, 3_000)); // fresh probes after the pause
    await advanceChain(stack, 61);
    await settled(booked.bookingId, 3);
    await waitFor("c to sign again", async () =>
      (await c.metric("oracle_statements_signed_total")) > signedBefore ? true : undefined,
    );
  });

  it("a provisioning node that lies cannot start billing alone: no quorum, and the consumer is refunded", async () => {
    const booked = await book(stack, consumer(), unprovisionedId);
    const nobody = await freePort();
    const report = JSON.parse(
      await byzantinePeer(booked.bookingId, {
        target: { kind: "tcp", host: "127.0.0.1", port: nobody },
        flood: 0,
        lie: {
          consumer: booked.consumer,
          accessDetailsCid: "bafkreidvbhs33ighmljlvr7zbv2ywwzcmp5adtf4kqvlly67cy56bdtmve",
        },
      }),
    ) as { sent: { provisioning: number } };
    assert.ok(report.sent.provisioning > 0);
    // b and c probed the machine the liar announced, reached nothing, and did not co-sign.
    for (const node of [b, c]) {
      await waitFor(`node ${node.spec.name} to refuse to co-sign`, () =>
        readFileSync(join(node.dataDir, "node.log"), "utf8")
          .split("\n")
          .some(
            (line) =>
              line.includes("not co-signing provisioning") && line.includes(`"bookingId":"${booked.bookingId}"`),
          )
          ? true
          : undefined,
      );
    }
    assert.equal((await provisionedEvents(stack, booked.bookingId)).length, 0, "billing never started");
    assert.equal(await bookingStatus(stack, booked.bookingId), REQUESTED);

    // At the provisioning timeout anyone cancels it, and the consumer gets everything back.
    const marketplace = stack.deployment.contracts.ResourceMarketplace.proxy as Address;
    const timeout = await stack.publicClient.readContract({
      address: marketplace,
      abi: resourceMarketplaceAbi,
      functionName: "provisionTimeout",
    });
    await advanceChain(stack, Number(timeout) + 1);
    const outsider = stack.accounts[19]!;
    await stack.publicClient.waitForTransactionReceipt({
      hash: await stack.wallet(outsider).writeContract({
        chain: null,
        address: marketplace,
        abi: resourceMarketplaceAbi,
        functionName: "cancelBooking",
        args: [booked.bookingId],
      }),
    });
    const escrow = stack.deployment.contracts.EscrowManager.proxy as Address;
    const refunds = await eventsOf(stack, escrow, escrowManagerAbi, "ConsumerRefunded");
    assert.equal(refunds.find((e) => e.args.bookingId === booked.bookingId)?.args.amount, booked.amount);
  });

  it("a byzantine peer changes nothing on chain, is scored down and banned, and costs the others little", async () => {
    const booked = await activeBooking();
    await probed(a, b, c);
    // A machine that answers, which the byzantine peer claims is the booking's.
    const decoy = createServer((_req, res) => res.end("ok"));
    const decoyPort = await freePort();
    await new Promise<void>((r) => decoy.listen(decoyPort, "127.0.0.1", r));
    // The booking's machine dies.
    const machine = join(a.dataDir, "local-workloads");
    const pid = workloadPid(machine, booked.bookingId);
    process.kill(pid, "SIGKILL");
    const before = nodes.map((n) => n.usage());
    const startedMs = Date.now();
    const byzantine = byzantinePeer(booked.bookingId, {
      target: { kind: "http", host: "127.0.0.1", port: decoyPort, path: "/" },
      flood: 500,
    });
    const report = JSON.parse(await byzantine) as { sent: Record<string, number> };
    const elapsedSeconds = (Date.now() - startedMs) / 1000;
    const after = nodes.map((n) => n.usage());
    decoy.close();
    await advanceChain(stack, 61);
    // Longer than the others: on a loaded machine the nodes first work through the flood.
    const event = await settled(booked.bookingId, 0, 120_000);
    assert.equal(event.args.compliant, false, "the dead machine's period is a violation");
    assert.ok((event.args.uptimeBps as number) < 9_500, `uptime ${event.args.uptimeBps}`);

    const refused = await Promise.all(
      nodes.map(
        async (n) =>
          (await n.metric("oracle_network_messages_total", 'direction="in"')) -
          (await n.metric("oracle_network_messages_total", 'result="accepted"')),
      ),
    );
    const banned = await Promise.all(nodes.map((n) => n.metric("oracle_network_banned_peers")));
    console.log(
      `  byzantine sent ${JSON.stringify(report.sent)}; refused by the nodes: ${refused.join(", ")}; banned: ${banned.join(", ")}`,
    );
    assert.ok(
      refused.every((n) => n >= 4),
      "every node refused the byzantine messages until it banned the peer",
    );
    assert.ok(
      banned.some((n) => n >= 1),
      "the byzantine peer is banned",
    );
    for (const [i, node] of nodes.entries()) {
      const cpuPercent = ((after[i]!.cpuSeconds - before[i]!.cpuSeconds) / elapsedSeconds) * 100;
      console.log(
        `  node ${node.spec.name}: ${cpuPercent.toFixed(0)} % CPU during the attack, ${after[i]!.rssMb.toFixed(0)} MB RSS`,
      );
      assert.ok(after[i]!.rssMb < 400, `node ${node.spec.name} RSS ${after[i]!.rssMb} MB`);
      assert.ok(cpuPercent < 80, `node ${node.spec.name} CPU ${cpuPercent} %`);
    }
  });
});

function workloadPid(root: string, bookingId: bigint): number {
  for (const host of readdirSync(root)) {
    try {
      const state = readFileSync(join(root, host, `booking-${bookingId}`, "state.json"), "utf8");
      return (JSON.parse(state) as { pid: number }).pid;
    } catch {
      // Not in this host.
    }
  }
  throw new Error(`no workload for booking ${bookingId}`);
}

function runByzantine(orders: Record<string, unknown>): Promise<string> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", BYZANTINE, JSON.stringify(orders)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(output.trim().split("\n").at(-1)!) : reject(new Error(`byzantine exited ${code}`)),
    ),
  );
}
