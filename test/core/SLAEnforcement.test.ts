import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";

import { type MutableSlaReport as SlaReport, slaDomain, slaReport, slaReportTypes } from "@d-cloudx/sdk";
import { PRODUCTION_SETTINGS } from "../../scripts/lib/core.ts";
import {
  HOUR,
  METADATA_CID,
  OTHER_ENCRYPTION_KEY,
  TEST_SETTINGS,
  type Fixture,
  type SettledRow,
  deployFixture,
  deployFixtureWith,
  ethers,
  networkHelpers,
  settledLists,
} from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;
const ethersTypes = { SlaReport: [...slaReportTypes.SlaReport] };

enum SettleStatus {
  Settled,
  AlreadySettled,
  PeriodNotEnded,
  ReportWindowClosed,
  EarlierPeriodOpen,
}

/** A report of one period. */
function report(bookingId: bigint, period = 0, uptimeBps = 10_000, p95LatencyMs = 40) {
  return slaReport(bookingId, period, [{ uptimeBps, p95LatencyMs, sampleCount: 60 }]);
}

/** A report of `count` compliant periods from `firstPeriod` on, with `uptimeBps` where given. */
function range(bookingId: bigint, firstPeriod: number, count: number, uptimeBps: Record<number, number> = {}) {
  return slaReport(
    bookingId,
    firstPeriod,
    Array.from({ length: count }, (_, i) => ({
      uptimeBps: uptimeBps[firstPeriod + i] ?? 10_000,
      p95LatencyMs: 40,
      sampleCount: 60,
    })),
  );
}

/** A compliant settled period, and one at `uptimeBps` earning `creditBps` (see settledLists). */
const compliantPeriod = (value: bigint): SettledRow => [10_000, 40, 60, true, 0, value, 0n];
const violatedPeriod = (uptimeBps: number, creditBps: number, value: bigint): SettledRow => [
  uptimeBps,
  40,
  60,
  false,
  creditBps,
  value,
  (value * BigInt(creditBps)) / 10_000n,
];

/** (bookingId, firstPeriod, [[first, period-count]…]) of the settled and skipped runs in a transaction. */
async function runsOf(f: Fixture, tx: Promise<{ wait(): Promise<unknown> }>) {
  const receipt = (await (await tx).wait()) as { logs: { topics: string[]; data: string }[] };
  const logs = receipt.logs.map((log) => f.sla.interface.parseLog(log)).filter((log) => log !== null);
  return {
    settled: logs
      .filter((log) => log.name === "SlaPeriodsSettled")
      .map((log) => [log.args.bookingId, Number(log.args.firstPeriod), log.args.figures.length]),
    skipped: logs
      .filter((log) => log.name === "SlaReportSkipped")
      .map((log) => [
        log.args.bookingId,
        Number(log.args.firstPeriod),
        Number(log.args.periodCount),
        Number(log.args.status),
      ]),
  };
}

/** An active 1-hour ETH booking whose first period has ended. */
async function activeBookingFixture() {
  const f = await deployFixture();
  const { bookingId, amount } = await f.bookActive(undefined, 1);
  await time.increase(f.settings.slaPeriodSeconds);
  const periodValue = (amount * BigInt(f.settings.slaPeriodSeconds)) / BigInt(HOUR);
  return { ...f, bookingId, amount, periodValue };
}

async function submit(f: Fixture, reports: SlaReport[], signers = [f.oracleA, f.oracleB]) {
  const signatures = await Promise.all(reports.map((r) => f.signReport(r, signers)));
  return f.sla.submitReports(reports, signatures);
}

