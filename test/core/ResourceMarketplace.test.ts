import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";

import { BookingStatus, CancelReason, ResourceStatus } from "@d-cloudx/sdk";
import {
  ACCESS_CID,
  ENCRYPTION_KEY,
  HOUR,
  METADATA_CID,
  PRICE_PER_HOUR_USD_E8,
  type Fixture,
  deployFixture,
  ethers,
  networkHelpers,
} from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

const CIDV0 = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG";
const CIDV1_DAG_PB = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";

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
      const { marketplace, other } = await loadFixture(deployFixture);
      await expect(marketplace.connect(other).registerProvider(METADATA_CID))
        .to.emit(marketplace, "ProviderRegistered")
        .withArgs(other.address, METADATA_CID);
      expect(await marketplace.providerRegisteredAt(other.address)).to.equal(await time.latest());
      await expect(marketplace.connect(other).registerProvider(METADATA_CID))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceAlreadyRegistered")
        .withArgs(other.address);
    });

    it("accepts CIDv0 and base32 CIDv1, and refuses what is not written like a CID", async function () {
      const { marketplace, provider, other } = await loadFixture(deployFixture);
      for (const cid of [
        "",
        "not-a-cid",
        "b".repeat(129),
        "ba" + "a".repeat(127),
        "bafy not a cid",
        CIDV1_DAG_PB.toUpperCase(),
        "bc" + CIDV1_DAG_PB.slice(2),
        "Qm" + CIDV0.slice(2, -1) + "0",
        CIDV0 + "x",
      ]) {
        await expect(marketplace.connect(other).registerProvider(cid))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidCid")
          .withArgs(cid);
      }
      await expect(marketplace.connect(other).registerProvider(CIDV0)).to.emit(marketplace, "ProviderRegistered");
      await expect(marketplace.connect(provider).updateProviderProfile(CIDV1_DAG_PB)).to.emit(
        marketplace,
        "ProviderProfileUpdated",
      );
    });

    it("updates a registered provider's profile", async function () {
      const { marketplace, provider, other } = await loadFixture(deployFixture);
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
      const { marketplace, provider, terms, usdc } = await loadFixture(deployFixture);
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
      expect(resource.slaSince).to.equal(0n);
      expect(resource.slaVersions).to.equal(0n);
      expect(await marketplace.resourceCount()).to.equal(2n);
    });

    it("only lists for registered providers, with a valid CID and region", async function () {
      const { marketplace, provider, other, terms } = await loadFixture(deployFixture);
      const params = { metadataCid: METADATA_CID, region: "eu-west-1", kind: 0, terms };
      await expect(marketplace.connect(other).listResource(params))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNotProvider")
        .withArgs(other.address);
      await expect(marketplace.connect(provider).listResource({ ...params, metadataCid: "not-a-cid" }))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidCid")
        .withArgs("not-a-cid");
      for (const region of ["", "r".repeat(33)]) {
        await expect(marketplace.connect(provider).listResource({ ...params, region })).to.be.revertedWithCustomError(
          marketplace,
          "MarketplaceInvalidRegion",
        );
      }
    });

    it("rejects terms out of range", async function () {
      const { marketplace, provider, terms } = await loadFixture(deployFixture);
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
      const { marketplace, priceOracle, provider, terms, other } = await loadFixture(deployFixture);
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

    it("updates terms at any time; bookings keep the SLA they were made with", async function () {
      const { marketplace, provider, terms, resourceId, book, eth } = await loadFixture(deployFixture);
      const cheaper = { ...terms, pricePerHourUsdE8: 100_000_000n, acceptedTokens: [eth.address] };
      await expect(marketplace.connect(provider).updateResourceTerms(resourceId, cheaper))
        .to.emit(marketplace, "ResourceTermsUpdated")
        .withArgs(resourceId, termsTuple(cheaper));
      let resource = await marketplace.getResource(resourceId);
      expect(resource.pricePerHourUsdE8).to.equal(100_000_000n);
      expect(resource.acceptedTokens).to.equal(1n);
      expect(resource.slaVersions, "a price change keeps the SLA version").to.equal(0n);

      const { bookingId: strict } = await book();
      const looser = { ...cheaper, uptimeTargetBps: 9_000, maxLatencyMs: 0 };
      await marketplace.connect(provider).updateResourceTerms(resourceId, looser);
      const loosenedAt = await time.latest();
      resource = await marketplace.getResource(resourceId);
      expect([resource.slaSince, resource.slaVersions]).to.deep.equal([BigInt(loosenedAt), 1n]);

      await time.increase(1);
      const { bookingId: loose } = await book(undefined, 2, undefined, resourceId, {
        uptimeTargetBps: 9_000,
        maxLatencyMs: 0,
      });
      expect((await marketplace.bookedSlaTerms(strict))[2]).to.deep.equal([9_950n, 250n]);
      expect((await marketplace.bookedSlaTerms(loose))[2]).to.deep.equal([9_000n, 0n]);
    });

    it("lets only the resource's provider change it", async function () {
      const { marketplace, other, terms, resourceId } = await loadFixture(deployFixture);
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
      const { marketplace, provider, resourceId } = await loadFixture(deployFixture);
      await expect(marketplace.connect(provider).updateResourceMetadata(resourceId, ACCESS_CID))
        .to.emit(marketplace, "ResourceMetadataUpdated")
        .withArgs(resourceId, ACCESS_CID, 2);
      await expect(marketplace.connect(provider).updateResourceMetadata(resourceId, ""))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidCid")
        .withArgs("");
    });

    it("pauses, resumes and delists a resource", async function () {
      const { marketplace, provider, resourceId, terms, book } = await loadFixture(deployFixture);
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
    it("books in ETH at the oracle price; the escrow records the payment", async function () {
      const { marketplace, escrow, priceOracle, consumer, provider, resourceId, minSla } =
        await loadFixture(deployFixture);
      const usd = PRICE_PER_HOUR_USD_E8 * 3n;
      const [amount, tokenId] = await priceOracle.quote(ethers.ZeroAddress, usd);
      // $4.50 at $3,000 per ETH, rounded up to the wei.
      expect(amount).to.equal(1_500_000_000_000_000n);
      expect(tokenId).to.equal(0n);

      const tx = marketplace
        .connect(consumer)
        .book(resourceId, 3, ethers.ZeroAddress, amount, minSla, ENCRYPTION_KEY, { value: amount });
      await expect(tx)
        .to.emit(marketplace, "BookingRequested")
        .withArgs(1n, resourceId, consumer.address, provider.address, usd, 3, ENCRYPTION_KEY)
        .and.to.emit(escrow, "Deposited")
        .withArgs(1n, consumer.address, ethers.ZeroAddress, amount);
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
      const { marketplace, escrow, priceOracle, consumer, resourceId, minSla } = await loadFixture(deployFixture);
      const [amount] = await priceOracle.quote(ethers.ZeroAddress, PRICE_PER_HOUR_USD_E8);
      const sent = amount + 12_345n;
      await expect(
        marketplace
          .connect(consumer)
          .book(resourceId, 1, ethers.ZeroAddress, sent, minSla, ENCRYPTION_KEY, { value: sent }),
      ).to.changeEtherBalances(ethers, [consumer, escrow], [-amount, amount]);
    });

    it("books in a 6-decimal and an 18-decimal stablecoin", async function () {
      const { marketplace, escrow, consumer, resourceId, usdc, dai, minSla } = await loadFixture(deployFixture);
      await expect(
        marketplace.connect(consumer).book(resourceId, 2, usdc.address, 3_000_000n, minSla, ENCRYPTION_KEY),
      ).to.changeTokenBalances(ethers, usdc.token!, [consumer, escrow], [-3_000_000n, 3_000_000n]);
      const daiAmount = 3n * 10n ** 18n;
      await expect(
        marketplace.connect(consumer).book(resourceId, 2, dai.address, daiAmount, minSla, ENCRYPTION_KEY),
      ).to.changeTokenBalances(ethers, dai.token!, [consumer, escrow], [-daiAmount, daiAmount]);
      expect((await marketplace.getBooking(2n)).tokenId).to.equal(BigInt(dai.tokenId));
    });

    it("guards against price moves with maxPayment", async function () {
      const { marketplace, consumer, resourceId, usdc, minSla } = await loadFixture(deployFixture);
      // The stablecoin depegs to $0.99: $3 now costs 3.030304 USDC (rounded up).
      await usdc.feed.updateAnswer(99_000_000n);
      await expect(marketplace.connect(consumer).book(resourceId, 2, usdc.address, 3_000_000n, minSla, ENCRYPTION_KEY))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceSlippage")
        .withArgs(3_030_304n, 3_000_000n);
    });

    it("guards against looser SLA terms than the consumer saw", async function () {
      const { marketplace, provider, terms, resourceId, book } = await loadFixture(deployFixture);
      const offered = [BigInt(terms.uptimeTargetBps), BigInt(terms.maxLatencyMs)];
      for (const minimum of [
        { uptimeTargetBps: 9_951, maxLatencyMs: 250 },
        { uptimeTargetBps: 9_950, maxLatencyMs: 249 },
      ]) {
        await expect(book(undefined, 2, undefined, resourceId, minimum))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceSlaBelowMinimum")
          .withArgs(resourceId, offered, [BigInt(minimum.uptimeTargetBps), BigInt(minimum.maxLatencyMs)]);
      }
      // A consumer asking for no latency limit takes any; one asking for a limit refuses "none".
      await book(undefined, 2, undefined, resourceId, { uptimeTargetBps: 9_000, maxLatencyMs: 0 });
      await marketplace.connect(provider).updateResourceTerms(resourceId, { ...terms, maxLatencyMs: 0 });
      await time.increase(1);
      await expect(book(undefined, 2, undefined, resourceId, { uptimeTargetBps: 9_950, maxLatencyMs: 1_000 }))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceSlaBelowMinimum")
        .withArgs(resourceId, [9_950n, 0n], [9_950n, 1_000n]);
    });

    it("refuses encryption keys access details cannot be encrypted to", async function () {
      const { marketplace, consumer, resourceId, usdc, minSla } = await loadFixture(deployFixture);
      const p = 2n ** 255n - 19n;
      const keyOf = (u: bigint) => ethers.hexlify(ethers.toBeArray(u, 32).reverse());
      const unusable = [
        ethers.ZeroHash,
        keyOf(1n),
        keyOf(325606250916557431795983626356110631294008115727848805560023387167927233504n),
        keyOf(39382357235489614581723060781553021112529911719440698176882885853963445705823n),
        keyOf(p - 1n),
        keyOf(p),
        keyOf(p + 18n),
        keyOf(2n ** 255n + 9n),
      ];
      for (const key of unusable) {
        await expect(marketplace.connect(consumer).book(resourceId, 1, usdc.address, 10n ** 9n, minSla, key))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidEncryptionKey")
          .withArgs(key);
      }
      await expect(
        marketplace.connect(consumer).book(resourceId, 1, usdc.address, 10n ** 9n, minSla, keyOf(9n)),
      ).to.emit(marketplace, "BookingRequested");
    });

    it("rejects bookings that break the resource's rules", async function () {
      const { marketplace, consumer, provider, resourceId, terms, usdc, book, minSla } =
        await loadFixture(deployFixture);
      await expect(marketplace.connect(consumer).book(7n, 1, usdc.address, 10n ** 9n, minSla, ENCRYPTION_KEY))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownResource")
        .withArgs(7n);
      await expect(marketplace.connect(provider).book(resourceId, 1, usdc.address, 10n ** 9n, minSla, ENCRYPTION_KEY))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceSelfBooking")
        .withArgs(resourceId);
      for (const hours of [0, 721]) {
        await expect(
          marketplace.connect(consumer).book(resourceId, hours, usdc.address, 10n ** 9n, minSla, ENCRYPTION_KEY),
        )
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
      const { marketplace, consumer, resourceId, usdc, priceOracle, minSla } = await loadFixture(deployFixture);
      const [amount] = await priceOracle.quote(ethers.ZeroAddress, PRICE_PER_HOUR_USD_E8);
      await expect(
        marketplace
          .connect(consumer)
          .book(resourceId, 1, ethers.ZeroAddress, amount, minSla, ENCRYPTION_KEY, { value: amount - 1n }),
      )
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidValue")
        .withArgs(amount, amount - 1n);
      await expect(
        marketplace
          .connect(consumer)
          .book(resourceId, 1, usdc.address, 10n ** 9n, minSla, ENCRYPTION_KEY, { value: 1n }),
      )
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidValue")
        .withArgs(0n, 1n);
    });

    it("refuses to book at a stale price", async function () {
      const { priceOracle, usdc, book } = await loadFixture(deployFixture);
      const [, , , updatedAt] = await usdc.feed.latestRoundData();
      await time.increase(86_401);
      await expect(book(usdc.address))
        .to.be.revertedWithCustomError(priceOracle, "PriceOracleStalePrice")
        .withArgs(usdc.address, updatedAt, 86_400);
    });
  });

  describe("provisioning", function () {
    it("starts billing when a quorum of oracles confirms", async function () {
      const { marketplace, escrow, consumer, book, confirm } = await loadFixture(deployFixture);
      const { bookingId } = await book(undefined, 2);
      const tx = confirm(bookingId);
      const startedAt = BigInt(await time.latest()) + 1n;
      await expect(tx)
        .to.emit(marketplace, "BookingProvisioned")
        .withArgs(bookingId, consumer.address, ACCESS_CID, startedAt, startedAt + 2n * BigInt(HOUR));
      expect((await marketplace.getBooking(bookingId)).status).to.equal(BookingStatus.Active);
      const stream = await escrow.streamOf(bookingId);
      expect(stream.startedAt).to.equal(startedAt);
      expect(stream.hoursBooked).to.equal(2n);
    });

    it("needs a quorum of registered oracles; one oracle, or the provider's node, cannot start billing", async function () {
      const { marketplace, sla, oracleA, oracleB, provider, book, signProvisioning } = await loadFixture(deployFixture);
      const { bookingId } = await book();
      const alone = await signProvisioning(bookingId, ACCESS_CID, [oracleA]);
      await expect(marketplace.connect(oracleA).confirmProvisioning(bookingId, ACCESS_CID, alone))
        .to.be.revertedWithCustomError(sla, "QuorumNotReached")
        .withArgs(anyValue, 1, 2);
      const withProvider = await signProvisioning(bookingId, ACCESS_CID, [oracleA, provider]);
      await expect(marketplace.confirmProvisioning(bookingId, ACCESS_CID, withProvider))
        .to.be.revertedWithCustomError(sla, "QuorumUnknownSigner")
        .withArgs(provider.address);
      // Signatures bind the access details: another CID does not verify.
      const signatures = await signProvisioning(bookingId, ACCESS_CID, [oracleA, oracleB]);
      await expect(marketplace.confirmProvisioning(bookingId, METADATA_CID, signatures)).to.be.revertedWithCustomError(
        sla,
        "QuorumUnknownSigner",
      );
      await expect(marketplace.confirmProvisioning(bookingId, ACCESS_CID, signatures)).to.emit(
        marketplace,
        "BookingProvisioned",
      );
    });

    it("accepts a confirmation once, with a valid CID, before the deadline", async function () {
      const { marketplace, book, confirm, signProvisioning, settings } = await loadFixture(deployFixture);
      const { bookingId } = await book();
      await expect(marketplace.confirmProvisioning(bookingId, "", await signProvisioning(bookingId, "")))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidCid")
        .withArgs("");
      await expect(marketplace.confirmProvisioning(42n, ACCESS_CID, []))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownBooking")
        .withArgs(42n);

      const { requestedAt } = await marketplace.getBooking(bookingId);
      const deadline = requestedAt + BigInt(settings.provisionTimeoutSeconds);
      expect(await marketplace.provisionDeadline(bookingId)).to.equal(deadline);
      await time.increaseTo(deadline + 1n);
      await expect(confirm(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceProvisioningExpired")
        .withArgs(bookingId, deadline);

      const second = await book();
      await confirm(second.bookingId);
      await expect(confirm(second.bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(second.bookingId, BookingStatus.Active);
    });
  });

  describe("cancellation", function () {
    it("lets the consumer cancel before provisioning, free within the window", async function () {
      const { marketplace, escrow, reputation, consumer, provider, resourceId, book, usdc } =
        await loadFixture(deployFixture);
      const { bookingId, amount } = await book(usdc.address);
      await expect(marketplace.connect(consumer).cancelBooking(bookingId))
        .to.emit(marketplace, "BookingCancelled")
        .withArgs(bookingId, consumer.address, consumer.address, CancelReason.ByConsumer)
        .and.to.emit(escrow, "ConsumerRefunded")
        .withArgs(bookingId, consumer.address, usdc.address, amount, 0);
      expect(await escrow.owed(consumer.address, usdc.address)).to.equal(amount);
      expect(await escrow.owed(provider.address, usdc.address)).to.equal(0n);
      expect((await marketplace.getBooking(bookingId)).status).to.equal(BookingStatus.Cancelled);
      expect((await marketplace.getResource(resourceId)).activeBookings).to.equal(0n);
      expect((await reputation.recordOf(provider.address)).bookingsFailed).to.equal(0n);
      await expect(marketplace.connect(consumer).cancelBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, BookingStatus.Cancelled);
    });

    it("charges a late consumer cancellation the DAO's fee, paid to the provider", async function () {
      const { marketplace, escrow, consumer, provider, book, usdc, settings } = await loadFixture(deployFixture);
      const { bookingId, amount } = await book(usdc.address);
      await time.increase(settings.freeCancellationSeconds + 1);
      const fee = (amount * BigInt(settings.cancellationFeeBps)) / 10_000n;
      await expect(marketplace.connect(consumer).cancelBooking(bookingId))
        .to.emit(escrow, "CancellationFeeCredited")
        .withArgs(bookingId, provider.address, usdc.address, fee)
        .and.to.emit(escrow, "ConsumerRefunded")
        .withArgs(bookingId, consumer.address, usdc.address, amount - fee, 0);
      expect(await escrow.owed(provider.address, usdc.address)).to.equal(fee);
    });

    it("lets anyone cancel once provisioning timed out, counting it against the provider", async function () {
      const { marketplace, escrow, reputation, consumer, provider, other, book, settings } =
        await loadFixture(deployFixture);
      const { bookingId, amount } = await book();
      const { requestedAt } = await marketplace.getBooking(bookingId);
      const deadline = requestedAt + BigInt(settings.provisionTimeoutSeconds);
      await expect(marketplace.connect(other).cancelBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceProvisioningPending")
        .withArgs(bookingId, deadline);

      await time.increaseTo(deadline + 1n);
      await expect(marketplace.connect(other).cancelBooking(bookingId))
        .to.emit(marketplace, "BookingCancelled")
        .withArgs(bookingId, consumer.address, other.address, CancelReason.ProvisioningTimedOut);
      // No cancellation fee on a time-out: the refund is whole.
      expect(await escrow.owed(consumer.address, ethers.ZeroAddress)).to.equal(amount);
      expect((await reputation.recordOf(provider.address)).bookingsFailed).to.equal(1n);
    });

    it("refunds in full, slashing nobody, when a quorum states the consumer's input is at fault", async function () {
      const f = await loadFixture(deployFixture);
      const { marketplace, escrow, reputation, sla, consumer, provider, other, oracleA, usdc } = f;
      await escrow.connect(provider).depositBond(usdc.address, 10_000_000n);
      const { bookingId, amount } = await f.book(usdc.address);
      const fault = { bookingId, reason: CancelReason.UnusableEncryptionKey };
      await expect(marketplace.cancelForConsumerFault(bookingId, CancelReason.ByConsumer, []))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceNotConsumerFault")
        .withArgs(CancelReason.ByConsumer);
      await expect(
        marketplace.cancelForConsumerFault(bookingId, fault.reason, await f.signConsumerFault(fault, [oracleA])),
      ).to.be.revertedWithCustomError(sla, "QuorumNotReached");

      await time.increase(f.settings.freeCancellationSeconds + 1);
      await expect(
        marketplace.connect(other).cancelForConsumerFault(bookingId, fault.reason, await f.signConsumerFault(fault)),
      )
        .to.emit(marketplace, "BookingCancelled")
        .withArgs(bookingId, consumer.address, other.address, CancelReason.UnusableEncryptionKey)
        .and.not.to.emit(escrow, "BondSlashed");
      expect(await escrow.owed(consumer.address, usdc.address)).to.equal(amount);
      expect((await escrow.bondOf(provider.address, usdc.address)).amount).to.equal(10_000_000n);
      const record = await reputation.recordOf(provider.address);
      expect([record.bookingsFailed, record.trialUsdE8]).to.deep.equal([0n, 0n]);
    });

    it("cannot cancel an active booking", async function () {
      const { marketplace, consumer, bookActive } = await loadFixture(deployFixture);
      const { bookingId } = await bookActive();
      await expect(marketplace.connect(consumer).cancelBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, BookingStatus.Active);
    });
  });

  describe("completion, termination and rating", function () {
    it("completes a booking at its end and frees capacity", async function () {
      const { marketplace, escrow, reputation, consumer, provider, other, resourceId, bookActive } =
        await loadFixture(deployFixture);
      const { bookingId } = await bookActive(undefined, 1);
      const { endsAt } = await escrow.streamOf(bookingId);
      await expect(marketplace.connect(other).completeBooking(bookingId))
        .to.be.revertedWithCustomError(escrow, "EscrowStreamNotEnded")
        .withArgs(bookingId, endsAt);
      await time.increaseTo(endsAt);
      await expect(marketplace.connect(other).completeBooking(bookingId))
        .to.emit(marketplace, "BookingCompleted")
        .withArgs(bookingId, consumer.address);
      expect((await marketplace.getBooking(bookingId)).status).to.equal(BookingStatus.Completed);
      expect((await marketplace.getResource(resourceId)).activeBookings).to.equal(0n);
      expect((await reputation.recordOf(provider.address)).bookingsCompleted).to.equal(1n);
      expect(await escrow.activeValueOf(provider.address, ethers.ZeroAddress)).to.equal(0n);
      await expect(marketplace.connect(other).completeBooking(bookingId))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, BookingStatus.Completed);
    });

    it("refunds unused time when the consumer terminates early", async function () {
      const { marketplace, escrow, reputation, consumer, provider, bookActive } = await loadFixture(deployFixture);
      const { bookingId, amount } = await bookActive(undefined, 2);
      const { startedAt } = await escrow.streamOf(bookingId);
      await time.setNextBlockTimestamp(startedAt + 1_800n);
      // 30 of 120 minutes used: three quarters come back.
      const refund = amount - (amount * 1_800n) / 7_200n;
      await expect(marketplace.connect(consumer).terminateBooking(bookingId))
        .to.emit(marketplace, "BookingTerminated")
        .withArgs(bookingId, consumer.address, consumer.address, false, refund);
      expect(await escrow.owed(consumer.address, ethers.ZeroAddress)).to.equal(refund);
      const stream = await escrow.streamOf(bookingId);
      expect(stream.endsAt).to.equal(startedAt + 1_800n);
      expect((await reputation.recordOf(provider.address)).bookingsFailed).to.equal(0n);
    });

    it("counts a provider termination as a failure and slashes its bond", async function () {
      const { marketplace, escrow, reputation, consumer, provider, bookActive, usdc } =
        await loadFixture(deployFixture);
      await escrow.connect(provider).depositBond(usdc.address, 10_000_000n);
      const { bookingId, amount } = await bookActive(usdc.address, 2);
      const slash = (amount * BigInt(5_000)) / 10_000n;
      await expect(marketplace.connect(provider).terminateBooking(bookingId))
        .to.emit(marketplace, "BookingTerminated")
        .withArgs(bookingId, consumer.address, provider.address, true, anyValue)
        .and.to.emit(escrow, "BondSlashed")
        .withArgs(bookingId, provider.address, consumer.address, usdc.address, slash);
      const record = await reputation.recordOf(provider.address);
      expect(record.bookingsFailed).to.equal(1n);
      // Four times the booking's $3.00 weigh against the provider.
      expect(record.trialUsdE8).to.equal(4n * 300_000_000n);
      expect((await escrow.bondOf(provider.address, usdc.address)).amount).to.equal(10_000_000n - slash);
    });

    it("lets only the parties terminate, and only before the end", async function () {
      const { marketplace, escrow, consumer, other, bookActive } = await loadFixture(deployFixture);
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

    it("takes one rating per completed booking, from its consumer, weighted by the booking's value", async function () {
      const { marketplace, escrow, reputation, consumer, provider, other, bookActive } =
        await loadFixture(deployFixture);
      const { bookingId } = await bookActive(undefined, 1);
      await expect(marketplace.connect(consumer).rateBooking(bookingId, 5))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBookingStatus")
        .withArgs(bookingId, BookingStatus.Active);
      await time.increaseTo((await escrow.streamOf(bookingId)).endsAt);
      await marketplace.completeBooking(bookingId);
      await expect(marketplace.connect(other).rateBooking(bookingId, 5))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnauthorized")
        .withArgs(bookingId, other.address);
      // One hour at $1.50, valued at today's ETH price.
      await expect(marketplace.connect(consumer).rateBooking(bookingId, 4))
        .to.emit(reputation, "ProviderRated")
        .withArgs(provider.address, bookingId, consumer.address, 4, 150_000_000n);
      await expect(marketplace.connect(consumer).rateBooking(bookingId, 5))
        .to.be.revertedWithCustomError(reputation, "ReputationAlreadyRated")
        .withArgs(bookingId);
    });
  });

  describe("governance", function () {
    it("lets the guardian pause listings and bookings but never exits", async function () {
      const { marketplace, escrow, guardian, provider, consumer, other, terms, book, bookActive } =
        await loadFixture(deployFixture);
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

    it("sets the provisioning timeout within bounds, DAO only, never moving a booking's deadline", async function () {
      const { marketplace, admin, other, book } = await loadFixture(deployFixture);
      const { bookingId } = await book();
      const deadline = await marketplace.provisionDeadline(bookingId);
      await expect(marketplace.connect(admin).setProvisionTimeout(600))
        .to.emit(marketplace, "ProvisionTimeoutUpdated")
        .withArgs(600);
      expect(await marketplace.provisionTimeout()).to.equal(600n);
      expect(await marketplace.provisionDeadline(bookingId), "the booking keeps its deadline").to.equal(deadline);
      const later = await book();
      const laterDeadline = BigInt(await time.latest()) + 600n;
      expect(await marketplace.provisionDeadline(later.bookingId)).to.equal(laterDeadline);

      // Changed again right away: every booking still keeps the timeout it was made under.
      await marketplace.connect(admin).setProvisionTimeout(120);
      await marketplace.connect(admin).setProvisionTimeout(900);
      expect(await marketplace.provisionDeadline(bookingId)).to.equal(deadline);
      expect(await marketplace.provisionDeadline(later.bookingId)).to.equal(laterDeadline);
      const last = await book();
      expect(await marketplace.provisionDeadline(last.bookingId)).to.equal(BigInt(await time.latest()) + 900n);

      for (const seconds of [59, 7 * 86_400 + 1]) {
        await expect(marketplace.connect(admin).setProvisionTimeout(seconds))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidTimeout")
          .withArgs(seconds);
      }
      await expect(marketplace.connect(other).setProvisionTimeout(600))
        .to.be.revertedWithCustomError(marketplace, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, await marketplace.DEFAULT_ADMIN_ROLE());
    });

    it("sets bond coverage and the cancellation policy within bounds, DAO only", async function () {
      const { marketplace, admin, other } = await loadFixture(deployFixture);
      await expect(marketplace.connect(admin).setBondCoverage(2_000))
        .to.emit(marketplace, "BondCoverageUpdated")
        .withArgs(2_000);
      expect(await marketplace.bondCoverage()).to.equal(2_000n);
      await expect(marketplace.connect(admin).setBondCoverage(10_001))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidBondCoverage")
        .withArgs(10_001);
      await expect(marketplace.connect(admin).setCancellationPolicy(200, 600))
        .to.emit(marketplace, "CancellationPolicyUpdated")
        .withArgs(200, 600);
      expect(await marketplace.cancellationPolicy()).to.deep.equal([200n, 600n]);
      for (const [fee, free] of [
        [1_001, 60],
        [100, 7 * 86_400 + 1],
      ]) {
        await expect(marketplace.connect(admin).setCancellationPolicy(fee!, free!))
          .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidCancellationPolicy")
          .withArgs(fee, free);
      }
      for (const call of [
        () => marketplace.connect(other).setBondCoverage(0),
        () => marketplace.connect(other).setCancellationPolicy(0, 0),
        () => marketplace.connect(other).setOracleSigners(other.address),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(marketplace, "AccessControlUnauthorizedAccount");
      }
    });
  });

  describe("views", function () {
    it("gives SLA enforcement the consumer, the booking time and the booked SLA", async function () {
      const { marketplace, consumer, terms, book } = await loadFixture(deployFixture);
      const { bookingId } = await book();
      const [who, requestedAt, sla] = await marketplace.bookedSlaTerms(bookingId);
      expect(who).to.equal(consumer.address);
      expect(requestedAt).to.equal((await marketplace.getBooking(bookingId)).requestedAt);
      expect(sla).to.deep.equal([BigInt(terms.uptimeTargetBps), BigInt(terms.maxLatencyMs)]);
      await expect(marketplace.bookedSlaTerms(99n))
        .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownBooking")
        .withArgs(99n);
      expect(await marketplace.bookingCount()).to.equal(1n);
    });
  });
});
