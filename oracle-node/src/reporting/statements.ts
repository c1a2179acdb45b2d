/**
 * The statements oracles sign about a booking besides SLA reports, EIP-712 over SLAEnforcement's
 * domain (the marketplace verifies them through its oracle signer set): a provisioning
 * confirmation, on a quorum of which billing starts, and a consumer-fault statement, on a quorum of
 * which a booking the consumer's own input made unservable is refunded without slashing anyone.
 * Each has a topic (its idempotency key in the signature exchange) and its figures, the part of the
 * statement oracles may differ on.
 */
import { type Address, type Hex, encodeFunctionData } from "viem";

import {
  CancelReason,
  recoverConsumerFaultSigner,
  recoverProvisioningSigner,
  signConsumerFault,
  signProvisioning,
} from "@d-cloudx/sdk";
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

export function provisioningTopic(bookingId: string): string {
  return `provision-${bookingId}`;
}

export function consumerFaultTopic(bookingId: string): string {
  return `fault-${bookingId}`;
}

/** How the sdk signs a statement `M` and recovers its signer, over SLAEnforcement's domain. */
interface SignedMessage<M> {
  sign(signer: Chain["account"], chainId: number, slaEnforcement: string, message: M): Promise<Hex>;
  recover(chainId: number, slaEnforcement: string, message: M, signature: Hex): Promise<Address>;
}

/** Signing and checking of the statement `message(figures)` under `topic`. */
function typedStatement<F, M>(chain: Chain, topic: string, message: (f: F) => M, signed: SignedMessage<M>) {
  return {
    topic,
    sign: (f: F) => signed.sign(chain.account, chain.chainId, chain.addresses.sla, message(f)),
    recover: (f: F, signature: Hex) => signed.recover(chain.chainId, chain.addresses.sla, message(f), signature),
  };
}

/** Signing and checking of one booking's provisioning confirmation, for the signature exchange. */
export function provisioningStatement(chain: Chain, bookingId: string, consumer: string) {
  return typedStatement(
    chain,
    provisioningTopic(bookingId),
    (f: ProvisioningFigures) => ({
      bookingId: BigInt(bookingId),
      consumer: consumer as Address,
      accessDetailsCid: f.accessDetailsCid,
    }),
    { sign: signProvisioning, recover: recoverProvisioningSigner },
  );
}

/** Signing and checking of one booking's consumer-fault statement, for the signature exchange. */
export function consumerFaultStatement(chain: Chain, bookingId: string, consumer: string) {
  return typedStatement(
    chain,
    consumerFaultTopic(bookingId),
    (f: FaultFigures) => ({ bookingId: BigInt(bookingId), consumer: consumer as Address, reason: f.reason }),
    { sign: signConsumerFault, recover: recoverConsumerFaultSigner },
  );
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
