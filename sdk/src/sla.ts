/**
 * What oracles sign (EIP-712) and the contracts verify against the oracle signer set held by
 * SLAEnforcement: SLA reports (each over consecutive periods of one booking), provisioning
 * confirmations and consumer-fault statements.
 * The domain is bound to the chain and to the SLAEnforcement proxy, so a signature is valid for one
 * deployment only; the marketplace checks its statements through SLAEnforcement's
 * `verifyStatement`, so they are signed over the same domain.
 */
import type { Address, TypedDataDefinition } from "viem";

import { type SlaReport, consumerFaultTypes, provisioningTypes, slaReportTypes } from "./generated/protocol.ts";
import { signedMessage } from "./signing.ts";

export { type SlaReport, consumerFaultTypes, provisioningTypes, slaReportTypes } from "./generated/protocol.ts";

export const SLA_DOMAIN_NAME = "D-CloudX SLA";
export const SLA_DOMAIN_VERSION = "1";

/** A quorum's confirmation that a booking's machine is up: billing starts when it lands. */
export type Provisioning = TypedDataDefinition<typeof provisioningTypes, "Provisioning">["message"];

/**
 * A quorum's statement that a booking cannot be served because of the consumer's own input;
 * `reason` is the CancelReason (UnusableEncryptionKey).
 */
export type ConsumerFault = TypedDataDefinition<typeof consumerFaultTypes, "ConsumerFault">["message"];

export function slaDomain(chainId: bigint | number, slaEnforcement: string) {
  return {
    name: SLA_DOMAIN_NAME,
    version: SLA_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: slaEnforcement as Address,
  };
}

/** What oracles measured over one SLA period. */
export interface PeriodFigures {
  uptimeBps: number;
  p95LatencyMs: number;
  sampleCount: number;
}

/** Whether a period's figures meet an SLA, as SLAEnforcement judges them (0 ms: no latency limit). */
export function meetsSla(figures: PeriodFigures, terms: { uptimeTargetBps: number; maxLatencyMs: number }): boolean {
  return (
    figures.uptimeBps >= terms.uptimeTargetBps &&
    (terms.maxLatencyMs === 0 || figures.p95LatencyMs <= terms.maxLatencyMs)
  );
}

/** A settled SLA period: what oracles measured and what it earned. */
export interface SettledPeriod extends PeriodFigures {
  period: number;
  /** Whether the period met the booked SLA. */
  compliant: boolean;
  /** Credit in basis points of the period's value. */
  creditBps: number;
  /** Value of the period, in the booking's token. */
  value: bigint;
  /** Amount credited to the consumer. */
  credit: bigint;
}

const MASK_128 = (1n << 128n) - 1n;
const bits = (word: bigint, shift: number, width: number) =>
  Number((word >> BigInt(shift)) & ((1n << BigInt(width)) - 1n));

/**
 * The periods an SlaPeriodsSettled event settled, its packed figures unpacked (layout: the event's
 * NatSpec in ISLAEnforcement).
 */
export function settledPeriods(args: {
  firstPeriod: number | bigint;
  figures: readonly bigint[];
  amounts: readonly bigint[];
}): SettledPeriod[] {
  return args.figures.map((figures, i) => ({
    period: Number(args.firstPeriod) + i,
    uptimeBps: bits(figures, 0, 16),
    p95LatencyMs: bits(figures, 16, 32),
    sampleCount: bits(figures, 48, 32),
    creditBps: bits(figures, 80, 16),
    compliant: bits(figures, 96, 1) === 1,
    value: args.amounts[i]! & MASK_128,
    credit: args.amounts[i]! >> 128n,
  }));
}

/** An SlaReport with plain arrays, as every client library takes it. */
export type MutableSlaReport = Omit<SlaReport, "uptimeBps" | "p95LatencyMs" | "sampleCount"> & {
  uptimeBps: number[];
  p95LatencyMs: number[];
  sampleCount: number[];
};

/** The report of consecutive periods from `firstPeriod` on, one entry of `periods` each. */
export function slaReport(bookingId: bigint, firstPeriod: number, periods: readonly PeriodFigures[]): MutableSlaReport {
  return {
    bookingId,
    firstPeriod,
    uptimeBps: periods.map((p) => p.uptimeBps),
    p95LatencyMs: periods.map((p) => p.p95LatencyMs),
    sampleCount: periods.map((p) => p.sampleCount),
  };
}

const slaReports = signedMessage(slaDomain, slaReportTypes, "SlaReport");
const provisionings = signedMessage(slaDomain, provisioningTypes, "Provisioning");
const consumerFaults = signedMessage(slaDomain, consumerFaultTypes, "ConsumerFault");

// Each takes the chain id and the SLAEnforcement proxy; recovery is the contract's.
export const slaReportTypedData = slaReports.typedData;
export const signSlaReport = slaReports.sign;
export const recoverSlaReportSigner = slaReports.recover;
export const provisioningTypedData = provisionings.typedData;
export const signProvisioning = provisionings.sign;
export const recoverProvisioningSigner = provisionings.recover;
export const consumerFaultTypedData = consumerFaults.typedData;
export const signConsumerFault = consumerFaults.sign;
export const recoverConsumerFaultSigner = consumerFaults.recover;
