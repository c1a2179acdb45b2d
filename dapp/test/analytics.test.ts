import { describe, expect, it } from "vitest";

import {
  DAY_SECONDS,
  type DayStat,
  compliancePercent,
  dailySeries,
  dayOf,
  hasActivity,
  peak,
  providerRows,
  sum,
  toNumber,
} from "../src/pages/analytics/series.ts";

const day = (n: number, fields: Partial<DayStat> = {}): DayStat => ({
  date: n * DAY_SECONDS,
  bookingCount: 0,
  volumeUsd: "0",
  activeResources: 0,
  slaPeriodsSettled: 0,
  slaPeriodsCompliant: 0,
  ...fields,
});

describe("analytics series", () => {
  it("reads BigDecimal strings as numbers and anything malformed as 0", () => {
    expect(toNumber("1234.5678")).toBe(1234.5678);
    expect(toNumber("1e3")).toBe(1000);
    expect(toNumber(null)).toBe(0);
    expect(toNumber(undefined)).toBe(0);
    expect(toNumber("not a number")).toBe(0);
    expect(toNumber("Infinity")).toBe(0);
    expect(toNumber(7)).toBe(7);
  });

  it("numbers UTC days as the subgraph does", () => {
    expect(dayOf(0)).toBe(0);
    expect(dayOf(DAY_SECONDS - 1)).toBe(0);
    expect(dayOf(20_000 * DAY_SECONDS + 5)).toBe(20_000);
  });

  it("fills missing days: counters with zero, listed resources with the last known value", () => {
    const rows = dailySeries(
      [
        day(101, {
          bookingCount: 2,
          volumeUsd: "150.25",
          activeResources: 4,
          slaPeriodsSettled: 10,
          slaPeriodsCompliant: 9,
        }),
        day(103, { bookingCount: 1, volumeUsd: "10", activeResources: 5 }),
      ],
      100,
      104,
      day(90, { activeResources: 3 }),
    );
    expect(rows.map((row) => row.date)).toEqual([100, 101, 102, 103, 104].map((n) => n * DAY_SECONDS));
    expect(rows.map((row) => row.bookings)).toEqual([0, 2, 0, 1, 0]);
    expect(rows.map((row) => row.volumeUsd)).toEqual([0, 150.25, 0, 10, 0]);
    expect(rows.map((row) => row.activeResources)).toEqual([3, 4, 4, 5, 5]);
    expect(rows[1]).toMatchObject({ slaCompliant: 9, slaViolated: 1 });
    expect(rows[2]).toMatchObject({ slaCompliant: 0, slaViolated: 0 });
  });

  it("starts listed resources at zero without an earlier stat, and labels days in UTC", () => {
    const rows = dailySeries([day(20_395, { activeResources: 2 })], 20_394, 20_395);
    expect(rows.map((row) => row.activeResources)).toEqual([0, 2]);
    expect(rows.map((row) => row.label)).toEqual(["Nov 2", "Nov 3"]);
  });

  it("ignores stats outside the range and never reports negative violations", () => {
    const rows = dailySeries(
      [day(5, { bookingCount: 9 }), day(11, { slaPeriodsSettled: 1, slaPeriodsCompliant: 3 })],
      10,
      11,
    );
    expect(rows).toHaveLength(2);
    expect(sum(rows, (row) => row.bookings)).toBe(0);
    expect(rows[1]).toMatchObject({ slaCompliant: 1, slaViolated: 0 });
  });

  it("is empty for an empty range and tells activity from none", () => {
    expect(dailySeries([], 10, 9)).toEqual([]);
    expect(hasActivity(dailySeries([], 1, 30))).toBe(false);
    expect(hasActivity(dailySeries([day(3, { activeResources: 1 })], 1, 30))).toBe(true);
  });

  it("shapes providers for the top-provider charts", () => {
    const address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    expect(providerRows([{ id: address, volumeUsd: "99.5", bookingCount: 3, scoreBps: 8125 }])).toEqual([
      { address, label: "0x7099…79C8", volumeUsd: 99.5, bookings: 3, reputation: 81.25 },
    ]);
    const named = { status: "VALID", displayName: "Nimbus" };
    expect(
      providerRows([{ id: address, volumeUsd: "1", bookingCount: 1, scoreBps: 0, profile: named }])[0]?.label,
    ).toBe("Nimbus");
    const invalid = { status: "INVALID", displayName: null };
    expect(
      providerRows([{ id: address, volumeUsd: "1", bookingCount: 1, scoreBps: 0, profile: invalid }]),
    ).toMatchObject([{ label: "0x7099…79C8" }]);
  });

  it("summarises: compliance, peak and sum", () => {
    expect(compliancePercent(9, 10)).toBe(90);
    expect(compliancePercent(0, 0)).toBeUndefined();
    const rows = [{ v: 1 }, { v: 5 }, { v: 5 }, { v: 0 }];
    expect(peak(rows, (row) => row.v)).toBe(rows[1]);
    expect(peak([{ v: 0 }], (row) => row.v)).toBeUndefined();
    expect(sum(rows, (row) => row.v)).toBe(11);
  });
});
