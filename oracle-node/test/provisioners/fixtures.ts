import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { after, afterEach, beforeEach } from "node:test";

import { resourceMetadataSchema, type Cloud, type ResourceMetadata } from "@d-cloudx/sdk";
import nock from "nock";

import { ProvisionerError, type Machine, type ProvisionRequest } from "../../src/provisioners/types.ts";

/** Stands in for the oracle's key material; any 32 bytes do. */
export const KEY_MATERIAL = new Uint8Array(32).fill(7);
export const CHAIN_ID = 31337;
export const CONSUMER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** EC2 settings for one region (us-east-1, one Ubuntu image): enough to start the AWS adapter. */
export const AWS_ONE_REGION = {
  regions: {
    "us-east-1": {
      subnetId: "subnet-0123456789abcdef0",
      securityGroupIds: ["sg-0123456789abcdef0"],
      images: { "ubuntu-24.04": { imageId: "ami-0aaaaaaaaaaaaaaa1", user: "ubuntu" } },
    },
  },
};

/** A valid listing for `cloud`, checked against the SDK's schema like the node checks fetched ones. */
export function listing(cloud: Cloud, region: string, change: Partial<ResourceMetadata> = {}): ResourceMetadata {
  return resourceMetadataSchema.parse({
    version: 1,
    name: `Test machine on ${cloud}`,
    cloud,
    region,
    instanceType: "m7i.large",
    vcpu: 2,
    memoryGib: 8,
    storage: { sizeGib: 40, type: "network" },
    network: { bandwidthGbps: 10 },
    osImages: ["ubuntu-24.04"],
    ...change,
  });
}

export function provisionRequest(bookingId: bigint, metadata: ResourceMetadata): ProvisionRequest {
  return { bookingId, resourceId: 7n, consumer: CONSUMER, hoursBooked: 3, metadata };
}

/**
 * Reads an unencrypted OpenSSH private key file back and checks it: format, matching check ints,
 * and that its private half signs what its public half verifies. Returns the public key blob
 * (base64) so a test can compare it with the key the cloud received.
 */
export function parseOpenSshPrivateKey(pem: string): { publicKeyBase64: string; comment: string } {
  const match = /^-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=\n]+)\n-----END OPENSSH PRIVATE KEY-----\n$/.exec(
    pem,
  );
  assert.ok(match?.[1], "not an OpenSSH private key file");
  assert.ok(
    match[1].split("\n").every((line) => line.length <= 70),
    "lines are longer than 70 characters",
  );
  const file = Buffer.from(match[1].replaceAll("\n", ""), "base64");
  const reader = sshReader(file);
  assert.equal(file.subarray(0, 15).toString("latin1"), "openssh-key-v1\0");
  reader.skip(15);
  assert.equal(reader.string().toString(), "none", "cipher");
  assert.equal(reader.string().toString(), "none", "kdf");
  assert.equal(reader.string().length, 0, "kdf options");
  assert.equal(reader.uint32(), 1, "number of keys");
  const publicBlob = reader.string();
  const privateBytes = reader.string();
  assert.equal(privateBytes.length % 8, 0, "private section is not padded to 8 bytes");
  const privateSection = sshReader(privateBytes);
  assert.equal(reader.remaining(), 0);

  assert.equal(privateSection.uint32(), privateSection.uint32(), "check ints differ");
  assert.equal(privateSection.string().toString(), "ssh-ed25519");
  const publicRaw = privateSection.string();
  const secret = privateSection.string();
  const comment = privateSection.string().toString();
  const padding = [...privateSection.rest()];
  assert.deepEqual(
    padding,
    padding.map((_, i) => i + 1),
    "padding is not 1, 2, 3…",
  );
  assert.equal(secret.length, 64);
  assert.deepEqual(secret.subarray(32), publicRaw, "private key does not end with its public key");
  const publicFromBlob = sshReader(publicBlob);
  assert.equal(publicFromBlob.string().toString(), "ssh-ed25519");
  assert.deepEqual(publicFromBlob.string(), publicRaw);

  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), secret.subarray(0, 32)]),
    format: "der",
    type: "pkcs8",
  });
  const publicKey = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: publicRaw.toString("base64url") },
    format: "jwk",
  });
  const message = Buffer.from("d-cloudx");
  assert.ok(verify(null, message, publicKey, sign(null, message, privateKey)), "key halves do not match");
  return { publicKeyBase64: publicBlob.toString("base64"), comment };
}

function sshReader(buffer: Buffer) {
  let offset = 0;
  const reader = {
    skip(length: number) {
      offset += length;
    },
    uint32() {
      const value = buffer.readUInt32BE(offset);
      offset += 4;
      return value;
    },
    string() {
      const length = reader.uint32();
      assert.ok(offset + length <= buffer.length, "string runs past the end");
      const value = buffer.subarray(offset, offset + length);
      offset += length;
      return value;
    },
    rest() {
      const value = buffer.subarray(offset);
      offset = buffer.length;
      return value;
    },
    remaining: () => buffer.length - offset,
  };
  return reader;
}

/** Asserts that the machine's SSH credentials are the private half of `authorizedKey`. */
export function assertKeyMatches(machine: Machine | undefined, authorizedKey: string): void {
  const secret = machine?.access?.credentials.secret;
  assert.ok(secret, "machine has no credentials");
  assert.equal(machine.access?.credentials.kind, "ssh-private-key");
  const [type, base64] = authorizedKey.split(" ");
  assert.equal(type, "ssh-ed25519");
  assert.equal(parseOpenSshPrivateKey(secret).publicKeyBase64, base64);
}

/** Runs `action`, expects a ProvisionerError and returns it. */
export async function provisionerError(action: () => Promise<unknown>): Promise<ProvisionerError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof ProvisionerError, `expected a ProvisionerError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a ProvisionerError");
}

/** One request a fake cloud received. */
export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

/** Status, JSON body and headers of a fake cloud's answer. */
export type Reply = [number, unknown?, Record<string, string>?];

/**
 * Cuts the file's tests off the network: every request goes to the nock answers a test (or its
 * `beforeEach`) sets up, and those are cleared after each test.
 */
export function withoutNetwork(): void {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());
}

/** Answers every `methods` request to `origin` with `handle` (JSON bodies parsed) until nock.cleanAll(). */
export function answerHttp(
  origin: string,
  methods: readonly string[],
  handle: (request: HttpRequest) => Reply | Promise<Reply>,
): void {
  for (const method of methods) {
    nock(origin)
      .persist()
      .intercept(/.*/, method)
      .query(true)
      .reply(async (request: Request) => {
        const text = await request.text();
        const headers = Object.fromEntries(request.headers);
        return handle({ method, url: new URL(request.url), headers, body: text ? JSON.parse(text) : undefined });
      });
  }
}

/** Failures a test queues for a fake cloud, per action (an HTTP method, an API call), each used once. */
export class FailureQueue<T> {
  readonly #queue: { action: string; failure: T }[] = [];

  add(action: string, ...failures: T[]): void {
    for (const failure of failures) this.#queue.push({ action, failure });
  }

  take(action: string): T | undefined {
    const index = this.#queue.findIndex((queued) => queued.action === action);
    return index < 0 ? undefined : this.#queue.splice(index, 1)[0]?.failure;
  }
}
