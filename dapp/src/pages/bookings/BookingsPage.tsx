/**
 * The consumer dashboard: the connected account's bookings, newest first, each with its live
 * timeline, money, SLA periods, access details and the actions it allows now; and the refunds the
 * account can claim. Contract events that concern the account and its confirmed transactions
 * refetch the query (lib/live.ts, lib/tx.tsx).
 */
import { useQuery } from "@apollo/client/react";
import { ConnectButton } from "@rainbow-me/rainbowkit";
import { useState } from "react";
import { Link } from "react-router";
import type { Address } from "viem";
import { useAccount } from "wagmi";

import { Page } from "../../components/Layout.tsx";
import { config } from "../../config.ts";
import { EmptyState, LoadingCards, SubgraphError } from "../../components/States.tsx";
import { type Alert, type NotificationState, useAlertNotifications } from "../../lib/notifications.ts";
import { useNow } from "../../lib/useNow.ts";
import { BookingCard } from "./BookingCard.tsx";
import { ClaimRefunds } from "./ClaimRefunds.tsx";
import { MyBookingsQuery, PAGE_SIZE, bookingsVariables } from "./queries.ts";
import { bookingRunway, runwayAlert } from "./runway.ts";

export default function BookingsPage() {
  const { address } = useAccount();
  return (
    <Page title="My bookings">
      {address ? (
        // A new account starts again from its first page.
        <Dashboard key={address} account={address} />
      ) : (
        <EmptyState title="Connect your wallet to see your bookings.">
          <div className="mt-3 flex justify-center">
            <ConnectButton />
          </div>
        </EmptyState>
      )}
    </Page>
  );
}

function Dashboard({ account }: { account: Address }) {
  const [page, setPage] = useState(0);
  const now = useNow();
  const { data, error, loading, refetch } = useQuery(MyBookingsQuery, { variables: bookingsVariables(account, page) });

  const bookings = data?.bookings.slice(0, PAGE_SIZE) ?? [];
  const timeout = data?.protocol?.provisionTimeoutSeconds;
  const renewalSettings = {
    windowSeconds:
      data?.protocol?.renewalWindowSeconds != null ? Number(data.protocol.renewalWindowSeconds) : undefined,
    tipBps: data?.protocol?.renewalTipBps ?? undefined,
  };
  const alerts = bookings.flatMap((booking) => runwayAlert(booking.id, bookingRunway(booking, now)) ?? []);
  const [permission, askPermission] = useAlertNotifications(alerts);

  return (
    <div className="space-y-6">
      <ClaimRefunds account={account} />
      <RunwayAlerts alerts={alerts} permission={permission} ask={askPermission} />
      {!data && loading ? (
        <LoadingCards count={2} />
      ) : !data ? (
        <SubgraphError error={error} retry={() => void refetch()} />
      ) : bookings.length === 0 && page === 0 ? (
        <EmptyState title="You have no bookings yet.">
          <Link to="/">Browse the marketplace</Link> to book a resource.
        </EmptyState>
      ) : (
        <>
          {error ? (
            <p role="alert" className="text-sm text-amber-200">
              The subgraph is unreachable right now; showing what was last loaded.
            </p>
          ) : null}
          <div className="space-y-4">
            {bookings.map((booking) => (
              <BookingCard
                key={booking.id}
                booking={booking}
                now={now}
                provisionTimeoutSeconds={
                  timeout != null ? Number(timeout) : config.deployment?.settings.provisionTimeoutSeconds
                }
                renewalSettings={renewalSettings}
              />
            ))}
          </div>
          <nav aria-label="Bookings pages" className="flex items-center justify-between gap-2">
            <button type="button" className="btn btn-secondary" disabled={page === 0} onClick={() => setPage(page - 1)}>
              Newer
            </button>
            <span className="text-sm text-slate-400">Page {page + 1}</span>
            <button
              type="button"
              className="btn btn-secondary"
              disabled={data.bookings.length <= PAGE_SIZE}
              onClick={() => setPage(page + 1)}
            >
              Older
            </button>
          </nav>
        </>
      )}
    </div>
  );
}

/**
 * Bookings that run out soon or are suspended, listed on top; and the offer of browser
 * notifications for them while this tab is open.
 */
function RunwayAlerts({
  alerts,
  permission,
  ask,
}: {
  alerts: readonly Alert[];
  permission: NotificationState;
  ask: () => Promise<void>;
}) {
  return (
    <section aria-label="Running out" className="space-y-2">
      {alerts.length > 0 ? (
        <ul className="space-y-1" data-testid="runway-alerts">
          {alerts.map((alert) => (
            <li key={alert.key} className="rounded-lg border border-amber-700/60 bg-amber-950/40 p-2 text-sm">
              <span className="font-medium text-amber-100">{alert.title}.</span>{" "}
              <span className="text-amber-200">{alert.body}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {permission === "default" ? (
        <p className="flex flex-wrap items-center gap-2 text-sm text-slate-400">
          Get a browser notification, while this tab is open, 24 h and 1 h before a booking runs out.
          <button type="button" className="btn btn-secondary" onClick={() => void ask()}>
            Allow notifications
          </button>
        </p>
      ) : permission === "granted" ? (
        <p className="text-xs text-slate-500" data-testid="notifications-on">
          Notifications are on while this tab is open.
        </p>
      ) : null}
    </section>
  );
}
