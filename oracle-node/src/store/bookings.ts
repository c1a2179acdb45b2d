import { BOOKING_STATUS_NAMES } from "@d-cloudx/sdk";

import type { Database } from "./db.ts";

/**
 * How far the node got with a booking. The chain's own status is kept apart (`chain_status`), so
 * that the node's progress survives restarts and the chain stays the authority on the booking.
 *
 * pending → provisioning → confirming → active → deprovisioned
 *        ↘ failed (retries used up or not provisionable: left to the on-chain timeout) → deprovisioned
 * reset: the booking id was re-used after a reorg; the old machine goes, then pending again.
 * retained: ended, its data kept read-only until `next_attempt_ms` (retention window), then deprovisioned.
 */
export type Stage =
  "pending" | "provisioning" | "confirming" | "active" | "failed" | "reset" | "retained" | "deprovisioned";

/** The marketplace's BookingStatus, by value (generated from the contract). */
export type ChainStatus = Lowercase<(typeof BOOKING_STATUS_NAMES)[number]>;

export const CHAIN_STATUSES = BOOKING_STATUS_NAMES.map((name) => name.toLowerCase() as ChainStatus);

export interface BookingRow {
  id: string;
  resource_id: string;
  consumer: string;
  provider: string;
  hours: number;
  encryption_key: string;
  metadata_cid: string | null;
  requested_block: number;
  chain_status: ChainStatus;
  requested_at: number | null;
  started_at: number | null;
  ends_at: number | null;
  settled_periods: number;
  stage: Stage;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  cloud: string | null;
  instance_id: string | null;
  probe: string | null;
  access_cid: string | null;
  seen_ms: number;
  provisioned_ms: number | null;
  updated_block: number;
  needs_sync: number;
}

export function getBooking(db: Database, id: bigint | string): BookingRow | undefined {
  return db.get<BookingRow>("SELECT * FROM bookings WHERE id = ?", String(id));
}

export function bookingsInStages(db: Database, stages: Stage[]): BookingRow[] {
  return db.all<BookingRow>(
    `SELECT * FROM bookings WHERE stage IN (${stages.map(() => "?").join(",")}) ORDER BY CAST(id AS INTEGER)`,
    ...stages,
  );
}

export function updateBooking(db: Database, id: string, fields: Partial<BookingRow>): void {
  const keys = Object.keys(fields);
  if (keys.length === 0) return;
  db.run(
    `UPDATE bookings SET ${keys.map((k) => `${k} = ?`).join(", ")} WHERE id = ?`,
    ...keys.map((k) => fields[k as keyof BookingRow] ?? null),
    id,
  );
}

export function countByStage(db: Database): Record<string, number> {
  const rows = db.all<{ stage: string; n: number }>("SELECT stage, COUNT(*) AS n FROM bookings GROUP BY stage");
  return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
}
