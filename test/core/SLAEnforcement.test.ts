import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";

import { slaDomain, slaReportTypes } from "@d-cloudx/sdk";
import { HOUR, deployMarketplaceFixture, ethers, networkHelpers } from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;
const ethersTypes = { SlaReport: [...slaReportTypes.SlaReport] };

type Fixture = Awaited<ReturnType<typeof deployMarketplaceFixture>>;

function report(bookingId: bigint, period = 0, uptimeBps = 10_000, p95LatencyMs = 40) {
  return { bookingId, period, uptimeBps, p95LatencyMs, sampleCount: 60 };
}

/** An active 1-hour ETH booking whose first period has ended. */
async function activeBookingFixture() {
  const f = await deployMarketplaceFixture();
  const { bookingId, amount } = await f.bookActive(undefined, 1);
  await time.increase(f.settings.slaPeriodSeconds);
  const periodValue = (amount * BigInt(f.settings.slaPeriodSeconds)) / BigInt(HOUR);
  return { ...f, bookingId, amount, periodValue };
}

async function submit(f: Fixture, reports: ReturnType<typeof report>[], signers = [f.oracleA, f.oracleB]) {
  const signatures = await Promise.all(reports.map((r) => f.signReport(r, signers)));
  return f.sla.submitReports(reports, signatures);
}

