/**
 * Gas per operation, on the in-process chain with the protocol deployed as scripts/deploy.ts deploys
 * it (rewards on, every admin role with the DAO), in steady state (warm-up bookings run first, so
 * no measurement pays for the first booking ever). Prints a table and writes bench-results/gas.json.
 */
import hre from "hardhat";

import { machineContext, writeBenchResult } from "@d-cloudx/devstack/bench";

import { permitTypes, provisioningTypes, slaDomain, slaReportTypes } from "@d-cloudx/sdk";
import { LOCAL_SETTINGS, PRODUCTION_SETTINGS, escrowSettings } from "./lib/core.ts";
import { VOTE_FOR, advanceTime } from "./lib/governance.ts";
import { deployProtocol, protocolRoles } from "./lib/protocol.ts";

const TARGETS: Record<string, number> = {
  listResource: 130_000,
  bookEth: 120_000,
  bookErc20: 135_000,
  confirmProvisioning: 70_000,
  reportSlaBatch20PerBooking: 30_000,
  reportSlaPerBookingPeriod24: 15_000,
  withdrawProvider: 60_000,
  extendBooking: 80_000,
  renew: 80_000,
};

// Gas depends on the compiler settings: only the production profile's figures are the deployed ones.
if (hre.globalOptions.buildProfile !== "production") {
  throw new Error(`bench:gas measures the production build profile, not "${hre.globalOptions.buildProfile}"`);
}
const machineBefore = machineContext();
const connection = await hre.network.create();
const { ethers, networkHelpers } = connection;
const signers = await ethers.getSigners();
const [, treasury, oracle, provider, consumer] = signers;
// The local chain's periods with the production report window, counted in periods: long enough for
// one report to cover a day of hourly periods.
const periodsPerWindow = PRODUCTION_SETTINGS.reportWindowSeconds / PRODUCTION_SETTINGS.slaPeriodSeconds;
const { contracts, deployment, localTokens, settings, governanceSettings } = await deployProtocol(
  hre,
  connection,
  await protocolRoles(connection),
  { ...LOCAL_SETTINGS, reportWindowSeconds: LOCAL_SETTINGS.slaPeriodSeconds * periodsPerWindow },
);
const { marketplace, escrow, sla, priceOracle, dcx, rewards, governor, renewals } = contracts;
const usdc = localTokens.find((t) => t.symbol === "USDC")!;
const dcxAddress = await dcx.getAddress();
const escrowAddress = await escrow.getAddress();
const chainId = (await ethers.provider.getNetwork()).chainId;
/** ethers wants mutable type arrays. */
const ethersTypes = { SlaReport: [...slaReportTypes.SlaReport] };
const provisioningEthersTypes = { Provisioning: [...provisioningTypes.Provisioning] };
const domain = slaDomain(chainId, await sla.getAddress());
/** An X25519 public key, as the dApp derives one. */
const key = "0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170";
const cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

await (await marketplace.connect(provider).registerProvider(cid)).wait();
const terms = {
  pricePerHourUsdE8: 150_000_000n,
  capacity: 1_000,
  minHours: 1,
  maxHours: 720,
  uptimeTargetBps: 9_950,
  maxLatencyMs: 250,
  acceptedTokens: deployment.paymentTokens.map((t) => t.address),
};
const listing = { metadataCid: cid, region: "eu-west-1", kind: 0, terms };
/** The SLA the consumer was shown: exactly the resource's. */
const minSla = { uptimeTargetBps: terms.uptimeTargetBps, maxLatencyMs: terms.maxLatencyMs };

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
    marketplace.connect(consumer).book(resourceId, hours, ethers.ZeroAddress, price, minSla, key, { value: price }),
  );
}
async function bookErc20(): Promise<number> {
  const [price] = await priceOracle.quote(usdc.address, terms.pricePerHourUsdE8 * BigInt(hours));
  await (await usdc.token!.connect(consumer).approve(escrowAddress, price)).wait();
  return measure(marketplace.connect(consumer).book(resourceId, hours, usdc.address, price, minSla, key));
}

/** Books in DCX with an EIP-2612 permit for the escrow instead of an approval: one transaction. */
async function bookDcxWithPermit(): Promise<number> {
  const [price] = await priceOracle.quote(dcxAddress, terms.pricePerHourUsdE8 * BigInt(hours));
  const deadline = (await ethers.provider.getBlock("latest"))!.timestamp + 3_600;
  const permit = {
    owner: consumer!.address,
    spender: escrowAddress,
    value: price,
    nonce: await dcx.nonces(consumer!.address),
    deadline,
  };
  const domain = { name: "D-CloudX", version: "1", chainId, verifyingContract: dcxAddress };
  const types = { Permit: [...permitTypes.Permit] };
  const { v, r, s } = ethers.Signature.from(await consumer!.signTypedData(domain, types, permit));
  return measure(
    marketplace
      .connect(consumer)
      .bookWithPermit(resourceId, hours, dcxAddress, price, minSla, key, { deadline, v, r, s }),
  );
}

