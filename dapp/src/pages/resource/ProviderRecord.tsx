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

/** The ReputationSystem's record of a provider, as the subgraph last saw it. */
export function ProviderRecord({ provider }: { provider: ProviderRecordFieldsFragment }) {
  const periods = provider.periodsCompliant + provider.periodsViolated;
  const rows: [string, ReactNode][] = [
    ["Reputation score", formatBps(provider.scoreBps)],
    ["Bookings completed", String(provider.bookingsCompleted)],
    ["Bookings failed", String(provider.bookingsFailed)],
    [
      "SLA periods met",
      periods
        ? `${provider.periodsCompliant} of ${periods} (${provider.periodsViolated} violated)`
        : "none settled yet",
    ],
    [
      "Ratings",
      provider.ratingsCount
        ? `${Number(provider.averageRating).toFixed(2)} / 5 from ${provider.ratingsCount}`
        : "not rated yet",
    ],
  ];
  return <Facts rows={rows} />;
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
