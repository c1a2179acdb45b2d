/**
 * What oracles sign (EIP-712) and the contracts verify against the oracle signer set held by
 * SLAEnforcement: SLA period reports, provisioning confirmations and consumer-fault statements.
 * The domain is bound to the chain and to the SLAEnforcement proxy, so a signature is valid for one
 * deployment only; the marketplace checks its statements through SLAEnforcement's
 * `verifyStatement`, so they are signed over the same domain.
 */
export const SLA_DOMAIN_NAME = "D-CloudX SLA";
export const SLA_DOMAIN_VERSION = "1";

export const slaReportTypes = {
  SlaReport: [
    { name: "bookingId", type: "uint256" },
    { name: "period", type: "uint32" },
    { name: "uptimeBps", type: "uint16" },
    { name: "p95LatencyMs", type: "uint32" },
    { name: "sampleCount", type: "uint32" },
  ],
} as const;

export interface SlaReport {
  bookingId: bigint;
  period: number;
  uptimeBps: number;
  p95LatencyMs: number;
  sampleCount: number;
}

/** A quorum's confirmation that a booking's machine is up: billing starts when it lands. */
export const provisioningTypes = {
  Provisioning: [
    { name: "bookingId", type: "uint256" },
    { name: "consumer", type: "address" },
    { name: "accessDetailsCid", type: "string" },
  ],
} as const;

export interface Provisioning {
  bookingId: bigint;
  consumer: `0x${string}`;
  accessDetailsCid: string;
}

/**
 * Why a booking was cancelled before provisioning (IResourceMarketplace.CancelReason). The last one
 * is a consumer fault, which oracles state with a `ConsumerFault` statement.
 */
export const CANCEL_REASONS = ["ByConsumer", "ProvisioningTimedOut", "UnusableEncryptionKey"] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

/** A quorum's statement that a booking cannot be served because of the consumer's own input. */
export const consumerFaultTypes = {
  ConsumerFault: [
    { name: "bookingId", type: "uint256" },
    { name: "consumer", type: "address" },
    { name: "reason", type: "uint8" },
  ],
} as const;

export interface ConsumerFault {
  bookingId: bigint;
  consumer: `0x${string}`;
  /** Index in CANCEL_REASONS of the consumer fault (UnusableEncryptionKey). */
  reason: number;
}

export function slaDomain(chainId: bigint | number, slaEnforcement: string) {
  return {
    name: SLA_DOMAIN_NAME,
    version: SLA_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: slaEnforcement,
  };
}
