/**
 * Market totals and statistics per day and hour, and per provider per day. A handler describes
 * what an event changed as a delta; `recordMarket` and `recordProvider` apply it to the totals and
 * to the statistics of the event's day (and hour), so totals and statistics always agree.
 */
import { Address, BigDecimal, BigInt } from "@graphprotocol/graph-ts";

import { Market, MarketDayStat, MarketHourStat, Provider, ProviderDayStat } from "../../generated/schema";
import { SECONDS_PER_DAY, SECONDS_PER_HOUR, ZERO_USD } from "./constants";
import { getMarket, getProvider, initRenewalCounts } from "./entities";
import { dayNumber, hourNumber, providerDayId } from "./ids";

/** What an event changed in extensions, renewals and grace: counted alike for the market and a provider. */
class RenewalDelta {
  extensions: i32 = 0;
  hoursExtended: i32 = 0;
  renewals: i32 = 0;
  hoursRenewed: i32 = 0;
  renewalSkips: i32 = 0;
  resumes: i32 = 0;
  endedInGrace: i32 = 0;
}

/** What an event changed in the marketplace as a whole. */
export class MarketDelta extends RenewalDelta {
  providers: i32 = 0;
  resources: i32 = 0;
  activeResources: i32 = 0;
  bookings: i32 = 0;
  openBookings: i32 = 0;
  volumeUsd: BigDecimal = ZERO_USD;
  cancelled: i32 = 0;
  completed: i32 = 0;
  terminated: i32 = 0;
  periodsSettled: i32 = 0;
  periodsCompliant: i32 = 0;
  slaCreditsUsd: BigDecimal = ZERO_USD;
  earningsUsd: BigDecimal = ZERO_USD;
  feesUsd: BigDecimal = ZERO_USD;
}

/** What an event changed for one provider. */
export class ProviderDelta extends RenewalDelta {
  resources: i32 = 0;
  activeResources: i32 = 0;
  bookings: i32 = 0;
  volumeUsd: BigDecimal = ZERO_USD;
  completed: i32 = 0;
  failed: i32 = 0;
  periodsSettled: i32 = 0;
  periodsCompliant: i32 = 0;
  slaCreditsUsd: BigDecimal = ZERO_USD;
  earningsUsd: BigDecimal = ZERO_USD;
  feesUsd: BigDecimal = ZERO_USD;
  ratings: i32 = 0;
  ratingsSum: i32 = 0;
}

function compliance(compliant: i32, settled: i32): BigDecimal | null {
  if (settled == 0) return null;
  return BigDecimal.fromString(compliant.toString()).div(BigDecimal.fromString(settled.toString()));
}

/** Applies `delta` to a day or hour statistic (the two entity types have the same fields). */
function applyToPeriod<T>(stat: T, market: Market, delta: MarketDelta): void {
  stat.bookingCount += delta.bookings;
  stat.volumeUsd = stat.volumeUsd.plus(delta.volumeUsd);
  stat.cancelledCount += delta.cancelled;
  stat.completedCount += delta.completed;
  stat.terminatedCount += delta.terminated;
  stat.slaPeriodsSettled += delta.periodsSettled;
  stat.slaPeriodsCompliant += delta.periodsCompliant;
  stat.slaCompliance = compliance(stat.slaPeriodsCompliant, stat.slaPeriodsSettled);
  stat.slaCreditsUsd = stat.slaCreditsUsd.plus(delta.slaCreditsUsd);
  stat.earningsUsd = stat.earningsUsd.plus(delta.earningsUsd);
  stat.feesUsd = stat.feesUsd.plus(delta.feesUsd);
  addRenewalCounts<T>(stat, delta);
  // Gauges: the state after the period's latest change.
  stat.activeResources = market.activeResourceCount;
  stat.openBookings = market.openBookingCount;
  stat.save();
}

function initPeriod<T>(stat: T, start: i64): void {
  stat.date = start as i32;
  stat.bookingCount = 0;
  stat.volumeUsd = ZERO_USD;
  stat.cancelledCount = 0;
  stat.completedCount = 0;
  stat.terminatedCount = 0;
  stat.slaPeriodsSettled = 0;
  stat.slaPeriodsCompliant = 0;
  stat.slaCreditsUsd = ZERO_USD;
  stat.earningsUsd = ZERO_USD;
  stat.feesUsd = ZERO_USD;
  initRenewalCounts<T>(stat);
}

