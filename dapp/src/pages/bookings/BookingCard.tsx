import { Link } from "react-router";

import { ProviderName } from "../../components/ProviderName.tsx";
import type { MyBookingsQuery } from "../../generated/gql/graphql.ts";
import { formatBps, formatDate, formatDuration, formatRelative, formatToken, formatUsdE8 } from "../../lib/format.ts";
import { transactionUrl } from "../../lib/tx.tsx";
import { AccessDetailsPanel } from "./AccessDetailsPanel.tsx";
import { AutoRenew, type RenewalSettings } from "./AutoRenew.tsx";
import { BookingActions } from "./BookingActions.tsx";
import { ExtendBooking } from "./ExtendBooking.tsx";
import { type MoneyBreakdown, bookingUsdE8, moneyBreakdown } from "./money.ts";
import { RateBooking } from "./RateBooking.tsx";
import { Replacement } from "./Replacement.tsx";
import { WARNINGS, bookingRunway } from "./runway.ts";
import { type Phase, type StepState, type Timeline, deriveTimeline } from "./timeline.ts";
import { type PaymentToken, paymentToken } from "../../lib/tokens.ts";

export type BookingItem = MyBookingsQuery["bookings"][number];

const PHASE: Record<Phase, { label: string; tone: string }> = {
  "awaiting-provisioning": { label: "Awaiting provisioning", tone: "bg-sky-900 text-sky-100" },
  "provisioning-timed-out": { label: "Provisioning timed out", tone: "bg-amber-900 text-amber-100" },
  active: { label: "Active", tone: "bg-emerald-900 text-emerald-100" },
  grace: { label: "Suspended", tone: "bg-amber-900 text-amber-100" },
  ended: { label: "Ended, to complete", tone: "bg-indigo-900 text-indigo-100" },
  completed: { label: "Completed", tone: "bg-slate-700 text-slate-100" },
  cancelled: { label: "Cancelled", tone: "bg-rose-950 text-rose-200" },
  terminated: { label: "Terminated", tone: "bg-rose-950 text-rose-200" },
};

const DOT: Record<StepState, string> = {
  done: "bg-emerald-400 border-emerald-400",
  current: "bg-sky-400 border-sky-300 animate-pulse",
  upcoming: "bg-transparent border-slate-600",
  failed: "bg-rose-500 border-rose-400",
};

const STEP_STATE_TEXT: Record<StepState, string> = {
  done: "done",
  current: "in progress",
  upcoming: "not yet",
  failed: "missed, or ended early",
};

export function BookingCard({
  booking,
  now,
  provisionTimeoutSeconds,
  renewalSettings,
}: {
  booking: BookingItem;
  now: number;
  provisionTimeoutSeconds?: number;
  renewalSettings: RenewalSettings;
}) {
  const timeline = deriveTimeline(booking, now, provisionTimeoutSeconds);
  const money = moneyBreakdown(booking, now);
  const token = paymentToken(booking.token);
  const amount = (value: bigint) => formatAmount(booking, token, value);
  const name = booking.resource.metadata?.name ?? `Resource #${booking.resource.id}`;
  const headingId = `booking-${booking.id}`;

  return (
    <article aria-labelledby={headingId} className="card space-y-4" data-booking-id={booking.id}>
      <header className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 id={headingId} className="text-lg font-medium break-words">
            Booking #{booking.id} · <Link to={`/resources/${booking.resource.id}`}>{name}</Link>
          </h2>
          <p className="text-sm text-slate-400">
            {booking.hoursBooked} h{extensionSummary(booking)} · {booking.resource.region} · provider{" "}
            <ProviderName provider={booking.provider} />
          </p>
        </div>
        <span
          className={`rounded-full px-3 py-1 text-sm font-medium ${PHASE[timeline.phase].tone}`}
          data-phase={timeline.phase}
        >
          {PHASE[timeline.phase].label}
        </span>
      </header>

      <TimelineSteps timeline={timeline} />
      <Countdown timeline={timeline} booking={booking} now={now} />

      <div className="grid gap-4 lg:grid-cols-2">
        <Money money={money} amount={amount} open={booking.status === "ACTIVE" || booking.status === "REQUESTED"} />
        <SlaPeriods booking={booking} amount={(value) => formatToken(value, token.decimals, token.symbol)} />
      </div>

      {booking.status === "ACTIVE" && booking.accessDetailsCid ? (
        <section className="space-y-2">
          <h3 className="font-medium">Access</h3>
          <AccessDetailsPanel cid={booking.accessDetailsCid} encryptionPublicKey={booking.encryptionPublicKey} />
        </section>
      ) : null}

      {timeline.canExtend ? (
        <div className="grid gap-4 lg:grid-cols-2">
          <section className="space-y-2">
            <h3 className="font-medium">Extend</h3>
            <ExtendBooking booking={booking} token={token} now={now} />
          </section>
          <section className="space-y-2">
            <h3 className="font-medium">Auto-renew</h3>
            <AutoRenew booking={booking} token={token} settings={renewalSettings} />
          </section>
        </div>
      ) : null}
      <Replacement booking={booking} token={token} now={now} />
      <BookingActions bookingId={booking.id} timeline={timeline} refundNow={amount(money.remaining)} />
      {timeline.canRate ? <RateBooking bookingId={booking.id} /> : null}
      {booking.rating != null ? (
        <p className="text-sm text-slate-300">
          You rated the provider{" "}
          <span aria-hidden="true" className="text-amber-300">
            {"★".repeat(booking.rating)}
          </span>{" "}
          ({booking.rating} of 5).
        </p>
      ) : null}
    </article>
  );
}

