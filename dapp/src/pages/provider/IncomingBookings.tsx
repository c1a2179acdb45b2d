/**
 * Bookings of the provider's resources, newest first, with their extensions, renewals and grace;
 * new ones arrive through the live-event refetch.
 */
import { useQuery } from "@apollo/client/react";
import { useState } from "react";
import { Link } from "react-router";

import { Address } from "../../components/Address.tsx";
import { EmptyState, LoadingCards, SubgraphError } from "../../components/States.tsx";
import { formatDate, formatToken, formatUsd } from "../../lib/format.ts";
import { useNow } from "../../lib/useNow.ts";
import { bookingRunway } from "../bookings/runway.ts";
import { StatusBadge } from "./MyResources.tsx";
import { ProviderBookingsQuery } from "./queries.ts";
import { paymentToken } from "../../lib/tokens.ts";

const PAGE = 20;

const BOOKING_TONE: Record<string, string> = {
  REQUESTED: "bg-sky-900/60 text-sky-200",
  ACTIVE: "bg-emerald-900/60 text-emerald-200",
  COMPLETED: "bg-slate-700 text-slate-200",
  CANCELLED: "bg-slate-800 text-slate-400",
  TERMINATED: "bg-rose-900/60 text-rose-200",
  SUSPENDED: "bg-amber-900/60 text-amber-200",
};

export function IncomingBookings({ provider }: { provider: string }) {
  const [page, setPage] = useState(0);
  const now = useNow();
  const { data, loading, error, refetch } = useQuery(ProviderBookingsQuery, {
    variables: { provider: provider.toLowerCase(), id: provider.toLowerCase(), first: PAGE + 1, skip: page * PAGE },
  });
  if (error && !data) return <SubgraphError error={error} retry={() => refetch()} />;
  if (loading && !data) return <LoadingCards count={2} />;
  const bookings = data?.bookings.slice(0, PAGE) ?? [];
  const hasMore = (data?.bookings.length ?? 0) > PAGE;
  if (bookings.length === 0 && page === 0) {
    return (
      <EmptyState title="No bookings yet.">New bookings of your resources appear here as they are made.</EmptyState>
    );
  }
  return (
    <div className="space-y-3">
      {data?.record ? <RunwayRecord provider={data.record} /> : null}
      <ul className="space-y-2" aria-label="Incoming bookings">
        {bookings.map((booking) => {
          const token = paymentToken(booking.token);
          const runway = bookingRunway(booking, now);
          const extensions = booking.extensionCount - booking.renewalCount;
          return (
            <li
              key={booking.id}
              className="card grid gap-2 text-sm sm:grid-cols-[1fr_auto]"
              data-booking-id={booking.id}
            >
              <div className="min-w-0 space-y-1">
                <p className="flex flex-wrap items-center gap-2">
                  <span className="font-medium">Booking #{booking.id}</span>
                  <StatusBadge status={runway.state === "grace" ? "SUSPENDED" : booking.status} tones={BOOKING_TONE} />
                  {booking.renewalPolicy?.active ? (
                    <span className="text-xs text-emerald-300">auto-renew on</span>
                  ) : null}
                </p>
                <p className="text-slate-400">
                  <Link to={`/resources/${booking.resource.id}`}>
                    {booking.resource.metadata?.name ?? `Resource #${booking.resource.id}`}
                  </Link>{" "}
                  · by <Address address={booking.consumer.id} /> · {booking.hoursBooked} h · requested{" "}
                  {formatDate(booking.requestedAt)}
                  {booking.endsAt ? ` · ends ${formatDate(booking.endsAt)}` : ""}
                </p>
                {extensions > 0 || booking.renewalCount > 0 || booking.resumeCount > 0 ? (
                  <p className="text-slate-400">
                    {[
                      extensions > 0 ? `${extensions} extension${extensions > 1 ? "s" : ""}` : "",
                      booking.renewalCount > 0
                        ? `${booking.renewalCount} renewal${booking.renewalCount > 1 ? "s" : ""}`
                        : "",
                      booking.resumeCount > 0 ? `resumed from grace ${booking.resumeCount}×` : "",
                    ]
                      .filter(Boolean)
                      .join(" · ")}
                  </p>
                ) : null}
                {runway.state === "grace" && runway.graceEndsAt !== undefined ? (
                  <p className="text-amber-200" data-testid="provider-grace">
                    Suspended: unpaid since {formatDate(runway.fundedUntil!)}. Keep its data until{" "}
                    {formatDate(runway.graceEndsAt)}; an extension resumes it.
                  </p>
                ) : booking.endedInGrace ? (
                  <p className="text-slate-400">Ran out unfunded and ended after its grace.</p>
                ) : null}
              </div>
              <dl className="grid grid-cols-[max-content_auto] gap-x-3 sm:text-right">
                <dt className="text-slate-400">Paid</dt>
                <dd>
                  {formatToken(BigInt(booking.amount), token.decimals, token.symbol)} ({formatUsd(booking.amountUsd)})
                </dd>
                <dt className="text-slate-400">Withdrawn</dt>
                <dd>{formatToken(BigInt(booking.withdrawn), token.decimals, token.symbol)}</dd>
                {BigInt(booking.refunded) > 0n ? (
                  <>
                    {/* The subgraph's `refunded` already includes the SLA credits. */}
                    <dt className="text-slate-400">Refunded</dt>
                    <dd>
                      {formatToken(BigInt(booking.refunded), token.decimals, token.symbol)}
                      {BigInt(booking.slaCredits) > 0n
                        ? ` (SLA credits ${formatToken(BigInt(booking.slaCredits), token.decimals, token.symbol)})`
                        : ""}
                    </dd>
                  </>
                ) : null}
              </dl>
            </li>
          );
        })}
      </ul>
      {page > 0 || hasMore ? (
        <nav aria-label="Bookings pages" className="flex items-center gap-3">
          <button type="button" className="btn btn-secondary" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Newer
          </button>
          <span className="text-sm text-slate-400">Page {page + 1}</span>
          <button type="button" className="btn btn-secondary" disabled={!hasMore} onClick={() => setPage(page + 1)}>
            Older
          </button>
        </nav>
      ) : null}
    </div>
  );
}

/** How the provider's bookings were kept running: extensions, renewals, and the grace periods. */
function RunwayRecord({
  provider,
}: {
  provider: {
    extensionCount: number;
    hoursExtended: number;
    renewalCount: number;
    hoursRenewed: number;
    renewalSkipCount: number;
    resumeCount: number;
    endedInGraceCount: number;
  };
}) {
  const consumerExtensions = provider.extensionCount - provider.renewalCount;
  const rows: [string, string][] = [
    ["Extended by consumers", `${consumerExtensions} (${provider.hoursExtended - provider.hoursRenewed} h)`],
    ["Renewed automatically", `${provider.renewalCount} (${provider.hoursRenewed} h)`],
    ["Renewals skipped", String(provider.renewalSkipCount)],
    ["Resumed from grace", String(provider.resumeCount)],
    ["Ended in grace", String(provider.endedInGraceCount)],
  ];
  return (
    <dl className="card grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm sm:grid-cols-5 sm:grid-rows-[auto_auto] sm:grid-flow-col">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-slate-400">{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
