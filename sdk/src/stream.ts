/**
 * Payment streams, as EscrowManager runs them (contracts/libraries/StreamMath.sol): a booking's
 * payment streams linearly from the moment billing starts over the booked hours, may be stopped
 * early, and is cut into fixed-length SLA periods counted from the start. Every client that shows or
 * acts on streamed value (the dApp's bookings and earnings, the oracle node's period reports)
 * computes it here, so that all of them agree with the contract to the last unit.
 *
 * The first functions mirror the Solidity library one for one (offsets in seconds from the stream's
 * start, bigints, rounding down); test/libraries/StreamMath.property.test.ts checks them against
 * the library itself. The rest apply them to a booking as the subgraph and the oracle node record it.
 */

/** Seconds a booking streams over: its booked hours (EscrowManager's `hoursBooked * 1 hours`). */
export function streamDurationSeconds(hoursBooked: number | bigint): bigint {
  return BigInt(hoursBooked) * 3_600n;
}

/** StreamMath.streamed: value streamed after `elapsed` seconds, rounded down. */
export function streamed(amount: bigint, elapsed: bigint, durationSeconds: bigint): bigint {
  if (elapsed >= durationSeconds) return amount;
  return (amount * elapsed) / durationSeconds;
}

/** StreamMath.periodCount: SLA periods in `activeSeconds` (the last one may be shorter). */
export function periodCount(activeSeconds: bigint, periodSeconds: bigint): bigint {
  return (activeSeconds + periodSeconds - 1n) / periodSeconds;
}

/** StreamMath.periodEnd: offset at which `period` ends. */
export function periodEnd(period: bigint, periodSeconds: bigint, activeSeconds: bigint): bigint {
  const end = (period + 1n) * periodSeconds;
  return end < activeSeconds ? end : activeSeconds;
}

/** StreamMath.periodValue: what streamed between the start and the end of `period`. */
export function periodValue(
  amount: bigint,
  durationSeconds: bigint,
  period: bigint,
  periodSeconds: bigint,
  activeSeconds: bigint,
): bigint {
  return (
    streamed(amount, periodEnd(period, periodSeconds, activeSeconds), durationSeconds) -
    streamed(amount, period * periodSeconds, durationSeconds)
  );
}

/**
 * StreamMath.unlockedUntil: offset up to which streamed value is final and may be paid out: through
 * the last settled period, or through the last period whose report window has closed.
 */
export function unlockedUntil(
  settledPeriods: bigint,
  periodSeconds: bigint,
  activeSeconds: bigint,
  nowOffset: bigint,
  reportWindowSeconds: bigint,
): bigint {
  let settledEnd = settledPeriods * periodSeconds;
  if (settledEnd > activeSeconds) settledEnd = activeSeconds;
  if (nowOffset < reportWindowSeconds) return settledEnd;
  const closed = nowOffset - reportWindowSeconds;
  const closedEnd = closed >= activeSeconds ? activeSeconds : (closed / periodSeconds) * periodSeconds;
  return closedEnd > settledEnd ? closedEnd : settledEnd;
}

/** A booking's stream as the subgraph records it: times in unix seconds, amounts in the token's units. */
export interface BookingStream {
  amount: bigint;
  hoursBooked: number;
  /** When billing started; unset before provisioning (and for a booking cancelled before it). */
  startedAt?: bigint | null;
  /** When the stream ends: the booked end, moved later by extensions, earlier by an early termination. */
  endsAt?: bigint | null;
  /**
   * The booking's extensions, oldest first (the subgraph's BookingExtension): each one made while
   * billing ran streams after the end it extended, at its own rate; one made in the grace after that
   * end resumed the stream and streams from then on (nothing streams in the gap). `amount` and
   * `hours` are included in the booking's; `endsAt` is unset for one made before provisioning.
   */
  extensions?: readonly { amount: bigint; hours: number; endsAt?: bigint | null }[];
}

/**
 * Where an extension of a running stream begins (EscrowManager's Boundary): an offset and the value
 * streamed by then. A resume from grace is two boundaries with the same value: the old end and the resume.
 */
export interface StreamBoundary {
  offset: bigint;
  valueBefore: bigint;
}

