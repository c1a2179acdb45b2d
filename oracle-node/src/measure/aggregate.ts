/**
 * Period figures from samples, as SLAEnforcement takes them: uptime in basis points (the share of
 * the period the machine was seen up, rounded down), p95 latency (nearest rank, over the probes that
 * succeeded) and the number of samples. Pure: the same samples always give the same figures.
 *
 * Uptime is weighted by time, not by count: each sample stands for the time until the next one (the
 * first also for the time before it, the last until the period ends). Two oracles that probe at
 * different rates, or one that stalled for a while, then agree on the same outage to within the
 * time it took each to see it begin and end (`uptimeUncertaintyBps`).
 */

export interface Sample {
  /** Chain time of the sample, in milliseconds. */
  atMs: number;
  ok: boolean;
  /** Round-trip time of a probe; 0 for samples without one (cloud metrics). */
  latencyMs: number;
  /** "probe", or the cloud metric's name. */
  source: string;
}

export interface PeriodFigures {
  uptimeBps: number;
  p95LatencyMs: number;
  sampleCount: number;
}

/** A period in chain time, in milliseconds: `[startMs, endMs)`. */
export interface Span {
  startMs: number;
  endMs: number;
}

const UINT32_MAX = 2 ** 32 - 1;
/** Block timestamps are whole seconds: an oracle's chain clock is exact to this much. */
const CHAIN_CLOCK_RESOLUTION_MS = 1_000;

/**
 * The figures of a period's samples (those outside it are ignored), or undefined without any (a
 * period nobody observed is not reported; it counts as compliant once its report window closes).
 * With no successful probe, p95 latency is the probe timeout: nothing answered faster. A failure
 * and a success at the same instant count as a failure from then on.
 */
export function aggregate(samples: readonly Sample[], probeTimeoutMs: number, period: Span): PeriodFigures | undefined {
  const inPeriod = inOrder(samples, period);
  if (inPeriod.length === 0) return undefined;
  let upMs = 0;
  const latencies: number[] = [];
  for (const [i, sample] of inPeriod.entries()) {
    if (!sample.ok) continue;
    const from = i === 0 ? period.startMs : sample.atMs;
    upMs += (inPeriod[i + 1]?.atMs ?? period.endMs) - from;
    if (sample.source === "probe") latencies.push(sample.latencyMs);
  }
  return {
    uptimeBps: Math.floor((upMs * 10_000) / (period.endMs - period.startMs)),
    p95LatencyMs: Math.min(UINT32_MAX, latencies.length ? percentile(latencies, 95) : probeTimeoutMs),
    sampleCount: Math.min(UINT32_MAX, inPeriod.length),
  };
}

/**
 * How far an honest oracle's uptime for the period may be from this one's, beyond the configured
 * tolerance: at each time the samples go from up to down or back, either oracle may have seen the
 * change up to one probe interval late, on a chain clock exact to a second.
 */
export function uptimeUncertaintyBps(samples: readonly Sample[], probeIntervalMs: number, period: Span): number {
  const inPeriod = inOrder(samples, period);
  const changes = inPeriod.filter((s, i) => i > 0 && s.ok !== inPeriod[i - 1]!.ok).length;
  const perChange = Math.ceil(
    (2 * (probeIntervalMs + CHAIN_CLOCK_RESOLUTION_MS) * 10_000) / (period.endMs - period.startMs),
  );
  return changes * perChange;
}

/** The samples inside the period by time; at the same instant, successes first. */
function inOrder(samples: readonly Sample[], { startMs, endMs }: Span): Sample[] {
  return samples
    .filter((s) => s.atMs >= startMs && s.atMs < endMs)
    .sort((a, b) => a.atMs - b.atMs || Number(b.ok) - Number(a.ok));
}
/** Nearest-rank percentile: the smallest value with at least `p` % of the values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** SLA periods of a stream as EscrowManager cuts them, in unix seconds: the sdk's stream maths. */
export { streamPeriodBounds as periodBounds, streamPeriodCount as periodCount } from "@d-cloudx/sdk/stream";
