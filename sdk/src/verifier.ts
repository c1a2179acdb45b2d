/**
 * The resource attestation verifier oracles sign (EIP-712) and ResourceVerifier checks, and the
 * revocation a quorum of them signs to withdraw one. The domain is bound to the chain and to the
 * ResourceVerifier proxy. The types are generated from the contract (scripts/export-abis.ts); an
 * attestation's `accountHash` is keccak256 of the cloud account identifier the provider proved
 * control of.
 */
import type { Address, TypedDataDefinition } from "viem";

import { attestationTypes, revocationTypes } from "./generated/protocol.ts";
import { signedMessage } from "./signing.ts";

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

const attestations = signedMessage(verifierDomain, attestationTypes, "Attestation");

// Each takes the chain id and the ResourceVerifier proxy; recovery is the contract's.
export const attestationTypedData = attestations.typedData;
export const signAttestation = attestations.sign;
export const recoverAttestationSigner = attestations.recover;
