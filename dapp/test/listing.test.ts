import { describe, expect, it } from "vitest";
import type { Address } from "viem";

import {
  type ListingForm,
  checkListing,
  checkTerms,
  emptyMetadataForm,
  emptyTermsForm,
  loosensSla,
  metadataDocument,
  metadataForm,
  termsForm,
  usdToE8,
} from "../src/pages/provider/listing.ts";
import { checkProfile } from "../src/pages/provider/profile.ts";

const ETH = "0x0000000000000000000000000000000000000000" as Address;
const USDC = "0x3Aa5ebB10DC797CAC828524e59A333d0A371443c" as Address;
const tokens = [ETH, USDC];

const valid: ListingForm = {
  ...emptyMetadataForm,
  ...emptyTermsForm,
  name: "AWS g5.xlarge with NVIDIA A10G",
  description: "One A10G for inference.\nNVMe instance store.",
  cloud: "aws",
  region: "us-east-1",
  instanceType: "g5.xlarge",
  vcpu: "4",
  memoryGib: "16",
  hasGpu: true,
  gpuModel: "NVIDIA A10G",
  gpuCount: "1",
  gpuMemoryGib: "24",
  storageSizeGib: "250",
  storageType: "nvme",
  bandwidthGbps: "10",
  osImages: "ubuntu-22.04\namazon-linux-2023",
  tags: "gpu, ml-inference cuda",
  kind: "1",
  pricePerHourUsd: "1.006",
  capacity: "2",
  minHours: "1",
  maxHours: "72",
  uptimeTargetPercent: "99.95",
  maxLatencyMs: "150",
  acceptedTokens: [ETH, USDC],
};

function errorsOf(form: Partial<ListingForm>) {
  const result = checkListing({ ...valid, ...form }, tokens);
  return result.ok ? {} : result.errors;
}

