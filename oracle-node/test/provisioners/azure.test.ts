import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { beforeEach, describe, it } from "node:test";

import nock from "nock";

import { AzureProvisioner, type AzureConfig } from "../../src/provisioners/azure.ts";
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

const ARM = "https://management.azure.com";
const SUBSCRIPTION = "00000000-1111-2222-3333-444444444444";
const GROUP = "dcloudx-machines";
const VMS = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP}/providers/Microsoft.Compute/virtualMachines`;
const VNET = `/subscriptions/${SUBSCRIPTION}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/main`;
const NSG = `/subscriptions/${SUBSCRIPTION}/resourceGroups/net/providers/Microsoft.Network/networkSecurityGroups/ssh`;

const config: AzureConfig = {
  subscriptionId: SUBSCRIPTION,
  resourceGroup: GROUP,
  locations: {
    westeurope: { subnetId: `${VNET}/subnets/machines`, networkSecurityGroupId: NSG },
  },
  images: {
    "ubuntu-24.04": {
      imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server" },
      user: "azureuser",
    },
  },
  tags: { "cost-center": "marketplace" },
};
const credential = {
  getToken: async () => ({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};
// Real retry policy, short delays: a 429 or 503 is retried by the SDK before the adapter sees it.
const options = {
  chainId: CHAIN_ID,
  sshKeyMaterial: KEY_MATERIAL,
  credential,
  clientOptions: { retryOptions: { maxRetries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 5 } },
};
const westEurope = listing("azure", "westeurope", { instanceType: "Standard_D4s_v5" });
const dnsLabel = (name: string) =>
  `${name}-${createHash("sha256").update(`${SUBSCRIPTION}/${GROUP}`).digest("hex").slice(0, 8)}`;

/**
 * Azure Resource Manager for virtual machines and metrics, as far as the adapter uses it: PUT with
 * If-None-Match, GET with the instance view, DELETE, and failures on demand. Every request is recorded.
 */
class FakeArm {
  readonly requests: HttpRequest[] = [];
  readonly vms = new Map<string, Record<string, unknown>>();
  /** Replies that stand in for the next answers to a method. */
  readonly failures = new FailureQueue<Reply>();
  metricsReply: Reply = [200, { timespan: "", value: [] }];

  constructor() {
    answerHttp(ARM, ["GET", "PUT", "POST", "DELETE"], (request) => this.handle(request));
  }

  setState(name: string, provisioningState: string, power?: string) {
    const vm = this.vms.get(name);
    assert.ok(vm, `no machine ${name}`);
    const properties = vm.properties as Record<string, unknown>;
    properties.provisioningState = provisioningState;
    properties.instanceView = { statuses: power ? [{ code: `PowerState/${power}` }] : [] };
  }

  handle(request: HttpRequest): Reply {
    this.requests.push(request);
    const failure = this.failures.take(request.method);
    if (failure) return failure;
    assert.equal(request.headers.authorization, "Bearer test-token");

    const path = request.url.pathname;
    if (path.endsWith("/providers/Microsoft.Insights/metrics")) return this.metricsReply;
    const power = /^(.*)\/(deallocate|start)$/.exec(path);
    if (request.method === "POST" && power) {
      const name = power[1]!.slice(VMS.length + 1);
      this.setState(name, "Succeeded", power[2] === "start" ? "starting" : "deallocating");
      return [202, undefined, { "Azure-AsyncOperation": `${ARM}/operations/${power[2]}-${name}` }];
    }
    const name = path.startsWith(`${VMS}/`) ? path.slice(VMS.length + 1) : undefined;
    assert.ok(name, `unexpected request ${request.method} ${path}`);
    const vm = this.vms.get(name);
    const notFound: Reply = [404, { error: { code: "ResourceNotFound", message: `${name} not found` } }];
    switch (request.method) {
      case "GET":
        return vm ? [200, vm, { "x-ms-request-id": "req-get" }] : notFound;
      case "PUT": {
        if (vm && request.headers["if-none-match"] === "*") {
          return [412, { error: { code: "PreconditionFailed", message: "exists" } }];
        }
        const created = structuredClone(request.body) as Record<string, unknown>;
        Object.assign(created, { id: `${VMS}/${name}`, name });
        (created.properties as Record<string, unknown>).provisioningState = "Creating";
        this.vms.set(name, created);
        return [201, created, { "Azure-AsyncOperation": `${ARM}/operations/create-${name}` }];
      }
      case "DELETE":
        if (!vm) return [204];
        this.setState(name, "Deleting");
        return [202, undefined, { "Azure-AsyncOperation": `${ARM}/operations/delete-${name}` }];
    }
    assert.fail(`unexpected method ${request.method}`);
  }

  count(method: string) {
    return this.requests.filter((request) => request.method === method).length;
  }
}

let fake: FakeArm;

withoutNetwork();
beforeEach(() => {
  fake = new FakeArm();
});

describe("Azure adapter", () => {
  it("creates a tagged VM named after the booking, with the listing's size and image and the booking's key", async () => {
    const adapter = new AzureProvisioner(config, options);
    const machine = await adapter.provision(provisionRequest(42n, westEurope));
    assert.deepEqual(machine, { bookingId: 42n, cloud: "azure", instanceId: "dcloudx-31337-42", state: "pending" });

    const put = fake.requests.find((request) => request.method === "PUT");
    assert.ok(put);
    assert.equal(put.url.pathname, `${VMS}/dcloudx-31337-42`);
    assert.equal(put.headers["if-none-match"], "*");
    const body = put.body as {
      location: string;
      tags: Record<string, string>;
      properties: {
        hardwareProfile: unknown;
        storageProfile: unknown;
        networkProfile: unknown;
        osProfile: {
          computerName: string;
          adminUsername: string;
          linuxConfiguration: {
            disablePasswordAuthentication: boolean;
            ssh: { publicKeys: { path: string; keyData: string }[] };
          };
        };
      };
    };
    assert.equal(body.location, "westeurope");
    assert.deepEqual(body.tags, {
      "cost-center": "marketplace",
      "dcloudx:booking-id": "42",
      "dcloudx:chain-id": "31337",
      "dcloudx:resource-id": "7",
      "dcloudx:consumer": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    });
    const { hardwareProfile, storageProfile, osProfile: ssh, networkProfile } = body.properties;
    assert.deepEqual(hardwareProfile, { vmSize: "Standard_D4s_v5" });
    assert.deepEqual(storageProfile, {
      imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
      osDisk: { createOption: "FromImage", deleteOption: "Delete", diskSizeGB: 40 },
    });
    assert.equal(ssh.computerName, "dcloudx-31337-42");
    assert.equal(ssh.adminUsername, "azureuser");
    assert.equal(ssh.linuxConfiguration.disablePasswordAuthentication, true);
    const [publicKey] = ssh.linuxConfiguration.ssh.publicKeys;
    assert.equal(publicKey?.path, "/home/azureuser/.ssh/authorized_keys");
    assert.deepEqual(networkProfile, {
      networkApiVersion: "2020-11-01",
      networkInterfaceConfigurations: [
        {
          name: "dcloudx-31337-42",
          properties: {
            primary: true,
            deleteOption: "Delete",
            networkSecurityGroup: { id: NSG },
            ipConfigurations: [
              {
                name: "dcloudx-31337-42",
                properties: {
                  subnet: { id: `${VNET}/subnets/machines` },
                  publicIPAddressConfiguration: {
                    name: "dcloudx-31337-42",
                    sku: { name: "Standard", tier: "Regional" },
                    properties: {
                      publicIPAllocationMethod: "Static",
                      deleteOption: "Delete",
                      dnsSettings: { domainNameLabel: dnsLabel("dcloudx-31337-42") },
                    },
                  },
                },
              },
            ],
          },
        },
      ],
    });

    fake.setState("dcloudx-31337-42", "Succeeded", "running");
    const running = await adapter.describe(42n);
    assert.equal(running?.state, "running");
    const host = `${dnsLabel("dcloudx-31337-42")}.westeurope.cloudapp.azure.com`;
    assert.deepEqual(running?.probe, { kind: "tcp", host, port: 22 });
    assert.equal(running?.access?.host, host);
    assert.equal(running?.access?.user, "azureuser");
    assertKeyMatches(running, publicKey?.keyData ?? "");
  });

  it("returns the booking's existing VM instead of creating a second one", async () => {
    const adapter = new AzureProvisioner(config, options);
    const first = await adapter.provision(provisionRequest(42n, westEurope));
    const second = await adapter.provision(provisionRequest(42n, westEurope));
    assert.deepEqual(second, first);
    assert.equal(fake.count("PUT"), 1);
  });

  it("takes a VM created between its lookup and its PUT (If-None-Match refused) as the booking's machine", async () => {
    const other = new AzureProvisioner(config, options);
    const adapter = new AzureProvisioner(config, options);
    await other.provision(provisionRequest(42n, westEurope));
    // The lookup misses (as if it ran just before the other node's PUT); the PUT is then refused.
    fake.failures.add("GET", [404, { error: { code: "ResourceNotFound", message: "not yet" } }]);
    const machine = await adapter.provision(provisionRequest(42n, westEurope));
    assert.equal(machine.instanceId, "dcloudx-31337-42");
    assert.equal(fake.count("PUT"), 2);
    assert.equal(fake.vms.size, 1);
  });

  it("after a restart, finds the VM by name, checks its tags and deletes it once", async () => {
    await new AzureProvisioner(config, options).provision(provisionRequest(42n, westEurope));
    fake.setState("dcloudx-31337-42", "Succeeded", "running");

    const restarted = new AzureProvisioner(config, options);
    assert.equal((await restarted.describe(42n))?.state, "running");
    await restarted.deprovision(42n);
    const deletes = fake.requests.filter((request) => request.method === "DELETE");
    assert.deepEqual(
      deletes.map((request) => request.url.pathname),
      [`${VMS}/dcloudx-31337-42`],
    );

    const deleting = await restarted.describe(42n);
    assert.equal(deleting?.state, "terminated");
    assert.equal(deleting?.access, undefined);
    await restarted.deprovision(42n); // already being deleted
    fake.vms.clear();
    await restarted.deprovision(42n); // gone
    assert.equal(await restarted.describe(42n), undefined);
    assert.equal(fake.count("DELETE"), 1);
  });

  it("deallocates the VM for a grace period keeping its disks and address, starts it again, each once", async () => {
    await new AzureProvisioner(config, options).provision(provisionRequest(42n, westEurope));
    fake.setState("dcloudx-31337-42", "Succeeded", "running");
    const before = await new AzureProvisioner(config, options).describe(42n);

    const restarted = new AzureProvisioner(config, options);
    await restarted.pause(42n);
    await restarted.pause(42n); // deallocating
    fake.setState("dcloudx-31337-42", "Succeeded", "deallocated");
    await restarted.pause(42n);
    const posts = () => fake.requests.filter((r) => r.method === "POST").map((r) => r.url.pathname);
    assert.deepEqual(posts(), [`${VMS}/dcloudx-31337-42/deallocate`]);
    assert.equal(fake.count("DELETE"), 0, "the VM and its disks are kept");
    assert.equal((await restarted.describe(42n))?.state, "stopped");

    await restarted.resume(42n);
    await restarted.resume(42n); // starting
    assert.deepEqual(posts(), [`${VMS}/dcloudx-31337-42/deallocate`, `${VMS}/dcloudx-31337-42/start`]);
    fake.setState("dcloudx-31337-42", "Succeeded", "running");
    const after = await restarted.describe(42n);
    assert.equal(after?.access?.host, before?.access?.host, "the static address and DNS name stay");

    fake.setState("dcloudx-31337-42", "Succeeded", "deallocating");
    assert.equal((await provisionerError(() => restarted.resume(42n))).retryable, true);
    assert.equal((await provisionerError(() => restarted.resume(43n))).retryable, false);
    await restarted.pause(43n);
  });

  it("refuses to describe or delete a VM with the booking's name but not its tags", async () => {
    const adapter = new AzureProvisioner(config, options);
    await adapter.provision(provisionRequest(42n, westEurope));
    (fake.vms.get("dcloudx-31337-42")!.tags as Record<string, string>)["dcloudx:chain-id"] = "1";
    for (const action of [() => adapter.describe(42n), () => adapter.deprovision(42n)]) {
      const error = await provisionerError(action);
      assert.equal(error.retryable, false);
      assert.match(error.message, /is not tagged as booking 42's machine/);
    }
    assert.equal(fake.count("DELETE"), 0);
  });

  it("maps provisioning and power states", async () => {
    const adapter = new AzureProvisioner(config, options);
    await adapter.provision(provisionRequest(42n, westEurope));
    const cases = [
      ["Creating", undefined, "pending"],
      ["Creating", "starting", "pending"],
      ["Succeeded", "running", "running"],
      ["Succeeded", "stopping", "stopped"],
      ["Succeeded", "stopped", "stopped"],
      ["Succeeded", "deallocating", "stopped"],
      ["Succeeded", "deallocated", "stopped"],
      ["Failed", undefined, "stopped"],
      ["Deleting", "running", "terminated"],
    ] as const;
    for (const [provisioning, power, state] of cases) {
      fake.setState("dcloudx-31337-42", provisioning, power);
      const machine = await adapter.describe(42n);
      assert.equal(machine?.state, state, `${provisioning} ${power}`);
      assert.equal(machine?.access !== undefined, provisioning === "Succeeded", `access when ${provisioning}`);
    }
  });

  it("rides out throttling with the SDK's retry policy, honouring Retry-After", async () => {
    fake.failures.add("PUT", [
      429,
      { error: { code: "TooManyRequests", message: "slow down" } },
      { "Retry-After": "0" },
    ]);
    const machine = await new AzureProvisioner(config, options).provision(provisionRequest(42n, westEurope));
    assert.equal(machine.state, "pending");
    assert.equal(fake.count("PUT"), 2);
    assert.equal(fake.vms.size, 1);
  });

  it("reports throttling and 5xx that outlast the retries as retryable, with the request id", async () => {
    const adapter = new AzureProvisioner(config, options);
    const throttled: [number, unknown, Record<string, string>] = [
      429,
      { error: { code: "TooManyRequests", message: "slow down" } },
      { "Retry-After": "0", "x-ms-request-id": "req-429" },
    ];
    fake.failures.add("GET", throttled, throttled, throttled);
    const error = await provisionerError(() => adapter.describe(42n));
    assert.equal(error.retryable, true);
    assert.match(
      error.message,
      /^azure virtualMachines.get failed: TooManyRequests: .*\(HTTP 429\) \[request id req-429\]$/,
    );
    assert.equal(fake.count("GET"), 3, "one try and two retries");

    const unavailable: [number, unknown, Record<string, string>] = [
      503,
      { error: { code: "ServiceUnavailable", message: "try later" } },
      { "x-ms-request-id": "req-503" },
    ];
    fake.failures.add("PUT", unavailable, unavailable, unavailable);
    const serverError = await provisionerError(() => adapter.provision(provisionRequest(42n, westEurope)));
    assert.equal(serverError.retryable, true);
    assert.match(serverError.message, /HTTP 503\) \[request id req-503\]$/);
  });

  it("reports bad requests and refused authorization as not retryable", async () => {
    const adapter = new AzureProvisioner(config, options);
    fake.failures.add("PUT", [
      400,
      { error: { code: "InvalidParameter", message: "The value of parameter vmSize is invalid." } },
      { "x-ms-request-id": "req-400" },
    ]);
    const invalid = await provisionerError(() => adapter.provision(provisionRequest(42n, westEurope)));
    assert.equal(invalid.retryable, false);
    assert.match(invalid.message, /InvalidParameter: .*vmSize.*\(HTTP 400\) \[request id req-400\]/);
    assert.doesNotMatch(invalid.message, /PRIVATE KEY|ssh-ed25519|test-token/);

    fake.failures.add("GET", [403, { error: { code: "AuthorizationFailed", message: "no access" } }]);
    const denied = await provisionerError(() => adapter.describe(42n));
    assert.equal(denied.retryable, false);
    assert.match(denied.message, /AuthorizationFailed/);

    const noIdentity = new AzureProvisioner(config, {
      ...options,
      credential: {
        getToken: async () => {
          throw Object.assign(new Error("no identity configured"), { name: "CredentialUnavailableError" });
        },
      },
    });
    const unavailable = await provisionerError(() => noIdentity.describe(42n));
    assert.equal(unavailable.retryable, false);
    assert.match(unavailable.message, /CredentialUnavailableError/);
  });

  it("reports a request that outlasts its timeout as retryable", async () => {
    nock.cleanAll();
    // Answers after 1.2 s; the adapter gives up after 1 s.
    nock(ARM)
      .get(`${VMS}/dcloudx-31337-42`)
      .query(true)
      .reply(() => new Promise((resolve) => setTimeout(() => resolve([404, {}]), 1200)));
    const adapter = new AzureProvisioner(
      { ...config, requestTimeoutMs: 1000 },
      {
        ...options,
        clientOptions: { retryOptions: { maxRetries: 0 } },
      },
    );
    const error = await provisionerError(() => adapter.describe(42n));
    assert.equal(error.retryable, true, error.message);
  });

  it("reads VmAvailabilityMetric per minute from Azure Monitor", async () => {
    const minute = (n: number) => new Date(Date.UTC(2026, 10, 1, 12, n));
    fake.metricsReply = [
      200,
      {
        timespan: "x",
        interval: "PT1M",
        value: [
          {
            id: "m",
            type: "Microsoft.Insights/metrics",
            name: { value: "VmAvailabilityMetric" },
            unit: "Count",
            timeseries: [
              {
                data: [
                  { timeStamp: minute(1).toISOString(), minimum: 0 },
                  { timeStamp: minute(0).toISOString(), minimum: 1 },
                  { timeStamp: minute(2).toISOString() },
                  { timeStamp: minute(3).toISOString(), minimum: 1 },
                ],
              },
            ],
          },
        ],
      },
    ];
    const adapter = new AzureProvisioner(config, options);
    const samples = await adapter.metrics(42n, minute(0).getTime(), minute(4).getTime());
    const source = "azure-monitor:VmAvailabilityMetric";
    assert.deepEqual(samples, [
      { timestampMs: minute(0).getTime(), available: true, source },
      { timestampMs: minute(1).getTime(), available: false, source },
      { timestampMs: minute(3).getTime(), available: true, source },
    ]);
    const [request] = fake.requests;
    assert.equal(request?.url.pathname, `${VMS}/dcloudx-31337-42/providers/Microsoft.Insights/metrics`);
    assert.equal(request?.url.searchParams.get("metricnames"), "VmAvailabilityMetric");
    assert.equal(request?.url.searchParams.get("aggregation"), "Minimum");
    assert.equal(request?.url.searchParams.get("interval"), "PT1M");
    assert.equal(request?.url.searchParams.get("timespan"), `${minute(0).toISOString()}/${minute(4).toISOString()}`);

    fake.metricsReply = [404, { error: { code: "ResourceNotFound", message: "gone" } }];
    assert.deepEqual(await adapter.metrics(42n, 0, 1), [], "no machine, no samples");
  });
});

describe("Azure verify", () => {
  it("attests a VM size offered in the location and refuses one that is absent or restricted there", async () => {
    const skus = {
      value: [
        { resourceType: "virtualMachines", name: "Standard_D4s_v5", locations: ["westeurope"], restrictions: [] },
        {
          resourceType: "virtualMachines",
          name: "Standard_NC24ads_A100_v4",
          locations: ["westeurope"],
          restrictions: [{ type: "Location", values: ["westeurope"], reasonCode: "NotAvailableForSubscription" }],
        },
      ],
    };
    nock.cleanAll(); // only the answers below
    nock(ARM)
      .get(`/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/skus`)
      .query((query) => query.$filter === "location eq 'westeurope'")
      .times(3)
      .reply(200, skus);
    const adapter = new AzureProvisioner(config, options);
    assert.deepEqual(await adapter.verify(westEurope), { accountId: `azure:${SUBSCRIPTION}` });
    const absent = await provisionerError(() =>
      adapter.verify(listing("azure", "westeurope", { instanceType: "Standard_Z99" })),
    );
    assert.match(absent.message, /Standard_Z99 is not offered in westeurope/);
    const restricted = await provisionerError(() =>
      adapter.verify(listing("azure", "westeurope", { instanceType: "Standard_NC24ads_A100_v4" })),
    );
    assert.match(restricted.message, /restricted in westeurope \(NotAvailableForSubscription\)/);
    assert.equal(restricted.retryable, false);
  });
});
