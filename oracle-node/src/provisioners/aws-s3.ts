/**
 * Amazon S3: one bucket per booking, and an IAM user of the same name whose only policy reaches
 * that bucket, with one access key for the consumer. Every name derives from the booking, every
 * step is a create-or-find (bucket by name, user by name and tags, policy by PUT), and the key is
 * replaced rather than added to: a retried provisioning never leaves two buckets or two keys.
 *
 * `endpoint` points the same code at an S3-compatible server, whose IAM API (if it has one, as
 * Ceph's RADOS Gateway does) is at the same endpoint. A server without IAM (locally s3rver) takes
 * `staticKey`: the consumer gets the server's own key, which reaches every bucket on it, so the
 * schema allows that for a server on this machine only.
 */
import { hostname } from "node:os";

import { CloudWatchClient, paginateGetMetricData } from "@aws-sdk/client-cloudwatch";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
  type Tag,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketMetricsConfigurationCommand,
  PutBucketTaggingCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type ListObjectsV2CommandOutput,
  S3Client,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { type Cloud, type ObjectStorageMetadata, REDUNDANCIES, type ResourceMetadata } from "@d-cloudx/sdk";
import { z } from "zod";

import { awsStatusOf, classifyAwsError } from "./aws-errors.ts";
import { adapterSettings, BookingNaming, cached, callCloud, regionTable } from "./cloud-common.ts";
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

/** S3 storage classes a bucket's objects can be written with, and how many zones keep them. */
const S3_CLASSES: Record<string, "single-zone" | "multi-zone"> = {
  STANDARD: "multi-zone",
  INTELLIGENT_TIERING: "multi-zone",
  STANDARD_IA: "multi-zone",
  ONEZONE_IA: "single-zone",
  GLACIER_IR: "multi-zone",
  GLACIER: "multi-zone",
  DEEP_ARCHIVE: "multi-zone",
};

const keyPair = z.strictObject({
  accessKeyId: z.string().min(3).max(128),
  secretAccessKey: z.string().min(3).max(128).meta({ secret: true }),
});

/** The operator's S3 settings, as the node's config file holds them. */
export const s3ConfigSchema = z
  .strictObject({
    ...adapterSettings,
    /** Regions served, each with the storage classes the operator sells there. */
    regions: regionTable(
      z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be a region name"),
      z.strictObject({
        storageClasses: z
          .array(z.enum(Object.keys(S3_CLASSES) as [string, ...string[]]))
          .min(1)
          .default(["STANDARD"]),
        /** What an S3-compatible server's copies give (on AWS it follows from the storage class). */
        redundancy: z.enum(REDUNDANCIES).default("single-zone"),
      }),
    ),
    /** An S3-compatible server instead of AWS (path-style requests). */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** The server's own key, given to consumers: only for a server without IAM on this machine. */
    staticKey: keyPair.optional(),
    /** A key allowed only `s3:ListBucket` on the node's buckets, for probes (default: the SDK's chain). */
    probeKey: keyPair.optional(),
    /** Extra tags on buckets and users, e.g. for cost allocation. */
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
  })
  .refine((c) => !c.staticKey || (c.endpoint && /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(c.endpoint)), {
    message: "staticKey is for an S3-compatible server on this machine (endpoint http://127.0.0.1:<port>) only",
    path: ["staticKey"],
  });
export type S3Config = z.input<typeof s3ConfigSchema>;

export interface S3StorageOptions extends ObjectStorageOptions {
  /** Settings for every S3, IAM and CloudWatch client (credentials default to the SDK's chain). */
  clientConfig?: Record<string, unknown>;
}

/** A request the node's own timeout aborted can be tried again. */
const RETRYABLE_NAMES = new Set(["TimeoutError", "AbortError"]);
const classify = (action: string, error: unknown) => classifyAwsError(action, error, RETRYABLE_NAMES);

const errorName = (error: unknown) => (error as { name?: string }).name;

