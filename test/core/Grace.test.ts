import { expect } from "chai";

import { slaReport } from "@d-cloudx/sdk";

import { HOUR, TEST_SETTINGS, deployFixtureWith, networkHelpers } from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

const GRACE = 600;

function graceFixture() {
  return deployFixtureWith({ ...TEST_SETTINGS, gracePeriodSeconds: GRACE });
}

type Fixture = Awaited<ReturnType<typeof graceFixture>>;
type PaymentToken = Fixture["tokens"][number];

/** The consumer extends `bookingId` by `hours`, paying the exact quote in `token`. */
async function extend(f: Fixture, bookingId: bigint, hours: number, token: PaymentToken) {
  const { pricePerHourUsdE8 } = await f.marketplace.getResource(f.resourceId);
  const [amount] = await f.priceOracle.quote(token.address, pricePerHourUsdE8 * BigInt(hours));
  const value = token.token ? 0n : amount;
  const tx = f.marketplace.connect(f.consumer).extendBooking(bookingId, hours, token.address, amount, f.minSla, {
    value,
  });
  return { tx, amount };
}

describe("Grace after a booking's end", function () {
  it("is a DAO setting of at most 30 days", async function () {
    const f = await loadFixture(graceFixture);
    expect(await f.escrow.gracePeriod()).to.equal(GRACE);
    await expect(f.escrow.setGracePeriod(30 * 24 * HOUR))
      .to.emit(f.escrow, "GracePeriodUpdated")
      .withArgs(30 * 24 * HOUR);
    await expect(f.escrow.setGracePeriod(30 * 24 * HOUR + 1))
      .to.be.revertedWithCustomError(f.escrow, "EscrowInvalidGracePeriod")
      .withArgs(30 * 24 * HOUR + 1);
    await expect(f.escrow.connect(f.other).setGracePeriod(0)).to.be.revertedWithCustomError(
      f.escrow,
      "AccessControlUnauthorizedAccount",
    );
  });

  for (const symbol of ["ETH", "USDC"]) {
    it(`an extension in grace resumes a ${symbol} booking: the gap streams nothing, the resumed time is paid exactly`, async function () {
      const f = await loadFixture(graceFixture);
      const token = f.tokens.find((t) => t.symbol === symbol)!;
      const { bookingId, amount } = await f.bookActive(token.address, 1);
      const { startedAt, endsAt } = await f.escrow.streamOf(bookingId);

      await time.increaseTo(endsAt + 299n);
      const resumedAt = endsAt + 300n;
      const { tx, amount: extra } = await extend(f, bookingId, 2, token);
      const newEnd = resumedAt + 2n * BigInt(HOUR);
      await expect(tx)
        .to.emit(f.escrow, "StreamResumed")
        .withArgs(bookingId, resumedAt, newEnd)
        .and.to.emit(f.marketplace, "BookingExtended")
        .withArgs(
          bookingId,
          f.consumer.address,
          2,
          2n * (await f.marketplace.getResource(f.resourceId)).pricePerHourUsdE8,
          3,
          newEnd,
        );
      const offset = endsAt - startedAt;
      expect(await f.escrow.boundariesOf(bookingId)).to.deep.equal([
        [offset, amount, 2n, 300n],
        [offset + 300n, amount, 0n, 0n],
      ]);
      const stream = await f.escrow.streamOf(bookingId);
      expect([stream.startedAt, stream.endsAt, stream.hoursBooked]).to.deep.equal([startedAt, newEnd, 3n]);

      // Half an hour into the resumed time the consumer stops: refunded all but that half hour.
      await time.increaseTo(resumedAt + 1799n);
      const streamedExtra = (extra * 1800n) / (2n * BigInt(HOUR));
      await expect(f.marketplace.connect(f.consumer).terminateBooking(bookingId))
        .to.emit(f.marketplace, "BookingTerminated")
        .withArgs(bookingId, f.consumer.address, f.consumer.address, false, extra - streamedExtra);
    });
  }

  it("a second resume adds up the gaps, and the booking still streams exactly its deposit", async function () {
    const f = await loadFixture(graceFixture);
    const { bookingId, amount } = await f.bookActive(f.dai.address, 1);
    const { startedAt, endsAt } = await f.escrow.streamOf(bookingId);
    await time.increaseTo(endsAt + 99n);
    const resumed = await extend(f, bookingId, 1, f.dai);
    await resumed.tx;
    const first = resumed.amount;
    const secondEnd = endsAt + 100n + BigInt(HOUR);
    await time.increaseTo(secondEnd + 199n);
    const { tx, amount: second } = await extend(f, bookingId, 1, f.dai);
    await expect(tx).to.emit(f.escrow, "StreamResumed");
    const boundaries = await f.escrow.boundariesOf(bookingId);
    expect(boundaries.map((b) => [b.offset, b.valueBefore])).to.deep.equal([
      [endsAt - startedAt, amount],
      [endsAt - startedAt + 100n, amount],
      [secondEnd - startedAt, amount + first],
      [secondEnd - startedAt + 200n, amount + first],
    ]);
    expect([boundaries[0]!.count, boundaries[0]!.gapSeconds]).to.deep.equal([4n, 300n]);
    // Every period's window closed: the provider may withdraw the whole deposit, and no more.
    const { endsAt: finalEnd } = await f.escrow.streamOf(bookingId);
    await time.increaseTo(finalEnd + BigInt(TEST_SETTINGS.reportWindowSeconds) + 1n);
    expect(await f.escrow.withdrawable(bookingId)).to.equal(amount + first + second);
  });

  it("after the grace an extension is refused and anyone completes the booking; in it only the consumer may", async function () {
    const f = await loadFixture(graceFixture);
    const { bookingId } = await f.bookActive(f.usdc.address, 1);
    const { bookingId: second } = await f.bookActive(f.usdc.address, 1);
    const { endsAt } = await f.escrow.streamOf(bookingId);
    await time.increaseTo(endsAt + 10n);
    // In grace: not terminable (nothing is running), not completable by others.
    await expect(f.marketplace.connect(f.consumer).terminateBooking(bookingId)).to.be.revertedWithCustomError(
      f.escrow,
      "EscrowStreamEnded",
    );
    await expect(f.marketplace.connect(f.provider).completeBooking(bookingId))
      .to.be.revertedWithCustomError(f.marketplace, "MarketplaceInGrace")
      .withArgs(bookingId, endsAt + BigInt(GRACE));
    await expect(f.marketplace.connect(f.consumer).completeBooking(bookingId))
      .to.emit(f.marketplace, "BookingCompleted")
      .withArgs(bookingId, f.consumer.address);

    const { endsAt: secondEnd } = await f.escrow.streamOf(second);
    await time.increaseTo(secondEnd + BigInt(GRACE) - 1n);
    const { tx } = await extend(f, second, 1, f.usdc);
    await expect(tx).to.be.revertedWithCustomError(f.escrow, "EscrowStreamEnded").withArgs(second, secondEnd);
    await expect(f.marketplace.connect(f.other).completeBooking(second)).to.emit(f.marketplace, "BookingCompleted");
  });

  it("an extension exactly at the end continues the stream without a gap", async function () {
    const f = await loadFixture(graceFixture);
    const { bookingId, amount } = await f.bookActive(f.usdc.address, 1);
    const { startedAt, endsAt } = await f.escrow.streamOf(bookingId);
    await f.marketplace.connect(f.provider).updateResourceTerms(f.resourceId, {
      ...f.terms,
      pricePerHourUsdE8: f.terms.pricePerHourUsdE8 * 2n,
    });
    await time.setNextBlockTimestamp(endsAt);
    const { tx } = await extend(f, bookingId, 1, f.usdc);
    await expect(tx).not.to.emit(f.escrow, "StreamResumed");
    expect(await f.escrow.boundariesOf(bookingId)).to.deep.equal([[endsAt - startedAt, amount, 1n, 0n]]);
  });

  it("an extension at the rate the stream already runs at needs no boundary, and streams the same to the unit", async function () {
    const f = await loadFixture(graceFixture);
    const { bookingId, amount } = await f.bookActive(f.usdc.address, 2);
    const { startedAt } = await f.escrow.streamOf(bookingId);
    const { tx, amount: extra } = await extend(f, bookingId, 3, f.usdc);
    await tx;
    expect(extra * 2n).to.equal(amount * 3n);
    expect(await f.escrow.boundariesOf(bookingId)).to.deep.equal([]);
    // Terminated 2 h 20 min in: the two first hours and a third of the extension's first hour.
    await time.setNextBlockTimestamp(startedAt + 2n * BigInt(HOUR) + 1_200n);
    await expect(f.marketplace.connect(f.consumer).terminateBooking(bookingId))
      .to.emit(f.marketplace, "BookingTerminated")
      .withArgs(
        bookingId,
        f.consumer.address,
        f.consumer.address,
        false,
        extra - (extra * 1_200n) / (3n * BigInt(HOUR)),
      );
  });

  it("SLA periods inside the gap are worth nothing and feed no credit or reputation; one straddling the resume is valued by the stream", async function () {
    const f = await loadFixture(graceFixture);
    const { bookingId, amount } = await f.bookActive(f.usdc.address, 1);
    const { startedAt, endsAt } = await f.escrow.streamOf(bookingId);
    const period = BigInt(TEST_SETTINGS.slaPeriodSeconds);
    // Resume 150 s after the end: periods 60 and 61 lie inside the gap, 62 straddles the resume.
    await time.increaseTo(endsAt + 149n);
    const resumed = await extend(f, bookingId, 2, f.usdc);
    await resumed.tx;
    const extra = resumed.amount;
    await time.increaseTo(startedAt + 63n * period);
    const record = await f.reputation.recordOf(f.provider.address);

    // Periods up to 57 have had their report window close; 58 and 59 met the SLA, 60–62 did not.
    const uptimes = [10_000, 10_000, 0, 0, 0];
    const periods = uptimes.map((uptimeBps) => ({ uptimeBps, p95LatencyMs: 30, sampleCount: 60 }));
    const report = slaReport(bookingId, 58, periods);
    const owedBefore = await f.escrow.owed(f.consumer.address, f.usdc.address);
    await f.sla.submitReports([report], [await f.signReport(report)]);

    // Period 62 runs 30 s into the resumed time: its value is what the extension streams in 30 s.
    const straddling = (extra * 30n) / (2n * BigInt(HOUR));
    expect((await f.escrow.owed(f.consumer.address, f.usdc.address)) - owedBefore).to.equal(straddling);
    const after = await f.reputation.recordOf(f.provider.address);
    expect(after.periodsViolated - record.periodsViolated).to.equal(1n);
    expect(after.periodsCompliant - record.periodsCompliant).to.equal(2n);
    expect((await f.escrow.streamOf(bookingId)).settledPeriods).to.equal(63n);
    expect(amount).to.be.greaterThan(0n);
  });
});
