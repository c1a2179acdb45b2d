/**
 * The SLA period report oracles sign (EIP-712) and SLAEnforcement verifies. The domain is bound to
 * the chain and to the SLAEnforcement proxy, so a signature is valid for one deployment only.
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

export function slaDomain(chainId: bigint | number, slaEnforcement: string) {
  return {
    name: SLA_DOMAIN_NAME,
    version: SLA_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: slaEnforcement,
  };
}
