/** A provider's earnings per token, from the subgraph's bookings and the escrow's withdrawable amounts. */
import { providerAccrued } from "@d-cloudx/sdk/stream";

/** A booking as the EarningBookings query returns it. */
export interface EarningBooking {
  id: string;
  token: { id: string };
  hoursBooked: number;
  amount: string;
  withdrawn: string;
  slaCredits: string;
  startedAt?: string | null;
  endsAt?: string | null;
}

export interface TokenEarnings {
  token: string;
  /** Streamed to the provider so far and not yet withdrawn, less SLA credits (before the protocol fee). */
  accrued: bigint;
  /** What the escrow lets the provider withdraw now (settled periods), before the fee. */
  withdrawable: bigint;
  withdrawn: bigint;
  /** Bookings with something withdrawable now. */
  bookingIds: bigint[];
}

/** Sums per token at `now` (seconds); `withdrawable` holds the escrow's answer per booking id (missing: not read yet). */
export function earningsByToken(
  bookings: readonly EarningBooking[],
  withdrawable: ReadonlyMap<string, bigint>,
  now: number,
): TokenEarnings[] {
  const byToken = new Map<string, TokenEarnings>();
  for (const booking of bookings) {
    const token = booking.token.id.toLowerCase();
    const entry = byToken.get(token) ?? { token, accrued: 0n, withdrawable: 0n, withdrawn: 0n, bookingIds: [] };
    const withdrawn = BigInt(booking.withdrawn);
    entry.accrued += providerAccrued(
      {
        amount: BigInt(booking.amount),
        hoursBooked: booking.hoursBooked,
        startedAt: booking.startedAt == null ? null : BigInt(booking.startedAt),
        endsAt: booking.endsAt == null ? null : BigInt(booking.endsAt),
        withdrawn,
        slaCredits: BigInt(booking.slaCredits),
      },
      BigInt(Math.floor(now)),
    );
    entry.withdrawn += withdrawn;
    const ready = withdrawable.get(booking.id) ?? 0n;
    if (ready > 0n) {
      entry.withdrawable += ready;
      entry.bookingIds.push(BigInt(booking.id));
    }
    byToken.set(token, entry);
  }
  return [...byToken.values()];
}

/** A token amount typed by the user, in the token's smallest unit; undefined when unreadable, zero or over-precise. */
export function parseTokenAmount(text: string, decimals: number): bigint | undefined {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) return undefined;
  const amount = BigInt(match[1]! + fraction.padEnd(decimals, "0"));
  return amount > 0n ? amount : undefined;
}
