import { expect } from "chai";

import type { ReputationSystem } from "../../types/ethers-contracts/index.ts";
import { ethers, networkHelpers } from "../helpers/fixture.ts";
import { deployUupsProxy } from "../helpers/proxies.ts";

const { loadFixture } = networkHelpers;

/** The minimum value, one cent: also the unit of a trial. Outcomes below are each worth one unit. */
const UNIT = 1_000_000n;

/** A provider's record in the field order of IReputationSystem.Record. */
interface RecordCounts {
  bookingsCompleted: number;
  bookingsFailed: number;
  periodsCompliant: number;
  periodsViolated: number;
  ratings: number[];
  creditBpsTotal: number;
}

function counts(partial: Partial<RecordCounts>): RecordCounts {
  return {
    bookingsCompleted: 0,
    bookingsFailed: 0,
    periodsCompliant: 0,
    periodsViolated: 0,
    ratings: [],
    creditBpsTotal: 0,
    ...partial,
  };
}

/** The record as the contract returns and emits it, every outcome worth one unit. */
function asTuple(r: RecordCounts): bigint[] {
  const ratingSuccesses = r.ratings.reduce((sum, stars) => sum + (UNIT * BigInt(stars - 1)) / 4n, 0n);
  const trials = BigInt(r.periodsCompliant + r.periodsViolated + r.ratings.length + 4 * r.bookingsFailed) * UNIT;
  return [
    ...[
      r.bookingsCompleted,
      r.bookingsFailed,
      r.periodsCompliant,
      r.periodsViolated,
      r.ratings.length,
      r.ratings.reduce((a, b) => a + b, 0),
      r.creditBpsTotal,
    ].map(BigInt),
    BigInt(r.periodsCompliant) * UNIT + ratingSuccesses,
    trials,
  ];
}

/**
 * The 95 % Wilson lower bound in basis points, in floating point, from the model in the contract's
 * documentation, with every outcome worth one unit: a period is one trial, a rating of k stars is a
 * success of (k − 1) / 4, and a failed booking is four failed trials. Completed bookings and credits
 * are not trials.
 */
function wilsonLowerBoundBps(r: RecordCounts): number {
  const z = 1.96;
  const n = r.periodsCompliant + r.periodsViolated + r.ratings.length + 4 * r.bookingsFailed;
  if (n === 0) return 0;
  const s = r.periodsCompliant + r.ratings.reduce((sum, stars) => sum + (stars - 1) / 4, 0);
  const bound = (s + (z * z) / 2 - z * Math.sqrt((s * (n - s)) / n + (z * z) / 4)) / (n + z * z);
  return Math.max(0, bound) * 10_000;
}

/** Asserts that an integer score is within 1 bps of the floating-point bound. */
function expectWithinOneBps(scoreBps: bigint, boundBps: number) {
  expect(scoreBps).to.be.within(Math.ceil(boundBps - 1), Math.floor(boundBps + 1), `bound ${boundBps}`);
}

async function deployReputationFixture() {
  const [admin, recorder, provider, consumer, other] = await ethers.getSigners();
  const reputation = await deployUupsProxy<ReputationSystem>("ReputationSystem", [admin.address]);
  const recorderRole = await reputation.RECORDER_ROLE();
  await reputation.grantRole(recorderRole, recorder.address);
  return { reputation: reputation.connect(recorder), recorderRole, admin, recorder, provider, consumer, other };
}

/** Records `compliant` and `violated` periods of one unit each. */
function periods(
  reputation: ReputationSystem,
  provider: { address: string } | string,
  compliant: number,
  violated: number,
  creditBpsTotal = 0,
) {
  const address = typeof provider === "string" ? provider : provider.address;
  return reputation.recordPeriods(
    address,
    compliant,
    violated,
    creditBpsTotal,
    BigInt(compliant) * UNIT,
    BigInt(violated) * UNIT,
  );
}

