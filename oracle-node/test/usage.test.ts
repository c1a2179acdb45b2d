/**
 * Storage usage against booked capacity: a booking that writes more than it booked is reported once
 * (log and gauge), stays reported while over, and is forgotten once it ends; nothing is billed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createLogger } from "../src/log.ts";
import { StorageUsageMonitor } from "../src/measure/usage.ts";
import { createMetrics } from "../src/metrics.ts";
import { ProvisionerRegistry } from "../src/provisioners/registry.ts";
import type { Provisioner, StorageUsage } from "../src/provisioners/types.ts";
import { Store } from "../src/store/index.ts";

const GIB = 1024 ** 3;

describe("storage usage", () => {
  it("reports a booking over its capacity once, as a gauge and a warning, and forgets it when it ends", async () => {
    const store = new Store(":memory:");
    const insert = (id: string, cloud: string) => {
      store.bookings.insert({
        id,
        resourceId: "1",
        consumer: "0xc",
        provider: "0xp",
        hours: 1,
        encryptionKey: "0x",
        metadataCid: null,
        requestedBlock: 1,
      });
      store.bookings.update(id, { chainStatus: "active", stage: "active", cloud });
    };
    insert("1", "local:s3");
    insert("2", "local:s3");
    insert("3", "local"); // a machine: not measured
    const used = new Map<bigint, StorageUsage>([
      [1n, { bytes: GIB / 2, objects: 3, capacityBytes: GIB }],
      [2n, { bytes: 2 * GIB, objects: 9, capacityBytes: GIB }],
    ]);
    const measured: bigint[] = [];
    const adapter = {
      cloud: "local",
      objectStorageApi: "s3",
      usage: async (id: bigint) => (measured.push(id), used.get(id)),
    } as unknown as Provisioner;
    const lines: string[] = [];
    const metrics = createMetrics();
    const monitor = new StorageUsageMonitor(
      store,
      new ProvisionerRegistry([adapter]),
      createLogger("warn", { write: (line: string) => void lines.push(line) }),
      metrics,
    );

    await monitor.round();
    await monitor.round();
    assert.deepEqual(measured, [1n, 2n, 1n, 2n]);
    const text = await metrics.registry.metrics();
    assert.match(text, /oracle_storage_over_capacity_bookings 1/);
    assert.match(text, new RegExp(`oracle_storage_used_bytes\\{booking_id="2"\\} ${2 * GIB}`));
    const warnings = lines.filter((line) => line.includes("more than its booked capacity"));
    assert.equal(warnings.length, 1, "reported once while it stays over");
    assert.equal(JSON.parse(warnings[0]!).bookingId, "2");

    store.bookings.update("2", { stage: "deprovisioned" });
    await monitor.round();
    const after = await metrics.registry.metrics();
    assert.match(after, /oracle_storage_over_capacity_bookings 0/);
    assert.doesNotMatch(after, /booking_id="2"/);
    store.close();
  });
});
