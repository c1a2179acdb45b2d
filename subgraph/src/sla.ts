import { BigInt, ethereum, log } from "@graphprotocol/graph-ts";

import { SkippedSlaReport, SlaReport, UnrewardedService } from "../generated/schema";
import {
  CreditPolicyUpdated,
  QuorumUpdated,
  RewardDistributorUpdated,
  RewardsNotRecorded,
  ServiceNotValued,
  SignerAdded,
  SignerRemoved,
  SlaPeriodsSettled,
  SlaReportSkipped,
} from "../generated/SLAEnforcement/SLAEnforcement";
import { SETTLE_STATUS_NAMES, ZERO_USD } from "./common/constants";
import { bookingUsd, getPaymentToken, getProtocol, getProvider, loadBooking, usd } from "./common/entities";
import { eventId } from "./common/ids";
import { recordSignerAdded, recordSignerRemoved } from "./common/signers";
import { MarketDelta, ProviderDelta, recordMarket, recordProvider } from "./common/stats";

const ROLE = "SLA_REPORTER";

const MASK_16 = BigInt.fromU64(0xffff);
const MASK_32 = BigInt.fromU64(0xffffffff);
const MASK_128 = BigInt.fromI32(1).leftShift(128).minus(BigInt.fromI32(1));

/** Bits `shift` up of a settled period's packed word, `mask` wide (layout: ISLAEnforcement.SlaPeriodsSettled). */
function field(figures: BigInt, shift: u8, mask: BigInt): BigInt {
  return figures.rightShift(shift).bitAnd(mask);
}

/** One SlaReport per settled period: the dApp reads them so. */
export function handleSlaPeriodsSettled(event: SlaPeriodsSettled): void {
  const params = event.params;
  const booking = loadBooking(params.bookingId, "SlaPeriodsSettled");
  const provider = getProvider(params.provider).id;
  const figures = params.figures;
  const amounts = params.amounts;
  let compliantCount = 0;
  let creditsUsd = ZERO_USD;
  for (let i = 0; i < figures.length; i++) {
    const packed = figures[i];
    const compliant = !field(packed, 96, BigInt.fromI32(1)).isZero();
    const value = field(amounts[i], 0, MASK_128);
    const credit = amounts[i].rightShift(128);
    const report = new SlaReport(eventId(event).concatI32(i));
    report.booking = params.bookingId.toI64();
    report.provider = provider;
    report.period = params.firstPeriod.toI32() + i;
    report.uptimeBps = field(packed, 0, MASK_16).toI32();
    report.p95LatencyMs = field(packed, 16, MASK_32);
    report.sampleCount = field(packed, 48, MASK_32);
    report.compliant = compliant;
    report.creditBps = field(packed, 80, MASK_16).toI32();
    report.periodValue = value;
    report.credit = credit;
    report.creditUsd = booking == null ? ZERO_USD : bookingUsd(booking, credit);
    report.timestamp = event.block.timestamp;
    report.blockNumber = event.block.number;
    report.transactionHash = event.transaction.hash;
    report.save();
    if (compliant) compliantCount += 1;
    creditsUsd = creditsUsd.plus(report.creditUsd);
    if (booking != null) {
      booking.slaPeriodsSettled += 1;
      if (!compliant) booking.slaPeriodsViolated += 1;
      booking.slaCredits = booking.slaCredits.plus(credit);
    }
  }
  if (booking != null) {
    booking.slaCreditsUsd = booking.slaCreditsUsd.plus(creditsUsd);
    booking.save();
  }

  const delta = new MarketDelta();
  delta.periodsSettled = figures.length;
  delta.periodsCompliant = compliantCount;
  delta.slaCreditsUsd = creditsUsd;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.periodsSettled = figures.length;
  providerDelta.periodsCompliant = compliantCount;
  providerDelta.slaCreditsUsd = creditsUsd;
  recordProvider(params.provider, event.block.timestamp, providerDelta);
}

/** One SkippedSlaReport per period of the skipped run. */
export function handleSlaReportSkipped(event: SlaReportSkipped): void {
  const status = event.params.status;
  if (status < 1 || status >= SETTLE_STATUS_NAMES.length) {
    log.warning("SlaReportSkipped with unknown status {}: ignored", [status.toString()]);
    return;
  }
  if (loadBooking(event.params.bookingId, "SlaReportSkipped") == null) return;
  const count = event.params.periodCount.toI32();
  for (let i = 0; i < count; i++) {
    const skipped = new SkippedSlaReport(eventId(event).concatI32(i));
    skipped.booking = event.params.bookingId.toI64();
    skipped.period = event.params.firstPeriod.toI32() + i;
    skipped.reason = SETTLE_STATUS_NAMES[status];
    skipped.timestamp = event.block.timestamp;
    skipped.blockNumber = event.block.number;
    skipped.transactionHash = event.transaction.hash;
    skipped.save();
  }
}

export function handleSignerAdded(event: SignerAdded): void {
  recordSignerAdded(event, event.params.signer, ROLE);
}

export function handleSignerRemoved(event: SignerRemoved): void {
  recordSignerRemoved(event, event.params.signer, ROLE);
}

export function handleQuorumUpdated(event: QuorumUpdated): void {
  const protocol = getProtocol();
  protocol.oracleQuorum = event.params.quorum;
  protocol.save();
}

export function handleCreditPolicyUpdated(event: CreditPolicyUpdated): void {
  const tiers = event.params.tiers;
  const uptimeBelow = new Array<i32>(0);
  const credit = new Array<i32>(0);
  for (let i = 0; i < tiers.length; i++) {
    uptimeBelow.push(tiers[i].uptimeBelowBps);
    credit.push(tiers[i].creditBps);
  }
  const protocol = getProtocol();
  protocol.baseCreditBps = event.params.baseCreditBps;
  protocol.creditTierUptimeBelowBps = uptimeBelow;
  protocol.creditTierCreditBps = credit;
  protocol.save();
}

export function handleRewardDistributorUpdated(event: RewardDistributorUpdated): void {
  const protocol = getProtocol();
  protocol.rewardDistributor = event.params.rewards;
  protocol.save();
}

function newUnrewardedService(event: ethereum.Event, reason: string): UnrewardedService {
  const record = new UnrewardedService(eventId(event));
  record.reason = reason;
  record.timestamp = event.block.timestamp;
  record.blockNumber = event.block.number;
  record.transactionHash = event.transaction.hash;
  return record;
}

export function handleRewardsNotRecorded(event: RewardsNotRecorded): void {
  const valueUsd = usd(event.params.usdE8);
  const provider = getProvider(event.params.provider);
  provider.unrewardedServiceUsd = provider.unrewardedServiceUsd.plus(valueUsd);
  provider.save();
  const record = newUnrewardedService(event, "NOT_RECORDED");
  record.provider = provider.id;
  record.valueUsd = valueUsd;
  record.feesUsd = usd(event.params.feeUsdE8);
  record.save();
}

export function handleServiceNotValued(event: ServiceNotValued): void {
  const record = newUnrewardedService(event, "NOT_VALUED");
  record.provider = getProvider(event.params.provider).id;
  record.token = getPaymentToken(event.params.token).id;
  record.value = event.params.value;
  record.save();
}
