/**
 * The listing form as the provider fills it in (text fields), and its conversion into what gets
 * published: the metadata document (checked by the shared schema, so the dApp never uploads a
 * document the marketplace would show as invalid) and the on-chain terms (exact integers).
 */
import { parsePercentBps } from "@d-cloudx/sdk/governance";
import {
  METADATA_VERSION,
  type ResourceMetadata,
  isObjectStorage,
  resourceMetadataSchema,
} from "@d-cloudx/sdk/metadata";
import { RESOURCE_KIND_NAMES, type ResourceTerms } from "@d-cloudx/sdk/protocol";
import type { Address } from "viem";

import { KIND_LABELS } from "../marketplace/filters.ts";
import { fieldMessage } from "./issues.ts";

export type { ResourceTerms };
/** The subgraph's names for the marketplace's ResourceKind values, by value (generated from the contract). */
export const SUBGRAPH_KINDS = RESOURCE_KIND_NAMES;
/** What people call each kind, by value. */
export const RESOURCE_KINDS = RESOURCE_KIND_NAMES.map((name) => KIND_LABELS[name]);

/** The contract's limit on the on-chain region code (bytes). */
export const MAX_REGION_BYTES = 32;
const UINT16_MAX = 65_535;
const UINT32_MAX = 4_294_967_295;
const UINT64_MAX = 2n ** 64n - 1n;

export interface MetadataForm {
  /** compute (a machine) or object-storage (a bucket per booking): which fields below apply. */
  service: string;
  name: string;
  description: string;
  cloud: string;
  region: string;
  instanceType: string;
  vcpu: string;
  memoryGib: string;
  hasGpu: boolean;
  gpuModel: string;
  gpuCount: string;
  gpuMemoryGib: string;
  storageSizeGib: string;
  storageType: string;
  bandwidthGbps: string;
  /** One per line or comma-separated. */
  osImages: string;
  /** Object storage: the API (s3, azure-blob, gcs), class, redundancy, capacity and included egress. */
  storageApi: string;
  storageClass: string;
  redundancy: string;
  capacityGib: string;
  includedEgressGib: string;
  /** Comma- or space-separated. */
  tags: string;
}

export interface TermsForm {
  kind: string;
  pricePerHourUsd: string;
  capacity: string;
  minHours: string;
  maxHours: string;
  uptimeTargetPercent: string;
  /** Empty or 0: no latency limit. */
  maxLatencyMs: string;
  acceptedTokens: Address[];
}

export type ListingForm = MetadataForm & TermsForm;
export type FieldErrors = Partial<Record<keyof ListingForm, string>>;

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

export const emptyMetadataForm: MetadataForm = {
  service: "compute",
  name: "",
  description: "",
  cloud: "aws",
  region: "",
  instanceType: "",
  vcpu: "",
  memoryGib: "",
  hasGpu: false,
  gpuModel: "",
  gpuCount: "1",
  gpuMemoryGib: "",
  storageSizeGib: "",
  storageType: "ssd",
  bandwidthGbps: "",
  osImages: "",
  storageApi: "s3",
  storageClass: "",
  redundancy: "multi-zone",
  capacityGib: "",
  includedEgressGib: "0",
  tags: "",
};

export const emptyTermsForm: TermsForm = {
  kind: "0",
  pricePerHourUsd: "",
  capacity: "1",
  minHours: "1",
  maxHours: "168",
  uptimeTargetPercent: "99.5",
  maxLatencyMs: "",
  acceptedTokens: [],
};

/** Parses a non-negative decimal ("12", "0.5", ".5"; no exponents) into an integer scaled by 10^decimals, rounding half up. */
export function parseScaled(text: string, decimals: number): bigint | undefined {
  const match = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? match[3] ?? "";
  const kept = fraction.slice(0, decimals).padEnd(decimals, "0");
  const roundUp = (fraction[decimals] ?? "0") >= "5" ? 1n : 0n;
  return BigInt(whole + kept) + roundUp;
}

/** "0.125" USD → 12_500_000n (8 decimals, half up). */
export function usdToE8(text: string): bigint | undefined {
  return parseScaled(text, 8);
}

