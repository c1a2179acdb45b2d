/**
 * The node's outgoing transactions by idempotency key (`provision-<bookingId>`, `reports-<…>`):
 * submitting a key twice names the same transaction, so a restart at any point never sends an
 * action twice. Callers see a transaction only as its outcome; signing, broadcasting, confirming
 * and re-sending are the sender's (sender.ts).
 */
import type { Address, Hex } from "viem";

import type { TxStore } from "../store/txs.ts";

export interface TxRequest {
  to: Address;
  data: Hex;
  value?: bigint;
}

/** What became of the transaction under a key. */
export type TxOutcome =
  | { status: "none" }
  | { status: "pending" }
  | { status: "succeeded"; hash: Hex; block: number; gasUsed: bigint }
  | { status: "failed"; reason: string };

export class TxOutbox {
  readonly #txs: TxStore;
  readonly #self: Address;
  /** Called when a transaction is queued, so the sender's loop can start at once. */
  onQueued?: () => void;

  constructor(txs: TxStore, self: Address) {
    this.#txs = txs;
    this.#self = self;
  }

  /** Queues a transaction under `key`, unless the key already names one. */
  submit(key: string, request: TxRequest): void {
    this.#txs.insert(key, request.to, request.data, request.value ?? 0n);
    this.onQueued?.();
  }

  outcome(key: string): TxOutcome {
    const tx = this.#txs.get(key);
    if (!tx) return { status: "none" };
    if (tx.state === "queued" || tx.state === "sent") return { status: "pending" };
    if (tx.state === "mined" && tx.success) {
      return { status: "succeeded", hash: tx.hash!, block: tx.block!, gasUsed: tx.gasUsed! };
    }
    return { status: "failed", reason: tx.error ?? "reverted" };
  }

  /**
   * Sends `request` under a key whose last transaction failed (that one is archived under
   * `<key>#<id>`). A key whose transaction is still pending or succeeded is left alone.
   */
  resubmit(key: string, request: TxRequest): void {
    this.#txs.transaction(() => {
      if (this.outcome(key).status === "failed") this.archive(key);
      this.submit(key, request);
    });
  }

  /** Sends the same request again under a key whose transaction failed. */
  retry(key: string): void {
    const tx = this.#txs.get(key);
    if (tx) this.resubmit(key, { to: tx.to, data: tx.data, value: tx.value });
  }

  /**
   * Moves the transaction under `key` (if any) aside, to `<key>#<id>`, freeing the key. One still
   * queued is dropped; one already signed is cancelled: its nonce is re-sent at once, with higher
   * fees, as an empty transfer to this account.
   */
  archive(key: string): void {
    this.#txs.transaction(() => {
      const tx = this.#txs.get(key);
      if (!tx) return;
      this.#txs.archive(tx.id);
      if (tx.state === "queued") this.#txs.fail(tx.id, "superseded");
      else if (tx.state === "sent") this.#txs.cancel(tx.id, this.#self);
    });
  }

  /**
   * Transactions mined in blocks a reorg dropped are failed: their callers look at the chain again
   * and send what is still needed (a blind re-send could act on a booking that changed). Returns
   * their keys.
   */
  rewind(ancestor: bigint): string[] {
    return this.#txs.dropMinedAfter(ancestor);
  }

  pendingCount(): number {
    return this.#txs.pendingCount();
  }
}
