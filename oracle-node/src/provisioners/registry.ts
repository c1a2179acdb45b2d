/**
 * Chooses the cloud adapter for a resource by its metadata's `cloud`. The `local` adapter is always
 * there; others are added by the operator's configuration.
 */
import { join } from "node:path";

import { ZodError } from "zod";

import type { Cloud } from "@d-cloudx/sdk";
import { type Config, ConfigError } from "../config.ts";
import { LocalProvisioner } from "./local.ts";
import { type Provisioner, ProvisionerError } from "./types.ts";

export class ProvisionerRegistry {
  readonly #adapters = new Map<Cloud, Provisioner>();

  constructor(adapters: Provisioner[]) {
    for (const adapter of adapters) this.#adapters.set(adapter.cloud, adapter);
  }

  /** The adapter for `cloud`; a non-retryable error if this node has none. */
  for(cloud: Cloud): Provisioner {
    const adapter = this.#adapters.get(cloud);
    if (!adapter) throw new ProvisionerError(`This oracle node has no adapter for cloud "${cloud}"`, false);
    return adapter;
  }

  all(): Provisioner[] {
    return [...this.#adapters.values()];
  }
}

/**
 * The adapters a node starts with: `local` (its workloads under the node's data folder), and each
 * cloud that has settings under `adapters`. Cloud SDKs load only for configured clouds; invalid
 * settings stop the start with the adapter's own validation message.
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
  const load = async (cloud: Cloud, make: () => Promise<Provisioner>) => {
    try {
      adapters.push(await make());
    } catch (error) {
      if (!(error instanceof ZodError)) throw error;
      throw new ConfigError(error.issues.map((i) => `adapters.${cloud}.${i.path.join(".")}: ${i.message}`));
    }
  };
  if (aws) await load("aws", async () => new (await import("./aws.ts")).AwsProvisioner(aws as never, secrets));
  if (azure)
    await load("azure", async () => new (await import("./azure.ts")).AzureProvisioner(azure as never, secrets));
  if (gcp) await load("gcp", async () => new (await import("./gcp.ts")).GcpProvisioner(gcp as never, secrets));
  return adapters;
}