describe("ReputationSystem", function () {
  let nextBookingId = 1_000n;

  /** Records every outcome of `r` for `provider` through the recorder's calls. */
  async function record(reputation: ReputationSystem, provider: string, r: RecordCounts) {
    if (r.periodsCompliant || r.periodsViolated) {
      await periods(reputation, provider, r.periodsCompliant, r.periodsViolated, r.creditBpsTotal);
    }
    for (let i = 0; i < r.bookingsCompleted; ++i) await reputation.recordBookingCompleted(provider);
    for (let i = 0; i < r.bookingsFailed; ++i) await reputation.recordBookingFailed(provider, UNIT);
    for (const stars of r.ratings) await reputation.recordRating(provider, nextBookingId++, provider, stars, UNIT);
  }

  describe("recording", function () {
    it("adds up SLA periods and credits, emitting the record and its score", async function () {
      const { reputation, provider } = await loadFixture(deployReputationFixture);
      // Each record adds its periods and credits to what the provider already has.
      const steps = [
        {
          compliant: 3,
          violated: 1,
          credit: 2_500,
          total: { periodsCompliant: 3, periodsViolated: 1, creditBpsTotal: 2_500 },
        },
        {
          compliant: 2,
          violated: 1,
          credit: 1_000,
          total: { periodsCompliant: 5, periodsViolated: 2, creditBpsTotal: 3_500 },
        },
      ];
      for (const step of steps) {
        const total = counts(step.total);
        const tx = periods(reputation, provider, step.compliant, step.violated, step.credit);
        await tx;
        const score = await reputation.scoreOf(provider);
        await expect(tx).to.emit(reputation, "ReputationUpdated").withArgs(provider.address, asTuple(total), score);
        expect([...(await reputation.recordOf(provider))]).to.deep.equal(asTuple(total));
        expectWithinOneBps(score, wilsonLowerBoundBps(total));
      }
    });

    it("counts completed bookings without scoring them", async function () {
      const { reputation, provider } = await loadFixture(deployReputationFixture);
      await expect(reputation.recordBookingCompleted(provider))
        .to.emit(reputation, "ReputationUpdated")
        .withArgs(provider.address, asTuple(counts({ bookingsCompleted: 1 })), 0);

      await periods(reputation, provider, 10, 0, 0);
      const before = await reputation.scoreOf(provider);
      await expect(reputation.recordBookingCompleted(provider))
        .to.emit(reputation, "ReputationUpdated")
        .withArgs(provider.address, asTuple(counts({ bookingsCompleted: 2, periodsCompliant: 10 })), before);
    });

    it("counts failed bookings", async function () {
      const { reputation, provider } = await loadFixture(deployReputationFixture);
      await expect(reputation.recordBookingFailed(provider, UNIT))
        .to.emit(reputation, "ReputationUpdated")
        .withArgs(provider.address, asTuple(counts({ bookingsFailed: 1 })), 0);
      expect((await reputation.recordOf(provider)).bookingsFailed).to.equal(1n);
    });

    it("takes one rating per booking", async function () {
      const { reputation, provider, consumer, other } = await loadFixture(deployReputationFixture);
      const rated = counts({ ratings: [4] });
      const tx = reputation.recordRating(provider, 7n, consumer, 4, UNIT);
      await expect(tx).to.emit(reputation, "ProviderRated").withArgs(provider.address, 7n, consumer.address, 4, UNIT);
      await expect(tx)
        .to.emit(reputation, "ReputationUpdated")
        .withArgs(provider.address, asTuple(rated), await reputation.scoreOf(provider));
      expect(await reputation.isRated(7n)).to.equal(true);
      expect(await reputation.isRated(8n)).to.equal(false);

      // The booking id alone decides, whoever the provider or the rater.
      await expect(reputation.recordRating(provider, 7n, consumer, 5, UNIT))
        .to.be.revertedWithCustomError(reputation, "ReputationAlreadyRated")
        .withArgs(7n);
      await expect(reputation.recordRating(other, 7n, other, 1, UNIT))
        .to.be.revertedWithCustomError(reputation, "ReputationAlreadyRated")
        .withArgs(7n);
      expect([...(await reputation.recordOf(provider))]).to.deep.equal(asTuple(rated));
      expect([...(await reputation.recordOf(other))]).to.deep.equal(asTuple(counts({})));
    });

    it("accepts ratings of 1 to 5 stars only", async function () {
      const { reputation, provider, consumer } = await loadFixture(deployReputationFixture);
      for (const score of [0, 6, 255]) {
        await expect(reputation.recordRating(provider, 1n, consumer, score, UNIT))
          .to.be.revertedWithCustomError(reputation, "ReputationInvalidScore")
          .withArgs(score);
      }
      // A rejected rating leaves the booking open for a valid one.
      expect(await reputation.isRated(1n)).to.equal(false);
      await expect(reputation.recordRating(provider, 1n, consumer, 1, UNIT))
        .to.emit(reputation, "ProviderRated")
        .withArgs(provider.address, 1n, consumer.address, 1, UNIT);
      await expect(reputation.recordRating(provider, 2n, consumer, 5, UNIT))
        .to.emit(reputation, "ProviderRated")
        .withArgs(provider.address, 2n, consumer.address, 5, UNIT);
      expect([...(await reputation.recordOf(provider))]).to.deep.equal(asTuple(counts({ ratings: [1, 5] })));
    });

    it("takes outcomes only from recorders, not even from the admin", async function () {
      const { reputation, recorderRole, admin, other, provider, consumer } = await loadFixture(deployReputationFixture);
      for (const caller of [other, admin]) {
        const as = reputation.connect(caller);
        const calls = [
          () => as.recordPeriods(provider, 1, 0, 0, UNIT, 0),
          () => as.recordBookingCompleted(provider),
          () => as.recordBookingFailed(provider, UNIT),
          () => as.recordRating(provider, 1n, consumer, 5, UNIT),
        ];
        for (const call of calls) {
          await expect(call())
            .to.be.revertedWithCustomError(reputation, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, recorderRole);
        }
      }
      expect([...(await reputation.recordOf(provider))]).to.deep.equal(asTuple(counts({})));
    });
  });

  describe("value", function () {
    it("weighs every outcome by its USD value, in units of the minimum value", async function () {
      const { reputation, provider, other, consumer } = await loadFixture(deployReputationFixture);
      // $100 of compliant service and one $1 period violated, against the same in one-cent periods.
      await reputation.recordPeriods(provider, 2, 1, 1_000, 100n * 100n * UNIT, 100n * UNIT);
      await periods(reputation, other, 10_000, 100, 100_000);
      expect(await reputation.scoreOf(provider)).to.equal(await reputation.scoreOf(other));
      // A rating counts with the value of its booking.
      await reputation.recordRating(provider, 1n, consumer, 1, 10_000n * UNIT);
      await reputation.recordPeriods(other, 0, 10_000, 0, 0, 10_000n * UNIT);
      expect(await reputation.scoreOf(provider)).to.equal(await reputation.scoreOf(other));
    });

    it("refuses ratings of bookings worth less than the minimum, and counts a failure at least at it", async function () {
      const { reputation, provider, other, consumer } = await loadFixture(deployReputationFixture);
      await expect(reputation.recordRating(provider, 1n, consumer, 5, UNIT - 1n))
        .to.be.revertedWithCustomError(reputation, "ReputationBookingTooSmall")
        .withArgs(1n, UNIT - 1n, UNIT);
      await reputation.recordBookingFailed(provider, 0);
      await reputation.recordBookingFailed(other, UNIT);
      expect((await reputation.recordOf(provider)).trialUsdE8).to.equal(4n * UNIT);
      expect(await reputation.recordOf(provider)).to.deep.equal(await reputation.recordOf(other));
    });

    it("lets the DAO set the minimum value within bounds", async function () {
      const { reputation, admin } = await loadFixture(deployReputationFixture);
      expect(await reputation.minValueUsdE8()).to.equal(UNIT);
      await expect(reputation.connect(admin).setMinValue(10n * UNIT))
        .to.emit(reputation, "MinValueUpdated")
        .withArgs(10n * UNIT);
      expect(await reputation.minValueUsdE8()).to.equal(10n * UNIT);
      for (const value of [9_999n, 10n ** 11n + 1n]) {
        await expect(reputation.connect(admin).setMinValue(value))
          .to.be.revertedWithCustomError(reputation, "ReputationInvalidMinValue")
          .withArgs(value);
      }
    });
  });

  describe("score", function () {
    it("is 0 without any scored outcome", async function () {
      const { reputation, provider } = await loadFixture(deployReputationFixture);
      expect(await reputation.scoreOf(provider)).to.equal(0n);
      expect(await reputation.scoreOf(ethers.ZeroAddress)).to.equal(0n);
    });

    it("rewards evidence: one good period scores far below five hundred", async function () {
      const { reputation, provider, other } = await loadFixture(deployReputationFixture);
      await periods(reputation, provider, 1, 0, 0);
      await periods(reputation, other, 500, 0, 0);
      const one = await reputation.scoreOf(provider);
      const many = await reputation.scoreOf(other);
      expectWithinOneBps(one, wilsonLowerBoundBps(counts({ periodsCompliant: 1 })));
      expectWithinOneBps(many, wilsonLowerBoundBps(counts({ periodsCompliant: 500 })));
      // Roughly 20 % against 99 %.
      expect(one).to.be.lessThan(2_500);
      expect(many).to.be.greaterThan(9_900);
    });

    it("falls with violated periods and failed bookings", async function () {
      const { reputation, provider, other } = await loadFixture(deployReputationFixture);
      await periods(reputation, provider, 100, 0, 0);
      const clean = await reputation.scoreOf(provider);
      await periods(reputation, provider, 0, 5, 5_000);
      const violated = await reputation.scoreOf(provider);
      await reputation.recordBookingFailed(provider, UNIT);
      const failed = await reputation.scoreOf(provider);
      expect(violated).to.be.lessThan(clean);
      expect(failed).to.be.lessThan(violated);

      // A failed booking costs as much as four violated periods; the credits paid do not count.
      await periods(reputation, other, 100, 9, 0);
      expect(await reputation.scoreOf(other)).to.equal(failed);
    });

    it("moves with ratings: 5 stars count as a good period, 1 star as a violated one", async function () {
      const { reputation, provider, other, consumer } = await loadFixture(deployReputationFixture);
      await periods(reputation, provider, 10, 0, 0);
      await periods(reputation, other, 10, 0, 0);
      const base = await reputation.scoreOf(provider);

      await reputation.recordRating(provider, 1n, consumer, 5, UNIT);
      await periods(reputation, other, 1, 0, 0);
      const afterFive = await reputation.scoreOf(provider);
      expect(afterFive).to.be.greaterThan(base);
      expect(afterFive).to.equal(await reputation.scoreOf(other));

      await reputation.recordRating(provider, 2n, consumer, 1, UNIT);
      await periods(reputation, other, 0, 1, 0);
      const afterOne = await reputation.scoreOf(provider);
      expect(afterOne).to.be.lessThan(afterFive);
      expect(afterOne).to.equal(await reputation.scoreOf(other));
    });

    const cases: [string, RecordCounts][] = [
      ["a single 3-star rating (half a success)", counts({ ratings: [3] })],
      ["90 good periods out of 100", counts({ periodsCompliant: 90, periodsViolated: 10, creditBpsTotal: 25_000 })],
      [
        "a mixed record",
        counts({
          periodsCompliant: 20,
          periodsViolated: 3,
          ratings: [5, 4, 2],
          bookingsFailed: 1,
          bookingsCompleted: 2,
        }),
      ],
      ["a long record", counts({ periodsCompliant: 1_000_000, periodsViolated: 1_234 })],
      ["only failures", counts({ periodsViolated: 3, bookingsFailed: 2, ratings: [1] })],
    ];
    for (const [name, r] of cases) {
      it(`matches a floating-point Wilson lower bound within 1 bps: ${name}`, async function () {
        const { reputation, provider } = await loadFixture(deployReputationFixture);
        await record(reputation, provider.address, r);
        expect([...(await reputation.recordOf(provider))]).to.deep.equal(asTuple(r));
        expectWithinOneBps(await reputation.scoreOf(provider), wilsonLowerBoundBps(r));
      });
    }
  });
});
