/**
 * `npm run bench:oracle`: the oracle network against a real Hardhat node (deployed by
 * scripts/deploy.ts) and the local IPFS node, with the local adapter, every node a separate process
 * on loopback. Starts everything it needs. Measures, asserts nothing.
 *
 * 1. The network: three nodes, quorum 2 (set through a DAO proposal), one provisioning.
 *    - confirmation latency: BENCH_LATENCY_BOOKINGS bookings one at a time on an automining chain,
 *      from the booking's receipt to the booking reading Active, wall clock;
 *    - probes: how many probes each node made of each booking in its first SLA period (from the
 *      nodes' own state), and how many nodes probed each booking-period;
 *    - report gas per booking-period, rewards included.
 * 2. Capacity of one node: on a chain mining a block a second, bookings are added in steps
 *    (BENCH_STEPS, default 1000,2500,5000), each step held for one whole SLA period in which every
 *    booking must be probed and its period settled on chain before the report window closes; the
 *    node's CPU and memory are sampled from /proc over that period. The largest step that passes is
 *    `maxBookingsPerNode`; the first that fails, and why, is where it breaks.
 *
 * Prints a table and writes bench-results/oracle.json.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { type Address, type Hex, type PublicClient, createPublicClient, http, parseEventLogs } from "viem";
import { generatePrivateKey } from "viem/accounts";

import { describeContext, machineContext, writeBenchResult } from "@d-cloudx/devstack";
import { accessKeyMessage, deriveAccessKeyPair, settledPeriods } from "@d-cloudx/sdk";
import { escrowManagerAbi, priceOracleAbi, resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { pass } from "../../scripts/oracle-signers.ts";
import { LOCAL_ORACLE_KEY } from "../src/config.ts";
import { percentile, periodBounds } from "../src/measure/aggregate.ts";
import { Store } from "../src/store/index.ts";
import { type NodeProcess, nodeProcesses } from "../test/helpers/processes.ts";
import {
  REPOSITORY,
  type Stack,
  activated,
  advanceChain,
  book,
  listResource,
  startStack,
  waitFor,
} from "../test/helpers/stack.ts";

const LATENCY_BOOKINGS = Number(process.env.BENCH_LATENCY_BOOKINGS ?? 20);
const STEPS = (process.env.BENCH_STEPS ?? "1000,2500,5000").split(",").filter(Boolean).map(Number);
const ETH = "0x0000000000000000000000000000000000000000";
const started = Date.now();
const machineBefore = machineContext();
console.log(`Machine: ${describeContext(machineBefore)}`);
const patientClients = new WeakMap<Stack, PublicClient>();
const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${text}`);

const network = await measureNetwork();
writeResult({ ...network, maxBookingsPerNode: null, capacitySteps: [] });
const capacity = STEPS.length
  ? await measureCapacity(network)
  : { maxBookingsPerNode: null, cpuPercentAtMax: null, rssMbAtMax: null, steps: [], breaksAt: undefined };
const result = {
  nodes: network.nodes,
  quorum: network.quorum,
  confirmP50Ms: network.confirmP50Ms,
  confirmP95Ms: network.confirmP95Ms,
  minProbesPerBookingPeriod: network.minProbesPerBookingPeriod,
  minNodesProbingPerBookingPeriod: network.minNodesProbingPerBookingPeriod,
  reportGasPerBookingPeriod: network.reportGasPerBookingPeriod,
  maxBookingsPerNode: capacity.maxBookingsPerNode,
  cpuPercentAtMax: capacity.cpuPercentAtMax,
  rssMbAtMax: capacity.rssMbAtMax,
  capacitySteps: capacity.steps,
  ...(capacity.breaksAt ? { breaksAt: capacity.breaksAt } : {}),
};
console.log();
console.table({
  "nodes / quorum": { value: `${result.nodes} / ${result.quorum}`, target: "" },
  "booking → Active p50 (ms)": { value: result.confirmP50Ms, target: "" },
  "booking → Active p95 (ms)": { value: result.confirmP95Ms, target: "≤ 5000" },
  "probes per booking-period, least by a node": { value: result.minProbesPerBookingPeriod, target: "> 0" },
  "nodes probing each booking-period, least": { value: result.minNodesProbingPerBookingPeriod, target: "≥ quorum" },
  "report gas per booking-period": { value: result.reportGasPerBookingPeriod, target: "" },
  "bookings one node sustains": { value: result.maxBookingsPerNode, target: "≥ 5000" },
  "its CPU (% of one core) / RSS (MB)": { value: `${result.cpuPercentAtMax} / ${result.rssMbAtMax}`, target: "" },
});
if (result.breaksAt) console.log(`Breaks at ${result.breaksAt.bookings} bookings: ${result.breaksAt.why}`);
// Fails, naming it, when a figure is missing: a phase that did not run is not a result.
writeBenchResult("oracle", result, machineBefore);

/** Writes what is measured so far (a run stopped half-way still leaves its figures). */
function writeResult(value: object): void {
  mkdirSync(join(REPOSITORY, "bench-results"), { recursive: true });
  writeFileSync(join(REPOSITORY, "bench-results", "oracle.json"), JSON.stringify(value, null, 2) + "\n");
}

