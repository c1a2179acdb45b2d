/**
 * Google Cloud: one Compute Engine instance per booking, named after the booking and found again by
 * its labels in any zone of the project.
 */
import { createHash, randomUUID } from "node:crypto";

import { InstancesClient, MachineTypesClient, type protos as compute } from "@google-cloud/compute";
import type { ResourceMetadata } from "@d-cloudx/sdk";
import { MetricServiceClient, type protos as monitoring } from "@google-cloud/monitoring";
import { z } from "zod";

import {
  adapterSettings,
  BookingNaming,
  callCloud,
  computeTarget,
  cloudError,
  errorMessage,
  isRetryableStatus,
  osImageNameSchema,
  regionTable,
  sshUserSchema,
  type AdapterSecrets,
} from "./cloud-common.ts";
import {
  ProvisionerError,
  type CloudSample,
  type Machine,
  type MachineState,
  type Provisioner,
  type ProvisionRequest,
} from "./types.ts";

type Instance = compute.google.cloud.compute.v1.IInstance;
type Timestamp = monitoring.google.protobuf.ITimestamp;

const gcpImageSchema = z.strictObject({
  /** Image or image family, e.g. `projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64`. */
  image: z.string().regex(/^(?:https:\/\/www\.googleapis\.com\/compute\/v1\/)?projects\/[^/]+\/global\/images\//),
  /** The user who gets the booking's SSH key (created by the guest environment if missing). */
  user: sshUserSchema,
});

const gcpRegionSchema = z.strictObject({
  /** The zone of the region where machines are made, e.g. `europe-west1-b`. */
  zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, "must be a zone name"),
  /** Subnetwork in this region, for custom-mode VPCs: `regions/<region>/subnetworks/<name>`. */
  subnetwork: z.string().min(1).optional(),
});

/** The operator's Google Cloud settings, as the node's config file holds them. */
export const gcpConfigSchema = z.strictObject({
  ...adapterSettings,
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a project id"),
  regions: regionTable(z.string().regex(/^[a-z]+-[a-z]+\d+$/, "must be a region name"), gcpRegionSchema),
  /** The VPC network of the machines. */
  network: z.string().min(1).default("global/networks/default"),
  /** Network tags on the machines, which firewall rules match; one rule must let consumers reach port 22. */
  networkTags: z
    .array(z.string().regex(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/))
    .max(64)
    .default([]),
  /** Image per OS image name as listings spell it (`metadata.osImages`). */
  images: z.record(osImageNameSchema, gcpImageSchema),
  /** Extra labels on the machines, e.g. for billing reports. */
  labels: z.record(z.string().regex(/^[a-z][-_a-z0-9]{0,62}$/), z.string().regex(/^[-_a-z0-9]{0,63}$/)).optional(),
});
export type GcpConfig = z.input<typeof gcpConfigSchema>;

export interface GcpProvisionerOptions extends AdapterSecrets {
  /**
   * Options for the Compute Engine and Cloud Monitoring clients. Credentials default to Application
   * Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud's user credentials, workload
   * identity, or the metadata server's service account.
   */
  clientOptions?: ConstructorParameters<typeof InstancesClient>[0];
}

const STATES: Record<string, MachineState> = {
  PROVISIONING: "pending",
  STAGING: "pending",
  RUNNING: "running",
  // Compute Engine repairs a failed host's instances and brings them back.
  REPAIRING: "pending",
  PENDING_STOP: "stopped",
  STOPPING: "stopped",
  STOPPED: "stopped",
  SUSPENDING: "stopped",
  SUSPENDED: "stopped",
  DEPROVISIONING: "stopped",
  // TERMINATED is Compute Engine's word for a stopped instance that can be started again.
  TERMINATED: "stopped",
};

/** gRPC status names by code; the clients map REST errors onto them too. */
const STATUS_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;
type StatusName = (typeof STATUS_NAMES)[number];
const RETRYABLE_STATUSES = new Set<StatusName>([
  "DEADLINE_EXCEEDED",
  "RESOURCE_EXHAUSTED",
  "ABORTED",
  "INTERNAL",
  "UNAVAILABLE",
]);

function statusOf(error: unknown): StatusName | undefined {
  const { code } = error as { code?: unknown };
  return typeof code === "number" ? STATUS_NAMES[code] : undefined;
}

function classify(action: string, error: unknown, requestId?: string): ProvisionerError {
  const status = statusOf(error);
  const { httpStatusCode } = error as { httpStatusCode?: number };
  const retryable = (status !== undefined && RETRYABLE_STATUSES.has(status)) || isRetryableStatus(httpStatusCode);
  return cloudError(
    "gcp",
    action,
    { code: status, status: httpStatusCode, requestId, message: errorMessage(error) },
    retryable,
  );
}

/**
 * The UUID Compute Engine takes as `requestId`, derived from what the request does so that a retry
 * sends the same one and Compute Engine runs the operation once.
 */
