/**
 * DCX rewards. A provider's rewards are computed as the RewardDistributor computes them: points
 * accrue in the provider's latest epoch with service, with the most they may earn (the fee cap),
 * and are turned into DCX (its share of that epoch's emission, up to the cap) when the provider
 * records service in a later epoch, or claims after the epoch ended; a claim pays out everything
 * earned.
 */
import { BigInt, log } from "@graphprotocol/graph-ts";

import { Provider, ProviderRewardEpoch, RewardClaim, RewardEpoch } from "../generated/schema";
import {
  EmissionRateUpdated,
  EpochOpened,
  RewardPerFeeUpdated,
  RewardsClaimed,
  ServiceRecorded,
} from "../generated/RewardDistributor/RewardDistributor";
import { ZERO, ZERO_USD } from "./common/constants";
import { getProtocol, getProvider, usd } from "./common/entities";
import { eventId } from "./common/ids";

function getEpoch(index: i64, timestamp: BigInt): RewardEpoch {
  let epoch = RewardEpoch.load(index);
  if (epoch == null) {
    epoch = new RewardEpoch(index);
    epoch.emission = ZERO;
    epoch.points = ZERO;
    epoch.serviceUsd = ZERO_USD;
    epoch.openedAt = timestamp;
  }
  return epoch;
}

/**
 * The provider's share of its pending epoch's emission, up to its fee cap (final once that epoch
 * has ended).
 */
function pendingShare(provider: Provider): BigInt {
  if (provider.rewardsPendingPoints.isZero()) return ZERO;
  const epoch = RewardEpoch.load(provider.rewardsPendingEpoch);
  if (epoch == null || epoch.points.isZero()) return ZERO;
  const share = provider.rewardsPendingPoints.times(epoch.emission).div(epoch.points);
  return share.lt(provider.rewardsPendingCapDcx) ? share : provider.rewardsPendingCapDcx;
}

function clearPending(provider: Provider): void {
  provider.rewardsPendingPoints = ZERO;
  provider.rewardsPendingCapDcx = ZERO;
  provider.unset("rewardsPendingEpoch");
}

export function handleEpochOpened(event: EpochOpened): void {
  const epoch = getEpoch(event.params.epoch.toI64(), event.block.timestamp);
  epoch.emission = event.params.emission;
  epoch.openedAt = event.block.timestamp;
  epoch.save();
}

export function handleServiceRecorded(event: ServiceRecorded): void {
  const params = event.params;
  const index = params.epoch.toI64();
  const serviceUsd = usd(params.usdE8);
  const epoch = getEpoch(index, event.block.timestamp);
  epoch.points = epoch.points.plus(params.points);
  epoch.serviceUsd = epoch.serviceUsd.plus(serviceUsd);
  epoch.save();

  const provider = getProvider(params.provider);
  if (!provider.rewardsPendingPoints.isZero() && provider.rewardsPendingEpoch != index) {
    // Service in a later epoch: the pending one has ended and its share is final.
    provider.rewardsEarned = provider.rewardsEarned.plus(pendingShare(provider));
    clearPending(provider);
  }
  provider.rewardPoints = provider.rewardPoints.plus(params.points);
  provider.rewardsPendingEpoch = index;
  provider.rewardsPendingPoints = provider.rewardsPendingPoints.plus(params.points);
  provider.rewardsPendingCapDcx = provider.rewardsPendingCapDcx.plus(params.capDcx);
  provider.save();

  const id = params.provider.concatI32(index as i32);
  let providerEpoch = ProviderRewardEpoch.load(id);
  if (providerEpoch == null) {
    providerEpoch = new ProviderRewardEpoch(id);
    providerEpoch.provider = provider.id;
    providerEpoch.epoch = index;
    providerEpoch.points = ZERO;
    providerEpoch.serviceUsd = ZERO_USD;
    providerEpoch.feesUsd = ZERO_USD;
    providerEpoch.capDcx = ZERO;
  }
  providerEpoch.points = providerEpoch.points.plus(params.points);
  providerEpoch.serviceUsd = providerEpoch.serviceUsd.plus(serviceUsd);
  providerEpoch.feesUsd = providerEpoch.feesUsd.plus(usd(params.feeUsdE8));
  providerEpoch.capDcx = providerEpoch.capDcx.plus(params.capDcx);
  providerEpoch.reputationBps = params.reputationBps;
  providerEpoch.save();
}

export function handleRewardsClaimed(event: RewardsClaimed): void {
  const amount = event.params.amount;
  const provider = getProvider(event.params.provider);
  const unclaimed = provider.rewardsEarned.minus(provider.rewardsClaimed);
  // The claim settled the pending epoch if it had ended: then it pays that share too.
  if (amount.gt(unclaimed)) {
    const expected = unclaimed.plus(pendingShare(provider));
    if (!amount.equals(expected)) {
      log.warning("RewardsClaimed of {} by {}: expected {} or {}", [
        amount.toString(),
        provider.id.toHexString(),
        unclaimed.toString(),
        expected.toString(),
      ]);
    }
    clearPending(provider);
  }
  provider.rewardsClaimed = provider.rewardsClaimed.plus(amount);
  // A claim pays out everything earned so far.
  provider.rewardsEarned = provider.rewardsClaimed;
  provider.save();

  const claim = new RewardClaim(eventId(event));
  claim.provider = provider.id;
  claim.amount = amount;
  claim.timestamp = event.block.timestamp;
  claim.blockNumber = event.block.number;
  claim.transactionHash = event.transaction.hash;
  claim.save();
}

export function handleEmissionRateUpdated(event: EmissionRateUpdated): void {
  const protocol = getProtocol();
  protocol.rewardEmissionRatePerSecond = event.params.ratePerSecond;
  protocol.save();
}

export function handleRewardPerFeeUpdated(event: RewardPerFeeUpdated): void {
  const protocol = getProtocol();
  protocol.rewardPerFeeBps = event.params.rewardPerFeeBps;
  protocol.save();
}