/** Part 1: three nodes, quorum 2. */
async function measureNetwork() {
  const stack = await startStack();
  const nodes: NodeProcess[] = [];
  try {
    step("chain, deployment and IPFS ready");
    const provider = stack.accounts[3]!;
    const { resourceId } = await listResource(stack, provider);
    nodes.push(
      ...(await nodeProcesses(
        stack,
        [
          { name: "a", key: LOCAL_ORACLE_KEY as Hex, provision: true },
          { name: "b", key: generatePrivateKey(), provision: false },
          { name: "c", key: generatePrivateKey(), provision: false },
        ],
        [provider],
      )),
    );
    await pass(
      { deployment: stack.deployment, rpcUrl: stack.rpcUrl, account: stack.accounts[0]!, log: () => {} },
      { add: `${nodes[1]!.address},${nodes[2]!.address}`, quorum: "2" },
      stack.accounts.slice(0, 10),
    );
    for (const node of nodes) node.start();
    for (const node of nodes) await node.healthy();
    step("three nodes up, quorum 2");

    const latencies: number[] = [];
    const bookingIds: bigint[] = [];
    for (let i = 0; i < LATENCY_BOOKINGS; i++) {
      const booked = await book(stack, stack.accounts[4 + (i % 10)]!, resourceId);
      const mined = Date.now();
      await activated(stack, booked.bookingId);
      latencies.push(Date.now() - mined);
      bookingIds.push(booked.bookingId);
    }
    step(`booking → Active over ${LATENCY_BOOKINGS} bookings: p50 ${percentile(latencies, 50)} ms`);

    // Period 0 of every booking ends; the nodes measure until then and report it together.
    await new Promise((r) => setTimeout(r, 10_000));
    const streams = await Promise.all(bookingIds.map((id) => streamOf(stack, id)));
    const latestStart = Math.max(...streams.map((s) => Number(s.startedAt)));
    const { timestamp } = await stack.publicClient.getBlock();
    await advanceChain(stack, latestStart + 61 - Number(timestamp));
    const settled = await waitFor(
      "every first period to settle",
      async () => {
        const events = await settledEvents(stack, bookingIds, 0);
        return events.length === bookingIds.length ? events : undefined;
      },
      180_000,
    );
    const reportGasPerBookingPeriod = await gasPerReport(stack, settled);
    for (const node of nodes) await node.stop();

    const probes = nodes.map((node) => {
      const file = readdirSync(node.dataDir).find((f) => f.endsWith(".sqlite"))!;
      const store = new Store(join(node.dataDir, file));
      const counts = bookingIds.map((id, i) => {
        const { start, end } = periodBounds(
          Number(streams[i]!.startedAt),
          Number(streams[i]!.endsAt),
          stack.deployment.settings.slaPeriodSeconds,
          0,
        );
        return store.samples.between(String(id), start * 1000, end * 1000).length;
      });
      store.close();
      return counts;
    });
    const minProbesPerBookingPeriod = Math.min(...probes.flat());
    const minNodesProbingPerBookingPeriod = Math.min(
      ...bookingIds.map((_, i) => probes.filter((counts) => counts[i]! > 0).length),
    );
    step(`probes per booking-period by each node: least ${minProbesPerBookingPeriod}`);
    return {
      nodes: nodes.length,
      quorum: 2,
      confirmP50Ms: percentile(latencies, 50),
      confirmP95Ms: percentile(latencies, 95),
      minProbesPerBookingPeriod,
      minNodesProbingPerBookingPeriod,
      reportGasPerBookingPeriod,
    };
  } finally {
    for (const node of nodes) await node.stop();
    await stack.stop();
  }
}

