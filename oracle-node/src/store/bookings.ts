import { BOOKING_STATUS_NAMES } from "@d-cloudx/sdk";

import type { ProbeTarget } from "../provisioners/types.ts";
import type { Database } from "./db.ts";

/**
 * How far the node got with a booking. The chain's own status is kept apart (`chainStatus`), so
 * that the node's progress survives restarts and the chain stays the authority on the booking.
 *
 * pending → provisioning → confirming → active ⇄ suspended → deprovisioned
 * suspended: ended unextended, its machine paused for the grace period; resumed (active) when the
 * stream's end moves again, deprovisioned when grace is over or the booking is completed.
 *        ↘ failed (retries used up or not provisionable: left to the on-chain timeout) → deprovisioned
 * reset: the booking id was re-used after a reorg; the old machine goes, then pending again.
 * retained: ended, its data kept read-only until `nextAttemptMs` (retention window), then deprovisioned.
 */
export type Stage =
  | "pending"
  | "provisioning"
  | "confirming"
  | "active"
  | "suspended"
  | "failed"
  | "reset"
  | "retained"
  | "deprovisioned";

/** The marketplace's BookingStatus, by value (generated from the contract). */
export type ChainStatus = Lowercase<(typeof BOOKING_STATUS_NAMES)[number]>;

export const CHAIN_STATUSES = BOOKING_STATUS_NAMES.map((name) => name.toLowerCase() as ChainStatus);

/** What the node knows of one booking it serves. Times in chain seconds, `…Ms` in wall-clock ms. */
export interface Booking {
  id: string;
  resourceId: string;
  consumer: string;
  provider: string;
  hours: number;
  /** The consumer's X25519 key for the access details. */
  encryptionKey: string;
  metadataCid: string | null;
  requestedBlock: number;
  chainStatus: ChainStatus;
  requestedAt: number | null;
  startedAt: number | null;
  endsAt: number | null;
  settledPeriods: number;
  stage: Stage;
  attempts: number;
  nextAttemptMs: number;
  lastError: string | null;
  cloud: string | null;
  instanceId: string | null;
  /** Where probes reach the machine: this node's own, or another oracle's announcement. */
  probe: ProbeTarget | null;
  accessCid: string | null;
  seenMs: number;
  provisionedMs: number | null;
  /**
   * The oracle that provisioned another node's booking: the one whose confirmation this node
   * co-signed after probing its target, or that signed the confirmed access details; only its probe
   * target is used.
   */
  provisionedBy: string | null;
  updatedBlock: number;
  /** An event touched the booking: its state is to be read from the chain. */
  needsSync: boolean;
}

export type NewBooking = Pick<
  Booking,
  "id" | "resourceId" | "consumer" | "provider" | "hours" | "encryptionKey" | "metadataCid" | "requestedBlock"
>;

const COLUMNS: Record<keyof Booking, string> = {
  id: "id",
  resourceId: "resource_id",
  consumer: "consumer",
  provider: "provider",
  hours: "hours",
  encryptionKey: "encryption_key",
  metadataCid: "metadata_cid",
  requestedBlock: "requested_block",
  chainStatus: "chain_status",
  requestedAt: "requested_at",
  startedAt: "started_at",
  endsAt: "ends_at",
  settledPeriods: "settled_periods",
  stage: "stage",
  attempts: "attempts",
  nextAttemptMs: "next_attempt_ms",
  lastError: "last_error",
  cloud: "cloud",
  instanceId: "instance_id",
  probe: "probe",
  accessCid: "access_cid",
  seenMs: "seen_ms",
  provisionedMs: "provisioned_ms",
  provisionedBy: "provisioned_by",
  updatedBlock: "updated_block",
  needsSync: "needs_sync",
};

type Row = Record<string, string | number | null>;

function fromRow(row: Row): Booking {
  const booking = Object.fromEntries(
    Object.entries(COLUMNS).map(([field, column]) => [field, row[column] ?? null]),
  ) as unknown as Booking;
  booking.probe = row.probe ? (JSON.parse(row.probe as string) as ProbeTarget) : null;
  booking.needsSync = row.needs_sync === 1;
  return booking;
}

function toColumn(field: keyof Booking, value: unknown): string | number | null {
  if (field === "probe") return value ? JSON.stringify(value) : null;
  if (field === "needsSync") return value ? 1 : 0;
  return (value ?? null) as string | number | null;
}

