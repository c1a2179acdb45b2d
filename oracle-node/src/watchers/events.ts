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
import { type Booking, CHAIN_STATUSES } from "../store/bookings.ts";
import type { Store } from "../store/index.ts";

const ABI = [...resourceMarketplaceAbi, ...escrowManagerAbi, ...sLAEnforcementAbi, ...resourceVerifierAbi];

export const WATCHED_EVENTS = [
  "ResourceListed",
  "ResourceMetadataUpdated",
  "BookingRequested",
  "BookingProvisioned",
  "BookingExtended",
  "StreamResumed",
  "BookingCancelled",
  "BookingCompleted",
  "BookingTerminated",
  "SlaPeriodsSettled",
  "ResourceVerified",
  "SignerAdded",
  "SignerRemoved",
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
  readonly store: Store;
  readonly scope: Scope;
  readonly log: Logger;

  constructor(store: Store, scope: Scope, log: Logger) {
    this.store = store;
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
          if (this.scope.serves(provider, resourceId))
            this.store.resources.record(resourceId, 1, provider, metadataCid, block);
          break;
        }
        case "ResourceMetadataUpdated": {
          const { resourceId, metadataCid, metadataVersion } = event.args;
          const provider = this.store.resources.providerOf(resourceId);
          if (provider) this.store.resources.record(resourceId, metadataVersion, provider, metadataCid, block);
          break;
        }
        case "BookingRequested":
          this.#bookingRequested(event.args, block);
          break;
        case "BookingProvisioned":
          this.store.bookings.touched(event.args.bookingId, block);
          // The access details the quorum confirmed: whose probe target to measure (bookings/cosigner.ts).
          this.store.bookings.update(String(event.args.bookingId), { accessCid: event.args.accessDetailsCid });
          break;
        // An extension or renewal moves the booking's end: the machine runs on until the new one,
        // and one suspended in grace resumes (StreamResumed, with BookingExtended).
        case "BookingExtended":
        case "StreamResumed":
        case "BookingCancelled":
        case "BookingCompleted":
        case "BookingTerminated":
        case "SlaPeriodsSettled":
          this.store.bookings.touched(event.args.bookingId, block);
          break;
        case "ResourceVerified": {
          const { resourceId, metadataVersion, expiresAt } = event.args;
          this.store.attestations.verified(resourceId, metadataVersion, Number(expiresAt));
          break;
        }
        case "SignerAdded":
        case "SignerRemoved":
          this.store.signers.record(
            event.address,
            event.args.signer,
            event.eventName === "SignerAdded",
            block,
            event.logIndex,
          );
          break;
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
    const metadataCid = this.store.resources.latestCid(resourceId) ?? null;
    const fields = {
      resourceId: String(resourceId),
      consumer: consumer.toLowerCase(),
      provider: provider.toLowerCase(),
      hours: hoursBooked,
      encryptionKey: encryptionPublicKey.toLowerCase(),
    };
    const existing = this.store.bookings.get(id);
    if (!existing) {
      this.store.bookings.insert({ id, ...fields, metadataCid, requestedBlock: block });
      this.log.info({ bookingId: id, resourceId: fields.resourceId, block }, "booking requested");
      return;
    }
    const same = (Object.keys(fields) as (keyof typeof fields)[]).every((k) => existing[k] === fields[k]);
    if (same) {
      // The same booking again: a rescan after a reorg, or a duplicate log.
      const revived = existing.chainStatus === "none" && existing.stage === "deprovisioned";
      this.store.bookings.update(id, {
        requestedBlock: block,
        updatedBlock: block,
        needsSync: true,
        ...(revived ? { stage: "pending", attempts: 0, nextAttemptMs: 0, lastError: null } : {}),
      });
      return;
    }
    // After a reorg the id now names another booking: drop the old machine, start again.
    this.log.warn({ bookingId: id }, "booking id re-used after a reorg: provisioning again for the new booking");
    this.store.bookings.update(id, {
      ...fields,
      metadataCid,
      requestedBlock: block,
      updatedBlock: block,
      chainStatus: "requested",
      stage: "reset",
      accessCid: null,
      attempts: 0,
      nextAttemptMs: 0,
      lastError: null,
      needsSync: true,
    });
  }

  /** Forgets what blocks after `ancestor` said: a reorg dropped them. Called inside a transaction. */
  rewind(ancestor: number): void {
    this.store.resources.rewind(ancestor);
    this.store.signers.rewind(ancestor);
    this.store.bookings.rewind(ancestor);
  }
}

/**
 * Reads the status and stream of every booking an event touched, as of `blockNumber`, and stores
 * them. A booking the chain does not know (dropped by a reorg) gets status `none`.
 */
export async function syncBookings(store: Store, chain: ChainContext, blockNumber: bigint): Promise<Booking[]> {
  const rows = store.bookings.needingSync(Number(blockNumber));
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
  store.transaction(() => {
    for (const { row, booking, stream } of states) {
      const status = CHAIN_STATUSES[booking.status] ?? "none";
      const sameBooking = status === "none" || booking.consumer.toLowerCase() === row.consumer;
      store.bookings.update(row.id, {
        chainStatus: sameBooking ? status : "none",
        requestedAt: booking.requestedAt || null,
        startedAt: stream.startedAt ? Number(stream.startedAt) : null,
        endsAt: stream.endsAt ? Number(stream.endsAt) : null,
        settledPeriods: stream.settledPeriods,
        needsSync: false,
      });
    }
    store.reports.settleBelowSettledPeriods();
  });
  return rows;
}
