/**
 * Azure Blob Storage: one container per booking in the operator's storage account for the listing's
 * location and SKU, reached with a service SAS bound to a stored access policy of that container, so
 * that deleting the policy revokes it (a SAS alone cannot be revoked). A second policy, list only,
 * signs the node's probes. Locally the same code runs against Azurite, Microsoft's emulator.
 */
import { hostname } from "node:os";

import { MonitorClient } from "@azure/arm-monitor";
import { StorageManagementClient } from "@azure/arm-storage";
import { DefaultAzureCredential } from "@azure/identity";
import {
  type BlobItem,
  BlobServiceClient,
  ContainerClient,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from "@azure/storage-blob";
import type { Cloud, ObjectStorageMetadata, Redundancy, ResourceMetadata } from "@d-cloudx/sdk";
import { z } from "zod";

import { monitorSamples } from "./azure-monitor.ts";
import {
  adapterSettings,
  BookingNaming,
  callCloud,
  cloudError,
  errorMessage,
  isRetryableStatus,
  regionSettings,
  regionTable,
} from "./cloud-common.ts";
import {
  type ObjectStorageOptions,
  bucketAccess,
  bucketMachine,
  bucketUsage,
  credentialExpiry,
  objectStorageListing,
  timedProbe,
} from "./object-storage.ts";
import {
  type CloudSample,
  type Machine,
  type ProbeResult,
  type Provisioner,
  type ProvisionRequest,
  ProvisionerError,
  type StorageUsage,
} from "./types.ts";

const accountName = z
  .string()
  .regex(/^[a-z0-9]{3,24}$/, "must be a storage account name (3-24 lowercase letters, digits)");
const skuName = z.string().regex(/^(Standard|Premium)_[A-Z]+$/, "must be a storage SKU such as Standard_ZRS");

/** The operator's Azure Blob settings, as the node's config file holds them. */
export const azureBlobConfigSchema = z
  .strictObject({
    ...adapterSettings,
    /** Storage accounts holding the containers, by location and SKU: `{ westeurope: { Standard_ZRS: "acct" } }`. */
    accounts: regionTable(
      z.string().regex(/^[a-z0-9]+$/, "must be an Azure location name"),
      z.record(skuName, accountName),
    ),
    subscriptionId: z.guid().optional(),
    /** The resource group of the accounts (for their keys, SKU checks and metrics). */
    resourceGroup: z
      .string()
      .regex(/^[-\w.()]{1,90}$/, "must be a resource group name")
      .optional(),
    /**
     * Azurite (or another emulator) instead of Azure: its blob endpoint and the account key, used
     * directly; no management calls. For a server on this machine only.
     */
    emulator: z
      .strictObject({
        endpoint: z.url({
          protocol: /^http$/,
          hostname: /^(127\.0\.0\.1|localhost)$/,
          error: "must be http://127.0.0.1:<port>",
        }),
        accountKey: z.base64().meta({ secret: true }),
      })
      .optional(),
  })
  .refine((c) => c.emulator !== undefined || (c.subscriptionId !== undefined && c.resourceGroup !== undefined), {
    message: "subscriptionId and resourceGroup are required unless an emulator is configured",
  });
export type AzureBlobConfig = z.input<typeof azureBlobConfigSchema>;

export interface AzureBlobOptions extends ObjectStorageOptions {
  /** Defaults to DefaultAzureCredential (management calls only; data calls use the account key). */
  credential?: ConstructorParameters<typeof StorageManagementClient>[0];
  clientOptions?: ConstructorParameters<typeof StorageManagementClient>[2];
}

/** Stored access policies on each booking's container: the consumer's and the node's probe. */
const CONSUMER_POLICY = "consumer";
const PROBE_POLICY = "probe";
/** Read, add, create, write, delete, list. */
const CONSUMER_PERMISSIONS = "racwdl";
const READ_ONLY_PERMISSIONS = "rl";

/** Which failure domains an Azure storage SKU writes each blob to. */
export function azureRedundancy(sku: string): Redundancy | undefined {
  const replication = sku.split("_")[1];
  if (replication === "LRS") return "single-zone";
  if (replication === "ZRS") return "multi-zone";
  if (replication && ["GRS", "RAGRS", "GZRS", "RAGZRS"].includes(replication)) return "multi-region";
  return undefined;
}

function classify(action: string, error: unknown): ProvisionerError {
  const { statusCode, code, name, request } = error as {
    statusCode?: number;
    code?: string;
    name?: string;
    request?: { requestId?: string };
  };
  const retryable =
    isRetryableStatus(statusCode) || code === "REQUEST_SEND_ERROR" || name === "AbortError" || name === "TimeoutError";
  return cloudError(
    "azure",
    action,
    { code: code ?? name, status: statusCode, requestId: request?.requestId, message: errorMessage(error) },
    retryable,
  );
}

const isNotFound = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;

export class AzureBlobStorage implements Provisioner {
  readonly cloud: Cloud;
  readonly objectStorageApi = "azure-blob" as const;
  readonly #config: z.infer<typeof azureBlobConfigSchema>;
  readonly #naming: BookingNaming;
  readonly #retentionSeconds: number;
  readonly #management?: StorageManagementClient;
  readonly #monitor?: MonitorClient;
  readonly #keys = new Map<string, StorageSharedKeyCredential>();
  /** Which account holds a booking's container, once known (probes then need no lookup). */
  readonly #accountOf = new Map<bigint, string>();

  /** `cloud`: `azure`, or `local` for the emulator. */
  constructor(cloud: Cloud, config: AzureBlobConfig, options: AzureBlobOptions) {
    this.cloud = cloud;
    this.#config = azureBlobConfigSchema.parse(config);
    this.#naming = new BookingNaming(this.#config.namePrefix, options);
    this.#retentionSeconds = options.retentionSeconds ?? 0;
    if (!this.#config.emulator) {
      const credential = options.credential ?? new DefaultAzureCredential();
      this.#management = new StorageManagementClient(credential, this.#config.subscriptionId!, options.clientOptions);
      this.#monitor = new MonitorClient(credential, this.#config.subscriptionId!, options.clientOptions as never);
    }
  }

  async provision(request: ProvisionRequest): Promise<Machine> {
    const { bookingId } = request;
    const listing = objectStorageListing(this.cloud, "azure-blob", request.metadata);
    const account = this.#account(listing);
    const container = await this.#container(account, bookingId);
    const prefix = this.#naming.prefix.replaceAll("-", "_");
    const metadata = {
      [`${prefix}_booking_id`]: String(bookingId),
      [`${prefix}_chain_id`]: String(this.#naming.chainId),
      [`${prefix}_resource_id`]: String(request.resourceId),
      [`${prefix}_capacity_gib`]: String(listing.capacityGib),
    };
    const created = await callCloud("createContainer", () => container.createIfNotExists({ metadata }), classify);
    if (!created.succeeded) await this.#checkOwned(container, bookingId);
    this.#accountOf.set(bookingId, account);
    const expiresOn = credentialExpiry(request.hoursBooked, this.#retentionSeconds);
    await this.#setPolicies(container, CONSUMER_PERMISSIONS, expiresOn);
    return this.#machine(bookingId, container, listing.region, listing.capacityGib, expiresOn);
  }

  async describe(bookingId: bigint): Promise<Machine | undefined> {
    const found = await this.#find(bookingId);
    if (!found) return undefined;
    const { container, properties, location } = found;
    const capacityGib = Number(properties.metadata?.[`${this.#naming.prefix.replaceAll("-", "_")}_capacity_gib`]) || 1;
    const policies = await callCloud("getAccessPolicy", () => container.getAccessPolicy(), classify);
    const expiresOn = policies.signedIdentifiers.find((p) => p.id === CONSUMER_POLICY)?.accessPolicy?.expiresOn;
    return this.#machine(bookingId, container, location, capacityGib, expiresOn ? new Date(expiresOn) : undefined);
  }

  /** The consumer keeps read and list until the retention window ends; writes stop now. */
  async suspend(bookingId: bigint): Promise<void> {
    const found = await this.#find(bookingId);
    if (!found) return;
    const until = new Date(Date.now() + this.#retentionSeconds * 1000);
    await this.#setPolicies(found.container, READ_ONLY_PERMISSIONS, until);
  }

  /** The consumer's SAS stops working (its stored policy expires now); the blobs stay. */
  async pause(bookingId: bigint): Promise<void> {
    const found = await this.#find(bookingId);
    if (!found) return;
    const { probeExpiresOn } = await this.#policies(found.container);
    await this.#setPolicies(found.container, CONSUMER_PERMISSIONS, probeExpiresOn, new Date(Date.now() - 60_000));
  }

  /** The same SAS works again, until the booking's new end (with the usual margin) at the latest. */
  async resume(bookingId: bigint, runsUntil?: Date): Promise<void> {
    const found = await this.#find(bookingId);
    if (!found) throw new ProvisionerError(`${this.cloud}: booking ${bookingId} has no container to reopen`, false);
    const { probeExpiresOn } = await this.#policies(found.container);
    const expiresOn = runsUntil ? credentialExpiry(0, this.#retentionSeconds, runsUntil.getTime()) : probeExpiresOn;
    await this.#setPolicies(found.container, CONSUMER_PERMISSIONS, expiresOn);
  }

  /** Revokes every SAS of the booking (its policies go), then deletes the container with its blobs. */
  async deprovision(bookingId: bigint): Promise<void> {
    const found = await this.#find(bookingId);
    if (!found) return;
    const { container } = found;
    await callCloud("setAccessPolicy", () => container.setAccessPolicy(undefined, []), classify);
    await callCloud("deleteContainer", () => container.deleteIfExists(), classify);
    this.#accountOf.delete(bookingId);
  }

  /** Lists at most one blob with the probe policy's SAS: the container answers and is readable. */
  async probe(bookingId: bigint, timeoutMs: number): Promise<ProbeResult> {
    return timedProbe(async (abortSignal) => {
      const container = await this.#locate(bookingId);
      if (!container) return false;
      const sas = generateBlobSASQueryParameters(
        { containerName: container.containerName, identifier: PROBE_POLICY },
        this.#keys.get(container.accountName)!,
      ).toString();
      const probeClient = new ContainerClient(`${container.url}?${sas}`);
      await probeClient.listBlobsFlat({ abortSignal }).byPage({ maxPageSize: 1 }).next();
      return true;
    }, timeoutMs);
  }

  async usage(bookingId: bigint): Promise<StorageUsage | undefined> {
    const found = await this.#find(bookingId);
    if (!found) return undefined;
    const prefix = this.#naming.prefix.replaceAll("-", "_");
    const capacityGib = Number(found.properties.metadata?.[`${prefix}_capacity_gib`]) || 0;
    const sizesIn = (blob: BlobItem) => [blob.properties.contentLength ?? 0];
    return callCloud(
      "listBlobsFlat",
      () => bucketUsage(found.container.listBlobsFlat(), sizesIn, capacityGib),
      classify,
    );
  }

  /**
   * Azure Monitor's `Availability` of the account's blob service, per minute (Average): available
   * at 99 % or more. Azure measures it per account, not per container; the emulator has none.
   */
  async metrics(bookingId: bigint, fromMs: number, toMs: number): Promise<CloudSample[]> {
    if (!this.#monitor) return [];
    const container = await this.#locate(bookingId);
    if (!container) return [];
    const { subscriptionId, resourceGroup } = this.#config;
    const resource = `subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${container.accountName}/blobServices/default`;
    return monitorSamples(
      { metric: "Availability", aggregation: "Average", fromMs, toMs, available: (average) => average >= 99 },
      (options) => callCloud("metrics.list", () => this.#monitor!.metrics.list(resource, options), classify),
    );
  }

  /**
   * The listed SKU is offered in the listed location, the operator's account for it is there with
   * that SKU, and the listed redundancy is what the SKU gives.
   */
  async verify(metadata: ResourceMetadata): Promise<{ accountId: string }> {
    const listing = objectStorageListing(this.cloud, "azure-blob", metadata);
    const redundancy = azureRedundancy(listing.storageClass);
    if (redundancy !== listing.redundancy) {
      throw new ProvisionerError(
        `azure: ${listing.storageClass} keeps data ${redundancy ?? "in an unknown way"}, not ${listing.redundancy}`,
        false,
      );
    }
    const account = this.#account(listing);
    if (!this.#management) return { accountId: `${this.cloud}:${hostname()}:azurite:${account}` };
    const { resourceGroup, subscriptionId } = this.#config;
    const offered = await callCloud(
      "skus.list",
      async () => {
        for await (const sku of this.#management!.skus.list()) {
          if (sku.name !== listing.storageClass || sku.resourceType !== "storageAccounts") continue;
          const here = (sku.locations ?? []).some((l) => l.toLowerCase() === listing.region);
          if (here && !(sku.restrictions ?? []).some((r) => r.reasonCode === "NotAvailableForSubscription"))
            return true;
        }
        return false;
      },
      classify,
    );
    if (!offered) {
      throw new ProvisionerError(
        `azure: ${listing.storageClass} is not offered in ${listing.region} to this subscription`,
        false,
      );
    }
    const properties = await callCloud(
      "storageAccounts.getProperties",
      () => this.#management!.storageAccounts.getProperties(resourceGroup!, account),
      classify,
    );
    if (properties.sku?.name !== listing.storageClass || properties.location?.toLowerCase() !== listing.region) {
      throw new ProvisionerError(
        `azure: account ${account} is ${properties.sku?.name} in ${properties.location}, not ${listing.storageClass} in ${listing.region}`,
        false,
      );
    }
    return { accountId: `azure:${subscriptionId}` };
  }

  #machine(bookingId: bigint, container: ContainerClient, region: string, capacityGib: number, expiresAt?: Date) {
    const credential = this.#keys.get(container.accountName)!;
    const sas = generateBlobSASQueryParameters(
      { containerName: container.containerName, identifier: CONSUMER_POLICY },
      credential,
    ).toString();
    const endpoint = container.url.slice(0, container.url.lastIndexOf("/"));
    const access = bucketAccess({
      api: "azure-blob",
      endpoint,
      bucket: container.containerName,
      region,
      capacityGib,
      sas,
      expiresAt,
    });
    return bucketMachine(this.cloud, "azure-blob", bookingId, container.containerName, endpoint, access);
  }

  /** Both policies on the container: one PUT replaces the container's whole list. */
  async #setPolicies(
    container: ContainerClient,
    consumerPermissions: string,
    expiresOn: Date,
    consumerExpiresOn = expiresOn,
  ): Promise<void> {
    const startsOn = new Date(Date.now() - 5 * 60_000); // clock skew between the node and Azure
    const policy = (permissions: string, expiry: Date) => ({
      permissions: permissions as unknown as string,
      startsOn,
      expiresOn: expiry,
    });
    await callCloud(
      "setAccessPolicy",
      () =>
        container.setAccessPolicy(undefined, [
          { id: CONSUMER_POLICY, accessPolicy: policy(consumerPermissions, consumerExpiresOn) },
          { id: PROBE_POLICY, accessPolicy: policy("l", expiresOn) },
        ]),
      classify,
    );
  }

  /** When the probe policy expires (the consumer's too, unless the booking is paused). */
  async #policies(container: ContainerClient): Promise<{ probeExpiresOn: Date }> {
    const { signedIdentifiers } = await callCloud("getAccessPolicy", () => container.getAccessPolicy(), classify);
    const expiresOn = signedIdentifiers.find((p) => p.id === PROBE_POLICY)?.accessPolicy?.expiresOn;
    return { probeExpiresOn: expiresOn ? new Date(expiresOn) : credentialExpiry(1, this.#retentionSeconds) };
  }

  /** The operator's account for the listing's location and SKU. */
  #account(listing: ObjectStorageMetadata): string {
    const bySku = regionSettings(this.cloud, listing, this.#config.accounts);
    const account = Object.hasOwn(bySku, listing.storageClass) ? bySku[listing.storageClass] : undefined;
    if (!account) {
      throw new ProvisionerError(
        `${this.cloud}: no storage account for ${listing.storageClass} in ${listing.region}`,
        false,
      );
    }
    return account;
  }

  async #container(account: string, bookingId: bigint): Promise<ContainerClient> {
    const credential = await this.#credential(account);
    const endpoint = this.#config.emulator
      ? `${this.#config.emulator.endpoint.replace(/\/$/, "")}/${account}`
      : `https://${account}.blob.core.windows.net`;
    const service = new BlobServiceClient(endpoint, credential, {
      retryOptions: { tryTimeoutInMs: this.#config.requestTimeoutMs },
    });
    return service.getContainerClient(this.#naming.bucketName(bookingId));
  }

  /** The account key: the emulator's, or read once from Azure Resource Manager. */
  async #credential(account: string): Promise<StorageSharedKeyCredential> {
    const known = this.#keys.get(account);
    if (known) return known;
    let key = this.#config.emulator?.accountKey;
    if (!key) {
      const keys = await callCloud(
        "storageAccounts.listKeys",
        () => this.#management!.storageAccounts.listKeys(this.#config.resourceGroup!, account),
        classify,
      );
      key = keys.keys?.[0]?.value;
      if (!key) throw new ProvisionerError(`azure: account ${account} returned no key`, true);
    }
    const credential = new StorageSharedKeyCredential(account, key);
    this.#keys.set(account, credential);
    return credential;
  }

  /** The booking's container, from the account it was found in before, or looked up. */
  async #locate(bookingId: bigint): Promise<ContainerClient | undefined> {
    const account = this.#accountOf.get(bookingId);
    if (account) return this.#container(account, bookingId);
    return (await this.#find(bookingId))?.container;
  }

  /** The booking's container with its properties, checked to be the booking's, in any configured account. */
  async #find(bookingId: bigint) {
    for (const [location, bySku] of Object.entries(this.#config.accounts)) {
      for (const account of new Set(Object.values(bySku))) {
        const container = await this.#container(account, bookingId);
        const properties = await callCloud(
          "getContainerProperties",
          async () => {
            try {
              return await container.getProperties();
            } catch (error) {
              if (isNotFound(error)) return undefined;
              throw error;
            }
          },
          classify,
        );
        if (!properties) continue;
        await this.#checkOwned(container, bookingId, properties.metadata);
        this.#accountOf.set(bookingId, account);
        return { container, properties, location };
      }
    }
    return undefined;
  }

  /** Refuses a container of the booking's name whose metadata names another booking or chain. */
  async #checkOwned(container: ContainerClient, bookingId: bigint, known?: Record<string, string>): Promise<void> {
    const metadata =
      known ?? (await callCloud("getContainerProperties", () => container.getProperties(), classify)).metadata;
    const prefix = this.#naming.prefix.replaceAll("-", "_");
    if (
      metadata?.[`${prefix}_booking_id`] !== String(bookingId) ||
      metadata[`${prefix}_chain_id`] !== String(this.#naming.chainId)
    ) {
      throw new ProvisionerError(
        `${this.cloud}: container ${container.containerName} is not marked as booking ${bookingId}'s`,
        false,
      );
    }
  }
}