/** Adds a delta's extension, renewal and grace counts to totals or to a statistic of a period. */
function addRenewalCounts<T>(totals: T, delta: RenewalDelta): void {
  totals.extensionCount += delta.extensions;
  totals.hoursExtended += delta.hoursExtended;
  totals.renewalCount += delta.renewals;
  totals.hoursRenewed += delta.hoursRenewed;
  totals.renewalSkipCount += delta.renewalSkips;
  totals.resumeCount += delta.resumes;
  totals.endedInGraceCount += delta.endedInGrace;
}

/** Applies `delta` to the market totals and to the statistics of the day and hour of `timestamp`. */
export function recordMarket(timestamp: BigInt, delta: MarketDelta): void {
  const market = getMarket();
  market.providerCount += delta.providers;
  market.resourceCount += delta.resources;
  market.activeResourceCount += delta.activeResources;
  market.bookingCount += delta.bookings;
  market.openBookingCount += delta.openBookings;
  market.volumeUsd = market.volumeUsd.plus(delta.volumeUsd);
  market.slaPeriodsSettled += delta.periodsSettled;
  market.slaPeriodsCompliant += delta.periodsCompliant;
  market.slaCreditsUsd = market.slaCreditsUsd.plus(delta.slaCreditsUsd);
  market.feesUsd = market.feesUsd.plus(delta.feesUsd);
  addRenewalCounts<Market>(market, delta);
  market.save();

  const day = dayNumber(timestamp);
  let dayStat = MarketDayStat.load(day);
  if (dayStat == null) {
    dayStat = new MarketDayStat(day);
    initPeriod<MarketDayStat>(dayStat, day * SECONDS_PER_DAY);
  }
  applyToPeriod<MarketDayStat>(dayStat, market, delta);

  const hour = hourNumber(timestamp);
  let hourStat = MarketHourStat.load(hour);
  if (hourStat == null) {
    hourStat = new MarketHourStat(hour);
    initPeriod<MarketHourStat>(hourStat, hour * SECONDS_PER_HOUR);
  }
  applyToPeriod<MarketHourStat>(hourStat, market, delta);
}

/** Applies `delta` to a provider's totals and to its statistics of the day of `timestamp`. */
export function recordProvider(address: Address, timestamp: BigInt, delta: ProviderDelta): Provider {
  const provider = getProvider(address);
  provider.resourceCount += delta.resources;
  provider.activeResourceCount += delta.activeResources;
  provider.bookingCount += delta.bookings;
  provider.volumeUsd = provider.volumeUsd.plus(delta.volumeUsd);
  provider.earningsUsd = provider.earningsUsd.plus(delta.earningsUsd);
  provider.feesUsd = provider.feesUsd.plus(delta.feesUsd);
  provider.slaCreditsUsd = provider.slaCreditsUsd.plus(delta.slaCreditsUsd);
  addRenewalCounts<Provider>(provider, delta);
  provider.save();

  const day = dayNumber(timestamp);
  const id = providerDayId(address, day);
  let stat = ProviderDayStat.load(id);
  if (stat == null) {
    stat = new ProviderDayStat(id);
    stat.provider = address;
    stat.date = (day * SECONDS_PER_DAY) as i32;
    stat.bookingCount = 0;
    stat.volumeUsd = ZERO_USD;
    stat.completedCount = 0;
    stat.failedCount = 0;
    stat.slaPeriodsSettled = 0;
    stat.slaPeriodsCompliant = 0;
    stat.slaCreditsUsd = ZERO_USD;
    stat.earningsUsd = ZERO_USD;
    stat.ratingsCount = 0;
    stat.ratingsSum = 0;
    initRenewalCounts<ProviderDayStat>(stat);
  }
  stat.bookingCount += delta.bookings;
  stat.volumeUsd = stat.volumeUsd.plus(delta.volumeUsd);
  stat.completedCount += delta.completed;
  stat.failedCount += delta.failed;
  stat.slaPeriodsSettled += delta.periodsSettled;
  stat.slaPeriodsCompliant += delta.periodsCompliant;
  stat.slaCompliance = compliance(stat.slaPeriodsCompliant, stat.slaPeriodsSettled);
  stat.slaCreditsUsd = stat.slaCreditsUsd.plus(delta.slaCreditsUsd);
  stat.earningsUsd = stat.earningsUsd.plus(delta.earningsUsd);
  stat.ratingsCount += delta.ratings;
  stat.ratingsSum += delta.ratingsSum;
  addRenewalCounts<ProviderDayStat>(stat, delta);
  stat.save();
  return provider;
}
