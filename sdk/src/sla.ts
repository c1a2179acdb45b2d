/**
 * The SLA period report oracles sign (EIP-712) and SLAEnforcement verifies. The domain is bound to
 * the chain and to the SLAEnforcement proxy, so a signature is valid for one deployment only. The
 * report's type is generated from the contract (scripts/export-abis.ts).
 */
import { type Address, type Hex, type TypedDataDefinition, recoverTypedDataAddress } from "viem";

import { type SlaReport, slaReportTypes } from "./generated/protocol.ts";
import type { TypedDataSigner } from "./signing.ts";

export { type SlaReport, slaReportTypes } from "./generated/protocol.ts";

export const SLA_DOMAIN_NAME = "D-CloudX SLA";
export const SLA_DOMAIN_VERSION = "1";

export function slaDomain(chainId: bigint | number, slaEnforcement: string) {
  return {
    name: SLA_DOMAIN_NAME,
    version: SLA_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: slaEnforcement as Address,
  };
}

/** What an oracle signs for `report`, ready for any viem or wagmi signer. */
export function slaReportTypedData(
  chainId: bigint | number,
  slaEnforcement: string,
  report: SlaReport,
): TypedDataDefinition<typeof slaReportTypes, "SlaReport"> {
  return {
    domain: slaDomain(chainId, slaEnforcement),
    types: slaReportTypes,
    primaryType: "SlaReport",
    message: report,
  };
}

export function signSlaReport(
  signer: TypedDataSigner,
  chainId: bigint | number,
  slaEnforcement: string,
  report: SlaReport,
): Promise<Hex> {
  return signer.signTypedData(slaReportTypedData(chainId, slaEnforcement, report));
}

/** The address that signed `report`, as SLAEnforcement recovers it. */
export function recoverSlaReportSigner(
  chainId: bigint | number,
  slaEnforcement: string,
  report: SlaReport,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({ ...slaReportTypedData(chainId, slaEnforcement, report), signature });
}