/** Seconds a stream spent suspended in its grace: between two boundaries with the same value. */
export function streamGapSeconds(boundaries: readonly StreamBoundary[]): bigint {
  let gaps = 0n;
  for (let i = 1; i < boundaries.length; i++) {
    if (boundaries[i]!.valueBefore === boundaries[i - 1]!.valueBefore)
      gaps += boundaries[i]!.offset - boundaries[i - 1]!.offset;
  }
  return gaps;
}

/**
 * EscrowManager._streamedAt: value streamed `offset` seconds after the start of a stream of
 * `amount` over `durationSeconds` (the booked hours), linear between the boundaries of its
 * extensions; its last piece ends the booked hours plus its gaps after the start.
 */
export function streamedPiecewise(
  amount: bigint,
  offset: bigint,
  durationSeconds: bigint,
  boundaries: readonly StreamBoundary[],
): bigint {
  const next = boundaries.findIndex((b) => b.offset > offset);
  const index = next < 0 ? boundaries.length : next;
  const from = index === 0 ? { offset: 0n, valueBefore: 0n } : boundaries[index - 1]!;
  const end = durationSeconds + streamGapSeconds(boundaries);
  const to = index === boundaries.length ? { offset: end, valueBefore: amount } : boundaries[index]!;
  return from.valueBefore + streamed(to.valueBefore - from.valueBefore, offset - from.offset, to.offset - from.offset);
}

/**
 * The boundaries of a booking's stream, from its extensions made while billing ran: each starts
 * at the end it extended, and one that starts later resumed the stream from its grace (a gap).
 */
export function streamBoundaries(booking: BookingStream): StreamBoundary[] {
  if (booking.startedAt == null) return [];
  const startedAt = booking.startedAt;
  const running = (booking.extensions ?? []).filter((e) => e.endsAt != null);
  // Before the first running extension, the stream ran its other hours without a gap.
  let end = startedAt + streamDurationSeconds(booking.hoursBooked - running.reduce((h, e) => h + e.hours, 0));
  let value = booking.amount - running.reduce((sum, e) => sum + e.amount, 0n);
  const boundaries: StreamBoundary[] = [];
  for (const extension of running) {
    const from = extension.endsAt! - streamDurationSeconds(extension.hours);
    boundaries.push({ offset: end - startedAt, valueBefore: value });
    if (from > end) boundaries.push({ offset: from - startedAt, valueBefore: value });
    value += extension.amount;
    end = extension.endsAt!;
  }
  return boundaries;
}

/** Value of a booking streamed to its provider by `now` (before SLA credits and the fee): 0 before billing starts. */
export function streamedAt(booking: BookingStream, now: bigint): bigint {
  if (booking.startedAt == null) return 0n;
  const until = booking.endsAt != null && booking.endsAt < now ? booking.endsAt : now;
  if (until <= booking.startedAt) return 0n;
  return streamedPiecewise(
    booking.amount,
    until - booking.startedAt,
    streamDurationSeconds(booking.hoursBooked),
    streamBoundaries(booking),
  );
}

/** What a booking's provider and consumer have received from the escrow, as the subgraph sums it. */
export interface BookingLedger extends BookingStream {
  /** Gross earnings the provider withdrew (the protocol fee included). */
  withdrawn: bigint;
  /** SLA credits moved from the provider's accrual to the consumer. */
  slaCredits: bigint;
}

/**
 * Streamed to the provider and neither withdrawn nor credited back to the consumer: what the
 * provider is still owed, before the protocol fee (the escrow's `streamed - debited` once every
 * period is final). SLA credits count once: the subgraph's `refunded` includes them, so it is not
 * used here.
 */
export function providerAccrued(booking: BookingLedger, now: bigint): bigint {
  const open = streamedAt(booking, now) - booking.slaCredits - booking.withdrawn;
  return open > 0n ? open : 0n;
}

/** SLA periods of a stream that runs from `startedAt` to `endsAt` (unix seconds). */
export function streamPeriodCount(startedAt: number, endsAt: number, periodSeconds: number): number {
  return Number(periodCount(BigInt(endsAt - startedAt), BigInt(periodSeconds)));
}

/** Start and end (unix seconds) of `period` of a stream that runs from `startedAt` to `endsAt`. */
export function streamPeriodBounds(
  startedAt: number,
  endsAt: number,
  periodSeconds: number,
  period: number,
): { start: number; end: number } {
  const end = periodEnd(BigInt(period), BigInt(periodSeconds), BigInt(endsAt - startedAt));
  return { start: startedAt + period * periodSeconds, end: startedAt + Number(end) };
}
