/**
 * Period figures from samples, as SLAEnforcement takes them: uptime in basis points (the share of
 * samples that found the machine up, rounded down), p95 latency (nearest rank, over the probes that
 * succeeded) and the number of samples. Pure: the same samples always give the same figures.
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

const UINT32_MAX = 2 ** 32 - 1;

/**
 * The figures of a period's samples, or undefined without any (a period nobody observed is not
 * reported; it counts as compliant once its report window closes). With no successful probe, p95
 * latency is the probe timeout: nothing answered faster.
 */
export function aggregate(samples: readonly Sample[], probeTimeoutMs: number): PeriodFigures | undefined {
  if (samples.length === 0) return undefined;
  let up = 0;
  const latencies: number[] = [];
  for (const sample of samples) {
    if (!sample.ok) continue;
    up++;
    if (sample.source === "probe") latencies.push(sample.latencyMs);
  }
  return {
    uptimeBps: Math.floor((up * 10_000) / samples.length),
    p95LatencyMs: Math.min(UINT32_MAX, latencies.length ? percentile(latencies, 95) : probeTimeoutMs),
    sampleCount: Math.min(UINT32_MAX, samples.length),
  };
}

/** Nearest-rank percentile: the smallest value with at least `p` % of the values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** SLA periods of a stream as EscrowManager cuts them, in unix seconds: the sdk's stream maths. */
export { streamPeriodBounds as periodBounds, streamPeriodCount as periodCount } from "@d-cloudx/sdk/stream";
