/**
 * What this node signs about requested bookings besides its own provisioning:
 *
 * - it co-signs another oracle's provisioning confirmation only after probing, from here, the
 *   machine that oracle announced, and reaching it (a provisioning node cannot start billing for a
 *   machine nobody else reaches); the oracle it co-signed for is the one whose probe target it
 *   measures from then on;
 * - it states a consumer fault when the booking's encryption key is unusable (a booking made before
 *   the marketplace checked keys): every oracle finds the same fault on its own, they agree on the
 *   statement like on a report, and its proposer (or, after the takeover delay, anyone) submits
 *   it, so that the consumer is refunded and nobody is slashed.
 */
import { isUsableEncryptionKey } from "@d-cloudx/sdk";
import type { ChainContext } from "../chain.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Prober } from "../measure/probe.ts";
import type { Agreement } from "../reporting/agreement.ts";
import type { StatementBoard, TopicKind } from "../reporting/board.ts";
import {
  type FaultFigures,
  type ProvisioningFigures,
  UNUSABLE_ENCRYPTION_KEY,
  consumerFaultStatement,
  encodeConsumerFault,
  provisioningStatement,
  provisioningTopic,
} from "../reporting/statements.ts";
import type { Booking } from "../store/bookings.ts";
import type { Store } from "../store/index.ts";
import type { TxOutbox } from "../tx/outbox.ts";

export interface CosignerDeps {
  store: Store;
  chain: ChainContext;
  outbox: TxOutbox;
  board: StatementBoard;
  agreement: Agreement;
  config: Config;
  log: Logger;
  prober: Prober;
  /** Signatures a statement needs (SLAEnforcement.quorum()). */
  quorum: () => number;
  /** Seconds oracles have to confirm provisioning (the marketplace's provisionTimeout). */
  provisionTimeoutSeconds: number;
}

export class Cosigner {
  readonly #d: CosignerDeps;
  readonly #log: Logger;
  /** Bookings whose machine did not answer here (said once each). */
  readonly #unreached = new Set<string>();

  constructor(deps: CosignerDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: "cosigner" });
  }

  async tick(): Promise<void> {
    const { store, chain, provisionTimeoutSeconds } = this.#d;
    const now = chain.clock.nowSeconds();
    for (const booking of store.bookings.awaitingConfirmation()) {
      if (now > booking.requestedAt! + provisionTimeoutSeconds) continue;
      if (!isUsableEncryptionKey(booking.encryptionKey)) await this.#stateConsumerFault(booking, now);
      else if (booking.probe === null) await this.#endorse(booking);
    }
    for (const booking of store.bookings.withoutTarget()) this.#adoptTarget(booking);
  }

  /** Co-signs the first proposed confirmation whose proposer's machine answers here. */
  async #endorse(booking: Booking): Promise<void> {
    const { board, chain, store, prober } = this.#d;
    const topic = provisioningTopic(booking.id);
    const signatures = board.signatures(topic);
    if (signatures.has(chain.account.address.toLowerCase())) return;
    for (const [signer, signed] of signatures) {
      const target = store.targets.get(booking.id, signer);
      if (!target) continue;
      if (!(await prober(booking.id, target))?.ok) {
        if (!this.#unreached.has(booking.id)) {
          if (this.#unreached.size >= 10_000) this.#unreached.clear();
          this.#unreached.add(booking.id);
          this.#log.info(
            { bookingId: booking.id, oracle: signer },
            "not co-signing provisioning: the machine does not answer here",
          );
        }
        continue;
      }
      const figures = signed.figures as ProvisioningFigures;
      const statement = provisioningStatement(chain, booking.id, booking.consumer);
      await board.signOnce(topic, figures, () => statement.sign(figures));
      store.bookings.update(booking.id, { provisionedBy: signer });
      this.#log.info({ bookingId: booking.id, oracle: signer }, "co-signed provisioning: the machine answers here");
      return;
    }
  }

  /**
   * For a booking this node did not co-sign: measures the machine of an oracle that signed the
   * access details confirmed on chain and announced where it answers.
   */
  #adoptTarget(booking: Booking): void {
    const { board, store } = this.#d;
    for (const [signer, signed] of board.signatures(provisioningTopic(booking.id))) {
      if (signed.figures.accessDetailsCid !== booking.accessCid || !store.targets.get(booking.id, signer)) continue;
      store.bookings.update(booking.id, { provisionedBy: signer });
      return;
    }
  }

  async #stateConsumerFault(booking: Booking, now: number): Promise<void> {
    const { agreement, chain, config, outbox, quorum } = this.#d;
    const elapsedMs = (now - booking.requestedAt!) * 1000;
    const fault: FaultFigures = { reason: UNUSABLE_ENCRYPTION_KEY };
    const statement = consumerFaultStatement(chain, booking.id, booking.consumer);
    const agreed = await agreement.advance<FaultFigures>({
      topic: statement.topic,
      seed: BigInt(booking.id),
      elapsedMs,
      mine: fault,
      acceptable: (proposal) => proposal.reason === fault.reason,
      sign: statement.sign,
    });
    if (!agreed || agreed.signatures.length < quorum()) return;
    if (!agreed.proposedHere && elapsedMs < config.reporting.takeoverSeconds * 1000) return;
    if (outbox.outcome(statement.topic).status !== "none") return;
    outbox.submit(statement.topic, {
      to: chain.addresses.marketplace,
      data: encodeConsumerFault(
        booking.id,
        agreed.figures,
        agreed.signatures.map((s) => s.signature),
      ),
    });
    this.#log.warn(
      { bookingId: booking.id },
      "consumer fault stated: unusable encryption key; the consumer is refunded",
    );
  }

  /** `fault-<bookingId>` statements: open while the booking waits for its confirmation. */
  faultTopicKind(): TopicKind {
    const { chain, store } = this.#d;
    return {
      recover: async (topic, figures, signature) => {
        const booking = store.bookings.get(topic.slice("fault-".length));
        if (!booking || Object.keys(figures).length !== 1 || typeof figures.reason !== "number") return undefined;
        return consumerFaultStatement(chain, booking.id, booking.consumer).recover(figures as FaultFigures, signature);
      },
      isSigner: (signer) => store.signers.has(chain.addresses.sla, signer),
      isOpen: (topic) => store.bookings.get(topic.slice("fault-".length))?.chainStatus === "requested",
    };
  }
}
