import type { Database } from "./db.ts";

/** What a statement signs: numbers, strings, or lists of numbers (one per period of a report). */
export type Figures = Record<string, string | number | number[]>;

export interface OwnSignature {
  topic: string;
  figures: Figures;
  signature: `0x${string}`;
}

/**
 * Every statement this node signed (`report-…`, `attestation-…`, `provision-…`), stored before the
 * signature leaves the node. A topic is signed once, with one set of figures, whatever happens
 * (a restart, a replayed proposal): the first row wins.
 */
export class SignatureStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(topic: string): OwnSignature | undefined {
    const row = this.#db.get<{ topic: string; figures: string; signature: `0x${string}` }>(
      "SELECT topic, figures, signature FROM signatures WHERE topic = ?",
      topic,
    );
    return row && { topic: row.topic, figures: JSON.parse(row.figures) as Figures, signature: row.signature };
  }

  /** Records a signature unless the topic is already signed; returns what is on record for the topic. */
  record(signature: OwnSignature): OwnSignature {
    this.#db.run(
      "INSERT OR IGNORE INTO signatures (topic, figures, signature, signed_ms) VALUES (?, ?, ?, ?)",
      signature.topic,
      JSON.stringify(signature.figures),
      signature.signature,
      Date.now(),
    );
    return this.get(signature.topic)!;
  }

  /** Signatures made since `sinceMs`, to announce again to peers that may have missed them. */
  since(sinceMs: number): OwnSignature[] {
    return this.#db
      .all<{ topic: string; figures: string; signature: `0x${string}` }>(
        "SELECT topic, figures, signature FROM signatures WHERE signed_ms >= ? ORDER BY signed_ms",
        sinceMs,
      )
      .map((r) => ({ topic: r.topic, figures: JSON.parse(r.figures) as Figures, signature: r.signature }));
  }

  /** Forgets the signature on `topic` (it named a booking a reorg dropped). */
  forget(topic: string): void {
    this.#db.run("DELETE FROM signatures WHERE topic = ?", topic);
  }

  pruneBefore(ms: number): void {
    this.#db.run("DELETE FROM signatures WHERE signed_ms < ?", ms);
  }
}