/** Splits a list typed one per line or separated by commas; blanks dropped, entries trimmed. */
export function splitList(text: string, separators: RegExp): string[] {
  return text
    .split(separators)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A number typed in a field; empty means absent, anything unreadable stays text so the schema names it. */
function number(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

/** The metadata document the form describes, as published (optional fields left out when empty). */
export function metadataDocument(form: MetadataForm): Record<string, unknown> {
  const tags = splitList(form.tags, /[\s,]+/);
  const common = {
    version: METADATA_VERSION,
    name: form.name.trim(),
    ...(form.description.trim() ? { description: form.description.trim() } : {}),
    cloud: form.cloud,
    region: form.region.trim(),
  };
  if (form.service === "object-storage") {
    return {
      ...common,
      service: "object-storage",
      api: form.storageApi,
      storageClass: form.storageClass.trim(),
      redundancy: form.redundancy,
      capacityGib: number(form.capacityGib),
      includedEgressGib: number(form.includedEgressGib),
      ...(tags.length ? { tags } : {}),
    };
  }
  return {
    ...common,
    instanceType: form.instanceType.trim(),
    vcpu: number(form.vcpu),
    memoryGib: number(form.memoryGib),
    ...(form.hasGpu
      ? {
          gpu: {
            model: form.gpuModel.trim(),
            count: number(form.gpuCount),
            ...(form.gpuMemoryGib.trim() ? { memoryGib: number(form.gpuMemoryGib) } : {}),
          },
        }
      : {}),
    storage: { sizeGib: number(form.storageSizeGib), type: form.storageType },
    network: { bandwidthGbps: number(form.bandwidthGbps) },
    osImages: splitList(form.osImages, /[\n,]+/),
    ...(tags.length ? { tags } : {}),
  };
}

/** Schema paths of the metadata document → the form field that holds them. */
const FIELD_OF_PATH: Record<string, keyof MetadataForm> = {
  api: "storageApi",
  "gpu.model": "gpuModel",
  "gpu.count": "gpuCount",
  "gpu.memoryGib": "gpuMemoryGib",
  "storage.sizeGib": "storageSizeGib",
  "storage.type": "storageType",
  "network.bandwidthGbps": "bandwidthGbps",
};

function fieldOf(path: readonly PropertyKey[]): keyof MetadataForm {
  const [head, next] = path.map(String);
  if (head === "osImages" || head === "tags") return head;
  return FIELD_OF_PATH[next === undefined ? String(head) : `${head}.${next}`] ?? (head as keyof MetadataForm);
}

/** Checks the form against the shared metadata schema; errors are keyed by form field, the first per field. */
export function checkMetadata(form: MetadataForm): Checked<ResourceMetadata> {
  const result = resourceMetadataSchema.safeParse(metadataDocument(form), { error: (issue) => fieldMessage(issue) });
  if (result.success) return { ok: true, value: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = fieldOf(issue.path);
    const entry =
      issue.path.length === 2 && typeof issue.path[1] === "number" ? ` ("${issueInput(form, issue.path)}")` : "";
    errors[field] ??= `${issue.message}${entry}`;
  }
  return { ok: false, errors };
}

function issueInput(form: MetadataForm, path: readonly PropertyKey[]): string {
  const list = path[0] === "tags" ? splitList(form.tags, /[\s,]+/) : splitList(form.osImages, /[\n,]+/);
  return list[Number(path[1])] ?? "";
}

function integer(text: string, min: number, max: number): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return value >= min && value <= max ? value : undefined;
}

/** Checks the on-chain terms and converts them to the contract's integers. */
export function checkTerms(form: TermsForm, acceptable: readonly Address[]): Checked<ResourceTerms> {
  const errors: FieldErrors = {};
  const price = usdToE8(form.pricePerHourUsd);
  if (price === undefined) errors.pricePerHourUsd = "must be an amount in USD, e.g. 0.85";
  else if (price === 0n) errors.pricePerHourUsd = "must be at least $0.00000001";
  else if (price > UINT64_MAX) errors.pricePerHourUsd = "is too large";

  const capacity = integer(form.capacity, 1, UINT16_MAX);
  if (capacity === undefined) errors.capacity = `must be a whole number from 1 to ${UINT16_MAX}`;
  const minHours = integer(form.minHours, 1, UINT16_MAX);
  if (minHours === undefined) errors.minHours = `must be a whole number from 1 to ${UINT16_MAX}`;
  const maxHours = integer(form.maxHours, 1, UINT16_MAX);
  if (maxHours === undefined) errors.maxHours = `must be a whole number from 1 to ${UINT16_MAX}`;
  else if (minHours !== undefined && maxHours < minHours) errors.maxHours = "must not be below the minimum";

  const uptime = parsePercentBps(form.uptimeTargetPercent);
  if (uptime === undefined || uptime > 10_000) {
    errors.uptimeTargetPercent = "must be a percentage from 0 to 100, at most 2 decimals";
  }

  const latency = form.maxLatencyMs.trim() === "" ? 0 : integer(form.maxLatencyMs, 0, UINT32_MAX);
  if (latency === undefined) errors.maxLatencyMs = "must be a whole number of milliseconds (empty: no limit)";

  const known = new Set(acceptable.map((token) => token.toLowerCase()));
  const tokens = form.acceptedTokens.filter((token) => known.has(token.toLowerCase()));
  if (tokens.length === 0) errors.acceptedTokens = "accept at least one payment token";

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      pricePerHourUsdE8: price!,
      capacity: capacity!,
      minHours: minHours!,
      maxHours: maxHours!,
      uptimeTargetBps: uptime!,
      maxLatencyMs: latency!,
      acceptedTokens: tokens,
    },
  };
}

