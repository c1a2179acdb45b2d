import type { Sample } from "../measure/aggregate.ts";
import type { Database } from "./db.ts";

/** The `samples` table: this node's own probe results, stamped with the chain's time. */
export class SampleStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores a round of probe samples in one transaction. */
  addProbes(samples: { bookingId: string; atMs: number; ok: boolean; latencyMs: number }[]): void {
    this.#db.transaction(() => {
      for (const s of samples) {
        this.#db.run(
          "INSERT INTO samples (booking_id, at_ms, ok, latency_ms, source) VALUES (?, ?, ?, ?, 'probe')",
          s.bookingId,
          Math.round(s.atMs),
          s.ok ? 1 : 0,
          s.latencyMs,
        );
      }
    });
  }

  /** A booking's samples in [fromMs, toMs). */
  between(bookingId: string, fromMs: number, toMs: number): Sample[] {
    return this.#db
      .all<{ at_ms: number; ok: number; latency_ms: number; source: string }>(
        "SELECT at_ms, ok, latency_ms, source FROM samples WHERE booking_id = ? AND at_ms >= ? AND at_ms < ?",
        bookingId,
        fromMs,
        toMs,
      )
      .map((s) => ({ atMs: s.at_ms, ok: s.ok === 1, latencyMs: s.latency_ms, source: s.source }));
  }

  count(bookingId: string, options: { failedOnly?: boolean } = {}): number {
    return this.#db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM samples WHERE booking_id = ?${options.failedOnly ? " AND ok = 0" : ""}`,
      bookingId,
    )!.n;
  }

  /** Drops samples older than `ms` (their periods can no longer be reported). */
  pruneBefore(ms: number): void {
    this.#db.run("DELETE FROM samples WHERE at_ms < ?", ms);
  }
}
