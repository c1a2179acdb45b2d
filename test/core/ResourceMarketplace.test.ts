import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";

import {
  ACCESS_CID,
  ENCRYPTION_KEY,
  HOUR,
  METADATA_CID,
  PRICE_PER_HOUR_USD_E8,
  deployMarketplaceFixture,
  ethers,
  networkHelpers,
} from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

enum ResourceStatus {
  None,
  Listed,
  Paused,
  Delisted,
}
enum BookingStatus {
  None,
  Requested,
  Active,
  Completed,
  Cancelled,
  Terminated,
}

type Fixture = Awaited<ReturnType<typeof deployMarketplaceFixture>>;

function termsTuple(terms: Fixture["terms"]) {
  return [
    terms.pricePerHourUsdE8,
    terms.capacity,
    terms.minHours,
    terms.maxHours,
    terms.uptimeTargetBps,
    terms.maxLatencyMs,
    terms.acceptedTokens,
  ];
}

describe("ResourceMarketplace", function () {
  describe("providers", function () {
    it("registers a provider once, with its profile CID", async function () {
      const { marketplace, other } = await loadFixture(deployMarketplaceFixture);
      await expect(marketplace.connect(other).registerProvider(METADATA_CID))
        .to.emit(marketplace, "ProviderRegistered")
        .withArgs(other.address, METADATA_CID);
      expect(await marketplace.providerRegisteredAt(other.address)).to.equal(await time.latest());
      await expect(marketplace.connect(other).registerProvider(METADATA_CID))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceAlreadyRegistered")
        .withArgs(other.address);
    });

    it("rejects empty and oversized CIDs", async function () {
      const { marketplace, other } = await loadFixture(deployMarketplaceFixture);
      await expect(marketplace.connect(other).registerProvider("")).to.be.revertedWithCustomError(
        marketplace,
        "MarketplaceInvalidCid",
      );
      await expect(marketplace.connect(other).registerProvider("b".repeat(129))).to.be.revertedWithCustomError(
        marketplace,
        "MarketplaceInvalidCid",
      );
    });

    it("updates a registered provider's profile", async function () {
      const { marketplace, provider, other } = await loadFixture(deployMarketplaceFixture);
      await expect(marketplace.connect(provider).updateProviderProfile(ACCESS_CID))
        .to.emit(marketplace, "ProviderProfileUpdated")
        .withArgs(provider.address, ACCESS_CID);
      await expect(marketplace.connect(other).updateProviderProfile(ACCESS_CID))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNotProvider")
        .withArgs(other.address);
    });
  });

  describe("listing", function () {
    it("lists a resource with its terms and a token mask", async function () {
      const { marketplace, provider, terms, usdc } = await loadFixture(deployMarketplaceFixture);
      const onlyUsdc = { ...terms, acceptedTokens: [usdc.address] };
      const params = { metadataCid: METADATA_CID, region: "us-east-1", kind: 1, terms: onlyUsdc };
      await expect(marketplace.connect(provider).listResource(params))
        .to.emit(marketplace, "ResourceListed")
        .withArgs(2n, provider.address, 1, "us-east-1", METADATA_CID, termsTuple(onlyUsdc));
      const resource = await marketplace.getResource(2n);
      expect(resource.provider).to.equal(provider.address);
      expect(resource.status).to.equal(ResourceStatus.Listed);
      expect(resource.kind).to.equal(1n);
      expect(resource.acceptedTokens).to.equal(1n << BigInt(usdc.tokenId));
      expect(resource.metadataVersion).to.equal(1n);
      expect(await marketplace.resourceCount()).to.equal(2n);
    });

    it("only lists for registered providers, with a valid CID and region", async function () {
      const { marketplace, provider, other, terms } = await loadFixture(deployMarketplaceFixture);
      const params = { metadataCid: METADATA_CID, region: "eu-west-1", kind: 0, terms };
      await expect(marketplace.connect(other).listResource(params))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNotProvider")
        .withArgs(other.address);
      await expect(
        marketplace.connect(provider).listResource({ ...params, metadataCid: "" }),
      ).to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidCid");
      for (const region of ["", "r".repeat(33)]) {
        await expect(marketplace.connect(provider).listResource({ ...params, region })).to.be.revertedWithCustomError(
          marketplace,
          "MarketplaceInvalidRegion",
        );
      }
    });

    it("rejects terms out of range", async function () {
      const { marketplace, provider, terms } = await loadFixture(deployMarketplaceFixture);
      const invalid = [
        { pricePerHourUsdE8: 0n },
        { capacity: 0 },
        { minHours: 0 },
        { minHours: 10, maxHours: 9 },
        { uptimeTargetBps: 10_001 },
        { acceptedTokens: [] },
      ];
      for (const change of invalid) {
        const params = { metadataCid: METADATA_CID, region: "eu-west-1", kind: 0, terms: { ...terms, ...change } };
        await expect(marketplace.connect(provider).listResource(params)).to.be.revertedWithCustomError(
          marketplace,
          "MarketplaceInvalidTerms",
        );
      }
    });

    it("rejects tokens without a price feed", async function () {
      const { marketplace, priceOracle, provider, terms, other } = await loadFixture(deployMarketplaceFixture);
      const params = {
        metadataCid: METADATA_CID,
        region: "eu-west-1",
        kind: 0,
        terms: { ...terms, acceptedTokens: [other.address] },
      };
      await expect(marketplace.connect(provider).listResource(params))
        .to.be.revertedWithCustomError(priceOracle, "PriceOracleUnsupportedToken")
        .withArgs(other.address);
    });

    it("updates terms, and only tightens the SLA while bookings are open", async function () {
      const { marketplace, provider, terms, resourceId, book, eth } = await loadFixture(deployMarketplaceFixture);
      const cheaper = { ...terms, pricePerHourUsdE8: 100_000_000n, acceptedTokens: [eth.address] };
      await expect(marketplace.connect(provider).updateResourceTerms(resourceId, cheaper))
        .to.emit(marketplace, "ResourceTermsUpdated")
        .withArgs(resourceId, termsTuple(cheaper));
      const resource = await marketplace.getResource(resourceId);
      expect(resource.pricePerHourUsdE8).to.equal(100_000_000n);
      expect(resource.acceptedTokens).to.equal(1n);

      await book();
      for (const looser of [{ uptimeTargetBps: 9_900 }, { maxLatencyMs: 251 }, { maxLatencyMs: 0 }]) {
        await expect(marketplace.connect(provider).updateResourceTerms(resourceId, { ...cheaper, ...looser }))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceSlaLoosened")
          .withArgs(resourceId);
      }
      await expect(
        marketplace
          .connect(provider)
          .updateResourceTerms(resourceId, { ...cheaper, uptimeTargetBps: 9_990, maxLatencyMs: 100 }),
      ).to.emit(marketplace, "ResourceTermsUpdated");
    });

    it("lets only the resource's provider change it", async function () {
      const { marketplace, other, terms, resourceId } = await loadFixture(deployMarketplaceFixture);
      await expect(marketplace.connect(other).updateResourceTerms(resourceId, terms))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNotResourceProvider")
        .withArgs(resourceId, other.address);
      await expect(marketplace.connect(other).updateResourceMetadata(resourceId, ACCESS_CID))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNotResourceProvider")
        .withArgs(resourceId, other.address);
      await expect(marketplace.connect(other).setResourcePaused(resourceId, true))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNotResourceProvider")
        .withArgs(resourceId, other.address);
      await expect(marketplace.connect(other).delistResource(resourceId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNotResourceProvider")
        .withArgs(resourceId, other.address);
      await expect(marketplace.connect(other).delistResource(99n))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownResource")
        .withArgs(99n);
    });

    it("versions metadata updates", async function () {
      const { marketplace, provider, resourceId } = await loadFixture(deployMarketplaceFixture);
      await expect(marketplace.connect(provider).updateResourceMetadata(resourceId, ACCESS_CID))
        .to.emit(marketplace, "ResourceMetadataUpdated")
        .withArgs(resourceId, ACCESS_CID, 2);
      await expect(marketplace.connect(provider).updateResourceMetadata(resourceId, "")).to.be.revertedWithCustomError(
        marketplace,
        "MarketplaceInvalidCid",
      );
    });

    it("pauses, resumes and delists a resource", async function () {
      const { marketplace, provider, resourceId, terms, book } = await loadFixture(deployMarketplaceFixture);
      await expect(marketplace.connect(provider).setResourcePaused(resourceId, true))
        .to.emit(marketplace, "ResourceStatusChanged")
        .withArgs(resourceId, ResourceStatus.Paused);
      await expect(marketplace.connect(provider).setResourcePaused(resourceId, true))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidResourceStatus")
        .withArgs(resourceId, ResourceStatus.Paused);
      await expect(book())
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidResourceStatus")
        .withArgs(resourceId, ResourceStatus.Paused);
      await expect(marketplace.connect(provider).setResourcePaused(resourceId, false))
        .to.emit(marketplace, "ResourceStatusChanged")
        .withArgs(resourceId, ResourceStatus.Listed);
      await expect(marketplace.connect(provider).setResourcePaused(resourceId, false))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidResourceStatus")
        .withArgs(resourceId, ResourceStatus.Listed);

      await expect(marketplace.connect(provider).delistResource(resourceId))
        .to.emit(marketplace, "ResourceStatusChanged")
        .withArgs(resourceId, ResourceStatus.Delisted);
      for (const call of [
        () => marketplace.connect(provider).delistResource(resourceId),
        () => marketplace.connect(provider).updateResourceTerms(resourceId, terms),
        () => marketplace.connect(provider).updateResourceMetadata(resourceId, ACCESS_CID),
        () => marketplace.connect(provider).setResourcePaused(resourceId, true),
        () => book(),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidResourceStatus")
          .withArgs(resourceId, ResourceStatus.Delisted);
      }
    });
  });

  describe("booking", function () {
    it("books in ETH at the oracle price and escrows the payment", async function () {
      const { marketplace, escrow, priceOracle, consumer, provider, resourceId } =
        await loadFixture(deployMarketplaceFixture);
      const usd = PRICE_PER_HOUR_USD_E8 * 3n;
      const [amount, tokenId] = await priceOracle.quote(ethers.ZeroAddress, usd);
      // $4.50 at $3,000 per ETH, rounded up to the wei.
      expect(amount).to.equal(1_500_000_000_000_000n);
      expect(tokenId).to.equal(0n);

      const tx = marketplace
        .connect(consumer)
        .book(resourceId, 3, ethers.ZeroAddress, amount, ENCRYPTION_KEY, { value: amount });
      await expect(tx)
        .to.emit(marketplace, "BookingRequested")
        .withArgs(
          1n,
          resourceId,
          consumer.address,
          provider.address,
          ethers.ZeroAddress,
          amount,
          usd,
          3,
          ENCRYPTION_KEY,
        );
      await expect(tx).to.changeEtherBalances(ethers, [consumer, escrow], [-amount, amount]);

      const booking = await marketplace.getBooking(1n);
      expect(booking.consumer).to.equal(consumer.address);
      expect(booking.resourceId).to.equal(resourceId);
      expect(booking.hoursBooked).to.equal(3n);
      expect(booking.status).to.equal(BookingStatus.Requested);
      expect(booking.requestedAt).to.equal(await time.latest());
      expect((await marketplace.getResource(resourceId)).activeBookings).to.equal(1n);
      const deposit = await escrow.depositOf(1n);
      expect(deposit.provider).to.equal(provider.address);
      expect(deposit.amount).to.equal(amount);
    });

    it("returns ETH sent above the price", async function () {
      const { marketplace, escrow, priceOracle, consumer, resourceId } = await loadFixture(deployMarketplaceFixture);
      const [amount] = await priceOracle.quote(ethers.ZeroAddress, PRICE_PER_HOUR_USD_E8);
      const sent = amount + 12_345n;
      await expect(
        marketplace.connect(consumer).book(resourceId, 1, ethers.ZeroAddress, sent, ENCRYPTION_KEY, { value: sent }),
      ).to.changeEtherBalances(ethers, [consumer, escrow], [-amount, amount]);
    });

    it("books in a 6-decimal and an 18-decimal stablecoin", async function () {
      const { marketplace, escrow, consumer, resourceId, usdc, dai } = await loadFixture(deployMarketplaceFixture);
      await expect(
        marketplace.connect(consumer).book(resourceId, 2, usdc.address, 3_000_000n, ENCRYPTION_KEY),
      ).to.changeTokenBalances(ethers, usdc.token!, [consumer, escrow], [-3_000_000n, 3_000_000n]);
      const daiAmount = 3n * 10n ** 18n;
      await expect(
        marketplace.connect(consumer).book(resourceId, 2, dai.address, daiAmount, ENCRYPTION_KEY),
      ).to.changeTokenBalances(ethers, dai.token!, [consumer, escrow], [-daiAmount, daiAmount]);
      expect((await marketplace.getBooking(2n)).tokenId).to.equal(BigInt(dai.tokenId));
    });

    it("guards against price moves with maxPayment", async function () {
      const { marketplace, consumer, resourceId, usdc } = await loadFixture(deployMarketplaceFixture);
      // The stablecoin depegs to $0.99: $3 now costs 3.030304 USDC (rounded up).
      await usdc.feed.updateAnswer(99_000_000n);
      await expect(marketplace.connect(consumer).book(resourceId, 2, usdc.address, 3_000_000n, ENCRYPTION_KEY))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceSlippage")
        .withArgs(3_030_304n, 3_000_000n);
    });

    it("rejects bookings that break the resource's rules", async function () {
      const { marketplace, consumer, provider, resourceId, terms, usdc, book } =
        await loadFixture(deployMarketplaceFixture);
      await expect(
        marketplace.connect(consumer).book(resourceId, 1, usdc.address, 10n ** 9n, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(marketplace, "MarketplaceMissingEncryptionKey");
      await expect(marketplace.connect(consumer).book(7n, 1, usdc.address, 10n ** 9n, ENCRYPTION_KEY))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownResource")
        .withArgs(7n);
      await expect(marketplace.connect(provider).book(resourceId, 1, usdc.address, 10n ** 9n, ENCRYPTION_KEY))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceSelfBooking")
        .withArgs(resourceId);
      for (const hours of [0, 721]) {
        await expect(marketplace.connect(consumer).book(resourceId, hours, usdc.address, 10n ** 9n, ENCRYPTION_KEY))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidHours")
          .withArgs(resourceId, hours, terms.minHours, terms.maxHours);
      }

      await marketplace
        .connect(provider)
        .updateResourceTerms(resourceId, { ...terms, capacity: 1, acceptedTokens: [usdc.address] });
      await expect(book())
        .to.be.revertedWithCustomError(marketplace, "MarketplaceTokenNotAccepted")
        .withArgs(resourceId, ethers.ZeroAddress);
      await book(usdc.address);
      await expect(book(usdc.address))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNoCapacity")
        .withArgs(resourceId, 1);
    });

    it("checks the value sent", async function () {
      const { marketplace, consumer, resourceId, usdc, priceOracle } = await loadFixture(deployMarketplaceFixture);
      const [amount] = await priceOracle.quote(ethers.ZeroAddress, PRICE_PER_HOUR_USD_E8);
      await expect(
        marketplace
          .connect(consumer)
          .book(resourceId, 1, ethers.ZeroAddress, amount, ENCRYPTION_KEY, { value: amount - 1n }),
      )
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidValue")
        .withArgs(amount, amount - 1n);
      await expect(
        marketplace.connect(consumer).book(resourceId, 1, usdc.address, 10n ** 9n, ENCRYPTION_KEY, { value: 1n }),
      )
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidValue")
        .withArgs(0n, 1n);
    });

    it("refuses to book at a stale price", async function () {
      const { priceOracle, usdc, book } = await loadFixture(deployMarketplaceFixture);
      const [, , , updatedAt] = await usdc.feed.latestRoundData();
      await time.increase(86_401);
      await expect(book(usdc.address))
        .to.be.revertedWithCustomError(priceOracle, "PriceOracleStalePrice")
        .withArgs(usdc.address, updatedAt, 86_400);
    });
  });

  describe("provisioning", function () {
    it("starts billing when an oracle confirms", async function () {
      const { marketplace, escrow, oracleA, book } = await loadFixture(deployMarketplaceFixture);
      const { bookingId } = await book(undefined, 2);
      const tx = marketplace.connect(oracleA).confirmProvisioning(bookingId, ACCESS_CID);
      const startedAt = BigInt(await time.latest()) + 1n;
      await expect(tx)
        .to.emit(marketplace, "BookingProvisioned")
        .withArgs(bookingId, oracleA.address, ACCESS_CID, startedAt, startedAt + 2n * BigInt(HOUR));
      expect((await marketplace.getBooking(bookingId)).status).to.equal(BookingStatus.Active);
      const stream = await escrow.streamOf(bookingId);
      expect(stream.startedAt).to.equal(startedAt);
      expect(stream.hoursBooked).to.equal(2n);
    });

    it("accepts confirmations only from oracles, once, before the deadline", async function () {
      const { marketplace, oracleA, other, book, settings } = await loadFixture(deployMarketplaceFixture);
      const { bookingId } = await book();
      await expect(marketplace.connect(other).confirmProvisioning(bookingId, ACCESS_CID))
        .to.be.revertedWithCustomError(marketplace, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, await marketplace.ORACLE_ROLE());
      await expect(marketplace.connect(oracleA).confirmProvisioning(bookingId, "")).to.be.revertedWithCustomError(
        marketplace,
        "MarketplaceInvalidCid",
      );
      await expect(marketplace.connect(oracleA).confirmProvisioning(42n, ACCESS_CID))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownBooking")
        .withArgs(42n);

      const { requestedAt } = await marketplace.getBooking(bookingId);
      await time.increaseTo(requestedAt + BigInt(settings.provisionTimeoutSeconds) + 1n);
      await expect(marketplace.connect(oracleA).confirmProvisioning(bookingId, ACCESS_CID))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceProvisioningExpired")
        .withArgs(bookingId, requestedAt + BigInt(settings.provisionTimeoutSeconds));

      const second = await book();
      await marketplace.connect(oracleA).confirmProvisioning(second.bookingId, ACCESS_CID);
      await expect(marketplace.connect(oracleA).confirmProvisioning(second.bookingId, ACCESS_CID))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(second.bookingId, BookingStatus.Active);
    });
  });

  describe("cancellation", function () {
    it("lets the consumer cancel before provisioning, with a full refund", async function () {
      const { marketplace, escrow, reputation, consumer, provider, resourceId, book, usdc } =
        await loadFixture(deployMarketplaceFixture);
      const { bookingId, amount } = await book(usdc.address);
      await expect(marketplace.connect(consumer).cancelBooking(bookingId))
        .to.emit(marketplace, "BookingCancelled")
        .withArgs(bookingId, consumer.address, false)
        .and.to.emit(escrow, "ConsumerRefunded")
        .withArgs(bookingId, consumer.address, usdc.address, amount, 0);
      expect(await escrow.owed(consumer.address, usdc.address)).to.equal(amount);
      expect((await marketplace.getBooking(bookingId)).status).to.equal(BookingStatus.Cancelled);
      expect((await marketplace.getResource(resourceId)).activeBookings).to.equal(0n);
      expect((await reputation.recordOf(provider.address)).bookingsFailed).to.equal(0n);
      await expect(marketplace.connect(consumer).cancelBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, BookingStatus.Cancelled);
    });

    it("lets anyone cancel once provisioning timed out, counting it against the provider", async function () {
      const { marketplace, escrow, reputation, consumer, provider, other, book, settings } =
        await loadFixture(deployMarketplaceFixture);
      const { bookingId, amount } = await book();
      const { requestedAt } = await marketplace.getBooking(bookingId);
      const deadline = requestedAt + BigInt(settings.provisionTimeoutSeconds);
      await expect(marketplace.connect(other).cancelBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceProvisioningPending")
        .withArgs(bookingId, deadline);

      await time.increaseTo(deadline + 1n);
      await expect(marketplace.connect(other).cancelBooking(bookingId))
        .to.emit(marketplace, "BookingCancelled")
        .withArgs(bookingId, other.address, true);
      expect(await escrow.owed(consumer.address, ethers.ZeroAddress)).to.equal(amount);
      expect((await reputation.recordOf(provider.address)).bookingsFailed).to.equal(1n);
    });

    it("cannot cancel an active booking", async function () {
      const { marketplace, consumer, bookActive } = await loadFixture(deployMarketplaceFixture);
      const { bookingId } = await bookActive();
      await expect(marketplace.connect(consumer).cancelBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, BookingStatus.Active);
    });
  });

  describe("completion, termination and rating", function () {
    it("completes a booking at its end and frees capacity", async function () {
      const { marketplace, escrow, reputation, provider, other, resourceId, bookActive } =
        await loadFixture(deployMarketplaceFixture);
      const { bookingId } = await bookActive(undefined, 1);
      const { endsAt } = await escrow.streamOf(bookingId);
      await expect(marketplace.connect(other).completeBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceBookingNotEnded")
        .withArgs(bookingId, endsAt);
      await time.increaseTo(endsAt);
      await expect(marketplace.connect(other).completeBooking(bookingId))
        .to.emit(marketplace, "BookingCompleted")
        .withArgs(bookingId);
      expect((await marketplace.getBooking(bookingId)).status).to.equal(BookingStatus.Completed);
      expect((await marketplace.getResource(resourceId)).activeBookings).to.equal(0n);
      expect((await reputation.recordOf(provider.address)).bookingsCompleted).to.equal(1n);
      await expect(marketplace.connect(other).completeBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, BookingStatus.Completed);
    });

    it("refunds unused time when the consumer terminates early", async function () {
      const { marketplace, escrow, reputation, consumer, provider, bookActive } =
        await loadFixture(deployMarketplaceFixture);
      const { bookingId, amount } = await bookActive(undefined, 2);
      const { startedAt } = await escrow.streamOf(bookingId);
      await time.setNextBlockTimestamp(startedAt + 1_800n);
      // 30 of 120 minutes used: three quarters come back.
      const refund = amount - (amount * 1_800n) / 7_200n;
      await expect(marketplace.connect(consumer).terminateBooking(bookingId))
        .to.emit(marketplace, "BookingTerminated")
        .withArgs(bookingId, consumer.address, false, refund);
      expect(await escrow.owed(consumer.address, ethers.ZeroAddress)).to.equal(refund);
      const stream = await escrow.streamOf(bookingId);
      expect(stream.endsAt).to.equal(startedAt + 1_800n);
      expect((await reputation.recordOf(provider.address)).bookingsFailed).to.equal(0n);
    });

    it("counts a provider termination as a failure and slashes its bond", async function () {
      const { marketplace, escrow, reputation, consumer, provider, bookActive, usdc } =
        await loadFixture(deployMarketplaceFixture);
      await escrow.connect(provider).depositBond(usdc.address, 10_000_000n);
      const { bookingId, amount } = await bookActive(usdc.address, 2);
      const slash = (amount * BigInt(5_000)) / 10_000n;
      await expect(marketplace.connect(provider).terminateBooking(bookingId))
        .to.emit(marketplace, "BookingTerminated")
        .withArgs(bookingId, provider.address, true, anyValue)
        .and.to.emit(escrow, "BondSlashed")
        .withArgs(bookingId, provider.address, consumer.address, usdc.address, slash);
      expect((await reputation.recordOf(provider.address)).bookingsFailed).to.equal(1n);
      expect((await escrow.bondOf(provider.address, usdc.address)).amount).to.equal(10_000_000n - slash);
    });

    it("lets only the parties terminate, and only before the end", async function () {
      const { marketplace, escrow, consumer, other, bookActive } = await loadFixture(deployMarketplaceFixture);
      const { bookingId } = await bookActive(undefined, 1);
      await expect(marketplace.connect(other).terminateBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnauthorized")
        .withArgs(bookingId, other.address);
      const { endsAt } = await escrow.streamOf(bookingId);
      await time.increaseTo(endsAt);
      await expect(marketplace.connect(consumer).terminateBooking(bookingId))
        .to.be.revertedWithCustomError(escrow, "EscrowStreamEnded")
        .withArgs(bookingId, endsAt);
    });

    it("takes one rating per completed booking, from its consumer", async function () {
      const { marketplace, escrow, reputation, consumer, provider, other, bookActive } =
        await loadFixture(deployMarketplaceFixture);
      const { bookingId } = await bookActive(undefined, 1);
      await expect(marketplace.connect(consumer).rateBooking(bookingId, 5))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, BookingStatus.Active);
      await time.increaseTo((await escrow.streamOf(bookingId)).endsAt);
      await marketplace.completeBooking(bookingId);
      await expect(marketplace.connect(other).rateBooking(bookingId, 5))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnauthorized")
        .withArgs(bookingId, other.address);
      await expect(marketplace.connect(consumer).rateBooking(bookingId, 4))
        .to.emit(reputation, "ProviderRated")
        .withArgs(provider.address, bookingId, consumer.address, 4);
      await expect(marketplace.connect(consumer).rateBooking(bookingId, 5))
        .to.be.revertedWithCustomError(reputation, "ReputationAlreadyRated")
        .withArgs(bookingId);
    });
  });

  describe("governance", function () {
    it("lets the guardian pause listings and bookings but never exits", async function () {
      const { marketplace, escrow, guardian, provider, consumer, other, terms, book, bookActive } =
        await loadFixture(deployMarketplaceFixture);
      const requested = await book();
      const active = await bookActive(undefined, 1);
      await expect(marketplace.connect(other).pause())
        .to.be.revertedWithCustomError(marketplace, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, await marketplace.GUARDIAN_ROLE());
      await expect(marketplace.connect(guardian).pause()).to.emit(marketplace, "Paused").withArgs(guardian.address);
      expect(await marketplace.paused()).to.equal(true);

      const params = { metadataCid: METADATA_CID, region: "eu-west-1", kind: 0, terms };
      await expect(marketplace.connect(provider).listResource(params)).to.be.revertedWithCustomError(
        marketplace,
        "MarketplacePaused",
      );
      await expect(book()).to.be.revertedWithCustomError(marketplace, "MarketplacePaused");

      // Cancelling, completing, withdrawing and claiming all still work.
      await marketplace.connect(consumer).cancelBooking(requested.bookingId);
      await escrow.connect(consumer).claim(ethers.ZeroAddress);
      await time.increaseTo((await escrow.streamOf(active.bookingId)).endsAt + 301n);
      await marketplace.completeBooking(active.bookingId);
      await escrow.connect(provider).withdrawEarnings(active.bookingId);

      await expect(marketplace.connect(guardian).unpause()).to.emit(marketplace, "Unpaused").withArgs(guardian.address);
      await expect(marketplace.connect(other).unpause()).to.be.revertedWithCustomError(
        marketplace,
        "AccessControlUnauthorizedAccount",
      );
      await book();
    });

    it("sets the provisioning timeout within bounds, admin only", async function () {
      const { marketplace, admin, other } = await loadFixture(deployMarketplaceFixture);
      await expect(marketplace.connect(admin).setProvisionTimeout(600))
        .to.emit(marketplace, "ProvisionTimeoutUpdated")
        .withArgs(600);
      expect(await marketplace.provisionTimeout()).to.equal(600n);
      for (const seconds of [59, 7 * 86_400 + 1]) {
        await expect(marketplace.connect(admin).setProvisionTimeout(seconds))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidTimeout")
          .withArgs(seconds);
      }
      await expect(marketplace.connect(other).setProvisionTimeout(600))
        .to.be.revertedWithCustomError(marketplace, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, await marketplace.DEFAULT_ADMIN_ROLE());
    });
  });

  describe("views", function () {
    it("gives SLA enforcement the consumer and the resource's SLA", async function () {
      const { marketplace, consumer, terms, book } = await loadFixture(deployMarketplaceFixture);
      const { bookingId } = await book();
      const [who, uptime, latency] = await marketplace.slaTerms(bookingId);
      expect([who, uptime, latency]).to.deep.equal([
        consumer.address,
        BigInt(terms.uptimeTargetBps),
        BigInt(terms.maxLatencyMs),
      ]);
      await expect(marketplace.slaTerms(99n))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownBooking")
        .withArgs(99n);
      expect(await marketplace.bookingCount()).to.equal(1n);
    });
  });
});
