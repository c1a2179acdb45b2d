/**
 * The statements oracles sign about a booking besides SLA reports, EIP-712 over SLAEnforcement's
 * domain (the marketplace verifies them through its oracle signer set): a provisioning
 * confirmation, on a quorum of which billing starts, and a consumer-fault statement, on a quorum of
 * which a booking the consumer's own input made unservable is refunded without slashing anyone.
 * Each has a topic (its idempotency key in the signature exchange) and its figures, the part of the
 * statement oracles may differ on.
 */
import { type Hex, type TypedDataDefinition, encodeFunctionData, recoverTypedDataAddress } from "viem";

import { CancelReason, consumerFaultTypes, provisioningTypes, slaDomain } from "@d-cloudx/sdk";
import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import type { ChainContext } from "../chain.ts";

type Chain = Pick<ChainContext, "account" | "chainId" | "addresses">;

/** What a provisioning confirmation carries besides the booking: where the access details are. */
export interface ProvisioningFigures extends Record<string, string> {
  accessDetailsCid: string;
}

/** The consumer faults the node can find (IResourceMarketplace.CancelReason). */
export const UNUSABLE_ENCRYPTION_KEY = CancelReason.UnusableEncryptionKey;

export interface FaultFigures extends Record<string, number> {
  reason: number;
}

const domain = (chain: Chain) => slaDomain(chain.chainId, chain.addresses.sla) as { verifyingContract: Hex };

export function provisioningTopic(bookingId: string): string {
  return `provision-${bookingId}`;
}

export function consumerFaultTopic(bookingId: string): string {
  return `fault-${bookingId}`;
}

/** Signing and checking of a statement whose EIP-712 definition `definition(figures)` gives. */
function typedStatement<F>(chain: Chain, topic: string, definition: (f: F) => TypedDataDefinition) {
  return {
    topic,
    sign: (f: F) => chain.account.signTypedData(definition(f)),
    recover: (f: F, signature: Hex) => recoverTypedDataAddress({ ...definition(f), signature }),
  };
}

/** Signing and checking of one booking's provisioning confirmation, for the signature exchange. */
export function provisioningStatement(chain: Chain, bookingId: string, consumer: string) {
  return typedStatement(chain, provisioningTopic(bookingId), (f: ProvisioningFigures) => ({
    domain: domain(chain),
    types: provisioningTypes,
    primaryType: "Provisioning",
    message: { bookingId: BigInt(bookingId), consumer: consumer as Hex, accessDetailsCid: f.accessDetailsCid },
  }));
}

/** Signing and checking of one booking's consumer-fault statement, for the signature exchange. */
export function consumerFaultStatement(chain: Chain, bookingId: string, consumer: string) {
  return typedStatement(chain, consumerFaultTopic(bookingId), (f: FaultFigures) => ({
    domain: domain(chain),
    types: consumerFaultTypes,
    primaryType: "ConsumerFault",
    message: { bookingId: BigInt(bookingId), consumer: consumer as Hex, reason: f.reason },
  }));
}

/** The marketplace call that starts billing, with a quorum's signatures. */
export function encodeConfirmation(bookingId: string, f: ProvisioningFigures, signatures: Hex[]): Hex {
  return encodeFunctionData({
    abi: resourceMarketplaceAbi,
    functionName: "confirmProvisioning",
    args: [BigInt(bookingId), f.accessDetailsCid, signatures],
  });
}

/** The marketplace call that refunds a booking the consumer's input made unservable. */
export function encodeConsumerFault(bookingId: string, f: FaultFigures, signatures: Hex[]): Hex {
  return encodeFunctionData({
    abi: resourceMarketplaceAbi,
    functionName: "cancelForConsumerFault",
    args: [BigInt(bookingId), f.reason, signatures],
  });
}