/** The `bookings` table. */
export class BookingStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(id: bigint | string): Booking | undefined {
    const row = this.#db.get<Row>("SELECT * FROM bookings WHERE id = ?", String(id));
    return row && fromRow(row);
  }

  inStages(stages: Stage[]): Booking[] {
    return this.#db
      .all<Row>(
        `SELECT * FROM bookings WHERE stage IN (${stages.map(() => "?").join(",")}) ORDER BY CAST(id AS INTEGER)`,
        ...stages,
      )
      .map(fromRow);
  }

  /** A booking seen for the first time: pending, its chain state still to be read. */
  insert(booking: NewBooking): void {
    this.#db.run(
      `INSERT INTO bookings (id, resource_id, consumer, provider, hours, encryption_key, metadata_cid,
         requested_block, chain_status, stage, seen_ms, updated_block, needs_sync)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'requested', 'pending', ?, ?, 1)`,
      booking.id,
      booking.resourceId,
      booking.consumer,
      booking.provider,
      booking.hours,
      booking.encryptionKey,
      booking.metadataCid,
      booking.requestedBlock,
      Date.now(),
      booking.requestedBlock,
    );
  }

  update(id: string, fields: Partial<Booking>): void {
    const keys = Object.keys(fields) as (keyof Booking)[];
    if (keys.length === 0) return;
    this.#db.run(
      `UPDATE bookings SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(", ")} WHERE id = ?`,
      ...keys.map((k) => toColumn(k, fields[k])),
      id,
    );
  }

  /** An event in `block` touched the booking (if served): its state is read from the chain again. */
  touched(id: bigint, block: number): void {
    this.#db.run("UPDATE bookings SET needs_sync = 1, updated_block = ? WHERE id = ?", block, String(id));
  }

  /** Bookings touched by blocks a reorg dropped are read from the chain again. */
  rewind(ancestor: number): void {
    this.#db.run(
      "UPDATE bookings SET needs_sync = 1 WHERE updated_block > ? OR requested_block > ?",
      ancestor,
      ancestor,
    );
  }

  /** Bookings whose chain state is to be read, requested at or before `block`. */
  needingSync(block: number): Booking[] {
    return this.#db
      .all<Row>("SELECT * FROM bookings WHERE needs_sync = 1 AND requested_block <= ?", block)
      .map(fromRow);
  }

  /** Active bookings started and not yet at their end at `nowSeconds`: the ones to probe. */
  running(nowSeconds: number): Booking[] {
    return this.#db
      .all<Row>("SELECT * FROM bookings WHERE stage = 'active' AND started_at IS NOT NULL AND ends_at > ?", nowSeconds)
      .map(fromRow);
  }

  /** Synced active bookings, running or in grace, whose stream ends in `(after, until]` (chain seconds). */
  endingBetween(after: number, until: number): Booking[] {
    return this.#db
      .all<Row>(
        `SELECT * FROM bookings WHERE chain_status = 'active' AND needs_sync = 0 AND stage IN ('active', 'suspended')
         AND ends_at > ? AND ends_at <= ? ORDER BY CAST(id AS INTEGER)`,
        after,
        until,
      )
      .map(fromRow);
  }

  /** Synced bookings waiting for their provisioning confirmation. */
  awaitingConfirmation(): Booking[] {
    return this.#db
      .all<Row>(
        `SELECT * FROM bookings WHERE chain_status = 'requested' AND needs_sync = 0 AND requested_at IS NOT NULL
         ORDER BY CAST(id AS INTEGER)`,
      )
      .map(fromRow);
  }

  /** Synced active bookings of another oracle's machine whose probe target this node has not settled on. */
  withoutTarget(): Booking[] {
    return this.#db
      .all<Row>(
        `SELECT * FROM bookings WHERE chain_status = 'active' AND needs_sync = 0
         AND probe IS NULL AND provisioned_by IS NULL`,
      )
      .map(fromRow);
  }

  /** Synced bookings whose stream has started, in a status whose periods can still be reported. */
  reportable(): Booking[] {
    return this.#db
      .all<Row>(
        `SELECT * FROM bookings WHERE started_at IS NOT NULL
         AND chain_status IN ('active', 'completed', 'terminated') AND needs_sync = 0`,
      )
      .map(fromRow);
  }

  countByStage(): Record<string, number> {
    const rows = this.#db.all<{ stage: string; n: number }>("SELECT stage, COUNT(*) AS n FROM bookings GROUP BY stage");
    return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
  }
}
