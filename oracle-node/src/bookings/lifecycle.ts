/**
 * Moves each served booking through its stages (see store/bookings.ts). Every step is idempotent
 * and the stage is stored before and after each external action, so a restart resumes where it
 * stopped: the adapter returns the machine it already made for the booking, and the confirmation
 * is the transaction `provision-<bookingId>` (one per booking, whatever happens).
 *
 * A failed provisioning step is retried with exponential backoff until shortly before the on-chain
 * provisioning deadline; after that the booking is left to the timeout, which refunds the consumer
 * in full. Bad input (unreadable or invalid metadata, a cloud this node has no adapter for) fails
 * at once.
 */
import PQueue from "p-queue";
import { encodeFunctionData } from "viem";

import { MAX_METADATA_BYTES, encryptAccessDetails, parseResourceMetadata } from "@d-cloudx/sdk";
import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import { type ChainContext, describeError } from "../chain.ts";
import type { Config } from "../config.ts";
import type { ContentStore } from "../ipfs.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { ProvisionerRegistry } from "../provisioners/registry.ts";
import { type Machine, ProvisionerError } from "../provisioners/types.ts";
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
      "retained",
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
      case "retained":
        return row.next_attempt_ms <= now ? this.#deprovision : undefined;
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
    const { db, registry, ipfs, sender, chain } = this.#d;
    const id = BigInt(row.id);
    try {
      const metadata = await this.#metadata(row);
      const { key, adapter } = registry.forListing(metadata);
      updateBooking(db, row.id, { stage: "provisioning", cloud: key });
      const machine = await adapter.provision({
        bookingId: id,
        resourceId: BigInt(row.resource_id),
        consumer: row.consumer,
        hoursBooked: row.hours,
        metadata,
      });
      const ready = await this.#waitUntilReachable(machine, key);
      const envelope = encryptAccessDetails(row.encryption_key, ready.access!);
      const cid = await ipfs.add(new TextEncoder().encode(JSON.stringify(envelope)));
      const data = encodeFunctionData({
        abi: resourceMarketplaceAbi,
        functionName: "confirmProvisioning",
        args: [id, cid],
      });
      db.transaction(() => {
        updateBooking(db, row.id, {
          stage: "confirming",
          instance_id: ready.instanceId,
          probe: JSON.stringify(ready.probe),
          access_cid: cid,
          last_error: null,
        });
        sender.submit(`provision-${row.id}`, { to: chain.addresses.marketplace, data });
      });
      this.#log.info(
        { bookingId: row.id, cloud: metadata.cloud, instanceId: ready.instanceId, accessCid: cid },
        "provisioned; confirming",
      );
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

  /**
   * Waits until the cloud says the machine runs and the probe reaches it. Access details that only
   * `provision` can return (a new bucket key, whose secret the cloud shows once) are kept.
   */
  async #waitUntilReachable(machine: Machine, adapterKey: string): Promise<Machine> {
    const { registry, config } = this.#d;
    const deadline = Date.now() + config.provisioning.readyTimeoutMs;
    const prober = registry.prober(config.probes.timeoutMs);
    let current: Machine | undefined = machine;
    for (let wait = 50; ; wait = Math.min(wait * 2, 5_000)) {
      if (current && !current.access && machine.access) current = { ...current, access: machine.access };
      if (current?.state === "running" && current.access && current.probe) {
        if ((await prober(String(machine.bookingId), current.probe))?.ok) return current;
      }
      if (current?.state === "terminated")
        throw new ProvisionerError("the machine was terminated while starting", true);
      if (Date.now() + wait > deadline)
        throw new ProvisionerError("the machine did not become reachable in time", true);
      await new Promise((resolve) => setTimeout(resolve, wait));
      current = await registry.for(adapterKey).describe(machine.bookingId);
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

  async #confirming(row: BookingRow): Promise<void> {
    const { db, sender } = this.#d;
    if (row.chain_status === "active") return this.#activated(row);
    if (row.chain_status !== "requested") return this.#deprovision(row);
    const tx = sender.get(`provision-${row.id}`);
    if (!tx) {
      // The stage moved on but the transaction is missing (an older state file): provision again.
      updateBooking(db, row.id, { stage: "provisioning" });
      return;
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

  /**
   * Ends the booking's resource. With a retention window (`provisioning.retentionSeconds`) an adapter
   * that can `suspend` (object storage) first leaves the consumer read-only access to their data,
   * and the resource is deleted once the window has passed (stage `retained`).
   */
  async #deprovision(row: BookingRow): Promise<void> {
    const { db, registry, config } = this.#d;
    const adapter = row.cloud ? registry.for(row.cloud) : undefined;
    const retentionMs = config.provisioning.retentionSeconds * 1000;
    // Only a booking that ran has data its consumer may want to copy out.
    if (adapter?.suspend && retentionMs > 0 && row.stage === "active") {
      await adapter.suspend(BigInt(row.id));
      updateBooking(db, row.id, { stage: "retained", next_attempt_ms: Date.now() + retentionMs });
      this.#log.info({ bookingId: row.id, retentionMs }, "ended; data kept read-only for the retention window");
      return;
    }
    await adapter?.deprovision(BigInt(row.id));
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
    if (row.cloud) await registry.for(row.cloud).deprovision(BigInt(row.id));
    db.transaction(() => {
      sender.archive(`provision-${row.id}`);
      updateBooking(db, row.id, { stage: "pending", cloud: null, instance_id: null, probe: null });
    });
  }
}
