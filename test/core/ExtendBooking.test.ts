import { expect } from "chai";

import { permitTypes, settledPeriods, slaReport, streamBoundaries, streamedPiecewise } from "@d-cloudx/sdk";

import {
  HOUR,
  PRICE_PER_HOUR_USD_E8,
  TEST_SETTINGS,
  deployFixture,
  deployFixtureWith,
  ethers,
  networkHelpers,
} from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

type Fixture = Awaited<ReturnType<typeof deployFixture>>;
type PaymentToken = Fixture["tokens"][number];

async function balanceOf(f: Fixture, token: PaymentToken, account: string) {
  return token.token ? token.token.balanceOf(account) : ethers.provider.getBalance(account);
}

/** The consumer extends `bookingId` by `hours`, paying the exact quote in `token` at the resource's price now. */
async function extend(f: Fixture, bookingId: bigint, hours: number, token: PaymentToken) {
  const { pricePerHourUsdE8 } = await f.marketplace.getResource(f.resourceId);
  const [amount] = await f.priceOracle.quote(token.address, pricePerHourUsdE8 * BigInt(hours));
  const value = token.token ? 0n : amount;
  const tx = await f.marketplace
    .connect(f.consumer)
    .extendBooking(bookingId, hours, token.address, amount, f.minSla, { value });
  return { tx, amount };
}

/** The resource's terms with another hourly price. */
async function setPrice(f: Fixture, pricePerHourUsdE8: bigint) {
  await f.marketplace.connect(f.provider).updateResourceTerms(f.resourceId, { ...f.terms, pricePerHourUsdE8 });
}

/** Signs and submits one report of consecutive periods from `from` on, one per uptime. */
async function reportPeriods(f: Fixture, bookingId: bigint, uptimes: number[], from: number) {
  const periods = uptimes.map((uptimeBps) => ({ uptimeBps, p95LatencyMs: 30, sampleCount: 60 }));
  const report = slaReport(bookingId, from, periods);
  return f.sla.submitReports([report], [await f.signReport(report)]);
}

