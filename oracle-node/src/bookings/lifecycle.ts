/**
 * Moves each served booking through its stages (see store/bookings.ts). Every step is idempotent
 * and the stage is stored before and after each external action, so a restart resumes where it
 * stopped: the adapter returns the machine it already made for the booking, and the confirmation
 * is `provision-<bookingId>` (one per booking, whatever happens). Billing starts when a quorum of
 * oracles has signed the confirmation, the others only after probing the machine (confirmation.ts).
 *
 * A booking that reaches its end unextended is suspended, not destroyed, for the escrow's grace
 * period (`gracePeriod()`): the adapter's `pause` keeps the machine's disk or data. An extension or
 * renewal within grace moves the stream's end again, and the machine is resumed; after the grace
 * period, or when the booking is completed in grace, it is deprovisioned as at any end. Pausing,
 * resuming and deprovisioning are idempotent and the stage moves only after each succeeded, so a
 * restart in the middle repeats the step and never doubles it.
 *
 * A failed provisioning step is retried with exponential backoff until shortly before the on-chain
 * provisioning deadline; after that the booking is left to the timeout, which refunds the consumer
 * in full. Bad input (unreadable or invalid metadata, a cloud this node has no adapter for) fails
 * at once. A booking whose encryption key is unusable is not provisioned: that is the consumer's
 * fault, which the oracles state on chain (cosigner.ts), so that nobody is slashed.
 */
import PQueue from "p-queue";
import { encodeFunctionData } from "viem";

import { MAX_METADATA_BYTES, encryptAccessDetails, isUsableEncryptionKey, parseResourceMetadata } from "@d-cloudx/sdk";
import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import { type ChainContext, describeError } from "../chain.ts";
import type { Config } from "../config.ts";
import { crashPoint } from "../faults.ts";
import type { ContentStore } from "../ipfs.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { ProvisionerRegistry } from "../provisioners/registry.ts";
import { type Machine, ProvisionerError } from "../provisioners/types.ts";
import type { Booking } from "../store/bookings.ts";
import type { Store } from "../store/index.ts";
import type { TxOutbox } from "../tx/outbox.ts";
import type { ProvisioningConfirmation } from "./confirmation.ts";

const FINAL_STATUSES = new Set(["completed", "cancelled", "terminated", "none"]);

/** A failure that retrying cannot fix. */
class PermanentError extends Error {}

