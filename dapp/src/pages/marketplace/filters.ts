/**
 * The marketplace's filters: read from and written to the URL query (shareable, back button works)
 * and turned into the subgraph's `where`/`orderBy` variables. Pure, so every rule is unit-tested.
 * Inputs arrive as text from the URL; a value that does not parse is reported and left out of the
 * query rather than guessed at.
 */
import { CLOUDS } from "@d-cloudx/sdk/metadata";

import type {
  OrderDirection,
  ResourceKind,
  ResourceMetadataDocument_Filter,
  Resource_Filter,
  Resource_OrderBy,
} from "../../generated/gql/graphql.ts";

export const KIND_LABELS: Record<ResourceKind, string> = {
  VIRTUAL_MACHINE: "Virtual machine",
  GPU_MACHINE: "GPU machine",
  STORAGE: "Storage",
  BARE_METAL: "Bare metal",
  CONTAINER: "Container",
  OTHER: "Other",
};
const KINDS = Object.keys(KIND_LABELS) as ResourceKind[];

export { CLOUDS };

export const SORTS = {
  "price-asc": { label: "Price: low to high", orderBy: "pricePerHourUsdE8", orderDirection: "asc" },
  "price-desc": { label: "Price: high to low", orderBy: "pricePerHourUsdE8", orderDirection: "desc" },
  reputation: { label: "Provider ranking score", orderBy: "provider__scoreBps", orderDirection: "desc" },
  newest: { label: "Newest", orderBy: "listedAt", orderDirection: "desc" },
} as const satisfies Record<string, { label: string; orderBy: Resource_OrderBy; orderDirection: OrderDirection }>;
export type SortKey = keyof typeof SORTS;

export const PAGE_SIZE = 12;

/** Text fields hold what the user typed (and what the URL carries); they are checked in `toVariables`. */
export interface MarketFilters {
  q: string;
  kind: ResourceKind | "";
  cloud: string;
  region: string;
  minVcpu: string;
  minMemoryGib: string;
  gpuModel: string;
  minGpuCount: string;
  minPriceUsd: string;
  maxPriceUsd: string;
  minUptimePct: string;
  minReputationPct: string;
  verified: boolean;
  /** Also show paused listings and listings whose metadata is missing or invalid (never delisted ones). */
  all: boolean;
  sort: SortKey;
  /** 0-based. */
  page: number;
}

type TextField = Exclude<keyof MarketFilters, "kind" | "verified" | "all" | "sort" | "page">;
const TEXT_FIELDS: TextField[] = [
  "q",
  "cloud",
  "region",
  "minVcpu",
  "minMemoryGib",
  "gpuModel",
  "minGpuCount",
  "minPriceUsd",
  "maxPriceUsd",
  "minUptimePct",
  "minReputationPct",
];

export const DEFAULT_FILTERS: MarketFilters = {
  q: "",
  kind: "",
  cloud: "",
  region: "",
  minVcpu: "",
  minMemoryGib: "",
  gpuModel: "",
  minGpuCount: "",
  minPriceUsd: "",
  maxPriceUsd: "",
  minUptimePct: "",
  minReputationPct: "",
  verified: false,
  all: false,
  sort: "newest",
  page: 0,
};

/** Longest text accepted from the URL for any one filter (the subgraph compares it in SQL). */
const MAX_TEXT = 100;

export function parseFilters(params: URLSearchParams): MarketFilters {
  const filters = { ...DEFAULT_FILTERS };
  for (const field of TEXT_FIELDS) filters[field] = (params.get(field) ?? "").slice(0, MAX_TEXT);
  const kind = params.get("kind");
  if (kind && (KINDS as string[]).includes(kind)) filters.kind = kind as ResourceKind;
  const sort = params.get("sort");
  if (sort && Object.hasOwn(SORTS, sort)) filters.sort = sort as SortKey;
  filters.verified = params.get("verified") === "1";
  filters.all = params.get("all") === "1";
  const page = Number(params.get("page"));
  filters.page = Number.isSafeInteger(page) && page > 1 ? page - 1 : 0;
  return filters;
}

/** The URL query for `filters`: defaults and blanks are left out so links stay short. Pages count from 1. */
export function filtersToParams(filters: MarketFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const field of TEXT_FIELDS) {
    const value = filters[field].trim();
    if (value) params.set(field, value);
  }
  if (filters.kind) params.set("kind", filters.kind);
  if (filters.verified) params.set("verified", "1");
  if (filters.all) params.set("all", "1");
  if (filters.sort !== DEFAULT_FILTERS.sort) params.set("sort", filters.sort);
  if (filters.page > 0) params.set("page", String(filters.page + 1));
  return params;
}

export function isDefault(filters: MarketFilters): boolean {
  return filtersToParams(filters).toString() === "";
}

/** A decimal like "12.5" as an integer with `decimals` decimals, exactly; undefined if it is not one. */
export function parseDecimal(text: string, decimals: number): bigint | undefined {
  const match = /^(\d{1,15})(?:\.(\d*))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, whole = "", fraction = ""] = match;
  if (fraction.replace(/0+$/, "").length > decimals) return undefined;
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

