/**
 * The resource attestation verifier oracles sign (EIP-712) and ResourceVerifier checks, and the
 * revocation a quorum of them signs to withdraw one. The domain is bound to the chain and to the
 * ResourceVerifier proxy.
 */
export const VERIFIER_DOMAIN_NAME = "D-CloudX Verifier";
export const VERIFIER_DOMAIN_VERSION = "1";

export const attestationTypes = {
  Attestation: [
    { name: "resourceId", type: "uint256" },
    { name: "metadataVersion", type: "uint32" },
    { name: "cloud", type: "string" },
    { name: "region", type: "string" },
    { name: "instanceType", type: "string" },
    { name: "accountHash", type: "bytes32" },
    { name: "issuedAt", type: "uint64" },
    { name: "expiresAt", type: "uint64" },
  ],
} as const;

export interface Attestation {
  resourceId: bigint;
  metadataVersion: number;
  cloud: string;
  region: string;
  instanceType: string;
  /** keccak256 of the cloud account identifier the provider proved control of. */
  accountHash: `0x${string}`;
  issuedAt: bigint;
  expiresAt: bigint;
}

/** Revokes the verification issued at `issuedAt` (the latest one of the resource). */
export const revocationTypes = {
  Revocation: [
    { name: "resourceId", type: "uint256" },
    { name: "issuedAt", type: "uint64" },
    { name: "reason", type: "string" },
  ],
} as const;

export interface Revocation {
  resourceId: bigint;
  issuedAt: bigint;
  reason: string;
}

export function verifierDomain(chainId: bigint | number, resourceVerifier: string) {
  return {
    name: VERIFIER_DOMAIN_NAME,
    version: VERIFIER_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: resourceVerifier,
  };
}
