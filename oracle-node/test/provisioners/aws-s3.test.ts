/**
 * The S3 adapter on AWS, with S3, IAM and EC2 answered by aws-sdk-client-mock from a small in-memory
 * model (no emulator on npm models IAM): bucket and user created once, the user's policy reaching
 * the booking's bucket alone, one key at a time, each step failing in turn and retried, revocation
 * before deletion, and compute `verify` against DescribeInstanceTypeOfferings.
 */
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { DescribeInstanceTypeOfferingsCommand, DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
  type Tag,
} from "@aws-sdk/client-iam";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketMetricsConfigurationCommand,
  PutBucketTaggingCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { resourceMetadataSchema } from "@d-cloudx/sdk";
import { mockClient } from "aws-sdk-client-mock";

import { AwsProvisioner } from "../../src/provisioners/aws.ts";
import { S3Storage } from "../../src/provisioners/aws-s3.ts";
import { CHAIN_ID, FailureQueue, KEY_MATERIAL, listing, provisionerError, provisionRequest } from "./fixtures.ts";

const options = { chainId: CHAIN_ID, sshKeyMaterial: KEY_MATERIAL, retentionSeconds: 0 };
const config = { regions: { "eu-central-1": { storageClasses: ["STANDARD", "ONEZONE_IA"] } } };
const bucketListing = (change: Record<string, unknown> = {}) =>
  resourceMetadataSchema.parse({
    version: 1,
    service: "object-storage",
    name: "S3 bucket",
    cloud: "aws",
    region: "eu-central-1",
    api: "s3",
    storageClass: "STANDARD",
    redundancy: "multi-zone",
    capacityGib: 10,
    includedEgressGib: 1,
    ...change,
  });

const s3 = mockClient(S3Client);
const iam = mockClient(IAMClient);
const ec2 = mockClient(EC2Client);

const s3Error = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    message: name,
    $metadata: { httpStatusCode: status },
  });
const iamError = (name: string, status: number) =>
  new IAMServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    message: name,
    $metadata: { httpStatusCode: status },
  });

/** Buckets with objects, IAM users with tags, one inline policy and access keys. */
class FakeAws {
  readonly buckets = new Map<string, Map<string, number>>();
  readonly users = new Map<string, { tags: Tag[]; policy?: string; keys: string[]; inactive?: Set<string> }>();
  readonly failures = new FailureQueue<Error>();
  readonly calls: string[] = [];
  #nextKey = 1;

  step(action: string) {
    this.calls.push(action);
    const failure = this.failures.take(action);
    if (failure) throw failure;
  }

  user(name: string) {
    const user = this.users.get(name);
    if (!user) throw iamError("NoSuchEntityException", 404);
    return user;
  }

  newKey(name: string) {
    const id = `AKIA${String(this.#nextKey++).padStart(16, "0")}`;
    this.user(name).keys.push(id);
    return { AccessKeyId: id, SecretAccessKey: `secret-of-${id}` };
  }
}

let fake: FakeAws;

