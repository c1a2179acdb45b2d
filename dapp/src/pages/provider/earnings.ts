/** A provider's earnings per token, from the subgraph's bookings and the escrow's withdrawable amounts. */

export interface EarningBooking {
  id: string;
  status: string;
  token: { id: string };
  amount: string;
  withdrawn: string;
  refunded: string;
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

/** What of a booking's payment has streamed to the provider by `now` (seconds). */
export function streamed(booking: EarningBooking, now: number): bigint {
  const amount = BigInt(booking.amount);
  if (booking.status === "COMPLETED" || booking.status === "TERMINATED") return amount - BigInt(booking.refunded);
  if (booking.status !== "ACTIVE" || !booking.startedAt || !booking.endsAt) return 0n;
  const start = BigInt(booking.startedAt);
  const duration = BigInt(booking.endsAt) - start;
  if (duration <= 0n) return amount;
  const elapsed = BigInt(Math.floor(now)) - start;
  const clamped = elapsed < 0n ? 0n : elapsed > duration ? duration : elapsed;
  return (amount * clamped) / duration;
}

/** Sums per token; `withdrawable` holds the escrow's answer per booking id (missing: not read yet). */
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
    const open = streamed(booking, now) - withdrawn - BigInt(booking.slaCredits);
    entry.accrued += open > 0n ? open : 0n;
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
