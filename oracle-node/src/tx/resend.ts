/**
 * Re-sends transactions that are signed but not mined: one this process has not broadcast (signed
 * before a restart, or whose broadcast failed) is broadcast again as it was (the same bytes, the
 * same hash); one broadcast `bumpAfterMs` ago and still not mined is signed again with the same
 * nonce and fees raised by `bumpPercent` (unless its nonce was used by another transaction: then it
 * failed).
 */
import type { ChainContext } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { TxAttempt, TxStore } from "../store/txs.ts";
import type { Broadcaster, Fees } from "./broadcast.ts";
import type { InFlight } from "./confirm.ts";

export interface ResendOptions {
  bumpAfterMs: number;
  bumpPercent: number;
}

export class Resender {
  readonly #txs: TxStore;
  readonly #chain: ChainContext;
  readonly #broadcaster: Broadcaster;
  readonly #options: ResendOptions;
  readonly #log: Logger;
  readonly #metrics: Metrics;

  constructor(
    txs: TxStore,
    chain: ChainContext,
    broadcaster: Broadcaster,
    options: ResendOptions,
    log: Logger,
    metrics: Metrics,
  ) {
    this.#txs = txs;
    this.#chain = chain;
    this.#broadcaster = broadcaster;
    this.#options = options;
    this.#log = log;
    this.#metrics = metrics;
  }

  async resend(notMined: InFlight[]): Promise<void> {
    for (const { tx, attempts } of notMined) {
      const latest = attempts.at(-1);
      if (!latest) continue;
      // A cancelled transaction (its versions' signedMs reset to 0) is signed again at once.
      if (latest.signedMs > 0) {
        const age = this.#broadcaster.broadcastAgeMs(latest.hash);
        if (age === undefined) {
          await this.#broadcaster.broadcast(tx, latest);
          continue;
        }
        if (age < this.#options.bumpAfterMs) continue;
      }
      const chainNonce = await this.#chain.client.getTransactionCount({
        address: this.#chain.account.address,
        blockTag: "latest",
      });
      if (chainNonce > tx.nonce!) {
        // The nonce was used, and by none of this transaction's versions (their receipts were checked).
        this.#txs.fail(tx.id, "nonce used by another transaction");
        continue;
      }
      await this.#broadcaster.sign(tx, tx.nonce!, this.#bumped(latest));
      this.#metrics.txs.inc({ event: "bumped" });
      this.#log.warn({ key: tx.key, nonce: tx.nonce }, "transaction not mined in time: re-sent with higher fees");
    }
  }

  #bumped(latest: TxAttempt): Fees {
    const factor = BigInt(100 + this.#options.bumpPercent);
    const cap = this.#broadcaster.feeCap;
    const raised = (latest.maxFee * factor) / 100n + 1n;
    const maxFee = raised > cap ? cap : raised;
    const priority = (latest.priorityFee * factor) / 100n + 1n;
    return { maxFee, priority: priority > maxFee ? maxFee : priority };
  }
}
