/**
 * Where a booking's money stands, in the booking's token (exact bigints) and in USD at the rate
 * fixed when it was booked. What has streamed comes from the sdk's stream maths (EscrowManager's).
 */
import { streamedAt } from "@d-cloudx/sdk/stream";

import type { BookingStatus } from "./timeline.ts";

export interface MoneyBooking {
  status: BookingStatus;
  hoursBooked: number;
  amount: string;
  usdValueE8: string;
  startedAt?: string | null;
  endsAt?: string | null;
  /** Its extensions, oldest first: each one made while billing ran streams at its own rate. */
  extensions?: readonly { hours: number; amount: string; endsAt?: string | null }[];
  /** Everything credited to the consumer: unused time and SLA credits. */
  refunded: string;
  slaCredits: string;
  /** Compensation from the provider's bond. */
  slashed: string;
}

export interface MoneyBreakdown {
  paid: bigint;
  /** Streamed to the provider so far (before SLA credits). */
  streamed: bigint;
  /** Refunded for time that was never used (cancellation or early termination). */
  refundedUnused: bigint;
  slaCredits: bigint;
  slashed: bigint;
  /** Still in escrow and not yet streamed: what a cancellation or termination now would refund. */
  remaining: bigint;
  /** What the booking has cost so far: streamed less SLA credits, less bond compensation. */
  netCost: bigint;
}

export function moneyBreakdown(booking: MoneyBooking, now: number): MoneyBreakdown {
  const paid = BigInt(booking.amount);
  const refunded = BigInt(booking.refunded);
  const slaCredits = BigInt(booking.slaCredits);
  const slashed = BigInt(booking.slashed);
  const streamed =
    booking.status === "CANCELLED" || booking.status === "REQUESTED"
      ? 0n
      : streamedAt(
          {
            amount: paid,
            hoursBooked: booking.hoursBooked,
            startedAt: booking.startedAt == null ? null : BigInt(booking.startedAt),
            endsAt: booking.endsAt == null ? null : BigInt(booking.endsAt),
            extensions: booking.extensions?.map((e) => ({
              hours: e.hours,
              amount: BigInt(e.amount),
              endsAt: e.endsAt == null ? null : BigInt(e.endsAt),
            })),
          },
          BigInt(now),
        );
  const open = booking.status === "REQUESTED" || booking.status === "ACTIVE";
  const refundedUnused = refunded > slaCredits ? refunded - slaCredits : 0n;
  return {
    paid,
    streamed,
    refundedUnused,
    slaCredits,
    slashed,
    remaining: open ? paid - streamed : 0n,
    netCost: streamed - slaCredits - slashed,
  };
}

/** A token amount of the booking in USD with 8 decimals, at the booking's own rate. */
export function bookingUsdE8(booking: Pick<MoneyBooking, "amount" | "usdValueE8">, value: bigint): bigint {
  const amount = BigInt(booking.amount);
  return amount === 0n ? 0n : (BigInt(booking.usdValueE8) * value) / amount;
}
