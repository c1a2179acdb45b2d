/**
 * Moves each served booking through its stages (see store/bookings.ts). Every step is idempotent
 * and the stage is stored before and after each external action, so a restart resumes where it
 * stopped: the adapter returns the machine it already made for the booking, and the confirmation
 * is the transaction `provision-<bookingId>` (one per booking, whatever happens).
 *
 * Billing starts on a quorum: once the machine answers, this node signs the provisioning
 * confirmation and publishes it through the agreement, the other oracles probe the machine and
 * co-sign (bookings/cosigner.ts), and this node submits the confirmation when a quorum has signed.
 *
 * A failed provisioning step is retried with exponential backoff until shortly before the on-chain
 * provisioning deadline; after that the booking is left to the timeout, which refunds the consumer
 * in full. Bad input (unreadable or invalid metadata, a cloud this node has no adapter for) fails
 * at once. A booking whose encryption key is unusable is not provisioned: that is the consumer's
 * fault, which the oracles state on chain (bookings/cosigner.ts), so that nobody is slashed.
 */
import PQueue from "p-queue";
import { encodeFunctionData } from "viem";

import {
  MAX_METADATA_BYTES,
  encryptAccessDetails,
  isUsableEncryptionKey,
  parseResourceMetadata,
  type Cloud,
} from "@d-cloudx/sdk";
import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import { type ChainContext, describeError } from "../chain.ts";
import type { Config } from "../config.ts";
import type { ContentStore } from "../ipfs.ts";
import type { Logger } from "../log.ts";
import { probe } from "../measure/probe.ts";
import type { Metrics } from "../metrics.ts";
import type { ProvisionerRegistry } from "../provisioners/registry.ts";
import { type Machine, ProvisionerError } from "../provisioners/types.ts";
import type { Agreement } from "../reporting/agreement.ts";
import { type ProvisioningFigures, encodeConfirmation, provisioningStatement } from "../reporting/statements.ts";
import { type BookingRow, bookingsInStages, updateBooking } from "../store/bookings.ts";
import type { Database } from "../store/db.ts";
import type { TxSender } from "../tx/sender.ts";

const FINAL_STATUSES = new Set(["completed", "cancelled", "terminated", "none"]);

/** A failure that retrying cannot fix. */
class PermanentError extends Error {}

export interface LifecycleDeps {
  db: Database;
  chain: ChainContext;
  sender: TxSender;
  registry: ProvisionerRegistry;
  ipfs: ContentStore;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Seconds oracles have to confirm provisioning (the marketplace's provisionTimeout). */
  provisionTimeoutSeconds: number;
  agreement: Agreement;
  /** Signatures a statement needs (SLAEnforcement.quorum()). */
  quorum: () => number;
  /** Whether the oracle signer set accepts signatures from `signer`. */
  registered: (signer: string) => Promise<boolean>;
}

export class BookingLifecycle {
  readonly #d: LifecycleDeps;
  readonly #log: Logger;
  readonly #queue: PQueue;
  /** Bookings with a job queued or running, so a booking never has two at once. */
  readonly #busy = new Set<string>();