// Warm-up: earlier bookings in every token.
for (let i = 0; i < 3; ++i) {
  await bookEth();
  await bookErc20();
  await bookDcxWithPermit();
}
gas.bookEth = await bookEth();
gas.bookErc20 = await bookErc20();
gas.bookDcxWithPermit = await bookDcxWithPermit();

// Active bookings for reports and withdrawals.
const batch: bigint[] = [];
for (let i = 0; i < 20; ++i) {
  await bookEth();
  batch.push(await marketplace.bookingCount());
}
const warmupIds = Array.from({ length: 12 }, (_, i) => BigInt(i + 1));
/** Provisioning confirmed by `signers` (a quorum of the oracle set), submitted by the first. */
async function confirm(bookingId: bigint, signers = [oracle!]) {
  const statement = { bookingId, consumer: consumer!.address, accessDetailsCid: cid };
  const sorted = [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const signatures = await Promise.all(sorted.map((o) => o.signTypedData(domain, provisioningEthersTypes, statement)));
  return measure(marketplace.connect(signers[0]).confirmProvisioning(bookingId, cid, signatures));
}
for (const id of warmupIds) await confirm(id);
const confirmGas: number[] = [];
for (const id of batch.slice(0, 10)) confirmGas.push(await confirm(id));
gas.confirmProvisioning = Math.round(confirmGas.reduce((a, b) => a + b) / confirmGas.length);
const timelock = await ethers.getImpersonatedSigner(deployment.governance.timelock);
await networkHelpers.setBalance(timelock.address, 10n ** 18n);
/** A second oracle, for 2-of-2 statements as the DAO would require them on a public network. */
const second = signers[13]!;
await (await sla.connect(timelock).addSigner(second.address)).wait();
async function setQuorum(quorum: number) {
  await (await sla.connect(timelock).setQuorum(quorum)).wait();
}
{
  await setQuorum(2);
  const quorumGas: number[] = [];
  for (const id of batch.slice(10)) quorumGas.push(await confirm(id, [oracle!, second]));
  gas.confirmProvisioningQuorum2 = Math.round(quorumGas.reduce((a, b) => a + b) / quorumGas.length);
  await setQuorum(1);
}

await networkHelpers.time.increase(settings.slaPeriodSeconds + 1);
/** Compliant reports of `periods` periods from `firstPeriod` on for each of `ids`, signed by `signers`. */
async function reports(ids: bigint[], firstPeriod: number, periods = 1, signers = [oracle!]) {
  const sorted = [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const list = ids.map((bookingId) => ({
    bookingId,
    firstPeriod,
    uptimeBps: Array<number>(periods).fill(10_000),
    p95LatencyMs: Array<number>(periods).fill(40),
    sampleCount: Array<number>(periods).fill(60),
  }));
  const signatures = await Promise.all(
    list.map((r) => Promise.all(sorted.map((o) => o.signTypedData(domain, ethersTypes, r)))),
  );
  return { list, signatures };
}
{
  const warm = await reports(warmupIds, 0);
  await (await sla.submitReports(warm.list, warm.signatures)).wait();
  const { list, signatures } = await reports(batch, 0);
  gas.reportSlaBatch20PerBooking = Math.round((await measure(sla.submitReports(list, signatures))) / batch.length);
}
{
  // A day of hourly periods in one 2-of-2 report: one booking per transaction, then ten.
  const periods = 24;
  await networkHelpers.time.increase(periods * settings.slaPeriodSeconds);
  await setQuorum(2);
  const pair = [oracle!, second];
  const single: number[] = [];
  for (const id of batch.slice(0, 3)) {
    const { list, signatures } = await reports([id], 1, periods, pair);
    single.push(await measure(sla.submitReports(list, signatures)));
  }
  gas.reportSlaPerBookingPeriod24 = Math.round(single.reduce((a, b) => a + b) / single.length / periods);
  const { list, signatures } = await reports(batch.slice(3, 13), 1, periods, pair);
  gas.reportSlaBatch10PerBookingPeriod24 = Math.round(
    (await measure(sla.submitReports(list, signatures))) / (10 * periods),
  );
  await setQuorum(1);
  for (const id of batch.slice(0, 13)) {
    const { settledPeriods } = await escrow.streamOf(id);
    if (settledPeriods !== BigInt(1 + periods)) throw new Error(`Booking ${id} settled ${settledPeriods} periods`);
  }
}

await (await escrow.connect(provider).withdrawEarnings(warmupIds[0]!)).wait();
gas.withdrawProvider = await measure(escrow.connect(provider).withdrawEarnings(batch[0]!));
gas.withdrawProviderBatch10PerBooking = Math.round(
  (await measure(escrow.connect(provider).withdrawEarningsBatch(batch.slice(1, 11)))) / 10,
);

/** Extends `bookingId` by an hour in ETH at the price now. */
async function extendEth(bookingId: bigint): Promise<number> {
  const [price] = await priceOracle.quote(ethers.ZeroAddress, terms.pricePerHourUsdE8);
  return measure(
    marketplace.connect(consumer).extendBooking(bookingId, 1, ethers.ZeroAddress, price, minSla, { value: price }),
  );
}
// A running booking's first extension (a new stream boundary), after a warm-up on another booking.
await extendEth(batch[14]!);
gas.extendBooking = await extendEth(batch[15]!);
gas.extendBookingAgain = await extendEth(batch[15]!);
await bookEth();
gas.extendBookingRequested = await extendEth(await marketplace.bookingCount());

// Renewals by a stranger under the consumer's policy, paid from its ETH renewal balance, in the
// last part of the booking (after a warm-up renewal of another booking).
await (await renewals.connect(consumer).depositRenewalBalance({ value: ethers.parseEther("1") })).wait();
for (const id of batch.slice(16, 18)) {
  await (await renewals.connect(consumer).setRenewalPolicy(id, 1, terms.pricePerHourUsdE8, 10n ** 18n)).wait();
}
const { endsAt: renewFrom } = await escrow.streamOf(batch[16]!);
const renewAt = Number(renewFrom) - 600;
if ((await ethers.provider.getBlock("latest"))!.timestamp < renewAt) await networkHelpers.time.increaseTo(renewAt);
await (await renewals.connect(treasury).renew(batch[17]!)).wait();
gas.renew = await measure(renewals.connect(treasury).renew(batch[16]!));
if ((await escrow.streamOf(batch[16]!)).endsAt !== renewFrom + 3_600n)
  throw new Error("The benchmarked renewal did not happen");

await bookEth();
gas.cancelBooking = await measure(marketplace.connect(consumer).cancelBooking(await marketplace.bookingCount()));

await networkHelpers.time.increase(hours * 3_600);
await (await marketplace.completeBooking(warmupIds[0]!)).wait();
gas.completeBooking = await measure(marketplace.completeBooking(batch[0]!));

// Rewards for the compliant periods reported above, once their epoch is over.
await advanceTime(connection, governanceSettings.rewardEpochSeconds);
gas.claimRewards = await measure(rewards.connect(provider).claim());

// Governance: a new holder delegates, then a fee change goes through the whole flow.
const holder = signers[12]!;
await (await dcx.connect(treasury).transfer(holder.address, governanceSettings.proposalThreshold)).wait();
gas.delegate = await measure(dcx.connect(holder).delegate(holder.address));
const voters = signers.slice(5, 8);
const description = "Set the protocol fee to 3 %";
const targets = [escrowAddress];
const values = [0n];
const calldatas = [
  escrow.interface.encodeFunctionData("updateSettings", [
    { ...escrowSettings(settings, treasury!.address), protocolFeeBps: 300 },
  ]),
];
const descriptionHash = ethers.id(description);
gas.propose = await measure(governor.connect(voters[0]).propose(targets, values, calldatas, description));
const proposalId = await governor.hashProposal(targets, values, calldatas, descriptionHash);
await advanceTime(connection, governanceSettings.votingDelaySeconds + 1);
const voteGas: number[] = [];
for (const voter of voters) voteGas.push(await measure(governor.connect(voter).castVote(proposalId, VOTE_FOR)));
gas.castVote = Math.round(voteGas.reduce((a, b) => a + b) / voteGas.length);
await advanceTime(connection, governanceSettings.votingPeriodSeconds);
gas.queue = await measure(governor.queue(targets, values, calldatas, descriptionHash));
await advanceTime(connection, governanceSettings.timelockDelaySeconds + 1);
gas.execute = await measure(governor.execute(targets, values, calldatas, descriptionHash));
if ((await escrow.settings()).protocolFeeBps !== 300n) throw new Error("The benchmarked proposal did not take effect");

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
writeBenchResult(
  "gas",
  {
    profile: hre.globalOptions.buildProfile,
    operations: gas,
    targets: TARGETS,
    settings: { oracleQuorum: settings.oracleQuorum },
  },
  machineBefore,
);
