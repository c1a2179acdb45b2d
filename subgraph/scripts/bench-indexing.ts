/**
 * `npm run bench:indexing [-- N]`: how fast graph-node indexes D-CloudX, in three phases.
 *
 * 1. Latency: N bookings (default 200, or BENCH_BOOKINGS) at a steady BENCH_RATE per second
 *    (default 10), each timed from its transaction being mined (a block per transaction) to the
 *    booking being visible in GraphQL: p50/p95/max.
 * 2. The indexer's own throughput: with the subgraph paused, BENCH_SCALE_BOOKINGS bookings (default
 *    20,000) are put on chain, many to a block; the subgraph is resumed and timed until it has
 *    indexed them all: events per second, with the events already on chain.
 * 3. Latency again, with those bookings indexed: how the cost grows with the data.
 *
 * Uses the chain, IPFS node, PostgreSQL and graph-node running on the configured ports (CHAIN_PORT,
 * IPFS_API_PORT, POSTGRES_PORT, GRAPH_*_PORT) and starts those that are not, stopping them at the
 * end. Prints the machine and its load; writes bench-results/indexing.json, and fails if a phase
 * produced no figure.
 */
import { Interface, ZeroAddress } from "ethers";

import {
  REPOSITORY,
  describeContext,
  machineContext,
  percentile,
  rpc,
  startStack,
  stopOnSignals,
  writeBenchResult,
} from "@d-cloudx/devstack";
import { priceOracleAbi, resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";

const positive = (name: string, text: string | undefined, fallback: number) => {
  const value = Number(text ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, not ${text}`);
  return value;
};
const count = positive("The number of bookings", process.argv[2] ?? process.env.BENCH_BOOKINGS, 200);
const rate = positive("BENCH_RATE", process.env.BENCH_RATE, 10);
const scaleCount = positive("BENCH_SCALE_BOOKINGS", process.env.BENCH_SCALE_BOOKINGS, 20_000);

const PRICE_PER_HOUR_USD_E8 = 100_000_000n;
const KEY = "0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170";
/** Enough for a booking; lets a block hold dozens of them. */
const BOOKING_GAS = "0x61a80";
const marketplaceAbi = new Interface(resourceMarketplaceAbi);
const oracleAbi = new Interface(priceOracleAbi);

interface Receipt {
  status: string;
  blockNumber: string;
  logs: { topics: string[] }[];
}

const before = machineContext();
console.log(`Machine: ${describeContext(before)}`);
const stack = await startStack({ dataDir: `${REPOSITORY}.data`, mode: "shared", log: console.log });
stopOnSignals(stack.stop);
try {
  const { rpcUrl, deployment, graphNode } = stack;
  const marketplace = deployment.contracts.ResourceMarketplace.proxy;
  const accounts = await rpc<string[]>(rpcUrl, "eth_accounts");
  // #0–#2 hold protocol roles; the provider and the consumers are accounts nobody else uses here.
  const provider = accounts[9]!;
  const consumers = accounts.slice(10, 20);

  const transaction = (from: string, data: string, value = 0n) => ({
    from,
    to: marketplace,
    data,
    value: `0x${value.toString(16)}`,
    gas: BOOKING_GAS,
  });
  const receiptOf = (hash: string) => rpc<Receipt | null>(rpcUrl, "eth_getTransactionReceipt", [hash]);

  /** Sends a transaction from an unlocked account; the local chain mines it at once. */
  async function send(from: string, data: string, value = 0n): Promise<Receipt> {
    const hash = await rpc<string>(rpcUrl, "eth_sendTransaction", [transaction(from, data, value)]);
    const receipt = await receiptOf(hash);
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
  const bookingCall = marketplaceAbi.encodeFunctionData("book", [
    resourceId,
    1,
    ZeroAddress,
    amount,
    { uptimeTargetBps: 0, maxLatencyMs: 0 },
    KEY,
  ]);
  await graphNode.waitUntilSynced();

  /**
   * Submits `n` bookings at `perSecond` and returns each one's time from mined to visible in
   * GraphQL, polled every 10 ms for the bookings not yet seen.
   */
  async function latencies(n: number, perSecond: number): Promise<number[]> {
    const mined = new Map<string, number>();
    const seen = new Map<string, number>();
    let submitting = true;
    let deadline = Infinity;
    const watcher = (async () => {
      while ((submitting || seen.size < mined.size) && performance.now() < deadline) {
        const pending = [...mined.keys()].filter((id) => !seen.has(id)).slice(0, 100);
        if (pending.length > 0) {
          const { bookings } = await graphNode.query<{ bookings: { id: string }[] }>(
            `{ bookings(first: 100, where: { id_in: ${JSON.stringify(pending)} }) { id } }`,
          );
          const now = performance.now();
          for (const { id } of bookings) if (!seen.has(id)) seen.set(id, now);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const start = performance.now();
    try {
      for (let i = 0; i < n; i++) {
        const due = start + (i * 1000) / perSecond;
        if (performance.now() < due) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
        const receipt = await send(consumers[i % consumers.length]!, bookingCall, amount);
        const minedAt = performance.now();
        const booked = receipt.logs
          .map((log) => marketplaceAbi.parseLog(log as never))
          .find((event) => event?.name === "BookingRequested")!;
        mined.set(String(booked.args.getValue("bookingId")), minedAt);
      }
    } finally {
      submitting = false;
      deadline = performance.now() + 120_000;
    }
    await watcher;
    if (seen.size < n) throw new Error(`${n - seen.size} bookings never appeared in GraphQL within 2 minutes`);
    return [...mined].map(([id, at]) => seen.get(id)! - at).sort((a, b) => a - b);
  }

  const summary = (sorted: number[]) => ({
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    maxMs: Math.round(sorted.at(-1)!),
  });

  console.log(`\n1. Latency: ${count} bookings at ${rate} per second…`);
  const small = summary(await latencies(count, rate));
  console.table({ p50: `${small.p50Ms} ms`, p95: `${small.p95Ms} ms`, max: `${small.maxMs} ms` });

  console.log(`\n2. Indexer throughput: ${scaleCount} bookings on chain while the subgraph is paused…`);
  const deploymentId = (await graphNode.status()).subgraph;
  await graphNode.admin("subgraph_pause", { deployment: deploymentId });
  let headBefore: number;
  try {
    // Many bookings to a block, as a busy network has them.
    await rpc(rpcUrl, "evm_setAutomine", [false]);
    headBefore = Number(await rpc<string>(rpcUrl, "eth_blockNumber"));
    let last = "";
    for (let i = 0; i < scaleCount; i++) {
      last = await rpc<string>(rpcUrl, "eth_sendTransaction", [
        transaction(consumers[i % consumers.length]!, bookingCall, amount),
      ]);
      if ((i + 1) % 50 === 0) await rpc(rpcUrl, "evm_mine");
      if ((i + 1) % 2_000 === 0) console.log(`  ${i + 1} submitted`);
    }
    while (!(await receiptOf(last))) await rpc(rpcUrl, "evm_mine");
    if ((await receiptOf(last))!.status !== "0x1") throw new Error("A booking of the bulk failed");
  } finally {
    await rpc(rpcUrl, "evm_setAutomine", [true]);
  }
  const head = Number(await rpc<string>(rpcUrl, "eth_blockNumber"));
  const resumedAt = performance.now();
  await graphNode.admin("subgraph_resume", { deployment: deploymentId });
  await graphNode.waitUntilSynced({ block: head, timeoutMs: 1_800_000 });
  const indexSeconds = (performance.now() - resumedAt) / 1000;
  const eventsPerSecond = Math.round((scaleCount / indexSeconds) * 10) / 10;
  console.log(
    `  ${scaleCount} bookings in ${head - headBefore} blocks indexed in ${indexSeconds.toFixed(1)} s: ` +
      `${eventsPerSecond} events per second`,
  );

  console.log(`\n3. Latency with ${scaleCount} more bookings indexed: ${count} bookings at ${rate} per second…`);
  const scale = summary(await latencies(count, rate));
  console.table({ p50: `${scale.p50Ms} ms`, p95: `${scale.p95Ms} ms`, max: `${scale.maxMs} ms` });

  writeBenchResult(
    "indexing",
    {
      bookings: count,
      ratePerSecond: rate,
      ...small,
      eventsPerSecond,
      throughput: { bookings: scaleCount, blocks: head - headBefore, seconds: Math.round(indexSeconds * 10) / 10 },
      atScale: { bookingsIndexed: scaleCount + count, ...scale },
    },
    before,
  );
} finally {
  await stack.stop();
  if (stack.started.length > 0) console.log(`Stopped ${stack.started.join(", ")}`);
}