/** Part 2: one node, bookings added in steps until a period is not fully probed and reported. */
async function measureCapacity(network: object) {
  const stack = await startStack();
  let running: NodeProcess | undefined;
  const steps: { bookings: number; cpuPercent: number; rssMb: number; maxReportDelaySeconds: number }[] = [];
  let breaksAt: { bookings: number; why: string } | undefined;
  try {
    await stack.rpc("evm_setAutomine", [false]);
    await stack.rpc("evm_setIntervalMining", [1_000]);
    const provider = stack.accounts[15]!;
    const { resourceId } = await listResource(stack, provider, undefined, { capacity: Math.max(...STEPS) });
    const [node] = (await nodeProcesses(
      stack,
      [{ name: "capacity", key: LOCAL_ORACLE_KEY as Hex, provision: true }],
      [provider],
      {
        chain: { confirmations: 0, pollIntervalMs: 500 },
        probes: { intervalMs: 5_000, timeoutMs: 2_000, concurrency: 400 },
        provisioning: { concurrency: 64, retryInitialDelayMs: 500, retryMaxDelayMs: 5_000 },
        reporting: {
          delaySeconds: 3,
          windowMarginSeconds: 30,
          batchSize: 250,
          maxBatchWaitSeconds: 30,
          attestations: false,
        },
        tx: { receiptPollMs: 250, bumpAfterMs: 30_000 },
        adapters: { local: { workloadsPerHost: 100 } },
        log: { level: "warn" },
      },
    )) as [NodeProcess];
    running = node;
    node.start();
    await node.healthy();
    const booker = await bookingSender(stack, resourceId);
    const bookingIds: bigint[] = [];
    for (const level of STEPS) {
      step(`capacity: booking up to ${level}`);
      bookingIds.push(...(await booker(level - bookingIds.length)));
      const activeBy = await waitFor(
        `${level} bookings to be active`,
        async () => {
          const health = await node.healthy();
          return ((health.bookings as Record<string, number>).active ?? 0) >= level ? Date.now() : undefined;
        },
        1_800_000,
      ).catch(() => undefined);
      if (!activeBy) {
        breaksAt = { bookings: level, why: "not every booking was provisioned and confirmed within 30 minutes" };
        break;
      }
      // The first period that starts after every booking is active, per booking.
      const { timestamp: now } = await patientClient(stack).getBlock();
      const streams = await Promise.all(bookingIds.map((id) => streamOf(stack, id)));
      const periodSeconds = stack.deployment.settings.slaPeriodSeconds;
      const periods = streams.map((s) => Math.ceil((Number(now) - Number(s.startedAt)) / periodSeconds));
      const lastEnd = Math.max(...streams.map((s, i) => Number(s.startedAt) + (periods[i]! + 1) * periodSeconds));
      const fromBlock = await patientClient(stack).getBlockNumber();
      const before = node.usage();
      const beforeMs = Date.now();
      let peakRss = before.rssMb;
      await waitFor(
        "the measured period to end",
        async () => {
          peakRss = Math.max(peakRss, node.usage().rssMb);
          return Number((await patientClient(stack).getBlock()).timestamp) > lastEnd ? true : undefined;
        },
        10 * periodSeconds * 1000,
      );
      const cpuPercent = Math.round(
        ((node.usage().cpuSeconds - before.cpuSeconds) / ((Date.now() - beforeMs) / 1000)) * 100,
      );
      // Reported on time: settled before the report window closes, with the node's own probes.
      const deadline = lastEnd + stack.deployment.settings.reportWindowSeconds;
      const missing = await waitFor(
        "the period to be reported",
        async () => {
          const events = await settledEvents(stack, bookingIds, periods, fromBlock);
          const probed = events.filter((e) => (e.args.sampleCount as number) > 0);
          if (probed.length === bookingIds.length) return { events: probed, count: 0 };
          const chainNow = Number((await patientClient(stack).getBlock()).timestamp);
          return chainNow >= deadline ? { events: probed, count: bookingIds.length - probed.length } : undefined;
        },
        (stack.deployment.settings.reportWindowSeconds + 60) * 1000,
      );
      if (missing.count > 0) {
        breaksAt = {
          bookings: level,
          why: `${missing.count} booking-periods not probed and reported before the window closed`,
        };
        break;
      }
      const maxReportDelaySeconds = await maxDelay(stack, missing.events, streams, periods, bookingIds);
      steps.push({ bookings: level, cpuPercent, rssMb: Math.round(peakRss), maxReportDelaySeconds });
      step(
        `capacity: ${level} bookings, every period probed and reported; CPU ${cpuPercent} %, RSS ${Math.round(peakRss)} MB`,
      );
      writeResult({
        ...network,
        maxBookingsPerNode: level,
        cpuPercentAtMax: cpuPercent,
        rssMbAtMax: Math.round(peakRss),
        capacitySteps: steps,
      });
    }
  } finally {
    await running?.stop();
    await stack.stop();
  }
  const best = steps.at(-1);
  return {
    maxBookingsPerNode: best?.bookings ?? 0,
    cpuPercentAtMax: best?.cpuPercent ?? null,
    rssMbAtMax: best?.rssMb ?? null,
    steps,
    breaksAt,
  };
}

