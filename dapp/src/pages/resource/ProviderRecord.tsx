/**
 * A provider's record as people read it: the share of SLA periods it met (and of how many), its
 * rating in stars (and from how many consumers), its completed and failed bookings, or "new
 * provider" when it has no record yet. The ReputationSystem's score (the lower bound of a 95 %
 * Wilson interval) only ranks providers, and is explained wherever it does.
 */
import type { ReactNode } from "react";

import { graphql } from "../../generated/gql/index.ts";
import type { ProviderRecordFieldsFragment } from "../../generated/gql/graphql.ts";
import { formatBps } from "../../lib/format.ts";

export const ProviderRecordFields = graphql(`
  fragment ProviderRecordFields on Provider {
    id
    scoreBps
    bookingsCompleted
    bookingsFailed
    periodsCompliant
    periodsViolated
    ratingsCount
    averageRating
  }
`);

type ProviderStats = ProviderRecordFieldsFragment;

/** How the marketplace ranks providers, for wherever the score is used. */
export const RANKING_SCORE_EXPLAINED =
  "The ranking score is the lower bound of a 95 % confidence interval over a provider's SLA periods and " +
  "bookings: a long record of met SLAs scores higher than a short one, and a new provider starts at 0.";

const settledPeriods = (provider: ProviderStats) => provider.periodsCompliant + provider.periodsViolated;

/** Whether the provider has anything on record: settled SLA periods, finished bookings or ratings. */
export function hasRecord(provider: ProviderStats): boolean {
  return settledPeriods(provider) + provider.bookingsCompleted + provider.bookingsFailed + provider.ratingsCount > 0;
}

/** "99.2 % of 120 SLA periods met", or undefined before any period is settled. */
export function slaSummary(provider: ProviderStats): string | undefined {
  const periods = settledPeriods(provider);
  if (periods === 0) return undefined;
  const share = formatBps(Math.floor((provider.periodsCompliant * 10_000) / periods));
  return `${share} of ${periods} SLA period${periods === 1 ? "" : "s"} met`;
}

/** The average rating as five stars (rounded to whole stars), with the average and the count. */
export function Stars({ provider }: { provider: ProviderStats }) {
  if (provider.ratingsCount === 0) return <span className="text-slate-400">not rated yet</span>;
  const average = Number(provider.averageRating);
  const stars = Math.round(average);
  const label = `${average.toFixed(1)} of 5 stars from ${provider.ratingsCount} rating${provider.ratingsCount === 1 ? "" : "s"}`;
  return (
    <span aria-label={label} title={label} className="whitespace-nowrap">
      <span aria-hidden="true" className="text-amber-300">
        {"★".repeat(stars)}
      </span>
      <span aria-hidden="true" className="text-slate-600">
        {"★".repeat(5 - stars)}
      </span>
      <span aria-hidden="true" className="text-slate-400">
        {" "}
        {average.toFixed(1)} ({provider.ratingsCount})
      </span>
    </span>
  );
}

/** One or two lines for a resource card. */
export function RecordSummary({ provider }: { provider: ProviderStats }) {
  if (!hasRecord(provider)) {
    return <span className="rounded-full bg-sky-950 px-2 py-0.5 text-xs text-sky-200">New provider</span>;
  }
  const sla = slaSummary(provider);
  return (
    <span className="flex flex-col items-end gap-0.5 text-xs text-slate-300">
      {sla ? <span>{sla}</span> : null}
      <Stars provider={provider} />
    </span>
  );
}

/** The ReputationSystem's record of a provider, as the subgraph last saw it. */
export function ProviderRecord({ provider }: { provider: ProviderStats }) {
  if (!hasRecord(provider)) {
    return (
      <p className="text-sm text-slate-300">
        New provider: no booking has finished and no SLA period has been settled yet.
      </p>
    );
  }
  const periods = settledPeriods(provider);
  const rows: [string, ReactNode][] = [
    [
      "SLA periods met",
      periods
        ? `${provider.periodsCompliant} of ${periods} (${formatBps(Math.floor((provider.periodsCompliant * 10_000) / periods))})`
        : "none settled yet",
    ],
    ["Rating", <Stars key="stars" provider={provider} />],
    ["Bookings completed", String(provider.bookingsCompleted)],
    ["Bookings failed", String(provider.bookingsFailed)],
    ["Ranking score", formatBps(provider.scoreBps)],
  ];
  return (
    <div className="space-y-2">
      <Facts rows={rows} />
      <p className="text-xs text-slate-400">{RANKING_SCORE_EXPLAINED}</p>
    </div>
  );
}

/** Terms and values, two columns. */
export function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
      {rows.map(([term, value]) => (
        <div key={term} className="contents">
          <dt className="text-slate-400">{term}</dt>
          <dd className="break-words">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
