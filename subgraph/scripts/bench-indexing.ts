/**
 * `npm run bench:indexing [-- N]`: how long a booking takes to reach graph-node's GraphQL API.
 *
 * Uses the chain, IPFS node, PostgreSQL and graph-node already running on the configured ports
 * (CHAIN_PORT, IPFS_API_PORT, POSTGRES_PORT, GRAPH_*_PORT) and starts those that are not, stopping
 * them at the end. Submits N bookings (default 200, or BENCH_BOOKINGS) at a steady BENCH_RATE per
 * second (default 10) and measures for each the time from its transaction being mined (a block
 * per transaction on the local chain) to the booking being visible in GraphQL: p50/p95/max. Then
 * submits N more back to back, as fast as the chain mines them, for the indexing throughput in
 * events per second. Writes bench-results/indexing.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { Interface, ZeroAddress } from "ethers";

import { priceOracleAbi, resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";

import { rpc } from "@d-cloudx/devstack/chain";
import { startStack } from "@d-cloudx/devstack/stack";

const REPOSITORY = fileURLToPath(new URL("../../", import.meta.url));
const count = Number(process.argv[2] ?? process.env.BENCH_BOOKINGS ?? 200);
if (!Number.isInteger(count) || count < 1) throw new Error(`Not a number of bookings: ${process.argv[2]}`);
const rate = Number(process.env.BENCH_RATE ?? 10);
if (!(rate > 0)) throw new Error(`BENCH_RATE must be a positive number of bookings per second`);

const PRICE_PER_HOUR_USD_E8 = 100_000_000n;
const KEY = "0x" + "cd".repeat(32);
const marketplaceAbi = new Interface(resourceMarketplaceAbi);
const oracleAbi = new Interface(priceOracleAbi);

interface Receipt {
  status: string;
  blockNumber: string;
  logs: { topics: string[] }[];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const stack = await startStack({
  dataDir: `${REPOSITORY}.data`,
  mode: "shared",
  log: (message) => console.log(message),
});
try {
  const { rpcUrl, deployment, graphNode } = stack;
  const marketplace = deployment.contracts.ResourceMarketplace.proxy;
  const accounts = await rpc<string[]>(rpcUrl, "eth_accounts");
  // #0–#2 hold protocol roles; the provider and the consumers are accounts nobody else uses here.
  const provider = accounts[9]!;
  const consumers = accounts.slice(10, 20);

  /** Sends a transaction from an unlocked account; the local chain mines it at once. */
  async function send(from: string, data: string, value = 0n): Promise<Receipt> {
    const hash = await rpc<string>(rpcUrl, "eth_sendTransaction", [
      { from, to: marketplace, data, value: `0x${value.toString(16)}`, gas: "0x1e8480" },
    ]);
    const receipt = await rpc<Receipt>(rpcUrl, "eth_getTransactionReceipt", [hash]);
    if (receipt?.status !== "0x1") throw new Error(`Transaction ${hash} failed`);
    return receipt;
  }

  const registered = await rpc<string>(rpcUrl, "eth_call", [
    { to: marketplace, data: marketplaceAbi.encodeFunctionData("providerRegisteredAt", [provider]) },
    "latest",
  ]);
  if (BigInt(registered) === 0n) {
    await send(provider, marketplaceAbi.encodeFunctionData("registerProvider", ["bafkreibench"]));
  }
  const terms = {
    pricePerHourUsdE8: PRICE_PER_HOUR_USD_E8,
    capacity: 65_535,
    minHours: 1,
    maxHours: 24,
    uptimeTargetBps: 9_900,
    maxLatencyMs: 0,
    acceptedTokens: [ZeroAddress],
  };
  const listing = await send(
    provider,
    marketplaceAbi.encodeFunctionData("listResource", [
      { metadataCid: "bafkreibenchmarkresource", region: "bench-1", kind: 0, terms },
    ]),
  );
  const listed = marketplaceAbi.parseLog(listing.logs.find((log) => log.topics.length > 0) as never)!;
  const resourceId = listed.args.getValue("resourceId") as bigint;
  const [amount] = oracleAbi.decodeFunctionResult(
    "quote",
    await rpc<string>(rpcUrl, "eth_call", [
      {
        to: deployment.contracts.PriceOracle.proxy,
        data: oracleAbi.encodeFunctionData("quote", [ZeroAddress, PRICE_PER_HOUR_USD_E8]),
      },
      "latest",
    ]),
  ) as unknown as [bigint];
  await graphNode.waitUntilSynced();

  // Watch GraphQL for new bookings while they are submitted.
  const seenAt = new Map<string, number>();
  let lastSeen = "0";
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const { bookings } = await graphNode.query<{ bookings: { id: string }[] }>(
        `{ bookings(first: 1000, orderBy: id, where: { id_gt: "${lastSeen}" }) { id } }`,
      );
      const now = performance.now();
      for (const { id } of bookings) {
        if (!seenAt.has(id)) seenAt.set(id, now);
        lastSeen = id;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();

  /**
   * Submits `n` bookings, `perSecond` per second (Infinity: each as soon as the previous one is
   * mined), and waits until all are visible. Returns, per booking, when it was mined and seen.
   */
  async function run(n: number, perSecond: number): Promise<{ mined: number; seen: number }[]> {
    const mined = new Map<string, number>();
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const due = start + (i * 1000) / perSecond;
      if (performance.now() < due) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
      const receipt = await send(
        consumers[i % consumers.length]!,
        marketplaceAbi.encodeFunctionData("book", [resourceId, 1, ZeroAddress, amount, KEY]),
        amount,
      );
      const minedAt = performance.now();
      const booked = receipt.logs
        .map((log) => marketplaceAbi.parseLog(log as never))
        .find((event) => event?.name === "BookingRequested")!;
      mined.set(String(booked.args.getValue("bookingId")), minedAt);
    }
    const deadline = performance.now() + 120_000;
    while ([...mined.keys()].some((id) => !seenAt.has(id)) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const missing = [...mined.keys()].filter((id) => !seenAt.has(id));
    if (missing.length > 0) throw new Error(`${missing.length} bookings never appeared in GraphQL`);
    return [...mined].map(([id, at]) => ({ mined: at, seen: seenAt.get(id)! }));
  }

  let result;
  try {
    console.log(`Latency: ${count} bookings at ${rate} per second…`);
    const steady = await run(count, rate);
    console.log(`Throughput: ${count} bookings, each sent as soon as the previous one is mined…`);
    const burst = await run(count, Infinity);
    const latencies = steady.map((b) => b.seen - b.mined).sort((a, b) => a - b);
    const burstTime = Math.max(...burst.map((b) => b.seen)) - Math.min(...burst.map((b) => b.mined));
    result = {
      bookings: count,
      p50Ms: Math.round(percentile(latencies, 50)),
      p95Ms: Math.round(percentile(latencies, 95)),
      maxMs: Math.round(latencies.at(-1)!),
      eventsPerSecond: Math.round((count / burstTime) * 1000 * 10) / 10,
    };
  } finally {
    watching = false;
    await watcher;
  }
  console.log(`\nTransaction mined → booking visible in GraphQL, ${count} bookings at ${rate} per second:`);
  console.table({ p50: `${result.p50Ms} ms`, p95: `${result.p95Ms} ms`, max: `${result.maxMs} ms` });
  console.log(`Indexing throughput, ${count} bookings back to back: ${result.eventsPerSecond} events per second`);
  mkdirSync(`${REPOSITORY}bench-results`, { recursive: true });
  writeFileSync(`${REPOSITORY}bench-results/indexing.json`, JSON.stringify(result, null, 2) + "\n");
  console.log("Wrote bench-results/indexing.json");
} finally {
  await stack.stop();
  if (stack.started.length > 0) console.log(`Stopped ${stack.started.join(", ")}`);
}
