import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import {
  type Sample,
  aggregate,
  percentile,
  periodBounds,
  periodCount,
  uptimeUncertaintyBps,
} from "../src/measure/aggregate.ts";

const probe = (ok: boolean, latencyMs: number, atMs = 0): Sample => ({ atMs, ok, latencyMs, source: "probe" });

const sampleArb = fc.record({
  atMs: fc.nat(),
  ok: fc.boolean(),
  latencyMs: fc.nat({ max: 60_000 }),
  source: fc.constantFrom("probe", "cloudwatch:StatusCheckFailed"),
});

describe("period aggregation", () => {
  const minute = { startMs: 0, endMs: 60_000 };

  it("computes uptime as the share of the period seen up, p95 latency and the sample count", () => {
    // Up for the first 57 s, down from then on.
    const samples = [
      ...Array.from({ length: 19 }, (_, i) => probe(true, i + 1, i * 3_000)),
      probe(false, 2_000, 57_000),
    ];
    assert.deepEqual(aggregate(samples, 2_000, minute), { uptimeBps: 9_500, p95LatencyMs: 19, sampleCount: 20 });
    assert.equal(aggregate([], 2_000, minute), undefined);
    assert.equal(aggregate([probe(true, 1, 60_000)], 2_000, minute), undefined, "a sample of the next period");
    assert.deepEqual(aggregate([probe(false, 5, 30_000)], 2_000, minute), {
      uptimeBps: 0,
      p95LatencyMs: 2_000,
      sampleCount: 1,
    });
    // The first sample stands for the start of the period too; cloud samples count for availability, not latency.
    const cloudDown = { atMs: 30_000, ok: false, latencyMs: 0, source: "cloudwatch:StatusCheckFailed" };
    assert.deepEqual(aggregate([probe(true, 7, 10_000), cloudDown], 2_000, minute), {
      uptimeBps: 5_000,
      p95LatencyMs: 7,
      sampleCount: 2,
    });
  });

  it("rounds uptime down, never up to a compliant figure; a failure at the instant of a success wins", () => {
    assert.equal(
      aggregate([probe(true, 1, 0), probe(false, 1, 9_999)], 1_000, { startMs: 0, endMs: 10_000 })!.uptimeBps,
      9_999,
    );
    const almost = [probe(true, 1, 0), probe(false, 1, 29_999)];
    assert.equal(aggregate(almost, 1_000, { startMs: 0, endMs: 30_000 })!.uptimeBps, 9_999);
    assert.equal(aggregate([probe(false, 1, 0), probe(true, 1, 0)], 1_000, minute)!.uptimeBps, 0);
  });

  it("two oracles probing one outage at different rates, one of them stalled, agree within their uncertainty", () => {
    // The machine is up for the first 20 s of the period, then down.
    const up = (atMs: number) => atMs < 20_000;
    const every = (intervalMs: number, from: number, skip?: [number, number]) =>
      Array.from({ length: Math.ceil((60_000 - from) / intervalMs) }, (_, i) => from + i * intervalMs)
        .filter((t) => !skip || t < skip[0] || t >= skip[1])
        .map((t) => probe(up(t), 5, t));
    const fast = every(200, 150);
    const slow = every(1_000, 900, [25_000, 45_000]);
    const a = aggregate(fast, 2_000, minute)!;
    const b = aggregate(slow, 2_000, minute)!;
    // Counting samples instead would put them 1,667 bps apart (a third of the fast probes, half the slow ones).
    const doubt = Math.min(uptimeUncertaintyBps(fast, 200, minute), uptimeUncertaintyBps(slow, 1_000, minute));
    assert.ok(Math.abs(a.uptimeBps - b.uptimeBps) <= doubt, `${a.uptimeBps} vs ${b.uptimeBps}, ±${doubt}`);
    assert.equal(
      uptimeUncertaintyBps(
        every(200, 0).filter((s) => s.ok),
        200,
        minute,
      ),
      0,
      "no change, no doubt",
    );
  });

  it("properties: bounded, exact at the extremes, order-blind, monotone in successes", () => {
    const period = { startMs: 0, endMs: 2 ** 31 };
    fc.assert(
      fc.property(
        fc.array(sampleArb, { minLength: 1, maxLength: 300 }),
        fc.nat({ max: 10_000 }),
        (samples, timeout) => {
          const figures = aggregate(samples, timeout, period)!;
          assert.ok(figures.uptimeBps >= 0 && figures.uptimeBps <= 10_000);
          assert.equal(figures.sampleCount, samples.length);
          assert.equal(
            figures.uptimeBps === 10_000,
            samples.every((s) => s.ok),
          );
          if (samples.every((s) => !s.ok)) assert.equal(figures.uptimeBps, 0);
          assert.deepEqual(aggregate([...samples].reverse(), timeout, period), figures);
          // One more success never lowers uptime; one more failure never raises it.
          assert.ok(aggregate([...samples, probe(true, 1)], timeout, period)!.uptimeBps >= figures.uptimeBps);
          assert.ok(aggregate([...samples, probe(false, 1)], timeout, period)!.uptimeBps <= figures.uptimeBps);
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
