import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { OAuth2Client } from "google-auth-library";
import nock from "nock";

import { GcpProvisioner, type GcpConfig } from "../../src/provisioners/gcp.ts";
import {
  answerHttp,
  assertKeyMatches,
  CHAIN_ID,
  FailureQueue,
  KEY_MATERIAL,
  listing,
  provisionerError,
  provisionRequest,
  type HttpRequest,
  type Reply,
  withoutNetwork,
} from "./fixtures.ts";

const COMPUTE = "https://compute.googleapis.com";
const MONITORING = "https://monitoring.googleapis.com";
const PROJECT = "dcloudx-machines";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const config: GcpConfig = {
  project: PROJECT,
  regions: {
    "europe-west1": { zone: "europe-west1-b" },
    "us-central1": { zone: "us-central1-a", subnetwork: "regions/us-central1/subnetworks/machines" },
  },
  networkTags: ["dcloudx-ssh"],
  images: {
    "debian-12": { image: "projects/debian-cloud/global/images/family/debian-12", user: "debian" },
  },
  labels: { team: "marketplace" },
};

function options() {
  // A token that never expires: the real client code adds it as a bearer header, no token endpoint.
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: "test-token", expiry_date: Date.now() + 3_600_000 });
  return { chainId: CHAIN_ID, sshKeyMaterial: KEY_MATERIAL, clientOptions: { authClient } };
}
const belgium = listing("gcp", "europe-west1", {
  instanceType: "n2-standard-8",
  osImages: ["ubuntu-24.04", "debian-12"],
});

function googleError(code: number, status: string, reason: string): Reply {
  return [code, { error: { code, message: `${reason} happened`, status, errors: [{ reason, message: reason }] } }];
}

/**
 * Compute Engine's instances API and Cloud Monitoring's timeSeries.list, as far as the adapter
 * uses them: requestId idempotency, name conflicts, label filters, zones, and failures on demand.
 */
class FakeGoogle {
  readonly requests: HttpRequest[] = [];
  readonly instances: Record<string, unknown>[] = [];
  readonly #insertIds = new Map<string, string>();
  /** Replies that stand in for the next answers to a method. */
  readonly failures = new FailureQueue<Reply>();
  timeSeries: unknown[] = [];
  /** How long Compute Engine takes to answer an insert. */
  insertDelayMs = 0;

  constructor() {
    answerHttp(COMPUTE, ["GET", "POST", "DELETE"], (request) => this.handle(request));
    answerHttp(MONITORING, ["GET"], (request) => this.handle(request));
  }

  /** Compute Engine deduplicates a request id for a limited time only. */
  forgetRequestIds() {
    this.#insertIds.clear();
  }

  instance(name: string) {
    const instance = this.instances.find((i) => i.name === name);
    assert.ok(instance, `no instance ${name}`);
    return instance;
  }

  setState(name: string, status: string, natIP?: string) {
    const instance = this.instance(name);
    instance.status = status;
    const [nic] = instance.networkInterfaces as { accessConfigs: Record<string, unknown>[] }[];
    if (natIP && nic?.accessConfigs[0]) nic.accessConfigs[0].natIP = natIP;
  }

  async handle(request: HttpRequest): Promise<Reply> {
    this.requests.push(request);
    const { method, url, body } = request;
    if (method === "POST") await new Promise((resolve) => setTimeout(resolve, this.insertDelayMs));
    const failure = this.failures.take(method);
    if (failure) return failure;

    if (url.host === "monitoring.googleapis.com") return [200, { timeSeries: this.timeSeries }];
    const path = url.pathname;
    if (method === "GET" && path === `/compute/v1/projects/${PROJECT}/aggregated/instances`) {
      const filter = url.searchParams.get("filter") ?? "";
      assert.match(filter, /^\(labels\.[-\w]+ = "[^"]*"\)(?: AND \(labels\.[-\w]+ = "[^"]*"\))*$/);
      const wanted = [...filter.matchAll(/labels\.([-\w]+) = "([^"]*)"/g)];
      assert.ok(wanted.length > 0, "lookup without a label filter");
      const byZone: Record<string, { instances?: unknown[]; warning?: unknown }> = {};
      for (const instance of this.instances) {
        const labels = instance.labels as Record<string, string>;
        if (!wanted.every(([, key, value]) => labels[key!] === value)) continue;
        const scope = `zones/${(instance.zone as string).split("/").pop()}`;
        (byZone[scope] ??= { instances: [] }).instances!.push(instance);
      }
      byZone["zones/asia-east1-a"] = { warning: { code: "NO_RESULTS_ON_PAGE", message: "none" } };
      return [200, { kind: "compute#instanceAggregatedList", items: byZone }];
    }
    const zoned = new RegExp(
      `^/compute/v1/projects/${PROJECT}/zones/([-a-z0-9]+)/instances(?:/([-a-z0-9]+))?(?:/(stop|start))?$`,
    ).exec(path);
    assert.ok(zoned, `unexpected request ${method} ${path}`);
    const [, zone, name, power] = zoned;
    const requestId = url.searchParams.get("requestId") ?? "";
    assert.match(requestId, UUID);
    const operation = (kind: string): Reply => [200, { name: `operation-${kind}-${requestId}`, status: "RUNNING" }];

