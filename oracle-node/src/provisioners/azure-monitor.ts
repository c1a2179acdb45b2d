/**
 * Availability samples from Azure Monitor, as the VM and Blob adapters read them: one metric, one
 * aggregation per minute, each minute with data judged available or not.
 */
import type { MetricsListOptionalParams, Response as MetricsResponse } from "@azure/arm-monitor";

import type { CloudSample } from "./types.ts";

export interface MonitorQuery {
  metric: string;
  aggregation: "Average" | "Minimum";
  fromMs: number;
  toMs: number;
  /** Whether a minute's aggregated value counts as available. */
  available: (value: number) => boolean;
}

/**
 * The minutes of `query` as samples, sorted by time. `list` runs `metrics.list` for the resource
 * with the options given (and whatever the adapter adds); undefined means no such resource.
 */
export async function monitorSamples(
  query: MonitorQuery,
  list: (options: MetricsListOptionalParams) => Promise<MetricsResponse | undefined>,
): Promise<CloudSample[]> {
  const { metric, aggregation, fromMs, toMs, available } = query;
  const response = await list({
    timespan: `${new Date(fromMs).toISOString()}/${new Date(toMs).toISOString()}`,
    interval: "PT1M",
    metricnames: metric,
    aggregation,
  });
  const samples: CloudSample[] = [];
  for (const series of (response?.value ?? []).flatMap((result) => result.timeseries ?? [])) {
    for (const point of series.data ?? []) {
      const value = aggregation === "Average" ? point.average : point.minimum;
      if (value === undefined) continue; // no data for that minute
      samples.push({
        timestampMs: point.timeStamp.getTime(),
        available: available(value),
        source: `azure-monitor:${metric}`,
      });
    }
  }
  return samples.sort((a, b) => a.timestampMs - b.timestampMs);
}
