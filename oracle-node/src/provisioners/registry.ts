/**
 * Chooses the cloud adapter for a resource by its metadata: `cloud` for machines, `cloud` and `api`
 * for object storage. The `local` adapter is always there; others are added by the operator's
 * configuration.
 */
import { join } from "node:path";

import { ZodError } from "zod";

import { type Cloud, type ResourceMetadata, isObjectStorage } from "@d-cloudx/sdk";
import { type Config, ConfigError } from "../config.ts";
import { type Prober, probe } from "../measure/probe.ts";
import { LocalProvisioner } from "./local.ts";
import { type Provisioner, ProvisionerError, adapterKey } from "./types.ts";

export class ProvisionerRegistry {
  readonly #adapters = new Map<string, Provisioner>();

  constructor(adapters: Provisioner[]) {
    for (const adapter of adapters) this.#adapters.set(adapterKey(adapter.cloud, adapter.objectStorageApi), adapter);
  }

  /** The adapter stored under `key` (see `adapterKey`); a non-retryable error if this node has none. */
  for(key: string): Provisioner {
    const adapter = this.#adapters.get(key);
    if (!adapter) throw new ProvisionerError(`This oracle node has no adapter for "${key}"`, false);
    return adapter;
  }

  /** The adapter stored under `key`, if this node has one. */
  find(key: string): Provisioner | undefined {
    return this.#adapters.get(key);
  }

  /** The adapter that serves a listing, and its key. */
  forListing(metadata: ResourceMetadata): { key: string; adapter: Provisioner } {
    const key = adapterKey(metadata.cloud, isObjectStorage(metadata) ? metadata.api : undefined);
    return { key, adapter: this.for(key) };
  }

  all(): Provisioner[] {
    return [...this.#adapters.values()];
  }

  /** Probes a booking's target: TCP and HTTP directly, object storage through its adapter. */
  prober(timeoutMs: number): Prober {
    return async (bookingId, target) => {
      if (target.kind !== "object-storage") return probe(target, timeoutMs);
      return this.find(target.adapter)?.probe?.(BigInt(bookingId), timeoutMs);
    };
  }
}

/**
 * The adapters a node starts with: `local` (its workloads under the node's data folder), each cloud
 * that has settings under `adapters`, and each object storage service under `adapters.objectStorage`.
 * Cloud SDKs load only for configured clouds; invalid settings stop the start with the adapter's own
 * validation message.
 */
export async function createProvisioners(config: Config, chainId: number): Promise<Provisioner[]> {
  const adapters: Provisioner[] = [
    new LocalProvisioner(join(config.dataDir, "local-workloads"), config.adapters.local.workloadsPerHost),
  ];
  const secrets = {
    chainId,
    sshKeyMaterial: new Uint8Array(Buffer.from(config.sshKeyMaterial.reveal().slice(2), "hex")),
  };
  const { aws, azure, gcp } = config.adapters;
  const storage = config.adapters.objectStorage;
  const load = async (path: string, make: () => Promise<Provisioner>) => {
    try {
      adapters.push(await make());
    } catch (error) {
      if (!(error instanceof ZodError)) throw error;
      throw new ConfigError(error.issues.map((i) => `adapters.${path}.${i.path.join(".")}: ${i.message}`));
    }
  };
  if (aws) await load("aws", async () => new (await import("./aws.ts")).AwsProvisioner(aws as never, secrets));
  if (azure)
    await load("azure", async () => new (await import("./azure.ts")).AzureProvisioner(azure as never, secrets));
  if (gcp) await load("gcp", async () => new (await import("./gcp.ts")).GcpProvisioner(gcp as never, secrets));
  const { retentionSeconds } = config.provisioning;
  for (const [cloud, settings] of Object.entries(storage?.s3 ?? {})) {
    await load(`objectStorage.s3.${cloud}`, async () => {
      const { S3Storage } = await import("./aws-s3.ts");
      return new S3Storage(cloud as Cloud, settings as never, { ...secrets, retentionSeconds });
    });
  }
  for (const [cloud, settings] of Object.entries(storage?.azureBlob ?? {})) {
    await load(`objectStorage.azureBlob.${cloud}`, async () => {
      const { AzureBlobStorage } = await import("./azure-blob.ts");
      return new AzureBlobStorage(cloud as Cloud, settings as never, { ...secrets, retentionSeconds });
    });
  }
  if (storage?.gcs) {
    const settings = storage.gcs;
    await load("objectStorage.gcs", async () => {
      const { GcsStorage } = await import("./gcs.ts");
      return new GcsStorage(settings as never, { ...secrets, retentionSeconds });
    });
  }
  return adapters;
}
