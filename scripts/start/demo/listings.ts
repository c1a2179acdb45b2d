/**
 * The demo's providers and listings. #3 "Loopback Labs" lists every `local` resource: the stack's
 * oracle node serves that provider, and provisions a real workload on this machine for each of its
 * bookings. #4 and #5 list aws, azure and gcp machines, which no oracle node can provision locally.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { ResourceKind } from "@d-cloudx/sdk/protocol";

const EXAMPLES = fileURLToPath(new URL("../../../sdk/examples/", import.meta.url));

/** Indexes of the Hardhat accounts with a role in the demo. */
export const ORACLE = 2;
export const LOOPBACK = 3;
export const NIMBUS = 4;
export const CONTOSO = 5;
export const ALICE = 6;
export const BOB = 7;

/** Roles of the Hardhat accounts in the demo (indexes into the node's accounts). */
export const DEMO_ROLES: Record<number, string> = {
  0: "deployer, guardian, DAO voter",
  [ORACLE]: "oracle node a (SLA signer, verifier, provisions)",
  [LOOPBACK]: "provider Loopback Labs (local resources, served by the oracle nodes)",
  [NIMBUS]: "provider Nimbus Compute Cooperative (aws, gcp)",
  [CONTOSO]: "provider Contoso Cloud Partners (azure)",
  [ALICE]: "consumer",
  [BOB]: "consumer",
  10: "oracle node b (SLA signer, verifier)",
  11: "oracle node c (SLA signer, verifier)",
};

export interface Listing {
  provider: number;
  metadata: Record<string, unknown>;
  kind: number;
  pricePerHourUsd: number;
  tokens: string[];
  uptimeTargetBps: number;
  maxLatencyMs: number;
  capacity?: number;
}

export const example = (name: string) =>
  JSON.parse(readFileSync(`${EXAMPLES}${name}`, "utf8")) as Record<string, unknown>;
export const exampleFile = (name: string) => readFileSync(`${EXAMPLES}${name}`);

/** A loopback HTTP workload, as the oracle node's `local` adapter runs it. */
const loopback = (name: string, vcpu: number, memoryGib: number, sizeGib: number) => ({
  version: 1,
  name,
  description:
    "An HTTP workload on the oracle operator's own machine, provisioned on booking: a bearer-token " +
    "protected file store you reach with the access details in your dashboard.",
  cloud: "local",
  region: "local",
  instanceType: "loopback-http",
  vcpu,
  memoryGib,
  storage: { sizeGib, type: "ssd" },
  network: { bandwidthGbps: 1 },
  osImages: ["node-22"],
  tags: ["http", "file-store"],
});

/** Object storage on the oracle operator's machine, served by the local emulators (s3rver, Azurite). */
/** A bucket (or container) on the loopback provider's machine; both APIs are sold on the same terms. */
const loopbackBucket = (name: string, api: "s3" | "azure-blob", storageClass: string): Listing => ({
  provider: LOOPBACK,
  metadata: {
    version: 1,
    service: "object-storage",
    name,
    description:
      `A private ${api === "s3" ? "S3 bucket" : "Azure Blob container"} on the oracle operator's machine, made on ` +
      "booking and deleted at its end; the access details in your dashboard hold the credentials and commands to paste.",
    cloud: "local",
    region: "local",
    api,
    storageClass,
    redundancy: "single-zone",
    capacityGib: 5,
    includedEgressGib: 5,
    tags: ["object-storage"],
  },
  kind: ResourceKind.Storage,
  pricePerHourUsd: 0.05,
  tokens: ["ETH", "USDC", "DAI", "DCX"],
  uptimeTargetBps: 9_900,
  maxLatencyMs: 500,
  capacity: 20,
});

/** In this order: the demo's bookings refer to them by position. */
export const LISTINGS: Listing[] = [
  {
    provider: LOOPBACK,
    metadata: loopback("Loopback file store, small", 1, 1, 1),
    kind: ResourceKind.Container,
    pricePerHourUsd: 0.5,
    tokens: ["ETH", "USDC", "DAI", "DCX"],
    uptimeTargetBps: 9_900,
    maxLatencyMs: 500,
    capacity: 50,
  },
  {
    provider: LOOPBACK,
    metadata: loopback("Loopback file store, large", 2, 4, 20),
    kind: ResourceKind.Container,
    pricePerHourUsd: 1.2,
    tokens: ["ETH", "USDC", "DCX"],
    uptimeTargetBps: 9_950,
    maxLatencyMs: 250,
    capacity: 20,
  },
  {
    provider: NIMBUS,
    metadata: example("aws-g5-xlarge.json"),
    kind: ResourceKind.GpuMachine,
    pricePerHourUsd: 1.4,
    tokens: ["ETH", "USDC", "DCX"],
    uptimeTargetBps: 9_950,
    maxLatencyMs: 200,
  },
  {
    provider: NIMBUS,
    metadata: example("gcp-n2-standard-8.json"),
    kind: ResourceKind.VirtualMachine,
    pricePerHourUsd: 0.45,
    tokens: ["ETH", "USDC", "DAI"],
    uptimeTargetBps: 9_900,
    maxLatencyMs: 150,
  },
  {
    // A `local` machine: listed by the provider whose bookings the stack's oracle node provisions.
    provider: LOOPBACK,
    metadata: example("local-workstation.json"),
    kind: ResourceKind.BareMetal,
    pricePerHourUsd: 0.9,
    tokens: ["USDC", "DAI"],
    uptimeTargetBps: 9_500,
    maxLatencyMs: 0,
    capacity: 1,
  },
  loopbackBucket("Loopback S3 bucket, 5 GiB", "s3", "STANDARD"),
  loopbackBucket("Loopback Azure Blob container, 5 GiB", "azure-blob", "Standard_LRS"),
  {
    provider: CONTOSO,
    metadata: example("azure-standard-d4s-v5.json"),
    kind: ResourceKind.VirtualMachine,
    pricePerHourUsd: 0.25,
    tokens: ["ETH", "USDC", "DAI", "DCX"],
    uptimeTargetBps: 9_990,
    maxLatencyMs: 100,
  },
];

export const PROFILES: Record<number, Record<string, unknown>> = {
  [LOOPBACK]: {
    version: 1,
    displayName: "Loopback Labs",
    contact: "ops@loopback-labs.example.net",
    description: "Runs the demo's oracle node: every booking gets a real workload on this machine.",
  },
  [NIMBUS]: example("provider-profile.json"),
  [CONTOSO]: {
    version: 1,
    displayName: "Contoso Cloud Partners",
    website: "https://contoso-cloud.example.com",
    contact: "hello@contoso-cloud.example.com",
    description: "Reserved Azure capacity resold by the hour, in West Europe.",
  },
};