/** " (1 extension, 2 renewals, resumed once)", or nothing. */
function extensionSummary(booking: BookingItem): string {
  const count = (n: number, one: string, many: string) => (n === 0 ? [] : [`${n} ${n === 1 ? one : many}`]);
  const parts = [
    ...count(booking.extensions.length - booking.renewalCount, "extension", "extensions"),
    ...count(booking.renewalCount, "renewal", "renewals"),
    ...(booking.resumeCount > 0
      ? [`resumed ${booking.resumeCount === 1 ? "once" : `${booking.resumeCount} times`}`]
      : []),
  ];
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

function formatAmount(booking: BookingItem, token: PaymentToken, value: bigint): string {
  return `${formatToken(value, token.decimals, token.symbol)} (${formatUsdE8(bookingUsdE8(booking, value))})`;
}

function TimelineSteps({ timeline }: { timeline: Timeline }) {
  return (
    <ol className="flex flex-col gap-3 sm:flex-row sm:gap-0" aria-label="Status timeline">
      {timeline.steps.map((step) => (
        <li key={step.key} className="flex flex-1 gap-2 sm:flex-col" data-step={step.key} data-state={step.state}>
          <div className="flex items-center sm:w-full">
            <span aria-hidden="true" className={`h-3 w-3 shrink-0 rounded-full border-2 ${DOT[step.state]}`} />
            <span aria-hidden="true" className="ml-1 hidden h-px flex-1 bg-slate-700 sm:block" />
          </div>
          <div className="min-w-0 pr-2 text-sm">
            <p className={step.state === "upcoming" ? "text-slate-500" : "font-medium"}>
              {step.label} <span className="sr-only">({STEP_STATE_TEXT[step.state]})</span>
            </p>
            {step.at !== undefined ? (
              <p className="text-xs text-slate-400">
                {step.key === "provisioned" && step.state !== "done" ? "by " : step.state === "upcoming" ? "due " : ""}
                {formatDate(step.at)}
              </p>
            ) : null}
            {step.detail ? <p className="text-xs text-slate-400">{step.detail}</p> : null}
            {step.transactionHash ? (
              <a className="text-xs underline" href={transactionUrl(step.transactionHash as `0x${string}`)}>
                transaction
              </a>
            ) : null}
          </div>
        </li>
      ))}
    </ol>
  );
}

function Countdown({ timeline, booking, now }: { timeline: Timeline; booking: BookingItem; now: number }) {
  if (timeline.phase === "awaiting-provisioning" && timeline.provisioningDeadline !== undefined) {
    return (
      <p className="text-sm">
        Provisioning deadline: {formatDate(timeline.provisioningDeadline)} (
        <span data-testid="seconds-left">{formatDuration(timeline.secondsLeft ?? 0)} left</span>). If the provider
        misses it, you get everything back.
      </p>
    );
  }
  if (timeline.phase === "provisioning-timed-out" && timeline.provisioningDeadline !== undefined) {
    return (
      <p className="text-sm text-amber-200">
        The provisioning deadline passed {formatRelative(timeline.provisioningDeadline, now)}.
      </p>
    );
  }
  const runway = bookingRunway(booking, now);
  const autoRenew = booking.renewalPolicy?.active === true;
  if (runway.state === "running" && runway.fundedUntil !== undefined) {
    const warning = WARNINGS.find((candidate) => candidate.level === runway.warning);
    return (
      <div className="space-y-1 text-sm" data-testid="runway">
        <p>
          Funded until {formatDate(runway.fundedUntil)}:{" "}
          <span data-testid="seconds-left">{formatDuration(runway.secondsLeft)}</span> left
          {autoRenew ? "; auto-renew is on" : ""}.
        </p>
        {warning ? (
          <p role="alert" className="text-amber-200" data-testid="runway-warning" data-level={warning.level}>
            Ends within {warning.label}.{" "}
            {autoRenew
              ? "Auto-renew renews it in its last part if the price, budget and funds allow (below)."
              : `Extend it or turn on auto-renew to keep it running; otherwise it is suspended at its end and deprovisioned ${
                  booking.graceEndsAt
                    ? `after a grace of ${formatDuration(Number(booking.graceEndsAt) - runway.fundedUntil)}`
                    : "after its grace"
                }.`}
          </p>
        ) : null}
      </div>
    );
  }
  if (runway.state === "grace" && runway.graceEndsAt !== undefined) {
    return (
      <p role="alert" className="text-sm text-amber-200" data-testid="grace">
        Suspended — extend before {formatDate(runway.graceEndsAt)} to resume (
        <span data-testid="seconds-left">{formatDuration(runway.secondsLeft)}</span> left). The paid time ran out{" "}
        {formatRelative(runway.fundedUntil!, now)}: nothing is billed while it is suspended, and its data is kept until
        then.
      </p>
    );
  }
  if (timeline.phase === "ended" && booking.endsAt) {
    return (
      <p className="text-sm">
        Billing ended {formatRelative(booking.endsAt, now)}
        {runway.graceEndsAt !== undefined && runway.graceEndsAt > Number(booking.endsAt)
          ? `; its grace ended ${formatRelative(runway.graceEndsAt, now)}`
          : ""}
        .
      </p>
    );
  }
  if (booking.endedInGrace) {
    return (
      <p className="text-sm text-slate-300" data-testid="ended-in-grace">
        Its paid time ended without an extension: it was suspended for its grace, then deprovisioned.
      </p>
    );
  }
  return null;
}

function Money({ money, amount, open }: { money: MoneyBreakdown; amount: (value: bigint) => string; open: boolean }) {
  const rows: [string, bigint, boolean][] = [
    ["Paid into escrow", money.paid, true],
    ["Streamed to the provider", money.streamed, true],
    ["Refunded (unused time)", money.refundedUnused, money.refundedUnused > 0n],
    ["SLA credits", money.slaCredits, true],
    ["Compensation from the provider's bond", money.slashed, money.slashed > 0n],
    ["Remaining in escrow", money.remaining, open],
  ];
  const percent = money.paid > 0n ? Number((money.streamed * 1000n) / money.paid) / 10 : 0;
  return (
    <section className="space-y-2">
      <h3 className="font-medium">Money</h3>
      <dl className="grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
        {rows
          .filter(([, , shown]) => shown)
          .map(([label, value]) => (
            <div key={label} className="contents">
              <dt className="text-slate-400">{label}</dt>
              <dd className="mb-1 sm:mb-0">{amount(value)}</dd>
            </div>
          ))}
      </dl>
      {open ? (
        <div
          role="progressbar"
          aria-label="Share of the payment streamed"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          className="h-2 overflow-hidden rounded bg-slate-800"
        >
          <div className="h-full bg-emerald-500" style={{ width: `${percent}%` }} />
        </div>
      ) : null}
    </section>
  );
}

function SlaPeriods({ booking, amount }: { booking: BookingItem; amount: (value: bigint) => string }) {
  const reports = booking.slaReports;
  return (
    <section className="space-y-2">
      <h3 className="font-medium">SLA periods</h3>
      <p className="text-sm text-slate-400">
        Target uptime {formatBps(booking.resource.uptimeTargetBps)} per period · {booking.slaPeriodsSettled} reported,{" "}
        {booking.slaPeriodsViolated} violated
      </p>
      {reports.length === 0 ? (
        <p className="text-sm text-slate-400">
          {booking.startedAt ? "No period has been reported yet." : "Periods are measured once the booking is active."}
        </p>
      ) : (
        <div className="max-h-64 overflow-auto">
          <table className="w-full text-left text-sm">
            <thead className="text-slate-400">
              <tr>
                <th scope="col" className="pr-2 font-normal">
                  Period
                </th>
                <th scope="col" className="pr-2 font-normal">
                  Uptime
                </th>
                <th scope="col" className="pr-2 font-normal">
                  p95 latency
                </th>
                <th scope="col" className="pr-2 font-normal">
                  Result
                </th>
                <th scope="col" className="font-normal">
                  Credit
                </th>
              </tr>
            </thead>
            <tbody>
              {reports.map((report) => (
                <tr key={report.id}>
                  <td className="pr-2">{report.period + 1}</td>
                  <td className="pr-2">{formatBps(report.uptimeBps)}</td>
                  <td className="pr-2">{report.p95LatencyMs} ms</td>
                  <td className={`pr-2 ${report.compliant ? "text-emerald-300" : "text-rose-300"}`}>
                    {report.compliant ? "Compliant" : "Violated"}
                  </td>
                  <td>
                    {BigInt(report.credit) > 0n
                      ? `${amount(BigInt(report.credit))} (${formatBps(report.creditBps)})`
                      : "–"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
