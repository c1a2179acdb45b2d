import type { Cloud, ResourceMetadata } from "@d-cloudx/sdk";

/**
 * What an oracle node needs from a cloud: one implementation per cloud (`local`, `aws`, `azure`,
 * `gcp`), each behind this interface. Every method is idempotent and keyed by the booking id, which
 * the adapter stores on the machine (tags/labels, or a folder name locally), so that after a restart
 * the node finds the machine it already made instead of making a second one.
 */
export interface Provisioner {
  readonly cloud: Cloud;

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

/** What the consumer receives, encrypted to their key. Everything here is secret. */
export interface AccessDetails {
  protocol: "ssh" | "http" | "https";
  host: string;
  port: number;
  user: string;
  credentials: { kind: "password" | "ssh-private-key" | "bearer-token"; secret: string };
  /** A ready-to-use URL, for HTTP workloads. */
  url?: string;
}

export interface ProbeTarget {
  kind: "tcp" | "http";
  host: string;
  port: number;
  /** For HTTP probes. */
  path?: string;
}

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