export interface LifecycleDeps {
  store: Store;
  chain: ChainContext;
  outbox: TxOutbox;
  /** How a provisioned booking is confirmed on chain: by a quorum of oracles. */
  confirmation: ProvisioningConfirmation;
  registry: ProvisionerRegistry;
  ipfs: ContentStore;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Seconds oracles have to confirm provisioning (the marketplace's provisionTimeout). */
  provisionTimeoutSeconds: number;
  /** The escrow's grace period in seconds, as last read from the chain (a DAO setting). */
  graceSeconds: () => number;
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
    const open = this.#d.store.bookings.inStages([
      "pending",
      "provisioning",
      "confirming",
      "active",
      "failed",
      "reset",
      "retained",
      "suspended",
    ]);
    for (const row of open) {
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

  #next(row: Booking, now: number): ((row: Booking) => Promise<void>) | undefined {
    const provisions = this.#d.config.serve.provision;
    if (row.needsSync) return undefined;
    switch (row.stage) {
      case "reset":
        return this.#reset;
      case "pending":
      case "provisioning":
        if (row.chainStatus === "active") return this.#activated;
        if (row.chainStatus !== "requested") return this.#deprovision;
        return provisions && row.nextAttemptMs <= now ? this.#provision : undefined;
      case "confirming":
        return this.#confirming;
      case "active":
        if (FINAL_STATUSES.has(row.chainStatus) || this.#graceOver(row)) return this.#finish;
        return this.#ended(row) ? this.#suspend : undefined;
      case "suspended":
        if (FINAL_STATUSES.has(row.chainStatus) || this.#graceOver(row)) return this.#finish;
        return this.#ended(row) ? undefined : this.#resume;
      case "failed":
        return row.chainStatus === "requested" && !this.#pastDeadline(row) ? undefined : this.#deprovision;
      case "retained":
        return row.nextAttemptMs <= now ? this.#deprovision : undefined;
    }
    return undefined;
  }

  #ended(row: Booking): boolean {
    return row.endsAt !== null && this.#d.chain.clock.nowSeconds() >= row.endsAt;
  }

  /**
   * Past the end and its grace period: the machine goes and anyone may complete the booking. Measured
   * from the stream's end as last read, which an extension or renewal moves.
   */
  #graceOver(row: Booking): boolean {
    return row.endsAt !== null && this.#d.chain.clock.nowSeconds() >= row.endsAt + this.#d.graceSeconds();
  }

  #deadline(row: Booking): number {
    return (row.requestedAt ?? 0) + this.#d.provisionTimeoutSeconds;
  }

  #pastDeadline(row: Booking): boolean {
    return this.#d.chain.clock.nowSeconds() > this.#deadline(row);
  }

  async #provision(row: Booking): Promise<void> {
    const { store, registry, ipfs } = this.#d;
    const id = BigInt(row.id);
    if (!isUsableEncryptionKey(row.encryptionKey)) {
      store.bookings.update(row.id, { stage: "failed", lastError: "the consumer's encryption key is unusable" });
      this.#log.warn(
        { bookingId: row.id },
        "unusable encryption key: not provisioned; the oracles state a consumer fault",
      );
      return;
    }
    try {
      const metadata = await this.#metadata(row);
      const { key, adapter } = registry.forListing(metadata);
      store.bookings.update(row.id, { stage: "provisioning", cloud: key });
      const machine = await adapter.provision({
        bookingId: id,
        resourceId: BigInt(row.resourceId),
        consumer: row.consumer,
        hoursBooked: row.hours,
        metadata,
      });
      const ready = await this.#waitUntilReachable(machine, key);
      const envelope = encryptAccessDetails(row.encryptionKey, ready.access!);
      const cid = await ipfs.add(new TextEncoder().encode(JSON.stringify(envelope)));
      store.bookings.update(row.id, {
        stage: "confirming",
        instanceId: ready.instanceId,
        probe: ready.probe!,
        accessCid: cid,
        lastError: null,
      });
      this.#log.info(
        { bookingId: row.id, cloud: metadata.cloud, instanceId: ready.instanceId, accessCid: cid },
        "provisioned; confirming with the other oracles",
      );
    } catch (error) {
      this.#failed(row, error);
    }
  }

  async #metadata(row: Booking) {
    if (!row.metadataCid) throw new PermanentError(`resource ${row.resourceId} has no known metadata document`);
    let bytes: Uint8Array;
    try {
      bytes = await this.#d.ipfs.cat(row.metadataCid, MAX_METADATA_BYTES);
    } catch (error) {
      if (error instanceof Error && error.name === "ContentTooLargeError") throw new PermanentError(error.message);
      throw error;
    }
    const parsed = parseResourceMetadata(bytes);
    if (!parsed.ok) throw new PermanentError(`metadata ${row.metadataCid} is invalid: ${parsed.errors.join("; ")}`);
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

  #failed(row: Booking, error: unknown): void {
    const { store, config, metrics } = this.#d;
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
      store.bookings.update(row.id, { stage: "failed", attempts, lastError: message });
      this.#log.error(
        { bookingId: row.id, attempts, error: message },
        "provisioning failed for good; the booking is left to the on-chain timeout (full refund)",
      );
      return;
    }
    store.bookings.update(row.id, { attempts, nextAttemptMs: Math.round(next), lastError: message });
    this.#log.warn(
      { bookingId: row.id, attempts, retryInMs: Math.round(delay), error: message },
      "provisioning failed; will retry",
    );
  }

  async #confirming(row: Booking): Promise<void> {
    const { store, confirmation } = this.#d;
    if (row.chainStatus === "active") return this.#activated(row);
    if (row.chainStatus !== "requested") return this.#deprovision(row);
    const outcome = await confirmation.advance(row);
    if (outcome.status === "none") {
      // The stage moved on but the access details are missing (an older state file): provision again.
      store.bookings.update(row.id, { stage: "provisioning" });
      return;
    }
    if (outcome.status === "signing") {
      // The machine answers here but not to a quorum of the others (or they are down): no billing.
      if (this.#pastDeadline(row)) {
        store.bookings.update(row.id, { stage: "failed", lastError: "no quorum confirmed it before the deadline" });
      }
      return;
    }
    if (outcome.status !== "failed") return; // in flight, or mined and waiting for the event to be confirmed
    if (this.#pastDeadline(row)) {
      store.bookings.update(row.id, { stage: "failed", lastError: `confirmation failed: ${outcome.reason}` });
      return;
    }
    this.#log.warn({ bookingId: row.id, error: outcome.reason }, "confirmation failed; sending it again");
    confirmation.retry(row.id);
  }

  async #activated(row: Booking): Promise<void> {
    const { store, metrics } = this.#d;
    const now = Date.now();
    store.bookings.update(row.id, { stage: "active", provisionedMs: now });
    metrics.provisionLatency.observe((now - row.seenMs) / 1000);
    this.#log.info({ bookingId: row.id, latencyMs: now - row.seenMs }, "booking active");
  }

  /** The booking ran to its end unextended: its machine stops, keeping its disk or data, until extended or grace ends. */
  async #suspend(row: Booking): Promise<void> {
    const adapter = row.cloud ? this.#d.registry.for(row.cloud) : undefined;
    await adapter?.pause(BigInt(row.id));
    crashPoint("after-cloud", `pause-${row.id}`);
    this.#d.store.bookings.update(row.id, { stage: "suspended", lastError: null });
    this.#d.metrics.bookingsSuspended.inc();
    this.#log.info(
      { bookingId: row.id, endsAt: row.endsAt, graceEndsAt: (row.endsAt ?? 0) + this.#d.graceSeconds() },
      "ended unextended: suspended for the grace period",
    );
  }

  /**
   * Extended or renewed in grace: the same machine starts again and is active once it answers (with
   * a probe target that may have moved, as a cloud VM's public address does on a restart). The
   * stream pays from the extension on: a machine that cannot start, or does not answer within
   * `readyTimeoutMs`, is active all the same, and the probes measure it down.
   */
  async #resume(row: Booking): Promise<void> {
    const { store, registry, chain } = this.#d;
    const adapter = row.cloud ? registry.for(row.cloud) : undefined;
    const id = BigInt(row.id);
    let probe = row.probe;
    let lastError: string | null = null;
    if (adapter) {
      const runsUntil = new Date(Date.now() + ((row.endsAt ?? 0) - chain.clock.nowSeconds()) * 1000);
      try {
        await adapter.resume(id, runsUntil);
        crashPoint("after-cloud", `resume-${row.id}`);
        const machine = await adapter.describe(id);
        if (!machine) throw new ProvisionerError("the machine is gone", false);
        probe = (await this.#waitUntilReachable(machine, row.cloud!)).probe ?? probe;
      } catch (error) {
        lastError = describeError(error);
        const started = (await adapter.describe(id).catch(() => undefined))?.state;
        if (error instanceof ProvisionerError && error.retryable && started === "stopped") {
          // Throttled, or still stopping: start it on a later tick.
          store.bookings.update(row.id, { lastError });
          this.#log.warn({ bookingId: row.id, error: lastError }, "resuming failed; will retry");
          return;
        }
        this.#log.error({ bookingId: row.id, error: lastError }, "the machine did not come back; measured as down");
      }
    }
    store.bookings.update(row.id, { stage: "active", probe, lastError });
    this.#d.metrics.bookingsResumed.inc();
    this.#log.info({ bookingId: row.id, endsAt: row.endsAt }, "extended in grace: resumed");
  }

  /** The booking has run to its end (or was ended): the stream no longer pays for the machine. */
  async #finish(row: Booking): Promise<void> {
    const { outbox, chain, config } = this.#d;
    if (row.chainStatus === "active" && config.serve.completeEndedBookings && config.serve.provision) {
      outbox.submit(`complete-${row.id}`, {
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
  async #deprovision(row: Booking): Promise<void> {
    const { store, registry, config } = this.#d;
    const adapter = row.cloud ? registry.for(row.cloud) : undefined;
    const retentionMs = config.provisioning.retentionSeconds * 1000;
    // Only a booking that ran has data its consumer may want to copy out.
    if (adapter?.suspend && retentionMs > 0 && (row.stage === "active" || row.stage === "suspended")) {
      await adapter.suspend(BigInt(row.id));
      store.bookings.update(row.id, { stage: "retained", nextAttemptMs: Date.now() + retentionMs });
      this.#log.info({ bookingId: row.id, retentionMs }, "ended; data kept read-only for the retention window");
      return;
    }
    await adapter?.deprovision(BigInt(row.id));
    crashPoint("after-cloud", `deprovision-${row.id}`);
    store.bookings.update(row.id, { stage: "deprovisioned" });
    this.#log.info({ bookingId: row.id, status: row.chainStatus }, "deprovisioned");
  }

  /**
   * The booking id names another booking after a reorg: the old machine goes, and so does the old
   * confirmation (archived; if it was already broadcast, the new booking's confirmation then fails
   * and is sent again with the new access details).
   */
  async #reset(row: Booking): Promise<void> {
    const { store, registry, confirmation } = this.#d;
    if (row.cloud) await registry.for(row.cloud).deprovision(BigInt(row.id));
    store.transaction(() => {
      confirmation.archive(row.id);
      store.bookings.update(row.id, { stage: "pending", cloud: null, instanceId: null, probe: null });
    });
  }
}
