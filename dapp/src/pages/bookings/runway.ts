/**
 * A booking's runway as the dashboard shows it: until when it is funded, its grace, and the
 * warnings before its end (24 h and 1 h). The state rules are the sdk's (`runwayState`); the
 * figures come from the subgraph's Booking.
 */
import { type RunwayState, renewalTip, runwayState } from "@d-cloudx/sdk/runway";

import { DEFAULT_SLIPPAGE, maxPayment, parseSlippageBps } from "../resource/booking.ts";

import type { BookingStatus } from "./timeline.ts";

/** Warnings before a booking's end, the nearest first. */
export const WARNINGS = [
  { level: "hour", seconds: 3_600, label: "1 hour" },
  { level: "day", seconds: 24 * 3_600, label: "24 hours" },
] as const;
export type WarningLevel = (typeof WARNINGS)[number]["level"];

export interface RunwayBooking {
  status: BookingStatus;
  endsAt?: string | null;
  graceEndsAt?: string | null;
}

export interface BookingRunway {
  state: RunwayState;
  /** Funded until (unix seconds), once provisioned. */
  fundedUntil?: number;
  graceEndsAt?: number;
  /** Running: seconds of paid time left; in grace: seconds until the grace ends. */
  secondsLeft: number;
  /** Running and within 24 h or 1 h of its end: the nearest threshold crossed. */
  warning?: WarningLevel;
}

const seconds = (value: string | null | undefined) => (value == null ? undefined : Number(value));

export function bookingRunway(booking: RunwayBooking, now: number): BookingRunway {
  const fundedUntil = seconds(booking.endsAt);
  const graceEndsAt = seconds(booking.graceEndsAt);
  const phase = booking.status === "REQUESTED" ? "requested" : booking.status === "ACTIVE" ? "active" : "closed";
  const state = runwayState(phase, fundedUntil ?? null, graceEndsAt ?? null, now);
  const until = state === "running" ? fundedUntil : state === "grace" ? graceEndsAt : undefined;
  const secondsLeft = until === undefined ? 0 : Math.max(0, until - now);
  const warning =
    state === "running" && fundedUntil !== undefined
      ? WARNINGS.find((warning) => secondsLeft <= warning.seconds)?.level
      : undefined;
  return { state, fundedUntil, graceEndsAt, secondsLeft, warning };
}

/**
 * The alert a runway calls for, with a key that stays the same while it holds: a browser
 * notification is shown once per key (a renewal or an extension moves the end, and so the key).
 */
export function runwayAlert(
  bookingId: string,
  runway: BookingRunway,
): { key: string; title: string; body: string } | undefined {
  if (runway.state === "grace") {
    return {
      key: `${bookingId}-grace-${runway.fundedUntil}`,
      title: `Booking #${bookingId} is suspended`,
      body: "Its paid time ran out: extend it before its grace ends to resume it, or it is deprovisioned.",
    };
  }
  const warning = WARNINGS.find((candidate) => candidate.level === runway.warning);
  if (!warning) return undefined;
  return {
    key: `${bookingId}-${warning.level}-${runway.fundedUntil}`,
    title: `Booking #${bookingId} ends within ${warning.label}`,
    body: "Extend it or turn on auto-renew to keep it running.",
  };
}

const SLIPPAGE = parseSlippageBps(DEFAULT_SLIPPAGE);

/**
 * An auto-renew budget for `renewals` renewals quoted at `amount` each today: each with the booking
 * form's slippage margin (the price may move) and the renewer's tip on top.
 */
export function renewalBudget(amount: bigint, renewals: number, tipBps: number): bigint {
  const most = SLIPPAGE.ok ? maxPayment(amount, SLIPPAGE.value) : amount;
  return BigInt(renewals) * (most + renewalTip(most, tipBps));
}
