/**
 * Chooses the cloud adapter for a resource by its metadata's `cloud`. The `local` adapter is always
 * there; others are added by the operator's configuration.
 */
import { join } from "node:path";

import type { Cloud } from "@d-cloudx/sdk";
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

/** The adapters a node starts with: `local`, keeping its workloads under the node's data folder. */
export function defaultProvisioners(dataDir: string, local: { workloadsPerHost: number }): Provisioner[] {
  return [new LocalProvisioner(join(dataDir, "local-workloads"), local.workloadsPerHost)];
}
