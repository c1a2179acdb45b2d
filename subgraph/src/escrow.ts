import { Address, BigInt, log } from "@graphprotocol/graph-ts";

import {
  BondDeposited,
  BondSlashed,
  BondUnbondingRequested,
  BondWithdrawn,
  CancellationFeeCredited,
  Claimed,
  ConsumerRefunded,
  Deposited,
  DepositIncreased,
  EarningsWithdrawn,
  GracePeriodUpdated,
  SettingsUpdated,
  StreamResumed,
} from "../generated/EscrowManager/EscrowManager";
import { Bond, Booking, BookingExtension, BookingResumption } from "../generated/schema";
import { REFUND_REASON_NAMES, ZERO, ZERO_USD } from "./common/constants";
import {
  bookingUsd,
  getAccount,
  getPaymentToken,
  getProtocol,
  getProvider,
  newMovement,
  recordBookingEvent,
} from "./common/entities";
import { bondId, eventId, extensionId } from "./common/ids";
import { resumedIn } from "./common/renewals";
import { MarketDelta, ProviderDelta, recordMarket, recordProvider } from "./common/stats";

function loadBooking(id: BigInt, eventName: string): Booking | null {
  const booking = Booking.load(id.toI64());
  if (booking == null) log.warning("{} for unknown booking {}", [eventName, id.toString()]);
  return booking;
}

/**
 * A booking's payment taken into escrow, right after its BookingRequested event: the booking's
 * token and amount are the escrow's record.
 */
export function handleDeposited(event: Deposited): void {
  const params = event.params;
  const movement = newMovement(event, "DEPOSIT", params.consumer, params.token, params.amount);
  const booking = loadBooking(params.bookingId, "Deposited");
  if (booking != null) {
    booking.token = getPaymentToken(params.token).id;
    booking.amount = params.amount;
    booking.save();
    movement.booking = booking.id;
    movement.provider = booking.provider;
    movement.amountUsd = booking.amountUsd;

    const token = getPaymentToken(params.token);
    token.bookingCount += 1;
    token.volume = token.volume.plus(params.amount);
    token.volumeUsd = token.volumeUsd.plus(booking.amountUsd);
    token.save();
  }
  movement.save();
}

/**
 * An extension's payment taken into escrow, just before its BookingExtended event (which adds its
 * hours and USD value).
 */
export function handleDepositIncreased(event: DepositIncreased): void {
  const params = event.params;
  const movement = newMovement(event, "DEPOSIT", params.consumer, params.token, params.amount);
  const booking = loadBooking(params.bookingId, "DepositIncreased");
  if (booking != null) {
    booking.amount = booking.amount.plus(params.amount);
    booking.save();
    const extension = new BookingExtension(extensionId(booking.id, booking.extensionCount));
    extension.booking = booking.id;
    extension.index = booking.extensionCount;
    extension.amount = params.amount;
    extension.hours = 0;
    extension.usdValueE8 = ZERO;
    extension.amountUsd = ZERO_USD;
    extension.hoursBooked = booking.hoursBooked;
    // A resume from grace (StreamResumed) comes just before its deposit.
    extension.resumed = resumedIn(booking, event);
    extension.timestamp = event.block.timestamp;
    extension.transactionHash = event.transaction.hash;
    extension.save();
    movement.booking = booking.id;
    movement.provider = booking.provider;
    const token = getPaymentToken(params.token);
    token.volume = token.volume.plus(params.amount);
    token.save();
  }
  movement.save();
}

/** A consumer cancelled late: the fee is credited to the provider, claimable with `claim`. */
export function handleCancellationFeeCredited(event: CancellationFeeCredited): void {
  const params = event.params;
  const movement = newMovement(event, "CANCELLATION_FEE", params.provider, params.token, params.amount);
  movement.provider = getProvider(params.provider).id;
  const booking = loadBooking(params.bookingId, "CancellationFeeCredited");
  if (booking != null) {
    booking.cancellationFee = booking.cancellationFee.plus(params.amount);
    booking.save();
    movement.booking = booking.id;
    movement.amountUsd = bookingUsd(booking, params.amount);
  }
  movement.save();
}