    if (method === "POST" && power) {
      const instance = this.instances.find((i) => i.name === name);
      if (!instance) return googleError(404, "NOT_FOUND", "notFound");
      instance.status = power === "stop" ? "STOPPING" : "STAGING";
      return operation(power);
    }
    if (method === "POST") {
      const resource = body as Record<string, unknown>;
      if (this.#insertIds.get(requestId) === resource.name) return operation("insert");
      if (this.instances.some((i) => i.name === resource.name))
        return googleError(409, "ALREADY_EXISTS", "alreadyExists");
      this.#insertIds.set(requestId, resource.name as string);
      this.instances.push({
        ...structuredClone(resource),
        id: String(1000 + this.instances.length),
        zone: `${COMPUTE}/compute/v1/projects/${PROJECT}/zones/${zone}`,
        status: "PROVISIONING",
      });
      return operation("insert");
    }
    if (method === "DELETE") {
      const index = this.instances.findIndex((i) => i.name === name);
      if (index < 0) return googleError(404, "NOT_FOUND", "notFound");
      this.instances[index]!.status = "STOPPING";
      return operation("delete");
    }
    assert.fail(`unexpected request ${method} ${path}`);
  }

  count(method: string, pathEnd = "") {
    return this.requests.filter((r) => r.method === method && r.url.pathname.endsWith(pathEnd)).length;
  }
}

let fake: FakeGoogle;

/** The inserted instance's only disk, flattened. */
function bootDisk(body: unknown) {
  const { disks } = body as {
    disks: { boot: boolean; autoDelete: boolean; initializeParams: Record<string, unknown> }[];
  };
  assert.equal(disks.length, 1);
  const [{ boot, autoDelete, initializeParams }] = disks as [(typeof disks)[number]];
  return { boot, autoDelete, sourceImage: initializeParams.sourceImage, diskSizeGb: initializeParams.diskSizeGb };
}

withoutNetwork();
beforeEach(() => {
  fake = new FakeGoogle();
});

