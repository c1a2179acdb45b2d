/**
 * `npm run bench:oracle`: the oracle node against a real Hardhat node (deployed by
 * scripts/deploy.ts) and the local IPFS node, with the local adapter. Starts everything it needs.
 *
 * 1. Provisioning latency: bookings made one at a time on an automining chain; from the booking's
 *    receipt to the confirmation being mined (the booking reads Active), wall clock.
 * 2. Scale: BENCH_BOOKINGS (default 1000) concurrent bookings on a chain mining a block a second
 *    (like an L2), one node provisioning, probing and reporting them all; counts the bookings whose
 *    first SLA period was measured and settled on chain, and the gas of the report batches per
 *    booking-period.
 *
 * Prints a table and writes bench-results/oracle.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { type Address, parseEventLogs } from "viem";

import { accessKeyMessage, deriveAccessKeyPair } from "@d-cloudx/sdk";
import { priceOracleAbi, resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { OracleNode } from "../src/node.ts";
import {
  REPOSITORY,
  book,
  bookingStatus,
  listResource,
  startStack,
  testConfig,
  waitFor,
} from "../test/helpers/stack.ts";
import { createLogger } from "../src/log.ts";
import { percentile } from "../src/measure/aggregate.ts";

const LATENCY_BOOKINGS = Number(process.env.BENCH_LATENCY_BOOKINGS ?? 40);
const BOOKINGS = Number(process.env.BENCH_BOOKINGS ?? 1000);
const TARGETS = { provisionP95Ms: 3_000, bookingsMonitored: 1_000, reportGasPerBookingPeriod: 30_000 };
const ACTIVE = 2;
const log = createLogger("error");
const started = Date.now();
const stack = await startStack();
const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${text}`);

try {
  step("chain, deployment and IPFS ready");
  // --- 1. Provisioning latency --------------------------------------------------------------------
  const latencyProvider = stack.accounts[3]!;
  const { resourceId: latencyResource } = await listResource(stack, latencyProvider);
  const latencyNode = await OracleNode.start(
    testConfig(stack, mkdtempSync(join(stack.workDir, "latency-")), {
      serve: { providers: [latencyProvider] },
      reporting: { attestations: false },
    }),
    { logger: log },
  );
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_BOOKINGS; i++) {
    const booked = await book(stack, stack.accounts[4 + (i % 10)]!, latencyResource);
    const mined = Date.now();
    await waitFor(
      "activation",
      async () => (await bookingStatus(stack, booked.bookingId)) === ACTIVE || undefined,
      30_000,
    );
    latencies.push(Date.now() - mined);
  }
  const latencyBookings = latencyNode.db.all<{ id: string }>("SELECT id FROM bookings").map((r) => BigInt(r.id));
  await latencyNode.stop();
  for (const id of latencyBookings) await latencyNode.registry.for("local").deprovision(id);
  const provisionP50Ms = percentile(latencies, 50);
  const provisionP95Ms = percentile(latencies, 95);
  step(`provisioning latency over ${LATENCY_BOOKINGS} bookings: p50 ${provisionP50Ms} ms, p95 ${provisionP95Ms} ms`);

  // --- 2. Many bookings on one node -----------------------------------------------------------------
  await stack.rpc("evm_setAutomine", [false]);
  await stack.rpc("evm_setIntervalMining", [1_000]);
  const provider = stack.accounts[15]!;
  const { resourceId } = await listResource(stack, provider, undefined, { capacity: BOOKINGS });
  const node = await OracleNode.start(
    testConfig(stack, mkdtempSync(join(stack.workDir, "scale-")), {
      serve: { providers: [provider] },
      probes: { intervalMs: 5_000, timeoutMs: 2_000, concurrency: 200 },
      provisioning: { concurrency: 64 },
      reporting: {
        delaySeconds: 3,
        windowMarginSeconds: 30,
        batchSize: 250,
        maxBatchWaitSeconds: 60,
        attestations: false,
      },
      tx: { receiptPollMs: 250, bumpAfterMs: 30_000 },
      adapters: { local: { workloadsPerHost: 100 } },
    }),
    { logger: log },
  );
  const consumers = stack.accounts.slice(5, 15);
  const keys = new Map<Address, `0x${string}`>();
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
    args: ["0x0000000000000000000000000000000000000000", 100_000_000n],
  });
  const hashes: `0x${string}`[] = [];
  for (let i = 0; i < BOOKINGS; i++) {
    const consumer = consumers[i % consumers.length]!;
    hashes.push(
      await stack.wallet(consumer).writeContract({
        chain: null,
        address: stack.deployment.contracts.ResourceMarketplace.proxy as Address,
        abi: resourceMarketplaceAbi,
        functionName: "book",
        // No minimum SLA: the bench's consumers accept any terms.
        args: [
          resourceId,
          1,
          "0x0000000000000000000000000000000000000000",
          price,
          { uptimeTargetBps: 0, maxLatencyMs: 0 },
          keys.get(consumer)!,
        ],
        value: price,
      }),
    );
  }
  const bookingIds: bigint[] = [];
  for (const hash of hashes) {
    const receipt = await stack.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: resourceMarketplaceAbi, logs: receipt.logs, eventName: "BookingRequested" });
    bookingIds.push(event!.args.bookingId);
  }
  step(`${BOOKINGS} bookings made`);
  const activeCount = () => node.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM bookings WHERE stage = 'active'")!.n;
  await waitFor(`${BOOKINGS} bookings to be active`, () => (activeCount() >= BOOKINGS ? true : undefined), 600_000);
  step(`${BOOKINGS} bookings provisioned and confirmed; measuring their first period`);

  const settled = async () => {
    const logs = await stack.publicClient.getLogs({
      address: stack.deployment.contracts.SLAEnforcement.proxy as Address,
      fromBlock: 0n,
      toBlock: "latest",
    });
    const ours = new Set(bookingIds);
    return parseEventLogs({ abi: sLAEnforcementAbi, logs, eventName: "SlaPeriodSettled" }).filter(
      (e) => ours.has(e.args.bookingId) && e.args.period === 0,
    );
  };
  await waitFor(
    "every first period to be reported",
    async () => ((await settled()).length >= BOOKINGS ? true : undefined),
    600_000,
  );
  const reports = await settled();
  await waitFor("the node to record its report transactions", () =>
    node.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM txs WHERE key LIKE 'reports-%' AND state IN ('queued', 'sent')",
    )!.n === 0
      ? true
      : undefined,
  );
  const batches = node.db.all<{ gas_used: string; key: string }>(
    "SELECT gas_used, key FROM txs WHERE key LIKE 'reports-%' AND state = 'mined' AND success = 1",
  );
  const reportGas = batches.reduce((sum, b) => sum + Number(b.gas_used), 0);
  const reportsInBatches = node.db.get<{ n: number }>(
    "SELECT COUNT(*) AS n FROM reports WHERE tx_key IN (SELECT key FROM txs WHERE key LIKE 'reports-%' AND success = 1)",
  )!.n;
  const bookingsMonitored = new Set(reports.filter((r) => r.args.sampleCount > 0).map((r) => r.args.bookingId)).size;
  const reportGasPerBookingPeriod = Math.round(reportGas / reportsInBatches);
  const samples = reports.map((r) => r.args.sampleCount);
  step(
    `${bookingsMonitored} first periods settled in ${batches.length} batches; samples per period ${Math.min(...samples)}–${Math.max(...samples)}`,
  );
  await node.stop();
  for (const id of bookingIds) await node.registry.for("local").deprovision(id);

  const result = { provisionP50Ms, provisionP95Ms, bookingsMonitored, reportGasPerBookingPeriod };
  console.log();
  console.table({
    "provisioning latency p50 (ms)": { value: provisionP50Ms, target: "" },
    "provisioning latency p95 (ms)": { value: provisionP95Ms, target: `≤ ${TARGETS.provisionP95Ms}` },
    "bookings measured and reported, one node": { value: bookingsMonitored, target: `≥ ${TARGETS.bookingsMonitored}` },
    "report gas per booking-period": {
      value: reportGasPerBookingPeriod,
      target: `≤ ${TARGETS.reportGasPerBookingPeriod}`,
    },
  });
  mkdirSync(join(REPOSITORY, "bench-results"), { recursive: true });
  writeFileSync(join(REPOSITORY, "bench-results", "oracle.json"), JSON.stringify(result, null, 2) + "\n");
  console.log("Wrote bench-results/oracle.json");
} finally {
  await stack.stop();
}
