/**
 * The Cloud Storage adapter with the network cut off: nock answers the Cloud Storage JSON API and
 * the IAM API from a small in-memory model (buckets with labels and IAM policies, service accounts,
 * HMAC keys), so the real `@google-cloud/storage` client runs. There is no GCS emulator on npm.
 */
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { resourceMetadataSchema } from "@d-cloudx/sdk";
import { OAuth2Client } from "google-auth-library";

import { GcsStorage } from "../../src/provisioners/gcs.ts";
import {
  CHAIN_ID,
  FailureQueue,
  KEY_MATERIAL,
  answerHttp,
  provisionerError,
  provisionRequest,
  type HttpRequest,
  type Reply,
  withoutNetwork,
} from "./fixtures.ts";

const STORAGE = "https://storage.googleapis.com";
const IAM = "https://iam.googleapis.com";
const PROJECT = "dcloudx-storage";
const config = { project: PROJECT, regions: { "europe-west1": { storageClasses: ["STANDARD", "NEARLINE"] } } };

function options() {
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: "test-token", expiry_date: Date.now() + 3_600_000 });
  return {
    chainId: CHAIN_ID,
    sshKeyMaterial: KEY_MATERIAL,
    clientOptions: { authClient: authClient as never, retryOptions: { maxRetries: 0 } }, // the storage client pins an older google-auth-library
  };
}

const bucketListing = (change: Record<string, unknown> = {}) =>
  resourceMetadataSchema.parse({
    version: 1,
    service: "object-storage",
    name: "GCS bucket",
    cloud: "gcp",
    region: "europe-west1",
    api: "gcs",
    storageClass: "NEARLINE",
    redundancy: "multi-zone",
    capacityGib: 20,
    includedEgressGib: 2,
    ...change,
  });

const notFound: Reply = [404, { error: { code: 404, message: "Not Found" } }];

class FakeGoogle {
  readonly buckets = new Map<
    string,
    { labels: Record<string, string>; bindings: { role: string; members: string[] }[]; objects: string[] }
  >();
  readonly accounts = new Map<string, { email: string; description: string }>();
  readonly hmacKeys = new Map<string, { accessId: string; serviceAccountEmail: string; state: string }>();
  readonly failures = new FailureQueue<Reply>();
  /** Every request to the JSON API, by method and path. */
  readonly requests: string[] = [];
  #next = 1;

  constructor() {
    answerHttp(STORAGE, ["GET", "POST", "PUT", "DELETE"], (request) => this.storage(request));
    answerHttp(IAM, ["GET", "POST", "DELETE"], (request) => this.iam(request));
  }

  storage({ method, url, body }: HttpRequest): Reply {
    const path = url.pathname.replace(/^\/storage\/v1/, "");
    this.requests.push(`${method} ${path}`);
    const failure = this.failures.take(`${method} ${path.split("/")[1]}`);
    if (failure) return failure;
    const bucketMatch = /^\/b\/([^/]+)(\/.*)?$/.exec(path);
    if (method === "POST" && path === "/b") {
      const { name, labels } = body as { name: string; labels: Record<string, string> };
      if (this.buckets.has(name)) return [409, { error: { code: 409, message: "exists" } }];
      this.buckets.set(name, { labels, bindings: [], objects: [] });
      return [200, { name, labels }];
    }
    if (bucketMatch) {
      const [, name, rest = ""] = bucketMatch;
      const bucket = this.buckets.get(decodeURIComponent(name!));
      if (!bucket) return notFound;
      if (rest === "/iam" && method === "GET") return [200, { bindings: bucket.bindings, etag: "e" }];
      if (rest === "/iam" && method === "PUT") {
        bucket.bindings = (body as { bindings: typeof bucket.bindings }).bindings;
        return [200, body];
      }
      if (rest === "/o" && method === "GET")
        return [200, { items: bucket.objects.map((n) => ({ name: n, size: "5" })) }];
      if (rest.startsWith("/o/") && method === "DELETE") {
        bucket.objects = bucket.objects.filter((n) => n !== decodeURIComponent(rest.slice(3)));
        return [204];
      }
      if (rest === "" && method === "GET") return [200, { name, labels: bucket.labels }];
      if (rest === "" && method === "DELETE") {
        if (bucket.objects.length) return [409, { error: { code: 409, message: "not empty" } }];
        this.buckets.delete(name!);
        return [204];
      }
    }
    const hmac = /^\/projects\/[^/]+\/hmacKeys(?:\/([^/]+))?$/.exec(path);
    if (hmac) {
      const [, accessId] = hmac;
      if (method === "GET" && !accessId) {
        const email = url.searchParams.get("serviceAccountEmail");
        return [200, { items: [...this.hmacKeys.values()].filter((k) => k.serviceAccountEmail === email) }];
      }
      if (method === "POST") {
        const key = {
          accessId: `GOOG${this.#next++}`,
          serviceAccountEmail: url.searchParams.get("serviceAccountEmail")!,
          state: "ACTIVE",
        };
        this.hmacKeys.set(key.accessId, key);
        return [200, { metadata: key, secret: `secret-${key.accessId}` }];
      }
      const key = this.hmacKeys.get(accessId!);
      if (!key) return notFound;
      if (method === "PUT") {
        key.state = (body as { state: string }).state;
        return [200, key];
      }
      if (method === "DELETE") {
        if (key.state === "ACTIVE") return [400, { error: { code: 400, message: "deactivate first" } }];
        this.hmacKeys.delete(accessId!);
        return [204];
      }
      if (method === "GET") return [200, key];
    }
    if (path === `/projects/${PROJECT}/serviceAccount`) return [200, { email_address: "service@gs-project-accounts" }];
    assert.fail(`unexpected ${method} ${url.pathname}`);
  }

