import { expect } from "chai";

import {
  HOUR,
  PRICE_PER_HOUR_USD_E8,
  TEST_SETTINGS,
  deployFixtureWith,
  ethers,
  networkHelpers,
} from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

const WINDOW = 2 * HOUR;
const GRACE = 600;

/** Skip reasons, in IBookingRenewals.RenewalSkipReason's order. */
const Skip = {
  NoPolicy: 0,
  NotInWindow: 1,
  BookingNotRenewable: 2,
  PriceAboveMaximum: 3,
  BudgetExhausted: 4,
  InsufficientAllowance: 5,
  InsufficientBalance: 6,
} as const;

function renewalsFixture() {
  return deployFixtureWith({
    ...TEST_SETTINGS,
    renewalWindowSeconds: WINDOW,
    gracePeriodSeconds: GRACE,
  });
}

type Fixture = Awaited<ReturnType<typeof renewalsFixture>>;
type PaymentToken = Fixture["tokens"][number];

/** What `hours` of the resource cost in `token` now. */
async function quote(f: Fixture, token: PaymentToken, hours: number) {
  const { pricePerHourUsdE8 } = await f.marketplace.getResource(f.resourceId);
  const [amount] = await f.priceOracle.quote(token.address, pricePerHourUsdE8 * BigInt(hours));
  return amount;
}

/** A running 4-hour booking with a policy of `hours` per renewal, funded for `budget`. */
async function renewable(f: Fixture, token: PaymentToken, hours = 2, budget = 10n ** 30n) {
  const { bookingId, amount } = await f.bookActive(token.address, 4);
  const maxPrice = PRICE_PER_HOUR_USD_E8 * 2n;
  const capped = budget > 2n ** 128n - 1n ? 2n ** 128n - 1n : budget;
  await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, hours, maxPrice, capped);
  if (!token.token) {
    await f.renewals.connect(f.consumer).depositRenewalBalance({ value: ethers.parseEther("10") });
  }
  const { endsAt } = await f.escrow.streamOf(bookingId);
  return { bookingId, amount, endsAt, maxPrice, budget: capped };
}

