import { expect } from "chai";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";

import { type MutableSlaReport as SlaReport, settledPeriods, slaReport } from "@d-cloudx/sdk";
import { LOCAL_GOVERNANCE } from "../../scripts/lib/governance.ts";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";

import {
  ENCRYPTION_KEY,
  HOUR,
  PRICE_PER_HOUR_USD_E8,
  deployFixture,
  ethers,
  networkHelpers,
  type SettledRow,
  settledLists,
} from "../helpers/fixture.ts";
import { deployUupsProxy } from "../helpers/proxies.ts";

const { loadFixture, time, takeSnapshot } = networkHelpers;

const DCX = 10n ** 18n;
const BPS = 10_000n;
const MAX_RATE_PER_SECOND = 10n ** 24n;
const EPOCH_SECONDS = BigInt(LOCAL_GOVERNANCE.rewardEpochSeconds);
const RATE = LOCAL_GOVERNANCE.rewardRatePerSecond;
/** Emission of an epoch at the deployed rate. */
const EMISSION = RATE * EPOCH_SECONDS;
/** A protocol fee (USD, 8 decimals) so large that the fee cap never binds: for tests of the split. */
const UNCAPPED = 10n ** 20n;
/** The deployed cap: rewards worth at most half the fees paid. */
const REWARD_PER_FEE_BPS = BigInt(LOCAL_GOVERNANCE.rewardPerFeeBps);
/** DCX at its DAO-set price, $0.50. */
const dcxFor = (usdE8: bigint) => (usdE8 * DCX) / LOCAL_GOVERNANCE.dcxPriceE8;

/** Points for `usdE8` of service by a provider whose reputation score is `scoreBps`. */
function pointsFor(usdE8: bigint, scoreBps: bigint): bigint {
  return (usdE8 * (BPS + scoreBps)) / (2n * BPS);
}

/**
 * The full protocol, with the timelock having granted the reward distributor's RECORDER_ROLE to
 * `recorder` and the reputation system's RECORDER_ROLE to `reputationRecorder`; `providerA` and
 * `providerB` are fresh accounts with no reputation.
 */
async function rewardsFixture() {
  const f = await deployFixture();
  const signers = await ethers.getSigners();
  const [recorder, reputationRecorder, providerA, providerB] = [13, 14, 15, 16].map((i) => signers[i]!);
  const timelock = f.admin;
  await f.rewards.connect(timelock).grantRole(await f.rewards.RECORDER_ROLE(), recorder!.address);
  await f.reputation.connect(timelock).grantRole(await f.reputation.RECORDER_ROLE(), reputationRecorder!.address);

  // Epoch 0 starts when the distributor's proxy was deployed (and initialized).
  const { startBlock } = f.deployment.contracts.RewardDistributor;
  const startTime = BigInt((await ethers.provider.getBlock(startBlock))!.timestamp);
  const epochStart = (index: bigint | number) => startTime + BigInt(index) * EPOCH_SECONDS;
  /** Mines a block at the start of epoch `index`, so that the next transactions fall inside it. */
  const enterEpoch = async (index: bigint | number) => time.increaseTo(epochStart(index));
  const initialSupply = await f.dcx.totalSupply();

  return {
    ...f,
    timelock,
    recorder: recorder!,
    reputationRecorder: reputationRecorder!,
    providerA: providerA!,
    providerB: providerB!,
    startTime,
    epochStart,
    enterEpoch,
    initialSupply,
  };
}

type RewardsFixture = Awaited<ReturnType<typeof rewardsFixture>>;

/** Checks the distributor's accounting against the token: what it promised fits in what it may mint. */
async function expectSolvent(f: RewardsFixture, providers: string[]) {
  const [emitted, claimed, cap, supply] = await Promise.all([
    f.rewards.totalEmitted(),
    f.rewards.totalClaimed(),
    f.dcx.cap(),
    f.dcx.totalSupply(),
  ]);
  let claimable = 0n;
  for (const provider of providers) claimable += await f.rewards.claimable(provider);
  expect(claimed + claimable).to.be.at.most(emitted);
  expect(emitted).to.be.at.most(cap - f.initialSupply);
  expect(supply).to.equal(f.initialSupply + claimed);
  expect(supply).to.be.at.most(cap);
}

// -------------------------------------------------------------------------------------------------
// SLA enforcement end to end
// -------------------------------------------------------------------------------------------------

function report(bookingId: bigint, period: number, uptimeBps = 10_000, p95LatencyMs = 40): SlaReport {
  return slaReport(bookingId, period, [{ uptimeBps, p95LatencyMs, sampleCount: 60 }]);
}

/** Value of `period` of a booking of `amount` over `hours`, as StreamMath splits it (one-minute periods). */
function periodValue(amount: bigint, period: number, hours = 1, periodSeconds = 60n) {
  const duration = BigInt(hours * HOUR);
  const streamed = (offset: bigint) => (offset >= duration ? amount : (amount * offset) / duration);
  const start = BigInt(period) * periodSeconds;
  return streamed(start + periodSeconds) - streamed(start);
}

/**
 * The rewards fixture with two active bookings of the provider's resource, paid by the consumer:
 * one in ETH and one in DCX (priced by its DAO-set feed), both provisioned by the oracle node
 * (account #2, the only SLA signer). `hours` long each; the first SLA period has ended.
 */
async function deployBookings(hours: number) {
  const f = await rewardsFixture();
  const { marketplace, escrow, dcx, priceOracle, consumer, resourceId, minSla } = f;
  const dcxAddress = await dcx.getAddress();
  await dcx.connect(consumer).approve(await escrow.getAddress(), ethers.MaxUint256);
  const ethBooking = await f.book(undefined, hours);
  const [dcxAmount] = await priceOracle.quote(dcxAddress, PRICE_PER_HOUR_USD_E8 * BigInt(hours));
  await marketplace.connect(consumer).book(resourceId, hours, dcxAddress, dcxAmount, minSla, ENCRYPTION_KEY);
  const dcxBooking = { bookingId: await marketplace.bookingCount(), amount: dcxAmount };
  await f.confirm(ethBooking.bookingId);
  await f.confirm(dcxBooking.bookingId);
  await time.increase(f.settings.slaPeriodSeconds);

  /** Reports signed by a quorum of the oracles. */
  const sign = (reports: SlaReport[]) => Promise.all(reports.map((r) => f.signReport(r)));
  const submit = async (reports: SlaReport[]) => f.sla.submitReports(reports, await sign(reports));
  return { ...f, hours, dcxAddress, ethBooking, dcxBooking, sign, submit };
}

