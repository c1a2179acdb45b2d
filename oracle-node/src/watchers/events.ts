/**
 * What the node records from the contracts' events. Logs are applied inside the same SQLite
 * transaction that moves the chain cursor, so a log is recorded exactly once whatever happens;
 * applying one twice (a rescan after a reorg, a duplicate delivery) changes nothing.
 *
 * Events are notifications: a booking an event touched is marked `needs_sync` and its status and
 * stream are then read from the chain (`syncBookings`), which stays the authority.
 */
import { type Address, type Log, parseEventLogs } from "viem";

import { escrowManagerAbi, resourceMarketplaceAbi, resourceVerifierAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import type { ChainContext } from "../chain.ts";
import type { Logger } from "../log.ts";
import { type BookingRow, CHAIN_STATUSES, getBooking, updateBooking } from "../store/bookings.ts";
import type { Database } from "../store/db.ts";

const ABI = [...resourceMarketplaceAbi, ...sLAEnforcementAbi, ...resourceVerifierAbi];

export const WATCHED_EVENTS = [
  "ResourceListed",
  "ResourceMetadataUpdated",
  "BookingRequested",
  "BookingProvisioned",
  "BookingCancelled",
  "BookingCompleted",
  "BookingTerminated",
  "SlaPeriodSettled",
  "ResourceVerified",
] as const;

/** Which bookings this node operates. */
export interface Scope {
  serves(provider: string, resourceId: bigint): boolean;
}

export function scopeOf(serve: { providers: "*" | string[]; resources: bigint[] }): Scope {
  const providers = serve.providers === "*" ? undefined : new Set(serve.providers.map((p) => p.toLowerCase()));
  const resources = new Set(serve.resources.map(String));
  return {
    serves: (provider, resourceId) =>
      providers === undefined || providers.has(provider.toLowerCase()) || resources.has(String(resourceId)),
  };
}

export class EventRecorder {
  readonly db: Database;
  readonly scope: Scope;
  readonly log: Logger;

  constructor(db: Database, scope: Scope, log: Logger) {
    this.db = db;
    this.scope = scope;
    this.log = log;
  }

  /** Records logs (in block order). Called inside the cursor's transaction. */
  apply(logs: Log[]): void {
    const events = parseEventLogs({ abi: ABI, logs, strict: true }).filter((e) =>
      (WATCHED_EVENTS as readonly string[]).includes(e.eventName),
    );
    for (const event of events) {
      const block = Number(event.blockNumber);
      switch (event.eventName) {
        case "ResourceListed": {
          const { resourceId, provider, metadataCid } = event.args;
          if (!this.scope.serves(provider, resourceId)) break;
          this.db.run(
            "INSERT OR REPLACE INTO resource_versions (resource_id, version, provider, metadata_cid, block) VALUES (?, 1, ?, ?, ?)",
            String(resourceId),
            provider.toLowerCase(),
            metadataCid,
            block,
          );
          break;
        }
        case "ResourceMetadataUpdated": {
          const { resourceId, metadataCid, metadataVersion } = event.args;
          const first = this.db.get<{ provider: string }>(
            "SELECT provider FROM resource_versions WHERE resource_id = ? ORDER BY version LIMIT 1",
            String(resourceId),
          );
          if (!first) break;
          this.db.run(
            "INSERT OR REPLACE INTO resource_versions (resource_id, version, provider, metadata_cid, block) VALUES (?, ?, ?, ?, ?)",
            String(resourceId),
            metadataVersion,
            first.provider,
            metadataCid,
            block,
          );
          break;
        }
        case "BookingRequested":
          this.#bookingRequested(event.args, block);
          break;
        case "BookingProvisioned":
        case "BookingCancelled":
        case "BookingCompleted":
        case "BookingTerminated":
        case "SlaPeriodSettled":
          this.db.run(
            "UPDATE bookings SET needs_sync = 1, updated_block = ? WHERE id = ?",
            block,
            String(event.args.bookingId),
          );
          break;
        case "ResourceVerified": {
          const { resourceId, metadataVersion, expiresAt } = event.args;
          this.db.run(
            `INSERT INTO attestations (resource_id, metadata_version, expires_at, state) VALUES (?, ?, ?, 'verified')
             ON CONFLICT(resource_id, metadata_version) DO UPDATE SET expires_at = excluded.expires_at, state = 'verified'`,
            String(resourceId),
            metadataVersion,
            Number(expiresAt),
          );
          break;
        }
      }
    }
  }

  #bookingRequested(
    args: {
      bookingId: bigint;
      resourceId: bigint;
      consumer: Address;
      provider: Address;
      hoursBooked: number;
      encryptionPublicKey: `0x${string}`;
    },
    block: number,
  ): void {
    const { bookingId, resourceId, consumer, provider, hoursBooked, encryptionPublicKey } = args;
    if (!this.scope.serves(provider, resourceId)) return;
    const id = String(bookingId);
    const metadata = this.db.get<{ metadata_cid: string }>(
      "SELECT metadata_cid FROM resource_versions WHERE resource_id = ? ORDER BY version DESC LIMIT 1",
      String(resourceId),
    );
    const fields = {
      resource_id: String(resourceId),
      consumer: consumer.toLowerCase(),
      provider: provider.toLowerCase(),
      hours: hoursBooked,
      encryption_key: encryptionPublicKey.toLowerCase(),
    };
    const existing = getBooking(this.db, id);
    if (!existing) {
      this.db.run(
        `INSERT INTO bookings (id, resource_id, consumer, provider, hours, encryption_key, metadata_cid,
           requested_block, chain_status, stage, seen_ms, updated_block, needs_sync)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'requested', 'pending', ?, ?, 1)`,
        id,
        fields.resource_id,
        fields.consumer,
        fields.provider,
        fields.hours,
        fields.encryption_key,
        metadata?.metadata_cid ?? null,
        block,
        Date.now(),
        block,
      );
      this.log.info({ bookingId: id, resourceId: fields.resource_id, block }, "booking requested");
      return;
    }
    const same = (Object.keys(fields) as (keyof typeof fields)[]).every((k) => existing[k] === fields[k]);
    if (same) {
      // The same booking again: a rescan after a reorg, or a duplicate log.
      const revived = existing.chain_status === "none" && existing.stage === "deprovisioned";
      updateBooking(this.db, id, {
        requested_block: block,
        updated_block: block,
        needs_sync: 1,
        ...(revived ? { stage: "pending", attempts: 0, next_attempt_ms: 0, last_error: null } : {}),
      });
      return;
    }
    // After a reorg the id now names another booking: drop the old machine, start again.
    this.log.warn({ bookingId: id }, "booking id re-used after a reorg: provisioning again for the new booking");
    updateBooking(this.db, id, {
      ...fields,
      metadata_cid: metadata?.metadata_cid ?? null,
      requested_block: block,
      updated_block: block,
      chain_status: "requested",
      stage: "reset",
      access_cid: null,
      attempts: 0,
      next_attempt_ms: 0,
      last_error: null,
      needs_sync: 1,
    });
  }

  /** Forgets what blocks after `ancestor` said: a reorg dropped them. Called inside a transaction. */
  rewind(ancestor: number): void {
    this.db.run("DELETE FROM resource_versions WHERE block > ?", ancestor);
    this.db.run(
      "UPDATE bookings SET needs_sync = 1 WHERE updated_block > ? OR requested_block > ?",
      ancestor,
      ancestor,
    );
  }
}

