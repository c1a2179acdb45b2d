import type { Database } from "./db.ts";

/** How many processed block hashes are kept to find a fork point. */
const KEPT_BLOCKS = 512;

export interface Cursor {
  number: bigint;
  hash: `0x${string}` | null;
}

/** The chain cursor (in `meta`) and the hashes of recent processed blocks (`blocks`). */
export class CursorStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The last processed block, or undefined before the first. */
  get(): Cursor | undefined {
    const number = this.#db.getMeta("cursor_number");
    if (number === undefined) return undefined;
    return { number: BigInt(number), hash: (this.#db.getMeta("cursor_hash") ?? null) as `0x${string}` | null };
  }

  /** Moves the cursor to `to`, remembering the hashes of the blocks that held logs. */
  advance(to: bigint, hash: string, hashes: Map<bigint, string>): void {
    for (const [number, blockHash] of hashes) {
      this.#db.run("INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)", Number(number), blockHash);
    }
    this.#db.run(
      "DELETE FROM blocks WHERE number NOT IN (SELECT number FROM blocks ORDER BY number DESC LIMIT ?)",
      KEPT_BLOCKS,
    );
    this.#db.setMeta("cursor_number", String(to));
    this.#db.setMeta("cursor_hash", hash);
  }

  /** Stored block hashes at or below `number`, newest first. */
  storedHashes(number: bigint): { number: bigint; hash: string }[] {
    return this.#db
      .all<{ number: number; hash: string }>(
        "SELECT number, hash FROM blocks WHERE number <= ? ORDER BY number DESC",
        Number(number),
      )
      .map((b) => ({ number: BigInt(b.number), hash: b.hash }));
  }

  /** Moves the cursor back to `ancestor` (null hash: to before the first block). */
  rewind(ancestor: { number: bigint; hash: string | null }): void {
    this.#db.run("DELETE FROM blocks WHERE number > ?", Number(ancestor.number));
    if (ancestor.hash === null) this.forget();
    else {
      this.#db.setMeta("cursor_number", String(ancestor.number));
      this.#db.setMeta("cursor_hash", ancestor.hash);
    }
  }

  /** Forgets the cursor and every stored hash: the chain is read again from the start. */
  forget(): void {
    this.#db.run("DELETE FROM meta WHERE key IN ('cursor_number', 'cursor_hash')");
    this.#db.run("DELETE FROM blocks");
  }
}
