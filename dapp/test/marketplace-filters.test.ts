import { describe, expect, it } from "vitest";

import {
  DEFAULT_FILTERS,
  type MarketFilters,
  filtersToParams,
  isDefault,
  isVerified,
  parseDecimal,
  parseFilters,
  toVariables,
} from "../src/pages/marketplace/filters.ts";

const NOW = 1_800_000_000;
const filters = (changes: Partial<MarketFilters>): MarketFilters => ({ ...DEFAULT_FILTERS, ...changes });
const where = (changes: Partial<MarketFilters>) => toVariables(filters(changes), NOW).variables.where;

describe("marketplace filters → subgraph variables", () => {
  it("shows listed resources with valid metadata, newest first, one page plus one by default", () => {
    const { variables, errors } = toVariables(DEFAULT_FILTERS, NOW);
    expect(variables).toEqual({
      where: { status: "LISTED", metadata_: { status: "VALID" } },
      orderBy: "listedAt",
      orderDirection: "desc",
      first: 13,
      skip: 0,
    });
    expect(errors).toEqual({});
  });

  it("includes paused listings and ones without valid metadata only when asked, never delisted ones", () => {
    expect(where({ all: true })).toEqual({ status_not: "DELISTED" });
    // A spec filter needs valid metadata even then.
    expect(where({ all: true, minVcpu: "4" })).toEqual({
      status_not: "DELISTED",
      metadata_: { vcpu_gte: 4, status: "VALID" },
    });
  });

  it("maps every spec filter onto the metadata document", () => {
    expect(
      where({ cloud: "AWS", minVcpu: "8", minMemoryGib: "15.5", gpuModel: " a10g ", minGpuCount: "2" }).metadata_,
    ).toEqual({
      cloud: "aws",
      vcpu_gte: 8,
      memoryGib_gte: "15.5",
      gpuModel_contains_nocase: "a10g",
      gpuCount_gte: 2,
      status: "VALID",
    });
  });

  it("puts the text search in an `and` beside the other metadata filters (graph-node refuses `or` next to fields)", () => {
    expect(where({ q: " inference ", cloud: "gcp" }).metadata_).toEqual({
      and: [
        { cloud: "gcp", status: "VALID" },
        { or: [{ name_contains_nocase: "inference" }, { description_contains_nocase: "inference" }] },
      ],
    });
  });

  it("converts the price range to exact 8-decimal USD and percentages to basis points", () => {
    expect(
      where({ minPriceUsd: "0.1", maxPriceUsd: "2.50000001", minUptimePct: "99.95", minReputationPct: "80" }),
    ).toEqual({
      status: "LISTED",
      pricePerHourUsdE8_gte: "10000000",
      pricePerHourUsdE8_lte: "250000001",
      uptimeTargetBps_gte: 9995,
      provider_: { scoreBps_gte: 8000 },
      metadata_: { status: "VALID" },
    });
  });

  it("filters kind and region prefix on the listing", () => {
    expect(where({ kind: "GPU_MACHINE", region: "EU-West" })).toMatchObject({
      kind: "GPU_MACHINE",
      region_starts_with_nocase: "eu-west",
    });
  });

  it("asks for verification in force at `now`, as ResourceVerifier.isVerified does", () => {
    expect(where({ verified: true })).toMatchObject({
      verifiedUntil_gt: String(NOW),
      verificationRevoked: false,
      status_not: "DELISTED",
    });
  });

  it("reports malformed numbers and leaves them out instead of guessing", () => {
    const { variables, errors } = toVariables(
      filters({
        minVcpu: "4.5",
        minGpuCount: "0",
        minMemoryGib: "-1",
        minPriceUsd: "abc",
        maxPriceUsd: "1e3",
        minUptimePct: "100.5",
        minReputationPct: "99.999",
        cloud: "ibm",
      }),
      NOW,
    );
    expect(variables.where).toEqual({ status: "LISTED", metadata_: { status: "VALID" } });
    expect(Object.keys(errors).sort()).toEqual(
      [
        "cloud",
        "maxPriceUsd",
        "minGpuCount",
        "minMemoryGib",
        "minPriceUsd",
        "minReputationPct",
        "minUptimePct",
        "minVcpu",
      ].sort(),
    );
  });

  it("flags a price range whose maximum is below its minimum", () => {
    expect(toVariables(filters({ minPriceUsd: "5", maxPriceUsd: "1" }), NOW).errors.maxPriceUsd).toMatch(/minimum/);
  });

  it("sorts by price, reputation and age", () => {
    const sort = (key: MarketFilters["sort"]) => {
      const { orderBy, orderDirection } = toVariables(filters({ sort: key }), NOW).variables;
      return `${orderBy} ${orderDirection}`;
    };
    expect(sort("price-asc")).toBe("pricePerHourUsdE8 asc");
    expect(sort("price-desc")).toBe("pricePerHourUsdE8 desc");
    expect(sort("reputation")).toBe("provider__scoreBps desc");
    expect(sort("newest")).toBe("listedAt desc");
  });

  it("pages with first/skip", () => {
    expect(toVariables(filters({ page: 2 }), NOW, 10).variables).toMatchObject({ first: 11, skip: 20 });
  });
});

