/**
 * Measures what each active object storage booking stores against the capacity it booked. A booking
 * over its capacity is reported (log and `oracle_storage_over_capacity_bookings`), never billed:
 * the price on chain is what the consumer pays.
 */
import { describeError } from "../chain.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { ProvisionerRegistry } from "../provisioners/registry.ts";
import type { StorageUsage } from "../provisioners/types.ts";
import type { Store } from "../store/index.ts";

export class StorageUsageMonitor {
  readonly #store: Store;
  readonly #registry: ProvisionerRegistry;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  /** The latest measurement per booking. */
  readonly latest = new Map<string, StorageUsage>();

  constructor(store: Store, registry: ProvisionerRegistry, log: Logger, metrics: Metrics) {
    this.#store = store;
    this.#registry = registry;
    this.#log = log.child({ component: "storage-usage" });
    this.#metrics = metrics;
  }

  async round(): Promise<void> {
    // Only adapters that measure usage (object storage) answer; the others are skipped.
    const rows = this.#store.bookings
      .inStages(["active"])
      .filter((booking): booking is typeof booking & { cloud: string } => booking.cloud !== null)
      .filter((booking) => this.#registry.find(booking.cloud)?.usage !== undefined);
    const active = new Set(rows.map((row) => row.id));
    for (const id of this.latest.keys()) {
      if (!active.has(id)) {
        this.latest.delete(id);
        this.#metrics.storageUsed.remove({ booking_id: id });
      }
    }
    for (const { id, cloud } of rows) {
      try {
        const usage = await this.#registry.for(cloud).usage?.(BigInt(id));
        if (!usage) continue;
        const wasOver = isOver(this.latest.get(id));
        this.latest.set(id, usage);
        this.#metrics.storageUsed.set({ booking_id: id }, usage.bytes);
        if (isOver(usage) && !wasOver) {
          this.#log.warn(
            { bookingId: id, bytes: usage.bytes, capacityBytes: usage.capacityBytes, objects: usage.objects },
            "booking stores more than its booked capacity (reported, not billed)",
          );
        }
      } catch (error) {
        this.#log.warn({ bookingId: id, error: describeError(error) }, "storage usage not measured");
      }
    }
    this.#metrics.storageOverCapacity.set([...this.latest.values()].filter(isOver).length);
  }
}

/** Over the booked capacity (a capacity of 0 is unknown: never over). */
function isOver(usage: StorageUsage | undefined): boolean {
  return usage !== undefined && usage.capacityBytes > 0 && usage.bytes > usage.capacityBytes;
}