describe("checkListing", () => {
  it("turns a valid form into the metadata document and the contract's terms", () => {
    const result = checkListing(valid, tokens);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.metadata).toEqual({
      version: 1,
      name: "AWS g5.xlarge with NVIDIA A10G",
      description: "One A10G for inference.\nNVMe instance store.",
      cloud: "aws",
      region: "us-east-1",
      instanceType: "g5.xlarge",
      vcpu: 4,
      memoryGib: 16,
      gpu: { model: "NVIDIA A10G", count: 1, memoryGib: 24 },
      storage: { sizeGib: 250, type: "nvme" },
      network: { bandwidthGbps: 10 },
      osImages: ["ubuntu-22.04", "amazon-linux-2023"],
      tags: ["gpu", "ml-inference", "cuda"],
    });
    expect(result.value.kind).toBe(1);
    expect(result.value.region).toBe("us-east-1");
    expect(result.value.terms).toEqual({
      pricePerHourUsdE8: 100_600_000n,
      capacity: 2,
      minHours: 1,
      maxHours: 72,
      uptimeTargetBps: 9995,
      maxLatencyMs: 150,
      acceptedTokens: [ETH, USDC],
    });
  });

  it("leaves optional parts out when they are empty", () => {
    const document = metadataDocument({ ...valid, description: " ", hasGpu: false, tags: "" });
    expect(document).not.toHaveProperty("description");
    expect(document).not.toHaveProperty("gpu");
    expect(document).not.toHaveProperty("tags");
    expect(checkListing({ ...valid, description: "", hasGpu: false, tags: "", maxLatencyMs: "" }, tokens).ok).toBe(
      true,
    );
  });

  it.each<[Partial<ListingForm>, keyof ListingForm, RegExp]>([
    [{ name: "" }, "name", /^required$/],
    [{ name: "x".repeat(81) }, "name", /^must be at most 80 characters$/],
    [{ description: "bad\u0007bell" }, "description", /control characters/],
    [{ cloud: "digitalocean" }, "cloud", /^must be one of aws, azure, gcp, local, other$/],
    [{ region: "US East" }, "region", /lowercase/],
    [{ region: "a".repeat(33) }, "region", /32/],
    [{ instanceType: "g5 xlarge" }, "instanceType", /letters and digits/],
    [{ vcpu: "" }, "vcpu", /^required$/],
    [{ vcpu: "2.5" }, "vcpu", /^must be a whole number$/],
    [{ vcpu: "lots" }, "vcpu", /^must be a number$/],
    [{ memoryGib: "0" }, "memoryGib", /^must be more than 0$/],
    [{ gpuModel: "" }, "gpuModel", /^required$/],
    [{ gpuCount: "0" }, "gpuCount", /^must be at least 1$/],
    [{ gpuMemoryGib: "-1" }, "gpuMemoryGib", /^must be more than 0$/],
    [{ storageSizeGib: "" }, "storageSizeGib", /required/],
    [{ storageType: "tape" }, "storageType", /^must be one of ssd, nvme, hdd, network$/],
    [{ bandwidthGbps: "100000" }, "bandwidthGbps", /^must be at most 10000$/],
    [{ osImages: "" }, "osImages", /^add at least 1$/],
    [{ osImages: "ubuntu, ubuntu" }, "osImages", /repeat/],
    [{ tags: "GPU" }, "tags", /lowercase.*"GPU"/],
    [{ kind: "9" }, "kind", /kind/],
    [{ pricePerHourUsd: "" }, "pricePerHourUsd", /amount/],
    [{ pricePerHourUsd: "1,50" }, "pricePerHourUsd", /amount/],
    [{ pricePerHourUsd: "0.000000001" }, "pricePerHourUsd", /at least/],
    [{ capacity: "0" }, "capacity", /1 to 65535/],
    [{ minHours: "1.5" }, "minHours", /whole number/],
    [{ minHours: "10", maxHours: "5" }, "maxHours", /below the minimum/],
    [{ maxHours: "70000" }, "maxHours", /65535/],
    [{ uptimeTargetPercent: "100.5" }, "uptimeTargetPercent", /0 to 100/],
    [{ uptimeTargetPercent: "high" }, "uptimeTargetPercent", /0 to 100/],
    [{ uptimeTargetPercent: "99.955" }, "uptimeTargetPercent", /at most 2 decimals/],
    [{ maxLatencyMs: "-5" }, "maxLatencyMs", /milliseconds/],
    [{ acceptedTokens: [] }, "acceptedTokens", /at least one/],
    [{ acceptedTokens: ["0x000000000000000000000000000000000000dEaD"] }, "acceptedTokens", /at least one/],
  ])("refuses %o with an error on %s", (change, field, message) => {
    const errors = errorsOf(change);
    expect(errors[field]).toMatch(message);
    expect(Object.keys(errors)).toEqual([field]);
  });
});

describe("object storage listings", () => {
  const bucket: Partial<ListingForm> = {
    service: "object-storage",
    name: "S3 Standard bucket, 500 GiB",
    cloud: "aws",
    region: "eu-central-1",
    storageApi: "s3",
    storageClass: "STANDARD",
    redundancy: "multi-zone",
    capacityGib: "500",
    includedEgressGib: "50",
    tags: "backup",
    kind: "2",
  };

  it("publishes a storage document without a machine's fields, and reads it back into the form", () => {
    const result = checkListing({ ...valid, ...bucket }, tokens);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.metadata).toEqual({
      version: 1,
      service: "object-storage",
      name: "S3 Standard bucket, 500 GiB",
      description: valid.description,
      cloud: "aws",
      region: "eu-central-1",
      api: "s3",
      storageClass: "STANDARD",
      redundancy: "multi-zone",
      capacityGib: 500,
      includedEgressGib: 50,
      tags: ["backup"],
    });
    const back = metadataForm(result.value.metadata);
    expect(metadataDocument(back)).toEqual(result.value.metadata);
  });

  it("checks each storage field by the shared schema, on the field that holds it", () => {
    expect(errorsOf({ ...bucket, capacityGib: "0" }).capacityGib).toMatch(/./);
    expect(errorsOf({ ...bucket, capacityGib: "1.5" }).capacityGib).toMatch(/./);
    expect(errorsOf({ ...bucket, includedEgressGib: "-1" }).includedEgressGib).toMatch(/./);
    expect(errorsOf({ ...bucket, storageClass: "Standard LRS" }).storageClass).toMatch(/./);
    expect(errorsOf({ ...bucket, storageApi: "ftp" }).storageApi).toMatch(/./);
    expect(errorsOf({ ...bucket, redundancy: "" }).redundancy).toMatch(/./);
    expect(Object.keys(errorsOf({ ...bucket, vcpu: "" }))).toEqual([]);
  });
});