function requestIdFor(...parts: string[]): string {
  const bytes = createHash("sha256").update(parts.join("/")).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8: custom
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Statuses of an instance that runs or is about to. */
const RUNNING_STATUSES = new Set(["PROVISIONING", "STAGING", "RUNNING", "REPAIRING"]);

const lastSegment = (url: string | null | undefined) => url?.split("/").pop() ?? "";

export class GcpProvisioner implements Provisioner {
  readonly cloud = "gcp";
  readonly #config: z.infer<typeof gcpConfigSchema>;
  readonly #naming: BookingNaming;
  readonly #instances: InstancesClient;
  readonly #machineTypes: MachineTypesClient;
  readonly #monitoring: MetricServiceClient;

  constructor(config: GcpConfig, options: GcpProvisionerOptions) {
    this.#config = gcpConfigSchema.parse(config);
    this.#naming = new BookingNaming(this.#config.namePrefix, options);
    // REST transport for both clients: plain HTTPS, which proxies and firewalls let through.
    this.#instances = new InstancesClient({ fallback: true, ...options.clientOptions });
    this.#machineTypes = new MachineTypesClient({ fallback: true, ...options.clientOptions });
    this.#monitoring = new MetricServiceClient({ fallback: true, ...options.clientOptions });
  }

  async provision(request: ProvisionRequest): Promise<Machine> {
    const { bookingId } = request;
    const { listing, region, image } = computeTarget(
      "gcp",
      request.metadata,
      this.#config.regions,
      () => this.#config.images,
    );
    const existing = await this.#find(bookingId);
    if (existing) return this.#machine(bookingId, existing);

    const name = this.#naming.machineName(bookingId);
    const prefix = this.#naming.prefix;
    const instanceResource: Instance = {
      name,
      machineType: `zones/${region.zone}/machineTypes/${listing.instanceType}`,
      labels: {
        ...this.#config.labels,
        [`${prefix}-booking-id`]: String(bookingId),
        [`${prefix}-chain-id`]: String(this.#naming.chainId),
        [`${prefix}-resource-id`]: String(request.resourceId),
      },
      disks: [
        {
          boot: true,
          autoDelete: true,
          initializeParams: {
            sourceImage: image.image,
            // Network storage is the boot persistent disk, sized as listed; local SSDs come with the type.
            diskSizeGb: listing.storage.type === "network" ? listing.storage.sizeGib : undefined,
          },
        },
      ],
      networkInterfaces: [
        {
          network: this.#config.network,
          subnetwork: region.subnetwork,
          accessConfigs: [{ name: "External NAT", type: "ONE_TO_ONE_NAT" }],
        },
      ],
      metadata: {
        items: [
          { key: "ssh-keys", value: `${image.user}:${this.#naming.sshKeyPair(bookingId).publicKey}` },
          // Metadata SSH keys only count where OS Login is off.
          { key: "enable-oslogin", value: "FALSE" },
        ],
      },
      tags: { items: this.#config.networkTags },
    };
    const requestId = requestIdFor(this.#config.project, name, "insert");
    try {
      await this.#instances.insert(
        { project: this.#config.project, zone: region.zone, instanceResource, requestId },
        { timeout: this.#config.requestTimeoutMs },
      );
    } catch (error) {
      // Made by another node, or by an earlier insert the lookup did not see yet.
      const raced = statusOf(error) === "ALREADY_EXISTS" ? await this.#find(bookingId) : undefined;
      if (raced) return this.#machine(bookingId, raced);
      throw classify("instances.insert", error, requestId);
    }
    return { bookingId, cloud: "gcp", instanceId: name, state: "pending" };
  }

  async describe(bookingId: bigint): Promise<Machine | undefined> {
    const instance = await this.#find(bookingId);
    return instance && this.#machine(bookingId, instance);
  }

  async deprovision(bookingId: bigint): Promise<void> {
    const instance = await this.#find(bookingId);
    if (!instance?.name) return;
    const requestId = requestIdFor(this.#config.project, instance.name, "delete");
    try {
      await this.#instances.delete(
        { project: this.#config.project, zone: lastSegment(instance.zone), instance: instance.name, requestId },
        { timeout: this.#config.requestTimeoutMs },
      );
    } catch (error) {
      if (statusOf(error) !== "NOT_FOUND") throw classify("instances.delete", error, requestId);
    }
  }

  /** Stops the instance: its boot disk stays (billed as storage), compute is no longer billed. */
  async pause(bookingId: bigint): Promise<void> {
    const instance = await this.#find(bookingId);
    if (!instance?.name || !RUNNING_STATUSES.has(instance.status ?? "")) return;
    await this.#powerAction("stop", instance);
  }

  /** Starts the stopped instance on the disk it kept; one still stopping is retried later. */
  async resume(bookingId: bigint): Promise<void> {
    const instance = await this.#find(bookingId);
    if (!instance?.name) throw new ProvisionerError(`gcp: booking ${bookingId} has no instance to start`, false);
    const status = instance.status ?? "";
    if (status === "STOPPING" || status === "PENDING_STOP") {
      throw new ProvisionerError(`gcp: instance ${instance.name} is still stopping`, true);
    }
    if (status === "TERMINATED") await this.#powerAction("start", instance);
  }

  /**
   * A fresh request id each time: Compute Engine ignores a repeated id for an hour, and a booking
   * may be stopped, started and stopped again within one. A repeated call finds the new status instead.
   */
  async #powerAction(action: "stop" | "start", instance: Instance): Promise<void> {
    const requestId = requestIdFor(this.#config.project, instance.name!, action, randomUUID());
    const request = {
      project: this.#config.project,
      zone: lastSegment(instance.zone),
      instance: instance.name!,
      requestId,
    };
    try {
      await this.#instances[action](request, { timeout: this.#config.requestTimeoutMs });
    } catch (error) {
      throw classify(`instances.${action}`, error, requestId);
    }
  }

  /**
   * One sample per minute from compute.googleapis.com/instance/uptime, the seconds the instance ran
   * in each sampling period: available when it ran the whole period (a second of jitter allowed).
   */
  async metrics(bookingId: bigint, fromMs: number, toMs: number): Promise<CloudSample[]> {
    const name = this.#naming.machineName(bookingId);
    const samples: CloudSample[] = [];
    await callCloud(
      "timeSeries.list",
      async () => {
        const series = this.#monitoring.listTimeSeriesAsync(
          {
            name: `projects/${this.#config.project}`,
            filter: `metric.type = "compute.googleapis.com/instance/uptime" AND metric.labels.instance_name = "${name}"`,
            interval: { startTime: timestamp(fromMs), endTime: timestamp(toMs) },
            view: "FULL",
          },
          { timeout: this.#config.requestTimeoutMs, autoPaginate: false },
        );
        for await (const { points } of series) {
          for (const point of points ?? []) {
            const endMs = millis(point.interval?.endTime);
            if (endMs === undefined) continue;
            const periodSeconds = (endMs - (millis(point.interval?.startTime) ?? endMs - 60_000)) / 1000 || 60;
            samples.push({
              timestampMs: endMs,
              available: Number(point.value?.doubleValue ?? 0) >= periodSeconds - 1,
              source: "cloud-monitoring:instance/uptime",
            });
          }
        }
      },
      classify,
    );
    return samples.sort((a, b) => a.timestampMs - b.timestampMs);
  }

  /**
   * The listed machine type exists in the zone the operator uses in the listed region
   * (`machineTypes.get`), the region is served and one of the listing's images configured.
   */
  async verify(metadata: ResourceMetadata): Promise<{ accountId: string }> {
    const { listing, region } = computeTarget("gcp", metadata, this.#config.regions, () => this.#config.images);
    try {
      await this.#machineTypes.get(
        { project: this.#config.project, zone: region.zone, machineType: listing.instanceType },
        { timeout: this.#config.requestTimeoutMs },
      );
    } catch (error) {
      if (statusOf(error) === "NOT_FOUND") {
        throw new ProvisionerError(`gcp: machine type ${listing.instanceType} does not exist in ${region.zone}`, false);
      }
      throw classify("machineTypes.get", error);
    }
    return { accountId: `gcp:${this.#config.project}` };
  }

  /** The instance labelled with the booking, in any zone of the project, or undefined. */
  async #find(bookingId: bigint): Promise<Instance | undefined> {
    const prefix = this.#naming.prefix;
    const labels = {
      [`${prefix}-booking-id`]: String(bookingId),
      [`${prefix}-chain-id`]: String(this.#naming.chainId),
    };
    return callCloud(
      "instances.aggregatedList",
      async () => {
        const scopes = this.#instances.aggregatedListAsync(
          {
            project: this.#config.project,
            filter: Object.entries(labels)
              .map(([key, value]) => `(labels.${key} = "${value}")`)
              .join(" AND "),
          },
          { timeout: this.#config.requestTimeoutMs, autoPaginate: false },
        );
        for await (const [, scope] of scopes) {
          // Checked here too: the machine handed out or deleted must carry both labels.
          const match = scope.instances?.find((instance) =>
            Object.entries(labels).every(([key, value]) => instance.labels?.[key] === value),
          );
          if (match) return match;
        }
        return undefined;
      },
      classify,
    );
  }

  #machine(bookingId: bigint, instance: Instance): Machine {
    const state = STATES[instance.status ?? ""] ?? "pending";
    const host = instance.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP;
    const sshKeys = instance.metadata?.items?.find((item) => item.key === "ssh-keys")?.value;
    const user = sshKeys?.slice(0, sshKeys.indexOf(":"));
    return {
      bookingId,
      cloud: "gcp",
      instanceId: instance.name ?? this.#naming.machineName(bookingId),
      state,
      ...(host && user ? this.#naming.sshAccess(bookingId, host, user) : {}),
    };
  }
}

function timestamp(ms: number): Timestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function millis(time: Timestamp | null | undefined): number | undefined {
  if (!time || time.seconds === undefined || time.seconds === null) return undefined;
  return Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1_000_000);
}
