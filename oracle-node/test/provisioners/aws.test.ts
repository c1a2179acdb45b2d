import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";

import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type DescribeInstancesCommandInput,
  type Instance,
  type InstanceStateName,
  type RunInstancesCommandInput,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";

import { AwsProvisioner, type AwsConfig } from "../../src/provisioners/aws.ts";
import {
  assertKeyMatches,
  CHAIN_ID,
  CONSUMER,
  FailureQueue,
  KEY_MATERIAL,
  listing,
  provisionerError,
  provisionRequest,
} from "./fixtures.ts";

const config: AwsConfig = {
  regions: {
    "us-east-1": {
      subnetId: "subnet-0123456789abcdef0",
      securityGroupIds: ["sg-0123456789abcdef0"],
      images: {
        "ubuntu-24.04": { imageId: "ami-0aaaaaaaaaaaaaaa1", user: "ubuntu" },
        "amazon-linux-2023": { imageId: "ami-0bbbbbbbbbbbbbbb2", user: "ec2-user" },
      },
    },
    "eu-west-1": {
      subnetId: "subnet-0fedcba9876543210",
      securityGroupIds: ["sg-0fedcba9876543210", "sg-0aaaaaaaaaaaaaaa0"],
      images: { "ubuntu-24.04": { imageId: "ami-0ccccccccccccccc3", user: "ubuntu" } },
    },
  },
  instanceProfile: "dcloudx-machine",
  tags: { "cost-center": "marketplace" },
};
const options = { chainId: CHAIN_ID, sshKeyMaterial: KEY_MATERIAL };
const usEast = listing("aws", "us-east-1", { osImages: ["debian-12", "amazon-linux-2023", "ubuntu-24.04"] });

const ec2 = mockClient(EC2Client);
const cloudWatch = mockClient(CloudWatchClient);

function awsError(name: string, status: number, fault: "client" | "server" = "client") {
  return new EC2ServiceException({
    name,
    $fault: fault,
    message: `${name} happened`,
    $metadata: { httpStatusCode: status, requestId: `req-${name}` },
  });
}

/**
 * Just enough of EC2 for the adapter: instances per region, tag filters, client-token idempotency
 * (the same token returns the instance it launched), termination, and failures on demand.
 */
class FakeEc2 {
  readonly instances: { region: string; token?: string; instance: Instance }[] = [];
  /** The next call of an action fails with the error queued for it. */
  readonly failures = new FailureQueue<Error>();
  #next = 1;

  throwIfFailing(action: string) {
    const failure = this.failures.take(action);
    if (failure) throw failure;
  }

  add(region: string, instance: Instance, token?: string): Instance {
    this.instances.push({ region, token, instance });
    return instance;
  }

  run(region: string, input: RunInstancesCommandInput) {
    const existing = this.instances.find((entry) => entry.region === region && entry.token === input.ClientToken);
    const instance =
      existing?.instance ??
      this.add(
        region,
        {
          InstanceId: `i-0000000000000000${this.#next++}`,
          State: { Name: "pending" },
          LaunchTime: new Date(),
          Tags: input.TagSpecifications?.find((spec) => spec.ResourceType === "instance")?.Tags,
        },
        input.ClientToken,
      );
    return { Instances: [instance] };
  }

  describe(region: string, input: DescribeInstancesCommandInput) {
    const matches = (instance: Instance) =>
      (input.Filters ?? []).every((filter) => {
        const key = filter.Name?.replace(/^tag:/, "");
        return instance.Tags?.some((tag) => tag.Key === key && filter.Values?.includes(tag.Value ?? ""));
      });
    const found = this.instances.filter((entry) => entry.region === region && matches(entry.instance));
    return { Reservations: found.map((entry) => ({ Instances: [entry.instance] })) };
  }

  setState(instanceId: string, state: InstanceStateName, publicIp?: string) {
    const entry = this.instances.find((e) => e.instance.InstanceId === instanceId);
    assert.ok(entry, `no instance ${instanceId}`);
    entry.instance.State = { Name: state };
    if (publicIp) entry.instance.PublicIpAddress = publicIp;
  }
}

let fake: FakeEc2;