beforeEach(() => {
  fake = new FakeAws();
  s3.reset();
  iam.reset();
  ec2.reset();
  s3.on(HeadBucketCommand).callsFake(({ Bucket }) => {
    fake.step("HeadBucket");
    if (!fake.buckets.has(Bucket)) throw s3Error("NotFound", 404);
    return { BucketRegion: "eu-central-1" };
  });
  s3.on(CreateBucketCommand).callsFake(({ Bucket }) => {
    fake.step("CreateBucket");
    if (fake.buckets.has(Bucket)) throw s3Error("BucketAlreadyOwnedByYou", 409);
    fake.buckets.set(Bucket, new Map());
    return {};
  });
  s3.on(PutBucketTaggingCommand).callsFake(() => (fake.step("PutBucketTagging"), {}));
  s3.on(PutPublicAccessBlockCommand).callsFake(() => (fake.step("PutPublicAccessBlock"), {}));
  s3.on(PutBucketMetricsConfigurationCommand).callsFake(() => (fake.step("PutBucketMetricsConfiguration"), {}));
  s3.on(ListObjectsV2Command).callsFake(({ Bucket }) => ({
    Contents: [...(fake.buckets.get(Bucket) ?? [])].map(([Key, Size]) => ({ Key, Size })),
  }));
  s3.on(DeleteObjectsCommand).callsFake(({ Bucket, Delete }) => {
    fake.step("DeleteObjects");
    for (const { Key } of Delete.Objects) fake.buckets.get(Bucket)?.delete(Key);
    return {};
  });
  s3.on(DeleteBucketCommand).callsFake(({ Bucket }) => {
    fake.step("DeleteBucket");
    if (fake.buckets.get(Bucket)?.size) throw s3Error("BucketNotEmpty", 409);
    fake.buckets.delete(Bucket);
    return {};
  });
  s3.on(ListBucketsCommand).resolves({ Owner: { ID: "canonical-owner-id" } });
  iam.on(GetUserCommand).callsFake(({ UserName }) => {
    fake.step("GetUser");
    return { User: { UserName, Tags: fake.user(UserName).tags } };
  });
  iam.on(CreateUserCommand).callsFake(({ UserName, Tags }) => {
    fake.step("CreateUser");
    if (fake.users.has(UserName)) throw iamError("EntityAlreadyExistsException", 409);
    fake.users.set(UserName, { tags: Tags ?? [], keys: [] });
    return {};
  });
  iam.on(PutUserPolicyCommand).callsFake(({ UserName, PolicyDocument }) => {
    fake.step("PutUserPolicy");
    fake.user(UserName).policy = PolicyDocument;
    return {};
  });
  iam.on(ListAccessKeysCommand).callsFake(({ UserName }) => {
    const user = fake.user(UserName);
    const status = (id: string) => (user.inactive?.has(id) ? "Inactive" : "Active");
    return { AccessKeyMetadata: user.keys.map((AccessKeyId) => ({ AccessKeyId, Status: status(AccessKeyId) })) };
  });
  iam.on(UpdateAccessKeyCommand).callsFake(({ UserName, AccessKeyId, Status }) => {
    fake.step("UpdateAccessKey");
    const user = fake.user(UserName);
    assert.ok(user.keys.includes(AccessKeyId), `no key ${AccessKeyId}`);
    user.inactive ??= new Set();
    if (Status === "Inactive") user.inactive.add(AccessKeyId);
    else user.inactive.delete(AccessKeyId);
    return {};
  });
  iam.on(CreateAccessKeyCommand).callsFake(({ UserName }) => {
    fake.step("CreateAccessKey");
    if (fake.user(UserName).keys.length >= 2) throw iamError("LimitExceededException", 409);
    return { AccessKey: fake.newKey(UserName) };
  });
  iam.on(DeleteAccessKeyCommand).callsFake(({ UserName, AccessKeyId }) => {
    fake.step("DeleteAccessKey");
    const user = fake.user(UserName);
    user.keys = user.keys.filter((key) => key !== AccessKeyId);
    return {};
  });
  iam.on(DeleteUserPolicyCommand).callsFake(({ UserName }) => {
    delete fake.user(UserName).policy;
    return {};
  });
  iam.on(DeleteUserCommand).callsFake(({ UserName }) => {
    fake.step("DeleteUser");
    if (fake.user(UserName).keys.length || fake.user(UserName).policy) throw iamError("DeleteConflictException", 409);
    fake.users.delete(UserName);
    return {};
  });
});