async function bookingsFixture() {
  return deployBookings(1);
}

/** The same with 30-hour bookings, whose periods stay reportable for more than a day. */
async function bookingsFixture30h() {
  return deployBookings(30);
}

type BookingsFixture = Awaited<ReturnType<typeof bookingsFixture>>;

/** The earliest period of `bookingId` that can be reported at `at` (all earlier windows closed). */
async function reportablePeriod(f: BookingsFixture, bookingId: bigint, at: bigint): Promise<number> {
  const { startedAt } = await f.escrow.streamOf(bookingId);
  const offset = at - startedAt;
  const period = (offset - BigInt(f.settings.reportWindowSeconds)) / BigInt(f.settings.slaPeriodSeconds);
  return Number(period < 0n ? 0n : period);
}

/** `tx` settled one period of the consumer's booking `bookingId`, numbered `period`, as `row` says. */
async function expectSettled(
  f: BookingsFixture,
  tx: ContractTransactionResponse,
  bookingId: bigint,
  period: number,
  row: SettledRow,
) {
  await expect(tx)
    .to.emit(f.sla, "SlaPeriodsSettled")
    .withArgs(bookingId, f.consumer.address, f.provider.address, period, ...settledLists([row]));
}

function eventsOf(f: RewardsFixture, receipt: ContractTransactionReceipt | null, name: string) {
  const contracts = [f.rewards, f.sla];
  const found = [];
  for (const log of receipt!.logs) {
    for (const contract of contracts) {
      if (log.address !== contract.target) continue;
      const parsed = contract.interface.parseLog(log);
      if (parsed?.name === name) found.push(parsed);
    }
  }
  return found;
}

