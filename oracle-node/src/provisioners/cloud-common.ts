/**
 * What the AWS, Azure and GCP adapters share: how a booking's machine is named and found, which
 * OS image and region settings a listing selects, how the consumer reaches the machine, and how a
 * failed cloud call becomes a ProvisionerError.
 */
import { hkdfSync } from "node:crypto";

import { type Cloud, type ComputeMetadata, type ResourceMetadata, isObjectStorage } from "@d-cloudx/sdk";
import { z } from "zod";

import { deriveSshKeyPair, type SshKeyPair } from "./credentials.ts";
import { ProvisionerError, type AccessDetails, type ProbeTarget } from "./types.ts";

/**
 * Starts every machine name, tag and label the adapter writes. Two deployments that share a cloud
 * account (say a testnet and a mainnet oracle) need different prefixes, or they would see each
 * other's machines for equal booking ids.
 */
export const namePrefixSchema = z
  .string()
  .regex(
    /^[a-z](?:[a-z0-9-]{0,14}[a-z0-9])?$/,
    "must be 1-16 lowercase letters, digits and dashes, starting with a letter",
  )
  .default("dcloudx");

/** How long one HTTP request to the cloud may take before it counts as a (retryable) timeout. */
export const requestTimeoutSchema = z.int().min(1000).max(600_000).default(30_000);

/** The settings every adapter's config has, whatever its cloud. */
export const adapterSettings = { namePrefix: namePrefixSchema, requestTimeoutMs: requestTimeoutSchema };

/** A Linux user name the image creates or accepts for SSH (`ubuntu`, `ec2-user`, `azureuser`…). */
export const sshUserSchema = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Linux user name");

/** An OS image name as listings spell it in `osImages`. */
export const osImageNameSchema = z.string().min(1).max(64);

/** The operator's settings per region (AWS, GCP) or location (Azure): the listing's `region` picks one. */
export function regionTable<V extends z.ZodType>(regionName: z.ZodString, settings: V) {
  return z
    .record(regionName, settings)
    .refine((regions) => Object.keys(regions).length > 0, "must configure at least one region");
}

/** What every cloud adapter needs besides its cloud's settings. Secret: never log it. */
export const adapterSecretsSchema = z.object({
  /** Chain id of the deployment the node serves; part of every machine name. */
  chainId: z.int().positive(),
  /**
   * Operator key material (for instance the oracle's private key) from which each booking's SSH key
   * pair is derived, so that the pair never needs to be stored.
   */
  sshKeyMaterial: z
    .instanceof(Uint8Array)
    .refine((key) => key.length >= 32, "must be at least 32 bytes")
    .meta({ secret: true }),
});
export type AdapterSecrets = z.infer<typeof adapterSecretsSchema>;

/** Names, tags and keys of one booking's machine, in the spelling each cloud accepts. */
export class BookingNaming {
  readonly prefix: string;
  readonly chainId: number;
  readonly #sshKeyMaterial: Uint8Array;

  /** `secrets`: the adapter's options, checked here; whatever else they hold is ignored. */
  constructor(prefix: string, secrets: AdapterSecrets) {
    const { chainId, sshKeyMaterial } = adapterSecretsSchema.parse(secrets);
    this.prefix = prefix;
    this.chainId = chainId;
    this.#sshKeyMaterial = sshKeyMaterial;
  }

  /**
   * `dcloudx-31337-42`: valid as an EC2 client token, an Azure VM and DNS name and a GCP instance
   * name (lowercase, digits and dashes, at most 63 characters for any uint56 booking id).
   */
  machineName(bookingId: bigint): string {
    if (bookingId <= 0n || bookingId >= 2n ** 64n) throw new ProvisionerError(`invalid booking id ${bookingId}`, false);
    return `${this.prefix}-${this.chainId}-${bookingId}`;
  }

