/**
 * Booking → storage ready: object storage bookings made one at a time on an automining chain,
 * alternating an Azure Blob container (on Azurite) and an S3 bucket (on s3rver); from the booking's
 * receipt to the confirmation being mined (the booking reads Active), wall clock. That span holds
 * the bucket and credentials, the probe that finds the bucket answering, the encrypted access
 * details on IPFS and the confirmation transaction.
 *
 * Merges `storageReadyP50Ms` and `storageReadyP95Ms` into bench-results/oracle.json. Part of
 * `npm run bench:oracle`; alone: `node bench/storage.ts` in oracle-node/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { localObjectStorageConfig, startStorageEmulators } from "@d-cloudx/devstack/storage-emulators";
import { createLogger } from "../src/log.ts";
import { percentile } from "../src/measure/aggregate.ts";
import { OracleNode } from "../src/node.ts";
import {
  REPOSITORY,
  activated,
  book,
  listResource,
  localStorageMetadata,
  startStack,
  testConfig,
} from "../test/helpers/stack.ts";

const BOOKINGS = Number(process.env.BENCH_STORAGE_BOOKINGS ?? 40);
const TARGET_P95_MS = 3_000;

const stack = await startStack();
const emulators = await startStorageEmulators({
  dataDir: join(stack.workDir, "emulators"),
  logDir: join(stack.workDir, "logs"),
});
try {
  const provider = stack.accounts[3]!;
  const resources = [
    (
      await listResource(stack, provider, localStorageMetadata("Bench azure-blob", "azure-blob", "Standard_LRS"), {
        capacity: BOOKINGS,
      })
    ).resourceId,
    (await listResource(stack, provider, localStorageMetadata("Bench s3", "s3", "STANDARD"), { capacity: BOOKINGS }))
      .resourceId,
  ];
  const node = await OracleNode.start(
    testConfig(stack, mkdtempSync(join(stack.workDir, "storage-")), {
      serve: { providers: [provider] },
      reporting: { attestations: false },
      adapters: { objectStorage: localObjectStorageConfig(emulators) },
    }),
    { logger: createLogger("error") },
  );
  const latencies: number[] = [];
  for (let i = 0; i < BOOKINGS; i++) {
    const booked = await book(stack, stack.accounts[4 + (i % 10)]!, resources[i % 2]!);
    const mined = Date.now();
    await activated(stack, booked.bookingId, 30_000);
    latencies.push(Date.now() - mined);
  }
  const bookings = node.store.bookings.inStages(["active"]);
  await node.stop();
  for (const { id, cloud } of bookings) if (cloud) await node.registry.for(cloud).deprovision(BigInt(id));

  const storageReadyP50Ms = percentile(latencies, 50);
  const storageReadyP95Ms = percentile(latencies, 95);
  console.table({
    "booking → storage ready p50 (ms)": { value: storageReadyP50Ms, target: "" },
    "booking → storage ready p95 (ms)": { value: storageReadyP95Ms, target: `≤ ${TARGET_P95_MS}` },
  });
  const file = join(REPOSITORY, "bench-results", "oracle.json");
  mkdirSync(join(REPOSITORY, "bench-results"), { recursive: true });
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...previous, storageReadyP50Ms, storageReadyP95Ms }, null, 2) + "\n");
  console.log(`Added storageReadyP50Ms and storageReadyP95Ms (${BOOKINGS} bookings) to bench-results/oracle.json`);
} finally {
  await emulators.stop();
  await stack.stop();
}