export interface QueryVariables {
  where: Resource_Filter;
  orderBy: Resource_OrderBy;
  orderDirection: OrderDirection;
  first: number;
  skip: number;
}

/**
 * The subgraph query for `filters` at chain time `now` (seconds). Fetches one more than a page so
 * the page knows whether there is a next one. `errors` names each filter that was left out and why.
 */
export function toVariables(
  filters: MarketFilters,
  now: number,
  pageSize = PAGE_SIZE,
): { variables: QueryVariables; errors: Partial<Record<keyof MarketFilters, string>> } {
  const errors: Partial<Record<keyof MarketFilters, string>> = {};
  const where: Resource_Filter = filters.all ? { status_not: "DELISTED" } : { status: "LISTED" };
  const metadata: ResourceMetadataDocument_Filter = {};

  const integer = (field: TextField, min: number, max: number): number | undefined => {
    const text = filters[field].trim();
    if (!text) return undefined;
    const value = Number(text);
    if (/^\d+$/.test(text) && value >= min && value <= max) return value;
    errors[field] = `a whole number from ${min} to ${max}`;
    return undefined;
  };
  const decimal = (field: TextField, decimals: number, max: bigint): bigint | undefined => {
    const text = filters[field].trim();
    if (!text) return undefined;
    const value = parseDecimal(text, decimals);
    if (value !== undefined && value <= max) return value;
    errors[field] = decimals === 2 ? "a percentage from 0 to 100, at most 2 decimals" : "a positive number";
    return undefined;
  };

  if (filters.kind) where.kind = filters.kind;
  const region = filters.region.trim().toLowerCase();
  if (region) where.region_starts_with_nocase = region;

  const minPrice = decimal("minPriceUsd", 8, 2n ** 64n - 1n);
  const maxPrice = decimal("maxPriceUsd", 8, 2n ** 64n - 1n);
  if (minPrice !== undefined) where.pricePerHourUsdE8_gte = minPrice.toString();
  if (maxPrice !== undefined) where.pricePerHourUsdE8_lte = maxPrice.toString();
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    errors.maxPriceUsd = "must not be below the minimum price";
  }
  const uptime = decimal("minUptimePct", 2, 10_000n);
  if (uptime) where.uptimeTargetBps_gte = Number(uptime);
  const reputation = decimal("minReputationPct", 2, 10_000n);
  if (reputation) where.provider_ = { scoreBps_gte: Number(reputation) };

  if (filters.verified) {
    where.verifiedUntil_gt = String(now);
    where.verificationRevoked = false;
    where.status_not = "DELISTED";
  }

  const cloud = filters.cloud.trim().toLowerCase();
  if (cloud) {
    if ((CLOUDS as readonly string[]).includes(cloud)) metadata.cloud = cloud;
    else errors.cloud = `one of ${CLOUDS.join(", ")}`;
  }
  const vcpu = integer("minVcpu", 1, 1024);
  if (vcpu !== undefined) metadata.vcpu_gte = vcpu;
  const memory = decimal("minMemoryGib", 3, 65_536_000n);
  if (memory !== undefined) metadata.memoryGib_gte = formatDecimal(memory, 3);
  const gpuModel = filters.gpuModel.trim();
  if (gpuModel) metadata.gpuModel_contains_nocase = gpuModel;
  const gpuCount = integer("minGpuCount", 1, 64);
  if (gpuCount !== undefined) metadata.gpuCount_gte = gpuCount;

  // Spec filters need valid metadata; without `all`, so does every listing shown.
  const hasMetadataFilter = Object.keys(metadata).length > 0;
  if (!filters.all || hasMetadataFilter) metadata.status = "VALID";
  const q = filters.q.trim();
  // graph-node refuses `or` next to other fields at one level, so the text search goes in an `and`.
  if (q) {
    where.metadata_ = {
      and: [metadata, { or: [{ name_contains_nocase: q }, { description_contains_nocase: q }] }],
    };
  } else if (Object.keys(metadata).length > 0) {
    where.metadata_ = metadata;
  }

  const sort = SORTS[filters.sort];
  return {
    variables: {
      where,
      orderBy: sort.orderBy,
      orderDirection: sort.orderDirection,
      first: pageSize + 1,
      skip: filters.page * pageSize,
    },
    errors,
  };
}

function formatDecimal(value: bigint, decimals: number): string {
  const scale = 10n ** BigInt(decimals);
  const fraction = (value % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return fraction ? `${value / scale}.${fraction}` : String(value / scale);
}

/** Verified as ResourceVerifier.isVerified has it: an unrevoked attestation in force on a resource still listed. */
export function isVerified(
  resource: { verifiedUntil?: string | null; verificationRevoked: boolean; status: string },
  now: number,
): boolean {
  return (
    resource.verifiedUntil != null &&
    Number(resource.verifiedUntil) > now &&
    !resource.verificationRevoked &&
    resource.status !== "DELISTED"
  );
}
