/**
 * AWS: one EC2 instance per booking, launched with RunInstances and found again by its tags.
 */
import { CloudWatchClient, paginateGetMetricData, type CloudWatchClientConfig } from "@aws-sdk/client-cloudwatch";
import {
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateDescribeInstances,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
  type EC2ClientConfig,
  type Instance,
  type RunInstancesCommandInput,
} from "@aws-sdk/client-ec2";
import type { ComputeMetadata, ResourceMetadata } from "@d-cloudx/sdk";
import { z } from "zod";

import { classifyAwsError } from "./aws-errors.ts";
import {
  adapterSettings,
  BookingNaming,
  cached,
  callCloud,
  computeTarget,
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

const awsImageSchema = z.strictObject({
  /** The AMI in this region (AMI ids differ from region to region). */
  imageId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, "must be an AMI id (ami-…)"),
  /** The user the AMI's cloud-init gives the SSH key to (ubuntu, ec2-user, admin…). */
  user: sshUserSchema,
});

const awsRegionSchema = z.strictObject({
  subnetId: z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "must be a subnet id (subnet-…)"),
  /** Security groups of the instances; one of them must let consumers reach port 22. */
  securityGroupIds: z
    .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, "must be a security group id (sg-…)"))
    .min(1)
    .max(5),
  /** AMI per OS image name as listings spell it (`metadata.osImages`). */
  images: z.record(osImageNameSchema, awsImageSchema),
});

/** The operator's AWS settings, as the node's config file holds them. */
export const awsConfigSchema = z.strictObject({
  ...adapterSettings,
  regions: regionTable(z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, "must be an AWS region name"), awsRegionSchema),
  /** Instance profile (name or ARN) given to every instance, if any. */
  instanceProfile: z.string().min(1).max(2048).optional(),
  /** Extra tags on instances and volumes, e.g. for cost allocation. */
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
});
export type AwsConfig = z.input<typeof awsConfigSchema>;

export interface AwsProvisionerOptions extends AdapterSecrets {
  /**
   * Settings for every EC2 and CloudWatch client (the region comes from the listing). Credentials
   * default to the SDK's chain: environment, shared config and SSO, web identity, ECS and EC2 roles.
   */
  clientConfig?: Omit<EC2ClientConfig & CloudWatchClientConfig, "region">;
}

/** cloud-init user data that gives the image's default user the booking's SSH key. */
function userData(publicKey: string): string {
  return Buffer.from(`#cloud-config\nssh_authorized_keys:\n  - ${publicKey}\n`).toString("base64");
}

const STATES: Record<string, MachineState> = {
  pending: "pending",
  running: "running",
  stopping: "stopped",
  stopped: "stopped",
  "shutting-down": "terminated",
  terminated: "terminated",
};

/** An instance and the region it runs in. */
interface Found {
  region: string;
  instance: Instance;
}

const isLive = ({ instance }: Found) => !["shutting-down", "terminated"].includes(instance.State?.Name ?? "");

/** Capacity shortages pass; they are as temporary as throttling. */
const RETRYABLE_CODES = new Set(["InsufficientInstanceCapacity", "InsufficientHostCapacity", "Unavailable"]);

const classify = (action: string, error: unknown) => classifyAwsError(action, error, RETRYABLE_CODES);

export class AwsProvisioner implements Provisioner {
  readonly cloud = "aws";
  readonly #config: z.infer<typeof awsConfigSchema>;
  readonly #naming: BookingNaming;
  readonly #clientConfig: AwsProvisionerOptions["clientConfig"];
  readonly #ec2 = new Map<string, EC2Client>();
  readonly #cloudWatch = new Map<string, CloudWatchClient>();

  constructor(config: AwsConfig, options: AwsProvisionerOptions) {
    this.#config = awsConfigSchema.parse(config);
    this.#naming = new BookingNaming(this.#config.namePrefix, options);
    this.#clientConfig = options.clientConfig;
  }

