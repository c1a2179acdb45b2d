import { Address, ethereum, log } from "@graphprotocol/graph-ts";

import {
  BookingRenewed,
  RenewalBalanceDeposited,
  RenewalBalanceWithdrawn,
  RenewalPolicyCancelled,
  RenewalPolicySet,
  RenewalSettingsUpdated,
  RenewalSkipped,
} from "../generated/BookingRenewals/BookingRenewals";
import { Booking, BookingExtension, Renewal, RenewalPolicy, RenewalSkip } from "../generated/schema";
import { RENEWAL_SKIP_REASON_NAMES } from "./common/constants";
import {
  bookingUsd,
  getAccount,
  getPaymentToken,
  getProtocol,
  loadBooking,
  recordBookingEvent,
  usd,
} from "./common/entities";
import { eventId, extensionId } from "./common/ids";
import { recordSkipReason } from "./common/renewals";
import { MarketDelta, ProviderDelta, recordMarket, recordProvider } from "./common/stats";

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/** A consumer set (or replaced) a booking's renewal policy: the budget starts afresh. */
export function handleRenewalPolicySet(event: RenewalPolicySet): void {
  const params = event.params;
  const booking = loadBooking(params.bookingId, "RenewalPolicySet");
  if (booking == null) return;
  let policy = RenewalPolicy.load(booking.id);
  if (policy == null) {
    policy = new RenewalPolicy(booking.id);
    policy.booking = booking.id;
  }
  policy.consumer = getAccount(params.consumer).id;
  policy.active = true;
  policy.hoursPerRenewal = params.hoursPerRenewal;
  policy.maxPricePerHourUsdE8 = params.maxPricePerHourUsdE8;
  policy.maxPricePerHourUsd = usd(params.maxPricePerHourUsdE8);
  policy.token = getPaymentToken(params.token).id;
  policy.budget = params.budget;
  policy.budgetLeft = params.budget;
  policy.renewalCount = 0;
  policy.setAt = event.block.timestamp;
  policy.cancelledAt = null;
  policy.updatedAt = event.block.timestamp;
  policy.save();
  booking.renewalPolicy = policy.id;
  booking.save();
  recordBookingEvent(event, booking.id, "RENEWAL_POLICY_SET", params.consumer);
}

export function handleRenewalPolicyCancelled(event: RenewalPolicyCancelled): void {
  const params = event.params;
  const booking = loadBooking(params.bookingId, "RenewalPolicyCancelled");
  if (booking == null) return;
  const policy = RenewalPolicy.load(booking.id);
  if (policy != null) {
    policy.active = false;
    policy.cancelledAt = event.block.timestamp;
    policy.updatedAt = event.block.timestamp;
    policy.save();
  }
  booking.renewalPolicy = null;
  booking.save();
  recordBookingEvent(event, booking.id, "RENEWAL_POLICY_CANCELLED", params.consumer);
}

// ---------------------------------------------------------------------------------------------
// Renewals
// ---------------------------------------------------------------------------------------------

/** The extension the marketplace just made in `event`'s transaction (its BookingExtended came first). */
function extensionOf(booking: Booking, event: ethereum.Event): BookingExtension | null {
  if (booking.extensionCount == 0) return null;
  const extension = BookingExtension.load(extensionId(booking.id, booking.extensionCount - 1));
  if (extension == null || !extension.transactionHash.equals(event.transaction.hash)) return null;
  return extension;
}

/**
 * A booking renewed by its policy. The marketplace's BookingExtended (hours, end, USD value) and the
 * escrow's deposit, and any resume from grace, came before it in the same transaction.
 */
