/**
 * How a provisioned booking is confirmed on chain: billing starts on a quorum. The provisioning
 * node signs a `provision-<bookingId>` statement (the access details' CID) and announces it with
 * the machine's probe target; every other oracle probes the target from its own network and
 * co-signs only what answered (cosigner.ts); once a quorum has signed, the provisioning node sends
 * `confirmProvisioning` under the same idempotency key, `provision-<bookingId>`.
 */
import type { ChainContext } from "../chain.ts";
import type { Agreement } from "../reporting/agreement.ts";
import type { StatementBoard, TopicKind } from "../reporting/board.ts";
import {
  type ProvisioningFigures,
  encodeConfirmation,
  provisioningStatement,
  provisioningTopic,
} from "../reporting/statements.ts";
import type { Booking } from "../store/bookings.ts";
import type { Store } from "../store/index.ts";
import type { TxOutbox, TxOutcome } from "../tx/outbox.ts";

export class ProvisioningConfirmation {
  readonly #store: Store;
  readonly #chain: ChainContext;
  readonly #outbox: TxOutbox;
  readonly #board: StatementBoard;
  readonly #agreement: Agreement;
  readonly #quorum: () => number;

  constructor(
    store: Store,
    chain: ChainContext,
    outbox: TxOutbox,
    board: StatementBoard,
    agreement: Agreement,
    quorum: () => number,
  ) {
    this.#store = store;
    this.#chain = chain;
    this.#outbox = outbox;
    this.#board = board;
    this.#agreement = agreement;
    this.#quorum = quorum;
  }

  /**
   * Signs this node's confirmation of the booking it provisioned (once; the signature is announced),
   * sends the confirmation once a quorum has signed the same CID, and says where that stands:
   * `none` without access details to confirm, `signing` until a quorum has signed, then the
   * transaction's outcome.
   */
  async advance(booking: Booking): Promise<TxOutcome | { status: "signing" }> {
    const key = provisioningTopic(booking.id);
    const sent = this.#outbox.outcome(key);
    if (sent.status !== "none") return sent;
    if (!booking.accessCid) return sent;
    const statement = provisioningStatement(this.#chain, booking.id, booking.consumer);
    const figures: ProvisioningFigures = { accessDetailsCid: booking.accessCid };
    await this.#board.signOnce(key, figures, () => statement.sign(figures));
    const signatures = this.#agreement.signaturesFor(key, figures);
    if (signatures.length < this.#quorum()) return { status: "signing" };
    this.#outbox.submit(key, {
      to: this.#chain.addresses.marketplace,
      data: encodeConfirmation(booking.id, figures, signatures),
    });
    return this.#outbox.outcome(key);
  }

  /** Sends a failed confirmation again. */
  retry(bookingId: string): void {
    this.#outbox.retry(provisioningTopic(bookingId));
  }

  /**
   * Drops the booking's confirmation and every signature on it (a reorg gave its id to another
   * booking, which is confirmed afresh).
   */
  archive(bookingId: string): void {
    this.#outbox.archive(provisioningTopic(bookingId));
    this.#board.forget(provisioningTopic(bookingId));
  }

  /**
   * `provision-<bookingId>` statements: open while the booking waits for its confirmation, and
   * after it until this node knows whose probe target to measure (cosigner.ts).
   */
  topicKind(): TopicKind {
    const chain = this.#chain;
    const store = this.#store;
    return {
      recover: async (topic, figures, signature) => {
        const booking = store.bookings.get(topic.slice("provision-".length));
        if (!booking || !isProvisioningFigures(figures)) return undefined;
        return provisioningStatement(chain, booking.id, booking.consumer).recover(figures, signature);
      },
      isSigner: (signer) => store.signers.has(chain.addresses.sla, signer),
      isOpen: (topic) => {
        const booking = store.bookings.get(topic.slice("provision-".length));
        if (!booking) return false;
        // Another oracle's machine whose probe target this node has not settled on (cosigner.ts).
        const unmeasured = booking.probe === null && booking.provisionedBy === null;
        return booking.chainStatus === "requested" || (booking.chainStatus === "active" && unmeasured);
      },
    };
  }
}

function isProvisioningFigures(figures: Record<string, unknown>): figures is ProvisioningFigures {
  const keys = Object.keys(figures);
  return keys.length === 1 && typeof figures.accessDetailsCid === "string" && figures.accessDetailsCid.length <= 128;
}
