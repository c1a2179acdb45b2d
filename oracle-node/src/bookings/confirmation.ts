/**
 * How a provisioned booking is confirmed on chain, behind one interface so the lifecycle does not
 * depend on the contract's rule.
 *
 * Today's ResourceMarketplace takes one oracle's transaction, `confirmProvisioning(bookingId,
 * accessDetailsCid)` from an ORACLE_ROLE holder: `DirectConfirmation`. When the contract takes
 * k-of-n EIP-712 signatures instead, a quorum confirmation implements the same interface on the
 * statement board (reporting/board.ts): the provisioning node signs a `provision-<bookingId>`
 * statement (access details CID and probe target) and announces it; every other oracle probes the
 * target from its own network and co-signs only what answered; the quorum-signed confirmation then
 * goes out under the same idempotency key, `provision-<bookingId>`.
 */
import { encodeFunctionData } from "viem";

import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import type { Addresses } from "../chain.ts";
import type { TxOutbox, TxOutcome } from "../tx/outbox.ts";

export interface ProvisioningConfirmation {
  /** Queues the booking's confirmation (once: asking again names the same one). */
  queue(bookingId: string, accessDetailsCid: string): void;
  outcome(bookingId: string): TxOutcome;
  /** Sends a failed confirmation again. */
  retry(bookingId: string): void;
  /** Drops the booking's confirmation (a reorg gave its id to another booking). */
  archive(bookingId: string): void;
}

const keyOf = (bookingId: string) => `provision-${bookingId}`;

/** One oracle's transaction confirms (the contract's ORACLE_ROLE check is the whole rule). */
export class DirectConfirmation implements ProvisioningConfirmation {
  readonly #outbox: TxOutbox;
  readonly #addresses: Addresses;

  constructor(outbox: TxOutbox, addresses: Addresses) {
    this.#outbox = outbox;
    this.#addresses = addresses;
  }

  queue(bookingId: string, accessDetailsCid: string): void {
    this.#outbox.submit(keyOf(bookingId), {
      to: this.#addresses.marketplace,
      data: encodeFunctionData({
        abi: resourceMarketplaceAbi,
        functionName: "confirmProvisioning",
        args: [BigInt(bookingId), accessDetailsCid],
      }),
    });
  }

  outcome(bookingId: string): TxOutcome {
    return this.#outbox.outcome(keyOf(bookingId));
  }

  retry(bookingId: string): void {
    this.#outbox.retry(keyOf(bookingId));
  }

  archive(bookingId: string): void {
    this.#outbox.archive(keyOf(bookingId));
  }
}