export function handleBookingRenewed(event: BookingRenewed): void {
  const params = event.params;
  const booking = loadBooking(params.bookingId, "BookingRenewed");
  if (booking == null) return;
  const renewal = new Renewal(eventId(event));
  renewal.booking = booking.id;
  renewal.provider = booking.provider;
  renewal.consumer = getAccount(params.consumer).id;
  renewal.caller = getAccount(params.caller).id;
  renewal.hours = params.hoursRenewed;
  renewal.amount = params.amount;
  renewal.tip = params.tip;
  renewal.budgetLeft = params.budgetLeft;
  renewal.endsAt = params.endsAt;
  renewal.timestamp = event.block.timestamp;
  renewal.blockNumber = event.block.number;
  renewal.transactionHash = event.transaction.hash;
  const extension = extensionOf(booking, event);
  if (extension != null) {
    renewal.extension = extension.id;
    renewal.amountUsd = extension.amountUsd;
    renewal.resumed = extension.resumed;
    extension.renewal = renewal.id;
    extension.save();
  } else {
    log.warning("BookingRenewed without its extension for booking {}", [booking.id.toString()]);
    renewal.amountUsd = bookingUsd(booking, params.amount);
    renewal.resumed = false;
  }
  renewal.save();

  booking.renewalCount += 1;
  booking.hoursRenewed += params.hoursRenewed;
  booking.save();
  const policy = RenewalPolicy.load(booking.id);
  if (policy != null) {
    policy.budgetLeft = params.budgetLeft;
    policy.renewalCount += 1;
    policy.updatedAt = event.block.timestamp;
    policy.save();
  }
  // Native-currency renewals (and their tips) are paid from the consumer's renewal balance here.
  if (booking.token.equals(Address.zero())) {
    const consumer = getAccount(params.consumer);
    consumer.renewalBalance = consumer.renewalBalance.minus(params.amount).minus(params.tip);
    consumer.save();
  }

  const delta = new MarketDelta();
  delta.renewals = 1;
  delta.hoursRenewed = params.hoursRenewed;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.renewals = 1;
  providerDelta.hoursRenewed = params.hoursRenewed;
  recordProvider(Address.fromBytes(booking.provider), event.block.timestamp, providerDelta);
  recordBookingEvent(event, booking.id, "RENEWED", params.caller);
}

/** A call of `renew` that renewed nothing, and why; calls for bookings this subgraph has not seen are ignored. */
export function handleRenewalSkipped(event: RenewalSkipped): void {
  const params = event.params;
  const booking = loadBooking(params.bookingId, "RenewalSkipped");
  if (booking == null) return;
  const index = params.reason;
  if (index >= RENEWAL_SKIP_REASON_NAMES.length) {
    log.warning("RenewalSkipped with unknown reason {} for booking {}: ignored", [
      index.toString(),
      booking.id.toString(),
    ]);
    return;
  }
  const reason = RENEWAL_SKIP_REASON_NAMES[index];
  const skip = new RenewalSkip(eventId(event));
  skip.booking = booking.id;
  skip.caller = params.caller;
  skip.reason = reason;
  skip.timestamp = event.block.timestamp;
  skip.blockNumber = event.block.number;
  skip.transactionHash = event.transaction.hash;
  skip.save();

  const provider = Address.fromBytes(booking.provider);
  recordSkipReason(index, reason, provider);
  const delta = new MarketDelta();
  delta.renewalSkips = 1;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.renewalSkips = 1;
  recordProvider(provider, event.block.timestamp, providerDelta);
}

// ---------------------------------------------------------------------------------------------
// Renewal balances and settings
// ---------------------------------------------------------------------------------------------

export function handleRenewalBalanceDeposited(event: RenewalBalanceDeposited): void {
  const account = getAccount(event.params.account);
  account.renewalBalance = account.renewalBalance.plus(event.params.amount);
  account.renewalBalanceDeposited = account.renewalBalanceDeposited.plus(event.params.amount);
  account.save();
}

export function handleRenewalBalanceWithdrawn(event: RenewalBalanceWithdrawn): void {
  const account = getAccount(event.params.account);
  account.renewalBalance = account.renewalBalance.minus(event.params.amount);
  account.renewalBalanceWithdrawn = account.renewalBalanceWithdrawn.plus(event.params.amount);
  account.save();
}

export function handleRenewalSettingsUpdated(event: RenewalSettingsUpdated): void {
  const protocol = getProtocol();
  protocol.renewalWindowSeconds = event.params.windowSeconds;
  protocol.renewalTipBps = event.params.tipBps;
  protocol.save();
}
