import { BigDecimal } from "@graphprotocol/graph-ts";

import { Booking, Rating, ReputationChange } from "../generated/schema";
import { MinValueUpdated, ProviderRated, ReputationUpdated } from "../generated/ReputationSystem/ReputationSystem";
import { ZERO_USD } from "./common/constants";
import { getAccount, getProtocol, getProvider, recordBookingEvent } from "./common/entities";
import { eventId } from "./common/ids";
import { ProviderDelta, recordProvider } from "./common/stats";

export function handleReputationUpdated(event: ReputationUpdated): void {
  const record = event.params.record;
  const provider = getProvider(event.params.provider);
  provider.bookingsCompleted = record.bookingsCompleted.toI32();
  provider.bookingsFailed = record.bookingsFailed.toI32();
  provider.periodsCompliant = record.periodsCompliant.toI32();
  provider.periodsViolated = record.periodsViolated.toI32();
  provider.ratingsCount = record.ratingsCount.toI32();
  provider.ratingsSum = record.ratingsSum.toI32();
  provider.averageRating =
    provider.ratingsCount == 0
      ? ZERO_USD
      : BigDecimal.fromString(provider.ratingsSum.toString()).div(
          BigDecimal.fromString(provider.ratingsCount.toString()),
        );
  provider.creditBpsTotal = record.creditBpsTotal;
  provider.scoreBps = event.params.scoreBps;
  provider.reputationSuccessUsdE8 = record.successUsdE8;
  provider.reputationTrialUsdE8 = record.trialUsdE8;
  provider.save();

  const change = new ReputationChange(eventId(event));
  change.provider = provider.id;
  change.bookingsCompleted = provider.bookingsCompleted;
  change.bookingsFailed = provider.bookingsFailed;
  change.periodsCompliant = provider.periodsCompliant;
  change.periodsViolated = provider.periodsViolated;
  change.ratingsCount = provider.ratingsCount;
  change.ratingsSum = provider.ratingsSum;
  change.creditBpsTotal = provider.creditBpsTotal;
  change.scoreBps = provider.scoreBps;
  change.successUsdE8 = record.successUsdE8;
  change.trialUsdE8 = record.trialUsdE8;
  change.timestamp = event.block.timestamp;
  change.blockNumber = event.block.number;
  change.transactionHash = event.transaction.hash;
  change.save();
}

export function handleProviderRated(event: ProviderRated): void {
  const params = event.params;
  const bookingId = params.bookingId.toI64();
  const rating = new Rating(eventId(event));
  rating.booking = bookingId;
  rating.provider = getProvider(params.provider).id;
  rating.consumer = getAccount(params.consumer).id;
  rating.score = params.score;
  rating.usdValueE8 = params.usdValueE8;
  rating.timestamp = event.block.timestamp;
  rating.blockNumber = event.block.number;
  rating.transactionHash = event.transaction.hash;
  rating.save();

  const booking = Booking.load(bookingId);
  if (booking != null) {
    booking.rating = params.score;
    booking.ratedAt = event.block.timestamp;
    booking.save();
  }
  recordBookingEvent(event, bookingId, "RATED", params.consumer);

  const delta = new ProviderDelta();
  delta.ratings = 1;
  delta.ratingsSum = params.score;
  recordProvider(params.provider, event.block.timestamp, delta);
}

export function handleMinValueUpdated(event: MinValueUpdated): void {
  const protocol = getProtocol();
  protocol.reputationMinValueUsdE8 = event.params.minValueUsdE8;
  protocol.save();
}