describe("SLAEnforcement", function () {
  describe("signatures", function () {
    it("settles a report signed by 2 of 3 oracles", async function () {
      const f = await loadFixture(activeBookingFixture);
      const r = report(f.bookingId);
      await expect(submit(f, [r]))
        .to.emit(f.sla, "SlaPeriodsSettled")
        .withArgs(
          f.bookingId,
          f.consumer.address,
          f.provider.address,
          0,
          ...settledLists([compliantPeriod(f.periodValue)]),
        )
        .and.to.emit(f.reputation, "ReputationUpdated")
        .withArgs(f.provider.address, [0, 0, 1, 0, 0, 0, 0, anyValue, anyValue], anyValue);
      expect((await f.escrow.streamOf(f.bookingId)).settledPeriods).to.equal(1n);
    });

    it("matches the EIP-712 digest clients compute", async function () {
      const f = await loadFixture(activeBookingFixture);
      for (const r of [report(f.bookingId, 3, 9_876, 123), range(f.bookingId, 5, 24, { 7: 9_000 })]) {
        expect(await f.sla.reportDigest(r)).to.equal(ethers.TypedDataEncoder.hash(f.domain, ethersTypes, r));
      }
    });

    it("needs the quorum", async function () {
      const f = await loadFixture(activeBookingFixture);
      await expect(submit(f, [report(f.bookingId)], [f.oracleA]))
        .to.be.revertedWithCustomError(f.sla, "QuorumNotReached")
        .withArgs(await f.sla.reportDigest(report(f.bookingId)), 1, 2);
    });

    it("rejects unregistered signers, and signatures for another chain or contract", async function () {
      const f = await loadFixture(activeBookingFixture);
      const r = report(f.bookingId);
      await expect(submit(f, [r], [f.oracleA, f.other]))
        .to.be.revertedWithCustomError(f.sla, "QuorumUnknownSigner")
        .withArgs(f.other.address);

      const otherChain = slaDomain(1n, await f.sla.getAddress());
      const otherContract = slaDomain(f.domain.chainId, await f.escrow.getAddress());
      for (const domain of [otherChain, otherContract]) {
        const signatures = await Promise.all(
          [f.oracleA, f.oracleB].map((s) => s.signTypedData(domain, ethersTypes, r)),
        );
        // Signed over another domain, the signature recovers to some unrelated address.
        await expect(f.sla.submitReports([r], [signatures])).to.be.revertedWithCustomError(
          f.sla,
          "QuorumUnknownSigner",
        );
      }
    });

    it("rejects a duplicate signer and unordered signatures", async function () {
      const f = await loadFixture(activeBookingFixture);
      const r = report(f.bookingId);
      const [first, second] = await f.signReport(r);
      const [lower, higher] = [f.oracleA, f.oracleB]
        .map((s) => s.address)
        .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      await expect(f.sla.submitReports([r], [[first!, first!]]))
        .to.be.revertedWithCustomError(f.sla, "QuorumDuplicateSigner")
        .withArgs(lower);
      await expect(f.sla.submitReports([r], [[second!, first!]]))
        .to.be.revertedWithCustomError(f.sla, "QuorumSignersUnordered")
        .withArgs(lower);
      expect(higher).to.not.equal(lower);
    });

    it("rejects malformed signatures", async function () {
      const f = await loadFixture(activeBookingFixture);
      const r = report(f.bookingId);
      await expect(f.sla.submitReports([r], [["0x1234"]]))
        .to.be.revertedWithCustomError(f.sla, "ECDSAInvalidSignatureLength")
        .withArgs(2);
      const [good] = await f.signReport(r, [f.oracleA]);
      // Flip the last byte of s: still 65 bytes, but it now recovers to another (unknown) address.
      const tampered = good!.slice(0, 128) + (good!.slice(128, 130) === "00" ? "01" : "00") + good!.slice(130);
      await expect(f.sla.submitReports([r], [[tampered, good!]])).to.be.revertedWithCustomError(
        f.sla,
        "QuorumUnknownSigner",
      );
    });

    it("rejects impossible figures and mismatched arrays", async function () {
      const f = await loadFixture(activeBookingFixture);
      for (const bad of [report(f.bookingId, 0, 10_001), { ...report(f.bookingId), sampleCount: [0] }]) {
        await expect(submit(f, [bad]))
          .to.be.revertedWithCustomError(f.sla, "SlaInvalidReport")
          .withArgs(f.bookingId, 0);
      }
      // In a range, the first period at fault is named.
      const r = range(f.bookingId, 3, 4);
      await expect(submit(f, [{ ...r, sampleCount: [60, 60, 0, 60] }]))
        .to.be.revertedWithCustomError(f.sla, "SlaInvalidReport")
        .withArgs(f.bookingId, 5);
      for (const bad of [
        range(f.bookingId, 0, 0),
        { ...r, uptimeBps: r.uptimeBps.slice(1) },
        { ...r, p95LatencyMs: [...r.p95LatencyMs, 40] },
        { ...r, sampleCount: [] },
      ]) {
        await expect(submit(f, [bad]))
          .to.be.revertedWithCustomError(f.sla, "SlaInvalidReport")
          .withArgs(f.bookingId, bad.firstPeriod);
      }
      await expect(f.sla.submitReports([report(f.bookingId)], []))
        .to.be.revertedWithCustomError(f.sla, "SlaLengthMismatch")
        .withArgs(1, 0);
    });
  });

  describe("periods", function () {
    it("settles each period once; a repeated report is skipped and says so", async function () {
      const f = await loadFixture(activeBookingFixture);
      const r = report(f.bookingId);
      await submit(f, [r]);
      const signatures = [await f.signReport(r)];
      expect(await f.sla.submitReports.staticCall([r], signatures)).to.equal(0n);
      await expect(f.sla.submitReports([r], signatures))
        .to.emit(f.sla, "SlaReportSkipped")
        .withArgs(f.bookingId, 0, 1, SettleStatus.AlreadySettled)
        .and.not.to.emit(f.sla, "SlaPeriodsSettled");
    });

    it("skips periods not ended, past their window or behind an open one, settling the rest of the batch", async function () {
      const f = await loadFixture(activeBookingFixture);
      const { startedAt } = await f.escrow.streamOf(f.bookingId);
      const period = BigInt(f.settings.slaPeriodSeconds);
      // Another booking, started a moment later, whose first period will be reportable with them.
      const other = await f.bookActive(undefined, 1);
      // Period 1 has not ended, and period 0 before it can still be reported.
      await expect(submit(f, [report(f.bookingId, 1)]))
        .to.emit(f.sla, "SlaReportSkipped")
        .withArgs(f.bookingId, 1, 1, SettleStatus.EarlierPeriodOpen);
      // A period outside the booking is a malformed report: it still reverts.
      await expect(submit(f, [report(f.bookingId, 60)]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowPeriodOutOfRange")
        .withArgs(f.bookingId, 60, 60);

      await time.increaseTo(startedAt + 3n * period);
      // Period 0 can still be reported, so period 2 cannot skip over it.
      await expect(submit(f, [report(f.bookingId, 2)]))
        .to.emit(f.sla, "SlaReportSkipped")
        .withArgs(f.bookingId, 2, 1, SettleStatus.EarlierPeriodOpen);

      const window = BigInt(f.settings.reportWindowSeconds);
      await time.increaseTo(startedAt + period + window);
      // One late report in a batch no longer sinks the others.
      const tx = submit(f, [
        report(f.bookingId, 0),
        report(f.bookingId, 2),
        report(f.bookingId, 1),
        report(other.bookingId),
      ]);
      await expect(tx).to.emit(f.sla, "SlaReportSkipped").withArgs(f.bookingId, 0, 1, SettleStatus.ReportWindowClosed);
      // Period 0's window has closed (it counts as compliant), so period 1 may settle past it,
      // but period 2 may not skip period 1, whose window was still open.
      await expect(tx).to.emit(f.sla, "SlaReportSkipped").withArgs(f.bookingId, 2, 1, SettleStatus.EarlierPeriodOpen);
      expect((await runsOf(f, tx)).settled).to.deep.equal([
        [f.bookingId, 1, 1],
        [other.bookingId, 0, 1],
      ]);
      expect((await f.escrow.streamOf(f.bookingId)).settledPeriods).to.equal(2n);
    });

    it("rejects reports for bookings that never started", async function () {
      const f = await loadFixture(activeBookingFixture);
      const { bookingId } = await f.book();
      await expect(submit(f, [report(bookingId)]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowInvalidState")
        .withArgs(bookingId, 0);
      await expect(submit(f, [report(999n)]))
        .to.be.revertedWithCustomError(f.marketplace, "MarketplaceUnknownBooking")
        .withArgs(999n);
    });

    it("credits by tier: target, 99 %, 95 %, and latency", async function () {
      const f = await loadFixture(activeBookingFixture);
      const cases = [
        { uptime: 9_950, latency: 250, compliant: true, credit: 0 },
        { uptime: 9_949, latency: 40, compliant: false, credit: 1_000 },
        { uptime: 9_950, latency: 251, compliant: false, credit: 1_000 },
        { uptime: 9_899, latency: 40, compliant: false, credit: 2_500 },
        { uptime: 9_499, latency: 40, compliant: false, credit: 10_000 },
      ];
      for (const c of cases) {
        expect(await f.sla.creditFor(c.uptime, c.latency, 9_950, 250)).to.deep.equal([c.compliant, BigInt(c.credit)]);
      }
      expect(await f.sla.creditFor(9_990, 10_000, 9_950, 0)).to.deep.equal([true, 0n]);

      // Settle the first period at 98 % uptime: 25 % of its value goes back to the consumer.
      const credit = (f.periodValue * 2_500n) / 10_000n;
      await expect(submit(f, [report(f.bookingId, 0, 9_800)]))
        .to.emit(f.sla, "SlaPeriodsSettled")
        .withArgs(
          f.bookingId,
          f.consumer.address,
          f.provider.address,
          0,
          ...settledLists([violatedPeriod(9_800, 2_500, f.periodValue)]),
        );
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(credit);
      expect(await f.escrow.withdrawable(f.bookingId)).to.equal(f.periodValue - credit);
      const record = await f.reputation.recordOf(f.provider.address);
      expect([record.periodsViolated, record.creditBpsTotal]).to.deep.equal([1n, 2_500n]);
    });

    it("settles a batch across providers and records each provider once, by value", async function () {
      const f = await loadFixture(deployFixture);
      const second = f.other;
      await f.marketplace.connect(second).registerProvider(METADATA_CID);
      await f.marketplace
        .connect(second)
        .listResource({ metadataCid: METADATA_CID, region: "us-east-1", kind: 1, terms: f.terms });
      const a = await f.bookActive(undefined, 1);
      const b = await f.bookActive(undefined, 1);
      const [amount] = await f.priceOracle.quote(ethers.ZeroAddress, f.terms.pricePerHourUsdE8);
      await f.marketplace
        .connect(f.consumer)
        .book(2n, 1, ethers.ZeroAddress, amount, f.minSla, OTHER_ENCRYPTION_KEY, { value: amount });
      const c = await f.marketplace.bookingCount();
      await f.confirm(c);
      await time.increase(f.settings.slaPeriodSeconds);

      // Each period is a minute of $1.50 an hour: 2.5 cents, valued at the ETH price (rounded down).
      const periodUsd = 2_499_999n;
      const tx = submit(f, [report(a.bookingId), report(b.bookingId, 0, 9_000), report(c)]);
      await expect(tx)
        .to.emit(f.reputation, "ReputationUpdated")
        .withArgs(f.provider.address, [0, 0, 1, 1, 0, 0, 10_000, periodUsd, 2n * periodUsd], anyValue);
      await expect(tx)
        .to.emit(f.reputation, "ReputationUpdated")
        .withArgs(second.address, [0, 0, 1, 0, 0, 0, 0, periodUsd, periodUsd], anyValue);
      const receipt = await (await tx).wait();
      const updates = receipt!.logs.filter((log) => log.address === f.deployment.contracts.ReputationSystem.proxy);
      expect(updates).to.have.length(2);
    });

    it("settles by the SLA terms and credit policy the booking was made with", async function () {
      const f = await loadFixture(deployFixture);
      const { sla, admin, marketplace, provider, terms, resourceId } = f;
      const { bookingId, amount } = await f.bookActive(undefined, 1);
      // After booking, the provider loosens its SLA and the DAO lowers every credit to nothing.
      await marketplace
        .connect(provider)
        .updateResourceTerms(resourceId, { ...terms, uptimeTargetBps: 0, maxLatencyMs: 0 });
      await sla.connect(admin).setCreditPolicy(0, []);
      expect(await sla.creditPolicyAt((await marketplace.getBooking(bookingId)).requestedAt)).to.deep.equal([
        1_000n,
        [
          [9_900n, 2_500n],
          [9_500n, 10_000n],
        ],
      ]);
      await time.increase(f.settings.slaPeriodSeconds);
      const periodValue = (amount * BigInt(f.settings.slaPeriodSeconds)) / BigInt(HOUR);
      await expect(submit(f, [report(bookingId, 0, 9_000, 900)]))
        .to.emit(sla, "SlaPeriodsSettled")
        .withArgs(
          bookingId,
          f.consumer.address,
          provider.address,
          0,
          ...settledLists([[9_000, 900, 60, false, 10_000, periodValue, periodValue]]),
        );

      // A booking made after both changes settles by the new ones.
      await time.increase(1);
      const later = await f.book(undefined, 1, undefined, resourceId, { uptimeTargetBps: 0, maxLatencyMs: 0 });
      await f.confirm(later.bookingId);
      await time.increase(f.settings.slaPeriodSeconds);
      await expect(submit(f, [report(later.bookingId, 0, 9_000, 900)]))
        .to.emit(sla, "SlaPeriodsSettled")
        .withArgs(
          later.bookingId,
          f.consumer.address,
          provider.address,
          0,
          ...settledLists([[9_000, 900, 60, true, 0, anyValue, 0n]]),
        );
    });

    it("leaves dust out of reputation and rewards, and values what it cannot price as unvalued", async function () {
      const f = await loadFixture(activeBookingFixture);
      const { sla, reputation, admin, provider, eth } = f;
      // A minimum of ten cents: a 2.5-cent period does not count.
      await reputation.connect(admin).setMinValue(10_000_000n);
      await expect(submit(f, [report(f.bookingId)])).to.not.emit(reputation, "ReputationUpdated");
      await time.increase(f.settings.slaPeriodSeconds);
      await eth.feed.updateAnswer(0n);
      await expect(submit(f, [report(f.bookingId, 1)]))
        .to.emit(sla, "ServiceNotValued")
        .withArgs(provider.address, ethers.ZeroAddress, f.periodValue)
        .and.to.emit(sla, "SlaPeriodsSettled");
    });
  });

  describe("ranges", function () {
    /** The production report window in periods: a day of periods fits in one report. */
    const WINDOW_PERIODS = PRODUCTION_SETTINGS.reportWindowSeconds / PRODUCTION_SETTINGS.slaPeriodSeconds;
    const PERIODS = 24;

    /** An active 1-hour ETH booking (60 periods) whose first day of periods has ended. */
    async function dayOfPeriodsFixture() {
      const f = await deployFixtureWith({
        ...TEST_SETTINGS,
        reportWindowSeconds: TEST_SETTINGS.slaPeriodSeconds * WINDOW_PERIODS,
      });
      const { bookingId, amount } = await f.bookActive(undefined, 1);
      const { startedAt } = await f.escrow.streamOf(bookingId);
      await time.increaseTo(startedAt + BigInt(PERIODS * f.settings.slaPeriodSeconds));
      const length = BigInt(f.settings.slaPeriodSeconds);
      /** Value of `period`: what streamed over it, as the escrow cuts the stream (rounded down). */
      const valueOf = (period: number) =>
        (amount * length * BigInt(period + 1)) / BigInt(HOUR) - (amount * length * BigInt(period)) / BigInt(HOUR);
      return { ...f, bookingId, amount, startedAt, valueOf };
    }

    it("settles a day of periods in one report, with one escrow write, one credit and one record", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      const tx = submit(f, [range(f.bookingId, 0, PERIODS, { 5: 9_800 })]);
      await expect(tx)
        .to.emit(f.sla, "SlaPeriodsSettled")
        .withArgs(
          f.bookingId,
          f.consumer.address,
          f.provider.address,
          0,
          ...settledLists(
            Array.from({ length: PERIODS }, (_, i) =>
              i === 5 ? violatedPeriod(9_800, 2_500, f.valueOf(i)) : compliantPeriod(f.valueOf(i)),
            ),
          ),
        )
        .and.to.emit(f.escrow, "ConsumerRefunded")
        .withArgs(f.bookingId, f.consumer.address, ethers.ZeroAddress, (f.valueOf(5) * 2_500n) / 10_000n, 2);
      const receipt = (await (await tx).wait())!;
      const from = (name: "ReputationSystem" | "EscrowManager") =>
        receipt.logs.filter((log) => log.address === f.deployment.contracts[name].proxy);
      expect(from("ReputationSystem")).to.have.length(1);
      expect(from("EscrowManager")).to.have.length(1);
      expect(await f.sla.submitReports.staticCall([], [])).to.equal(0n);
      const stream = await f.escrow.streamOf(f.bookingId);
      expect([stream.settledPeriods, stream.debited]).to.deep.equal([24n, (f.valueOf(5) * 2_500n) / 10_000n]);
      const record = await f.reputation.recordOf(f.provider.address);
      expect([record.periodsCompliant, record.periodsViolated, record.creditBpsTotal]).to.deep.equal([23n, 1n, 2_500n]);
    });

    it("credits each violated period by its own tier and latency", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      // Target 99.5 %, 250 ms: below target 10 %, below 99 % 25 %, below 95 % the whole period.
      const figures = [
        { uptimeBps: 9_950, p95LatencyMs: 250, sampleCount: 60 },
        { uptimeBps: 9_949, p95LatencyMs: 40, sampleCount: 60 },
        { uptimeBps: 9_950, p95LatencyMs: 251, sampleCount: 60 },
        { uptimeBps: 9_899, p95LatencyMs: 40, sampleCount: 60 },
        { uptimeBps: 9_499, p95LatencyMs: 40, sampleCount: 60 },
        { uptimeBps: 0, p95LatencyMs: 0, sampleCount: 1 },
      ];
      const credits = [0, 1_000, 1_000, 2_500, 10_000, 10_000];
      const periods = figures.map((p, i): SettledRow => {
        const credit = (f.valueOf(i) * BigInt(credits[i]!)) / 10_000n;
        return [p.uptimeBps, p.p95LatencyMs, p.sampleCount, i === 0, credits[i]!, f.valueOf(i), credit];
      });
      const streamed = figures.reduce((sum, _, i) => sum + f.valueOf(i), 0n);
      const total = periods.reduce((sum, p) => sum + (p[6] as bigint), 0n);
      await expect(submit(f, [slaReport(f.bookingId, 0, figures)]))
        .to.emit(f.sla, "SlaPeriodsSettled")
        .withArgs(f.bookingId, f.consumer.address, f.provider.address, 0, ...settledLists(periods));
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(total);
      expect(await f.escrow.withdrawable(f.bookingId)).to.equal(streamed - total);
      const record = await f.reputation.recordOf(f.provider.address);
      expect([record.periodsCompliant, record.periodsViolated, record.creditBpsTotal]).to.deep.equal([1n, 5n, 24_500n]);
    });

    it("skips what overlaps settled periods and settles the rest", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      await submit(f, [range(f.bookingId, 0, 10)]);
      const tx = submit(f, [range(f.bookingId, 4, 20, { 12: 9_000 })]);
      expect(await runsOf(f, tx)).to.deep.equal({
        settled: [[f.bookingId, 10, 14]],
        skipped: [[f.bookingId, 4, 6, SettleStatus.AlreadySettled]],
      });
      expect((await f.escrow.streamOf(f.bookingId)).settledPeriods).to.equal(24n);
      // A report wholly settled before changes nothing.
      const again = submit(f, [range(f.bookingId, 0, 24, { 3: 0 })]);
      expect(await runsOf(f, again)).to.deep.equal({
        settled: [],
        skipped: [[f.bookingId, 0, 24, SettleStatus.AlreadySettled]],
      });
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(f.valueOf(12));
    });

    it("skips the periods whose window closed and settles the rest of the range", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      const period = BigInt(f.settings.slaPeriodSeconds);
      // Periods 0–3 are out of their window; 4–39 have ended, 40 and 41 have not.
      await time.increaseTo(f.startedAt + period * 4n + BigInt(f.settings.reportWindowSeconds));
      const tx = submit(f, [range(f.bookingId, 0, 42, { 2: 0, 7: 9_000 })]);
      expect(await runsOf(f, tx)).to.deep.equal({
        settled: [[f.bookingId, 4, 36]],
        skipped: [
          [f.bookingId, 0, 4, SettleStatus.ReportWindowClosed],
          [f.bookingId, 40, 2, SettleStatus.PeriodNotEnded],
        ],
      });
      // The outage in period 2 came too late to earn a credit; period 7's did not.
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(f.valueOf(7));
      expect((await f.escrow.streamOf(f.bookingId)).settledPeriods).to.equal(40n);
    });

    it("skips a range out of order while an earlier period can still be reported, then settles it", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      const late = range(f.bookingId, 12, 12);
      const early = range(f.bookingId, 0, 12);
      expect(await runsOf(f, submit(f, [late, early]))).to.deep.equal({
        settled: [[f.bookingId, 0, 12]],
        skipped: [[f.bookingId, 12, 12, SettleStatus.EarlierPeriodOpen]],
      });
      expect(await runsOf(f, submit(f, [late]))).to.deep.equal({ settled: [[f.bookingId, 12, 12]], skipped: [] });
      expect((await f.escrow.streamOf(f.bookingId)).settledPeriods).to.equal(24n);
    });

    it("leaves a gap open until its window closes, then counts it as compliant and settles what follows", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      await submit(f, [range(f.bookingId, 0, 4)]);
      // Periods 4 and 5 go unreported: a range from 6 on waits while they still can be.
      const after = range(f.bookingId, 6, 18, { 10: 9_000 });
      expect(await runsOf(f, submit(f, [after]))).to.deep.equal({
        settled: [],
        skipped: [[f.bookingId, 6, 18, SettleStatus.EarlierPeriodOpen]],
      });
      await time.increaseTo(
        f.startedAt + BigInt(6 * f.settings.slaPeriodSeconds + f.settings.reportWindowSeconds) - 1n,
      );
      expect(await runsOf(f, submit(f, [after]))).to.deep.equal({
        settled: [[f.bookingId, 6, 18]],
        skipped: [],
      });
      // The gap earned the provider its full value; the reported outage was credited.
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(f.valueOf(10));
      expect((await f.escrow.streamOf(f.bookingId)).settledPeriods).to.equal(24n);
      const record = await f.reputation.recordOf(f.provider.address);
      expect([record.periodsCompliant, record.periodsViolated]).to.deep.equal([21n, 1n]);
    });

    it("settles nothing of a range that has not ended, and all of it once it has", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      const ahead = range(f.bookingId, PERIODS, PERIODS, { [PERIODS + 1]: 9_800 });
      await submit(f, [range(f.bookingId, 0, PERIODS)]);
      expect(await runsOf(f, submit(f, [ahead]))).to.deep.equal({
        settled: [],
        skipped: [[f.bookingId, PERIODS, PERIODS, SettleStatus.PeriodNotEnded]],
      });
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(0n);
      await time.increase(PERIODS * f.settings.slaPeriodSeconds);
      expect(await runsOf(f, submit(f, [ahead]))).to.deep.equal({
        settled: [[f.bookingId, PERIODS, PERIODS]],
        skipped: [],
      });
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(
        (f.valueOf(PERIODS + 1) * 2_500n) / 10_000n,
      );
    });

    it("settles a range twice in one batch only once", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      const r = range(f.bookingId, 0, PERIODS, { 0: 0 });
      const signatures = await f.signReport(r);
      const tx = f.sla.submitReports([r, r], [signatures, signatures]);
      expect(await runsOf(f, tx)).to.deep.equal({
        settled: [[f.bookingId, 0, PERIODS]],
        skipped: [[f.bookingId, 0, PERIODS, SettleStatus.AlreadySettled]],
      });
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(f.valueOf(0));
    });

    it("binds every period's figures to the signatures", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      const r = range(f.bookingId, 0, PERIODS);
      const signatures = await f.signReport(r);
      // The same signatures over one period's changed figures, a shorter range or another start.
      const changed = [
        { ...r, uptimeBps: r.uptimeBps.map((u, i) => (i === 17 ? 0 : u)) },
        range(f.bookingId, 0, PERIODS - 1),
        range(f.bookingId, 1, PERIODS),
      ];
      for (const bad of changed) {
        await expect(f.sla.submitReports([bad], [signatures])).to.be.revertedWithCustomError(
          f.sla,
          "QuorumUnknownSigner",
        );
      }
      // A range signed by one oracle and a stranger, or by one oracle twice, does not settle.
      await expect(submit(f, [r], [f.oracleA, f.other])).to.be.revertedWithCustomError(f.sla, "QuorumUnknownSigner");
      const [one] = await f.signReport(r, [f.oracleA]);
      await expect(f.sla.submitReports([r], [[one!, one!]])).to.be.revertedWithCustomError(
        f.sla,
        "QuorumDuplicateSigner",
      );
      await expect(f.sla.submitReports([r], [[one!]])).to.be.revertedWithCustomError(f.sla, "QuorumNotReached");
    });

    it("reverts a range reaching past the booking's last period", async function () {
      const f = await loadFixture(dayOfPeriodsFixture);
      await expect(submit(f, [range(f.bookingId, 50, 11)]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowPeriodOutOfRange")
        .withArgs(f.bookingId, 60, 60);
    });
  });

  describe("governance", function () {
    it("adds and removes signers, keeping the quorum reachable", async function () {
      const f = await loadFixture(deployFixture);
      const { sla, admin, other, oracleC } = f;
      await expect(sla.connect(admin).addSigner(other.address)).to.emit(sla, "SignerAdded").withArgs(other.address);
      expect(await sla.isSigner(other.address)).to.equal(true);
      expect(await sla.signerCount()).to.equal(4n);
      await expect(sla.connect(admin).addSigner(other.address))
        .to.be.revertedWithCustomError(sla, "QuorumSignerExists")
        .withArgs(other.address);
      await expect(sla.connect(admin).addSigner(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        sla,
        "ManagedZeroAddress",
      );
      await expect(sla.connect(admin).removeSigner(other.address))
        .to.emit(sla, "SignerRemoved")
        .withArgs(other.address);
      await expect(sla.connect(admin).removeSigner(other.address))
        .to.be.revertedWithCustomError(sla, "QuorumSignerMissing")
        .withArgs(other.address);
      await sla.connect(admin).removeSigner(oracleC.address);
      // Two signers left with a quorum of two: removing another would make reports impossible.
      await expect(sla.connect(admin).removeSigner(f.oracleB.address))
        .to.be.revertedWithCustomError(sla, "QuorumInvalid")
        .withArgs(2, 1);
    });

    it("sets the quorum between 1 and the number of signers", async function () {
      const f = await loadFixture(deployFixture);
      const { sla, admin } = f;
      await expect(sla.connect(admin).setQuorum(3)).to.emit(sla, "QuorumUpdated").withArgs(3);
      expect(await sla.quorum()).to.equal(3n);
      for (const quorum of [0, 4]) {
        await expect(sla.connect(admin).setQuorum(quorum))
          .to.be.revertedWithCustomError(sla, "QuorumInvalid")
          .withArgs(quorum, 3);
      }
    });

    it("sets a credit policy of strictly deeper tiers", async function () {
      const f = await loadFixture(deployFixture);
      const { sla, admin } = f;
      const tiers = [
        { uptimeBelowBps: 9_000, creditBps: 5_000 },
        { uptimeBelowBps: 5_000, creditBps: 10_000 },
      ];
      const before = await time.latest();
      await expect(sla.connect(admin).setCreditPolicy(500, tiers))
        .to.emit(sla, "CreditPolicyUpdated")
        .withArgs(500, [
          [9_000, 5_000],
          [5_000, 10_000],
        ]);
      expect(await sla.creditPolicy()).to.deep.equal([
        500n,
        [
          [9_000n, 5_000n],
          [5_000n, 10_000n],
        ],
      ]);
      // Bookings requested up to the change keep the policy before it.
      const changedAt = await time.latest();
      expect((await sla.creditPolicyAt(before))[0]).to.equal(1_000n);
      expect((await sla.creditPolicyAt(changedAt))[0]).to.equal(1_000n);
      expect((await sla.creditPolicyAt(changedAt + 1))[0]).to.equal(500n);
      const invalid: [number, { uptimeBelowBps: number; creditBps: number }[]][] = [
        [10_001, []],
        [500, [tiers[1]!, tiers[0]!]],
        [500, [{ uptimeBelowBps: 9_000, creditBps: 400 }]],
        [500, [{ uptimeBelowBps: 9_000, creditBps: 10_001 }]],
        [500, [{ uptimeBelowBps: 10_001, creditBps: 1_000 }]],
        [0, Array.from({ length: 9 }, (_, i) => ({ uptimeBelowBps: 9_000 - i, creditBps: 100 + i }))],
      ];
      for (const [base, policy] of invalid) {
        await expect(sla.connect(admin).setCreditPolicy(base, policy)).to.be.revertedWithCustomError(
          sla,
          "SlaInvalidCreditPolicy",
        );
      }
    });

    it("lets only the admin govern", async function () {
      const f = await loadFixture(deployFixture);
      const { sla, other } = f;
      const role = await sla.DEFAULT_ADMIN_ROLE();
      for (const call of [
        () => sla.connect(other).addSigner(other.address),
        () => sla.connect(other).removeSigner(f.oracleA.address),
        () => sla.connect(other).setQuorum(1),
        () => sla.connect(other).setCreditPolicy(0, []),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(sla, "AccessControlUnauthorizedAccount")
          .withArgs(other.address, role);
      }
    });
  });
});