describe("S3 storage on AWS (S3 and IAM mocked)", () => {
  it("makes one bucket and one user whose policy reaches that bucket alone, and one key", async () => {
    const adapter = new S3Storage("aws", config, options);
    const machine = await adapter.provision(provisionRequest(42n, bucketListing()));
    const bucket = machine.instanceId;
    assert.match(bucket, /^dcloudx-31337-42-[0-9a-f]{8}$/);
    assert.deepEqual([...fake.buckets.keys()], [bucket]);
    const user = fake.users.get(bucket)!;
    assert.deepEqual(user.keys, [machine.access!.user]);
    assert.equal(machine.access!.credentials.secret, `secret-of-${user.keys[0]}`);
    const policy = JSON.parse(user.policy!) as { Statement: { Resource: string; Action: string[] }[] };
    assert.deepEqual(
      policy.Statement.map((s) => s.Resource),
      [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    );
    assert.ok(policy.Statement[1]!.Action.includes("s3:PutObject"));
    assert.ok(user.tags.some((t) => t.Key === "dcloudx:booking-id" && t.Value === "42"));
    assert.equal(machine.access!.objectStorage!.endpoint, "https://s3.eu-central-1.amazonaws.com");
    assert.match(
      machine.access!.objectStorage!.examples["aws cli"]!,
      new RegExp(`aws s3 cp ./file.txt s3://${bucket}/`),
    );
    assert.ok(fake.calls.includes("PutPublicAccessBlock") && fake.calls.includes("PutBucketMetricsConfiguration"));
  });

  it("after a failure at any step, the retry finishes with one bucket, one user and one key", async () => {
    for (const step of ["CreateBucket", "PutBucketTagging", "CreateUser", "PutUserPolicy", "CreateAccessKey"]) {
      fake = Object.assign(fake, { buckets: new Map(), users: new Map() });
      fake.failures.add(step, s3Error("InternalError", 500));
      const adapter = new S3Storage("aws", config, options);
      const failed = await provisionerError(() => adapter.provision(provisionRequest(7n, bucketListing())));
      assert.equal(failed.retryable, true, step);
      // A new adapter, as after a restart: the retry finds what the first attempt made.
      const machine = await new S3Storage("aws", config, options).provision(provisionRequest(7n, bucketListing()));
      assert.equal(fake.buckets.size, 1, step);
      assert.equal(fake.users.size, 1, step);
      assert.deepEqual(fake.users.get(machine.instanceId)!.keys, [machine.access!.user], step);
    }
  });

  it("a key made but never delivered is replaced, never added to", async () => {
    const adapter = new S3Storage("aws", config, options);
    const first = await adapter.provision(provisionRequest(9n, bucketListing()));
    // The confirmation was never sent (node killed): provisioning runs again.
    const second = await new S3Storage("aws", config, options).provision(provisionRequest(9n, bucketListing()));
    assert.notEqual(first.access!.user, second.access!.user);
    assert.deepEqual(fake.users.get(second.instanceId)!.keys, [second.access!.user]);
  });

  it("throttling is retryable; a refusal is not, and no message carries a secret", async () => {
    const adapter = new S3Storage("aws", config, options);
    fake.failures.add("HeadBucket", s3Error("SlowDown", 503));
    assert.equal(
      (await provisionerError(() => adapter.provision(provisionRequest(3n, bucketListing())))).retryable,
      true,
    );
    fake.failures.add("CreateBucket", s3Error("AccessDenied", 403));
    const denied = await provisionerError(() => adapter.provision(provisionRequest(3n, bucketListing())));
    assert.equal(denied.retryable, false);
    const machine = await adapter.provision(provisionRequest(3n, bucketListing()));
    fake.failures.add("DeleteUser", iamError("ServiceFailure", 500));
    const failed = await provisionerError(() => adapter.deprovision(3n));
    assert.ok(!failed.message.includes(machine.access!.credentials.secret));
  });

  it("refuses a user of the booking's name that is tagged for another booking, and leaves it alone", async () => {
    const adapter = new S3Storage("aws", config, options);
    const machine = await adapter.provision(provisionRequest(11n, bucketListing()));
    fake.users.get(machine.instanceId)!.tags = [{ Key: "dcloudx:booking-id", Value: "12" }];
    const refused = await provisionerError(() => adapter.deprovision(11n));
    assert.equal(refused.retryable, false);
    assert.ok(fake.users.has(machine.instanceId));
  });

  it("revokes first, then empties and deletes; a second deprovision finds nothing to do", async () => {
    const adapter = new S3Storage("aws", config, options);
    const machine = await adapter.provision(provisionRequest(5n, bucketListing()));
    fake.buckets.get(machine.instanceId)!.set("a.txt", 3).set("b.txt", 4);
    const other = await adapter.provision(provisionRequest(6n, bucketListing()));
    assert.deepEqual(await adapter.usage(5n), { bytes: 7, objects: 2, capacityBytes: 10 * 1024 ** 3 });
    fake.calls.length = 0;
    await adapter.deprovision(5n);
    assert.ok(fake.calls.indexOf("DeleteUser") < fake.calls.indexOf("DeleteObjects"));
    assert.ok(!fake.buckets.has(machine.instanceId) && !fake.users.has(machine.instanceId));
    assert.ok(fake.buckets.has(other.instanceId) && fake.users.has(other.instanceId), "another booking is untouched");
    await adapter.deprovision(5n);
  });

  it("suspends to read-only for a retention window", async () => {
    const adapter = new S3Storage("aws", config, options);
    const machine = await adapter.provision(provisionRequest(8n, bucketListing()));
    await adapter.suspend(8n);
    const policy = JSON.parse(fake.users.get(machine.instanceId)!.policy!) as { Statement: { Action: string[] }[] };
    assert.deepEqual(policy.Statement[1]!.Action, ["s3:GetObject"]);
  });

  it("deactivates the consumer's key for a grace period keeping the data, and reactivates the same key", async () => {
    const adapter = new S3Storage("aws", config, options);
    const machine = await adapter.provision(provisionRequest(9n, bucketListing()));
    fake.buckets.get(machine.instanceId)!.set("kept.txt", 4);
    const user = fake.users.get(machine.instanceId)!;
    const [key] = user.keys;
    fake.calls.length = 0;

    await adapter.pause(9n);
    await new S3Storage("aws", config, options).pause(9n); // after a restart: already inactive
    const updates = () => fake.calls.filter((call) => call === "UpdateAccessKey").length;
    assert.equal(updates(), 1);
    assert.deepEqual([...user.inactive!], [key]);
    assert.deepEqual(await adapter.usage(9n), { bytes: 4, objects: 1, capacityBytes: 10 * 1024 ** 3 });

    await adapter.resume(9n);
    await adapter.resume(9n);
    assert.equal(updates(), 2);
    assert.deepEqual(user.keys, [key], "the same key, not a new one");
    assert.equal(user.inactive!.size, 0);

    await adapter.deprovision(9n);
    await adapter.pause(9n);
    await assert.rejects(adapter.resume(9n), /no storage user/);
  });

  it("verify refuses a class the region is not served with, a false redundancy, and names the account", async () => {
    const adapter = new S3Storage("aws", config, options);
    assert.deepEqual(await adapter.verify(bucketListing()), { accountId: "aws:s3:canonical-owner-id" });
    const lies = [
      bucketListing({ storageClass: "ONEZONE_IA" }),
      bucketListing({ storageClass: "GLACIER" }),
      bucketListing({ region: "us-west-2" }),
    ];
    for (const lie of lies) assert.equal((await provisionerError(() => adapter.verify(lie))).retryable, false);
  });

  it("refuses a static key unless the endpoint is on this machine", () => {
    assert.throws(
      () =>
        new S3Storage(
          "other",
          {
            ...config,
            endpoint: "https://storage.example.com",
            staticKey: { accessKeyId: "abc", secretAccessKey: "def" },
          },
          options,
        ),
      /staticKey is for an S3-compatible server on this machine/,
    );
  });
});

describe("EC2 verify", () => {
  const compute = {
    regions: {
      "us-east-1": {
        subnetId: "subnet-0123456789abcdef0",
        securityGroupIds: ["sg-0123456789abcdef0"],
        images: { "ubuntu-24.04": { imageId: "ami-0aaaaaaaaaaaaaaa1", user: "ubuntu" } },
      },
    },
  };

  it("attests an offered type with the security group's owner and refuses what is not offered", async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).callsFake(({ Filters }) => ({
      InstanceTypeOfferings: Filters[0].Values[0] === "m7i.large" ? [{ InstanceType: "m7i.large" }] : [],
    }));
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ OwnerId: "123456789012" }] });
    const adapter = new AwsProvisioner(compute, options);
    assert.deepEqual(await adapter.verify(listing("aws", "us-east-1")), { accountId: "aws:123456789012" });
    const missing = await provisionerError(() =>
      adapter.verify(listing("aws", "us-east-1", { instanceType: "x9.huge" })),
    );
    assert.match(missing.message, /x9\.huge is not offered in us-east-1/);
    const region = await provisionerError(() => adapter.verify(listing("aws", "eu-west-3")));
    assert.match(region.message, /region "eu-west-3" is not configured/);
  });
});
