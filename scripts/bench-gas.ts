/**
 * Gas per operation of the core contracts, on the in-process chain, in steady state (warm-up
 * bookings run first, so no measurement pays for the first booking ever). Prints a table and writes
 * bench-results/gas.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";

import hre from "hardhat";

import { slaDomain, slaReportTypes } from "@d-cloudx/sdk";
import { LOCAL_SETTINGS, deployCore } from "./lib/core.ts";
import { deployLocalPaymentTokens } from "./lib/local-tokens.ts";

const TARGETS: Record<string, number> = {
  listResource: 130_000,
  bookEth: 120_000,
  bookErc20: 135_000,
  confirmProvisioning: 70_000,
  reportSlaBatch20PerBooking: 30_000,
  withdrawProvider: 60_000,
};

const connection = await hre.network.connect();
const { ethers, networkHelpers } = connection;
const [admin, treasury, guardian, oracle, provider, consumer] = await ethers.getSigners();
const settings = LOCAL_SETTINGS;
const { contracts } = await deployCore(
  hre,
  connection,
  { admin: admin.address, treasury: treasury.address, guardian: guardian.address, oracles: [oracle.address] },
  settings,
);
const { marketplace, escrow, sla, priceOracle } = contracts;
const tokens = await deployLocalPaymentTokens(connection, priceOracle);
const usdc = tokens.find((t) => t.symbol === "USDC")!;
const escrowAddress = await escrow.getAddress();
const chainId = (await ethers.provider.getNetwork()).chainId;
/** ethers wants mutable type arrays. */
const ethersTypes = { SlaReport: [...slaReportTypes.SlaReport] };
const domain = slaDomain(chainId, await sla.getAddress());
const key = ethers.hexlify(ethers.randomBytes(32));
const cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

await (await marketplace.connect(provider).registerProvider(cid)).wait();
const terms = {
  pricePerHourUsdE8: 150_000_000n,
  capacity: 1_000,
  minHours: 1,
  maxHours: 720,
  uptimeTargetBps: 9_950,
  maxLatencyMs: 250,
  acceptedTokens: tokens.map((t) => t.address),
};
const listing = { metadataCid: cid, region: "eu-west-1", kind: 0, terms };

const gas: Record<string, number> = {};
async function measure(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const receipt = await (await tx).wait();
  return Number(receipt!.gasUsed);
}

await (await marketplace.connect(provider).listResource(listing)).wait();
gas.listResource = await measure(marketplace.connect(provider).listResource(listing));
const resourceId = await marketplace.resourceCount();

await usdc.token!.mint(consumer.address, 10n ** 15n);
const hours = 2;
async function bookEth(): Promise<number> {
  const [price] = await priceOracle.quote(ethers.ZeroAddress, terms.pricePerHourUsdE8 * BigInt(hours));
  return measure(
    marketplace.connect(consumer).book(resourceId, hours, ethers.ZeroAddress, price, key, { value: price }),
  );
}
async function bookErc20(): Promise<number> {
  const [price] = await priceOracle.quote(usdc.address, terms.pricePerHourUsdE8 * BigInt(hours));
  await (await usdc.token!.connect(consumer).approve(escrowAddress, price)).wait();
  return measure(marketplace.connect(consumer).book(resourceId, hours, usdc.address, price, key));
}

// Warm-up: earlier bookings in both tokens.
for (let i = 0; i < 3; ++i) {
  await bookEth();
  await bookErc20();
}
gas.bookEth = await bookEth();
gas.bookErc20 = await bookErc20();

// Active bookings for reports and withdrawals.
const batch: bigint[] = [];
for (let i = 0; i < 20; ++i) {
  await bookEth();
  batch.push(await marketplace.bookingCount());
}
const warmupIds = Array.from({ length: 8 }, (_, i) => BigInt(i + 1));
for (const id of warmupIds) await (await marketplace.connect(oracle).confirmProvisioning(id, cid)).wait();
const confirmGas: number[] = [];
for (const id of batch) confirmGas.push(await measure(marketplace.connect(oracle).confirmProvisioning(id, cid)));
gas.confirmProvisioning = Math.round(confirmGas.reduce((a, b) => a + b) / confirmGas.length);

await networkHelpers.time.increase(settings.slaPeriodSeconds + 1);
async function reports(ids: bigint[], period: number) {
  const list = ids.map((bookingId) => ({ bookingId, period, uptimeBps: 10_000, p95LatencyMs: 40, sampleCount: 60 }));
  const signatures = await Promise.all(list.map(async (r) => [await oracle.signTypedData(domain, ethersTypes, r)]));
  return { list, signatures };
}
{
  const warm = await reports(warmupIds, 0);
  await (await sla.submitReports(warm.list, warm.signatures)).wait();
  const { list, signatures } = await reports(batch, 0);
  gas.reportSlaBatch20PerBooking = Math.round((await measure(sla.submitReports(list, signatures))) / batch.length);
}

await (await escrow.connect(provider).withdrawEarnings(warmupIds[0]!)).wait();
gas.withdrawProvider = await measure(escrow.connect(provider).withdrawEarnings(batch[0]!));
gas.withdrawProviderBatch10PerBooking = Math.round(
  (await measure(escrow.connect(provider).withdrawEarningsBatch(batch.slice(1, 11)))) / 10,
);

await bookEth();
gas.cancelBooking = await measure(marketplace.connect(consumer).cancelBooking(await marketplace.bookingCount()));

await networkHelpers.time.increase(hours * 3_600);
await (await marketplace.completeBooking(warmupIds[0]!)).wait();
gas.completeBooking = await measure(marketplace.completeBooking(batch[0]!));

const rows = Object.entries(gas).map(([operation, used]) => {
  const target = TARGETS[operation];
  return {
    operation,
    gas: used,
    target: target ?? "",
    status: target === undefined ? "" : used <= target ? "ok" : "OVER",
  };
});
console.table(rows);
mkdirSync("bench-results", { recursive: true });
writeFileSync(
  "bench-results/gas.json",
  JSON.stringify({ operations: gas, targets: TARGETS, settings: { oracleQuorum: settings.oracleQuorum } }, null, 2) +
    "\n",
);
console.log("wrote bench-results/gas.json");
