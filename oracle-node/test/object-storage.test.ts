/**
 * Object storage end to end: a Hardhat node with the deployed contracts, the local IPFS node, and
 * the Azure Blob and S3 code paths against their emulators from npm (Azurite, s3rver). A consumer
 * books a container and a bucket, decrypts the access details and uses them with the clouds' own
 * SDKs; the node probes both with its probe credential and measures usage against capacity; at the
 * end the credentials are revoked, the data is kept read-only through the retention window, and
 * then the container and bucket are deleted. What the emulators cannot model (IAM, CloudWatch,
 * Azure Resource Manager, GCS) is covered by test/provisioners/*-storage.test.ts with the SDKs' mocks.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ContainerClient } from "@azure/storage-blob";
import type { Address } from "viem";

import { type AccessDetails, decryptAccessDetails } from "@d-cloudx/sdk";
import { resourceMarketplaceAbi, resourceVerifierAbi } from "@d-cloudx/sdk/abis";
import {
  AZURITE_KEY,
  type StorageEmulators,
  localObjectStorageConfig,
  startStorageEmulators,
} from "@d-cloudx/devstack/storage-emulators";
import { createLogger } from "../src/log.ts";
import { OracleNode } from "../src/node.ts";
import {
  type Stack,
  activated,
  book,
  listResource,
  localStorageMetadata,
  mined,
  provisionedEvents,
  samplesTaken,
  sealedAccessDetails,
  startStack,
  testConfig,
  waitFor,
} from "./helpers/stack.ts";

const RETENTION_SECONDS = 3;

describe("object storage on the emulators", { timeout: 300_000 }, () => {
  let stack: Stack;
  let emulators: StorageEmulators;
  let node: OracleNode;
  let provider: Address;
  const resources: Record<string, bigint> = {};
  const logLines: string[] = [];
  /** Every secret a consumer received, to look for in the node's logs and metrics. */
  const secrets: string[] = [];

  before(async () => {
    stack = await startStack();
    emulators = await startStorageEmulators({
      dataDir: join(stack.workDir, "emulators"),
      logDir: join(stack.workDir, "logs"),
    });
    provider = stack.accounts[3]!;
    resources.azure = (
      await listResource(stack, provider, localStorageMetadata("Test azure-blob bucket", "azure-blob", "Standard_LRS"))
    ).resourceId;
    resources.s3 = (
      await listResource(stack, provider, localStorageMetadata("Test s3 bucket", "s3", "STANDARD"))
    ).resourceId;
    node = await OracleNode.start(
      testConfig(stack, mkdtempSync(join(stack.workDir, "oracle-")), {
        adapters: { objectStorage: localObjectStorageConfig(emulators) },
        provisioning: { retryInitialDelayMs: 200, retryMaxDelayMs: 1_000, retentionSeconds: RETENTION_SECONDS },
        probes: { intervalMs: 200, timeoutMs: 1_000, usageIntervalMs: 200 },
      }),
      { logger: createLogger("debug", { write: (line: string) => void logLines.push(line) }) },
    );
  });

  after(async () => {
    await node?.stop();
    await emulators?.stop();
    await stack?.stop();
  });

  /** Books `resourceId` and returns the decrypted access details once the booking is active. */
  async function bookAndOpen(resourceId: bigint) {
    const consumer = stack.accounts[4]!;
    const booked = await book(stack, consumer, resourceId);
    await activated(stack, booked.bookingId);
    const [provisioned] = await provisionedEvents(stack, booked.bookingId);
    const access = decryptAccessDetails(booked.privateKey, await sealedAccessDetails(stack, provisioned!));
    secrets.push(access.credentials.secret);
    return { ...booked, access };
  }

  async function terminate(bookingId: bigint, consumer: Address) {
    await mined(
      stack,
      await stack.wallet(consumer).writeContract({
        chain: null,
        address: stack.deployment.contracts.ResourceMarketplace.proxy as Address,
        abi: resourceMarketplaceAbi,
        functionName: "terminateBooking",
        args: [bookingId],
      }),
    );
  }

  const stageOf = (bookingId: bigint) => node.store.bookings.get(bookingId)?.stage;

  it("Azure Blob: a container and a SAS that reaches it alone, probed, measured, revoked, kept, deleted", async () => {
    const { bookingId, consumer, access } = await bookAndOpen(resources.azure!);
    assert.equal(access.credentials.kind, "sas-token");
    assert.equal(access.objectStorage?.api, "azure-blob");
    assert.match(access.objectStorage!.examples.azcopy!, /^azcopy copy \.\/my-folder 'http:\/\/127\.0\.0\.1:\d+\//);
    assert.ok(access.objectStorage?.expiresAt, "the SAS expires by itself");
    const container = new ContainerClient(access.url!);

    // The consumer writes, lists and reads with the SAS.
    await container.getBlockBlobClient("hello.txt").upload("hello, blob", 11);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    assert.deepEqual(names, ["hello.txt"]);
    assert.equal((await container.getBlockBlobClient("hello.txt").downloadToBuffer()).toString(), "hello, blob");

    // The SAS reaches no other container of the account.
    const other = new ContainerClient(`${access.objectStorage!.endpoint}/someone-else?${access.credentials.secret}`);
    await assert.rejects(
      other.getBlockBlobClient("x.txt").upload("x", 1),
      (e: { statusCode?: number }) => e.statusCode === 403,
    );

    // Probes with the probe policy, and usage against the booked 1 GiB.
    await samplesTaken(node, bookingId, 3);
    await waitFor("usage to be measured", () =>
      node.storageUsage.latest.get(String(bookingId))?.bytes === 11 ? true : undefined,
    );
    assert.equal(node.storageUsage.latest.get(String(bookingId))?.capacityBytes, 1024 ** 3);

    // The end: writes refused at once, reads kept through the retention window, then the container goes.
    await terminate(bookingId, consumer);
    await waitFor("the booking's data to be kept read-only", () =>
      stageOf(bookingId) === "retained" ? true : undefined,
    );
    await assert.rejects(
      container.getBlockBlobClient("late.txt").upload("late", 4),
      (e: { statusCode?: number }) => e.statusCode === 403,
    );
    assert.equal((await container.getBlockBlobClient("hello.txt").downloadToBuffer()).toString(), "hello, blob");
    await waitFor(
      "the container to be deleted",
      () => (stageOf(bookingId) === "deprovisioned" ? true : undefined),
      30_000,
    );
    await assert.rejects(container.getBlockBlobClient("hello.txt").downloadToBuffer(), (e: { statusCode?: number }) =>
      [403, 404].includes(e.statusCode ?? 0),
    );
  });

  it("S3: a bucket on an S3-compatible server, used with the decrypted key, then emptied and deleted", async () => {
    const { bookingId, consumer, access } = await bookAndOpen(resources.s3!);
    assert.equal(access.credentials.kind, "access-key");
    const storage = access.objectStorage!;
    assert.match(
      storage.examples["aws cli"]!,
      new RegExp(`aws s3 cp ./file.txt s3://${storage.bucket}/file.txt --endpoint-url`),
    );
    const s3 = consumerClient(access);
    await s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: "notes/a.txt", Body: "hello, s3" }));
    const read = await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: "notes/a.txt" }));
    assert.equal(await read.Body!.transformToString(), "hello, s3");
    await samplesTaken(node, bookingId, 3);
    await waitFor("usage to be measured", () =>
      node.storageUsage.latest.get(String(bookingId))?.bytes === 9 ? true : undefined,
    );

    await terminate(bookingId, consumer);
    await waitFor(
      "the bucket to be deleted",
      () => (stageOf(bookingId) === "deprovisioned" ? true : undefined),
      30_000,
    );
    await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: storage.bucket })), (e: { name?: string }) =>
      ["NotFound", "NoSuchBucket"].includes(e.name ?? ""),
    );
  });

  it("attests both listings: the emulators offer the class and redundancy they claim", async () => {
    for (const resourceId of [resources.azure!, resources.s3!]) {
      await waitFor(`resource ${resourceId} to be verified`, async () =>
        (await stack.publicClient.readContract({
          address: stack.deployment.contracts.ResourceVerifier.proxy as Address,
          abi: resourceVerifierAbi,
          functionName: "isVerified",
          args: [resourceId],
        }))
          ? true
          : undefined,
      );
    }
  });

  it("never writes a credential to its logs or metrics", async () => {
    const metrics = await node.metrics.registry.metrics();
    assert.ok(logLines.length > 20, "the node logged at debug level");
    assert.equal(secrets.length, 2);
    for (const text of [metrics, logLines.join("")]) {
      for (const secret of [...secrets, AZURITE_KEY, "sig="])
        assert.ok(!text.includes(secret), `a secret in ${text.slice(0, 80)}…`);
    }
  });
});

function consumerClient(access: AccessDetails): S3Client {
  return new S3Client({
    endpoint: access.objectStorage!.endpoint,
    region: access.objectStorage!.region,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: { accessKeyId: access.user, secretAccessKey: access.credentials.secret },
  });
}