  constructor(deps: LifecycleDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: "bookings" });
    this.#queue = new PQueue({ concurrency: deps.config.provisioning.concurrency });
  }

  /** Starts whatever work is due; returns without waiting for it. */
  tick(): void {
    const now = Date.now();
    for (const row of bookingsInStages(this.#d.db, [
      "pending",
      "provisioning",
      "confirming",
      "active",
      "failed",
      "reset",
    ])) {
      if (this.#busy.has(row.id)) continue;
      const job = this.#next(row, now);
      if (!job) continue;
      this.#busy.add(row.id);
      void this.#queue
        .add(() => job.call(this, row))
        .catch((error) => this.#log.error({ bookingId: row.id, error: describeError(error) }, "booking job failed"))
        .finally(() => this.#busy.delete(row.id));
    }
  }

  /** Waits for running jobs (tests and shutdown). */
  async idle(): Promise<void> {
    await this.#queue.onIdle();
  }

  #next(row: BookingRow, now: number): ((row: BookingRow) => Promise<void>) | undefined {
    const provisions = this.#d.config.serve.provision;
    if (row.needs_sync) return undefined;
    switch (row.stage) {
      case "reset":
        return this.#reset;
      case "pending":
      case "provisioning":
        if (row.chain_status === "active") return this.#activated;
        if (row.chain_status !== "requested") return this.#deprovision;
        return provisions && row.next_attempt_ms <= now ? this.#provision : undefined;
      case "confirming":
        return this.#confirming;
      case "active":
        return FINAL_STATUSES.has(row.chain_status) || this.#ended(row) ? this.#finish : undefined;
      case "failed":
        return row.chain_status === "requested" && !this.#pastDeadline(row) ? undefined : this.#deprovision;
    }
    return undefined;
  }

  #ended(row: BookingRow): boolean {
    return row.ends_at !== null && this.#d.chain.clock.nowSeconds() >= row.ends_at;
  }

  #deadline(row: BookingRow): number {
    return (row.requested_at ?? 0) + this.#d.provisionTimeoutSeconds;
  }

  #pastDeadline(row: BookingRow): boolean {
    return this.#d.chain.clock.nowSeconds() > this.#deadline(row);
  }

  async #provision(row: BookingRow): Promise<void> {
    const { db, registry, ipfs } = this.#d;
    const id = BigInt(row.id);
    if (!isUsableEncryptionKey(row.encryption_key)) {
      updateBooking(db, row.id, { stage: "failed", last_error: "the consumer's encryption key is unusable" });
      this.#log.warn(
        { bookingId: row.id },
        "unusable encryption key: not provisioned; the oracles state a consumer fault",
      );
      return;
    }
    try {
      const metadata = await this.#metadata(row);
      const adapter = registry.for(metadata.cloud);
      updateBooking(db, row.id, { stage: "provisioning", cloud: metadata.cloud });
      const machine = await adapter.provision({
        bookingId: id,
        resourceId: BigInt(row.resource_id),
        consumer: row.consumer,
        hoursBooked: row.hours,
        metadata,
      });
      const ready = await this.#waitUntilReachable(machine, metadata.cloud);
      const envelope = encryptAccessDetails(row.encryption_key, ready.access!);
      const cid = await ipfs.add(new TextEncoder().encode(JSON.stringify(envelope)));
      const confirming = {
        stage: "confirming" as const,
        instance_id: ready.instanceId,
        probe: JSON.stringify(ready.probe),
        access_cid: cid,
        last_error: null,
      };
      updateBooking(db, row.id, confirming);
      this.#log.info(
        { bookingId: row.id, cloud: metadata.cloud, instanceId: ready.instanceId, accessCid: cid },
        "provisioned; confirming with the other oracles",
      );
      await this.#confirm({ ...row, ...confirming });
    } catch (error) {
      this.#failed(row, error);
    }
  }

  async #metadata(row: BookingRow) {
    if (!row.metadata_cid) throw new PermanentError(`resource ${row.resource_id} has no known metadata document`);
    let bytes: Uint8Array;
    try {
      bytes = await this.#d.ipfs.cat(row.metadata_cid, MAX_METADATA_BYTES);
    } catch (error) {
      if (error instanceof Error && error.name === "ContentTooLargeError") throw new PermanentError(error.message);
      throw error;
    }
    const parsed = parseResourceMetadata(bytes);
    if (!parsed.ok) throw new PermanentError(`metadata ${row.metadata_cid} is invalid: ${parsed.errors.join("; ")}`);
    return parsed.value;
  }

  /** Waits until the cloud says the machine runs and the probe reaches it. */
  async #waitUntilReachable(machine: Machine, cloud: Cloud): Promise<Machine> {
    const { registry, config } = this.#d;
    const deadline = Date.now() + config.provisioning.readyTimeoutMs;
    let current: Machine | undefined = machine;
    for (let wait = 50; ; wait = Math.min(wait * 2, 5_000)) {
      if (current?.state === "running" && current.access && current.probe) {
        if ((await probe(current.probe, config.probes.timeoutMs)).ok) return current;
      }
      if (current?.state === "terminated")
        throw new ProvisionerError("the machine was terminated while starting", true);
      if (Date.now() + wait > deadline)
        throw new ProvisionerError("the machine did not become reachable in time", true);
      await new Promise((resolve) => setTimeout(resolve, wait));
      current = await registry.for(cloud).describe(machine.bookingId);
    }
  }

  #failed(row: BookingRow, error: unknown): void {
    const { db, config, metrics } = this.#d;
    metrics.provisionFailures.inc();
    const message = describeError(error);
    const permanent = error instanceof PermanentError || (error instanceof ProvisionerError && !error.retryable);
    const attempts = row.attempts + 1;
    const delay = Math.min(
      config.provisioning.retryMaxDelayMs,
      config.provisioning.retryInitialDelayMs * 2 ** row.attempts,
    );
    const next = Date.now() + delay * (0.75 + Math.random() / 2);
    const giveUpAt = (this.#deadline(row) - config.provisioning.deadlineMarginSeconds) * 1000;
    const chainNext = this.#d.chain.clock.nowMs() + (next - Date.now());
    if (permanent || chainNext > giveUpAt) {
      updateBooking(db, row.id, { stage: "failed", attempts, last_error: message });
      this.#log.error(
        { bookingId: row.id, attempts, error: message },
        "provisioning failed for good; the booking is left to the on-chain timeout (full refund)",
      );
      return;
    }
    updateBooking(db, row.id, { attempts, next_attempt_ms: Math.round(next), last_error: message });
    this.#log.warn(
      { bookingId: row.id, attempts, retryInMs: Math.round(delay), error: message },
      "provisioning failed; will retry",
    );
  }

  /**
   * Signs the confirmation of a provisioned booking and submits it (`provision-<bookingId>`) once a
   * quorum of oracles has signed it; until then, the next tick looks again.
   */
  async #confirm(row: BookingRow): Promise<void> {
    const { agreement, chain, sender, quorum, registered } = this.#d;
    const statement = { ...provisioningStatement(chain, row.id, row.consumer), registered };
    const figures: ProvisioningFigures = { accessDetailsCid: row.access_cid! };
    const signatures = await agreement.propose(statement, figures);
    if (signatures.length < quorum()) return;
    sender.submit(`provision-${row.id}`, {
      to: chain.addresses.marketplace,
      data: encodeConfirmation(row.id, figures, signatures),
    });
  }

  async #confirming(row: BookingRow): Promise<void> {
    const { db, sender } = this.#d;
    if (row.chain_status === "active") return this.#activated(row);
    if (row.chain_status !== "requested") return this.#deprovision(row);
    const tx = sender.get(`provision-${row.id}`);
    if (!tx) {
      if (!row.access_cid) {
        // The stage moved on but the access details are missing (an older state file): provision again.
        updateBooking(db, row.id, { stage: "provisioning" });
        return;
      }
      if (this.#pastDeadline(row)) {
        updateBooking(db, row.id, { stage: "failed", last_error: "no quorum confirmed it before the deadline" });
        return;
      }
      return this.#confirm(row);
    }
    const failed = tx.state === "failed" || (tx.state === "mined" && tx.success === 0);
    if (!failed) return; // in flight, or mined and waiting for the event to be confirmed
    if (this.#pastDeadline(row)) {
      updateBooking(db, row.id, { stage: "failed", last_error: `confirmation failed: ${tx.error}` });
      return;
    }
    this.#log.warn({ bookingId: row.id, error: tx.error }, "confirmation failed; sending it again");
    sender.resubmit(`provision-${row.id}`, { to: tx.to_address as `0x${string}`, data: tx.data as `0x${string}` });
  }

  async #activated(row: BookingRow): Promise<void> {
    const { db, metrics } = this.#d;
    const now = Date.now();
    updateBooking(db, row.id, { stage: "active", provisioned_ms: now });
    metrics.provisionLatency.observe((now - row.seen_ms) / 1000);
    this.#log.info({ bookingId: row.id, latencyMs: now - row.seen_ms }, "booking active");
  }

  /** The booking has run to its end (or was ended): the stream no longer pays for the machine. */
  async #finish(row: BookingRow): Promise<void> {
    const { sender, chain, config } = this.#d;
    if (row.chain_status === "active" && config.serve.completeEndedBookings && config.serve.provision) {
      sender.submit(`complete-${row.id}`, {
        to: chain.addresses.marketplace,
        data: encodeFunctionData({
          abi: resourceMarketplaceAbi,
          functionName: "completeBooking",
          args: [BigInt(row.id)],
        }),
      });
    }
    await this.#deprovision(row);
  }

  async #deprovision(row: BookingRow): Promise<void> {
    const { db, registry } = this.#d;
    if (row.cloud) await registry.for(row.cloud as Cloud).deprovision(BigInt(row.id));
    updateBooking(db, row.id, { stage: "deprovisioned" });
    this.#log.info({ bookingId: row.id, status: row.chain_status }, "deprovisioned");
  }

  /**
   * The booking id names another booking after a reorg: the old machine goes, and so does the old
   * confirmation (archived; if it was already broadcast, the new booking's confirmation then fails
   * and is sent again with the new access details).
   */
  async #reset(row: BookingRow): Promise<void> {
    const { db, registry, sender } = this.#d;
    if (row.cloud) await registry.for(row.cloud as Cloud).deprovision(BigInt(row.id));
    db.transaction(() => {
      sender.archive(`provision-${row.id}`);
      updateBooking(db, row.id, { stage: "pending", cloud: null, instance_id: null, probe: null });
    });
  }
}
