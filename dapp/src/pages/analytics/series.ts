/**
 * Turns the subgraph's statistics entities into chart rows. The subgraph only stores days with
 * activity, so missing days are filled: counters with zero, levels (listed resources) with the
 * last known value. BigDecimal strings become numbers here, for display only.
 */
import { shortenAddress } from "../../lib/format.ts";

export const DAY_SECONDS = 86_400;

/** A subgraph BigDecimal/BigInt string (or a number) as a number; 0 for anything unparsable. */
export function toNumber(value: string | number | null | undefined): number {
  const number = typeof value === "number" ? value : Number(value ?? 0);
  return Number.isFinite(number) ? number : 0;
}

/** The UTC day number (days since 1970-01-01) of a unix timestamp in seconds: the id of a MarketDayStat. */
export function dayOf(timestamp: number): number {
  return Math.floor(timestamp / DAY_SECONDS);
}

export interface DayStat {
  date: number;
  bookingCount: number;
  volumeUsd: string;
  activeResources: number;
  slaPeriodsSettled: number;
  slaPeriodsCompliant: number;
}

export interface DayRow {
  /** Start of the UTC day, unix seconds. */
  date: number;
  /** "Nov 3" (UTC): the axis label. */
  label: string;
  volumeUsd: number;
  bookings: number;
  activeResources: number;
  slaCompliant: number;
  slaViolated: number;
}

const dayLabel = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });

/**
 * One row per UTC day from `firstDay` to `lastDay` (day numbers, inclusive). `before` is the latest
 * stat before the range, if any: the listed resources on days before the first stat in range.
 */
export function dailySeries(stats: readonly DayStat[], firstDay: number, lastDay: number, before?: DayStat): DayRow[] {
  const byDay = new Map(stats.map((stat) => [dayOf(stat.date), stat]));
  const rows: DayRow[] = [];
  let activeResources = before ? before.activeResources : 0;
  for (let day = firstDay; day <= lastDay; day++) {
    const stat = byDay.get(day);
    if (stat) activeResources = stat.activeResources;
    const settled = stat?.slaPeriodsSettled ?? 0;
    const compliant = Math.min(stat?.slaPeriodsCompliant ?? 0, settled);
    rows.push({
      date: day * DAY_SECONDS,
      label: dayLabel.format(day * DAY_SECONDS * 1000),
      volumeUsd: toNumber(stat?.volumeUsd),
      bookings: stat?.bookingCount ?? 0,
      activeResources,
      slaCompliant: compliant,
      slaViolated: settled - compliant,
    });
  }
  return rows;
}

/** Whether anything happened in the range (otherwise the page shows its empty state). */
export function hasActivity(rows: readonly DayRow[]): boolean {
  return rows.some(
    (row) => row.volumeUsd > 0 || row.bookings > 0 || row.activeResources > 0 || row.slaCompliant + row.slaViolated > 0,
  );
}

export interface ProviderStat {
  id: string;
  volumeUsd: string;
  bookingCount: number;
  scoreBps: number;
  /** The provider's current profile document, whose name it goes by when it is valid. */
  profile?: { status: string; displayName?: string | null } | null;
}

export interface ProviderRow {
  address: string;
  label: string;
  volumeUsd: number;
  bookings: number;
  /** Reputation score in per cent (the lower bound of the Wilson interval). */
  reputation: number;
}

export function providerRows(providers: readonly ProviderStat[]): ProviderRow[] {
  return providers.map((provider) => ({
    address: provider.id,
    label: (provider.profile?.status === "VALID" && provider.profile.displayName) || shortenAddress(provider.id),
    volumeUsd: toNumber(provider.volumeUsd),
    bookings: provider.bookingCount,
    reputation: provider.scoreBps / 100,
  }));
}

/** Compliant share of settled SLA periods in per cent; undefined before any period is settled. */
export function compliancePercent(compliant: number, settled: number): number | undefined {
  return settled > 0 ? (100 * compliant) / settled : undefined;
}

/** The row with the largest `key`, for chart summaries ("peak $1,200 on Nov 3"). */
export function peak<T>(rows: readonly T[], key: (row: T) => number): T | undefined {
  let best: T | undefined;
  for (const row of rows) if (key(row) > 0 && (best === undefined || key(row) > key(best))) best = row;
  return best;
}

export function sum<T>(rows: readonly T[], key: (row: T) => number): number {
  return rows.reduce((total, row) => total + key(row), 0);
}