/** Sends bookings of one hour from ten consumers, in ETH, and returns their ids once mined. */
async function bookingSender(stack: Stack, resourceId: bigint) {
  const consumers = stack.accounts.slice(5, 15);
  const keys = new Map<Address, Hex>();
  for (const consumer of consumers) {
    const signature = await stack
      .wallet(consumer)
      .signMessage({ message: accessKeyMessage(stack.deployment.chainId, consumer) });
    keys.set(consumer, deriveAccessKeyPair(signature).publicKeyHex);
  }
  const [price] = await stack.publicClient.readContract({
    address: stack.deployment.contracts.PriceOracle.proxy as Address,
    abi: priceOracleAbi,
    functionName: "quote",
    args: [ETH, 100_000_000n],
  });
  let sent = 0;
  return async (count: number): Promise<bigint[]> => {
    const hashes: Hex[] = [];
    for (let i = 0; i < count; i++) {
      const consumer = consumers[sent++ % consumers.length]!;
      hashes.push(
        await stack.wallet(consumer).writeContract({
          chain: null,
          address: stack.deployment.contracts.ResourceMarketplace.proxy as Address,
          abi: resourceMarketplaceAbi,
          functionName: "book",
          // No minimum SLA: the bench's consumers accept any terms.
          args: [resourceId, 1, ETH, price, { uptimeTargetBps: 0, maxLatencyMs: 0 }, keys.get(consumer)!],
          value: price,
        }),
      );
    }
    const ids: bigint[] = [];
    for (const hash of hashes) {
      const receipt = await patientClient(stack).waitForTransactionReceipt({ hash, timeout: 600_000 });
      const [event] = parseEventLogs({
        abi: resourceMarketplaceAbi,
        logs: receipt.logs,
        eventName: "BookingRequested",
      });
      ids.push(event!.args.bookingId);
    }
    return ids;
  };
}