  iam({ method, url, body }: HttpRequest): Reply {
    const failure = this.failures.take(`${method} serviceAccounts`);
    if (failure) return failure;
    const email = /serviceAccounts\/([^/]+)$/.exec(url.pathname)?.[1];
    if (method === "POST") {
      const { accountId, serviceAccount } = body as { accountId: string; serviceAccount: { description: string } };
      const address = `${accountId}@${PROJECT}.iam.gserviceaccount.com`;
      if (this.accounts.has(address)) return [409, { error: { code: 409, message: "exists" } }];
      this.accounts.set(address, { email: address, description: serviceAccount.description });
      return [200, this.accounts.get(address)];
    }
    const account = email && this.accounts.get(decodeURIComponent(email));
    if (!account) return notFound;
    if (method === "GET") return [200, account];
    this.accounts.delete(account.email);
    return [200, {}];
  }
}

let fake: FakeGoogle;
withoutNetwork();
beforeEach(() => {
  fake = new FakeGoogle();
});

describe("Cloud Storage adapter (JSON and IAM APIs faked with nock)", () => {
  it("makes a labelled bucket, a service account bound to it alone and one HMAC key; a retry replaces the key", async () => {
    const machine = await new GcsStorage(config, options()).provision(provisionRequest(42n, bucketListing()));
    const bucket = fake.buckets.get(machine.instanceId)!;
    assert.equal(bucket.labels["dcloudx-booking-id"], "42");
    const [account] = [...fake.accounts.values()];
    assert.equal(account!.description, "dcloudx booking 42 on chain 31337");
    assert.deepEqual(bucket.bindings, [
      { role: "roles/storage.objectAdmin", members: [`serviceAccount:${account!.email}`] },
    ]);
    assert.equal(machine.access!.credentials.secret, `secret-${machine.access!.user}`);
    assert.match(machine.access!.objectStorage!.examples.gsutil!, /gs_access_key_id=GOOG1/);

    // The confirmation never went out; provisioning runs again: same bucket and account, the key replaced.
    const again = await new GcsStorage(config, options()).provision(provisionRequest(42n, bucketListing()));
    assert.equal(again.instanceId, machine.instanceId);
    assert.equal(fake.accounts.size, 1);
    assert.deepEqual([...fake.hmacKeys.keys()], [again.access!.user]);
    assert.equal(bucket.bindings[0]!.members.length, 1);
  });

  it("retries after a failed step, refuses another booking's bucket, revokes and deletes", async () => {
    fake.failures.add("POST serviceAccounts", [503, { error: { code: 503, message: "unavailable" } }]);
    const adapter = new GcsStorage(config, options());
    assert.equal(
      (await provisionerError(() => adapter.provision(provisionRequest(7n, bucketListing())))).retryable,
      true,
    );
    const machine = await adapter.provision(provisionRequest(7n, bucketListing()));
    fake.buckets.get(machine.instanceId)!.objects.push("a.txt", "b.txt");
    assert.deepEqual(await adapter.usage(7n), { bytes: 10, objects: 2, capacityBytes: 20 * 1024 ** 3 });

    fake.buckets.get(machine.instanceId)!.labels["dcloudx-booking-id"] = "8";
    assert.equal((await provisionerError(() => adapter.deprovision(7n))).retryable, false);
    fake.buckets.get(machine.instanceId)!.labels["dcloudx-booking-id"] = "7";

    await adapter.deprovision(7n);
    assert.equal(fake.buckets.size + fake.accounts.size + fake.hmacKeys.size, 0);
    await adapter.deprovision(7n);
  });

  it("deactivates the consumer's HMAC key for a grace period keeping the data, and reactivates the same key", async () => {
    const adapter = new GcsStorage(config, options());
    const machine = await adapter.provision(provisionRequest(9n, bucketListing()));
    fake.buckets.get(machine.instanceId)!.objects.push("kept.txt");
    const key = fake.hmacKeys.get(machine.access!.user)!;
    const puts = () => fake.requests.filter((r) => /^PUT .*\/hmacKeys\//.test(r)).length;

    await adapter.pause(9n);
    await new GcsStorage(config, options()).pause(9n);
    assert.equal(key.state, "INACTIVE");
    assert.equal(puts(), 1, "a key already inactive is left alone");
    assert.deepEqual(fake.buckets.get(machine.instanceId)!.objects, ["kept.txt"]);

    await adapter.resume(9n);
    await adapter.resume(9n);
    assert.equal(key.state, "ACTIVE");
    assert.equal(puts(), 2);
    assert.deepEqual([...fake.hmacKeys.keys()], [machine.access!.user], "the same key, not a new one");

    await adapter.deprovision(9n);
    await adapter.pause(9n);
    assert.equal((await provisionerError(() => adapter.resume(9n))).retryable, false);
  });

  it("verify refuses a redundancy the location does not give, and names the project", async () => {
    const adapter = new GcsStorage(config, options());
    assert.deepEqual(await adapter.verify(bucketListing()), { accountId: `gcp:${PROJECT}` });
    const lie = await provisionerError(() => adapter.verify(bucketListing({ redundancy: "multi-region" })));
    assert.match(lie.message, /a bucket in europe-west1 is multi-zone, not multi-region/);
    assert.equal(
      (await provisionerError(() => adapter.verify(bucketListing({ storageClass: "ARCHIVE" })))).retryable,
      false,
    );
  });
});
