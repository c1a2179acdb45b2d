import type { AccessDetails, Cloud, ObjectStorageApi, ResourceMetadata } from "@d-cloudx/sdk";

/**
 * What an oracle node needs from a cloud: one implementation per cloud (`local`, `aws`, `azure`,
 * `gcp`), each behind this interface. Every method is idempotent and keyed by the booking id, which
 * the adapter stores on the machine (tags/labels, or a folder name locally), so that after a restart
 * the node finds the machine it already made instead of making a second one.
 */
export interface Provisioner {
  readonly cloud: Cloud;
  /** Set on object storage adapters: the API their buckets answer (one adapter per cloud and API). */
  readonly objectStorageApi?: ObjectStorageApi;

  /**
   * Creates the machine for a booking, or returns the one that already exists for it. Resolves once
   * the cloud has accepted the request; the machine may still be `pending`.
   */
  provision(request: ProvisionRequest): Promise<Machine>;

  /** The booking's machine as the cloud sees it now, or undefined if there is none. */
  describe(bookingId: bigint): Promise<Machine | undefined>;

  /** Deletes the booking's machine; resolves without error if there is none. */
  deprovision(bookingId: bigint): Promise<void>;

  /**
   * Suspends the booking's machine for its grace period, keeping everything the consumer had on it:
   * a VM is stopped with its disk (Azure: deallocated), object storage keeps its data but the
   * consumer's credentials stop working, a local workload stops serving and keeps its files.
   * Resolves once the cloud has accepted the request, and without error if there is nothing to
   * suspend (already suspended, or no machine).
   */
  pause(bookingId: bigint): Promise<void>;

  /**
   * Undoes `pause`: the same machine, disk and data, reached with the same access details. Resolves
   * once the cloud has accepted the request (the machine may still be `pending`); a machine still
   * stopping is a retryable error, a machine that is gone a permanent one. `runsUntil`: when the
   * booking now ends, for credentials that expire by themselves (an Azure SAS).
   */
  resume(bookingId: bigint, runsUntil?: Date): Promise<void>;

  /**
   * Availability samples from the cloud's own monitoring (CloudWatch, Azure Monitor, Cloud
   * Monitoring) between two instants; empty when the cloud has none.
   */
  metrics(bookingId: bigint, fromMs: number, toMs: number): Promise<CloudSample[]>;

  /**
   * Optional: checks that this account can provide the resource `metadata` describes (the instance
   * type exists in the region) and names the account, for a verifier attestation. Adapters without
   * it are never attested.
   */
  verify?(metadata: ResourceMetadata): Promise<{ accountId: string }>;

  /**
   * Optional, for resources the node's generic TCP/HTTP probes cannot check (object storage): one
   * probe of the booking's resource with the adapter's probe-only credential, never the consumer's.
   * Never throws.
   */
  probe?(bookingId: bigint, timeoutMs: number): Promise<ProbeResult>;

  /** Optional: what the booking stores now, against what it booked (object storage). */
  usage?(bookingId: bigint): Promise<StorageUsage | undefined>;

  /**
   * Optional: ends the consumer's right to change the resource but keeps its data readable (object
   * storage: credentials downgraded to read and list), for a retention window before `deprovision`.
   */
  suspend?(bookingId: bigint): Promise<void>;
}

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
}

export interface StorageUsage {
  bytes: number;
  objects: number;
  capacityBytes: number;
}

export interface ProvisionRequest {
  bookingId: bigint;
  resourceId: bigint;
  /** The consumer's address, for tags and logs only. */
  consumer: string;
  hoursBooked: number;
  /** The resource's validated listing metadata (instance type, region, OS images, …). */
  metadata: ResourceMetadata;
}

export type MachineState = "pending" | "running" | "stopped" | "terminated";

export interface Machine {
  bookingId: bigint;
  cloud: Cloud;
  /** The cloud's id for the machine (instance id, VM name, process id…). */
  instanceId: string;
  state: MachineState;
  /** How the consumer reaches the machine; present once it has an address. Secret. */
  access?: AccessDetails;
  /** What the node's own health probes hit. */
  probe?: ProbeTarget;
}

/** What the consumer receives, encrypted to their key (the sdk's schema). Everything here is secret. */
export type { AccessDetails };

export type ProbeTarget =
  | {
      kind: "tcp" | "http";
      host: string;
      port: number;
      /** For HTTP probes. */
      path?: string;
    }
  | {
      /** Probed by the adapter (`Provisioner.probe`) with its probe-only credential. */
      kind: "object-storage";
      /** The registry key of the adapter (`aws:s3`, `local:azure-blob`…). */
      adapter: string;
      endpoint: string;
      bucket: string;
    };

export interface CloudSample {
  timestampMs: number;
  available: boolean;
  /** Which metric said so, e.g. "cloudwatch:StatusCheckFailed". */
  source: string;
}

/** A failed cloud call; `retryable` for throttling, timeouts and 5xx, not for bad requests. */
export class ProvisionerError extends Error {
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProvisionerError";
    this.retryable = retryable;
  }
}

/** How the registry and the booking store name an adapter: `aws` (machines), `aws:s3` (object storage). */
export function adapterKey(cloud: Cloud, objectStorageApi?: ObjectStorageApi): string {
  return objectStorageApi ? `${cloud}:${objectStorageApi}` : cloud;
}