function streamOf(stack: Stack, bookingId: bigint) {
  return patientClient(stack).readContract({
    address: stack.deployment.contracts.EscrowManager.proxy as Address,
    abi: escrowManagerAbi,
    functionName: "streamOf",
    args: [bookingId],
  });
}

/** Settled periods of the given bookings since `fromBlock`, for `period` (one for all, or one per booking). */
async function settledEvents(stack: Stack, bookingIds: bigint[], period: number | number[], fromBlock = 0n) {
  const events = await patientClient(stack).getContractEvents({
    address: stack.deployment.contracts.SLAEnforcement.proxy as Address,
    abi: sLAEnforcementAbi,
    eventName: "SlaPeriodsSettled",
    fromBlock,
    toBlock: "latest",
  });
  const wanted = new Map(bookingIds.map((id, i) => [id, typeof period === "number" ? period : period[i]!]));
  return events.flatMap((e) => {
    const { bookingId, firstPeriod } = e.args;
    const offset = wanted.get(bookingId!)! - firstPeriod!;
    const settled = settledPeriods(e.args as Parameters<typeof settledPeriods>[0])[offset];
    if (offset < 0 || !settled) return [];
    const args = { bookingId: bookingId!, sampleCount: settled.sampleCount };
    return [{ blockNumber: e.blockNumber, transactionHash: e.transactionHash, args }];
  });
}

/** A client that waits for a chain busy with thousands of bookings. */
function patientClient(stack: Stack): PublicClient {
  let client = patientClients.get(stack);
  if (!client) {
    client = createPublicClient({ transport: http(stack.rpcUrl, { timeout: 120_000, retryCount: 5 }) });
    patientClients.set(stack, client);
  }
  return client;
}

/** Gas of the report transactions per period they settled. */
async function gasPerReport(stack: Stack, events: { transactionHash: Hex }[]): Promise<number> {
  let gas = 0n;
  let periods = 0;
  for (const hash of new Set(events.map((e) => e.transactionHash))) {
    const receipt = await stack.publicClient.getTransactionReceipt({ hash });
    const all = parseEventLogs({ abi: sLAEnforcementAbi, logs: receipt.logs, eventName: "SlaPeriodsSettled" });
    gas += receipt.gasUsed;
    periods += all.reduce((n, e) => n + e.args.figures.length, 0);
  }
  return Math.round(Number(gas) / periods);
}

/** The longest wait, in chain seconds, from a period's end to its settlement. */
async function maxDelay(
  stack: Stack,
  events: { blockNumber: bigint; args: { bookingId?: bigint } }[],
  streams: { startedAt: number; endsAt: number }[],
  periods: number[],
  bookingIds: bigint[],
): Promise<number> {
  const index = new Map(bookingIds.map((id, i) => [id, i]));
  const times = new Map<bigint, number>();
  let longest = 0;
  for (const e of events) {
    if (!times.has(e.blockNumber)) {
      times.set(e.blockNumber, Number((await patientClient(stack).getBlock({ blockNumber: e.blockNumber })).timestamp));
    }
    const i = index.get(e.args.bookingId!)!;
    const { end } = periodBounds(
      Number(streams[i]!.startedAt),
      Number(streams[i]!.endsAt),
      stack.deployment.settings.slaPeriodSeconds,
      periods[i]!,
    );
    longest = Math.max(longest, times.get(e.blockNumber)! - end);
  }
  return longest;
}

// Booking → storage ready, on the object storage emulators: merged into the same file.
await import("./storage.ts");
