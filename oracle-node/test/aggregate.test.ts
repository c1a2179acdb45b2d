import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import { type Sample, aggregate, percentile, periodBounds, periodCount } from "../src/measure/aggregate.ts";

const probe = (ok: boolean, latencyMs: number, atMs = 0): Sample => ({ atMs, ok, latencyMs, source: "probe" });

const sampleArb = fc.record({
  atMs: fc.nat(),
  ok: fc.boolean(),
  latencyMs: fc.nat({ max: 60_000 }),
  source: fc.constantFrom("probe", "cloudwatch:StatusCheckFailed"),
});

describe("period aggregation", () => {
  it("computes uptime, p95 latency and the sample count", () => {
    const samples = [...Array.from({ length: 19 }, (_, i) => probe(true, i + 1)), probe(false, 2_000)];
    assert.deepEqual(aggregate(samples, 2_000), { uptimeBps: 9_500, p95LatencyMs: 19, sampleCount: 20 });
    assert.equal(aggregate([], 2_000), undefined);
    assert.deepEqual(aggregate([probe(false, 5)], 2_000), { uptimeBps: 0, p95LatencyMs: 2_000, sampleCount: 1 });
    // Cloud samples count for availability, not latency.
    const cloudDown = { atMs: 0, ok: false, latencyMs: 0, source: "cloudwatch:StatusCheckFailed" };
    assert.deepEqual(aggregate([probe(true, 7), cloudDown], 2_000), {
      uptimeBps: 5_000,
      p95LatencyMs: 7,
      sampleCount: 2,
    });
  });

  it("rounds uptime down, never up to a compliant figure", () => {
    const samples = [...Array.from({ length: 9_999 }, () => probe(true, 1)), probe(false, 1)];
    assert.equal(aggregate(samples, 1_000)!.uptimeBps, 9_999);
    const almost = [...Array.from({ length: 29_999 }, () => probe(true, 1)), probe(false, 1)];
    assert.equal(aggregate(almost, 1_000)!.uptimeBps, 9_999);
  });

  it("cuts periods as EscrowManager does: fixed lengths from the start, the last one shorter", () => {
    assert.equal(periodCount(1_000, 1_000 + 3_600, 60), 60);
    assert.equal(periodCount(1_000, 1_000 + 150, 60), 3);
    assert.deepEqual(periodBounds(1_000, 1_150, 60, 0), { start: 1_000, end: 1_060 });
    assert.deepEqual(periodBounds(1_000, 1_150, 60, 2), { start: 1_120, end: 1_150 });
  });

  it("properties: bounded, exact at the extremes, order-blind, monotone in successes", () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { minLength: 1, maxLength: 300 }),
        fc.nat({ max: 10_000 }),
        (samples, timeout) => {
          const figures = aggregate(samples, timeout)!;
          assert.ok(figures.uptimeBps >= 0 && figures.uptimeBps <= 10_000);
          assert.equal(figures.sampleCount, samples.length);
          assert.equal(
            figures.uptimeBps === 10_000,
            samples.every((s) => s.ok),
          );
          assert.equal(
            figures.uptimeBps === 0,
            samples.every((s) => !s.ok),
          );
          assert.deepEqual(aggregate([...samples].reverse(), timeout), figures);
          // One more success never lowers uptime; one more failure never raises it.
          assert.ok(aggregate([...samples, probe(true, 1)], timeout)!.uptimeBps >= figures.uptimeBps);
          assert.ok(aggregate([...samples, probe(false, 1)], timeout)!.uptimeBps <= figures.uptimeBps);
          const latencies = samples.filter((s) => s.ok && s.source === "probe").map((s) => s.latencyMs);
          if (latencies.length === 0) assert.equal(figures.p95LatencyMs, timeout);
          else {
            assert.ok(latencies.includes(figures.p95LatencyMs));
            // At least 95 % of the latencies are at or below p95, and fewer than 95 % are below it.
            const atOrBelow = latencies.filter((l) => l <= figures.p95LatencyMs).length;
            const below = latencies.filter((l) => l < figures.p95LatencyMs).length;
            assert.ok(atOrBelow >= 0.95 * latencies.length);
            assert.ok(below < 0.95 * latencies.length);
          }
        },
      ),
    );
  });

  it("properties: periods tile the stream exactly", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 31 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 7_200 }),
        (start, length, period) => {
          const count = periodCount(start, start + length, period);
          let cursor = start;
          for (let p = 0; p < count; p++) {
            const bounds = periodBounds(start, start + length, period, p);
            assert.equal(bounds.start, cursor);
            assert.ok(bounds.end > bounds.start && bounds.end - bounds.start <= period);
            cursor = bounds.end;
          }
          assert.equal(cursor, start + length);
        },
      ),
    );
  });

  it("nearest-rank percentile", () => {
    assert.equal(percentile([5], 95), 5);
    assert.equal(percentile([3, 1, 2], 50), 2);
    assert.equal(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
      95,
    );
  });
});
