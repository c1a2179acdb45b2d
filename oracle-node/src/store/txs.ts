import type { Address, Hex } from "viem";

import type { Database } from "./db.ts";

/**
 * queued: waiting for its gas estimate and nonce; sent: signed (every signed version is stored
 * before it is broadcast); mined: a version was mined (successfully or not); failed: never mined
 * (would revert, superseded, its nonce used by another transaction, or dropped by a reorg).
 */
export type TxState = "queued" | "sent" | "mined" | "failed";

export interface TxRecord {
  id: number;
  key: string;
  to: Address;
  data: Hex;
  value: bigint;
  state: TxState;
  nonce: number | null;
  gas: bigint | null;
  hash: Hex | null;
  block: number | null;
  gasUsed: bigint | null;
  /** Whether the mined transaction succeeded (null until mined). */
  success: boolean | null;
  error: string | null;
}

/** One signed version of a transaction (a fee bump signs another with the same nonce). */
export interface TxAttempt {
  hash: Hex;
  txId: number;
  raw: Hex;
  maxFee: bigint;
  priorityFee: bigint;
  signedMs: number;
}

interface Row {
  id: number;
  key: string;
  to_address: string;
  data: string;
  value: string;
  state: TxState;
  nonce: number | null;
  gas: string | null;
  hash: string | null;
  block: number | null;
  gas_used: string | null;
  success: number | null;
  error: string | null;
}

const fromRow = (r: Row): TxRecord => ({
  id: r.id,
  key: r.key,
  to: r.to_address as Address,
  data: r.data as Hex,
  value: BigInt(r.value),
  state: r.state,
  nonce: r.nonce,
  gas: r.gas === null ? null : BigInt(r.gas),
  hash: r.hash as Hex | null,
  block: r.block,
  gasUsed: r.gas_used === null ? null : BigInt(r.gas_used),
  success: r.success === null ? null : r.success === 1,
  error: r.error,
});

/** The `txs` and `tx_attempts` tables: every transaction the node's key signs, by idempotency key. */
export class TxStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  transaction<T>(work: () => T): T {
    return this.#db.transaction(work);
  }

  /** Queues a transaction under `key` unless the key is taken. */
  insert(key: string, to: Address, data: Hex, value: bigint): void {
    this.#db.run(
      "INSERT OR IGNORE INTO txs (key, to_address, data, value, state, created_ms) VALUES (?, ?, ?, ?, 'queued', ?)",
      key,
      to,
      data,
      String(value),
      Date.now(),
    );
  }

  get(key: string): TxRecord | undefined {
    const row = this.#db.get<Row>("SELECT * FROM txs WHERE key = ?", key);
    return row && fromRow(row);
  }

  inState(state: TxState): TxRecord[] {
    return this.#db
      .all<Row>(`SELECT * FROM txs WHERE state = ? ORDER BY ${state === "sent" ? "nonce" : "id"}`, state)
      .map(fromRow);
  }

  /** Keys of transactions whose key starts with `prefix` (every version, archived ones included). */
  keysLike(prefix: string): string[] {
    return this.#db.all<{ key: string }>("SELECT key FROM txs WHERE key LIKE ?", `${prefix}%`).map((r) => r.key);
  }

  pendingCount(): number {
    return this.#db.get<{ n: number }>("SELECT COUNT(*) AS n FROM txs WHERE state IN ('queued', 'sent')")!.n;
  }

  /** The highest nonce in flight, or undefined. */
  maxNonceInFlight(): number | undefined {
    return this.#db.get<{ n: number | null }>("SELECT MAX(nonce) AS n FROM txs WHERE state = 'sent'")!.n ?? undefined;
  }

  /** Renames the row to `<key>#<id>`, freeing the key. */
  archive(id: number): void {
    this.#db.run("UPDATE txs SET key = key || '#' || id WHERE id = ?", id);
  }

  /** A signed transaction is replaced by an empty transfer to `self` with the same nonce (sent again at once). */
  cancel(id: number, self: Address): void {
    this.#db.run("UPDATE txs SET to_address = ?, data = '0x', value = '0', error = 'cancelled' WHERE id = ?", self, id);
    this.#db.run("UPDATE tx_attempts SET signed_ms = 0 WHERE tx_id = ?", id);
  }

  fail(id: number, error: string): void {
    this.#db.run("UPDATE txs SET state = 'failed', error = ?, done_ms = ? WHERE id = ?", error, Date.now(), id);
  }

  setGas(id: number, gas: bigint): void {
    this.#db.run("UPDATE txs SET gas = ? WHERE id = ?", String(gas), id);
  }

  /** Stores a signed version and marks the transaction sent with its nonce, in one transaction. */
  recordAttempt(attempt: TxAttempt, nonce: number): void {
    this.#db.transaction(() => {
      this.#db.run(
        "INSERT OR IGNORE INTO tx_attempts (hash, tx_id, raw, max_fee, priority_fee, signed_ms) VALUES (?, ?, ?, ?, ?, ?)",
        attempt.hash,
        attempt.txId,
        attempt.raw,
        String(attempt.maxFee),
        String(attempt.priorityFee),
        attempt.signedMs,
      );
      this.#db.run(
        "UPDATE txs SET state = 'sent', nonce = ?, hash = ?, sent_ms = COALESCE(sent_ms, ?) WHERE id = ?",
        nonce,
        attempt.hash,
        attempt.signedMs,
        attempt.txId,
      );
    });
  }

  /** Signed versions of a transaction, oldest first. */
  attempts(txId: number): TxAttempt[] {
    return this.#db
      .all<{ hash: string; tx_id: number; raw: string; max_fee: string; priority_fee: string; signed_ms: number }>(
        "SELECT * FROM tx_attempts WHERE tx_id = ? ORDER BY signed_ms",
        txId,
      )
      .map((a) => ({
        hash: a.hash as Hex,
        txId: a.tx_id,
        raw: a.raw as Hex,
        maxFee: BigInt(a.max_fee),
        priorityFee: BigInt(a.priority_fee),
        signedMs: a.signed_ms,
      }));
  }

  mined(
    id: number,
    receipt: { hash: Hex; block: bigint; gasUsed: bigint; success: boolean; error: string | null },
  ): void {
    this.#db.run(
      "UPDATE txs SET state = 'mined', hash = ?, block = ?, gas_used = ?, success = ?, done_ms = ?, error = ? WHERE id = ?",
      receipt.hash,
      Number(receipt.block),
      String(receipt.gasUsed),
      receipt.success ? 1 : 0,
      Date.now(),
      receipt.error,
      id,
    );
  }

  /** Transactions mined after `ancestor` are failed (a reorg dropped their blocks); returns their keys. */
  dropMinedAfter(ancestor: bigint): string[] {
    const keys = this.#db
      .all<{ key: string }>("SELECT key FROM txs WHERE state = 'mined' AND block > ?", Number(ancestor))
      .map((r) => r.key);
    this.#db.run(
      "UPDATE txs SET state = 'failed', error = 'dropped by a reorg', block = NULL WHERE state = 'mined' AND block > ?",
      Number(ancestor),
    );
    return keys;
  }
}
