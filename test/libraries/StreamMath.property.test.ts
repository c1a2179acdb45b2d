import { expect } from "chai";
import fc from "fast-check";

import { periodCount, periodEnd, periodValue, streamed, unlockedUntil } from "@d-cloudx/sdk/stream";

import { ethers } from "../helpers/fixture.ts";

/**
 * The sdk's stream maths, which the dApp and the oracle node use, against the StreamMath library
 * the escrow runs: the same inputs give the same outputs, over the ranges the escrow can hold
 * (uint96 amounts, uint16 booked hours, uint40 times, periods of at least 10 s, report windows of
 * at most 30 days).
 */
describe("StreamMath: the sdk's TypeScript twin", function () {
  const HOUR = 3_600n;
  const RUNS = 150;
  let harness: Awaited<ReturnType<typeof deploy>>;

  async function deploy() {
    return ethers.deployContract("StreamMathHarness");
  }

  before(async () => {
    harness = await deploy();
  });

  /** A stream the escrow can hold: whole hours, possibly stopped early, cut into periods. */
  const stream = fc
    .record({
      amount: fc.bigInt({ min: 0n, max: 2n ** 96n - 1n }),
      hours: fc.bigInt({ min: 1n, max: 65_535n }),
      activeShare: fc.double({ min: 0, max: 1, noNaN: true }),
      periodSeconds: fc.bigInt({ min: 10n, max: 30n * 24n * HOUR }),
    })
    .map(({ amount, hours, activeShare, periodSeconds }) => {
      const durationSeconds = hours * HOUR;
      const activeSeconds = 1n + BigInt(Math.floor(activeShare * Number(durationSeconds - 1n)));
      return { amount, durationSeconds, activeSeconds, periodSeconds };
    });
  const offset = fc.bigInt({ min: 0n, max: 2n ** 40n - 1n });

  it("streamed", async () => {
    await fc.assert(
      fc.asyncProperty(stream, offset, async (s, elapsed) => {
        expect(streamed(s.amount, elapsed, s.durationSeconds)).to.equal(
          await harness.streamed(s.amount, elapsed, s.durationSeconds),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("periodCount and periodEnd", async () => {
    await fc.assert(
      fc.asyncProperty(stream, fc.double({ min: 0, max: 1, noNaN: true }), async (s, at) => {
        const count = periodCount(s.activeSeconds, s.periodSeconds);
        expect(count).to.equal(await harness.periodCount(s.activeSeconds, s.periodSeconds));
        const period = BigInt(Math.floor(at * Number(count)));
        expect(periodEnd(period, s.periodSeconds, s.activeSeconds)).to.equal(
          await harness.periodEnd(period, s.periodSeconds, s.activeSeconds),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("periodValue", async () => {
    await fc.assert(
      fc.asyncProperty(stream, fc.double({ min: 0, max: 1, noNaN: true }), async (s, at) => {
        const count = periodCount(s.activeSeconds, s.periodSeconds);
        const period = BigInt(Math.min(Math.floor(at * Number(count)), Number(count - 1n)));
        expect(periodValue(s.amount, s.durationSeconds, period, s.periodSeconds, s.activeSeconds)).to.equal(
          await harness.periodValue(s.amount, s.durationSeconds, period, s.periodSeconds, s.activeSeconds),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("unlockedUntil", async () => {
    await fc.assert(
      fc.asyncProperty(
        stream,
        fc.double({ min: 0, max: 1, noNaN: true }),
        offset,
        fc.bigInt({ min: 1n, max: 30n * 24n * HOUR }),
        async (s, settledShare, nowOffset, reportWindowSeconds) => {
          const count = periodCount(s.activeSeconds, s.periodSeconds);
          const settled = BigInt(Math.floor(settledShare * Number(count)));
          expect(unlockedUntil(settled, s.periodSeconds, s.activeSeconds, nowOffset, reportWindowSeconds)).to.equal(
            await harness.unlockedUntil(settled, s.periodSeconds, s.activeSeconds, nowOffset, reportWindowSeconds),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
