/**
 * What the S3, Azure Blob and GCS adapters share: which listings they serve, how long the
 * consumer's credentials last, the access details (with commands ready to paste for the usual
 * clients), and timed probes.
 *
 * One bucket (Azure: container) per booking, named by `BookingNaming.bucketName`; the credentials
 * reach that bucket only. At the end of a booking the credentials are revoked, then the bucket is
 * emptied and deleted; with a retention window (`provisioning.retentionSeconds`) the lifecycle
 * first calls `suspend`, which leaves the consumer read access to copy the data out.
 */
import {
  type AccessDetails,
  type Cloud,
  type ObjectStorageApi,
  type ObjectStorageMetadata,
  type ResourceMetadata,
  isObjectStorage,
} from "@d-cloudx/sdk";

import { assertCloud, regionSettings, type AdapterSecrets } from "./cloud-common.ts";
import { type Machine, type ProbeResult, ProvisionerError, type StorageUsage, adapterKey } from "./types.ts";

export interface ObjectStorageOptions extends AdapterSecrets {
  /** Seconds a finished booking's data stays readable before deletion (`provisioning.retentionSeconds`). */
  retentionSeconds?: number;
}

/** The listing as object storage offering `api` on `cloud`, or a non-retryable error naming the mismatch. */
export function objectStorageListing(cloud: Cloud, api: ObjectStorageApi, metadata: ResourceMetadata) {
  assertCloud(cloud, metadata);
  if (!isObjectStorage(metadata)) throw new ProvisionerError(`${cloud}: the listing is a machine, not storage`, false);
  if (metadata.api !== api) {
    throw new ProvisionerError(
      `${cloud}: the listing offers the ${metadata.api} API; this adapter serves ${api}`,
      false,
    );
  }
  return metadata as ObjectStorageMetadata;
}

/**
 * The listing as object storage this node sells: offering `api` on `cloud`, in a region the operator
 * configured (`regions`), in a storage class sold there.
 */
export function sellableStorageListing(
  cloud: Cloud,
  api: ObjectStorageApi,
  metadata: ResourceMetadata,
  regions: Record<string, { storageClasses: string[] }>,
): ObjectStorageMetadata {
  const listing = objectStorageListing(cloud, api, metadata);
  const region = regionSettings(cloud, listing, regions);
  if (!region.storageClasses.includes(listing.storageClass)) {
    throw new ProvisionerError(
      `${cloud}: storage class ${listing.storageClass} is not sold in ${listing.region} by this node`,
      false,
    );
  }
  return listing;
}

/**
 * When time-limited credentials (an Azure SAS) stop working by themselves: the booked hours, an hour
 * for provisioning and confirmation, and the retention window. Revocation at the end comes first;
 * this is the backstop if the node is gone by then.
 */
export function credentialExpiry(hoursBooked: number, retentionSeconds: number, nowMs = Date.now()): Date {
  return new Date(nowMs + (hoursBooked + 1) * 3_600_000 + retentionSeconds * 1000);
}

/** The bucket as a running "machine", probed by its adapter. */
export function bucketMachine(
  cloud: Cloud,
  api: ObjectStorageApi,
  bookingId: bigint,
  bucket: string,
  endpoint: string,
  access?: AccessDetails,
): Machine {
  return {
    bookingId,
    cloud,
    instanceId: bucket,
    state: "running",
    ...(access ? { access } : {}),
    probe: { kind: "object-storage", adapter: adapterKey(cloud, api), endpoint, bucket },
  };
}

/** Single-quoted for a POSIX shell. */
const quote = (text: string) => `'${text.replaceAll("'", `'"'"'`)}'`;

export interface BucketCredentials {
  api: ObjectStorageApi;
  endpoint: string;
  bucket: string;
  region: string;
  capacityGib: number;
  /** S3 and GCS (HMAC): the access key id and secret. */
  accessKey?: { id: string; secret: string };
  /** Azure: the SAS query string (without `?`). */
  sas?: string;
  expiresAt?: Date;
}

