/**
 * Google Cloud Storage: one bucket per booking (labelled with it), a service account per booking
 * bound to that bucket alone (`roles/storage.objectAdmin` in the bucket's IAM policy), and one HMAC
 * key of that account for the consumer (S3-compatible XML API: gsutil, rclone, aws cli). Service
 * account ids are limited to 30 characters, so the account is named by a hash of the bucket name
 * and its description names the booking, which is checked before anything is handed out or deleted.
 */
import { createHash } from "node:crypto";

import { MetricServiceClient } from "@google-cloud/monitoring";
import { type Bucket, type File, Storage, type StorageOptions } from "@google-cloud/storage";
import type { ObjectStorageMetadata, ResourceMetadata } from "@d-cloudx/sdk";
import { z } from "zod";

import {
  adapterSettings,
  BookingNaming,
  callCloud,
  cloudError,
  errorMessage,
  isRetryableStatus,
  regionTable,
} from "./cloud-common.ts";
import {
  type ObjectStorageOptions,
  bucketAccess,
  bucketMachine,
  bucketUsage,
  sellableStorageListing,
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

const GCS_CLASSES = ["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"];
/** Multi-region and predefined dual-region locations; any other location is one region (several zones). */
const MULTI_REGION_LOCATIONS = new Set(["us", "eu", "asia", "eur4", "eur5", "eur7", "eur8", "nam4", "asia1"]);
const ENDPOINT = "https://storage.googleapis.com";
const IAM_API = "https://iam.googleapis.com/v1";

/** The operator's Cloud Storage settings, as the node's config file holds them. */
export const gcsConfigSchema = z.strictObject({
  ...adapterSettings,
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a project id"),
  /** Locations served (`europe-west1`, `eu`…), each with the storage classes sold there. */
  regions: regionTable(
    z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be a location name"),
    z.strictObject({
      storageClasses: z
        .array(z.enum(GCS_CLASSES as [string, ...string[]]))
        .min(1)
        .default(["STANDARD"]),
    }),
  ),
  /** Key file of a service account allowed only `storage.buckets.get` on the node's buckets, for probes. */
  probeKeyFile: z.string().min(1).optional(),
  labels: z.record(z.string().regex(/^[a-z][-_a-z0-9]{0,62}$/), z.string().regex(/^[-_a-z0-9]{0,63}$/)).optional(),
});
export type GcsConfig = z.input<typeof gcsConfigSchema>;

export interface GcsStorageOptions extends ObjectStorageOptions {
  /** Options for the Storage and Monitoring clients (credentials default to Application Default Credentials). */
  clientOptions?: StorageOptions;
}

function classify(action: string, error: unknown): ProvisionerError {
  const { code, status } = error as { code?: number | string; status?: number };
  const httpStatus = typeof code === "number" && code >= 100 ? code : status;
  const retryable = isRetryableStatus(httpStatus) || ["ECONNRESET", "ETIMEDOUT", "ECONNREFUSED"].includes(String(code));
  return cloudError(
    "gcp",
    action,
    { code: typeof code === "string" ? code : undefined, status: httpStatus, message: errorMessage(error) },
    retryable,
  );
}

const statusOf = (error: unknown) => {
  const { code, status, response } = error as { code?: unknown; status?: number; response?: { status?: number } };
  return typeof code === "number" ? code : (status ?? response?.status);
};

interface ServiceAccount {
  email: string;
  description?: string;
}

export class GcsStorage implements Provisioner {
  readonly cloud = "gcp" as const;
  readonly objectStorageApi = "gcs" as const;
  readonly #config: z.infer<typeof gcsConfigSchema>;
  readonly #naming: BookingNaming;
  readonly #storage: Storage;
  readonly #probeStorage: Storage;
  readonly #monitoring: MetricServiceClient;

  constructor(config: GcsConfig, options: GcsStorageOptions) {
    this.#config = gcsConfigSchema.parse(config);
    this.#naming = new BookingNaming(this.#config.namePrefix, options);
    const clientOptions = { projectId: this.#config.project, ...options.clientOptions };
    this.#storage = new Storage(clientOptions);
    this.#probeStorage = this.#config.probeKeyFile
      ? new Storage({ ...clientOptions, keyFilename: this.#config.probeKeyFile })
      : this.#storage;
    this.#monitoring = new MetricServiceClient({ fallback: true, ...(options.clientOptions as object) });
  }

  async provision(request: ProvisionRequest): Promise<Machine> {
    const { bookingId } = request;
    const listing = this.#listing(request.metadata);
    const name = this.#naming.bucketName(bookingId);
    const bucket = this.#storage.bucket(name);
    const labels = {
      ...this.#config.labels,
      [`${this.#naming.prefix}-booking-id`]: String(bookingId),
      [`${this.#naming.prefix}-chain-id`]: String(this.#naming.chainId),
      [`${this.#naming.prefix}-capacity-gib`]: String(listing.capacityGib),
    };
    const found = await this.#bucketMetadata(bucket, bookingId);
    if (!found) {
      try {
        await this.#storage.createBucket(name, {
          location: listing.region.toUpperCase(),
          storageClass: listing.storageClass,
          labels,
          iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: "enforced" },
        });
      } catch (error) {
        // 409: made by an earlier attempt (checked to be this booking's) or by someone else (refused).
        if (statusOf(error) !== 409) throw classify("buckets.insert", error);
        await this.#bucketMetadata(bucket, bookingId);
      }
    }
    const account = await this.#ensureServiceAccount(name, bookingId);
    await this.#bind(bucket, account.email, "roles/storage.objectAdmin");
    const key = await this.#replaceHmacKey(account.email);
    const access = bucketAccess({
      api: "gcs",
      endpoint: ENDPOINT,
      bucket: name,
      region: listing.region,
      capacityGib: listing.capacityGib,
      accessKey: key,
    });
    return bucketMachine(this.cloud, "gcs", bookingId, name, ENDPOINT, access);
  }

  async describe(bookingId: bigint): Promise<Machine | undefined> {
    const name = this.#naming.bucketName(bookingId);
    const found = await this.#bucketMetadata(this.#storage.bucket(name), bookingId);
    return found && bucketMachine(this.cloud, "gcs", bookingId, name, ENDPOINT);
  }

  /** The consumer's account keeps `roles/storage.objectViewer` only, until `deprovision`. */
  async suspend(bookingId: bigint): Promise<void> {
    const name = this.#naming.bucketName(bookingId);
    const bucket = this.#storage.bucket(name);
    if (!(await this.#bucketMetadata(bucket, bookingId))) return;
    const email = this.#accountEmail(name);
    await this.#bind(bucket, email, "roles/storage.objectViewer", "roles/storage.objectAdmin");
  }

  /** The consumer's HMAC key is deactivated; the bucket and its objects stay. */
  async pause(bookingId: bigint): Promise<void> {
    await this.#setHmacState(bookingId, "INACTIVE");
  }

  /** The same HMAC key works again. */
  async resume(bookingId: bigint): Promise<void> {
    await this.#setHmacState(bookingId, "ACTIVE");
  }

  async #setHmacState(bookingId: bigint, state: "ACTIVE" | "INACTIVE"): Promise<void> {
    const account = await this.#serviceAccount(this.#naming.bucketName(bookingId));
    if (!account) {
      if (state === "INACTIVE") return;
      throw new ProvisionerError(`gcp: booking ${bookingId} has no storage account to reactivate`, false);
    }
    this.#checkAccount(account, bookingId);
    await callCloud(
      "hmacKeys.update",
      async () => {
        const [keys] = await this.#storage.getHmacKeys({
          serviceAccountEmail: account.email,
          projectId: this.#config.project,
        });
        for (const key of keys) {
          if (key.metadata?.state !== "DELETED" && key.metadata?.state !== state) await key.setMetadata({ state });
        }
      },
      classify,
    );
  }

  /** HMAC keys, then the service account, then every object and the bucket. */
  async deprovision(bookingId: bigint): Promise<void> {
    const name = this.#naming.bucketName(bookingId);
    const account = await this.#serviceAccount(name);
    if (account) {
      this.#checkAccount(account, bookingId);
      await this.#deleteHmacKeys(account.email);
      await callCloud(
        "serviceAccounts.delete",
        () => this.#iamRequest("DELETE", `/projects/${this.#config.project}/serviceAccounts/${account.email}`),
        classify,
      );
    }
    const bucket = this.#storage.bucket(name);
    if (!(await this.#bucketMetadata(bucket, bookingId))) return;
    await callCloud("objects.delete", () => bucket.deleteFiles({ force: true }), classify);
    await callCloud(
      "buckets.delete",
      async () => {
        try {
          await bucket.delete();
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
        }
      },
      classify,
    );
  }

  /** The bucket's metadata, read with the probe account. */
  async probe(bookingId: bigint, timeoutMs: number): Promise<ProbeResult> {
    return timedProbe(async () => {
      const bucket = this.#probeStorage.bucket(this.#naming.bucketName(bookingId));
      await Promise.race([
        bucket.getMetadata(),
        new Promise((_, reject) => setTimeout(() => reject(new Error("probe timed out")), timeoutMs).unref()),
      ]);
      return true;
    }, timeoutMs);
  }

  async usage(bookingId: bigint): Promise<StorageUsage | undefined> {
    const bucket = this.#storage.bucket(this.#naming.bucketName(bookingId));
    const metadata = await this.#bucketMetadata(bucket, bookingId);
    if (!metadata) return undefined;
    const capacityGib = Number(metadata.labels?.[`${this.#naming.prefix}-capacity-gib`]) || 0;
    const sizesIn = (file: File) => [Number(file.metadata.size ?? 0)];
    return callCloud(
      "objects.list",
      async () => bucketUsage((await bucket.getFiles())[0], sizesIn, capacityGib),
      classify,
    );
  }

  /**
   * Cloud Monitoring's `storage.googleapis.com/api/request_count` of the bucket per minute: a
   * minute with requests is available when none ended in a server error.
   */
  async metrics(bookingId: bigint, fromMs: number, toMs: number): Promise<CloudSample[]> {
    const name = this.#naming.bucketName(bookingId);
    const byMinute = new Map<number, boolean>();
    await callCloud(
      "timeSeries.list",
      async () => {
        const series = this.#monitoring.listTimeSeriesAsync(
          {
            name: `projects/${this.#config.project}`,
            filter: `metric.type = "storage.googleapis.com/api/request_count" AND resource.labels.bucket_name = "${name}"`,
            interval: {
              startTime: { seconds: Math.floor(fromMs / 1000) },
              endTime: { seconds: Math.floor(toMs / 1000) },
            },
            view: "FULL",
          },
          { timeout: this.#config.requestTimeoutMs, autoPaginate: false },
        );
        for await (const { metric, points } of series) {
          const failed = ["INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED"].includes(metric?.labels?.response_code ?? "");
          for (const point of points ?? []) {
            const endMs = Number(point.interval?.endTime?.seconds ?? 0) * 1000;
            const count = Number(point.value?.int64Value ?? 0);
            if (!endMs || count === 0) continue;
            byMinute.set(endMs, (byMinute.get(endMs) ?? true) && !failed);
          }
        }
      },
      classify,
    );
    return [...byMinute]
      .map(([timestampMs, available]) => ({ timestampMs, available, source: "cloud-monitoring:api/request_count" }))
      .sort((a, b) => a.timestampMs - b.timestampMs);
  }

  /**
   * The location is served with that class, the listed redundancy is what the location gives, and
   * the credentials reach the project's Cloud Storage.
   */
  async verify(metadata: ResourceMetadata): Promise<{ accountId: string }> {
    const listing = this.#listing(metadata);
    const redundancy = MULTI_REGION_LOCATIONS.has(listing.region) ? "multi-region" : "multi-zone";
    if (redundancy !== listing.redundancy) {
      throw new ProvisionerError(
        `gcp: a bucket in ${listing.region} is ${redundancy}, not ${listing.redundancy}`,
        false,
      );
    }
    await callCloud("projects.serviceAccount.get", () => this.#storage.getServiceAccount(), classify);
    return { accountId: `gcp:${this.#config.project}` };
  }

  #listing(metadata: ResourceMetadata): ObjectStorageMetadata {
    return sellableStorageListing(this.cloud, "gcs", metadata, this.#config.regions);
  }

  /** The bucket's metadata if it exists, refused if its labels name another booking. */
  async #bucketMetadata(bucket: Bucket, bookingId: bigint) {
    const metadata = await callCloud(
      "buckets.get",
      async () => {
        try {
          return (await bucket.getMetadata())[0];
        } catch (error) {
          if (statusOf(error) === 404) return undefined;
          throw error;
        }
      },
      classify,
    );
    if (!metadata) return undefined;
    const prefix = this.#naming.prefix;
    if (
      metadata.labels?.[`${prefix}-booking-id`] !== String(bookingId) ||
      metadata.labels[`${prefix}-chain-id`] !== String(this.#naming.chainId)
    ) {
      throw new ProvisionerError(`gcp: bucket ${bucket.name} is not labelled as booking ${bookingId}'s`, false);
    }
    return metadata;
  }

  /** `b-<hash>@<project>.iam.gserviceaccount.com`: account ids are 6-30 characters. */
  #accountEmail(bucketName: string): string {
    const id = `b-${createHash("sha256").update(bucketName).digest("hex").slice(0, 26)}`;
    return `${id}@${this.#config.project}.iam.gserviceaccount.com`;
  }

  #description(bookingId: bigint): string {
    return `${this.#naming.prefix} booking ${bookingId} on chain ${this.#naming.chainId}`;
  }

  #checkAccount(account: ServiceAccount, bookingId: bigint): void {
    if (account.description !== this.#description(bookingId)) {
      throw new ProvisionerError(`gcp: service account ${account.email} is not booking ${bookingId}'s`, false);
    }
  }

  async #serviceAccount(bucketName: string): Promise<ServiceAccount | undefined> {
    const email = this.#accountEmail(bucketName);
    return callCloud(
      "serviceAccounts.get",
      async () => {
        try {
          return await this.#iamRequest<ServiceAccount>(
            "GET",
            `/projects/${this.#config.project}/serviceAccounts/${email}`,
          );
        } catch (error) {
          if (statusOf(error) === 404) return undefined;
          throw error;
        }
      },
      classify,
    );
  }

  async #ensureServiceAccount(bucketName: string, bookingId: bigint): Promise<ServiceAccount> {
    const existing = await this.#serviceAccount(bucketName);
    if (existing) {
      this.#checkAccount(existing, bookingId);
      return existing;
    }
    const email = this.#accountEmail(bucketName);
    try {
      return await this.#iamRequest<ServiceAccount>("POST", `/projects/${this.#config.project}/serviceAccounts`, {
        accountId: email.split("@")[0],
        serviceAccount: { displayName: bucketName, description: this.#description(bookingId) },
      });
    } catch (error) {
      if (statusOf(error) !== 409) throw classify("serviceAccounts.create", error);
      const raced = await this.#serviceAccount(bucketName);
      if (!raced) throw classify("serviceAccounts.create", error);
      this.#checkAccount(raced, bookingId);
      return raced;
    }
  }

  /** Grants `role` on the bucket to the account (and takes `replaced` away), keeping other bindings. */
  async #bind(bucket: Bucket, email: string, role: string, replaced?: string): Promise<void> {
    const member = `serviceAccount:${email}`;
    await callCloud(
      "buckets.setIamPolicy",
      async () => {
        const [policy] = await bucket.iam.getPolicy({ requestedPolicyVersion: 3 });
        const bindings = (policy.bindings ?? [])
          .map((b) => (b.role === replaced ? { ...b, members: (b.members ?? []).filter((m) => m !== member) } : b))
          .filter((b) => (b.members ?? []).length > 0);
        const binding = bindings.find((b) => b.role === role);
        if (binding?.members?.includes(member) && bindings.length === (policy.bindings ?? []).length) return;
        if (binding) binding.members = [...(binding.members ?? []), member];
        else bindings.push({ role, members: [member] });
        await bucket.iam.setPolicy({ ...policy, bindings });
      },
      classify,
    );
  }

  /** The account's only HMAC key: earlier ones, never delivered, are deactivated and deleted first. */
  async #replaceHmacKey(email: string): Promise<{ id: string; secret: string }> {
    await this.#deleteHmacKeys(email);
    const [hmacKey, secret] = await callCloud(
      "hmacKeys.create",
      () => this.#storage.createHmacKey(email, { projectId: this.#config.project }),
      classify,
    );
    const id = hmacKey.metadata?.accessId;
    if (!id || !secret) throw new ProvisionerError("gcp hmacKeys.create returned no key", true);
    return { id, secret };
  }

  async #deleteHmacKeys(email: string): Promise<void> {
    await callCloud(
      "hmacKeys.delete",
      async () => {
        const [keys] = await this.#storage.getHmacKeys({ serviceAccountEmail: email, projectId: this.#config.project });
        for (const key of keys) {
          if (key.metadata?.state === "DELETED") continue;
          if (key.metadata?.state === "ACTIVE") await key.setMetadata({ state: "INACTIVE" });
          await key.delete();
        }
      },
      classify,
    );
  }

  async #iamRequest<T>(method: "GET" | "POST" | "DELETE", path: string, data?: unknown): Promise<T> {
    const response = await this.#storage.authClient.request<T>({
      url: `${IAM_API}${path}`,
      method,
      data,
      timeout: this.#config.requestTimeoutMs,
    });
    return response.data;
  }
}