export function handleEarningsWithdrawn(event: EarningsWithdrawn): void {
  const params = event.params;
  const movement = newMovement(event, "EARNINGS_WITHDRAWAL", params.provider, params.token, params.gross);
  movement.provider = getProvider(params.provider).id;
  movement.fee = params.fee;
  movement.recipient = params.recipient;

  const booking = loadBooking(params.bookingId, "EarningsWithdrawn");
  if (booking != null) {
    const grossUsd = bookingUsd(booking, params.gross);
    const feeUsd = bookingUsd(booking, params.fee);
    booking.withdrawn = booking.withdrawn.plus(params.gross);
    booking.withdrawnUsd = booking.withdrawnUsd.plus(grossUsd);
    booking.fees = booking.fees.plus(params.fee);
    booking.save();
    movement.booking = booking.id;
    movement.amountUsd = grossUsd;

    const delta = new MarketDelta();
    delta.earningsUsd = grossUsd;
    delta.feesUsd = feeUsd;
    recordMarket(event.block.timestamp, delta);
    const providerDelta = new ProviderDelta();
    providerDelta.earningsUsd = grossUsd;
    providerDelta.feesUsd = feeUsd;
    recordProvider(params.provider, event.block.timestamp, providerDelta);
  }
  movement.save();
}

export function handleConsumerRefunded(event: ConsumerRefunded): void {
  const params = event.params;
  const movement = newMovement(event, "CONSUMER_REFUND", params.consumer, params.token, params.amount);
  const reason = params.reason;
  if (reason < REFUND_REASON_NAMES.length) movement.reason = REFUND_REASON_NAMES[reason];

  const booking = loadBooking(params.bookingId, "ConsumerRefunded");
  if (booking != null) {
    const amountUsd = bookingUsd(booking, params.amount);
    booking.refunded = booking.refunded.plus(params.amount);
    booking.refundedUsd = booking.refundedUsd.plus(amountUsd);
    booking.save();
    movement.booking = booking.id;
    movement.provider = booking.provider;
    movement.amountUsd = amountUsd;

    const consumer = getAccount(params.consumer);
    consumer.refundedUsd = consumer.refundedUsd.plus(amountUsd);
    consumer.save();
  }
  movement.save();
}

export function handleClaimed(event: Claimed): void {
  const movement = newMovement(event, "CLAIM", event.params.account, event.params.token, event.params.amount);
  movement.recipient = event.params.recipient;
  movement.save();
}

function min(a: BigInt, b: BigInt): BigInt {
  return a.lt(b) ? a : b;
}

function getBond(provider: Address, token: Address): Bond {
  const id = bondId(provider, token);
  let bond = Bond.load(id);
  if (bond == null) {
    bond = new Bond(id);
    bond.provider = getProvider(provider).id;
    bond.token = getPaymentToken(token).id;
    bond.amount = ZERO;
    bond.unbonding = ZERO;
    bond.totalDeposited = ZERO;
    bond.totalWithdrawn = ZERO;
    bond.totalSlashed = ZERO;
  }
  return bond;
}

export function handleBondDeposited(event: BondDeposited): void {
  const params = event.params;
  const bond = getBond(params.provider, params.token);
  bond.amount = bond.amount.plus(params.amount);
  bond.totalDeposited = bond.totalDeposited.plus(params.amount);
  bond.save();
  const movement = newMovement(event, "BOND_DEPOSIT", params.provider, params.token, params.amount);
  movement.provider = getProvider(params.provider).id;
  movement.save();
}

