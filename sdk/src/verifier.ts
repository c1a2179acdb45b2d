/**
 * The resource attestation verifier oracles sign (EIP-712) and ResourceVerifier checks, and the
 * revocation a quorum of them signs to withdraw one. The domain is bound to the chain and to the
 * ResourceVerifier proxy. The types are generated from the contract (scripts/export-abis.ts); an
 * attestation's `accountHash` is keccak256 of the cloud account identifier the provider proved
 * control of.
 */
import { type Address, type Hex, type TypedDataDefinition, recoverTypedDataAddress } from "viem";

import { type Attestation, attestationTypes, revocationTypes } from "./generated/protocol.ts";
import type { TypedDataSigner } from "./signing.ts";

export { type Attestation, attestationTypes, revocationTypes } from "./generated/protocol.ts";

export const VERIFIER_DOMAIN_NAME = "D-CloudX Verifier";
export const VERIFIER_DOMAIN_VERSION = "1";

/** Revokes the verification issued at `issuedAt` (the latest one of the resource). */
export type Revocation = TypedDataDefinition<typeof revocationTypes, "Revocation">["message"];

export function verifierDomain(chainId: bigint | number, resourceVerifier: string) {
  return {
    name: VERIFIER_DOMAIN_NAME,
    version: VERIFIER_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: resourceVerifier as Address,
  };
}

/** What a verifier signs for `attestation`, ready for any viem or wagmi signer. */
export function attestationTypedData(
  chainId: bigint | number,
  resourceVerifier: string,
  attestation: Attestation,
): TypedDataDefinition<typeof attestationTypes, "Attestation"> {
  return {
    domain: verifierDomain(chainId, resourceVerifier),
    types: attestationTypes,
    primaryType: "Attestation",
    message: attestation,
  };
}

export function signAttestation(
  signer: TypedDataSigner,
  chainId: bigint | number,
  resourceVerifier: string,
  attestation: Attestation,
): Promise<Hex> {
  return signer.signTypedData(attestationTypedData(chainId, resourceVerifier, attestation));
}

/** The address that signed `attestation`, as ResourceVerifier recovers it. */
export function recoverAttestationSigner(
  chainId: bigint | number,
  resourceVerifier: string,
  attestation: Attestation,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({ ...attestationTypedData(chainId, resourceVerifier, attestation), signature });
}
