import type { ProbeTarget } from "../provisioners/types.ts";
import type { Database } from "./db.ts";

/** The `probe_targets` table: where other oracles announced that a booking's machine answers. */
export class TargetStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  record(bookingId: string, announcer: string, target: ProbeTarget): void {
    this.#db.run(
      `INSERT INTO probe_targets (booking_id, announcer, target, received_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT(booking_id, announcer) DO UPDATE SET target = excluded.target, received_ms = excluded.received_ms`,
      bookingId,
      announcer.toLowerCase(),
      JSON.stringify(target),
      Date.now(),
    );
  }

  /** The target `announcer` gave for the booking, if any. */
  get(bookingId: string, announcer: string): ProbeTarget | undefined {
    const row = this.#db.get<{ target: string }>(
      "SELECT target FROM probe_targets WHERE booking_id = ? AND announcer = ?",
      bookingId,
      announcer.toLowerCase(),
    );
    return row && (JSON.parse(row.target) as ProbeTarget);
  }

  pruneBefore(ms: number): void {
    this.#db.run("DELETE FROM probe_targets WHERE received_ms < ?", ms);
  }
}
