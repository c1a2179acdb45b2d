/**
 * The Azure Blob adapter's grace period on Azurite (Microsoft's emulator): the consumer's SAS is
 * refused while the booking is paused, the blobs stay, and the same SAS works again on resume.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { ContainerClient } from "@azure/storage-blob";
import { resourceMetadataSchema } from "@d-cloudx/sdk";
import {
  type StorageEmulators,
  localObjectStorageConfig,
  startStorageEmulators,
} from "@d-cloudx/devstack/storage-emulators";

import { AzureBlobStorage } from "../../src/provisioners/azure-blob.ts";
import { CHAIN_ID, KEY_MATERIAL, provisionRequest } from "./fixtures.ts";
import { localStorageMetadata } from "../helpers/stack.ts";

describe("Azure Blob on Azurite: pause and resume", { timeout: 120_000 }, () => {
  const workDir = mkdtempSync(join(tmpdir(), "azure-blob-"));
  let emulators: StorageEmulators;
  let adapter: AzureBlobStorage;

  before(async () => {
    emulators = await startStorageEmulators({ dataDir: join(workDir, "data"), logDir: workDir });
    adapter = new AzureBlobStorage("local", localObjectStorageConfig(emulators).azureBlob.local as never, {
      chainId: CHAIN_ID,
      sshKeyMaterial: KEY_MATERIAL,
    });
  });

  after(async () => {
    await emulators?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("refuses the consumer's SAS while paused, keeps the blobs, and accepts the same SAS again", async () => {
    const metadata = resourceMetadataSchema.parse(localStorageMetadata("bucket", "azure-blob", "Standard_LRS"));
    const machine = await adapter.provision(provisionRequest(11n, metadata));
    const container = new ContainerClient(machine.access!.url!);
    const blob = container.getBlockBlobClient("kept.txt");
    await blob.upload("kept", 4);

    await adapter.pause(11n);
    await adapter.pause(11n);
    await assert.rejects(blob.downloadToBuffer(), (error: { statusCode?: number }) => error.statusCode === 403);
    await assert.rejects(container.getBlockBlobClient("new.txt").upload("x", 1));
    assert.equal((await adapter.usage(11n))?.objects, 1, "the data is kept");

    const runsUntil = new Date(Date.now() + 3_600_000);
    await adapter.resume(11n, runsUntil);
    assert.equal((await blob.downloadToBuffer()).toString(), "kept");
    await container.getBlockBlobClient("new.txt").upload("x", 1);
    const expiresAt = (await adapter.describe(11n))?.access?.objectStorage?.expiresAt;
    assert.ok(expiresAt && Date.parse(expiresAt) > runsUntil.getTime(), "the SAS lasts past the new end");

    await adapter.deprovision(11n);
    await adapter.pause(11n);
    await assert.rejects(adapter.resume(11n), /no container/);
  });
});