describe("ResourceMarketplace.extendBooking", function () {
  for (const symbol of ["ETH", "DAI", "USDC"]) {
    it(`extends a running booking in ${symbol} at today's price; what streamed so far stays, the rest streams after the old end`, async function () {
      const f = await loadFixture(deployFixture);
      const token = f.tokens.find((t) => t.symbol === symbol)!;
      const escrowAddress = await f.escrow.getAddress();
      const escrowBefore = await balanceOf(f, token, escrowAddress);
      const { bookingId, amount } = await f.bookActive(token.address, 2);
      const before = await f.escrow.streamOf(bookingId);
      const { activeBookings } = await f.marketplace.getResource(f.resourceId);

      await time.increaseTo(before.startedAt + BigInt(HOUR));
      await setPrice(f, PRICE_PER_HOUR_USD_E8 * 2n);
      const { tx, amount: extra } = await extend(f, bookingId, 3, token);
      const endsAt = before.endsAt + 3n * BigInt(HOUR);
      await expect(tx)
        .to.emit(f.marketplace, "BookingExtended")
        .withArgs(bookingId, f.consumer.address, 3, PRICE_PER_HOUR_USD_E8 * 6n, 5, endsAt)
        .and.to.emit(f.escrow, "DepositIncreased")
        .withArgs(bookingId, f.consumer.address, token.address, extra);

      const after = await f.escrow.streamOf(bookingId);
      expect([after.startedAt, after.endsAt, after.hoursBooked, after.feeBps]).to.deep.equal([
        before.startedAt,
        endsAt,
        5n,
        before.feeBps,
      ]);
      expect((await f.escrow.depositOf(bookingId)).amount).to.equal(amount + extra);
      expect((await f.marketplace.getBooking(bookingId)).hoursBooked).to.equal(5n);
      expect((await f.marketplace.getResource(f.resourceId)).activeBookings).to.equal(activeBookings);
      expect(await f.escrow.boundariesOf(bookingId)).to.deep.equal([[2n * BigInt(HOUR), amount, 1n, 0n]]);
      expect(await f.escrow.activeValueOf(f.provider.address, token.address)).to.equal(amount + extra);

      // Half an hour into the extension, a termination refunds the unused 2.5 hours at the new price.
      const stopAt = before.endsAt + BigInt(HOUR) / 2n;
      await time.setNextBlockTimestamp(stopAt);
      await f.marketplace.connect(f.consumer).terminateBooking(bookingId);
      const streamedExtra = (extra * (BigInt(HOUR) / 2n)) / (3n * BigInt(HOUR));
      expect(await f.escrow.owed(f.consumer.address, token.address)).to.equal(extra - streamedExtra);

      // Every unit ends with its owner.
      await time.increase(f.settings.reportWindowSeconds + f.settings.slaPeriodSeconds);
      expect(await f.escrow.withdrawable(bookingId)).to.equal(amount + streamedExtra);
      await f.escrow.connect(f.provider).withdrawEarnings(bookingId);
      for (const account of [f.consumer, f.treasury]) await f.escrow.connect(account).claim(token.address);
      expect(await balanceOf(f, token, escrowAddress)).to.equal(escrowBefore);
    });
  }

  it("keeps SLA periods seamless: those before the old end settle at the old rate, those after at the new one", async function () {
    const f = await loadFixture(deployFixture);
    const token = f.usdc;
    const { bookingId, amount } = await f.bookActive(token.address, 1);
    const { startedAt } = await f.escrow.streamOf(bookingId);
    const period = BigInt(f.settings.slaPeriodSeconds);
    const periodsPerHour = BigInt(HOUR) / period;

    await time.increaseTo(startedAt + BigInt(HOUR) - period);
    await setPrice(f, PRICE_PER_HOUR_USD_E8 * 3n);
    const { amount: extra } = await extend(f, bookingId, 1, token);
    expect(extra).to.equal(amount * 3n);

    // The last period of the first hour and the first of the second, both breached at 90 % (full
    // credit), reported once the windows of the periods before have closed.
    const last = Number(periodsPerHour) - 1;
    await time.increaseTo(startedAt + BigInt(HOUR) - period + BigInt(f.settings.reportWindowSeconds) + 10n);
    await reportPeriods(f, bookingId, [9_000, 9_000], last);
    const oldPeriodValue = (amount * period) / BigInt(HOUR);
    const newPeriodValue = (extra * period) / BigInt(HOUR);
    expect(await f.escrow.owed(f.consumer.address, token.address)).to.equal(oldPeriodValue + newPeriodValue);

    // A credit taken before the extension stays; the provider never gets more than was paid, less credits.
    await time.increaseTo(startedAt + 2n * BigInt(HOUR));
    await f.marketplace.completeBooking(bookingId);
    await time.increase(f.settings.reportWindowSeconds);
    expect(await f.escrow.withdrawable(bookingId)).to.equal(amount + extra - oldPeriodValue - newPeriodValue);
  });

  it("values each period of one range report across an extension boundary as the stream runs, the sdk's maths to the unit", async function () {
    // Periods of 1,000 s do not divide the hour: period 3 runs from 3,000 s to 4,000 s, across the
    // end of the first booked hour, where the extension's price takes over.
    const f = await deployFixtureWith({ ...TEST_SETTINGS, slaPeriodSeconds: 1_000, reportWindowSeconds: 6 * HOUR });
    const token = f.usdc;
    const { bookingId, amount } = await f.bookActive(token.address, 1);
    const { startedAt } = await f.escrow.streamOf(bookingId);
    await time.increaseTo(startedAt + 1_000n);
    await setPrice(f, PRICE_PER_HOUR_USD_E8 * 3n);
    const { amount: extra } = await extend(f, bookingId, 1, token);
    const { endsAt } = await f.escrow.streamOf(bookingId);

    // The sdk reads the stream's boundaries from the booking as the subgraph records it.
    const boundaries = streamBoundaries({
      amount: amount + extra,
      hoursBooked: 2,
      startedAt,
      endsAt,
      extensions: [{ amount: extra, hours: 1, endsAt }],
    });
    const onChain = await f.escrow.boundariesOf(bookingId);
    expect(boundaries.map((b) => [b.offset, b.valueBefore])).to.deep.equal(onChain.map((b) => [b[0], b[1]]));
    const duration = 2n * BigInt(HOUR);
    const at = (offset: bigint) => streamedPiecewise(amount + extra, offset, duration, boundaries);

    // All 8 periods in one report once the stream has ended, breached in the one across the boundary.
    await time.increaseTo(endsAt + 10n);
    const uptimes = [10_000, 10_000, 10_000, 9_000, 10_000, 9_950, 10_000, 10_000];
    const receipt = await (await reportPeriods(f, bookingId, uptimes, 0)).wait();
    const log = receipt!.logs
      .map((l) => f.sla.interface.parseLog(l))
      .find((parsed) => parsed?.name === "SlaPeriodsSettled")!;
    const settled = settledPeriods({
      firstPeriod: log.args.firstPeriod,
      figures: log.args.figures,
      amounts: log.args.amounts,
    });
    expect(settled.map((p) => p.period)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    const expected = settled.map((p) => {
      const end = BigInt(Math.min((p.period + 1) * 1_000, 2 * HOUR));
      return at(end) - at(BigInt(p.period * 1_000));
    });
    expect(settled.map((p) => p.value)).to.deep.equal(expected);
    expect(settled.map((p) => p.credit)).to.deep.equal(settled.map((p) => (p.value * BigInt(p.creditBps)) / 10_000n));
    // The straddling period is worth the old rate's last 600 s and the new rate's first 400 s, not
    // the booking's average rate.
    const straddling = amount - (amount * 3_000n) / BigInt(HOUR) + (extra * 400n) / BigInt(HOUR);
    expect(settled[3]!.value).to.equal(straddling);
    expect(straddling).to.not.equal(((amount + extra) * 4_000n) / duration - ((amount + extra) * 3_000n) / duration);
    expect(settled[3]!.credit).to.be.greaterThan(0n);
    expect(settled.reduce((sum, p) => sum + p.value, 0n)).to.equal(amount + extra);

    const credits = settled.reduce((sum, p) => sum + p.credit, 0n);
    expect(await f.escrow.owed(f.consumer.address, token.address)).to.equal(credits);
    await f.marketplace.completeBooking(bookingId);
    expect(await f.escrow.withdrawable(bookingId)).to.equal(amount + extra - credits);
  });

  it("streams piecewise over several extensions at different prices", async function () {
    const f = await loadFixture(deployFixture);
    const token = f.dai;
    const { bookingId, amount } = await f.bookActive(token.address, 1);
    const { startedAt } = await f.escrow.streamOf(bookingId);
    const extras: bigint[] = [];
    for (const [i, multiple] of [2n, 5n, 1n].entries()) {
      await setPrice(f, PRICE_PER_HOUR_USD_E8 * multiple);
      extras.push((await extend(f, bookingId, 1, token)).amount);
      expect((await f.escrow.boundariesOf(bookingId)).length).to.equal(i + 1);
    }
    expect((await f.escrow.streamOf(bookingId)).endsAt).to.equal(startedAt + 4n * BigInt(HOUR));

    // Terminated a quarter into the third hour: the first two hours and a quarter of the third streamed.
    await time.setNextBlockTimestamp(startedAt + 2n * BigInt(HOUR) + BigInt(HOUR) / 4n);
    await f.marketplace.connect(f.consumer).terminateBooking(bookingId);
    const streamed = amount + extras[0]! + extras[1]! / 4n;
    expect(await f.escrow.owed(f.consumer.address, token.address)).to.equal(
      amount + extras[0]! + extras[1]! + extras[2]! - streamed,
    );
  });

  it("lengthens a requested booking: billing starts for all its hours, and a cancellation refunds all", async function () {
    const f = await loadFixture(deployFixture);
    const token = f.usdc;
    const { bookingId, amount } = await f.book(token.address, 2);
    const { tx, amount: extra } = await extend(f, bookingId, 3, token);
    await expect(tx)
      .to.emit(f.marketplace, "BookingExtended")
      .withArgs(bookingId, f.consumer.address, 3, PRICE_PER_HOUR_USD_E8 * 3n, 5, 0);
    expect(await f.escrow.boundariesOf(bookingId)).to.deep.equal([]);
    const id2 = (await f.book(token.address, 2)).bookingId;
    await extend(f, id2, 1, token);

    await f.confirm(bookingId);
    const stream = await f.escrow.streamOf(bookingId);
    expect(stream.endsAt - stream.startedAt).to.equal(5n * BigInt(HOUR));
    expect(await f.escrow.activeValueOf(f.provider.address, token.address)).to.equal(amount + extra);

    await f.marketplace.connect(f.consumer).cancelBooking(id2);
    expect(await f.escrow.owed(f.consumer.address, token.address)).to.equal((amount * 3n) / 2n);
  });

  it("keeps the fee snapshot and the unit of capacity, even when the resource is full", async function () {
    const f = await loadFixture(deployFixture);
    const { bookingId } = await f.bookActive(f.eth.address, 2);
    const { feeBps } = await f.escrow.streamOf(bookingId);
    const s = await f.escrow.settings();
    await f.escrow.updateSettings({
      treasury: s.treasury,
      protocolFeeBps: 2_000,
      slaPeriodSeconds: s.slaPeriodSeconds,
      reportWindowSeconds: s.reportWindowSeconds,
      bondSlashBps: s.bondSlashBps,
      unbondingDelaySeconds: s.unbondingDelaySeconds,
    });
    await f.marketplace.connect(f.provider).updateResourceTerms(f.resourceId, { ...f.terms, capacity: 1 });
    await f.book(f.eth.address, 1, f.other).then(
      () => expect.fail("a full resource took a booking"),
      () => undefined,
    );
    await extend(f, bookingId, 2, f.eth);
    expect((await f.escrow.streamOf(bookingId)).feeBps).to.equal(feeBps);
    expect((await f.marketplace.getResource(f.resourceId)).activeBookings).to.equal(1n);
  });

  it("returns native currency sent above the price, even to a consumer that re-enters on receipt", async function () {
    const f = await loadFixture(deployFixture);
    const { bookingId } = await f.bookActive(f.eth.address, 2);
    const [amount] = await f.priceOracle.quote(f.eth.address, PRICE_PER_HOUR_USD_E8);
    const balanceBefore = await ethers.provider.getBalance(f.consumer.address);
    const tx = await f.marketplace
      .connect(f.consumer)
      .extendBooking(bookingId, 1, f.eth.address, amount * 2n, f.minSla, { value: amount * 2n });
    const receipt = (await tx.wait())!;
    expect(await ethers.provider.getBalance(f.consumer.address)).to.equal(
      balanceBefore - amount - receipt.gasUsed * receipt.gasPrice,
    );

    const attacker = await (await ethers.getContractFactory("MockReentrantExtender")).deploy(f.marketplace);
    const attackerBooking = await f.marketplace.bookingCount().then((n) => n + 1n);
    const [bookingAmount] = await f.priceOracle.quote(f.eth.address, PRICE_PER_HOUR_USD_E8 * 2n);
    await attacker.book(f.resourceId, 2, bookingAmount, f.minSla, { value: bookingAmount });
    await f.confirm(attackerBooking);
    // It overpays; when the change arrives it extends again with it, paying the price again.
    await attacker.extend(attackerBooking, amount * 3n, f.minSla, { value: amount * 3n });
    expect((await f.escrow.depositOf(attackerBooking)).amount).to.equal(bookingAmount + 2n * amount);
    expect((await f.marketplace.getBooking(attackerBooking)).hoursBooked).to.equal(4n);
    expect(await ethers.provider.getBalance(await attacker.getAddress())).to.equal(amount);
  });

  it("extends with a permit in DCX", async function () {
    const f = await loadFixture(deployFixture);
    const dcx = f.deployment.paymentTokens.find((t) => t.symbol === "DCX")!;
    await f.dcx.connect(f.consumer).approve(f.escrow, ethers.MaxUint256);
    const { bookingId, amount } = await f.bookActive(dcx.address, 2);
    await f.dcx.connect(f.consumer).approve(f.escrow, 0);
    const [, name, version, chainId, verifyingContract] = await f.dcx.eip712Domain();
    const message = {
      owner: f.consumer.address,
      spender: await f.escrow.getAddress(),
      value: amount,
      nonce: await f.dcx.nonces(f.consumer.address),
      deadline: BigInt(await time.latest()) + 3_600n,
    };
    const signature = await f.consumer.signTypedData(
      { name, version, chainId, verifyingContract },
      { Permit: [...permitTypes.Permit] },
      message,
    );
    const { v, r, s } = ethers.Signature.from(signature);
    await f.marketplace
      .connect(f.consumer)
      .extendBookingWithPermit(bookingId, 2, dcx.address, amount, f.minSla, { deadline: message.deadline, v, r, s });
    expect((await f.escrow.depositOf(bookingId)).amount).to.equal(amount * 2n);
  });

  describe("refuses", function () {
    it("a stranger, a booking that is over or unknown, and a running booking past its end", async function () {
      const f = await loadFixture(deployFixture);
      const { marketplace, escrow, eth, minSla, consumer, other } = f;
      const { bookingId } = await f.bookActive(eth.address, 1);
      await expect(marketplace.connect(other).extendBooking(bookingId, 1, eth.address, 10n ** 18n, minSla))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnauthorized")
        .withArgs(bookingId, other.address);
      await expect(marketplace.connect(consumer).extendBooking(99, 1, eth.address, 0, minSla))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownBooking")
        .withArgs(99);

      const { endsAt } = await escrow.streamOf(bookingId);
      await time.increaseTo(endsAt);
      await expect(extend(f, bookingId, 1, eth))
        .to.be.revertedWithCustomError(escrow, "EscrowStreamEnded")
        .withArgs(bookingId, endsAt);
      await marketplace.completeBooking(bookingId);
      await expect(extend(f, bookingId, 1, eth))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, 3);

      const terminated = (await f.bookActive(eth.address, 1)).bookingId;
      await marketplace.connect(consumer).terminateBooking(terminated);
      await expect(extend(f, terminated, 1, eth))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(terminated, 5);
      const cancelled = (await f.book(eth.address, 1)).bookingId;
      await marketplace.connect(consumer).cancelBooking(cancelled);
      await expect(extend(f, cancelled, 1, eth)).to.be.revertedWithCustomError(
        marketplace,
        "MarketplaceInvalidBookingStatus",
      );
    });

    it("a requested booking past its provisioning deadline, or longer in all than one booking may be", async function () {
      const f = await loadFixture(deployFixture);
      const { marketplace, eth, terms } = f;
      const { bookingId } = await f.book(eth.address, 700);
      await expect(extend(f, bookingId, 21, eth))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidHours")
        .withArgs(f.resourceId, 721, 1, terms.maxHours);
      await extend(f, bookingId, 20, eth);
      const deadline = await marketplace.provisionDeadline(bookingId);
      const late = (await f.book(eth.address, 1)).bookingId;
      await time.increaseTo((await marketplace.provisionDeadline(late)) + 1n);
      await expect(extend(f, late, 1, eth))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceProvisioningExpired")
        .withArgs(late, await marketplace.provisionDeadline(late));
      expect(deadline).to.be.greaterThan(0n);
    });

    it("bad hours, a looser SLA than asked, a price above the maximum, another token, a wrong value", async function () {
      const f = await loadFixture(deployFixture);
      const { marketplace, eth, usdc, minSla, consumer, terms, resourceId } = f;
      const { bookingId } = await f.bookActive(eth.address, 2);
      const [amount] = await f.priceOracle.quote(eth.address, PRICE_PER_HOUR_USD_E8);
      const extendBy = (hours: number, change: { token?: string; max?: bigint; sla?: typeof minSla; value?: bigint }) =>
        marketplace
          .connect(consumer)
          .extendBooking(
            bookingId,
            hours,
            change.token ?? eth.address,
            change.max ?? amount * 1_000n,
            change.sla ?? minSla,
            {
              value: change.value ?? amount * 1_000n,
            },
          );
      for (const hours of [0, terms.maxHours + 1]) {
        await expect(extendBy(hours, {}))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidHours")
          .withArgs(resourceId, 2 + hours, 1, terms.maxHours);
      }
      const stricter = { uptimeTargetBps: minSla.uptimeTargetBps + 1, maxLatencyMs: minSla.maxLatencyMs };
      await expect(extendBy(1, { sla: stricter })).to.be.revertedWithCustomError(
        marketplace,
        "MarketplaceSlaBelowMinimum",
      );
      // Looser terms listed since do not pass for the booking's own.
      await marketplace.connect(f.provider).updateResourceTerms(resourceId, { ...terms, uptimeTargetBps: 9_000 });
      await extendBy(1, {});
      await expect(extendBy(1, { max: amount - 1n }))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceSlippage")
        .withArgs(amount, amount - 1n);
      await expect(extendBy(1, { token: usdc.address, value: 0n }))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceWrongToken")
        .withArgs(bookingId, usdc.address);
      await expect(extendBy(1, { value: amount - 1n }))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidValue")
        .withArgs(amount, amount - 1n);
    });

    it("while the resource takes no bookings or the marketplace is paused", async function () {
      const f = await loadFixture(deployFixture);
      const { marketplace, eth, provider, resourceId, guardian } = f;
      const { bookingId } = await f.bookActive(eth.address, 2);
      await marketplace.connect(provider).setResourcePaused(resourceId, true);
      await expect(extend(f, bookingId, 1, eth))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidResourceStatus")
        .withArgs(resourceId, 2);
      await marketplace.connect(provider).setResourcePaused(resourceId, false);
      await marketplace.connect(guardian).pause();
      await expect(extend(f, bookingId, 1, eth)).to.be.revertedWithCustomError(marketplace, "MarketplacePaused");
    });

    it("a direct call to the escrow from anyone but the marketplace", async function () {
      const f = await loadFixture(deployFixture);
      const { bookingId } = await f.bookActive(f.eth.address, 2);
      await expect(
        f.escrow.connect(f.consumer).extendDeposit(bookingId, f.consumer.address, f.eth.address, 1, 1, { value: 1 }),
      ).to.be.revertedWithCustomError(f.escrow, "AccessControlUnauthorizedAccount");
    });
  });
});
