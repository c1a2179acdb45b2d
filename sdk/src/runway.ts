/**
 * The rules of a booking's runway, pure so that every client applies the same ones: where a
 * booking stands with its funding (running, in grace, lapsed), when its renewal window opens, and
 * what would rule its next renewal out, checked in BookingRenewals' own order.
 */
import type { RENEWAL_SKIP_REASON_NAMES } from "./generated/protocol.ts";

export type RenewalSkipReasonName = (typeof RENEWAL_SKIP_REASON_NAMES)[number];

/** Why a renewal is ruled out, in words (the reasons of BookingRenewals' RenewalSkipped). */
export const RENEWAL_SKIP_MESSAGES: Record<RenewalSkipReasonName, string> = {
  NO_POLICY: "The booking has no renewal policy.",
  NOT_IN_WINDOW: "The booking is not within its renewal window yet, or its grace is over.",
  BOOKING_NOT_RENEWABLE:
    "The booking cannot be extended now: it is not running, or its resource is not listed, its hours exceed the resource's maximum, the provider's bond does not cover it, the marketplace is paused or the token has no price.",
  PRICE_ABOVE_MAXIMUM: "The resource's price per hour is above the policy's maximum.",
  BUDGET_EXHAUSTED: "The renewal and its tip would exceed what is left of the policy's budget.",
  INSUFFICIENT_ALLOWANCE:
    "The consumer's allowance does not cover the renewal (to the EscrowManager) or its tip (to BookingRenewals).",
  INSUFFICIENT_BALANCE:
    "The consumer's balance (the ETH renewal balance, or the token balance) does not cover the renewal and its tip.",
};

/**
 * Where a booking stands with its funding:
 * - `requested`: not provisioned yet, billing has not started;
 * - `running`: funded until `fundedUntil`;
 * - `grace`: past `fundedUntil`, suspended and billed nothing until `graceEndsAt`; an extension or
 *   a renewal resumes it, billed from then;
 * - `lapsed`: its grace is over; it awaits completion and deprovisioning;
 * - `closed`: completed, cancelled or terminated.
 */
export type RunwayState = "requested" | "running" | "grace" | "lapsed" | "closed";

/** The runway state at `now` (unix seconds) of a booking in `phase`, funded until `fundedUntil`. */
export function runwayState(
  phase: "requested" | "active" | "closed",
  fundedUntil: number | null,
  graceEndsAt: number | null,
  now: number,
): RunwayState {
  if (phase !== "active") return phase;
  if (fundedUntil === null || now < fundedUntil) return "running";
  return graceEndsAt !== null && now < graceEndsAt ? "grace" : "lapsed";
}

/**
 * How long before its end a booking with a policy may be renewed: the DAO's window, but never more
 * than one renewal's hours, so that one renewal always takes the booking out of the window.
 */
export function renewalWindowSeconds(windowSeconds: number, hoursPerRenewal: number): number {
  return Math.min(windowSeconds, hoursPerRenewal * 3_600);
}

/** The caller's tip on a renewal of `amount`, as BookingRenewals takes it (rounded down). */
export function renewalTip(amount: bigint, tipBps: number): bigint {
  return (amount * BigInt(tipBps)) / 10_000n;
}

export interface RenewalFunds {
  /** The resource's price per hour now and the policy's maximum, USD with 8 decimals. */
  pricePerHourUsdE8: bigint;
  maxPricePerHourUsdE8: bigint;
  /** The renewal's price in the booking's token (0: the token has no price now). */
  amount: bigint;
  tip: bigint;
  /** What the policy may still spend. */
  budgetLeft: bigint;
  /** ERC-20 only: the consumer's allowance to the EscrowManager, which takes the amount. */
  allowance?: bigint;
  /** ERC-20 with a tip only: the consumer's allowance to BookingRenewals, which takes the tip. */
  tipAllowance?: bigint;
  /** The consumer's token balance (ERC-20) or ETH renewal balance. */
  balance: bigint;
}

/** What would rule a renewal out at these figures, in `renew`'s order after its window check; null if nothing. */
export function renewalBlockedBy(funds: RenewalFunds): RenewalSkipReasonName | null {
  const cost = funds.amount + funds.tip;
  if (funds.pricePerHourUsdE8 > funds.maxPricePerHourUsdE8) return "PRICE_ABOVE_MAXIMUM";
  if (funds.amount === 0n) return "BOOKING_NOT_RENEWABLE";
  if (cost > funds.budgetLeft) return "BUDGET_EXHAUSTED";
  if (
    (funds.allowance !== undefined && funds.allowance < funds.amount) ||
    (funds.tipAllowance !== undefined && funds.tipAllowance < funds.tip)
  ) {
    return "INSUFFICIENT_ALLOWANCE";
  }
  if (funds.balance < cost) return "INSUFFICIENT_BALANCE";
  return null;
}
