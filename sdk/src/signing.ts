/**
 * Signed messages: the EIP-712 types come from the contracts (scripts/export-abis.ts writes them to
 * generated/protocol.ts); the functions here and in sla.ts and verifier.ts build each message's
 * typed data, sign it and recover its signer, so no client restates a type or a domain.
 */
import {
  type Address,
  type Hex,
  type TypedData,
  type TypedDataDefinition,
  type TypedDataDomain,
  parseSignature,
  recoverTypedDataAddress,
} from "viem";

import { permitTypes } from "./generated/protocol.ts";

export { ballotTypes, delegationTypes, extendedBallotTypes, permitTypes } from "./generated/protocol.ts";

/** Anything that signs EIP-712 typed data: a viem account or wallet client, or a wagmi action bound to one. */
export interface TypedDataSigner {
  signTypedData<const T extends TypedData | Record<string, unknown>, P extends keyof T | "EIP712Domain">(
    definition: TypedDataDefinition<T, P>,
  ): Promise<Hex>;
}

/**
 * The typed data, signing and signer recovery of the message `primaryType` of `types`, over the
 * domain `domainOf` gives for a chain and the contract that verifies it.
 */
export function signedMessage<const T extends TypedData, P extends keyof T & string>(
  domainOf: (chainId: bigint | number, contract: string) => TypedDataDomain,
  types: T,
  primaryType: P,
) {
  type Message = TypedDataDefinition<T, P>["message"];
  const typedData = (chainId: bigint | number, contract: string, message: Message) =>
    ({ domain: domainOf(chainId, contract), types, primaryType, message }) as TypedDataDefinition<T, P>;
  return {
    /** What a signer signs for `message`, ready for any viem or wagmi signer. */
    typedData,
    sign: (signer: TypedDataSigner, chainId: bigint | number, contract: string, message: Message): Promise<Hex> =>
      signer.signTypedData(typedData(chainId, contract, message)),
    /** The address that signed `message`, as the contract recovers it. */
    recover: (chainId: bigint | number, contract: string, message: Message, signature: Hex): Promise<Address> =>
      recoverTypedDataAddress({ ...typedData(chainId, contract, message), signature } as Parameters<
        typeof recoverTypedDataAddress
      >[0]),
  };
}

/** A token's EIP-712 domain, as its `eip712Domain()` (EIP-5267) returns it. */
export interface TokenDomain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: Address;
}

/** An EIP-2612 permit: `owner` lets `spender` take `value` of the token until `deadline` (unix seconds). */
export interface Permit {
  owner: Address;
  spender: Address;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}

export function permitTypedData(
  domain: TokenDomain,
  permit: Permit,
): TypedDataDefinition<typeof permitTypes, "Permit"> {
  return { domain, types: permitTypes, primaryType: "Permit", message: permit };
}

/** Signs `permit` and splits the signature as `permit(…, v, r, s)` and `bookWithPermit` take it. */
export async function signPermit(
  signer: TypedDataSigner,
  domain: TokenDomain,
  permit: Permit,
): Promise<{ deadline: bigint; v: number; r: Hex; s: Hex }> {
  const { r, s, v, yParity } = parseSignature(await signer.signTypedData(permitTypedData(domain, permit)));
  return { deadline: permit.deadline, v: Number(v ?? BigInt(yParity + 27)), r, s };
}

/** The address that signed `permit`, as the token recovers it. */
export function recoverPermitSigner(domain: TokenDomain, permit: Permit, signature: Hex): Promise<Address> {
  return recoverTypedDataAddress({ ...permitTypedData(domain, permit), signature });
}
