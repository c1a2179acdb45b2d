/**
 * What this node signs about requested bookings besides its own provisioning. Every node:
 *
 * - co-signs another oracle's provisioning confirmation only after probing the machine itself from
 *   here and reaching it (the provisioning node cannot start billing for a machine nobody else saw);
 * - states a consumer fault when the booking's encryption key is unusable (a booking made before
 *   the marketplace checked keys): every oracle finds the same fault on its own, they agree on the
 *   statement like on a report, and its proposer (or, after the takeover delay, anyone) submits it,
 *   so that the consumer is refunded and nobody is slashed.
 *
 * Signatures travel through the agreement's exchange; this module only decides what to sign.
 */
import { isUsableEncryptionKey } from "@d-cloudx/sdk";
import type { ChainContext } from "../chain.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { probe } from "../measure/probe.ts";
import type { TargetLookup } from "../measure/monitor.ts";
import type { Agreement } from "../reporting/agreement.ts";
import {
  type FaultFigures,
  UNUSABLE_ENCRYPTION_KEY,
  consumerFaultStatement,
  encodeConsumerFault,
  provisioningStatement,
} from "../reporting/statements.ts";
import type { BookingRow } from "../store/bookings.ts";
import type { Database } from "../store/db.ts";
import type { TxSender } from "../tx/sender.ts";

export interface CosignerDeps {
  db: Database;
  chain: ChainContext;
  sender: TxSender;
  agreement: Agreement;
  config: Config;
  log: Logger;
  quorum: () => number;
  registered: (signer: string) => Promise<boolean>;
  /** Where another oracle's booking can be probed (from the exchange), if it said. */
  targets: TargetLookup;
  provisionTimeoutSeconds: number;
}

export class Cosigner {
  readonly #d: CosignerDeps;
  readonly #log: Logger;

  constructor(deps: CosignerDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: "cosigner" });
  }

  async tick(): Promise<void> {
    const { db, chain, provisionTimeoutSeconds } = this.#d;
    const now = chain.clock.nowSeconds();
    const requested = db.all<BookingRow>(
      "SELECT * FROM bookings WHERE chain_status = 'requested' AND needs_sync = 0 AND requested_at IS NOT NULL",
    );
    for (const row of requested) {
      if (now > row.requested_at! + provisionTimeoutSeconds) continue;
      if (isUsableEncryptionKey(row.encryption_key)) await this.#endorseProvisioning(row);
      else await this.#stateConsumerFault(row, now);
    }
  }

  async #endorseProvisioning(row: BookingRow): Promise<void> {
    const { agreement, chain, registered } = this.#d;
    const statement = { ...provisioningStatement(chain, row.id, row.consumer), registered };
    await agreement.endorse(statement, async () => {
      const reached = await this.#reachable(row.id);
      if (!reached)
        this.#log.info({ bookingId: row.id }, "not co-signing provisioning: the machine did not answer here");
      return reached;
    });
  }

  /** Whether this node reaches the booking's machine itself, right now. */
  async #reachable(bookingId: string): Promise<boolean> {
    const own = this.#d.db.get<{ probe: string | null }>("SELECT probe FROM bookings WHERE id = ?", bookingId)?.probe;
    const target = own ? JSON.parse(own) : this.#d.targets(bookingId);
    if (!target) return false;
    return (await probe(target, this.#d.config.probes.timeoutMs)).ok;
  }

  async #stateConsumerFault(row: BookingRow, now: number): Promise<void> {
    const { agreement, chain, config, sender, quorum, registered } = this.#d;
    const elapsedMs = (now - row.requested_at!) * 1000;
    const fault: FaultFigures = { reason: UNUSABLE_ENCRYPTION_KEY };
    const agreed = await agreement.advance<FaultFigures>({
      ...consumerFaultStatement(chain, row.id, row.consumer),
      registered,
      seed: BigInt(row.id),
      elapsedMs,
      mine: fault,
      acceptable: (proposal) => proposal.reason === fault.reason,
    });
    if (!agreed || agreed.signatures.length < quorum()) return;
    if (!agreed.proposedHere && elapsedMs < config.reporting.takeoverSeconds * 1000) return;
    const key = `consumer-fault-${row.id}`;
    if (sender.get(key)) return;
    sender.submit(key, {
      to: chain.addresses.marketplace,
      data: encodeConsumerFault(
        row.id,
        agreed.figures,
        agreed.signatures.map((s) => s.signature),
      ),
    });
    this.#log.warn({ bookingId: row.id }, "consumer fault stated: unusable encryption key; the consumer is refunded");
  }
}
