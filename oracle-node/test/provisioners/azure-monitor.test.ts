/**
 * Azure Monitor minutes as availability samples, as the VM (Minimum of VmAvailabilityMetric) and
 * Blob (Average of Availability) adapters read them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { MetricsListOptionalParams, Response as MetricsResponse } from "@azure/arm-monitor";

import { monitorSamples } from "../../src/provisioners/azure-monitor.ts";

const minute = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, n));

function answer(points: { timeStamp: Date; average?: number; minimum?: number }[][]): MetricsResponse {
  return { value: [{ timeseries: points.map((data) => ({ data })) }] } as unknown as MetricsResponse;
}

describe("Azure Monitor samples", () => {
  it("asks for one aggregation per minute over the span and judges each minute with data", async () => {
    const asked: MetricsListOptionalParams[] = [];
    const samples = await monitorSamples(
      {
        metric: "Availability",
        aggregation: "Average",
        fromMs: minute(0).getTime(),
        toMs: minute(3).getTime(),
        available: (average) => average >= 99,
      },
      (options) => {
        asked.push(options);
        return Promise.resolve(
          answer([
            [
              { timeStamp: minute(2), average: 100 },
              { timeStamp: minute(1), minimum: 100 }, // no average: no data for that minute
            ],
            [{ timeStamp: minute(0), average: 98.5 }],
          ]),
        );
      },
    );
    assert.deepEqual(asked, [
      {
        timespan: `${minute(0).toISOString()}/${minute(3).toISOString()}`,
        interval: "PT1M",
        metricnames: "Availability",
        aggregation: "Average",
      },
    ]);
    assert.deepEqual(samples, [
      { timestampMs: minute(0).getTime(), available: false, source: "azure-monitor:Availability" },
      { timestampMs: minute(2).getTime(), available: true, source: "azure-monitor:Availability" },
    ]);
  });

  it("reads the minimum when asked for it, and nothing for a resource that is gone", async () => {
    const query = {
      metric: "VmAvailabilityMetric",
      aggregation: "Minimum",
      fromMs: 0,
      toMs: 1,
      available: (minimum: number) => minimum >= 1,
    } as const;
    const samples = await monitorSamples(query, () =>
      Promise.resolve(answer([[{ timeStamp: minute(0), minimum: 0, average: 1 }]])),
    );
    assert.deepEqual(samples, [
      { timestampMs: minute(0).getTime(), available: false, source: "azure-monitor:VmAvailabilityMetric" },
    ]);
    assert.deepEqual(await monitorSamples(query, () => Promise.resolve(undefined)), []);
  });
});