describe("SLAEnforcement", function () {
  describe("signatures", function () {
    it("settles a report signed by 2 of 3 oracles", async function () {
      const f = await loadFixture(activeBookingFixture);
      const r = report(f.bookingId);
      await expect(submit(f, [r]))
        .to.emit(f.sla, "SlaPeriodSettled")
        .withArgs(f.bookingId, 0, f.provider.address, 10_000, 40, 60, true, 0, f.periodValue, 0)
        .and.to.emit(f.reputation, "ReputationUpdated")
        .withArgs(f.provider.address, [0, 0, 1, 0, 0, 0, 0], anyValue);
      expect((await f.escrow.streamOf(f.bookingId)).settledPeriods).to.equal(1n);
    });

    it("matches the EIP-712 digest clients compute", async function () {
      const f = await loadFixture(activeBookingFixture);
      const r = report(f.bookingId, 3, 9_876, 123);
      expect(await f.sla.reportDigest(r)).to.equal(ethers.TypedDataEncoder.hash(f.domain, ethersTypes, r));
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
      for (const bad of [report(f.bookingId, 0, 10_001), { ...report(f.bookingId), sampleCount: 0 }]) {
        await expect(submit(f, [bad]))
          .to.be.revertedWithCustomError(f.sla, "SlaInvalidReport")
          .withArgs(f.bookingId, 0);
      }
      await expect(f.sla.submitReports([report(f.bookingId)], []))
        .to.be.revertedWithCustomError(f.sla, "SlaLengthMismatch")
        .withArgs(1, 0);
    });
  });

  describe("periods", function () {
    it("settles each period once; a repeated report is skipped", async function () {
      const f = await loadFixture(activeBookingFixture);
      const r = report(f.bookingId);
      await submit(f, [r]);
      const signatures = [await f.signReport(r)];
      expect(await f.sla.submitReports.staticCall([r], signatures)).to.equal(0n);
      await expect(f.sla.submitReports([r], signatures)).to.not.emit(f.sla, "SlaPeriodSettled");
    });

    it("rejects periods that have not ended, lie outside the booking or are past their window", async function () {
      const f = await loadFixture(activeBookingFixture);
      const { startedAt } = await f.escrow.streamOf(f.bookingId);
      const period = BigInt(f.settings.slaPeriodSeconds);
      await expect(submit(f, [report(f.bookingId, 1)]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowPeriodNotEnded")
        .withArgs(f.bookingId, 1, startedAt + 2n * period);
      await expect(submit(f, [report(f.bookingId, 60)]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowPeriodOutOfRange")
        .withArgs(f.bookingId, 60, 60);

      await time.increaseTo(startedAt + 3n * period);
      // Period 0 can still be reported, so period 2 cannot skip over it.
      await expect(submit(f, [report(f.bookingId, 2)]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowPeriodOutOfOrder")
        .withArgs(f.bookingId, 2, 0);

      const window = BigInt(f.settings.reportWindowSeconds);
      await time.increaseTo(startedAt + period + window);
      await expect(submit(f, [report(f.bookingId, 0)]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowReportWindowClosed")
        .withArgs(f.bookingId, 0, startedAt + period + window);
      // Period 0's window has closed (it counts as compliant), so period 1 may settle past it,
      // but period 2 may not skip period 1, whose window is still open.
      await expect(submit(f, [report(f.bookingId, 2)]))
        .to.be.revertedWithCustomError(f.escrow, "EscrowPeriodOutOfOrder")
        .withArgs(f.bookingId, 2, 0);
      await expect(submit(f, [report(f.bookingId, 1)])).to.emit(f.sla, "SlaPeriodSettled");
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
        .to.emit(f.sla, "SlaPeriodSettled")
        .withArgs(f.bookingId, 0, f.provider.address, 9_800, 40, 60, false, 2_500, f.periodValue, credit);
      expect(await f.escrow.owed(f.consumer.address, ethers.ZeroAddress)).to.equal(credit);
      expect(await f.escrow.withdrawable(f.bookingId)).to.equal(f.periodValue - credit);
      const record = await f.reputation.recordOf(f.provider.address);
      expect([record.periodsViolated, record.creditBpsTotal]).to.deep.equal([1n, 2_500n]);
    });

    it("settles a batch across providers and records each provider once", async function () {
      const f = await loadFixture(deployMarketplaceFixture);
      const second = f.other;
      await f.marketplace.connect(second).registerProvider("bafyprofile");
      await f.marketplace
        .connect(second)
        .listResource({ metadataCid: "bafymetadata", region: "us-east-1", kind: 1, terms: f.terms });
      const a = await f.bookActive(undefined, 1);
      const b = await f.bookActive(undefined, 1);
      const [amount] = await f.priceOracle.quote(ethers.ZeroAddress, f.terms.pricePerHourUsdE8);
      await f.marketplace
        .connect(f.consumer)
        .book(2n, 1, ethers.ZeroAddress, amount, "0x" + "cd".repeat(32), { value: amount });
      const c = await f.marketplace.bookingCount();
      await f.marketplace.connect(f.oracleB).confirmProvisioning(c, "bafyaccess");
      await time.increase(f.settings.slaPeriodSeconds);

      const tx = submit(f, [report(a.bookingId), report(b.bookingId, 0, 9_000), report(c)]);
      await expect(tx)
        .to.emit(f.reputation, "ReputationUpdated")
        .withArgs(f.provider.address, [0, 0, 1, 1, 0, 0, 10_000], anyValue);
      await expect(tx)
        .to.emit(f.reputation, "ReputationUpdated")
        .withArgs(second.address, [0, 0, 1, 0, 0, 0, 0], anyValue);
      const receipt = await (await tx).wait();
      const updates = receipt!.logs.filter((log) => log.address === f.record.ReputationSystem!.proxy);
      expect(updates).to.have.length(2);
    });
  });

  describe("governance", function () {
    it("adds and removes signers, keeping the quorum reachable", async function () {
      const f = await loadFixture(deployMarketplaceFixture);
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
      const f = await loadFixture(deployMarketplaceFixture);
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
      const f = await loadFixture(deployMarketplaceFixture);
      const { sla, admin } = f;
      const tiers = [
        { uptimeBelowBps: 9_000, creditBps: 5_000 },
        { uptimeBelowBps: 5_000, creditBps: 10_000 },
      ];
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
      const f = await loadFixture(deployMarketplaceFixture);
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
