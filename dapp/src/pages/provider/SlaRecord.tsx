/** The provider's service record: SLA periods, credits paid, reputation and how it moved. */
import { useQuery } from "@apollo/client/react";
import type { Address } from "viem";

import { EmptyState, LoadingCards, SubgraphError } from "../../components/States.tsx";
import type { ProviderConsoleQuery as ConsoleData } from "../../generated/gql/graphql.ts";
import { formatBps, formatDate, formatUsd } from "../../lib/format.ts";
import { ProviderSlaQuery } from "./queries.ts";

type Provider = NonNullable<ConsoleData["provider"]>;

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="card">
      <dt className="text-sm text-slate-400">{label}</dt>
      <dd className="text-xl font-semibold">{value}</dd>
    </div>
  );
}

export function SlaRecord({ address, provider }: { address: Address; provider: Provider | null | undefined }) {
  const { data, loading, error, refetch } = useQuery(ProviderSlaQuery, {
    variables: { provider: address.toLowerCase() },
  });
  const periods = (provider?.periodsCompliant ?? 0) + (provider?.periodsViolated ?? 0);
  return (
    <div className="space-y-6">
      <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Reputation" value={formatBps(provider?.scoreBps ?? 0)} />
        <Stat
          label="Compliant periods"
          value={periods ? `${provider!.periodsCompliant} / ${periods}` : "none reported"}
        />
        <Stat label="Violated periods" value={String(provider?.periodsViolated ?? 0)} />
        <Stat label="SLA credits paid" value={formatUsd(provider?.slaCreditsUsd ?? "0")} />
        <Stat label="Bookings completed" value={String(provider?.bookingsCompleted ?? 0)} />
        <Stat label="Bookings failed" value={String(provider?.bookingsFailed ?? 0)} />
        <Stat
          label="Rating"
          value={
            provider?.ratingsCount
              ? `${Number(provider.averageRating).toFixed(2)} ★ (${provider.ratingsCount})`
              : "no ratings"
          }
        />
        <Stat label="Earned" value={formatUsd(provider?.earningsUsd ?? "0")} />
      </dl>
      {error && !data ? (
        <SubgraphError error={error} retry={() => refetch()} />
      ) : loading && !data ? (
        <LoadingCards count={2} />
      ) : (
        <div className="grid gap-6 lg:grid-cols-2">
          <section aria-labelledby="reports-title" className="space-y-2">
            <h3 id="reports-title" className="font-medium">
              Latest SLA reports
            </h3>
            {data?.slaReports.length ? (
              <ul className="divide-y divide-slate-800 text-sm">
                {data.slaReports.map((report) => (
                  <li key={report.id} className="flex flex-wrap justify-between gap-2 py-2">
                    <span>
                      Booking #{report.booking.id}, period {report.period} · {formatDate(report.timestamp)}
                    </span>
                    <span className={report.compliant ? "text-emerald-300" : "text-rose-300"}>
                      {report.compliant
                        ? "compliant"
                        : `violated, ${formatBps(report.creditBps)} credited (${formatUsd(report.creditUsd)})`}{" "}
                      · uptime {formatBps(report.uptimeBps)} · p95 {report.p95LatencyMs} ms
                    </span>
                  </li>
                ))}
              </ul>
            ) : (
              <EmptyState title="No SLA reports yet.">
                Oracles report each SLA period of your active bookings.
              </EmptyState>
            )}
          </section>
          <section aria-labelledby="reputation-title" className="space-y-2">
            <h3 id="reputation-title" className="font-medium">
              Reputation history
            </h3>
            {data?.reputationChanges.length ? (
              <ul className="divide-y divide-slate-800 text-sm">
                {data.reputationChanges.map((change) => (
                  <li key={change.id} className="flex flex-wrap justify-between gap-2 py-2">
                    <span>{formatDate(change.timestamp)}</span>
                    <span>
                      {formatBps(change.scoreBps)} · {change.bookingsCompleted} completed, {change.bookingsFailed}{" "}
                      failed · {change.periodsCompliant}/{change.periodsCompliant + change.periodsViolated} periods
                      compliant
                    </span>
                  </li>
                ))}
              </ul>
            ) : (
              <EmptyState title="No reputation changes yet." />
            )}
          </section>
        </div>
      )}
    </div>
  );
}
