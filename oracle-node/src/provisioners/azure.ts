/**
 * Azure: one virtual machine per booking, named after the booking in the operator's resource group.
 * Its network interface, public IP and OS disk are created with it and deleted with it.
 */
import { createHash } from "node:crypto";

import type { ResourceMetadata } from "@d-cloudx/sdk";
import {
  ComputeManagementClient,
  type ComputeManagementClientOptionalParams,
  type VirtualMachine,
} from "@azure/arm-compute";
import { MonitorClient } from "@azure/arm-monitor";
import { isRestError } from "@azure/core-rest-pipeline";
import { DefaultAzureCredential } from "@azure/identity";
import { z } from "zod";

import { monitorSamples } from "./azure-monitor.ts";
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

const armId = (kind: string) =>
  z
    .string()
    .max(1024)
    .regex(
      new RegExp(`^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/${kind}/`, "i"),
      `must be the ARM id of a ${kind}`,
    );

const azureImageSchema = z.strictObject({
  /** A marketplace image, or `{ id }` of a managed or gallery image. */
  imageReference: z.union([
    z.strictObject({
      publisher: z.string().min(1),
      offer: z.string().min(1),
      sku: z.string().min(1),
      version: z.string().min(1).default("latest"),
    }),
    z.strictObject({ id: z.string().startsWith("/subscriptions/") }),
  ]),
  /** The admin user created on the machine, who gets the booking's SSH key. */
  user: sshUserSchema,
});

const azureLocationSchema = z.strictObject({
  subnetId: armId("Microsoft.Network/virtualNetworks"),
  /** Network security group of the machines' interfaces; it must let consumers reach port 22. */
  networkSecurityGroupId: armId("Microsoft.Network/networkSecurityGroups").optional(),
});

/** The operator's Azure settings, as the node's config file holds them. */
export const azureConfigSchema = z.strictObject({
  ...adapterSettings,
  subscriptionId: z.guid(),
  /** The resource group that holds every machine the node makes (it must exist). */
  resourceGroup: z.string().regex(/^[-\w.()]{1,90}$/, "must be a resource group name"),
  locations: regionTable(z.string().regex(/^[a-z0-9]+$/, "must be an Azure location name"), azureLocationSchema),
  /** Image per OS image name as listings spell it (`metadata.osImages`). */
  images: z.record(osImageNameSchema, azureImageSchema),
  /** Extra tags on the machines, e.g. for cost allocation. */
  tags: z.record(z.string().min(1).max(512), z.string().max(256)).optional(),
});
export type AzureConfig = z.input<typeof azureConfigSchema>;

export interface AzureProvisionerOptions extends AdapterSecrets {
  /**
   * Defaults to DefaultAzureCredential: environment (service principal), workload identity,
   * managed identity, Azure CLI, Azure Developer CLI, Azure PowerShell.
   */
  credential?: ConstructorParameters<typeof ComputeManagementClient>[0];
  /** Options for the compute and monitor clients (retry policy, endpoint, proxy…). */
  clientOptions?: ComputeManagementClientOptionalParams;
}

const POWER_STATES: Record<string, MachineState> = {
  starting: "pending",
  running: "running",
  stopping: "stopped",
  stopped: "stopped",
  deallocating: "stopped",
  deallocated: "stopped",
};

/** The VM's power state (`running`, `deallocated`…) from its instance view, if it has one yet. */
function powerState(vm: VirtualMachine): string | undefined {
  const code = vm.instanceView?.statuses?.find((status) => status.code?.startsWith("PowerState/"))?.code;
  return code?.slice("PowerState/".length);
}

function machineState(vm: VirtualMachine): MachineState {
  if (vm.provisioningState === "Deleting") return "terminated";
  const power = powerState(vm);
  if (power) return POWER_STATES[power] ?? "pending";
  // A machine whose creation failed exists but will not come up by itself.
  return vm.provisioningState === "Failed" ? "stopped" : "pending";
}

function classify(action: string, error: unknown): ProvisionerError {
  if (isRestError(error)) {
    const requestId = error.response?.headers.get("x-ms-request-id") ?? error.request?.requestId;
    const retryable = isRetryableStatus(error.statusCode) || error.code === "REQUEST_SEND_ERROR";
    return cloudError(
      "azure",
      action,
      { code: error.code, status: error.statusCode, requestId, message: error.message },
      retryable,
    );
  }
  // An elapsed request timeout aborts the request; credential errors (no identity configured,
  // rejected secret) are left for the operator to fix.
  const retryable = error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
  const code = error instanceof Error ? error.name : undefined;
  return cloudError("azure", action, { code, message: errorMessage(error) }, retryable);
}

/** The call's result, or undefined where Azure answers 404. */
async function unlessNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isRestError(error) && error.statusCode === 404) return undefined;
    throw error;
  }
}

export class AzureProvisioner implements Provisioner {
  readonly cloud = "azure";
  readonly #config: z.infer<typeof azureConfigSchema>;
  readonly #naming: BookingNaming;
  readonly #compute: ComputeManagementClient;
  readonly #monitor: MonitorClient;