  /**
   * `dcloudx-31337-42-1a2b3c4d`: the bucket (S3, GCS) or container (Azure) of a booking, and the
   * name of what grants access to it. Bucket names are global across every customer of a cloud: the
   * last part, derived from the operator's key material, keeps two operators' names apart. At most
   * 58 characters, lowercase letters, digits and dashes: valid everywhere.
   */
  bucketName(bookingId: bigint): string {
    const scope = Buffer.from(hkdfSync("sha256", this.#sshKeyMaterial, "d-cloudx bucket scope v1", "", 4));
    return `${this.machineName(bookingId)}-${scope.toString("hex")}`;
  }

  /** The consumer's key pair for this booking's machine. */
  sshKeyPair(bookingId: bigint): SshKeyPair {
    return deriveSshKeyPair(this.#sshKeyMaterial, this.machineName(bookingId));
  }

  /** SSH access to a booking's machine at `host`, and the node's TCP probe of the same port. */
  sshAccess(bookingId: bigint, host: string, user: string): { access: AccessDetails; probe: ProbeTarget } {
    return {
      access: {
        protocol: "ssh",
        host,
        port: 22,
        user,
        credentials: { kind: "ssh-private-key", secret: this.sshKeyPair(bookingId).privateKey },
      },
      probe: { kind: "tcp", host, port: 22 },
    };
  }
}

/** Rejects a listing meant for another cloud. */
export function assertCloud(cloud: Cloud, metadata: ResourceMetadata): void {
  if (metadata.cloud !== cloud) {
    throw new ProvisionerError(`${cloud}: the listing is for cloud "${metadata.cloud}"`, false);
  }
}

/** The listing as a machine; object storage listings go to the cloud's object storage adapter. */
function computeListing(cloud: Cloud, metadata: ResourceMetadata): ComputeMetadata {
  assertCloud(cloud, metadata);
  if (isObjectStorage(metadata)) {
    throw new ProvisionerError(`${cloud}: the listing is object storage, not a machine`, false);
  }
  return metadata;
}

/** The operator's settings for the listing's region, or a non-retryable error naming what is missing. */
export function regionSettings<T>(cloud: Cloud, metadata: ResourceMetadata, byRegion: Record<string, T>): T {
  assertCloud(cloud, metadata);
  const settings = Object.hasOwn(byRegion, metadata.region) ? byRegion[metadata.region] : undefined;
  if (settings === undefined) {
    throw new ProvisionerError(`${cloud}: region "${metadata.region}" is not configured on this node`, false);
  }
  return settings;
}

/**
 * The listing as a machine this node can make: for this cloud, not object storage, in a region the
 * operator configured, with one of its OS images configured (`imagesIn` the region's settings).
 */
export function computeTarget<R, I>(
  cloud: Cloud,
  metadata: ResourceMetadata,
  regions: Record<string, R>,
  imagesIn: (region: R) => Record<string, I>,
): { listing: ComputeMetadata; region: R; image: I } {
  const listing = computeListing(cloud, metadata);
  const region = regionSettings(cloud, listing, regions);
  return { listing, region, image: selectOsImage(cloud, listing, imagesIn(region)) };
}

/** The first of the listing's OS images that the operator has configured, in the listing's order. */
function selectOsImage<T>(cloud: Cloud, metadata: ComputeMetadata, images: Record<string, T>): T {
  for (const name of metadata.osImages) {
    const image = Object.hasOwn(images, name) ? images[name] : undefined;
    if (image !== undefined) return image;
  }
  throw new ProvisionerError(
    `${cloud}: none of the listing's OS images (${metadata.osImages.join(", ")}) is configured on this node`,
    false,
  );
}

/** What a cloud said about a failed call, without request bodies or credentials. */
export interface CloudFailure {
  code?: string;
  status?: number;
  requestId?: string;
  message: string;
}

const MAX_MESSAGE_LENGTH = 500;

export function cloudError(cloud: Cloud, action: string, failure: CloudFailure, retryable: boolean): ProvisionerError {
  const code = failure.code ? `${failure.code}: ` : "";
  const message =
    failure.message.length > MAX_MESSAGE_LENGTH ? `${failure.message.slice(0, MAX_MESSAGE_LENGTH)}…` : failure.message;
  const status = failure.status ? ` (HTTP ${failure.status})` : "";
  const requestId = failure.requestId ? ` [request id ${failure.requestId}]` : "";
  return new ProvisionerError(`${cloud} ${action} failed: ${code}${message}${status}${requestId}`, retryable);
}

/**
 * Runs one cloud call and turns whatever it throws into a ProvisionerError with `classify`. The
 * SDK's error object is not kept as `cause`: some carry the request, with its authorization header.
 */
export async function callCloud<T>(
  action: string,
  call: () => Promise<T>,
  classify: (action: string, error: unknown) => ProvisionerError,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof ProvisionerError ? error : classify(action, error);
  }
}

/** Whether an error is an HTTP status that asks to try again later: 408, 429 or 5xx. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 408 || status === 429 || (status !== undefined && status >= 500);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The cached value of `key` (a client per region), made on first use. */
export function cached<T>(cache: Map<string, T>, key: string, create: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = create();
    cache.set(key, value);
  }
  return value;
}