describe("marketplace filters ↔ URL", () => {
  it("round-trips every filter through the query string, leaving defaults out", () => {
    const all = filters({
      q: "gpu box",
      kind: "GPU_MACHINE",
      cloud: "aws",
      region: "us-east-1",
      minVcpu: "4",
      minMemoryGib: "16",
      gpuModel: "A10G",
      minGpuCount: "1",
      minPriceUsd: "0.5",
      maxPriceUsd: "3",
      minUptimePct: "99.9",
      minReputationPct: "50",
      verified: true,
      all: true,
      sort: "price-asc",
      page: 3,
    });
    const params = filtersToParams(all);
    expect(params.get("page")).toBe("4");
    expect(parseFilters(new URLSearchParams(params.toString()))).toEqual(all);
    expect(filtersToParams(DEFAULT_FILTERS).toString()).toBe("");
    expect(isDefault(DEFAULT_FILTERS)).toBe(true);
    expect(isDefault(filters({ verified: true }))).toBe(false);
  });

  it("ignores unknown or hostile values in a shared link", () => {
    const parsed = parseFilters(
      new URLSearchParams({ kind: "SPACESHIP", sort: "__proto__", page: "-3", verified: "yes", q: "x".repeat(5000) }),
    );
    expect(parsed).toEqual({ ...DEFAULT_FILTERS, q: "x".repeat(100) });
    expect(parseFilters(new URLSearchParams("page=1.5")).page).toBe(0);
  });
});

describe("helpers", () => {
  it("parses decimals exactly", () => {
    expect(parseDecimal("1.23", 8)).toBe(123_000_000n);
    expect(parseDecimal("0.00000001", 8)).toBe(1n);
    expect(parseDecimal("7", 2)).toBe(700n);
    expect(parseDecimal("1.000", 2)).toBe(100n);
    expect(parseDecimal("1.001", 2)).toBeUndefined();
    expect(parseDecimal("", 2)).toBeUndefined();
    expect(parseDecimal(".5", 2)).toBeUndefined();
  });

  it("treats a resource as verified only while its attestation is in force", () => {
    const resource = { verifiedUntil: String(NOW + 1), verificationRevoked: false, status: "LISTED" };
    expect(isVerified(resource, NOW)).toBe(true);
    expect(isVerified({ ...resource, verifiedUntil: String(NOW) }, NOW)).toBe(false);
    expect(isVerified({ ...resource, verificationRevoked: true }, NOW)).toBe(false);
    expect(isVerified({ ...resource, status: "DELISTED" }, NOW)).toBe(false);
    expect(isVerified({ ...resource, verifiedUntil: null }, NOW)).toBe(false);
  });
});