/**
 * Reads the status and stream of every booking an event touched, as of `blockNumber`, and stores
 * them. A booking the chain does not know (dropped by a reorg) gets status `none`.
 */
export async function syncBookings(db: Database, chain: ChainContext, blockNumber: bigint): Promise<BookingRow[]> {
  const rows = db.all<BookingRow>(
    "SELECT * FROM bookings WHERE needs_sync = 1 AND requested_block <= ?",
    Number(blockNumber),
  );
  const { client, addresses } = chain;
  const states = await Promise.all(
    rows.map(async (row) => {
      const id = BigInt(row.id);
      const [booking, stream] = await Promise.all([
        client.readContract({
          address: addresses.marketplace,
          abi: resourceMarketplaceAbi,
          functionName: "getBooking",
          args: [id],
          blockNumber,
        }),
        client.readContract({
          address: addresses.escrow,
          abi: escrowManagerAbi,
          functionName: "streamOf",
          args: [id],
          blockNumber,
        }),
      ]);
      return { row, booking, stream };
    }),
  );
  db.transaction(() => {
    for (const { row, booking, stream } of states) {
      const status = CHAIN_STATUSES[booking.status] ?? "none";
      const sameBooking = status === "none" || booking.consumer.toLowerCase() === row.consumer;
      updateBooking(db, row.id, {
        chain_status: sameBooking ? status : "none",
        requested_at: booking.requestedAt || null,
        started_at: stream.startedAt ? Number(stream.startedAt) : null,
        ends_at: stream.endsAt ? Number(stream.endsAt) : null,
        settled_periods: stream.settledPeriods,
        needs_sync: 0,
      });
    }
    db.run(
      `UPDATE reports SET state = 'settled', updated_ms = ? WHERE state != 'settled'
       AND period < (SELECT settled_periods FROM bookings WHERE bookings.id = reports.booking_id)`,
      Date.now(),
    );
  });
  return rows;
}
