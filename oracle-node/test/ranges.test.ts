import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { type Candidate, type RangePolicy, dueRange } from "../src/reporting/reporter.ts";

const HOUR = 3_600;
/** Hourly periods, a day per report, waiting at most a day: the public networks' settings. */
const policy: RangePolicy = { periodsPerReport: 24, maxWaitSeconds: 24 * HOUR, delaySeconds: 5, periodSeconds: HOUR };
/** A 30-day booking started at 0, none of its periods settled. */
const candidates = (first: number, count: number): Candidate[] =>
  Array.from({ length: count }, (_, i) => ({
    bookingId: "1",
    period: first + i,
    end: (first + i + 1) * HOUR,
    settledPeriods: first,
    startedAt: 0,
    endsAt: 30 * 24 * HOUR,
  }));
const good = { uptimeBps: 10_000, p95LatencyMs: 40, sampleCount: 720 };
const terms = { uptimeTargetBps: 9_950, maxLatencyMs: 250 };
const allGood = () => good;

describe("ranges of periods a node proposes", () => {
  it("waits for a day of compliant periods, then proposes all of them as one report", () => {
    assert.equal(dueRange(candidates(0, 23), 23 * HOUR + 5, policy, allGood, terms), undefined);
    assert.deepEqual(dueRange(candidates(0, 30), 24 * HOUR + 5, policy, allGood, terms), { first: 0, last: 23 });
  });

  it("proposes at once up to a period that missed the SLA, by uptime or latency", () => {
    for (const missed of [
      { ...good, uptimeBps: 9_900 },
      { ...good, p95LatencyMs: 251 },
    ]) {
      const figures = (c: Candidate) => (c.period === 4 ? missed : good);
      assert.deepEqual(dueRange(candidates(0, 6), 6 * HOUR + 5, policy, figures, terms), { first: 0, last: 4 });
    }
    // No latency limit: latency alone misses nothing.
    const slow = () => ({ ...good, p95LatencyMs: 5_000 });
    assert.equal(dueRange(candidates(0, 6), 6 * HOUR + 5, policy, slow, { ...terms, maxLatencyMs: 0 }), undefined);
    // Terms that cannot be read: the report waits as usual.
    const down = (c: Candidate) => (c.period === 4 ? { ...good, uptimeBps: 0 } : good);
    assert.equal(dueRange(candidates(0, 6), 6 * HOUR + 5, policy, down, undefined), undefined);
  });

  it("proposes what waited the longest allowed, the booking's last periods, and only what it measured", () => {
    const short = { ...policy, maxWaitSeconds: 2 * HOUR };
    assert.deepEqual(dueRange(candidates(0, 3), 3 * HOUR + 5, short, allGood, terms), { first: 0, last: 2 });
    assert.deepEqual(dueRange(candidates(715, 5), 720 * HOUR + 5, policy, allGood, terms), { first: 715, last: 719 });
    // A period this node did not measure ends the range; without a first one there is none.
    const gap = (c: Candidate) => (c.period === 10 ? undefined : good);
    assert.deepEqual(dueRange(candidates(0, 30), 30 * HOUR + 5, policy, gap, terms), { first: 0, last: 9 });
    assert.equal(dueRange(candidates(10, 5), 40 * HOUR, policy, gap, terms), undefined);
    assert.equal(dueRange([], 0, policy, allGood, terms), undefined);
  });
});