/** The consumer's access details for a bucket, with commands for the usual clients. */
export function bucketAccess(credentials: BucketCredentials): AccessDetails {
  const { api, endpoint, bucket, region, accessKey, sas } = credentials;
  const url = new URL(endpoint);
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  const protocol = url.protocol === "https:" ? "https" : "http";
  const base = { protocol, host: url.hostname, port } as const;
  const storage = {
    api,
    endpoint,
    bucket,
    region,
    capacityGib: credentials.capacityGib,
    ...(credentials.expiresAt ? { expiresAt: credentials.expiresAt.toISOString() } : {}),
  };
  if (sas !== undefined) {
    const containerUrl = `${endpoint.replace(/\/$/, "")}/${bucket}`;
    const sasUrl = `${containerUrl}?${sas}`;
    return {
      ...base,
      user: "sas",
      credentials: { kind: "sas-token", secret: sas },
      url: sasUrl,
      objectStorage: {
        ...storage,
        examples: {
          azcopy: `azcopy copy ./my-folder ${quote(sasUrl)} --recursive\nazcopy list ${quote(sasUrl)}`,
          rclone: `rclone copy ./my-folder :azureblob:${bucket}/my-folder --azureblob-sas-url ${quote(sasUrl)}`,
          curl:
            `curl -X PUT -H 'x-ms-blob-type: BlockBlob' --data-binary @file.txt ${quote(`${containerUrl}/file.txt?${sas}`)}\n` +
            `curl ${quote(`${containerUrl}/file.txt?${sas}`)}`,
        },
      },
    };
  }
  if (!accessKey) throw new ProvisionerError(`${api}: bucket access needs a key or a SAS`, false);
  const awsEnv = `AWS_ACCESS_KEY_ID=${quote(accessKey.id)} AWS_SECRET_ACCESS_KEY=${quote(accessKey.secret)} AWS_DEFAULT_REGION=${region}`;
  const isAws = api === "s3" && /\.amazonaws\.com$/.test(url.hostname);
  const endpointFlag = isAws ? "" : ` --endpoint-url ${endpoint}`;
  const rcloneProvider = api === "gcs" ? "GCS" : isAws ? "AWS" : "Other";
  const rcloneEndpoint = isAws ? "" : ` --s3-endpoint ${endpoint}`;
  const examples: Record<string, string> = {
    "aws cli":
      `export ${awsEnv}\n` +
      `aws s3 cp ./file.txt s3://${bucket}/file.txt${endpointFlag}\naws s3 ls s3://${bucket}/${endpointFlag}`,
    rclone:
      `rclone copy ./my-folder :s3:${bucket}/my-folder --s3-provider ${rcloneProvider} --s3-region ${region}` +
      `${rcloneEndpoint} --s3-access-key-id ${quote(accessKey.id)} --s3-secret-access-key ${quote(accessKey.secret)}`,
  };
  if (api === "gcs") {
    examples.gsutil =
      `gsutil -o ${quote(`Credentials:gs_access_key_id=${accessKey.id}`)} -o ${quote(`Credentials:gs_secret_access_key=${accessKey.secret}`)} ` +
      `cp ./file.txt gs://${bucket}/file.txt`;
  }
  return {
    ...base,
    user: accessKey.id,
    credentials: { kind: "access-key", secret: accessKey.secret },
    objectStorage: { ...storage, examples },
  };
}

/** Times `check`, which resolves true when the bucket answered as it should; never throws. */
export async function timedProbe(
  check: (signal: AbortSignal) => Promise<boolean>,
  timeoutMs: number,
): Promise<ProbeResult> {
  const started = performance.now();
  let ok: boolean;
  try {
    ok = await check(AbortSignal.timeout(timeoutMs));
  } catch {
    ok = false;
  }
  return { ok, latencyMs: Math.max(0, Math.round(performance.now() - started)) };
}

export const GIB = 1024 ** 3;

/**
 * A bucket's usage: how many objects it holds and their total size, read from a listing of it
 * (`sizesIn` gives the sizes of the objects in one page or entry), against its booked capacity.
 */
export async function bucketUsage<T>(
  listing: AsyncIterable<T> | Iterable<T>,
  sizesIn: (entry: T) => number[],
  capacityGib: number,
): Promise<StorageUsage> {
  let bytes = 0;
  let objects = 0;
  for await (const entry of listing) {
    for (const size of sizesIn(entry)) {
      bytes += size;
      objects++;
    }
  }
  return { bytes, objects, capacityBytes: capacityGib * GIB };
}
