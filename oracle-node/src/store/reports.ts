import type { PeriodFigures } from "../measure/aggregate.ts";
import type { Database } from "./db.ts";

/**
 * measured: this node's figures, recorded before any signature leaves it; ready: a quorum signed
 * the agreed figures of the range `rangeTopic` covering it; submitted: in the batch `txKey`;
 * settled; expired: its window closed.
 */
export type ReportState = "measured" | "ready" | "submitted" | "settled" | "expired";

export interface ReportRecord {
  bookingId: string;
  period: number;
  figures: PeriodFigures;
  state: ReportState;
  txKey: string | null;
  rangeTopic: string | null;
}

interface Row {
  booking_id: string;
  period: number;
  uptime_bps: number;
  p95_latency_ms: number;
  sample_count: number;
  state: ReportState;
  tx_key: string | null;
  range_topic: string | null;
}

const fromRow = (r: Row): ReportRecord => ({
  bookingId: r.booking_id,
  period: r.period,
  figures: { uptimeBps: r.uptime_bps, p95LatencyMs: r.p95_latency_ms, sampleCount: r.sample_count },
  state: r.state,
  txKey: r.tx_key,
  rangeTopic: r.range_topic,
});

/** The `reports` table, one row per period of a booking. */
export class ReportStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(bookingId: string, period: number): ReportRecord | undefined {
    const row = this.#db.get<Row>("SELECT * FROM reports WHERE booking_id = ? AND period = ?", bookingId, period);
    return row && fromRow(row);
  }

  /** Records this node's own figures, once: they are never recomputed. */
  recordMeasured(bookingId: string, period: number, figures: PeriodFigures): void {
    this.#db.run(
      `INSERT OR IGNORE INTO reports (booking_id, period, uptime_bps, p95_latency_ms, sample_count, state, updated_ms)
       VALUES (?, ?, ?, ?, ?, 'measured', ?)`,
      bookingId,
      period,
      figures.uptimeBps,
      figures.p95LatencyMs,
      figures.sampleCount,
      Date.now(),
    );
  }

  /**
   * A quorum signed `figures` for the periods from `firstPeriod` on, under `topic` (those go on chain,
   * and may differ from this node's own within tolerance).
   */
  markReady(bookingId: string, firstPeriod: number, figures: PeriodFigures[], topic: string): void {
    this.#db.transaction(() => {
      figures.forEach((f, i) => {
        this.#db.run(
          `INSERT INTO reports (booking_id, period, uptime_bps, p95_latency_ms, sample_count, state, range_topic, updated_ms)
           VALUES (?, ?, ?, ?, ?, 'ready', ?, ?)
           ON CONFLICT (booking_id, period) DO UPDATE SET uptime_bps = excluded.uptime_bps,
             p95_latency_ms = excluded.p95_latency_ms, sample_count = excluded.sample_count, state = 'ready',
             range_topic = excluded.range_topic, updated_ms = excluded.updated_ms`,
          bookingId,
          firstPeriod + i,
          f.uptimeBps,
          f.p95LatencyMs,
          f.sampleCount,
          topic,
          Date.now(),
        );
      });
    });
  }

  ready(): ReportRecord[] {
    return this.#db
      .all<Row>("SELECT * FROM reports WHERE state = 'ready' ORDER BY CAST(booking_id AS INTEGER), period")
      .map(fromRow);
  }

  setState(bookingId: string, period: number, state: ReportState): void {
    this.#db.run(
      "UPDATE reports SET state = ?, updated_ms = ? WHERE booking_id = ? AND period = ?",
      state,
      Date.now(),
      bookingId,
      period,
    );
  }

  markSubmitted(reports: { bookingId: string; period: number }[], txKey: string): void {
    this.#db.transaction(() => {
      for (const r of reports) {
        this.#db.run(
          "UPDATE reports SET state = 'submitted', tx_key = ?, updated_ms = ? WHERE booking_id = ? AND period = ?",
          txKey,
          Date.now(),
          r.bookingId,
          r.period,
        );
      }
    });
  }

  /** The batches that have reports in flight. */
  submittedBatches(): string[] {
    return this.#db
      .all<{ tx_key: string }>("SELECT DISTINCT tx_key FROM reports WHERE state = 'submitted'")
      .map((r) => r.tx_key);
  }

  /** A batch is done: its reports settled, or ready to be sent again. */
  resolveBatch(txKey: string, state: "settled" | "ready"): void {
    this.#db.run(
      "UPDATE reports SET state = ?, updated_ms = ? WHERE tx_key = ? AND state = 'submitted'",
      state,
      Date.now(),
      txKey,
    );
  }

  /** Reports of batches a reorg dropped are ready to be sent again. */
  reopenBatches(txKeys: string[]): void {
    for (const key of txKeys) {
      this.#db.run("UPDATE reports SET state = 'ready' WHERE state IN ('submitted', 'settled') AND tx_key = ?", key);
    }
  }

  /** Periods below their booking's `settledPeriods` are settled, whoever reported them. */
  settleBelowSettledPeriods(): void {
    this.#db.run(
      `UPDATE reports SET state = 'settled', updated_ms = ? WHERE state != 'settled'
       AND period < (SELECT settled_periods FROM bookings WHERE bookings.id = reports.booking_id)`,
      Date.now(),
    );
  }

  /** How many reports went out in the given batches. */
  countInBatches(txKeys: string[]): number {
    let n = 0;
    for (const key of txKeys) {
      n += this.#db.get<{ n: number }>("SELECT COUNT(*) AS n FROM reports WHERE tx_key = ?", key)!.n;
    }
    return n;
  }
}
