import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { providerAccrued, streamPeriodBounds, streamPeriodCount, streamedAt } from "../src/stream.ts";

// The Solidity twins are checked against StreamMath itself in test/libraries/StreamMath.property.test.ts.
describe("booking streams", () => {
  const booking = { amount: 7_200n, hoursBooked: 2, startedAt: 1_000n, endsAt: 8_200n };

  it("streams nothing before billing starts, linearly after, and stops at the end", () => {
    assert.equal(streamedAt({ ...booking, startedAt: null, endsAt: null }, 5_000n), 0n);
    assert.equal(streamedAt(booking, 500n), 0n);
    assert.equal(streamedAt(booking, 4_600n), 3_600n);
    assert.equal(streamedAt(booking, 99_999n), 7_200n);
  });

  it("streams a terminated booking at the booked rate up to the moved end", () => {
    assert.equal(streamedAt({ ...booking, endsAt: 2_800n }, 99_999n), 1_800n);
  });

  it("counts SLA credits once against the provider's accrual, and never below zero", () => {
    assert.equal(providerAccrued({ ...booking, withdrawn: 1_000n, slaCredits: 100n }, 99_999n), 6_100n);
    assert.equal(providerAccrued({ ...booking, withdrawn: 0n, slaCredits: 500n }, 1_100n), 0n);
  });

  it("streams each extension made while billing ran after the end it extended, at its own rate", () => {
    // 2 h for 7,200, extended before provisioning by 1 h for 3,600, then twice while running: by 1 h
    // for 7,200 and by 2 h for 3,600.
    const extended = {
      amount: 21_600n,
      hoursBooked: 6,
      startedAt: 1_000n,
      endsAt: 22_600n,
      extensions: [
        { amount: 3_600n, hours: 1, endsAt: null },
        { amount: 7_200n, hours: 1, endsAt: 15_400n },
        { amount: 3_600n, hours: 2, endsAt: 22_600n },
      ],
    };
    assert.equal(streamedAt(extended, 4_600n), 3_600n);
    assert.equal(streamedAt(extended, 11_800n), 10_800n);
    assert.equal(streamedAt(extended, 13_600n), 14_400n);
    assert.equal(streamedAt(extended, 19_000n), 19_800n);
    assert.equal(streamedAt(extended, 99_999n), 21_600n);
  });

  it("streams nothing in the gap of a resume from grace, and the resumed hours from the resume on", () => {
    // 2 h for 7,200 from 1,000 (ends 8,200); resumed in its grace at 9,000 for 1 h and 7,200.
    const resumed = {
      amount: 14_400n,
      hoursBooked: 3,
      startedAt: 1_000n,
      endsAt: 12_600n,
      extensions: [{ amount: 7_200n, hours: 1, endsAt: 12_600n }],
    };
    assert.equal(streamedAt(resumed, 8_200n), 7_200n);
    assert.equal(streamedAt(resumed, 8_900n), 7_200n, "nothing streams in the gap");
    assert.equal(streamedAt(resumed, 9_000n), 7_200n);
    assert.equal(streamedAt(resumed, 10_800n), 10_800n, "the resumed hour streams at its own rate");
    assert.equal(streamedAt(resumed, 12_600n), 14_400n);
    assert.equal(streamedAt(resumed, 99_999n), 14_400n);
  });

  it("cuts periods from the start, the last one shorter", () => {
    assert.equal(streamPeriodCount(1_000, 1_150, 60), 3);
    assert.deepEqual(streamPeriodBounds(1_000, 1_150, 60, 2), { start: 1_120, end: 1_150 });
  });
});