  async provision(request: ProvisionRequest): Promise<Machine> {
    const { bookingId } = request;
    const { listing, region, image } = computeTarget(
      "aws",
      request.metadata,
      this.#config.regions,
      (region) => region.images,
    );

    const existing = (await this.#instances(bookingId, [listing.region])).find(isLive);
    if (existing) return this.#machine(bookingId, existing.instance);

    const name = this.#naming.machineName(bookingId);
    const prefix = this.#naming.prefix;
    const tags = [
      ...Object.entries(this.#config.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      { Key: "Name", Value: name },
      { Key: `${prefix}:booking-id`, Value: String(bookingId) },
      { Key: `${prefix}:chain-id`, Value: String(this.#naming.chainId) },
      { Key: `${prefix}:resource-id`, Value: String(request.resourceId) },
      { Key: `${prefix}:consumer`, Value: request.consumer },
      { Key: `${prefix}:ssh-user`, Value: image.user },
    ];
    const input: RunInstancesCommandInput = {
      // Same token, same launch: a retry after a lost response returns the instance already launched.
      ClientToken: name,
      ImageId: image.imageId,
      InstanceType: listing.instanceType as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      UserData: userData(this.#naming.sshKeyPair(bookingId).publicKey),
      NetworkInterfaces: [
        {
          DeviceIndex: 0,
          SubnetId: region.subnetId,
          Groups: region.securityGroupIds,
          AssociatePublicIpAddress: true,
          DeleteOnTermination: true,
        },
      ],
      MetadataOptions: { HttpTokens: "required", HttpEndpoint: "enabled" },
      TagSpecifications: [
        { ResourceType: "instance", Tags: tags },
        { ResourceType: "volume", Tags: tags },
      ],
      IamInstanceProfile: this.#instanceProfile(),
      BlockDeviceMappings: await this.#rootVolume(listing.region, image.imageId, listing.storage),
    };
    const ec2 = this.#ec2Client(listing.region);
    const launched = await callCloud("RunInstances", () => ec2.send(new RunInstancesCommand(input)), classify);
    const instance = launched.Instances?.[0];
    if (!instance?.InstanceId) throw new ProvisionerError("aws RunInstances returned no instance", true);
    return this.#machine(bookingId, instance);
  }

  async describe(bookingId: bigint): Promise<Machine | undefined> {
    const found = newestFirst(await this.#instances(bookingId))[0];
    return found && this.#machine(bookingId, found.instance);
  }

  async deprovision(bookingId: bigint): Promise<void> {
    await this.#perRegion((await this.#instances(bookingId)).filter(isLive), (ec2, InstanceIds) =>
      callCloud("TerminateInstances", () => ec2.send(new TerminateInstancesCommand({ InstanceIds })), classify),
    );
  }

  /** StopInstances: the EBS volumes stay (and are billed as storage); the instance stops costing compute. */
  async pause(bookingId: bigint): Promise<void> {
    const toStop = (await this.#instances(bookingId)).filter(
      ({ instance }) => instance.State?.Name === "pending" || instance.State?.Name === "running",
    );
    await this.#perRegion(toStop, (ec2, InstanceIds) =>
      callCloud("StopInstances", () => ec2.send(new StopInstancesCommand({ InstanceIds })), classify),
    );
  }

  /** StartInstances on the stopped instance; one still stopping is retried later. */
  async resume(bookingId: bigint): Promise<void> {
    const found = newestFirst(await this.#instances(bookingId)).find(isLive);
    if (!found) throw new ProvisionerError(`aws: booking ${bookingId} has no instance to start`, false);
    const state = found.instance.State?.Name;
    if (state === "stopping")
      throw new ProvisionerError(`aws: instance ${found.instance.InstanceId} is still stopping`, true);
    if (state !== "stopped") return;
    const ec2 = this.#ec2Client(found.region);
    const InstanceIds = [found.instance.InstanceId ?? ""];
    await callCloud("StartInstances", () => ec2.send(new StartInstancesCommand({ InstanceIds })), classify);
  }

  /** One sample per minute from the StatusCheckFailed metric: available when no check failed. */
  async metrics(bookingId: bigint, fromMs: number, toMs: number): Promise<CloudSample[]> {
    const found = newestFirst(await this.#instances(bookingId))[0];
    if (!found?.instance.InstanceId) return [];
    const client = this.#cloudWatchClient(found.region);
    const pages = paginateGetMetricData(
      { client },
      {
        StartTime: new Date(fromMs),
        EndTime: new Date(toMs),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          {
            Id: "statusCheckFailed",
            MetricStat: {
              Metric: {
                Namespace: "AWS/EC2",
                MetricName: "StatusCheckFailed",
                Dimensions: [{ Name: "InstanceId", Value: found.instance.InstanceId }],
              },
              Period: 60,
              Stat: "Maximum",
            },
          },
        ],
      },
    );
    const samples: CloudSample[] = [];
    await callCloud(
      "GetMetricData",
      async () => {
        for await (const page of pages) {
          for (const result of page.MetricDataResults ?? []) {
            const values = result.Values ?? [];
            (result.Timestamps ?? []).forEach((timestamp, i) =>
              samples.push({
                timestampMs: timestamp.getTime(),
                available: values[i] === 0,
                source: "cloudwatch:StatusCheckFailed",
              }),
            );
          }
        }
      },
      classify,
    );
    return samples.sort((a, b) => a.timestampMs - b.timestampMs);
  }

  /**
   * The listed instance type is offered in the listed region (EC2 DescribeInstanceTypeOfferings),
   * the region is served, one of the listing's images is configured there, and the credentials
   * reach the region's security group, whose owner is the account.
   */
  async verify(metadata: ResourceMetadata): Promise<{ accountId: string }> {
    const { listing, region } = computeTarget("aws", metadata, this.#config.regions, (region) => region.images);
    const ec2 = this.#ec2Client(listing.region);
    const { InstanceTypeOfferings } = await callCloud(
      "DescribeInstanceTypeOfferings",
      () =>
        ec2.send(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: "region",
            Filters: [{ Name: "instance-type", Values: [listing.instanceType] }],
          }),
        ),
      classify,
    );
    if (!InstanceTypeOfferings?.some((offer) => offer.InstanceType === listing.instanceType)) {
      throw new ProvisionerError(
        `aws: instance type ${listing.instanceType} is not offered in ${listing.region}`,
        false,
      );
    }
    const { SecurityGroups } = await callCloud(
      "DescribeSecurityGroups",
      () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: region.securityGroupIds.slice(0, 1) })),
      classify,
    );
    const owner = SecurityGroups?.[0]?.OwnerId;
    if (!owner) throw new ProvisionerError(`aws: security group ${region.securityGroupIds[0]} not found`, false);
    return { accountId: `aws:${owner}` };
  }

  /** Calls `act` once per region with the ids of `found` in it. */
  async #perRegion(found: Found[], act: (ec2: EC2Client, instanceIds: string[]) => Promise<unknown>): Promise<void> {
    for (const region of new Set(found.map((f) => f.region))) {
      const ids = found.filter((f) => f.region === region).map(({ instance }) => instance.InstanceId ?? "");
      await act(this.#ec2Client(region), ids);
    }
  }

  /** Every instance tagged with the booking in the given regions (by default all configured ones). */
  async #instances(bookingId: bigint, regions = Object.keys(this.#config.regions)): Promise<Found[]> {
    const prefix = this.#naming.prefix;
    const Filters = [
      { Name: `tag:${prefix}:booking-id`, Values: [String(bookingId)] },
      { Name: `tag:${prefix}:chain-id`, Values: [String(this.#naming.chainId)] },
    ];
    const perRegion = await Promise.all(
      regions.map((region) =>
        callCloud(
          "DescribeInstances",
          async () => {
            const found: Found[] = [];
            for await (const page of paginateDescribeInstances({ client: this.#ec2Client(region) }, { Filters })) {
              for (const reservation of page.Reservations ?? []) {
                for (const instance of reservation.Instances ?? []) found.push({ region, instance });
              }
            }
            return found;
          },
          classify,
        ),
      ),
    );
    return perRegion.flat();
  }

  #machine(bookingId: bigint, instance: Instance): Machine {
    const state = STATES[instance.State?.Name ?? "pending"] ?? "pending";
    const host = instance.PublicIpAddress || instance.PublicDnsName;
    const user = instance.Tags?.find((tag) => tag.Key === `${this.#naming.prefix}:ssh-user`)?.Value;
    return {
      bookingId,
      cloud: "aws",
      instanceId: instance.InstanceId ?? "",
      state,
      ...(host && user && state !== "terminated" ? this.#naming.sshAccess(bookingId, host, user) : {}),
    };
  }

  #instanceProfile(): RunInstancesCommandInput["IamInstanceProfile"] {
    const profile = this.#config.instanceProfile;
    if (profile === undefined) return undefined;
    return profile.startsWith("arn:") ? { Arn: profile } : { Name: profile };
  }

  /**
   * A listing's network storage is the root EBS volume, sized as listed; local (instance store)
   * storage comes with the instance type and needs no mapping.
   */
  async #rootVolume(
    region: string,
    imageId: string,
    storage: ComputeMetadata["storage"],
  ): Promise<RunInstancesCommandInput["BlockDeviceMappings"]> {
    if (storage.type !== "network") return undefined;
    const ec2 = this.#ec2Client(region);
    const { Images } = await callCloud(
      "DescribeImages",
      () => ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })),
      classify,
    );
    const DeviceName = Images?.[0]?.RootDeviceName;
    if (!DeviceName) throw new ProvisionerError(`aws: image ${imageId} not found in ${region}`, false);
    return [{ DeviceName, Ebs: { VolumeSize: storage.sizeGib, VolumeType: "gp3", DeleteOnTermination: true } }];
  }

  #ec2Client(region: string): EC2Client {
    return cached(this.#ec2, region, () => new EC2Client(this.#sdkConfig(region)));
  }

  #cloudWatchClient(region: string): CloudWatchClient {
    return cached(this.#cloudWatch, region, () => new CloudWatchClient(this.#sdkConfig(region)));
  }

  #sdkConfig(region: string) {
    return {
      requestHandler: { connectionTimeout: 5000, requestTimeout: this.#config.requestTimeoutMs },
      ...this.#clientConfig,
      region,
    };
  }
}

function newestFirst(found: Found[]): Found[] {
  const launched = ({ instance }: Found) => instance.LaunchTime?.getTime() ?? 0;
  // A live instance is the booking's machine even if a terminated one launched later.
  return found.toSorted((a, b) => Number(isLive(b)) - Number(isLive(a)) || launched(b) - launched(a));
}
