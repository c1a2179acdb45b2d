import { expect } from "chai";

import { slaReport } from "@d-cloudx/sdk";

import { HOUR, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

type Fixture = Awaited<ReturnType<typeof deployFixture>>;
type PaymentToken = Fixture["tokens"][number];

async function balanceOf(f: Fixture, token: PaymentToken, account: string) {
  return token.token ? token.token.balanceOf(account) : ethers.provider.getBalance(account);
}

/** Signs and submits one report of the periods from `from` on. */
async function reportPeriods(f: Fixture, bookingId: bigint, uptimes: number[], from = 0) {
  const report = slaReport(
    bookingId,
    from,
    uptimes.map((uptimeBps) => ({ uptimeBps, p95LatencyMs: 30, sampleCount: 60 })),
  );
  await f.sla.submitReports([report], [await f.signReport(report)]);
}

/** Everyone withdraws and claims what they are owed in `token`. */
async function settleUp(f: Fixture, token: PaymentToken, bookingId: bigint) {
  if ((await f.escrow.withdrawable(bookingId)) > 0n) await f.escrow.connect(f.provider).withdrawEarnings(bookingId);
  for (const account of [f.consumer, f.treasury]) {
    if ((await f.escrow.owed(account.address, token.address)) > 0n)
      await f.escrow.connect(account).claim(token.address);
  }
}

describe("Booking lifecycles", function () {
  for (const symbol of ["ETH", "DAI", "USDC"]) {
    describe(`paid in ${symbol}`, function () {
      it("runs to completion with an SLA breach, and every unit ends with its owner", async function () {
        const f = await loadFixture(deployFixture);
        const token = f.tokens.find((t) => t.symbol === symbol)!;
        const escrowAddress = await f.escrow.getAddress();
        const escrowBefore = await balanceOf(f, token, escrowAddress);
        const { bookingId, amount } = await f.bookActive(token.address, 1);
        const { startedAt } = await f.escrow.streamOf(bookingId);
        const period = f.settings.slaPeriodSeconds;

        // Mid-way, the provider withdraws what the settled periods released.
        await time.increaseTo(startedAt + BigInt(period * 4));
        await reportPeriods(f, bookingId, [10_000, 10_000, 9_800, 10_000]);
        const periodValue = (amount * BigInt(period)) / BigInt(HOUR);
        const credit = (periodValue * 2_500n) / 10_000n;
        expect(await f.escrow.withdrawable(bookingId)).to.equal((amount * 4n * BigInt(period)) / BigInt(HOUR) - credit);
        await f.escrow.connect(f.provider).withdrawEarnings(bookingId);

        // The rest runs out unreported; those periods release once their window has closed.
        await time.increaseTo(startedAt + BigInt(HOUR));
        await f.marketplace.completeBooking(bookingId);
        await f.marketplace.connect(f.consumer).rateBooking(bookingId, 4);
        await time.increase(f.settings.reportWindowSeconds);

        const providerBefore = await balanceOf(f, token, f.provider.address);
        await settleUp(f, token, bookingId);
        const stream = await f.escrow.streamOf(bookingId);
        expect(stream.debited).to.equal(amount);
        expect(await balanceOf(f, token, escrowAddress)).to.equal(escrowBefore);
        if (token.token) expect(await balanceOf(f, token, f.provider.address)).to.be.greaterThan(providerBefore);

        const record = await f.reputation.recordOf(f.provider.address);
        expect([
          record.bookingsCompleted,
          record.periodsCompliant,
          record.periodsViolated,
          record.ratingsSum,
        ]).to.deep.equal([1n, 3n, 1n, 4n]);
      });

      it("terminates early: unused time and credits go back, the provider keeps the rest", async function () {
        const f = await loadFixture(deployFixture);
        const token = f.tokens.find((t) => t.symbol === symbol)!;
        const escrowAddress = await f.escrow.getAddress();
        const escrowBefore = await balanceOf(f, token, escrowAddress);
        const consumerBefore = await balanceOf(f, token, f.consumer.address);
        const { bookingId, amount } = await f.bookActive(token.address, 2);
        const { startedAt } = await f.escrow.streamOf(bookingId);
        const period = BigInt(f.settings.slaPeriodSeconds);

        await time.increaseTo(startedAt + 3n * period);
        await reportPeriods(f, bookingId, [9_000, 10_000]);
        await time.setNextBlockTimestamp(startedAt + 3n * period + 30n);
        await f.marketplace.connect(f.consumer).terminateBooking(bookingId);

        const duration = 2n * BigInt(HOUR);
        const used = (amount * (3n * period + 30n)) / duration;
        const credit = (amount * period) / duration; // period 0 at 90 %: credited in full
        const fee = ((used - credit) * BigInt(f.settings.protocolFeeBps)) / 10_000n;
        expect(await f.escrow.owed(f.consumer.address, token.address)).to.equal(amount - used + credit);

        await time.increase(f.settings.reportWindowSeconds + Number(period));
        expect(await f.escrow.withdrawable(bookingId)).to.equal(used - credit);
        await settleUp(f, token, bookingId);
        expect(await balanceOf(f, token, escrowAddress)).to.equal(escrowBefore);
        expect(await f.escrow.owed(f.treasury.address, token.address)).to.equal(0n);
        if (token.token) {
          expect(await balanceOf(f, token, f.consumer.address)).to.equal(consumerBefore - used + credit);
          expect(await token.token.balanceOf(f.treasury.address)).to.equal(fee);
        }
      });
    });
  }

  it("compensates the consumer from the bond when provisioning never happens", async function () {
    const f = await loadFixture(deployFixture);
    await f.escrow.connect(f.provider).depositBond(ethers.ZeroAddress, 10n ** 18n, { value: 10n ** 18n });
    const { bookingId, amount } = await f.book(undefined, 8);
    await time.increase(f.settings.provisionTimeoutSeconds + 1);
    await f.marketplace.connect(f.other).cancelBooking(bookingId);
    const slash = (amount * BigInt(f.settings.bondSlashBps)) / 10_000n;
    expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(amount + slash);
    await expect(f.escrow.connect(f.consumer).claim(ethers.ZeroAddress)).to.changeEtherBalance(
      ethers,
      f.consumer,
      amount + slash,
    );
    expect((await f.reputation.recordOf(f.provider.address)).bookingsFailed).to.equal(1n);
  });
});