describe("GCP adapter", () => {
  it("inserts a labelled instance in the region's zone with the listing's machine type, an image and the booking's key", async () => {
    const adapter = new GcpProvisioner(config, options());
    const machine = await adapter.provision(provisionRequest(42n, belgium));
    assert.deepEqual(machine, { bookingId: 42n, cloud: "gcp", instanceId: "dcloudx-31337-42", state: "pending" });

    const insert = fake.requests.find((r) => r.method === "POST");
    assert.ok(insert);
    assert.equal(insert.url.pathname, `/compute/v1/projects/${PROJECT}/zones/europe-west1-b/instances`);
    assert.match(insert.url.searchParams.get("requestId") ?? "", UUID);
    const body = insert.body as Record<string, unknown> & { metadata: { items: { key: string; value: string }[] } };
    assert.equal(body.name, "dcloudx-31337-42");
    assert.equal(body.machineType, "zones/europe-west1-b/machineTypes/n2-standard-8");
    assert.deepEqual(body.labels, {
      team: "marketplace",
      "dcloudx-booking-id": "42",
      "dcloudx-chain-id": "31337",
      "dcloudx-resource-id": "7",
    });
    assert.deepEqual(bootDisk(body), {
      boot: true,
      autoDelete: true,
      sourceImage: "projects/debian-cloud/global/images/family/debian-12",
      diskSizeGb: "40",
    });
    assert.deepEqual(body.networkInterfaces, [
      { network: "global/networks/default", accessConfigs: [{ name: "External NAT", type: "ONE_TO_ONE_NAT" }] },
    ]);
    assert.deepEqual(body.tags, { items: ["dcloudx-ssh"] });
    const items = Object.fromEntries(body.metadata.items.map((item) => [item.key, item.value]));
    assert.equal(items["enable-oslogin"], "FALSE");
    const [user, authorizedKey] = (items["ssh-keys"] ?? "").split(/:(.*)/s);
    assert.equal(user, "debian");

    fake.setState("dcloudx-31337-42", "RUNNING", "34.76.1.2");
    const running = await adapter.describe(42n);
    assert.equal(running?.state, "running");
    assert.deepEqual(running?.probe, { kind: "tcp", host: "34.76.1.2", port: 22 });
    assert.equal(running?.access?.user, "debian");
    assert.equal(running?.access?.host, "34.76.1.2");
    assertKeyMatches(running, authorizedKey ?? "");
  });

  it("uses the region's subnetwork, and keeps the image's disk size for local storage", async () => {
    const adapter = new GcpProvisioner(config, options());
    const metadata = listing("gcp", "us-central1", {
      osImages: ["debian-12"],
      storage: { sizeGib: 375, type: "nvme" },
    });
    await adapter.provision(provisionRequest(1n, metadata));
    const body = fake.requests.find((r) => r.method === "POST")?.body as Record<string, never>;
    assert.deepEqual(body.networkInterfaces, [
      {
        network: "global/networks/default",
        subnetwork: "regions/us-central1/subnetworks/machines",
        accessConfigs: [{ name: "External NAT", type: "ONE_TO_ONE_NAT" }],
      },
    ]);
    assert.equal(bootDisk(body).diskSizeGb, undefined);
  });

  it("returns the booking's existing instance instead of inserting a second one", async () => {
    const adapter = new GcpProvisioner(config, options());
    const first = await adapter.provision(provisionRequest(42n, belgium));
    const second = await adapter.provision(provisionRequest(42n, belgium));
    assert.deepEqual(second, first);
    assert.equal(fake.count("POST"), 1);
    assert.equal(fake.instances.length, 1);
  });

  it("takes an instance inserted between its lookup and its insert as the booking's machine", async () => {
    await new GcpProvisioner(config, options()).provision(provisionRequest(42n, belgium));
    const late = new GcpProvisioner(config, options());

    // The lookup runs just before the other insert: the same request id makes the insert a no-op.
    fake.failures.add("GET", [200, { items: {} }]);
    assert.equal((await late.provision(provisionRequest(42n, belgium))).instanceId, "dcloudx-31337-42");

    // Once Compute Engine has forgotten the request id, the name conflict (409) says the same.
    fake.forgetRequestIds();
    fake.failures.add("GET", [200, { items: {} }]);
    fake.setState("dcloudx-31337-42", "RUNNING", "34.76.1.2");
    const machine = await late.provision(provisionRequest(42n, belgium));
    assert.equal(machine.state, "running");
    assert.equal(fake.count("POST"), 3);
    assert.equal(fake.instances.length, 1);
  });

  it("after a restart, finds the instance by its labels in any zone and deletes it once", async () => {
    await new GcpProvisioner(config, options()).provision(
      provisionRequest(42n, listing("gcp", "us-central1", { osImages: ["debian-12"] })),
    );
    fake.setState("dcloudx-31337-42", "RUNNING", "35.1.2.3");

    const restarted = new GcpProvisioner(config, options());
    assert.equal((await restarted.describe(42n))?.access?.host, "35.1.2.3");
    await restarted.deprovision(42n);
    const deletes = fake.requests.filter((r) => r.method === "DELETE");
    assert.equal(deletes.length, 1);
    assert.equal(
      deletes[0]?.url.pathname,
      `/compute/v1/projects/${PROJECT}/zones/us-central1-a/instances/dcloudx-31337-42`,
    );
    const deleteId = deletes[0]?.url.searchParams.get("requestId");
    const insertId = fake.requests.find((r) => r.method === "POST")?.url.searchParams.get("requestId");
    assert.notEqual(deleteId, insertId, "a delete must not reuse the insert's request id");

    fake.instances.length = 0; // deletion finished
    await restarted.deprovision(42n);
    assert.equal(await restarted.describe(42n), undefined);
    assert.equal(fake.count("DELETE"), 1);
  });

  it("stops the instance for a grace period keeping its disk, starts it again, each once whatever is repeated", async () => {
    await new GcpProvisioner(config, options()).provision(provisionRequest(42n, belgium));
    fake.setState("dcloudx-31337-42", "RUNNING", "35.1.2.3");
    const restarted = new GcpProvisioner(config, options());
    const powers = () => fake.requests.filter((r) => /\/(stop|start)$/.test(r.url.pathname)).map((r) => r.url.pathname);

    await restarted.pause(42n);
    await restarted.pause(42n); // stopping
    fake.setState("dcloudx-31337-42", "TERMINATED");
    await restarted.pause(42n); // stopped
    assert.equal(powers().length, 1);
    assert.match(powers()[0]!, /\/zones\/europe-west1-b\/instances\/dcloudx-31337-42\/stop$/);
    assert.equal(fake.count("DELETE"), 0, "the instance and its disk are kept");
    assert.equal((await restarted.describe(42n))?.state, "stopped");

    await restarted.resume(42n);
    await restarted.resume(42n); // staging
    assert.equal(powers().length, 2);
    assert.match(powers()[1]!, /\/dcloudx-31337-42\/start$/);

    // Stopped again within the hour: a new request id, or Compute Engine would ignore the call.
    fake.setState("dcloudx-31337-42", "RUNNING");
    await restarted.pause(42n);
    const ids = fake.requests
      .filter((r) => /\/(stop|start)$/.test(r.url.pathname))
      .map((r) => r.url.searchParams.get("requestId"));
    assert.equal(new Set(ids).size, 3);

    assert.equal((await provisionerError(() => restarted.resume(42n))).retryable, true, "still stopping");
    assert.equal((await provisionerError(() => restarted.resume(43n))).retryable, false);
  });

  it("ignores instances that carry the booking id of another chain", async () => {
    await new GcpProvisioner(config, { ...options(), chainId: 1 }).provision(provisionRequest(42n, belgium));
    const adapter = new GcpProvisioner(config, options());
    assert.equal(await adapter.describe(42n), undefined);
    await adapter.deprovision(42n);
    assert.equal(fake.count("DELETE"), 0);
  });

  it("maps Compute Engine statuses", async () => {
    const adapter = new GcpProvisioner(config, options());
    await adapter.provision(provisionRequest(42n, belgium));
    const expected = {
      PROVISIONING: "pending",
      STAGING: "pending",
      RUNNING: "running",
      REPAIRING: "pending",
      STOPPING: "stopped",
      STOPPED: "stopped",
      SUSPENDING: "stopped",
      SUSPENDED: "stopped",
      TERMINATED: "stopped",
    } as const;
    for (const [status, state] of Object.entries(expected)) {
      fake.setState("dcloudx-31337-42", status);
      assert.equal((await adapter.describe(42n))?.state, state, status);
    }
  });

  it("reports quota throttling as retryable with the request id; the retry inserts once with the same id", async () => {
    const adapter = new GcpProvisioner(config, options());
    fake.failures.add("POST", googleError(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded"));
    const error = await provisionerError(() => adapter.provision(provisionRequest(42n, belgium)));
    assert.equal(error.retryable, true);
    const inserts = () => fake.requests.filter((r) => r.method === "POST");
    const requestId = inserts()[0]?.url.searchParams.get("requestId");
    assert.match(error.message, /^gcp instances.insert failed: RESOURCE_EXHAUSTED: .*\(HTTP 429\)/);
    assert.ok(error.message.endsWith(`[request id ${requestId}]`), error.message);

    await adapter.provision(provisionRequest(42n, belgium));
    assert.deepEqual(
      inserts().map((r) => r.url.searchParams.get("requestId")),
      [requestId, requestId],
    );
    assert.equal(fake.instances.length, 1);
  });

  it("rides out a 503 on lookups with the client's retry of idempotent calls", async () => {
    fake.failures.add("GET", googleError(503, "UNAVAILABLE", "backendError"));
    const adapter = new GcpProvisioner(config, options());
    assert.equal(await adapter.describe(42n), undefined);
    assert.equal(fake.count("GET", "/aggregated/instances"), 2);
  });

  it("reports an insert that outlasts its timeout as retryable", async () => {
    fake.insertDelayMs = 1200;
    const adapter = new GcpProvisioner({ ...config, requestTimeoutMs: 1000 }, options());
    const error = await provisionerError(() => adapter.provision(provisionRequest(42n, belgium)));
    assert.equal(error.retryable, true);
    assert.match(error.message, /^gcp instances.insert failed: DEADLINE_EXCEEDED: /);
  });

  it("reports invalid requests and denied permissions as not retryable", async () => {
    const adapter = new GcpProvisioner(config, options());
    fake.failures.add("POST", googleError(400, "INVALID_ARGUMENT", "invalid"));
    const invalid = await provisionerError(() => adapter.provision(provisionRequest(42n, belgium)));
    assert.equal(invalid.retryable, false);
    assert.match(invalid.message, /HTTP 400/);
    assert.doesNotMatch(invalid.message, /PRIVATE KEY|ssh-ed25519|test-token/);

    fake.failures.add("GET", googleError(403, "PERMISSION_DENIED", "forbidden"));
    const denied = await provisionerError(() => adapter.describe(42n));
    assert.equal(denied.retryable, false);
    assert.match(denied.message, /^gcp instances.aggregatedList failed: PERMISSION_DENIED: .*\(HTTP 403\)$/);
  });

  it("refuses listings it cannot serve without calling Compute Engine", async () => {
    const adapter = new GcpProvisioner(config, options());
    for (const metadata of [
      listing("aws", "us-east-1"),
      listing("gcp", "asia-east1"),
      listing("gcp", "europe-west1", { osImages: ["windows-2022"] }),
    ]) {
      const error = await provisionerError(() => adapter.provision(provisionRequest(42n, metadata)));
      assert.equal(error.retryable, false);
    }
    assert.equal(fake.requests.length, 0);
  });

  it("reads instance uptime per minute from Cloud Monitoring", async () => {
    const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 1, 12, minute, second)).toISOString();
    fake.timeSeries = [
      {
        metric: { type: "compute.googleapis.com/instance/uptime", labels: { instance_name: "dcloudx-31337-42" } },
        valueType: "DOUBLE",
        points: [
          { interval: { startTime: at(2), endTime: at(3) }, value: { doubleValue: 12.5 } },
          { interval: { startTime: at(1), endTime: at(2) }, value: { doubleValue: 59.4 } },
          { interval: { startTime: at(0), endTime: at(1) }, value: { doubleValue: 60 } },
        ],
      },
    ];
    const adapter = new GcpProvisioner(config, options());
    const from = Date.parse(at(0));
    const samples = await adapter.metrics(42n, from, Date.parse(at(3, 30)));
    const source = "cloud-monitoring:instance/uptime";
    assert.deepEqual(samples, [
      { timestampMs: Date.parse(at(1)), available: true, source },
      { timestampMs: Date.parse(at(2)), available: true, source },
      { timestampMs: Date.parse(at(3)), available: false, source },
    ]);
    const [request] = fake.requests;
    assert.equal(request?.url.pathname, `/v3/projects/${PROJECT}/timeSeries`);
    assert.equal(
      request?.url.searchParams.get("filter"),
      'metric.type = "compute.googleapis.com/instance/uptime" AND metric.labels.instance_name = "dcloudx-31337-42"',
    );
    assert.equal(request?.url.searchParams.get("interval.startTime"), at(0));
    assert.equal(request?.url.searchParams.get("interval.endTime"), at(3, 30));

    fake.timeSeries = [];
    assert.deepEqual(await adapter.metrics(99n, from, from + 60_000), []);
  });
});

describe("GCP verify", () => {
  it("attests a machine type that exists in the region's zone and refuses one that does not", async () => {
    const types = `/compute/v1/projects/${PROJECT}/zones/europe-west1-b/machineTypes`;
    nock.cleanAll(); // only the answers below
    nock(COMPUTE)
      .get(`${types}/n2-standard-8`)
      .reply(200, { name: "n2-standard-8", guestCpus: 8 })
      .get(`${types}/n9-imaginary-8`)
      .reply(...googleError(404, "NOT_FOUND", "notFound"));
    const adapter = new GcpProvisioner(config, options());
    assert.deepEqual(await adapter.verify(belgium), { accountId: `gcp:${PROJECT}` });
    const lie = listing("gcp", "europe-west1", { instanceType: "n9-imaginary-8", osImages: ["debian-12"] });
    const refused = await provisionerError(() => adapter.verify(lie));
    assert.match(refused.message, /n9-imaginary-8 does not exist in europe-west1-b/);
    assert.equal(refused.retryable, false);
  });
});