/** Runs `call`; the error names in `absent` (a missing bucket or user) give undefined instead. */
async function unlessAbsent<T>(call: () => Promise<T>, absent: string[]): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (absent.includes(errorName(error) ?? "") || awsStatusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The consumer's IAM policy: this bucket and its objects, nothing else. */
function bucketPolicy(bucket: string, readOnly: boolean): string {
  const objectActions = readOnly
    ? ["s3:GetObject"]
    : ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Bucket",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
        Resource: `arn:aws:s3:::${bucket}`,
      },
      { Sid: "Objects", Effect: "Allow", Action: objectActions, Resource: `arn:aws:s3:::${bucket}/*` },
    ],
  });
}

export class S3Storage implements Provisioner {
  readonly cloud: Cloud;
  readonly objectStorageApi = "s3" as const;
  readonly #config: z.infer<typeof s3ConfigSchema>;
  readonly #naming: BookingNaming;
  readonly #clientConfig: Record<string, unknown>;
  readonly #s3 = new Map<string, S3Client>();
  readonly #probeS3 = new Map<string, S3Client>();
  readonly #regionOf = new Map<bigint, string>();
  /** Booked capacity by booking, as provisioned (after a restart: from the user's tags). */
  readonly #capacityOf = new Map<bigint, number>();
  #iam?: IAMClient;
  #cloudWatch = new Map<string, CloudWatchClient>();

  /** `cloud`: `aws`, or `local`/`other` for an S3-compatible server. */
  constructor(cloud: Cloud, config: S3Config, options: S3StorageOptions) {
    this.cloud = cloud;
    this.#config = s3ConfigSchema.parse(config);
    this.#naming = new BookingNaming(this.#config.namePrefix, options);
    this.#clientConfig = options.clientConfig ?? {};
  }