  constructor(config: AzureConfig, options: AzureProvisionerOptions) {
    this.#config = azureConfigSchema.parse(config);
    this.#naming = new BookingNaming(this.#config.namePrefix, options);
    const credential = options.credential ?? new DefaultAzureCredential();
    this.#compute = new ComputeManagementClient(credential, this.#config.subscriptionId, options.clientOptions);
    this.#monitor = new MonitorClient(credential, this.#config.subscriptionId, options.clientOptions);
  }

  async provision(request: ProvisionRequest): Promise<Machine> {
    const { bookingId } = request;
    const {
      listing,
      region: location,
      image,
    } = computeTarget("azure", request.metadata, this.#config.locations, () => this.#config.images);
    const existing = await this.#find(bookingId);
    if (existing) return this.#machine(bookingId, existing);

    const name = this.#naming.machineName(bookingId);
    const prefix = this.#naming.prefix;
    const vm: VirtualMachine = {
      location: listing.region,
      tags: {
        ...this.#config.tags,
        [`${prefix}:booking-id`]: String(bookingId),
        [`${prefix}:chain-id`]: String(this.#naming.chainId),
        [`${prefix}:resource-id`]: String(request.resourceId),
        [`${prefix}:consumer`]: request.consumer,
      },
      hardwareProfile: { vmSize: listing.instanceType },
      storageProfile: {
        imageReference: image.imageReference,
        osDisk: {
          createOption: "FromImage",
          deleteOption: "Delete",
          // Network storage is the managed OS disk, sized as listed; local storage comes with the size.
          diskSizeGB: listing.storage.type === "network" ? listing.storage.sizeGib : undefined,
        },
      },
      osProfile: {
        computerName: name,
        adminUsername: image.user,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: {
            publicKeys: [
              {
                path: `/home/${image.user}/.ssh/authorized_keys`,
                keyData: this.#naming.sshKeyPair(bookingId).publicKey,
              },
            ],
          },
        },
      },
      networkProfile: {
        // With this API version the VM creates (and deletes) its own interface and public IP.
        networkApiVersion: "2020-11-01",
        networkInterfaceConfigurations: [
          {
            name,
            primary: true,
            deleteOption: "Delete",
            networkSecurityGroup: location.networkSecurityGroupId ? { id: location.networkSecurityGroupId } : undefined,
            ipConfigurations: [
              {
                name,
                subnet: { id: location.subnetId },
                publicIPAddressConfiguration: {
                  name,
                  sku: { name: "Standard", tier: "Regional" },
                  publicIPAllocationMethod: "Static",
                  deleteOption: "Delete",
                  dnsSettings: { domainNameLabel: this.#dnsLabel(name) },
                },
              },
            ],
          },
        ],
      },
    };
    try {
      // If-None-Match: * makes the PUT create only: it never rewrites a machine that appeared since
      // the lookup (a second node, or a retry whose first response was lost).
      const poller = this.#compute.virtualMachines.createOrUpdate(this.#config.resourceGroup, name, vm, {
        ifNoneMatch: "*",
        requestOptions: { timeout: this.#config.requestTimeoutMs },
      });
      await poller.submitted();
    } catch (error) {
      if (!(isRestError(error) && error.statusCode === 412)) throw classify("virtualMachines.createOrUpdate", error);
      const raced = await this.#find(bookingId);
      if (raced) return this.#machine(bookingId, raced);
      throw classify("virtualMachines.createOrUpdate", error);
    }
    return { bookingId, cloud: "azure", instanceId: name, state: "pending" };
  }

  async describe(bookingId: bigint): Promise<Machine | undefined> {
    const vm = await this.#find(bookingId);
    return vm && this.#machine(bookingId, vm);
  }

  async deprovision(bookingId: bigint): Promise<void> {
    const vm = await this.#find(bookingId);
    if (!vm || vm.provisioningState === "Deleting") return;
    const name = this.#naming.machineName(bookingId);
    await callCloud(
      "virtualMachines.delete",
      () =>
        unlessNotFound(() =>
          this.#compute.virtualMachines
            .delete(this.#config.resourceGroup, name, { requestOptions: { timeout: this.#config.requestTimeoutMs } })
            .submitted(),
        ),
      classify,
    );
  }

  /**
   * Deallocates the VM: its managed disks, interface and static public IP (with its DNS name) stay,
   * compute is no longer billed. A VM merely stopped (still allocated, still billed) is deallocated too.
   */
  async pause(bookingId: bigint): Promise<void> {
    const vm = await this.#find(bookingId);
    if (!vm || vm.provisioningState === "Deleting") return;
    const power = powerState(vm);
    if (power === "deallocated" || power === "deallocating") return;
    await this.#powerAction("deallocate", bookingId);
  }

  /** Starts the deallocated VM on the disks it kept; one still deallocating is retried later. */
  async resume(bookingId: bigint): Promise<void> {
    const vm = await this.#find(bookingId);
    if (!vm || vm.provisioningState === "Deleting") {
      throw new ProvisionerError(`azure: booking ${bookingId} has no virtual machine to start`, false);
    }
    const power = powerState(vm);
    if (power === "deallocating" || power === "stopping") {
      throw new ProvisionerError(`azure: virtual machine ${vm.name} is still ${power}`, true);
    }
    if (power === "deallocated" || power === "stopped") await this.#powerAction("start", bookingId);
  }

  async #powerAction(action: "deallocate" | "start", bookingId: bigint): Promise<void> {
    const name = this.#naming.machineName(bookingId);
    const options = { requestOptions: { timeout: this.#config.requestTimeoutMs } };
    await callCloud(
      `virtualMachines.${action}`,
      () => this.#compute.virtualMachines[action](this.#config.resourceGroup, name, options).submitted(),
      classify,
    );
  }

  /** One sample per minute from VmAvailabilityMetric: available when the minute's minimum is 1. */
  async metrics(bookingId: bigint, fromMs: number, toMs: number): Promise<CloudSample[]> {
    return monitorSamples(
      { metric: "VmAvailabilityMetric", aggregation: "Minimum", fromMs, toMs, available: (minimum) => minimum >= 1 },
      (options) =>
        callCloud(
          "metrics.list",
          () =>
            unlessNotFound(() =>
              this.#monitor.metrics.list(this.#resourceId(bookingId), {
                ...options,
                requestOptions: { timeout: this.#config.requestTimeoutMs },
              }),
            ),
          classify,
        ),
    );
  }

  /**
   * The listed VM size is a resource SKU of the listed location that this subscription may use
   * (no Location restriction), the location is served and one of the listing's images configured.
   */
  async verify(metadata: ResourceMetadata): Promise<{ accountId: string }> {
    const { listing } = computeTarget("azure", metadata, this.#config.locations, () => this.#config.images);
    const verdict = await callCloud(
      "resourceSkus.list",
      async () => {
        for await (const sku of this.#compute.resourceSkus.list({ filter: `location eq '${listing.region}'` })) {
          if (
            sku.resourceType !== "virtualMachines" ||
            sku.name?.toLowerCase() !== listing.instanceType.toLowerCase()
          ) {
            continue;
          }
          const here = (sku.locations ?? []).some((location) => location.toLowerCase() === listing.region);
          if (!here) continue;
          const restricted = (sku.restrictions ?? []).find(
            (r) => r.type === "Location" && (r.values ?? []).some((v) => v.toLowerCase() === listing.region),
          );
          return restricted ? `restricted in ${listing.region} (${restricted.reasonCode})` : "offered";
        }
        return `not offered in ${listing.region}`;
      },
      classify,
    );
    if (verdict !== "offered")
      throw new ProvisionerError(`azure: VM size ${listing.instanceType} is ${verdict}`, false);
    return { accountId: `azure:${this.#config.subscriptionId}` };
  }

  /** The booking's machine, checked to carry the booking's tags, or undefined if there is none. */
  async #find(bookingId: bigint): Promise<VirtualMachine | undefined> {
    const name = this.#naming.machineName(bookingId);
    const vm = await callCloud(
      "virtualMachines.get",
      () =>
        unlessNotFound(() =>
          this.#compute.virtualMachines.get(this.#config.resourceGroup, name, {
            expand: "instanceView",
            requestOptions: { timeout: this.#config.requestTimeoutMs },
          }),
        ),
      classify,
    );
    const prefix = this.#naming.prefix;
    if (
      vm &&
      (vm.tags?.[`${prefix}:booking-id`] !== String(bookingId) ||
        vm.tags[`${prefix}:chain-id`] !== String(this.#naming.chainId))
    ) {
      // Same name, not our tags: someone else's machine. Never hand it out or delete it.
      throw new ProvisionerError(
        `azure: virtual machine ${name} in ${this.#config.resourceGroup} is not tagged as booking ${bookingId}'s machine`,
        false,
      );
    }
    return vm;
  }

  #machine(bookingId: bigint, vm: VirtualMachine): Machine {
    const name = this.#naming.machineName(bookingId);
    const state = machineState(vm);
    const user = vm.osProfile?.adminUsername;
    // The public IP exists once provisioning succeeded; its DNS name is known from the label.
    const host = `${this.#dnsLabel(name)}.${vm.location}.cloudapp.azure.com`;
    const reachable = vm.provisioningState === "Succeeded" && state !== "terminated" && user;
    return {
      bookingId,
      cloud: "azure",
      instanceId: name,
      state,
      ...(reachable ? this.#naming.sshAccess(bookingId, host, user) : {}),
    };
  }

  /**
   * DNS labels are unique per Azure location across all customers: a short hash of the subscription
   * and resource group keeps two operators' equal machine names from colliding.
   */
  #dnsLabel(name: string): string {
    const scope = `${this.#config.subscriptionId}/${this.#config.resourceGroup}`.toLowerCase();
    return `${name}-${createHash("sha256").update(scope).digest("hex").slice(0, 8)}`;
  }

  #resourceId(bookingId: bigint): string {
    const { subscriptionId, resourceGroup } = this.#config;
    const name = this.#naming.machineName(bookingId);
    // The monitor client puts this after a slash of its own.
    return `subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
  }
}