beforeEach(() => {
  fake = new FakeEc2();
  ec2.reset();
  cloudWatch.reset();
  ec2.on(DescribeInstancesCommand).callsFake(async (input, getClient) => {
    fake.throwIfFailing("DescribeInstances");
    return fake.describe(await region(getClient), input);
  });
  ec2.on(RunInstancesCommand).callsFake(async (input, getClient) => {
    fake.throwIfFailing("RunInstances");
    return fake.run(await region(getClient), input);
  });
  ec2.on(TerminateInstancesCommand).callsFake(async ({ InstanceIds }: { InstanceIds: string[] }) => {
    for (const id of InstanceIds) fake.setState(id, "shutting-down");
    return {};
  });
  ec2.on(StopInstancesCommand).callsFake(async ({ InstanceIds }: { InstanceIds: string[] }) => {
    for (const id of InstanceIds) fake.setState(id, "stopping");
    return {};
  });
  ec2.on(StartInstancesCommand).callsFake(async ({ InstanceIds }: { InstanceIds: string[] }) => {
    for (const id of InstanceIds) fake.setState(id, "pending");
    return {};
  });
  ec2
    .on(DescribeImagesCommand)
    .resolves({ Images: [{ ImageId: "ami-0bbbbbbbbbbbbbbb2", RootDeviceName: "/dev/xvda" }] });
});

afterEach(() => {
  ec2.reset();
  cloudWatch.reset();
});

async function region(getClient: () => { config: { region: unknown } }): Promise<string> {
  const configured = getClient().config.region;
  return typeof configured === "function" ? await configured() : String(configured);
}

function runInputs(): RunInstancesCommandInput[] {
  return ec2.commandCalls(RunInstancesCommand).map((call) => call.args[0].input);
}