  async provision(request: ProvisionRequest): Promise<Machine> {
    const { bookingId } = request;
    const listing = this.#listing(request.metadata);
    const bucket = this.#naming.bucketName(bookingId);
    const s3 = this.#s3Client(listing.region);
    const exists = await callCloud(
      "HeadBucket",
      () => unlessAbsent(() => s3.send(new HeadBucketCommand({ Bucket: bucket })), ["NotFound", "NoSuchBucket"]),
      classify,
    );
    if (!exists) await this.#createBucket(s3, bucket, listing.region);
    this.#regionOf.set(bookingId, listing.region);
    this.#capacityOf.set(bookingId, listing.capacityGib);
    if (this.#config.staticKey) {
      return this.#machine(bookingId, bucket, listing, this.#config.staticKey);
    }
    const tags = this.#tags(request);
    await callCloud(
      "PutBucketTagging",
      () => s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags } })),
      classify,
    );
    await callCloud(
      "PutPublicAccessBlock",
      () =>
        s3.send(
          new PutPublicAccessBlockCommand({
            Bucket: bucket,
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              IgnorePublicAcls: true,
              BlockPublicPolicy: true,
              RestrictPublicBuckets: true,
            },
          }),
        ),
      classify,
    );
    // CloudWatch request metrics (one filter for the whole bucket) feed `metrics`.
    await callCloud(
      "PutBucketMetricsConfiguration",
      () =>
        s3.send(
          new PutBucketMetricsConfigurationCommand({
            Bucket: bucket,
            Id: "EntireBucket",
            MetricsConfiguration: { Id: "EntireBucket" },
          }),
        ),
      classify,
    );
    await this.#ensureUser(bucket, bookingId, tags);
    await this.#putPolicy(bucket, false);
    const key = await this.#replaceKey(bucket);
    return this.#machine(bookingId, bucket, listing, key);
  }

  /** The bucket if it exists; without credentials, whose secret only `provision` ever sees. */
  async describe(bookingId: bigint): Promise<Machine | undefined> {
    const found = await this.#find(bookingId);
    if (!found) return undefined;
    return bucketMachine(this.cloud, "s3", bookingId, found.bucket, this.#endpoint(found.region));
  }

  /** Reads and lists only, until `deprovision`. */
  async suspend(bookingId: bigint): Promise<void> {
    if (this.#config.staticKey) return;
    const bucket = this.#naming.bucketName(bookingId);
    if (await this.#user(bucket)) await this.#putPolicy(bucket, true);
  }

  /**
   * The consumer's key is deactivated; the bucket and its objects stay. A server without IAM
   * (`staticKey`) has no key of the consumer's own to deactivate: its buckets stay reachable.
   */
  async pause(bookingId: bigint): Promise<void> {
    await this.#setKeyStatus(bookingId, "Inactive");
  }

  /** The same key works again. */
  async resume(bookingId: bigint): Promise<void> {
    await this.#setKeyStatus(bookingId, "Active");
  }

  async #setKeyStatus(bookingId: bigint, Status: "Active" | "Inactive"): Promise<void> {
    if (this.#config.staticKey) return;
    const name = this.#naming.bucketName(bookingId);
    const user = await this.#user(name);
    if (!user) {
      if (Status === "Inactive") return;
      throw new ProvisionerError(`${this.cloud}: booking ${bookingId} has no storage user to reactivate`, false);
    }
    this.#checkTags(name, bookingId, user.Tags);
    const iam = this.#iamClient();
    for (const key of await this.#keys(name)) {
      if (key.Status === Status) continue;
      await callCloud(
        "UpdateAccessKey",
        () => iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId, Status })),
        classify,
      );
    }
  }

  /**
   * The consumer's keys, policy and user go first (nothing can be written meanwhile), then every
   * object, then the bucket. Each step finds nothing the second time.
   */
  async deprovision(bookingId: bigint): Promise<void> {
    const bucket = this.#naming.bucketName(bookingId);
    if (!this.#config.staticKey) await this.#deleteUser(bucket, bookingId);
    const found = await this.#find(bookingId);
    if (!found) return;
    const s3 = this.#s3Client(found.region);
    await callCloud(
      "DeleteObjects",
      async () => {
        for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
          const Objects = (page.Contents ?? []).map(({ Key }) => ({ Key }));
          if (Objects.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects } }));
        }
      },
      classify,
    );
    await callCloud(
      "DeleteBucket",
      () => unlessAbsent(() => s3.send(new DeleteBucketCommand({ Bucket: bucket })), ["NoSuchBucket"]),
      classify,
    );
    this.#regionOf.delete(bookingId);
    this.#capacityOf.delete(bookingId);
  }

  /** HeadBucket with the probe key: 200 when the bucket answers. */
  async probe(bookingId: bigint, timeoutMs: number): Promise<ProbeResult> {
    return timedProbe(async (abortSignal) => {
      const region = this.#regionOf.get(bookingId) ?? (await this.#find(bookingId))?.region;
      if (!region) return false;
      const client = this.#probeClient(region);
      await client.send(new HeadBucketCommand({ Bucket: this.#naming.bucketName(bookingId) }), { abortSignal });
      return true;
    }, timeoutMs);
  }

  async usage(bookingId: bigint): Promise<StorageUsage | undefined> {
    const found = await this.#find(bookingId);
    if (!found) return undefined;
    const pages = paginateListObjectsV2({ client: this.#s3Client(found.region) }, { Bucket: found.bucket });
    const sizesIn = (page: ListObjectsV2CommandOutput) => (page.Contents ?? []).map((object) => object.Size ?? 0);
    return callCloud("ListObjectsV2", () => bucketUsage(pages, sizesIn, found.capacityGib), classify);
  }

  /**
   * CloudWatch S3 request metrics of the bucket (`5xxErrors` and `AllRequests`, Sum per minute):
   * a minute with requests is available when none failed with a 5xx. Minutes without requests give
   * no sample. An S3-compatible server has no CloudWatch.
   */
  async metrics(bookingId: bigint, fromMs: number, toMs: number): Promise<CloudSample[]> {
    if (this.#config.endpoint) return [];
    const found = await this.#find(bookingId);
    if (!found) return [];
    const client = this.#cloudWatchClient(found.region);
    const query = (Id: string, MetricName: string) => ({
      Id,
      MetricStat: {
        Metric: {
          Namespace: "AWS/S3",
          MetricName,
          Dimensions: [
            { Name: "BucketName", Value: found.bucket },
            { Name: "FilterId", Value: "EntireBucket" },
          ],
        },
        Period: 60,
        Stat: "Sum",
      },
    });
    const byMinute = new Map<number, { requests: number; errors: number }>();
    await callCloud(
      "GetMetricData",
      async () => {
        const pages = paginateGetMetricData(
          { client },
          {
            StartTime: new Date(fromMs),
            EndTime: new Date(toMs),
            MetricDataQueries: [query("requests", "AllRequests"), query("errors", "5xxErrors")],
          },
        );
        for await (const page of pages) {
          for (const result of page.MetricDataResults ?? []) {
            (result.Timestamps ?? []).forEach((timestamp, i) => {
              const entry = byMinute.get(timestamp.getTime()) ?? { requests: 0, errors: 0 };
              if (result.Id === "requests") entry.requests += result.Values?.[i] ?? 0;
              else entry.errors += result.Values?.[i] ?? 0;
              byMinute.set(timestamp.getTime(), entry);
            });
          }
        }
      },
      classify,
    );
    return [...byMinute]
      .filter(([, { requests }]) => requests > 0)
      .map(([timestampMs, { errors }]) => ({ timestampMs, available: errors === 0, source: "cloudwatch:S3 5xxErrors" }))
      .sort((a, b) => a.timestampMs - b.timestampMs);
  }

  /**
   * The region is served and the class is an S3 storage class sold there, with the redundancy the
   * listing claims; the credentials reach S3 in that region and name the account (its canonical id).
   */
  async verify(metadata: ResourceMetadata): Promise<{ accountId: string }> {
    const listing = this.#listing(metadata);
    const zones = this.#config.endpoint
      ? this.#config.regions[listing.region]!.redundancy
      : S3_CLASSES[listing.storageClass];
    if (zones !== listing.redundancy) {
      throw new ProvisionerError(
        `${this.cloud}: ${listing.storageClass} keeps data ${zones ?? "in no known way"}, not ${listing.redundancy}`,
        false,
      );
    }
    const s3 = this.#s3Client(listing.region);
    const { Owner } = await callCloud(
      "ListBuckets",
      () => s3.send(new ListBucketsCommand({ MaxBuckets: 1 })),
      classify,
    );
    const owner = Owner?.ID ?? (this.#config.endpoint ? `${hostname()}:${this.#config.endpoint}` : undefined);
    if (!owner) throw new ProvisionerError(`${this.cloud}: ListBuckets named no owner`, true);
    return { accountId: `${this.cloud}:s3:${owner}` };
  }

  #listing(metadata: ResourceMetadata): ObjectStorageMetadata {
    return sellableStorageListing(this.cloud, "s3", metadata, this.#config.regions);
  }

  async #createBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
    const LocationConstraint = region === "us-east-1" || this.#config.endpoint ? undefined : region;
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(LocationConstraint
            ? { CreateBucketConfiguration: { LocationConstraint: LocationConstraint as BucketLocationConstraint } }
            : {}),
        }),
      );
    } catch (error) {
      // Made by an earlier attempt whose answer was lost: ours. Made by someone else: refused below.
      if (errorName(error) === "BucketAlreadyOwnedByYou") return;
      if (errorName(error) === "BucketAlreadyExists" && this.#config.endpoint) return;
      throw classify("CreateBucket", error);
    }
  }

  #tags(request: ProvisionRequest): Tag[] {
    const prefix = this.#naming.prefix;
    return [
      ...Object.entries(this.#config.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      { Key: `${prefix}:booking-id`, Value: String(request.bookingId) },
      { Key: `${prefix}:chain-id`, Value: String(this.#naming.chainId) },
      { Key: `${prefix}:resource-id`, Value: String(request.resourceId) },
      { Key: `${prefix}:capacity-gib`, Value: String((request.metadata as ObjectStorageMetadata).capacityGib) },
    ];
  }

  /** The bucket's user, created if missing, and refused if its tags name another booking. */
  async #ensureUser(name: string, bookingId: bigint, tags: Tag[]): Promise<void> {
    const iam = this.#iamClient();
    let user = await this.#user(name);
    if (!user) {
      try {
        await iam.send(new CreateUserCommand({ UserName: name, Tags: tags }));
        return;
      } catch (error) {
        if (errorName(error) !== "EntityAlreadyExists") throw classify("CreateUser", error);
        user = await this.#user(name);
      }
    }
    this.#checkTags(name, bookingId, user?.Tags);
  }

  #checkTags(name: string, bookingId: bigint, tags: Tag[] | undefined): void {
    const prefix = this.#naming.prefix;
    const tag = (key: string) => tags?.find((t) => t.Key === `${prefix}:${key}`)?.Value;
    if (tag("booking-id") !== String(bookingId) || tag("chain-id") !== String(this.#naming.chainId)) {
      throw new ProvisionerError(`aws: IAM user ${name} is not tagged as booking ${bookingId}'s`, false);
    }
  }

  async #user(name: string) {
    const iam = this.#iamClient();
    const found = await callCloud(
      "GetUser",
      () =>
        unlessAbsent(() => iam.send(new GetUserCommand({ UserName: name })), ["NoSuchEntityException", "NoSuchEntity"]),
      classify,
    );
    return found?.User;
  }

  async #putPolicy(name: string, readOnly: boolean): Promise<void> {
    const iam = this.#iamClient();
    await callCloud(
      "PutUserPolicy",
      () =>
        iam.send(
          new PutUserPolicyCommand({
            UserName: name,
            PolicyName: "bucket",
            PolicyDocument: bucketPolicy(name, readOnly),
          }),
        ),
      classify,
    );
  }

  /**
   * The user's only key: any earlier one (made by an attempt that never delivered it) is deleted
   * first, so the user never holds two.
   */
  async #replaceKey(name: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const iam = this.#iamClient();
    await this.#deleteKeys(name);
    const { AccessKey } = await callCloud(
      "CreateAccessKey",
      () => iam.send(new CreateAccessKeyCommand({ UserName: name })),
      classify,
    );
    if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) {
      throw new ProvisionerError("aws CreateAccessKey returned no key", true);
    }
    return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
  }

  async #keys(name: string) {
    const iam = this.#iamClient();
    const listed = await callCloud(
      "ListAccessKeys",
      () =>
        unlessAbsent(
          () => iam.send(new ListAccessKeysCommand({ UserName: name })),
          ["NoSuchEntityException", "NoSuchEntity"],
        ),
      classify,
    );
    return listed?.AccessKeyMetadata ?? [];
  }

  async #deleteKeys(name: string): Promise<void> {
    const iam = this.#iamClient();
    for (const { AccessKeyId } of await this.#keys(name)) {
      await callCloud(
        "DeleteAccessKey",
        () =>
          unlessAbsent(
            () => iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId })),
            ["NoSuchEntityException", "NoSuchEntity"],
          ),
        classify,
      );
    }
  }

  /** Revokes the consumer: keys, policy, user (a user of the name that is not the booking's is left alone). */
  async #deleteUser(name: string, bookingId: bigint): Promise<void> {
    const user = await this.#user(name);
    if (!user) return;
    this.#checkTags(name, bookingId, user.Tags);
    const iam = this.#iamClient();
    const absent = ["NoSuchEntityException", "NoSuchEntity"];
    await this.#deleteKeys(name);
    await callCloud(
      "DeleteUserPolicy",
      () => unlessAbsent(() => iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: "bucket" })), absent),
      classify,
    );
    await callCloud(
      "DeleteUser",
      () => unlessAbsent(() => iam.send(new DeleteUserCommand({ UserName: name })), absent),
      classify,
    );
  }

  /** The booking's bucket and region, in any configured region, or undefined. */
  async #find(bookingId: bigint) {
    const bucket = this.#naming.bucketName(bookingId);
    const known = this.#regionOf.get(bookingId);
    const regions = known ? [known] : Object.keys(this.#config.regions);
    for (const region of regions) {
      const s3 = this.#s3Client(region);
      const head = await callCloud(
        "HeadBucket",
        () => unlessAbsent(() => s3.send(new HeadBucketCommand({ Bucket: bucket })), ["NotFound", "NoSuchBucket"]),
        classify,
      );
      if (!head) continue;
      // On AWS a bucket answers from any region's endpoint: its own region is in the answer.
      const actual = head.BucketRegion ?? region;
      this.#regionOf.set(bookingId, actual);
      const capacityGib = await this.#capacityGib(bucket, bookingId);
      return { bucket, region: actual, capacityGib };
    }
    return undefined;
  }

  /** The booked capacity: as provisioned, or from the user's tags (without IAM and after a restart: unknown, 0). */
  async #capacityGib(bucket: string, bookingId: bigint): Promise<number> {
    const known = this.#capacityOf.get(bookingId);
    if (known !== undefined || this.#config.staticKey) return known ?? 0;
    const user = await this.#user(bucket);
    if (!user) return 0;
    this.#checkTags(bucket, bookingId, user.Tags);
    return Number(user.Tags?.find((t) => t.Key === `${this.#naming.prefix}:capacity-gib`)?.Value) || 0;
  }

  #machine(
    bookingId: bigint,
    bucket: string,
    listing: ObjectStorageMetadata,
    key: { accessKeyId: string; secretAccessKey: string },
  ): Machine {
    const endpoint = this.#endpoint(listing.region);
    const access = bucketAccess({
      api: "s3",
      endpoint,
      bucket,
      region: listing.region,
      capacityGib: listing.capacityGib,
      accessKey: { id: key.accessKeyId, secret: key.secretAccessKey },
    });
    return bucketMachine(this.cloud, "s3", bookingId, bucket, endpoint, access);
  }

  #endpoint(region: string): string {
    return this.#config.endpoint?.replace(/\/$/, "") ?? `https://s3.${region}.amazonaws.com`;
  }

  #sdkConfig(region: string) {
    return {
      requestHandler: { connectionTimeout: 5000, requestTimeout: this.#config.requestTimeoutMs },
      ...(this.#config.endpoint
        ? {
            endpoint: this.#config.endpoint,
            forcePathStyle: true,
            // Servers other than S3 may not know the newer checksum headers.
            requestChecksumCalculation: "WHEN_REQUIRED" as const,
            responseChecksumValidation: "WHEN_REQUIRED" as const,
          }
        : {}),
      ...(this.#config.staticKey ? { credentials: this.#config.staticKey } : {}),
      ...this.#clientConfig,
      region,
    };
  }

  #s3Client(region: string): S3Client {
    return cached(this.#s3, region, () => new S3Client(this.#sdkConfig(region)));
  }

  #probeClient(region: string): S3Client {
    const probeKey = this.#config.probeKey;
    if (!probeKey) return this.#s3Client(region);
    return cached(this.#probeS3, region, () => new S3Client({ ...this.#sdkConfig(region), credentials: probeKey }));
  }

  #iamClient(): IAMClient {
    // An S3-compatible server with IAM (Ceph's RADOS Gateway) answers IAM at the same endpoint.
    this.#iam ??= new IAMClient({
      requestHandler: { connectionTimeout: 5000, requestTimeout: this.#config.requestTimeoutMs },
      ...(this.#config.endpoint ? { endpoint: this.#config.endpoint } : {}),
      ...this.#clientConfig,
      region: "us-east-1",
    });
    return this.#iam;
  }

  #cloudWatchClient(region: string): CloudWatchClient {
    return cached(this.#cloudWatch, region, () => new CloudWatchClient({ ...this.#clientConfig, region }));
  }
}