export function handleBondUnbondingRequested(event: BondUnbondingRequested): void {
  const params = event.params;
  const bond = getBond(params.provider, params.token);
  bond.amount = bond.amount.minus(params.amount);
  bond.unbonding = bond.unbonding.plus(params.amount);
  bond.unbondingAvailableAt = params.availableAt;
  bond.save();
  const movement = newMovement(event, "BOND_UNBONDING", params.provider, params.token, params.amount);
  movement.provider = getProvider(params.provider).id;
  movement.availableAt = params.availableAt;
  movement.save();
}

export function handleBondWithdrawn(event: BondWithdrawn): void {
  const params = event.params;
  const bond = getBond(params.provider, params.token);
  bond.unbonding = bond.unbonding.minus(params.amount);
  bond.totalWithdrawn = bond.totalWithdrawn.plus(params.amount);
  bond.save();
  const movement = newMovement(event, "BOND_WITHDRAWAL", params.provider, params.token, params.amount);
  movement.provider = getProvider(params.provider).id;
  movement.recipient = params.recipient;
  movement.save();
}

export function handleBondSlashed(event: BondSlashed): void {
  const params = event.params;
  // The escrow takes bonded funds first, then funds still unbonding.
  const bond = getBond(params.provider, params.token);
  const fromBond = min(params.amount, bond.amount);
  bond.amount = bond.amount.minus(fromBond);
  bond.unbonding = bond.unbonding.minus(min(params.amount.minus(fromBond), bond.unbonding));
  bond.totalSlashed = bond.totalSlashed.plus(params.amount);
  bond.save();

  // The slash is paid to the consumer: the movement is the consumer's.
  const movement = newMovement(event, "BOND_SLASH", params.consumer, params.token, params.amount);
  movement.provider = getProvider(params.provider).id;
  const booking = loadBooking(params.bookingId, "BondSlashed");
  if (booking != null) {
    booking.slashed = booking.slashed.plus(params.amount);
    booking.save();
    movement.booking = booking.id;
    movement.amountUsd = bookingUsd(booking, params.amount);
  }
  movement.save();
}

export function handleSettingsUpdated(event: SettingsUpdated): void {
  const settings = event.params.settings;
  const protocol = getProtocol();
  protocol.treasury = settings.treasury;
  protocol.protocolFeeBps = settings.protocolFeeBps;
  protocol.slaPeriodSeconds = settings.slaPeriodSeconds;
  protocol.reportWindowSeconds = settings.reportWindowSeconds;
  protocol.bondSlashBps = settings.bondSlashBps;
  protocol.unbondingDelaySeconds = settings.unbondingDelaySeconds;
  protocol.save();
}

/**
 * An extension or a renewal in its grace resumed a booking: nothing was billed from its old end
 * (still `booking.endsAt` here: the marketplace's BookingExtended follows) to `resumedAt`.
 */
export function handleStreamResumed(event: StreamResumed): void {
  const params = event.params;
  const booking = loadBooking(params.bookingId, "StreamResumed");
  if (booking == null) return;
  const resumption = new BookingResumption(eventId(event));
  resumption.booking = booking.id;
  const suspendedAt = booking.endsAt;
  resumption.suspendedAt = suspendedAt === null ? params.resumedAt : suspendedAt;
  resumption.resumedAt = params.resumedAt;
  resumption.gapSeconds = params.resumedAt.minus(resumption.suspendedAt);
  resumption.endsAt = params.endsAt;
  resumption.timestamp = event.block.timestamp;
  resumption.blockNumber = event.block.number;
  resumption.transactionHash = event.transaction.hash;
  resumption.save();
  booking.resumeCount += 1;
  booking.lastResumption = resumption.id;
  booking.save();

  const delta = new MarketDelta();
  delta.resumes = 1;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.resumes = 1;
  recordProvider(Address.fromBytes(booking.provider), event.block.timestamp, providerDelta);
  recordBookingEvent(event, booking.id, "RESUMED", null);
}

export function handleGracePeriodUpdated(event: GracePeriodUpdated): void {
  const protocol = getProtocol();
  protocol.gracePeriodSeconds = event.params.gracePeriodSeconds;
  protocol.save();
}