describe("AWS adapter", () => {
  it("launches one tagged instance with the listing's type, the first configured image and the booking's key", async () => {
    const adapter = new AwsProvisioner(config, options);
    const machine = await adapter.provision(provisionRequest(42n, usEast));

    assert.deepEqual(machine, { bookingId: 42n, cloud: "aws", instanceId: "i-00000000000000001", state: "pending" });
    const [input, ...more] = runInputs();
    assert.ok(input);
    assert.equal(more.length, 0);
    assert.equal(input.ClientToken, "dcloudx-31337-42");
    assert.equal(input.ImageId, "ami-0bbbbbbbbbbbbbbb2", "debian-12 is not configured, amazon-linux-2023 is next");
    assert.equal(input.InstanceType, "m7i.large");
    assert.equal(input.MinCount, 1);
    assert.equal(input.MaxCount, 1);
    assert.deepEqual(input.NetworkInterfaces, [
      {
        DeviceIndex: 0,
        SubnetId: "subnet-0123456789abcdef0",
        Groups: ["sg-0123456789abcdef0"],
        AssociatePublicIpAddress: true,
        DeleteOnTermination: true,
      },
    ]);
    assert.deepEqual(input.IamInstanceProfile, { Name: "dcloudx-machine" });
    assert.deepEqual(input.MetadataOptions, { HttpTokens: "required", HttpEndpoint: "enabled" });
    assert.deepEqual(input.BlockDeviceMappings, [
      { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 40, VolumeType: "gp3", DeleteOnTermination: true } },
    ]);
    assert.deepEqual(ec2.commandCalls(DescribeImagesCommand)[0]?.args[0].input, {
      ImageIds: ["ami-0bbbbbbbbbbbbbbb2"],
    });

    const tags = Object.fromEntries((input.TagSpecifications?.[0]?.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
    assert.deepEqual(tags, {
      "cost-center": "marketplace",
      Name: "dcloudx-31337-42",
      "dcloudx:booking-id": "42",
      "dcloudx:chain-id": "31337",
      "dcloudx:resource-id": "7",
      "dcloudx:consumer": CONSUMER,
      "dcloudx:ssh-user": "ec2-user",
    });
    assert.deepEqual(
      input.TagSpecifications?.map((spec) => spec.ResourceType),
      ["instance", "volume"],
    );

    // The user data is cloud-init that authorizes the key whose private half describe hands out.
    const userData = Buffer.from(input.UserData ?? "", "base64").toString();
    const authorizedKey = /^#cloud-config\nssh_authorized_keys:\n {2}- (ssh-ed25519 \S+ dcloudx-31337-42)\n$/.exec(
      userData,
    )?.[1];
    assert.ok(authorizedKey, `unexpected user data ${userData}`);
    fake.setState("i-00000000000000001", "running", "203.0.113.10");
    const running = await adapter.describe(42n);
    assert.equal(running?.state, "running");
    assert.deepEqual(running?.probe, { kind: "tcp", host: "203.0.113.10", port: 22 });
    assert.deepEqual(
      { ...running?.access, credentials: undefined },
      {
        protocol: "ssh",
        host: "203.0.113.10",
        port: 22,
        user: "ec2-user",
        credentials: undefined,
      },
    );
    assertKeyMatches(running, authorizedKey);
  });

  it("sizes no root volume for local storage, and takes an instance profile by ARN", async () => {
    const arn = "arn:aws:iam::123456789012:instance-profile/dcloudx-machine";
    const adapter = new AwsProvisioner({ ...config, instanceProfile: arn }, options);
    await adapter.provision(
      provisionRequest(1n, listing("aws", "us-east-1", { storage: { sizeGib: 250, type: "nvme" } })),
    );
    const [input] = runInputs();
    assert.equal(input?.BlockDeviceMappings, undefined);
    assert.deepEqual(input?.IamInstanceProfile, { Arn: arn });
    assert.equal(ec2.commandCalls(DescribeImagesCommand).length, 0);
  });

  it("returns the booking's existing instance instead of launching a second one", async () => {
    const adapter = new AwsProvisioner(config, options);
    const first = await adapter.provision(provisionRequest(42n, usEast));
    const second = await adapter.provision(provisionRequest(42n, usEast));
    assert.deepEqual(second, first);
    assert.equal(runInputs().length, 1);
    assert.equal(fake.instances.length, 1);

    // Another booking gets its own instance, and so does the same booking id on another chain.
    await adapter.provision(provisionRequest(43n, usEast));
    await new AwsProvisioner(config, { ...options, chainId: 1 }).provision(provisionRequest(42n, usEast));
    assert.deepEqual(
      runInputs().map((input) => input.ClientToken),
      ["dcloudx-31337-42", "dcloudx-31337-43", "dcloudx-1-42"],
    );
  });

  it("after a restart, finds the machine by its tags in any configured region and terminates it once", async () => {
    await new AwsProvisioner(config, options).provision(provisionRequest(42n, listing("aws", "eu-west-1")));
    fake.setState("i-00000000000000001", "running", "198.51.100.7");
    assert.equal(fake.instances[0]?.region, "eu-west-1");

    const restarted = new AwsProvisioner(config, options);
    const found = await restarted.describe(42n);
    assert.equal(found?.instanceId, "i-00000000000000001");
    assert.equal(found?.state, "running");
    assert.equal(found?.access?.host, "198.51.100.7");

    await restarted.deprovision(42n);
    const terminations = ec2.commandCalls(TerminateInstancesCommand);
    assert.equal(terminations.length, 1);
    assert.deepEqual(terminations[0]?.args[0].input, { InstanceIds: ["i-00000000000000001"] });
    assert.equal(await terminations[0]?.thisValue.config.region(), "eu-west-1");

    const gone = await restarted.describe(42n);
    assert.equal(gone?.state, "terminated");
    assert.equal(gone?.access, undefined, "no access to a terminated machine");

    fake.setState("i-00000000000000001", "terminated");
    await restarted.deprovision(42n);
    await restarted.deprovision(99n);
    assert.equal(ec2.commandCalls(TerminateInstancesCommand).length, 1, "nothing left to terminate");
    assert.equal(await restarted.describe(99n), undefined);
  });

  it("stops the instance for a grace period keeping its volumes, starts it again, each once whatever is repeated", async () => {
    const adapter = new AwsProvisioner(config, options);
    await adapter.provision(provisionRequest(42n, listing("aws", "eu-west-1")));
    fake.setState("i-00000000000000001", "running", "198.51.100.7");

    const restarted = new AwsProvisioner(config, options);
    await restarted.pause(42n);
    await restarted.pause(42n); // stopping: nothing more to do
    fake.setState("i-00000000000000001", "stopped");
    await restarted.pause(42n);
    const stops = ec2.commandCalls(StopInstancesCommand);
    assert.equal(stops.length, 1);
    assert.deepEqual(stops[0]?.args[0].input, { InstanceIds: ["i-00000000000000001"] });
    assert.equal(await stops[0]?.thisValue.config.region(), "eu-west-1");
    assert.equal(ec2.commandCalls(TerminateInstancesCommand).length, 0, "the instance and its disk are kept");
    assert.equal((await restarted.describe(42n))?.state, "stopped");

    await restarted.resume(42n);
    await restarted.resume(42n); // pending: already starting
    assert.equal(ec2.commandCalls(StartInstancesCommand).length, 1);
    assert.deepEqual(ec2.commandCalls(StartInstancesCommand)[0]?.args[0].input, {
      InstanceIds: ["i-00000000000000001"],
    });
    assert.equal((await restarted.describe(42n))?.state, "pending");

    fake.setState("i-00000000000000001", "stopping");
    const stopping = await provisionerError(() => restarted.resume(42n));
    assert.equal(stopping.retryable, true, stopping.message);
    const missing = await provisionerError(() => restarted.resume(99n));
    assert.equal(missing.retryable, false, missing.message);
    await restarted.pause(99n);
  });

  it("maps EC2 instance states", async () => {
    const adapter = new AwsProvisioner(config, options);
    await adapter.provision(provisionRequest(42n, usEast));
    const expected = {
      pending: "pending",
      running: "running",
      stopping: "stopped",
      stopped: "stopped",
      "shutting-down": "terminated",
      terminated: "terminated",
    } as const;
    for (const [ec2State, state] of Object.entries(expected)) {
      fake.setState("i-00000000000000001", ec2State as InstanceStateName);
      assert.equal((await adapter.describe(42n))?.state, state, ec2State);
    }
  });

  it("prefers the live instance over an older terminated one of the same booking", async () => {
    const tags = [
      { Key: "dcloudx:booking-id", Value: "42" },
      { Key: "dcloudx:chain-id", Value: "31337" },
    ];
    fake.add("us-east-1", {
      InstanceId: "i-live",
      State: { Name: "running" },
      LaunchTime: new Date(1000),
      Tags: tags,
    });
    fake.add("us-east-1", {
      InstanceId: "i-dead",
      State: { Name: "terminated" },
      LaunchTime: new Date(2000),
      Tags: tags,
    });
    assert.equal((await new AwsProvisioner(config, options).describe(42n))?.instanceId, "i-live");
  });

  it("reports throttling as retryable with the request id, and a retry launches with the same client token", async () => {
    fake.failures.add("RunInstances", awsError("RequestLimitExceeded", 503));
    const adapter = new AwsProvisioner(config, options);

    const error = await provisionerError(() => adapter.provision(provisionRequest(42n, usEast)));
    assert.equal(error.retryable, true);
    assert.match(
      error.message,
      /^aws RunInstances failed: RequestLimitExceeded: .*\(HTTP 503\) \[request id req-RequestLimitExceeded\]$/,
    );

    const machine = await adapter.provision(provisionRequest(42n, usEast));
    assert.equal(machine.instanceId, "i-00000000000000001");
    assert.deepEqual(
      runInputs().map((input) => input.ClientToken),
      ["dcloudx-31337-42", "dcloudx-31337-42"],
    );
    assert.equal(fake.instances.length, 1);
  });

  it("classifies errors: throttling, capacity, 5xx and timeouts retry; bad requests and auth do not", async () => {
    const timeout = Object.assign(new Error("socket timed out"), { name: "TimeoutError" });
    const cases = [
      [awsError("ThrottlingException", 400), true],
      [awsError("InsufficientInstanceCapacity", 500, "server"), true],
      [awsError("InternalError", 500, "server"), true],
      [timeout, true],
      [awsError("UnauthorizedOperation", 403), false],
      [awsError("InvalidAMIID.NotFound", 400), false],
      [awsError("InvalidParameterValue", 400), false],
      [
        Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
        false,
      ],
    ] as const;
    const adapter = new AwsProvisioner(config, options);
    for (const [thrown, retryable] of cases) {
      fake.failures.add("DescribeInstances", thrown);
      const error = await provisionerError(() => adapter.describe(42n));
      assert.equal(error.retryable, retryable, thrown.name);
      assert.ok(error.message.startsWith(`aws DescribeInstances failed: ${thrown.name}: `), error.message);
      assert.doesNotMatch(error.message, /PRIVATE KEY/);
    }
  });

  it("refuses listings it cannot serve without calling EC2", async () => {
    const adapter = new AwsProvisioner(config, options);
    const cases = [
      [listing("azure", "westeurope"), /listing is for cloud "azure"/],
      [listing("aws", "ap-south-1"), /region "ap-south-1" is not configured/],
      [listing("aws", "eu-west-1", { osImages: ["amazon-linux-2023"] }), /none of the listing's OS images/],
    ] as const;
    for (const [metadata, message] of cases) {
      const error = await provisionerError(() => adapter.provision(provisionRequest(42n, metadata)));
      assert.equal(error.retryable, false);
      assert.match(error.message, message);
    }
    assert.equal(ec2.calls().length, 0);
  });

  it("rejects invalid operator settings when constructed", () => {
    assert.throws(() => new AwsProvisioner({ regions: {} }, options), /at least one region/);
    assert.throws(
      () =>
        new AwsProvisioner(
          { regions: { "us-east-1": { ...config.regions["us-east-1"]!, subnetId: "vpc-1" } } },
          options,
        ),
      /subnet id/,
    );
    assert.throws(() => new AwsProvisioner(config, { ...options, sshKeyMaterial: new Uint8Array(16) }), /32 bytes/);
    assert.throws(() => new AwsProvisioner({ ...config, namePrefix: "D-CloudX" }, options), /lowercase/);
  });

  it("reads StatusCheckFailed per minute from CloudWatch in the instance's region, across pages", async () => {
    const adapter = new AwsProvisioner(config, options);
    await adapter.provision(provisionRequest(42n, listing("aws", "eu-west-1")));
    const minute = (n: number) => new Date(Date.UTC(2026, 10, 1, 12, n));
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: "statusCheckFailed", Timestamps: [minute(0), minute(1)], Values: [0, 1] }],
        NextToken: "page-2",
      })
      .resolvesOnce({
        MetricDataResults: [{ Id: "statusCheckFailed", Timestamps: [minute(2)], Values: [0] }],
      });

    const samples = await adapter.metrics(42n, minute(0).getTime(), minute(3).getTime());
    assert.deepEqual(samples, [
      { timestampMs: minute(0).getTime(), available: true, source: "cloudwatch:StatusCheckFailed" },
      { timestampMs: minute(1).getTime(), available: false, source: "cloudwatch:StatusCheckFailed" },
      { timestampMs: minute(2).getTime(), available: true, source: "cloudwatch:StatusCheckFailed" },
    ]);
    const calls = cloudWatch.commandCalls(GetMetricDataCommand);
    assert.equal(calls.length, 2);
    assert.equal(await calls[0]?.thisValue.config.region(), "eu-west-1");
    assert.equal(calls[1]?.args[0].input.NextToken, "page-2");
    const query = calls[0]?.args[0].input.MetricDataQueries?.[0];
    assert.deepEqual(query?.MetricStat, {
      Metric: {
        Namespace: "AWS/EC2",
        MetricName: "StatusCheckFailed",
        Dimensions: [{ Name: "InstanceId", Value: "i-00000000000000001" }],
      },
      Period: 60,
      Stat: "Maximum",
    });
    assert.deepEqual(calls[0]?.args[0].input.StartTime, minute(0));
    assert.deepEqual(calls[0]?.args[0].input.EndTime, minute(3));

    assert.deepEqual(await adapter.metrics(99n, 0, 1), [], "no machine, no samples");
  });
});
