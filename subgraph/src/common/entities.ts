/**
 * Loaders that create mutable entities on first sight. Events can reach the subgraph in an order
 * other than the usual one (a bond before registration, a reputation update before anything
 * else), so no handler assumes that another one ran first.
 */
import { Address, BigDecimal, BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";

import {
  Account,
  Booking,
  DcxAccount,
  BookingEvent,
  EscrowMovement,
  Market,
  PaymentToken,
  Protocol,
  Provider,
} from "../../generated/schema";
import { MARKET_ID, PROTOCOL_ID, USD_E8, ZERO, ZERO_USD } from "./constants";
import { eventId } from "./ids";

/** Zeroes the extension, renewal and grace counts of totals (Market, Provider) or of a statistic of a period. */
export function initRenewalCounts<T>(stat: T): void {
  stat.extensionCount = 0;
  stat.hoursExtended = 0;
  stat.renewalCount = 0;
  stat.hoursRenewed = 0;
  stat.renewalSkipCount = 0;
  stat.resumeCount = 0;
  stat.endedInGraceCount = 0;
}

export function getMarket(): Market {
  let market = Market.load(MARKET_ID);
  if (market == null) {
    market = new Market(MARKET_ID);
    market.providerCount = 0;
    market.resourceCount = 0;
    market.activeResourceCount = 0;
    market.bookingCount = 0;
    market.openBookingCount = 0;
    market.volumeUsd = ZERO_USD;
    market.slaPeriodsSettled = 0;
    market.slaPeriodsCompliant = 0;
    market.slaCreditsUsd = ZERO_USD;
    market.feesUsd = ZERO_USD;
    initRenewalCounts<Market>(market);
  }
  return market;
}

export function getProtocol(): Protocol {
  let protocol = Protocol.load(PROTOCOL_ID);
  if (protocol == null) {
    protocol = new Protocol(PROTOCOL_ID);
    protocol.paused = false;
  }
  return protocol;
}

/** The provider at `address`, saved on first sight so that references to it resolve. */
export function getProvider(address: Address): Provider {
  let provider = Provider.load(address);
  if (provider == null) {
    provider = new Provider(address);
    provider.registered = false;
    provider.profileVersion = 0;
    provider.resourceCount = 0;
    provider.activeResourceCount = 0;
    provider.bookingCount = 0;
    provider.volumeUsd = ZERO_USD;
    provider.earningsUsd = ZERO_USD;
    provider.feesUsd = ZERO_USD;
    provider.slaCreditsUsd = ZERO_USD;
    provider.bookingsCompleted = 0;
    provider.bookingsFailed = 0;
    provider.periodsCompliant = 0;
    provider.periodsViolated = 0;
    provider.ratingsCount = 0;
    provider.ratingsSum = 0;
    provider.averageRating = ZERO_USD;
    provider.creditBpsTotal = ZERO;
    provider.scoreBps = 0;
    provider.reputationSuccessUsdE8 = ZERO;
    provider.reputationTrialUsdE8 = ZERO;
    provider.rewardPoints = ZERO;
    provider.rewardsEarned = ZERO;
    provider.rewardsClaimed = ZERO;
    provider.rewardsPendingPoints = ZERO;
    provider.rewardsPendingCapDcx = ZERO;
    provider.unrewardedServiceUsd = ZERO_USD;
    initRenewalCounts<Provider>(provider);
    provider.save();
  }
  return provider;
}

export function getAccount(address: Address): Account {
  let account = Account.load(address);
  if (account == null) {
    account = new Account(address);
    account.bookingCount = 0;
    account.spentUsd = ZERO_USD;
    account.refundedUsd = ZERO_USD;
    account.renewalBalance = ZERO;
    account.renewalBalanceDeposited = ZERO;
    account.renewalBalanceWithdrawn = ZERO;
    account.save();
  }
  return account;
}

export function getDcxAccount(address: Address): DcxAccount {
  let account = DcxAccount.load(address);
  if (account == null) {
    account = new DcxAccount(address);
    account.balance = ZERO;
    account.delegatorCount = 0;
    account.votingPower = ZERO;
    account.save();
  }
  return account;
}

export function getPaymentToken(address: Address): PaymentToken {
  let token = PaymentToken.load(address);
  if (token == null) {
    token = new PaymentToken(address);
    // A token is only seen in payments after the PriceOracle enabled it.
    token.enabled = true;
    token.bookingCount = 0;
    token.volume = ZERO;
    token.volumeUsd = ZERO_USD;
    token.save();
  }
  return token;
}

/** The booking an event is about, or null (with a warning) if the subgraph has not seen it. */
export function loadBooking(id: BigInt, eventName: string): Booking | null {
  const booking = Booking.load(id.toI64());
  if (booking == null) log.warning("{} for unknown booking {}", [eventName, id.toString()]);
  return booking;
}

/** Dollars of an 8-decimal USD amount. */
export function usd(amountE8: BigInt): BigDecimal {
  return amountE8.toBigDecimal().div(USD_E8);
}

/** Dollars of `amount` of a booking's token, at the rate fixed when it was booked. */
export function bookingUsd(booking: Booking, amount: BigInt): BigDecimal {
  if (booking.amount.isZero()) return ZERO_USD;
  return amount.times(booking.usdValueE8).toBigDecimal().div(booking.amount.toBigDecimal()).div(USD_E8);
}

/** Records a step of a booking's timeline. */
export function recordBookingEvent(event: ethereum.Event, bookingId: i64, kind: string, actor: Bytes | null): void {
  const record = new BookingEvent(eventId(event));
  record.booking = bookingId;
  record.kind = kind;
  record.actor = actor;
  record.timestamp = event.block.timestamp;
  record.blockNumber = event.block.number;
  record.transactionHash = event.transaction.hash;
  record.save();
}

/** Starts the record of an escrow movement; the caller sets the optional fields and saves it. */
export function newMovement(
  event: ethereum.Event,
  kind: string,
  account: Address,
  token: Address,
  amount: BigInt,
): EscrowMovement {
  getAccount(account);
  getPaymentToken(token);
  const movement = new EscrowMovement(eventId(event));
  movement.kind = kind;
  movement.account = account;
  movement.token = token;
  movement.amount = amount;
  movement.timestamp = event.block.timestamp;
  movement.blockNumber = event.block.number;
  movement.transactionHash = event.transaction.hash;
  return movement;
}
