import { expect } from "chai";

import { RefundReason, StreamState, slaReport } from "@d-cloudx/sdk";

import { HOUR, type Fixture, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

/** The escrow's settings as a plain object, ready to change and send back. */
async function currentSettings(f: Fixture) {
  const s = await f.escrow.settings();
  return {
    treasury: s.treasury,
    protocolFeeBps: s.protocolFeeBps,
    slaPeriodSeconds: s.slaPeriodSeconds,
    reportWindowSeconds: s.reportWindowSeconds,
    bondSlashBps: s.bondSlashBps,
    unbondingDelaySeconds: s.unbondingDelaySeconds,
  };
}

/** Settles `period` of `bookingId` with the given uptime (2-of-3 oracle signatures). */
async function settle(f: Fixture, bookingId: bigint, period: number, uptimeBps = 10_000) {
  const report = slaReport(bookingId, period, [{ uptimeBps, p95LatencyMs: 20, sampleCount: 60 }]);
  await f.sla.submitReports([report], [await f.signReport(report)]);
}

describe("EscrowManager", function () {
  describe("lifecycle calls", function () {
    it("accepts lifecycle calls only from the marketplace and SLA enforcement", async function () {
      const { escrow, other } = await loadFixture(deployFixture);
      const marketplaceRole = await escrow.MARKETPLACE_ROLE();
      const calls = [
        () => escrow.connect(other).deposit(1n, other.address, other.address, ethers.ZeroAddress, 1n, { value: 1n }),
        () => escrow.connect(other).startStream(1n, 0, 1),
        () => escrow.connect(other).refundDeposit(1n, other.address, 0, 0, false),
        () => escrow.connect(other).stopStream(1n, other.address, false),
        () => escrow.connect(other).closeStream(1n),
      ];
      for (const call of calls) {
        await expect(call())
          .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
          .withArgs(other.address, marketplaceRole);
      }
      await expect(escrow.connect(other).settlePeriods(1n, 0, [0], other.address))
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, await escrow.SLA_ROLE());
    });

    it("validates deposits", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, priceOracle, admin, consumer, provider, usdc } = f;
      await escrow.grantRole(await escrow.MARKETPLACE_ROLE(), admin.address);
      const as = escrow.connect(admin);
      await expect(as.deposit(9n, consumer.address, provider.address, usdc.address, 5n))
        .to.emit(escrow, "Deposited")
        .withArgs(9n, consumer.address, usdc.address, 5n);
      await expect(
        as.deposit(1n, consumer.address, provider.address, ethers.ZeroAddress, 0n),
      ).to.be.revertedWithCustomError(escrow, "EscrowZeroAmount");
      const tooLarge = 2n ** 96n;
      await expect(as.deposit(1n, consumer.address, provider.address, usdc.address, tooLarge))
        .to.be.revertedWithCustomError(escrow, "EscrowAmountTooLarge")
        .withArgs(tooLarge);
      await expect(as.deposit(1n, consumer.address, provider.address, ethers.ZeroAddress, 5n, { value: 4n }))
        .to.be.revertedWithCustomError(escrow, "EscrowValueMismatch")
        .withArgs(5n, 4n);
      await expect(as.deposit(1n, consumer.address, provider.address, usdc.address, 5n, { value: 1n }))
        .to.be.revertedWithCustomError(escrow, "EscrowValueMismatch")
        .withArgs(0n, 1n);
      await as.deposit(1n, consumer.address, provider.address, usdc.address, 5n);
      await expect(as.deposit(1n, consumer.address, provider.address, usdc.address, 5n))
        .to.be.revertedWithCustomError(escrow, "EscrowBookingExists")
        .withArgs(1n);

      // A token that takes a fee on transfer delivers less than it was asked to: rejected.
      const feeToken = await ethers.deployContract("MockFeeOnTransferERC20");
      await priceOracle.setPaymentToken(await feeToken.getAddress(), await usdc.feed.getAddress(), 86_400);
      await feeToken.mint(consumer.address, 1_000n);
      await feeToken.connect(consumer).approve(await escrow.getAddress(), 1_000n);
      await expect(as.deposit(2n, consumer.address, provider.address, await feeToken.getAddress(), 1_000n))
        .to.be.revertedWithCustomError(escrow, "EscrowTransferShortfall")
        .withArgs(await feeToken.getAddress(), 1_000n, 990n);
    });

    it("moves each stream through its states once", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, admin, consumer } = f;
      const { bookingId } = await f.bookActive(undefined, 1);
      await escrow.grantRole(await escrow.MARKETPLACE_ROLE(), admin.address);
      await expect(escrow.connect(admin).startStream(bookingId, 0, 1))
        .to.be.revertedWithCustomError(escrow, "EscrowInvalidState")
        .withArgs(bookingId, StreamState.Streaming);
      await expect(escrow.connect(admin).refundDeposit(bookingId, consumer.address, 0, 0, false))
        .to.be.revertedWithCustomError(escrow, "EscrowInvalidState")
        .withArgs(bookingId, StreamState.Streaming);
      await expect(escrow.connect(admin).refundDeposit(77n, consumer.address, 0, 0, false))
        .to.be.revertedWithCustomError(escrow, "EscrowUnknownBooking")
        .withArgs(77n);
      await expect(escrow.connect(admin).closeStream(bookingId))
        .to.be.revertedWithCustomError(escrow, "EscrowStreamNotEnded")
        .withArgs(bookingId, (await escrow.streamOf(bookingId)).endsAt);
      await escrow.connect(admin).stopStream(bookingId, consumer.address, false);
      await expect(escrow.connect(admin).stopStream(bookingId, consumer.address, false))
        .to.be.revertedWithCustomError(escrow, "EscrowInvalidState")
        .withArgs(bookingId, StreamState.Stopped);

      const requested = await f.book();
      await f.marketplace.connect(consumer).cancelBooking(requested.bookingId);
      expect((await escrow.streamOf(requested.bookingId)).state).to.equal(StreamState.Refunded);
      await expect(escrow.connect(admin).refundDeposit(requested.bookingId, consumer.address, 0, 0, false))
        .to.be.revertedWithCustomError(escrow, "EscrowInvalidState")
        .withArgs(requested.bookingId, StreamState.Refunded);

      const completed = await f.bookActive(undefined, 1);
      await time.increaseTo((await escrow.streamOf(completed.bookingId)).endsAt);
      await f.marketplace.completeBooking(completed.bookingId);
      expect((await escrow.streamOf(completed.bookingId)).state).to.equal(StreamState.Closed);
      await expect(escrow.connect(admin).closeStream(completed.bookingId))
        .to.be.revertedWithCustomError(escrow, "EscrowInvalidState")
        .withArgs(completed.bookingId, StreamState.Closed);
    });

    it("takes a cancellation fee of at most the deposit", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, admin, consumer } = f;
      const { bookingId } = await f.book();
      await escrow.grantRole(await escrow.MARKETPLACE_ROLE(), admin.address);
      await expect(escrow.connect(admin).refundDeposit(bookingId, consumer.address, 0, 10_001, false))
        .to.be.revertedWithCustomError(escrow, "EscrowFeeAboveDeposit")
        .withArgs(bookingId, 10_001);
    });
  });

  describe("earnings", function () {
    it("streams linearly and releases a period once it is settled or its window closes", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, settings } = f;
      const { bookingId, amount } = await f.bookActive(undefined, 1);
      const { startedAt } = await escrow.streamOf(bookingId);
      const period = BigInt(settings.slaPeriodSeconds);
      const perPeriod = (amount * period) / BigInt(HOUR);

      await time.increaseTo(startedAt + period * 3n);
      expect(await escrow.withdrawable(bookingId)).to.equal(0n);
      await settle(f, bookingId, 0);
      expect(await escrow.withdrawable(bookingId)).to.equal(perPeriod);

      // Periods 1 and 2 unlock by themselves once their report window has closed.
      await time.increaseTo(startedAt + period * 3n + BigInt(settings.reportWindowSeconds));
      expect(await escrow.withdrawable(bookingId)).to.equal((amount * period * 3n) / BigInt(HOUR));

      // After the end and the last window, everything is released.
      await time.increaseTo(startedAt + BigInt(HOUR + settings.reportWindowSeconds));
      expect(await escrow.withdrawable(bookingId)).to.equal(amount);
    });

    for (const symbol of ["ETH", "USDC", "DAI"]) {
      it(`pays the provider net of the protocol fee in ${symbol}`, async function () {
        const f = await loadFixture(deployFixture);
        const { escrow, provider, treasury, settings } = f;
        const token = f.tokens.find((t) => t.symbol === symbol)!;
        const { bookingId, amount } = await f.bookActive(token.address, 1);
        await time.increase(HOUR + settings.reportWindowSeconds);
        const fee = (amount * BigInt(settings.protocolFeeBps)) / 10_000n;

        const tx = escrow.connect(provider).withdrawEarnings(bookingId);
        await expect(tx)
          .to.emit(escrow, "EarningsWithdrawn")
          .withArgs(bookingId, provider.address, token.address, amount, fee, provider.address);
        if (token.token) {
          await expect(tx).to.changeTokenBalances(
            ethers,
            token.token,
            [provider, escrow],
            [amount - fee, -(amount - fee)],
          );
        } else {
          await expect(tx).to.changeEtherBalances(ethers, [escrow], [-(amount - fee)]);
        }
        expect(await escrow.owed(treasury.address, token.address)).to.equal(fee);
        expect((await escrow.streamOf(bookingId)).debited).to.equal(amount);
        await expect(escrow.connect(provider).withdrawEarnings(bookingId)).to.be.revertedWithCustomError(
          escrow,
          "EscrowNothingToWithdraw",
        );
      });
    }

    it("pays only the booking's provider", async function () {
      const f = await loadFixture(deployFixture);
      const { bookingId } = await f.bookActive();
      await expect(f.escrow.connect(f.other).withdrawEarnings(bookingId))
        .to.be.revertedWithCustomError(f.escrow, "EscrowNotProvider")
        .withArgs(bookingId, f.other.address);
      await expect(f.escrow.connect(f.other).withdrawEarningsBatch([bookingId]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowNotProvider")
        .withArgs(bookingId, f.other.address);
    });

    it("withdraws many bookings in several tokens in one call", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, provider, settings, usdc } = f;
      const a = await f.bookActive(undefined, 1);
      const b = await f.bookActive(usdc.address, 1);
      const c = await f.bookActive(usdc.address, 1);
      const notStarted = await f.book(usdc.address, 1);
      await time.increase(HOUR + settings.reportWindowSeconds);
      const net = (amount: bigint) => amount - (amount * BigInt(settings.protocolFeeBps)) / 10_000n;

      const tx = escrow
        .connect(provider)
        .withdrawEarningsBatch([a.bookingId, b.bookingId, c.bookingId, notStarted.bookingId]);
      await expect(tx).to.changeTokenBalance(ethers, usdc.token!, provider, net(b.amount) + net(c.amount));
      await expect(tx).to.changeEtherBalance(ethers, escrow, -net(a.amount));
      await expect(
        escrow.connect(provider).withdrawEarningsBatch([a.bookingId, b.bookingId]),
      ).to.be.revertedWithCustomError(escrow, "EscrowNothingToWithdraw");
    });

    it("applies the fee in force when billing started", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, admin, provider, settings } = f;
      const before = await f.bookActive(undefined, 1);
      await escrow.connect(admin).updateSettings({ ...(await currentSettings(f)), protocolFeeBps: 1_000n });
      const after = await f.bookActive(undefined, 1);
      await time.increase(HOUR + settings.reportWindowSeconds);
      for (const [booking, feeBps] of [
        [before, 250n],
        [after, 1_000n],
      ] as const) {
        await expect(escrow.connect(provider).withdrawEarnings(booking.bookingId))
          .to.emit(escrow, "EarningsWithdrawn")
          .withArgs(
            booking.bookingId,
            provider.address,
            ethers.ZeroAddress,
            booking.amount,
            (booking.amount * feeBps) / 10_000n,
            provider.address,
          );
      }
    });
  });

  describe("refunds and claims", function () {
    it("credits SLA breaches to the consumer out of the provider's share", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, consumer, provider, settings } = f;
      const { bookingId, amount } = await f.bookActive(undefined, 1);
      const period = BigInt(settings.slaPeriodSeconds);
      const periodValue = (amount * period) / BigInt(HOUR);
      await time.increase(settings.slaPeriodSeconds);
      // 94 % uptime is below every tier: the whole period is credited.
      const report = slaReport(bookingId, 0, [{ uptimeBps: 9_400, p95LatencyMs: 20, sampleCount: 60 }]);
      await expect(f.sla.submitReports([report], [await f.signReport(report)]))
        .to.emit(escrow, "ConsumerRefunded")
        .withArgs(bookingId, consumer.address, ethers.ZeroAddress, periodValue, RefundReason.SlaCredit);
      expect(await escrow.owed(consumer.address, ethers.ZeroAddress)).to.equal(periodValue);
      expect(await escrow.withdrawable(bookingId)).to.equal(0n);

      await time.increase(HOUR + settings.reportWindowSeconds);
      expect(await escrow.withdrawable(bookingId)).to.equal(amount - periodValue);
      await escrow.connect(provider).withdrawEarnings(bookingId);
      await expect(escrow.connect(consumer).claim(ethers.ZeroAddress))
        .to.emit(escrow, "Claimed")
        .withArgs(consumer.address, ethers.ZeroAddress, periodValue, consumer.address);
      expect(await ethers.provider.getBalance(await escrow.getAddress())).to.equal(
        await escrow.owed(f.treasury.address, ethers.ZeroAddress),
      );
    });

    it("pays claims in full once", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, marketplace, consumer, usdc } = f;
      const { bookingId, amount } = await f.book(usdc.address);
      await marketplace.connect(consumer).cancelBooking(bookingId);
      await expect(escrow.connect(consumer).claim(usdc.address)).to.changeTokenBalances(
        ethers,
        usdc.token!,
        [consumer, escrow],
        [amount, -amount],
      );
      await expect(escrow.connect(consumer).claim(usdc.address))
        .to.be.revertedWithCustomError(escrow, "EscrowNothingToClaim")
        .withArgs(consumer.address, usdc.address);
    });

    it("pays a recipient the owner names: a contract that cannot take ETH still gets its refund", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, marketplace, other, priceOracle, resourceId, minSla } = f;
      // A consumer contract without a way to receive ETH books and cancels.
      const wallet = await ethers.deployContract("MockRejectingWallet");
      const [amount] = await priceOracle.quote(ethers.ZeroAddress, 300_000_000n);
      const book = marketplace.interface.encodeFunctionData("book", [
        resourceId,
        2,
        ethers.ZeroAddress,
        amount,
        minSla,
        "0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170",
      ]);
      await wallet.execute(await marketplace.getAddress(), book, { value: amount });
      const bookingId = await marketplace.bookingCount();
      await wallet.execute(
        await marketplace.getAddress(),
        marketplace.interface.encodeFunctionData("cancelBooking", [bookingId]),
      );

      const claim = escrow.interface.encodeFunctionData("claim", [ethers.ZeroAddress]);
      await expect(wallet.execute(await escrow.getAddress(), claim)).to.be.revertedWithCustomError(
        escrow,
        "FailedCall",
      );
      const claimTo = escrow.interface.encodeFunctionData("claimTo", [ethers.ZeroAddress, other.address]);
      const claimed = wallet.execute(await escrow.getAddress(), claimTo);
      await expect(claimed)
        .to.emit(escrow, "Claimed")
        .withArgs(await wallet.getAddress(), ethers.ZeroAddress, amount, other.address);
      await expect(claimed).to.changeEtherBalance(ethers, other, amount);
      await expect(escrow.claimTo(ethers.ZeroAddress, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        escrow,
        "EscrowZeroRecipient",
      );
    });

    it("pays a provider's earnings and unbonded funds to the recipient it names", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, provider, other, settings, usdc } = f;
      const { bookingId, amount } = await f.bookActive(usdc.address, 1);
      await time.increase(HOUR + settings.reportWindowSeconds);
      const fee = (amount * BigInt(settings.protocolFeeBps)) / 10_000n;
      const withdrawal = escrow.connect(provider).withdrawEarningsTo([bookingId], other.address);
      await expect(withdrawal)
        .to.emit(escrow, "EarningsWithdrawn")
        .withArgs(bookingId, provider.address, usdc.address, amount, fee, other.address);
      await expect(withdrawal).to.changeTokenBalance(ethers, usdc.token!, other, amount - fee);
      await expect(
        escrow.connect(provider).withdrawEarningsTo([bookingId], ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(escrow, "EscrowZeroRecipient");

      await escrow.connect(provider).depositBond(usdc.address, 500n);
      await escrow.connect(provider).requestBondWithdrawal(usdc.address, 500n);
      await time.increase(settings.unbondingDelaySeconds);
      const unbonded = escrow.connect(provider).withdrawBondTo(usdc.address, other.address);
      await expect(unbonded)
        .to.emit(escrow, "BondWithdrawn")
        .withArgs(provider.address, usdc.address, 500n, other.address);
      await expect(unbonded).to.changeTokenBalance(ethers, usdc.token!, other, 500n);
    });
  });

  describe("bonds", function () {
    it("bonds, unbonds after the delay and withdraws", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, provider, settings } = f;
      await expect(escrow.connect(provider).depositBond(ethers.ZeroAddress, 1_000n, { value: 1_000n }))
        .to.emit(escrow, "BondDeposited")
        .withArgs(provider.address, ethers.ZeroAddress, 1_000n);
      const availableAt = BigInt(await time.latest()) + 1n + BigInt(settings.unbondingDelaySeconds);
      await expect(escrow.connect(provider).requestBondWithdrawal(ethers.ZeroAddress, 400n))
        .to.emit(escrow, "BondUnbondingRequested")
        .withArgs(provider.address, ethers.ZeroAddress, 400n, availableAt);
      expect(await escrow.bondOf(provider.address, ethers.ZeroAddress)).to.deep.equal([600n, 400n, availableAt]);
      await expect(escrow.connect(provider).withdrawBond(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "EscrowBondLocked")
        .withArgs(availableAt);
      await time.increaseTo(availableAt);
      const withdrawal = escrow.connect(provider).withdrawBond(ethers.ZeroAddress);
      await expect(withdrawal)
        .to.emit(escrow, "BondWithdrawn")
        .withArgs(provider.address, ethers.ZeroAddress, 400n, provider.address);
      await expect(withdrawal).to.changeEtherBalance(ethers, escrow, -400n);
      await expect(escrow.connect(provider).withdrawBond(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "EscrowNothingToClaim")
        .withArgs(provider.address, ethers.ZeroAddress);
    });

    it("rejects invalid bonds", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, provider, usdc, other } = f;
      await expect(escrow.connect(provider).depositBond(usdc.address, 0n)).to.be.revertedWithCustomError(
        escrow,
        "EscrowZeroAmount",
      );
      await expect(escrow.connect(provider).depositBond(other.address, 1n))
        .to.be.revertedWithCustomError(escrow, "EscrowUnsupportedToken")
        .withArgs(other.address);
      await expect(escrow.connect(provider).depositBond(ethers.ZeroAddress, 2n, { value: 1n }))
        .to.be.revertedWithCustomError(escrow, "EscrowValueMismatch")
        .withArgs(2n, 1n);
      await escrow.connect(provider).depositBond(usdc.address, 10n);
      await expect(escrow.connect(provider).requestBondWithdrawal(usdc.address, 11n))
        .to.be.revertedWithCustomError(escrow, "EscrowInsufficientBond")
        .withArgs(provider.address, usdc.address, 10n, 11n);
      await expect(escrow.connect(provider).requestBondWithdrawal(usdc.address, 0n)).to.be.revertedWithCustomError(
        escrow,
        "EscrowZeroAmount",
      );
    });

    it("slashes unbonding funds too when the bond alone does not cover a failure", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, marketplace, provider, consumer, other, usdc, settings } = f;
      const { bookingId, amount } = await f.book(usdc.address, 4);
      const wanted = (amount * BigInt(settings.bondSlashBps)) / 10_000n;
      await escrow.connect(provider).depositBond(usdc.address, wanted);
      await escrow.connect(provider).requestBondWithdrawal(usdc.address, wanted - 100n);
      await time.increase(settings.provisionTimeoutSeconds + 1);
      await expect(marketplace.connect(other).cancelBooking(bookingId))
        .to.emit(escrow, "BondSlashed")
        .withArgs(bookingId, provider.address, consumer.address, usdc.address, wanted);
      const bond = await escrow.bondOf(provider.address, usdc.address);
      expect([bond.amount, bond.unbonding]).to.deep.equal([0n, 0n]);
      expect(await escrow.owed(consumer.address, usdc.address)).to.equal(amount + wanted);
    });

    it("slashes the provider's other bond tokens, at the oracle price, when the booking's token bond falls short", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, marketplace, provider, consumer, usdc, dai, settings } = f;
      // An ETH booking of $6; the provider bonded a little ETH and plenty of DAI.
      const { bookingId, amount } = await f.book(undefined, 4);
      const wanted = (amount * BigInt(settings.bondSlashBps)) / 10_000n; // $3 of ETH
      await escrow.connect(provider).depositBond(ethers.ZeroAddress, wanted / 3n, { value: wanted / 3n });
      await escrow.connect(provider).depositBond(usdc.address, 1n);
      await escrow.connect(provider).depositBond(dai.address, 10n ** 18n * 100n);
      await time.increase(settings.provisionTimeoutSeconds + 1);
      const tx = marketplace.cancelBooking(bookingId);
      await expect(tx)
        .to.emit(escrow, "BondSlashed")
        .withArgs(bookingId, provider.address, consumer.address, ethers.ZeroAddress, wanted / 3n);
      // $2 missing after the ETH bond; USDC's 1 unit is worth $0.000001; the rest comes in DAI.
      await expect(tx)
        .to.emit(escrow, "BondSlashed")
        .withArgs(bookingId, provider.address, consumer.address, usdc.address, 1n);
      // What is still missing is valued in USD (rounded down), and taken rounded down too.
      const missingUsdE8 = ((wanted - wanted / 3n) * 3_000n * 10n ** 8n) / 10n ** 18n - 100n;
      const daiSlash = (missingUsdE8 * 10n ** 18n) / 10n ** 8n;
      await expect(tx)
        .to.emit(escrow, "BondSlashed")
        .withArgs(bookingId, provider.address, consumer.address, dai.address, daiSlash);
      expect(await escrow.owed(consumer.address, dai.address)).to.equal(daiSlash);
    });

    it("values a provider's bonds and active bookings in USD across tokens", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, marketplace, provider, usdc, dai } = f;
      expect(await escrow.bondCoverage(provider.address)).to.deep.equal([0n, 0n]);
      await escrow.connect(provider).depositBond(dai.address, 10n ** 18n * 5n);
      await escrow.connect(provider).depositBond(ethers.ZeroAddress, 10n ** 15n, { value: 10n ** 15n });
      const a = await f.bookActive(usdc.address, 2);
      await f.bookActive(undefined, 2);
      await f.book(usdc.address, 4); // requested, not active
      expect(await escrow.activeValueOf(provider.address, usdc.address)).to.equal(a.amount);
      // $5 of DAI and $3 of ETH bonded; two active bookings of $3 each.
      expect(await escrow.bondCoverage(provider.address)).to.deep.equal([800_000_000n, 600_000_000n]);
      await marketplace.connect(f.consumer).terminateBooking(a.bookingId);
      expect(await escrow.activeValueOf(provider.address, usdc.address)).to.equal(0n);
    });

    it("slashes no more than the bond holds", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, marketplace, provider, consumer, other, usdc, settings } = f;
      const { bookingId, amount } = await f.book(usdc.address, 4);
      await escrow.connect(provider).depositBond(usdc.address, 7n);
      await time.increase(settings.provisionTimeoutSeconds + 1);
      await expect(marketplace.connect(other).cancelBooking(bookingId))
        .to.emit(escrow, "BondSlashed")
        .withArgs(bookingId, provider.address, consumer.address, usdc.address, 7n);
      expect(await escrow.owed(consumer.address, usdc.address)).to.equal(amount + 7n);
    });
  });

  describe("settings", function () {
    it("updates parameters within bounds, admin only, never the period length or report window", async function () {
      const f = await loadFixture(deployFixture);
      const { escrow, admin, other } = f;
      const current = await currentSettings(f);
      const updated = { ...current, protocolFeeBps: 500n, treasury: other.address };
      await expect(escrow.connect(admin).updateSettings(updated))
        .to.emit(escrow, "SettingsUpdated")
        .withArgs(Object.values(updated));
      await expect(escrow.connect(other).updateSettings(updated))
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, await escrow.DEFAULT_ADMIN_ROLE());
      const invalid = [
        { slaPeriodSeconds: current.slaPeriodSeconds + 1n },
        // A longer window would reopen periods already paid out as compliant.
        { reportWindowSeconds: current.reportWindowSeconds + 1n },
        { reportWindowSeconds: current.reportWindowSeconds - 1n },
        { treasury: ethers.ZeroAddress },
        { protocolFeeBps: 2_001n },
        { bondSlashBps: 10_001n },
        { unbondingDelaySeconds: 90n * 86_400n + 1n },
      ];
      for (const change of invalid) {
        await expect(escrow.connect(admin).updateSettings({ ...current, ...change })).to.be.revertedWithCustomError(
          escrow,
          "EscrowInvalidSettings",
        );
      }
    });
  });
});