describe("usdToE8", () => {
  it("scales to 8 decimals exactly", () => {
    expect(usdToE8("0.85")).toBe(85_000_000n);
    expect(usdToE8("12")).toBe(1_200_000_000n);
    expect(usdToE8(".5")).toBe(50_000_000n);
    expect(usdToE8("123456789.12345678")).toBe(12_345_678_912_345_678n);
  });

  it("rounds the ninth decimal half up", () => {
    expect(usdToE8("0.123456784")).toBe(12_345_678n);
    expect(usdToE8("0.123456785")).toBe(12_345_679n);
    expect(usdToE8("0.999999999")).toBe(100_000_000n);
  });

  it("refuses what is not a plain non-negative decimal", () => {
    for (const text of ["", "-1", "1e3", "1,5", "abc", "1.2.3", "$5"]) expect(usdToE8(text)).toBeUndefined();
  });
});

describe("editing", () => {
  it("round-trips a published document and the on-chain terms through the form", () => {
    const listing = checkListing(valid, tokens);
    if (!listing.ok) throw new Error("valid form refused");
    const { terms, kind } = listing.value;
    const form = { ...metadataForm(listing.value.metadata), ...termsForm({ ...terms, kind }) };
    expect(form.pricePerHourUsd).toBe("1.006");
    expect(form.uptimeTargetPercent).toBe("99.95");
    expect(checkListing(form, tokens)).toEqual(listing);
  });

  it("keeps only accepted tokens the deployment knows, case-insensitively", () => {
    const result = checkTerms({ ...valid, acceptedTokens: [USDC.toLowerCase() as Address] }, tokens);
    expect(result.ok && result.value.acceptedTokens).toEqual([USDC.toLowerCase()]);
  });

  it("knows when terms loosen the SLA", () => {
    const current = { uptimeTargetBps: 9950, maxLatencyMs: 200 };
    expect(loosensSla(current, { uptimeTargetBps: 9900, maxLatencyMs: 200 })).toBe(true);
    expect(loosensSla(current, { uptimeTargetBps: 9950, maxLatencyMs: 0 })).toBe(true);
    expect(loosensSla(current, { uptimeTargetBps: 9950, maxLatencyMs: 250 })).toBe(true);
    expect(loosensSla(current, { uptimeTargetBps: 9990, maxLatencyMs: 100 })).toBe(false);
    expect(loosensSla({ uptimeTargetBps: 9950, maxLatencyMs: 0 }, { uptimeTargetBps: 9950, maxLatencyMs: 500 })).toBe(
      false,
    );
  });
});

describe("checkProfile", () => {
  it("builds the profile document, leaving out empty fields", () => {
    expect(
      checkProfile({ displayName: " Nimbus ", website: "", contact: "ops@nimbus.example", logo: "", description: "" }),
    ).toEqual({ ok: true, value: { version: 1, displayName: "Nimbus", contact: "ops@nimbus.example" } });
  });

  it("names each invalid field", () => {
    const result = checkProfile({
      displayName: "",
      website: "javascript:alert(1)",
      contact: "not a contact",
      logo: "not-a-cid",
      description: "ok",
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(["contact", "displayName", "logo", "website"]);
    expect(result.errors.website).toMatch(/https/);
  });
});
