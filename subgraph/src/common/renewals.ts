/**
 * A booking's end and grace, and the counts of skipped renewals by reason: shared by the
 * marketplace's, the escrow's and BookingRenewals' handlers.
 */
import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";

import { Booking, BookingResumption, RenewalSkipCount } from "../../generated/schema";
import { MARKET_ID } from "./constants";
import { getProtocol, getProvider } from "./entities";

/** Zeroes a new booking's renewal and grace fields. */
export function initBookingRenewals(booking: Booking): void {
  booking.renewalCount = 0;
  booking.hoursRenewed = 0;
  booking.resumeCount = 0;
  booking.endedInGrace = false;
}

/** Sets a booking's end and the end of its grace after it, by the grace period in force now. */
export function setEndsAt(booking: Booking, endsAt: BigInt): void {
  booking.endsAt = endsAt;
  const grace = getProtocol().gracePeriodSeconds;
  booking.graceEndsAt = grace === null ? endsAt : endsAt.plus(grace);
}

/**
 * Whether a booking completed at `timestamp` ran out unfunded and was suspended in its grace
 * (and not resumed since): it ended at `endsAt` and had a grace after it.
 */
export function endedInGrace(booking: Booking, timestamp: BigInt): boolean {
  const endsAt = booking.endsAt;
  const graceEndsAt = booking.graceEndsAt;
  if (endsAt === null || graceEndsAt === null) return false;
  return timestamp.gt(endsAt) && graceEndsAt.gt(endsAt);
}

/** Whether the booking's latest resume from grace happened in `event`'s transaction. */
export function resumedIn(booking: Booking, event: ethereum.Event): boolean {
  const id = booking.lastResumption;
  if (id === null) return false;
  const resumption = BookingResumption.load(id);
  return resumption != null && resumption.transactionHash.equals(event.transaction.hash);
}

function countSkip(id: Bytes, reason: string, provider: Address | null): void {
  let count = RenewalSkipCount.load(id);
  if (count == null) {
    count = new RenewalSkipCount(id);
    if (provider === null) count.market = MARKET_ID;
    else count.provider = getProvider(provider).id;
    count.reason = reason;
    count.count = 0;
  }
  count.count += 1;
  count.save();
}

/** Counts a skipped renewal by reason, over the market and for the booking's provider. */
export function recordSkipReason(reasonIndex: i32, reason: string, provider: Address): void {
  countSkip(Bytes.fromI32(reasonIndex), reason, null);
  countSkip(provider.concatI32(reasonIndex), reason, provider);
}