export interface Listing {
  metadata: ResourceMetadata;
  kind: number;
  region: string;
  terms: ResourceTerms;
}

/** Checks the whole form: the metadata document by the shared schema, the terms, the on-chain region. */
export function checkListing(form: ListingForm, acceptable: readonly Address[]): Checked<Listing> {
  const metadata = checkMetadata(form);
  const terms = checkTerms(form, acceptable);
  const errors: FieldErrors = { ...(metadata.ok ? {} : metadata.errors), ...(terms.ok ? {} : terms.errors) };
  const kind = integer(form.kind, 0, RESOURCE_KINDS.length - 1);
  if (kind === undefined) errors.kind = "choose a kind";
  if (!errors.region && new TextEncoder().encode(form.region.trim()).length > MAX_REGION_BYTES) {
    errors.region = `must be at most ${MAX_REGION_BYTES} characters to be listed on chain`;
  }
  if (!metadata.ok || !terms.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: { metadata: metadata.value, kind: kind!, region: metadata.value.region, terms: terms.value },
  };
}

/** Whether new terms loosen the SLA (the contract refuses that while the resource has open bookings). */
export function loosensSla(
  current: { uptimeTargetBps: number; maxLatencyMs: number },
  next: { uptimeTargetBps: number; maxLatencyMs: number },
): boolean {
  return (
    next.uptimeTargetBps < current.uptimeTargetBps ||
    (current.maxLatencyMs !== 0 && (next.maxLatencyMs === 0 || next.maxLatencyMs > current.maxLatencyMs))
  );
}

/** A published metadata document back in the form, to edit it. */
export function metadataForm(metadata: ResourceMetadata): MetadataForm {
  const common = {
    ...emptyMetadataForm,
    name: metadata.name,
    description: metadata.description ?? "",
    cloud: metadata.cloud,
    region: metadata.region,
    tags: (metadata.tags ?? []).join(", "),
  };
  if (isObjectStorage(metadata)) {
    return {
      ...common,
      service: "object-storage",
      storageApi: metadata.api,
      storageClass: metadata.storageClass,
      redundancy: metadata.redundancy,
      capacityGib: String(metadata.capacityGib),
      includedEgressGib: String(metadata.includedEgressGib),
    };
  }
  return {
    ...common,
    service: "compute",
    instanceType: metadata.instanceType,
    vcpu: String(metadata.vcpu),
    memoryGib: String(metadata.memoryGib),
    hasGpu: Boolean(metadata.gpu),
    gpuModel: metadata.gpu?.model ?? "",
    gpuCount: String(metadata.gpu?.count ?? 1),
    gpuMemoryGib: metadata.gpu?.memoryGib === undefined ? "" : String(metadata.gpu.memoryGib),
    storageSizeGib: String(metadata.storage.sizeGib),
    storageType: metadata.storage.type,
    bandwidthGbps: String(metadata.network.bandwidthGbps),
    osImages: metadata.osImages.join("\n"),
  };
}

/** Current on-chain terms (as the subgraph has them) back in the form, to edit them. */
export function termsForm(resource: {
  kind: number;
  pricePerHourUsdE8: bigint;
  capacity: number;
  minHours: number;
  maxHours: number;
  uptimeTargetBps: number;
  maxLatencyMs: number;
  acceptedTokens: readonly Address[];
}): TermsForm {
  return {
    kind: String(resource.kind),
    pricePerHourUsd: scaledText(resource.pricePerHourUsdE8, 8),
    capacity: String(resource.capacity),
    minHours: String(resource.minHours),
    maxHours: String(resource.maxHours),
    uptimeTargetPercent: scaledText(BigInt(resource.uptimeTargetBps), 2),
    maxLatencyMs: resource.maxLatencyMs === 0 ? "" : String(resource.maxLatencyMs),
    acceptedTokens: [...resource.acceptedTokens],
  };
}

/** 12_500_000n with 8 decimals → "0.125". */
function scaledText(value: bigint, decimals: number): string {
  const text = value.toString().padStart(decimals + 1, "0");
  const fraction = text.slice(-decimals).replace(/0+$/, "");
  return `${text.slice(0, -decimals)}${fraction ? `.${fraction}` : ""}`;
}
