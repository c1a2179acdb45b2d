import { ethereum, log } from "@graphprotocol/graph-ts";

import { Booking, SkippedSlaReport, SlaReport, UnrewardedService } from "../generated/schema";
import {
  CreditPolicyUpdated,
  QuorumUpdated,
  RewardDistributorUpdated,
  RewardsNotRecorded,
  ServiceNotValued,
  SignerAdded,
  SignerRemoved,
  SlaPeriodSettled,
  SlaReportSkipped,
} from "../generated/SLAEnforcement/SLAEnforcement";
import { SETTLE_STATUS_NAMES, ZERO_USD } from "./common/constants";
import { bookingUsd, getPaymentToken, getProtocol, getProvider, usd } from "./common/entities";
import { eventId } from "./common/ids";
import { recordSignerAdded, recordSignerRemoved } from "./common/signers";
import { MarketDelta, ProviderDelta, recordMarket, recordProvider } from "./common/stats";

const ROLE = "SLA_REPORTER";

export function handleSlaPeriodSettled(event: SlaPeriodSettled): void {
  const params = event.params;
  const report = new SlaReport(eventId(event));
  report.booking = params.bookingId.toI64();
  report.provider = getProvider(params.provider).id;
  report.period = params.period.toI32();
  report.uptimeBps = params.uptimeBps;
  report.p95LatencyMs = params.p95LatencyMs;
  report.sampleCount = params.sampleCount;
  report.compliant = params.compliant;
  report.creditBps = params.creditBps;
  report.periodValue = params.periodValue;
  report.credit = params.credit;
  report.creditUsd = ZERO_USD;
  report.timestamp = event.block.timestamp;
  report.blockNumber = event.block.number;
  report.transactionHash = event.transaction.hash;

  const booking = Booking.load(params.bookingId.toI64());
  if (booking == null) {
    log.warning("SlaPeriodSettled for unknown booking {}", [params.bookingId.toString()]);
  } else {
    report.creditUsd = bookingUsd(booking, params.credit);
    booking.slaPeriodsSettled += 1;
    if (!params.compliant) booking.slaPeriodsViolated += 1;
    booking.slaCredits = booking.slaCredits.plus(params.credit);
    booking.slaCreditsUsd = booking.slaCreditsUsd.plus(report.creditUsd);
    booking.save();
  }
  report.save();

  const compliant = params.compliant ? 1 : 0;
  const delta = new MarketDelta();
  delta.periodsSettled = 1;
  delta.periodsCompliant = compliant;
  delta.slaCreditsUsd = report.creditUsd;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.periodsSettled = 1;
  providerDelta.periodsCompliant = compliant;
  providerDelta.slaCreditsUsd = report.creditUsd;
  recordProvider(params.provider, event.block.timestamp, providerDelta);
}

export function handleSlaReportSkipped(event: SlaReportSkipped): void {
  const status = event.params.status;
  if (status < 1 || status >= SETTLE_STATUS_NAMES.length) {
    log.warning("SlaReportSkipped with unknown status {}: ignored", [status.toString()]);
    return;
  }
  if (Booking.load(event.params.bookingId.toI64()) == null) {
    log.warning("SlaReportSkipped for unknown booking {}: ignored", [event.params.bookingId.toString()]);
    return;
  }
  const skipped = new SkippedSlaReport(eventId(event));
  skipped.booking = event.params.bookingId.toI64();
  skipped.period = event.params.period.toI32();
  skipped.reason = SETTLE_STATUS_NAMES[status];
  skipped.timestamp = event.block.timestamp;
  skipped.blockNumber = event.block.number;
  skipped.transactionHash = event.transaction.hash;
  skipped.save();
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