describe("RewardDistributor", function () {
  describe("deployment", function () {
    it("starts epoch 0 at deployment with the DAO's rate, epoch length and price oracle", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards } = f;
      expect(await rewards.emissionRate()).to.equal(RATE);
      expect(await rewards.epochSeconds()).to.equal(EPOCH_SECONDS);
      expect(await rewards.priceOracle()).to.equal(await f.priceOracle.getAddress());
      expect(await rewards.totalEmitted()).to.equal(0n);
      expect(await rewards.totalClaimed()).to.equal(0n);
      expect(await rewards.currentEpoch()).to.equal(0n);
      await time.increaseTo(f.epochStart(1) - 1n);
      expect(await rewards.currentEpoch()).to.equal(0n);
      await time.increaseTo(f.epochStart(1));
      expect(await rewards.currentEpoch()).to.equal(1n);
      await time.increaseTo(f.epochStart(7) + 5n);
      expect(await rewards.currentEpoch()).to.equal(7n);
    });

    it("is wired as deployed: it mints DCX, SLA enforcement records service, the timelock governs", async function () {
      const { rewards, dcx, sla, timelock, deployer } = await loadFixture(rewardsFixture);
      const recorderRole = await rewards.RECORDER_ROLE();
      expect(recorderRole).to.equal(ethers.id("RECORDER_ROLE"));
      expect(await dcx.hasRole(await dcx.MINTER_ROLE(), await rewards.getAddress())).to.equal(true);
      expect(await rewards.hasRole(recorderRole, await sla.getAddress())).to.equal(true);
      expect(await rewards.hasRole(await rewards.DEFAULT_ADMIN_ROLE(), timelock.address)).to.equal(true);
      expect(await rewards.hasRole(await rewards.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(false);
      expect(await sla.rewardDistributor()).to.equal(await rewards.getAddress());
    });

    it("refuses a second initialization", async function () {
      const { rewards, outsider } = await loadFixture(rewardsFixture);
      const [token, reputation, oracle] = [outsider.address, outsider.address, outsider.address];
      await expect(
        rewards.initialize(outsider.address, token, reputation, oracle, 3_600, 1n, 5_000),
      ).to.be.revertedWithCustomError(rewards, "InvalidInitialization");
    });

    it("validates its initializer: addresses, epoch length between a minute and 30 days, rate", async function () {
      const { rewards, dcx, reputation, priceOracle, deployer } = await loadFixture(rewardsFixture);
      const [token, record, oracle] = await Promise.all([
        dcx.getAddress(),
        reputation.getAddress(),
        priceOracle.getAddress(),
      ]);
      const zero = ethers.ZeroAddress;
      const admin = deployer.address;
      for (const args of [
        [zero, token, record, oracle],
        [admin, zero, record, oracle],
        [admin, token, zero, oracle],
        [admin, token, record, zero],
      ]) {
        await expect(deployUupsProxy("RewardDistributor", [...args, 3_600, RATE, 5_000])).to.be.revertedWithCustomError(
          rewards,
          "ManagedZeroAddress",
        );
      }
      for (const length of [0, 59, 30 * 86_400 + 1]) {
        await expect(deployUupsProxy("RewardDistributor", [admin, token, record, oracle, length, RATE, 5_000]))
          .to.be.revertedWithCustomError(rewards, "RewardsInvalidEpochLength")
          .withArgs(length);
      }
      await expect(
        deployUupsProxy("RewardDistributor", [admin, token, record, oracle, 3_600, MAX_RATE_PER_SECOND + 1n, 5_000]),
      )
        .to.be.revertedWithCustomError(rewards, "RewardsInvalidRate")
        .withArgs(MAX_RATE_PER_SECOND + 1n, MAX_RATE_PER_SECOND);
      await expect(deployUupsProxy("RewardDistributor", [admin, token, record, oracle, 3_600, RATE, 10_001]))
        .to.be.revertedWithCustomError(rewards, "RewardsInvalidRewardPerFee")
        .withArgs(10_001);

      // The bounds themselves are accepted.
      for (const [length, rate] of [
        [60, 0n],
        [30 * 86_400, MAX_RATE_PER_SECOND],
      ] as const) {
        const fresh = await deployUupsProxy<typeof rewards>("RewardDistributor", [
          admin,
          token,
          record,
          oracle,
          length,
          rate,
          10_000,
        ]);
        expect(await fresh.epochSeconds()).to.equal(BigInt(length));
        expect(await fresh.emissionRate()).to.equal(rate);
        expect(await fresh.hasRole(await fresh.DEFAULT_ADMIN_ROLE(), admin)).to.equal(true);
      }
    });
  });

  describe("recording service", function () {
    it("is reserved to RECORDER_ROLE", async function () {
      const { rewards, outsider, deployer, timelock, providerA } = await loadFixture(rewardsFixture);
      const role = await rewards.RECORDER_ROLE();
      for (const caller of [outsider, deployer, timelock, providerA]) {
        await expect(rewards.connect(caller).recordService(providerA.address, 10n ** 8n, UNCAPPED))
          .to.be.revertedWithCustomError(rewards, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, role);
      }
    });

    it("opens the epoch at its first service, fixing its emission at rate × epoch length", async function () {
      const { rewards, recorder, providerA } = await loadFixture(rewardsFixture);
      const usd = 1_234_567_891n; // $12.35
      expect(await rewards.epochOf(0)).to.deep.equal([0n, 0n]);
      await expect(rewards.connect(recorder).recordService(providerA.address, usd, UNCAPPED))
        .to.emit(rewards, "EpochOpened")
        .withArgs(0n, EMISSION)
        .and.to.emit(rewards, "ServiceRecorded")
        .withArgs(providerA.address, 0n, usd, UNCAPPED, 0, usd / 2n, anyValue);
      expect(await rewards.epochOf(0)).to.deep.equal([usd / 2n, EMISSION]);
      expect(await rewards.totalEmitted()).to.equal(EMISSION);
      expect(EMISSION).to.equal(3_600n * DCX);
    });

    it("adds later service of the epoch to its points without opening it again", async function () {
      const { rewards, recorder, providerA, providerB } = await loadFixture(rewardsFixture);
      await rewards.connect(recorder).recordService(providerA.address, 300n, UNCAPPED);
      await expect(rewards.connect(recorder).recordService(providerB.address, 500n, UNCAPPED))
        .to.emit(rewards, "ServiceRecorded")
        .withArgs(providerB.address, 0n, 500n, UNCAPPED, 0, 250n, anyValue)
        .and.not.to.emit(rewards, "EpochOpened");
      await rewards.connect(recorder).recordService(providerA.address, 101n, UNCAPPED);
      expect(await rewards.epochOf(0)).to.deep.equal([150n + 250n + 50n, EMISSION]);
      expect(await rewards.totalEmitted()).to.equal(EMISSION);
    });

    it("weights points by reputation: half weight at a score of zero, more with a better score", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, reputation, recorder, reputationRecorder, providerA, providerB } = f;
      await reputation.connect(reputationRecorder).recordPeriods(providerB.address, 50, 0, 0, 50n * 10n ** 6n, 0);
      await reputation.connect(reputationRecorder).recordBookingCompleted(providerB.address);
      const score = await reputation.scoreOf(providerB.address);
      expect(score).to.be.within(9_000n, 9_999n);
      expect(await reputation.scoreOf(providerA.address)).to.equal(0n);

      const usd = 987_654_321n;
      const weighted = (usd * (10_000n + score)) / 20_000n;
      expect(weighted).to.equal(pointsFor(usd, score));
      await expect(rewards.connect(recorder).recordService(providerB.address, usd, UNCAPPED))
        .to.emit(rewards, "ServiceRecorded")
        .withArgs(providerB.address, 0n, usd, UNCAPPED, score, weighted, anyValue);
      await expect(rewards.connect(recorder).recordService(providerA.address, usd, UNCAPPED))
        .to.emit(rewards, "ServiceRecorded")
        .withArgs(providerA.address, 0n, usd, UNCAPPED, 0, usd / 2n, anyValue);
      expect((await rewards.epochOf(0)).points).to.equal(weighted + usd / 2n);

      // Both earned from the same service; the better reputation takes the larger share.
      await f.enterEpoch(1);
      const a = await rewards.claimable(providerA.address);
      const b = await rewards.claimable(providerB.address);
      expect(a).to.equal((EMISSION * (usd / 2n)) / (weighted + usd / 2n));
      expect(b).to.equal((EMISSION * weighted) / (weighted + usd / 2n));
      expect(b).to.be.greaterThan(a);
    });

    it("ignores service worth no points or paying no fee: no event, and the epoch stays unopened", async function () {
      const { rewards, recorder, providerA } = await loadFixture(rewardsFixture);
      for (const [usd, fee] of [
        [0n, UNCAPPED],
        [1n, UNCAPPED],
        [10n ** 8n, 0n],
      ]) {
        await expect(rewards.connect(recorder).recordService(providerA.address, usd!, fee!)).to.not.emit(
          rewards,
          "ServiceRecorded",
        );
      }
      expect(await rewards.epochOf(0)).to.deep.equal([0n, 0n]);
      expect(await rewards.totalEmitted()).to.equal(0n);
    });
  });

  describe("claiming", function () {
    it("pays nothing while the epoch runs, and the whole emission to a sole provider once it ends", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, recorder, providerA } = f;
      await rewards.connect(recorder).recordService(providerA.address, 10n ** 9n, UNCAPPED);
      expect(await rewards.claimable(providerA.address)).to.equal(0n);
      await time.increaseTo(f.epochStart(1) - 2n);
      expect(await rewards.claimable(providerA.address)).to.equal(0n);
      // The last second of the epoch.
      await expect(rewards.connect(providerA).claim())
        .to.be.revertedWithCustomError(rewards, "RewardsNothingToClaim")
        .withArgs(providerA.address);
      expect(await rewards.claimable(providerA.address)).to.equal(0n);
      await time.setNextBlockTimestamp(f.epochStart(1));
      await expect(rewards.connect(providerA).claim())
        .to.emit(rewards, "RewardsClaimed")
        .withArgs(providerA.address, EMISSION);
    });

    it("splits an epoch's emission in proportion to points, rounding down", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, recorder, providerA, providerB } = f;
      // 1 : 6 points: the emission is not divisible by 7.
      await rewards.connect(recorder).recordService(providerA.address, 300_000_000n, UNCAPPED);
      await rewards.connect(recorder).recordService(providerB.address, 1_800_000_000n, UNCAPPED);
      await f.enterEpoch(1);
      const a = await rewards.claimable(providerA.address);
      const b = await rewards.claimable(providerB.address);
      expect(a).to.equal(EMISSION / 7n);
      expect(b).to.equal((EMISSION * 6n) / 7n);
      expect(EMISSION % 7n).to.not.equal(0n);
      expect(a + b).to.equal(EMISSION - 1n);
      await expectSolvent(f, [providerA.address, providerB.address]);
    });

    it("mints the rewards to the claimer, once", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, dcx, recorder, providerA, providerB } = f;
      await rewards.connect(recorder).recordService(providerA.address, 100_000_000n, UNCAPPED);
      await rewards.connect(recorder).recordService(providerB.address, 300_000_000n, UNCAPPED);
      await f.enterEpoch(1);
      const share = EMISSION / 4n;
      const supply = await dcx.totalSupply();
      await expect(rewards.connect(providerA).claim())
        .to.emit(rewards, "RewardsClaimed")
        .withArgs(providerA.address, share)
        .and.to.emit(dcx, "Transfer")
        .withArgs(ethers.ZeroAddress, providerA.address, share);
      expect(await dcx.balanceOf(providerA.address)).to.equal(share);
      expect(await dcx.totalSupply()).to.equal(supply + share);
      expect(await rewards.totalClaimed()).to.equal(share);
      expect(await rewards.claimable(providerA.address)).to.equal(0n);
      expect(await rewards.claimable(providerB.address)).to.equal(3n * share);
      await expect(rewards.connect(providerA).claim())
        .to.be.revertedWithCustomError(rewards, "RewardsNothingToClaim")
        .withArgs(providerA.address);
      await expectSolvent(f, [providerA.address, providerB.address]);
    });

    it("refuses a claim from an account that never earned", async function () {
      const { rewards, outsider } = await loadFixture(rewardsFixture);
      await expect(rewards.connect(outsider).claim())
        .to.be.revertedWithCustomError(rewards, "RewardsNothingToClaim")
        .withArgs(outsider.address);
    });

    it("accrues points over several epochs, claimed or not in between", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, dcx, recorder, providerA, providerB } = f;
      const record = (provider: string, usd: bigint) =>
        rewards.connect(recorder).recordService(provider, usd, UNCAPPED);

      await record(providerA.address, 10n ** 9n); // epoch 0: A alone
      await f.enterEpoch(1);
      await record(providerA.address, 10n ** 9n); // epoch 1: A 1, B 3
      await record(providerB.address, 3n * 10n ** 9n);
      // Epoch 0 is over: A's points there became rewards when A earned again.
      expect(await rewards.claimable(providerA.address)).to.equal(EMISSION);
      expect(await rewards.claimable(providerB.address)).to.equal(0n);

      await f.enterEpoch(2); // no service in epoch 2
      expect(await rewards.claimable(providerA.address)).to.equal(EMISSION + EMISSION / 4n);
      expect(await rewards.claimable(providerB.address)).to.equal((EMISSION * 3n) / 4n);
      await expect(rewards.connect(providerA).claim())
        .to.emit(rewards, "RewardsClaimed")
        .withArgs(providerA.address, EMISSION + EMISSION / 4n);

      await f.enterEpoch(3);
      expect(await rewards.claimable(providerA.address)).to.equal(0n);
      await record(providerA.address, 5n); // epoch 3: A alone, a couple of points
      expect(await rewards.claimable(providerA.address)).to.equal(0n);
      await f.enterEpoch(5);
      expect(await rewards.claimable(providerA.address)).to.equal(EMISSION);
      expect(await rewards.claimable(providerB.address)).to.equal((EMISSION * 3n) / 4n);
      expect(await rewards.epochOf(2)).to.deep.equal([0n, 0n]);
      expect(await rewards.totalEmitted()).to.equal(3n * EMISSION);
      await expectSolvent(f, [providerA.address, providerB.address]);

      await rewards.connect(providerB).claim();
      await rewards.connect(providerA).claim();
      expect(await dcx.balanceOf(providerA.address)).to.equal(2n * EMISSION + EMISSION / 4n);
      expect(await dcx.balanceOf(providerB.address)).to.equal((EMISSION * 3n) / 4n);
      expect(await rewards.totalClaimed()).to.equal(3n * EMISSION);
      await expectSolvent(f, [providerA.address, providerB.address]);
    });
  });

  describe("fee cap", function () {
    it("pays a provider no more than its share of the fees it paid, whatever the emission", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, recorder, providerA, providerB } = f;
      // A pays a $10 fee on $400 of service, B $1,000 on $40,000: both alone would take far more.
      await expect(rewards.connect(recorder).recordService(providerA.address, 400n * 10n ** 8n, 10n * 10n ** 8n))
        .to.emit(rewards, "ServiceRecorded")
        .withArgs(
          providerA.address,
          0n,
          400n * 10n ** 8n,
          10n * 10n ** 8n,
          0,
          200n * 10n ** 8n,
          dcxFor(5n * 10n ** 8n),
        );
      await rewards.connect(recorder).recordService(providerB.address, 40_000n * 10n ** 8n, 1_000n * 10n ** 8n);
      await f.enterEpoch(1);
      // Half of the fees, in DCX at $0.50: 10 DCX and 1,000 DCX; the rest of the emission is never minted.
      expect(await rewards.claimable(providerA.address)).to.equal(10n * DCX);
      expect(await rewards.claimable(providerB.address)).to.equal(1_000n * DCX);
      await rewards.connect(providerA).claim();
      expect(await f.dcx.balanceOf(providerA.address)).to.equal(10n * DCX);
      await expectSolvent(f, [providerA.address, providerB.address]);
    });

    it("takes the cap of the fees when service was recorded, adding up within the epoch", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, recorder, providerA, timelock } = f;
      await rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, 10n ** 8n);
      await rewards.connect(timelock).setRewardPerFee(10_000);
      await rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, 10n ** 8n);
      await f.enterEpoch(1);
      // $0.50 then $1 of rewards allowed: 1 DCX and 2 DCX.
      expect(await rewards.claimable(providerA.address)).to.equal(3n * DCX);
    });

    it("is set by the timelock, up to 100 % of the fees", async function () {
      const { rewards, timelock, outsider } = await loadFixture(rewardsFixture);
      expect(await rewards.rewardPerFeeBps()).to.equal(REWARD_PER_FEE_BPS);
      await expect(rewards.connect(timelock).setRewardPerFee(10_000))
        .to.emit(rewards, "RewardPerFeeUpdated")
        .withArgs(10_000);
      await expect(rewards.connect(timelock).setRewardPerFee(10_001))
        .to.be.revertedWithCustomError(rewards, "RewardsInvalidRewardPerFee")
        .withArgs(10_001);
      await expect(rewards.connect(outsider).setRewardPerFee(0)).to.be.revertedWithCustomError(
        rewards,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("earns nothing while DCX cannot be priced", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, recorder, providerA, dcxFeed, timelock } = f;
      await time.increase(LOCAL_GOVERNANCE.dcxPriceHeartbeatSeconds + 1);
      await expect(rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, 10n ** 8n)).to.not.emit(
        rewards,
        "ServiceRecorded",
      );
      await dcxFeed.connect(timelock).setAnswer(LOCAL_GOVERNANCE.dcxPriceE8);
      await expect(rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, 10n ** 8n)).to.emit(
        rewards,
        "ServiceRecorded",
      );
    });
  });

  describe("emission rate", function () {
    it("is set by the timelock only", async function () {
      const { rewards, outsider, deployer, recorder } = await loadFixture(rewardsFixture);
      const admin = await rewards.DEFAULT_ADMIN_ROLE();
      for (const caller of [outsider, deployer, recorder]) {
        await expect(rewards.connect(caller).setEmissionRate(2n * RATE))
          .to.be.revertedWithCustomError(rewards, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, admin);
      }
      expect(await rewards.emissionRate()).to.equal(RATE);
    });

    it("applies to epochs not opened yet; the open epoch keeps its emission", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, timelock, recorder, providerA } = f;
      await rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, UNCAPPED);
      await expect(rewards.connect(timelock).setEmissionRate(2n * RATE))
        .to.emit(rewards, "EmissionRateUpdated")
        .withArgs(2n * RATE);
      expect(await rewards.emissionRate()).to.equal(2n * RATE);
      await expect(rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, UNCAPPED)).to.not.emit(
        rewards,
        "EpochOpened",
      );
      expect((await rewards.epochOf(0)).emission).to.equal(EMISSION);

      // Epoch 1 has begun but has no service yet: a new rate still applies to it.
      await f.enterEpoch(1);
      await rewards.connect(timelock).setEmissionRate(3n * RATE);
      await expect(rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, UNCAPPED))
        .to.emit(rewards, "EpochOpened")
        .withArgs(1n, 3n * EMISSION);
      await f.enterEpoch(2);
      expect(await rewards.claimable(providerA.address)).to.equal(4n * EMISSION);
      expect(await rewards.totalEmitted()).to.equal(4n * EMISSION);
    });

    it("may be zero, which pauses emissions", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, timelock, recorder, providerA } = f;
      await rewards.connect(timelock).setEmissionRate(0n);
      await expect(rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, UNCAPPED))
        .to.emit(rewards, "EpochOpened")
        .withArgs(0n, 0n);
      await f.enterEpoch(1);
      expect(await rewards.claimable(providerA.address)).to.equal(0n);
      await expect(rewards.connect(providerA).claim())
        .to.be.revertedWithCustomError(rewards, "RewardsNothingToClaim")
        .withArgs(providerA.address);
    });

    it("refuses a rate above the maximum", async function () {
      const { rewards, timelock } = await loadFixture(rewardsFixture);
      await expect(rewards.connect(timelock).setEmissionRate(MAX_RATE_PER_SECOND + 1n))
        .to.be.revertedWithCustomError(rewards, "RewardsInvalidRate")
        .withArgs(MAX_RATE_PER_SECOND + 1n, MAX_RATE_PER_SECOND);
      await rewards.connect(timelock).setEmissionRate(MAX_RATE_PER_SECOND);
      expect(await rewards.emissionRate()).to.equal(MAX_RATE_PER_SECOND);
    });
  });

  describe("supply cap", function () {
    // 200,000 DCX a second: 720M DCX an epoch, while the cap leaves 800M to mint.
    const BIG_RATE = 200_000n * DCX;

    for (const claimBetween of [false, true]) {
      it(`clamps epochs to what the cap leaves${claimBetween ? ", with claims in between" : ""}`, async function () {
        const f = await loadFixture(rewardsFixture);
        const { rewards, dcx, timelock, recorder, providerA, providerB } = f;
        const providers = [providerA.address, providerB.address];
        const room = (await dcx.cap()) - f.initialSupply;
        expect(room).to.equal(800_000_000n * DCX);
        const full = BIG_RATE * EPOCH_SECONDS;
        await rewards.connect(timelock).setEmissionRate(BIG_RATE);

        await expect(rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, UNCAPPED))
          .to.emit(rewards, "EpochOpened")
          .withArgs(0n, full);
        await f.enterEpoch(1);
        if (claimBetween) await rewards.connect(providerA).claim();
        await expect(rewards.connect(recorder).recordService(providerB.address, 10n ** 8n, UNCAPPED))
          .to.emit(rewards, "EpochOpened")
          .withArgs(1n, room - full);
        expect(await rewards.totalEmitted()).to.equal(room);
        await expectSolvent(f, providers);

        await f.enterEpoch(2);
        await expect(rewards.connect(recorder).recordService(providerA.address, 10n ** 8n, UNCAPPED))
          .to.emit(rewards, "EpochOpened")
          .withArgs(2n, 0n);
        expect(await rewards.totalEmitted()).to.equal(room);

        await f.enterEpoch(3);
        expect(await rewards.claimable(providerA.address)).to.equal(claimBetween ? 0n : full);
        expect(await rewards.claimable(providerB.address)).to.equal(room - full);
        await expectSolvent(f, providers);
        if (!claimBetween) await rewards.connect(providerA).claim();
        await rewards.connect(providerB).claim();
        expect(await dcx.totalSupply()).to.equal(await dcx.cap());
        expect(await rewards.totalClaimed()).to.equal(room);
        await expect(rewards.connect(providerA).claim())
          .to.be.revertedWithCustomError(rewards, "RewardsNothingToClaim")
          .withArgs(providerA.address);
        await expectSolvent(f, providers);

        // The cap is reached: later epochs open with nothing to give.
        await expect(rewards.connect(recorder).recordService(providerB.address, 10n ** 8n, UNCAPPED))
          .to.emit(rewards, "EpochOpened")
          .withArgs(3n, 0n);
        await f.enterEpoch(4);
        expect(await rewards.claimable(providerB.address)).to.equal(0n);
        await expectSolvent(f, providers);
      });
    }

    it("keeps rounding dust unminted rather than promising it twice", async function () {
      const f = await loadFixture(rewardsFixture);
      const { rewards, dcx, timelock, recorder, providerA, providerB } = f;
      const providers = [providerA.address, providerB.address];
      const room = (await dcx.cap()) - f.initialSupply;
      // An epoch emission that leaves the cap 1 wei short of a second full one... and does not split evenly.
      const rate = room / EPOCH_SECONDS / 2n + 1n;
      await rewards.connect(timelock).setEmissionRate(rate);
      await rewards.connect(recorder).recordService(providerA.address, 2n, UNCAPPED);
      await rewards.connect(recorder).recordService(providerB.address, 4n, UNCAPPED);
      await f.enterEpoch(1);
      await rewards.connect(recorder).recordService(providerA.address, 2n, UNCAPPED);
      const first = (await rewards.epochOf(0)).emission;
      const second = (await rewards.epochOf(1)).emission;
      expect(first).to.equal(rate * EPOCH_SECONDS);
      expect(second).to.equal(room - first);
      expect(second).to.be.lessThan(first);
      await f.enterEpoch(2);
      expect(await rewards.claimable(providerA.address)).to.equal(first / 3n + second);
      expect(await rewards.claimable(providerB.address)).to.equal((first * 2n) / 3n);
      await rewards.connect(providerA).claim();
      await rewards.connect(providerB).claim();
      await expectSolvent(f, providers);
      const dust = room - (await rewards.totalClaimed());
      expect(dust).to.equal(first - first / 3n - (first * 2n) / 3n);
      expect(await dcx.totalSupply()).to.equal((await dcx.cap()) - dust);
    });
  });

  describe("through SLA enforcement", function () {
    it("records the USD value of compliant ETH and DCX periods, summed per provider", async function () {
      const f = await loadFixture(bookingsFixture);
      const { rewards, reputation, priceOracle, provider, ethBooking, dcxBooking, dcxAddress } = f;
      const ethValue = periodValue(ethBooking.amount, 0);
      const dcxValue = periodValue(dcxBooking.amount, 0);
      const ethUsd = await priceOracle.toUsd(ethers.ZeroAddress, ethValue);
      const dcxUsd = await priceOracle.toUsd(dcxAddress, dcxValue);
      // $3,000 an ether and $0.50 a DCX (its DAO-set feed); a period is a minute of a $1.50 hour.
      expect(ethUsd).to.equal((ethValue * 3_000n * 10n ** 8n) / 10n ** 18n);
      expect(dcxUsd).to.equal((dcxValue * LOCAL_GOVERNANCE.dcxPriceE8) / 10n ** 18n);
      expect(ethUsd).to.be.within(2_499_000n, 2_500_000n);
      expect(dcxUsd).to.be.within(2_499_000n, 2_500_000n);

      const tx = await f.submit([report(ethBooking.bookingId, 0), report(dcxBooking.bookingId, 0)]);
      const receipt = await tx.wait();
      // The SLA recorded both periods in the reputation first, and the rewards saw the new score.
      const score = await reputation.scoreOf(provider.address);
      expect(score).to.be.greaterThan(0n);
      const usd = ethUsd + dcxUsd;
      await expectSettled(f, tx, ethBooking.bookingId, 0, [10_000, 40, 60, true, 0, ethValue, 0]);
      await expectSettled(f, tx, dcxBooking.bookingId, 0, [10_000, 40, 60, true, 0, dcxValue, 0]);
      await expect(tx).to.emit(rewards, "EpochOpened").withArgs(0n, EMISSION);
      // The protocol fee on each period (2.5 %), and the most the provider may earn for it.
      const fee = (ethUsd * 250n) / BPS + (dcxUsd * 250n) / BPS;
      const cap = dcxFor((fee * REWARD_PER_FEE_BPS) / BPS);
      await expect(tx)
        .to.emit(rewards, "ServiceRecorded")
        .withArgs(provider.address, 0n, usd, fee, score, pointsFor(usd, score), cap);
      expect(eventsOf(f, receipt, "ServiceRecorded")).to.have.length(1);
      expect(eventsOf(f, receipt, "RewardsNotRecorded")).to.have.length(0);
      expect(await rewards.epochOf(0)).to.deep.equal([pointsFor(usd, score), EMISSION]);

      // Alone in the epoch, the provider would take the whole emission; the fee cap pays it half its fees.
      await f.enterEpoch(1);
      expect(await rewards.claimable(provider.address)).to.equal(cap);
      expect(cap).to.be.lessThan(EMISSION);
    });

    it("rewards nothing for periods that missed the SLA", async function () {
      const f = await loadFixture(bookingsFixture);
      const { sla, rewards, reputation, priceOracle, provider, ethBooking, dcxBooking } = f;
      const ethUsd = await priceOracle.toUsd(ethers.ZeroAddress, periodValue(ethBooking.amount, 0));
      const dcxValue = periodValue(dcxBooking.amount, 0);
      const tx = await f.submit([report(ethBooking.bookingId, 0), report(dcxBooking.bookingId, 0, 9_000)]);
      const score = await reputation.scoreOf(provider.address);
      // Below 95 % uptime the whole period is credited back.
      await expectSettled(f, tx, dcxBooking.bookingId, 0, [9_000, 40, 60, false, 10_000, dcxValue, dcxValue]);
      await expect(tx)
        .to.emit(rewards, "ServiceRecorded")
        .withArgs(provider.address, 0n, ethUsd, anyValue, score, pointsFor(ethUsd, score), anyValue);

      // A batch of violations only (too slow, and too little uptime) records nothing.
      await time.increase(f.settings.slaPeriodSeconds);
      const violations = await f.submit([
        report(ethBooking.bookingId, 1, 10_000, 900),
        report(dcxBooking.bookingId, 1, 0),
      ]);
      await expect(violations).to.emit(sla, "SlaPeriodsSettled");
      await expect(violations).to.not.emit(rewards, "ServiceRecorded");
      await expect(violations).to.not.emit(sla, "RewardsNotRecorded");
      expect((await rewards.epochOf(0)).points).to.equal(pointsFor(ethUsd, score));
    });

    it("settles but rewards nothing for a period whose token has a stale price", async function () {
      const f = await loadFixture(bookingsFixture30h);
      const { sla, rewards, reputation, priceOracle, provider, ethBooking, dcxBooking, dcxAddress, localTokens } = f;
      const ethFeed = localTokens.find((t) => t.symbol === "ETH")!.feed;
      const [, , , updatedAt] = await ethFeed.latestRoundData();
      // Mock feeds have a one-day heartbeat; nobody updates them here.
      const at = updatedAt + 86_400n + 600n;
      const ethPeriod = await reportablePeriod(f, ethBooking.bookingId, at);
      const dcxPeriod = await reportablePeriod(f, dcxBooking.bookingId, at);
      expect(ethPeriod).to.be.greaterThan(1_400);
      const dcxUsd = await priceOracle.toUsd(dcxAddress, periodValue(dcxBooking.amount, dcxPeriod, f.hours));

      await time.setNextBlockTimestamp(at);
      const tx = await f.submit([report(ethBooking.bookingId, ethPeriod), report(dcxBooking.bookingId, dcxPeriod)]);
      await expect(priceOracle.toUsd(ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(priceOracle, "PriceOracleStalePrice")
        .withArgs(ethers.ZeroAddress, updatedAt, 86_400);
      const score = await reputation.scoreOf(provider.address);
      await expectSettled(f, tx, ethBooking.bookingId, ethPeriod, [
        10_000,
        40,
        60,
        true,
        0,
        periodValue(ethBooking.amount, ethPeriod, f.hours),
        0,
      ]);
      // Only the DCX period, which could be priced, earned points.
      await expect(tx)
        .to.emit(rewards, "ServiceRecorded")
        .withArgs(
          provider.address,
          (at - f.startTime) / EPOCH_SECONDS,
          dcxUsd,
          anyValue,
          score,
          pointsFor(dcxUsd, score),
          anyValue,
        );
      expect((await f.escrow.streamOf(ethBooking.bookingId)).settledPeriods).to.equal(BigInt(ethPeriod + 1));

      // An ETH period alone still settles, and records no rewards.
      await time.increase(f.settings.slaPeriodSeconds);
      const alone = await f.submit([report(ethBooking.bookingId, ethPeriod + 1)]);
      await expect(alone).to.emit(sla, "SlaPeriodsSettled");
      await expect(alone).to.not.emit(rewards, "ServiceRecorded");
      expect((await f.escrow.streamOf(ethBooking.bookingId)).settledPeriods).to.equal(BigInt(ethPeriod + 2));
    });

    it("emits ServiceNotValued when a stale price keeps compliant service from being rewarded", async function () {
      const f = await loadFixture(bookingsFixture30h);
      const { sla, provider, ethBooking, localTokens } = f;
      const [, , , updatedAt] = await localTokens.find((t) => t.symbol === "ETH")!.feed.latestRoundData();
      const at = updatedAt + 86_400n + 600n;
      const period = await reportablePeriod(f, ethBooking.bookingId, at);
      await time.setNextBlockTimestamp(at);
      const tx = f.submit([report(ethBooking.bookingId, period)]);
      const receipt = await (await tx).wait();
      const settled = receipt!.logs
        .map((log) => sla.interface.parseLog(log))
        .find((parsed) => parsed?.name === "SlaPeriodsSettled")!;
      await expect(tx)
        .to.emit(sla, "ServiceNotValued")
        .withArgs(
          provider.address,
          ethers.ZeroAddress,
          settledPeriods(settled.args as unknown as Parameters<typeof settledPeriods>[0])[0]!.value,
        );
    });

    it("settles and emits RewardsNotRecorded when the distributor refuses the service", async function () {
      const f = await loadFixture(bookingsFixture);
      const { sla, rewards, escrow, reputation, priceOracle, timelock, provider, ethBooking, dcxBooking, dcxAddress } =
        f;
      await rewards.connect(timelock).revokeRole(await rewards.RECORDER_ROLE(), await sla.getAddress());
      const values = [
        await priceOracle.toUsd(ethers.ZeroAddress, periodValue(ethBooking.amount, 0)),
        await priceOracle.toUsd(dcxAddress, periodValue(dcxBooking.amount, 0)),
      ];
      const usd = values[0]! + values[1]!;
      const fee = values.reduce((sum, value) => sum + (value * 250n) / BPS, 0n);
      const tx = await f.submit([report(ethBooking.bookingId, 0), report(dcxBooking.bookingId, 0)]);
      await expect(tx).to.emit(sla, "RewardsNotRecorded").withArgs(provider.address, usd, fee);
      await expect(tx).to.not.emit(rewards, "ServiceRecorded");
      await expect(tx).to.emit(reputation, "ReputationUpdated");
      expect((await escrow.streamOf(ethBooking.bookingId)).settledPeriods).to.equal(1n);
      expect((await escrow.streamOf(dcxBooking.bookingId)).settledPeriods).to.equal(1n);
      expect(await rewards.totalEmitted()).to.equal(0n);
    });

    /**
     * The provider has points pending from epoch 0 and its first service in epoch 1 opens the epoch
     * and turns them into rewards: the most storage recordService ever writes. Returns a way to
     * submit the epoch-1 reports, from the same state, with any gas limit.
     */
    async function epochOpeningSubmission(f: BookingsFixture) {
      const { ethBooking, dcxBooking } = f;
      await f.submit([report(ethBooking.bookingId, 0), report(dcxBooking.bookingId, 0)]);
      const at = f.epochStart(1) + 1n;
      const reports = [
        report(ethBooking.bookingId, await reportablePeriod(f, ethBooking.bookingId, at)),
        report(dcxBooking.bookingId, await reportablePeriod(f, dcxBooking.bookingId, at)),
      ];
      expect(reports[0]!.firstPeriod).to.be.greaterThan(0);
      const signatures = await f.sign(reports);
      const snapshot = await takeSnapshot();
      return async (gasLimit?: bigint) => {
        await snapshot.restore();
        await time.setNextBlockTimestamp(at);
        const overrides = gasLimit === undefined ? {} : { gasLimit };
        return f.sla.submitReports(reports, signatures, overrides);
      };
    }

    /** Sends and waits; a failed transaction yields its error instead of a receipt. */
    async function outcome(send: () => Promise<ContractTransactionResponse>) {
      try {
        return { receipt: await (await send()).wait(), error: undefined };
      } catch (error) {
        return { receipt: null, error: error as Error };
      }
    }

    it("reverts with SlaInsufficientGas when a submitter starves the reward call", async function () {
      const f = await loadFixture(bookingsFixture);
      const submit = await epochOpeningSubmission(f);
      const estimated = await outcome(() => submit());
      expect(eventsOf(f, estimated.receipt, "ServiceRecorded")).to.have.length(1);
      expect(eventsOf(f, estimated.receipt, "EpochOpened")).to.have.length(1);
      const used = estimated.receipt!.gasUsed;
      // Enough to settle both periods and reach recordService, far too little for it to finish.
      await expect(submit(used - 50_000n)).to.be.revertedWithCustomError(f.sla, "SlaInsufficientGas");
    });

    it("lets no gas limit skip the rewards of a successful settlement", async function () {
      const f = await loadFixture(bookingsFixture);
      const submit = await epochOpeningSubmission(f);
      const generous = await outcome(() => submit(3_000_000n));
      expect(eventsOf(f, generous.receipt, "ServiceRecorded")).to.have.length(1);
      const used = generous.receipt!.gasUsed;

      // Coarse steps from well below the point where recordService is entered to well above what
      // it needs, then fine steps just below the smallest limit that succeeded.
      let starved = 0;
      let smallestSuccess: bigint | undefined;
      const check = async (limit: bigint) => {
        const { receipt, error } = await outcome(() => submit(limit));
        if (receipt) {
          if (smallestSuccess === undefined || limit < smallestSuccess) smallestSuccess = limit;
          expect(eventsOf(f, receipt, "RewardsNotRecorded"), `gas limit ${limit}`).to.have.length(0);
          expect(eventsOf(f, receipt, "ServiceRecorded"), `gas limit ${limit}`).to.have.length(1);
        } else if (error!.message.includes("SlaInsufficientGas")) {
          ++starved;
        }
      };
      for (let limit = used - 150_000n; limit <= used + 150_000n; limit += 5_000n) await check(limit);
      expect(smallestSuccess !== undefined, "no limit was enough").to.equal(true);
      for (let limit = smallestSuccess! - 5_000n; limit < smallestSuccess!; limit += 100n) await check(limit);
      expect(starved, "the starved range was never reached").to.be.greaterThan(0);
    });

    it("lets only the timelock set the distributor; zero turns rewards off", async function () {
      const f = await loadFixture(bookingsFixture);
      const { sla, rewards, reputation, timelock, outsider, deployer, provider, ethBooking, dcxBooking } = f;
      const admin = await sla.DEFAULT_ADMIN_ROLE();
      for (const caller of [outsider, deployer]) {
        await expect(sla.connect(caller).setRewardDistributor(ethers.ZeroAddress))
          .to.be.revertedWithCustomError(sla, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, admin);
      }

      await expect(sla.connect(timelock).setRewardDistributor(ethers.ZeroAddress))
        .to.emit(sla, "RewardDistributorUpdated")
        .withArgs(ethers.ZeroAddress);
      expect(await sla.rewardDistributor()).to.equal(ethers.ZeroAddress);
      const off = await f.submit([report(ethBooking.bookingId, 0), report(dcxBooking.bookingId, 0)]);
      await expect(off).to.emit(sla, "SlaPeriodsSettled");
      await expect(off).to.emit(reputation, "ReputationUpdated");
      await expect(off).to.not.emit(rewards, "ServiceRecorded");
      await expect(off).to.not.emit(sla, "RewardsNotRecorded");

      const rewardsAddress = await rewards.getAddress();
      await expect(sla.connect(timelock).setRewardDistributor(rewardsAddress))
        .to.emit(sla, "RewardDistributorUpdated")
        .withArgs(rewardsAddress);
      expect(await sla.rewardDistributor()).to.equal(rewardsAddress);
      await time.increase(f.settings.slaPeriodSeconds);
      const usd = await f.priceOracle.toUsd(ethers.ZeroAddress, periodValue(ethBooking.amount, 1));
      const on = await f.submit([report(ethBooking.bookingId, 1)]);
      const score = await reputation.scoreOf(provider.address);
      await expect(on)
        .to.emit(rewards, "ServiceRecorded")
        .withArgs(provider.address, 0n, usd, (usd * 250n) / BPS, score, pointsFor(usd, score), anyValue);
    });
  });
});