describe("BookingRenewals", function () {
  describe("policies", function () {
    it("the consumer sets a policy in the booking's own token, replaces and cancels it", async function () {
      const f = await loadFixture(renewalsFixture);
      const { bookingId } = await f.bookActive(f.usdc.address, 4);
      await expect(f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 2, 300_000_000n, 50_000_000n))
        .to.emit(f.renewals, "RenewalPolicySet")
        .withArgs(bookingId, f.consumer.address, 2, 300_000_000n, f.usdc.address, 50_000_000n);
      expect(await f.renewals.renewalPolicy(bookingId)).to.deep.equal([2n, 300_000_000n, f.usdc.address, 50_000_000n]);
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 1, 200_000_000n, 7n);
      expect(await f.renewals.renewalPolicy(bookingId)).to.deep.equal([1n, 200_000_000n, f.usdc.address, 7n]);
      await expect(f.renewals.connect(f.consumer).cancelRenewalPolicy(bookingId))
        .to.emit(f.renewals, "RenewalPolicyCancelled")
        .withArgs(bookingId, f.consumer.address);
      expect(await f.renewals.renewalPolicy(bookingId)).to.deep.equal([0n, 0n, ethers.ZeroAddress, 0n]);
      await expect(f.renewals.connect(f.consumer).cancelRenewalPolicy(bookingId))
        .to.be.revertedWithCustomError(f.renewals, "RenewalsNoPolicy")
        .withArgs(bookingId);
    });

    it("nobody else sets or cancels a policy, and a finished booking takes none", async function () {
      const f = await loadFixture(renewalsFixture);
      const { bookingId } = await f.bookActive(f.eth.address, 1);
      await expect(f.renewals.connect(f.other).setRenewalPolicy(bookingId, 1, 1n, 1n))
        .to.be.revertedWithCustomError(f.renewals, "RenewalsUnauthorized")
        .withArgs(bookingId, f.other.address);
      await expect(f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 0, 1n, 1n)).to.be.revertedWithCustomError(
        f.renewals,
        "RenewalsInvalidPolicy",
      );
      await expect(f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 1, 0n, 1n)).to.be.revertedWithCustomError(
        f.renewals,
        "RenewalsInvalidPolicy",
      );
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 1, 1n, 1n);
      await expect(f.renewals.connect(f.provider).cancelRenewalPolicy(bookingId))
        .to.be.revertedWithCustomError(f.renewals, "RenewalsUnauthorized")
        .withArgs(bookingId, f.provider.address);
      await f.marketplace.connect(f.consumer).terminateBooking(bookingId);
      await expect(f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 1, 1n, 1n))
        .to.be.revertedWithCustomError(f.renewals, "RenewalsBookingFinished")
        .withArgs(bookingId);
      await expect(f.renewals.connect(f.consumer).setRenewalPolicy(99n, 1, 1n, 1n))
        .to.be.revertedWithCustomError(f.renewals, "RenewalsBookingFinished")
        .withArgs(99n);
    });
  });

  describe("renew", function () {
    for (const symbol of ["ETH", "DAI", "USDC"]) {
      it(`renews a ${symbol} booking once in its window, paid by the consumer at today's price, with the tip to the caller`, async function () {
        const f = await loadFixture(renewalsFixture);
        const token = f.tokens.find((t) => t.symbol === symbol)!;
        await f.renewals.setRenewalSettings(WINDOW, 100);
        const { bookingId, amount, endsAt, budget } = await renewable(f, token, 3);
        await f.marketplace.connect(f.provider).updateResourceTerms(f.resourceId, {
          ...f.terms,
          pricePerHourUsdE8: (PRICE_PER_HOUR_USD_E8 * 3n) / 2n,
        });
        // An ERC-20 tip goes from the consumer to the caller by an allowance to BookingRenewals.
        if (token.token)
          await token.token.connect(f.consumer).approve(await f.renewals.getAddress(), ethers.MaxUint256);
        await time.increaseTo(endsAt - BigInt(WINDOW));
        const price = await quote(f, token, 3);
        const callerBefore = token.token ? await token.token.balanceOf(f.other.address) : 0n;
        const tip = price / 100n;
        const consumerBefore = token.token
          ? await token.token.balanceOf(f.consumer.address)
          : await f.renewals.renewalBalance(f.consumer.address);

        const tx = f.renewals.connect(f.other).renew(bookingId);
        const newEnd = endsAt + 3n * BigInt(HOUR);
        await expect(tx)
          .to.emit(f.renewals, "BookingRenewed")
          .withArgs(bookingId, f.consumer.address, f.other.address, 3, price, tip, budget - price - tip, newEnd)
          .and.to.emit(f.marketplace, "BookingExtended")
          .withArgs(bookingId, f.consumer.address, 3, ((PRICE_PER_HOUR_USD_E8 * 3n) / 2n) * 3n, 7, newEnd);
        await expect(tx).not.to.emit(f.escrow, "StreamResumed");

        const consumerAfter = token.token
          ? await token.token.balanceOf(f.consumer.address)
          : await f.renewals.renewalBalance(f.consumer.address);
        expect(consumerBefore - consumerAfter).to.equal(price + tip);
        expect((await f.escrow.depositOf(bookingId)).amount).to.equal(amount + price);
        // The tip: an ERC-20 in the caller's wallet, the native currency in its renewal balance.
        if (token.token) expect((await token.token.balanceOf(f.other.address)) - callerBefore).to.equal(tip);
        else expect(await f.renewals.renewalBalance(f.other.address)).to.equal(tip);
        expect((await f.renewals.renewalPolicy(bookingId)).budget).to.equal(budget - price - tip);
        const stream = await f.escrow.streamOf(bookingId);
        expect([stream.endsAt, stream.hoursBooked]).to.deep.equal([newEnd, 7n]);

        // The new end is three hours away, more than the window: no second renewal, whoever asks.
        await expect(f.renewals.connect(f.other).renew(bookingId))
          .to.emit(f.renewals, "RenewalSkipped")
          .withArgs(bookingId, f.other.address, Skip.NotInWindow);
      });
    }

    it("a renewal shorter than the window only happens in its last hoursPerRenewal hours: one renewal per window", async function () {
      const f = await loadFixture(renewalsFixture);
      const { bookingId, endsAt } = await renewable(f, f.usdc, 1);
      await time.increaseTo(endsAt - BigInt(WINDOW));
      await expect(f.renewals.renew(bookingId))
        .to.emit(f.renewals, "RenewalSkipped")
        .withArgs(bookingId, f.admin.address, Skip.NotInWindow);
      await time.increaseTo(endsAt - BigInt(HOUR));
      await expect(f.renewals.renew(bookingId)).to.emit(f.renewals, "BookingRenewed");
      // A stranger calling again and again in the same block or later gets skips, never a second renewal.
      for (let i = 0; i < 3; i++) {
        await expect(f.renewals.connect(f.outsider).renew(bookingId))
          .to.emit(f.renewals, "RenewalSkipped")
          .withArgs(bookingId, f.outsider.address, Skip.NotInWindow);
      }
      expect((await f.escrow.streamOf(bookingId)).endsAt).to.equal(endsAt + BigInt(HOUR));
    });

    it("renewing in grace resumes the booking, billed from now", async function () {
      const f = await loadFixture(renewalsFixture);
      const { bookingId, endsAt } = await renewable(f, f.dai, 2);
      await time.increaseTo(endsAt + 100n);
      const tx = f.renewals.connect(f.other).renew(bookingId);
      const resumedAt = endsAt + 101n;
      await expect(tx)
        .to.emit(f.escrow, "StreamResumed")
        .withArgs(bookingId, resumedAt, resumedAt + 2n * BigInt(HOUR))
        .and.to.emit(f.renewals, "BookingRenewed");
      expect((await f.escrow.streamOf(bookingId)).endsAt).to.equal(resumedAt + 2n * BigInt(HOUR));
    });

    it("skips, with the reason, whatever rules a renewal out, and never reverts", async function () {
      const f = await loadFixture(renewalsFixture);
      const skip = (id: bigint, reason: number) =>
        expect(f.renewals.connect(f.other).renew(id))
          .to.emit(f.renewals, "RenewalSkipped")
          .withArgs(id, f.other.address, reason);

      // No policy, and a booking that is not running.
      const { bookingId: noPolicy } = await f.bookActive(f.usdc.address, 4);
      await skip(noPolicy, Skip.NoPolicy);
      await skip(12345n, Skip.NoPolicy);
      const { bookingId: requested } = await f.book(f.usdc.address, 4);
      await f.renewals.connect(f.consumer).setRenewalPolicy(requested, 1, PRICE_PER_HOUR_USD_E8, 10n ** 12n);
      await skip(requested, Skip.BookingNotRenewable);

      const { bookingId, endsAt } = await renewable(f, f.usdc, 2, 10n ** 12n);
      // Too early, then past the grace.
      await skip(bookingId, Skip.NotInWindow);
      await time.increaseTo(endsAt - BigInt(HOUR));

      // The price above the policy's maximum.
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 2, PRICE_PER_HOUR_USD_E8 - 1n, 10n ** 12n);
      await skip(bookingId, Skip.PriceAboveMaximum);
      // A budget one unit short of the price.
      const price = await quote(f, f.usdc, 2);
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 2, PRICE_PER_HOUR_USD_E8, price - 1n);
      await skip(bookingId, Skip.BudgetExhausted);
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 2, PRICE_PER_HOUR_USD_E8, price);
      // Allowance and balance.
      await f.usdc.token!.connect(f.consumer).approve(await f.escrow.getAddress(), price - 1n);
      await skip(bookingId, Skip.InsufficientAllowance);
      await f.usdc.token!.connect(f.consumer).approve(await f.escrow.getAddress(), ethers.MaxUint256);
      // With a tip, the consumer's allowance to BookingRenewals for it.
      await f.renewals.setRenewalSettings(WINDOW, 100);
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 2, PRICE_PER_HOUR_USD_E8, 10n ** 12n);
      await skip(bookingId, Skip.InsufficientAllowance);
      await f.renewals.setRenewalSettings(WINDOW, 0);
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 2, PRICE_PER_HOUR_USD_E8, price);
      const balance = await f.usdc.token!.balanceOf(f.consumer.address);
      await f.usdc.token!.connect(f.consumer).transfer(f.provider.address, balance - price + 1n);
      await skip(bookingId, Skip.InsufficientBalance);
      await f.usdc.token!.connect(f.provider).transfer(f.consumer.address, balance - price + 1n);
      // The marketplace refuses: the resource is paused, or the market is.
      await f.marketplace.connect(f.provider).setResourcePaused(f.resourceId, true);
      await skip(bookingId, Skip.BookingNotRenewable);
      await f.marketplace.connect(f.provider).setResourcePaused(f.resourceId, false);
      await f.marketplace.connect(f.guardian).pause();
      await skip(bookingId, Skip.BookingNotRenewable);
      await f.marketplace.connect(f.guardian).unpause();
      // Hours above the resource's maximum.
      await f.marketplace.connect(f.provider).updateResourceTerms(f.resourceId, { ...f.terms, maxHours: 1 });
      await skip(bookingId, Skip.BookingNotRenewable);
      await f.marketplace.connect(f.provider).updateResourceTerms(f.resourceId, f.terms);
      // Everything in order: the budget is spent exactly, and the next window finds it exhausted.
      await expect(f.renewals.renew(bookingId)).to.emit(f.renewals, "BookingRenewed");
      expect((await f.renewals.renewalPolicy(bookingId)).budget).to.equal(0n);
      await time.increaseTo(endsAt + BigInt(HOUR));
      await skip(bookingId, Skip.BudgetExhausted);
      // Past the grace.
      await time.increaseTo(endsAt + 2n * BigInt(HOUR) + BigInt(GRACE));
      await skip(bookingId, Skip.NotInWindow);
    });

    it("an ETH renewal needs the consumer's renewal balance, which only the consumer withdraws, at any time", async function () {
      const f = await loadFixture(renewalsFixture);
      const { bookingId } = await f.bookActive(f.eth.address, 1);
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 1, PRICE_PER_HOUR_USD_E8, 10n ** 20n);
      const price = await quote(f, f.eth, 1);
      await expect(f.renewals.connect(f.consumer).depositRenewalBalance({ value: price - 1n }))
        .to.emit(f.renewals, "RenewalBalanceDeposited")
        .withArgs(f.consumer.address, price - 1n);
      await expect(f.renewals.renew(bookingId))
        .to.emit(f.renewals, "RenewalSkipped")
        .withArgs(bookingId, f.admin.address, Skip.InsufficientBalance);
      await expect(f.renewals.connect(f.other).withdrawRenewalBalance(1n))
        .to.be.revertedWithCustomError(f.renewals, "RenewalsInsufficientBalance")
        .withArgs(f.other.address, 0n, 1n);
      await expect(f.renewals.connect(f.consumer).depositRenewalBalance()).to.be.revertedWithCustomError(
        f.renewals,
        "RenewalsZeroAmount",
      );
      await f.renewals.connect(f.consumer).depositRenewalBalance({ value: 1n });
      await expect(f.renewals.renew(bookingId)).to.emit(f.renewals, "BookingRenewed");
      expect(await f.renewals.renewalBalance(f.consumer.address)).to.equal(0n);
      expect(await ethers.provider.getBalance(await f.renewals.getAddress())).to.equal(0n);

      await f.renewals.connect(f.consumer).depositRenewalBalance({ value: 5n });
      await expect(f.renewals.connect(f.consumer).withdrawRenewalBalance(5n)).to.changeEtherBalances(
        ethers,
        [f.consumer, f.renewals],
        [5n, -5n],
      );
    });

    it("the consumer cancelling or lowering the policy before the window leaves nothing to renew", async function () {
      const f = await loadFixture(renewalsFixture);
      const { bookingId, endsAt } = await renewable(f, f.dai, 2);
      await time.increaseTo(endsAt - BigInt(HOUR));
      await f.renewals.connect(f.consumer).cancelRenewalPolicy(bookingId);
      await expect(f.renewals.connect(f.other).renew(bookingId))
        .to.emit(f.renewals, "RenewalSkipped")
        .withArgs(bookingId, f.other.address, Skip.NoPolicy);
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 2, PRICE_PER_HOUR_USD_E8, 1n);
      await expect(f.renewals.connect(f.other).renew(bookingId))
        .to.emit(f.renewals, "RenewalSkipped")
        .withArgs(bookingId, f.other.address, Skip.BudgetExhausted);
      // Revoking the allowance works as well.
      await f.renewals.connect(f.consumer).setRenewalPolicy(bookingId, 2, PRICE_PER_HOUR_USD_E8, 10n ** 24n);
      await f.dai.token!.connect(f.consumer).approve(await f.escrow.getAddress(), 0n);
      await expect(f.renewals.connect(f.other).renew(bookingId))
        .to.emit(f.renewals, "RenewalSkipped")
        .withArgs(bookingId, f.other.address, Skip.InsufficientAllowance);
    });
  });

  describe("renewal balances", function () {
    it("a re-entrant receiver cannot withdraw its renewal balance twice", async function () {
      const f = await loadFixture(renewalsFixture);
      const wallet = await (await ethers.getContractFactory("MockReentrantRenewalWallet")).deploy(f.renewals);
      await wallet.deposit({ value: 2n });
      await expect(wallet.withdraw(1n, true)).to.be.revertedWithCustomError(f.renewals, "ReentrancyGuardReentrantCall");
      expect(await f.renewals.renewalBalance(await wallet.getAddress())).to.equal(2n);
      await wallet.withdraw(1n, false);
      expect(await f.renewals.renewalBalance(await wallet.getAddress())).to.equal(1n);
      expect(await ethers.provider.getBalance(await f.renewals.getAddress())).to.equal(1n);
    });
  });

  describe("roles and settings", function () {
    it("only BookingRenewals extends on a consumer's behalf", async function () {
      const f = await loadFixture(renewalsFixture);
      const { bookingId } = await f.bookActive(f.usdc.address, 2);
      expect(await f.marketplace.hasRole(await f.marketplace.RENEWER_ROLE(), await f.renewals.getAddress())).to.equal(
        true,
      );
      await expect(f.marketplace.connect(f.other).extendBooking(bookingId, 1, f.usdc.address, 10n ** 12n, f.minSla))
        .to.be.revertedWithCustomError(f.marketplace, "MarketplaceUnauthorized")
        .withArgs(bookingId, f.other.address);
    });

    it("the DAO sets the window and a tip of at most 1 %", async function () {
      const f = await loadFixture(renewalsFixture);
      expect(await f.renewals.renewalWindow()).to.equal(WINDOW);
      expect(await f.renewals.renewalTipBps()).to.equal(0);
      await expect(f.renewals.setRenewalSettings(3 * HOUR, 100))
        .to.emit(f.renewals, "RenewalSettingsUpdated")
        .withArgs(3 * HOUR, 100);
      await expect(f.renewals.setRenewalSettings(3 * HOUR, 101))
        .to.be.revertedWithCustomError(f.renewals, "RenewalsInvalidSettings")
        .withArgs(3 * HOUR, 101);
      await expect(f.renewals.setRenewalSettings(59, 0))
        .to.be.revertedWithCustomError(f.renewals, "RenewalsInvalidSettings")
        .withArgs(59, 0);
      await expect(f.renewals.setRenewalSettings(8 * 24 * HOUR, 0)).to.be.revertedWithCustomError(
        f.renewals,
        "RenewalsInvalidSettings",
      );
      await expect(f.renewals.connect(f.deployer).setRenewalSettings(HOUR, 0))
        .to.be.revertedWithCustomError(f.renewals, "AccessControlUnauthorizedAccount")
        .withArgs(f.deployer.address, ethers.ZeroHash);
    });
  });
});
