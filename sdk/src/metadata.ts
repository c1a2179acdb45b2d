/**
 * The listing metadata a provider publishes on IPFS: one document per resource (the CID goes on
 * chain with the listing) and one provider profile. The dApp, the oracle node and the scripts read
 * it through this schema; the JSON Schema generated from it (sdk/schema/) serves other languages.
 *
 * Documents are untrusted input fetched from IPFS, so everything is capped (document size, string
 * lengths, list lengths, number ranges) and objects are strict: an unknown key is an error rather
 * than silently carried along, and new fields come with a new `version`.
 */
import { CID } from "multiformats/cid";
import { z } from "zod";

/** Version of the metadata format this module reads and writes. */
export const METADATA_VERSION = 1;

/** Largest metadata document accepted, in bytes of UTF-8 JSON. Checked before parsing. */
export const MAX_METADATA_BYTES = 16 * 1024;

export const CLOUDS = ["aws", "azure", "gcp", "local", "other"] as const;
export const STORAGE_TYPES = ["ssd", "nvme", "hdd", "network"] as const;
/** What a listing sells: a machine (the default), or object storage (buckets). */
export const SERVICES = ["compute", "object-storage"] as const;
/** The object storage APIs a listing can offer: Amazon S3 (and compatible), Azure Blob Storage, Google Cloud Storage. */
export const OBJECT_STORAGE_APIS = ["s3", "azure-blob", "gcs"] as const;
/** How many failure domains hold each object: one zone, several zones of a region, or several regions. */
export const REDUNDANCIES = ["single-zone", "multi-zone", "multi-region"] as const;
/** Largest capacity a storage listing may offer, in GiB (1 PiB). */
export const MAX_CAPACITY_GIB = 1_048_576;

const MAX_URL_LENGTH = 2048;

/**
 * Unicode bidirectional controls (LRM, RLM, the embeddings and overrides U+202A–U+202E, the isolates
 * U+2066–U+2069): they make text render in another order than it is stored, so a name could show as
 * another provider's or hide what follows it. Right-to-left scripts render without them.
 */
const NO_BIDI_CONTROLS = /^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$/u;
const NO_BIDI_MESSAGE = "must not contain bidirectional text controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)";

// No control characters (a name must not move the cursor or hide text); descriptions may break lines.
const oneLine = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, "must be one line without control characters")
    .regex(NO_BIDI_CONTROLS, NO_BIDI_MESSAGE)
    // What String.prototype.trim removes is exactly \s: written as a pattern, so that the JSON Schema says it too.
    .regex(/^(?:\S(?:[\s\S]*\S)?)?$/u, "must not start or end with whitespace");

const paragraphs = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^(?:[^\p{Cc}]|[\t\n])*$/u, "must not contain control characters other than tab and newline")
    .regex(NO_BIDI_CONTROLS, NO_BIDI_MESSAGE);

const uniqueList = <T extends z.ZodType>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .refine((items) => new Set(items).size === items.length, "must not repeat an entry")
    .meta({ uniqueItems: true });

export function isCid(text: string): boolean {
  try {
    CID.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** `https://host/…` without credentials, or `ipfs://<CID>/…`; nothing else (no javascript:, no http:). */
export function isSafeUrl(text: string): boolean {
  if (text.startsWith("ipfs://")) return isCid(text.slice("ipfs://".length).split(/[/?#]/, 1)[0] ?? "");
  try {
    const url = new URL(text);
    return url.protocol === "https:" && url.hostname !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

const cid = z.string().max(128).refine(isCid, "must be a CID").meta({ description: "An IPFS CID (v0 or v1)." });

const safeUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .regex(/^(?:https|ipfs):\/\//, { error: "must be an https:// or ipfs:// URL", abort: true })
  .refine(isSafeUrl, "must be a valid https:// URL without credentials, or ipfs://<CID>")
  .meta({ description: "An https:// URL (no credentials) or an ipfs://<CID>/… URL." });

const identifier = (max: number) => z.string().min(1).max(max);

export const gpuSchema = z.strictObject({
  model: oneLine(64).meta({ description: 'GPU model, e.g. "NVIDIA A10G".' }),
  count: z.int().min(1).max(64),
  memoryGib: z.number().positive().max(1024).optional().meta({ description: "Memory per GPU, in GiB." }),
});

export const storageSchema = z.strictObject({
  sizeGib: z.int().min(1).max(1_048_576),
  type: z.enum(STORAGE_TYPES).meta({ description: "Local SSD, local NVMe, spinning disk, or network-attached." }),
});

export const networkSchema = z.strictObject({
  bandwidthGbps: z.number().positive().max(10_000).meta({ description: "Peak network bandwidth, in Gbit/s." }),
});

const region = identifier(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lowercase letters and digits separated by single dashes")
  .meta({ description: 'The cloud\'s own region name ("us-east-1", "westeurope", "europe-west1") or a place.' });

/** The cloud's name for a machine type or storage class: letters and digits joined by `.`, `_` or `-`. */
const cloudIdentifier = identifier(64).regex(
  /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/,
  "must be letters and digits separated by '.', '_' or '-'",
);

const tags = uniqueList(
  z
    .string()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lowercase letters and digits separated by dashes")
    .max(32),
  16,
).optional();

/** The metadata document of a machine (VM, GPU machine, bare metal, container host). */
export const computeMetadataSchema = z
  .strictObject({
    version: z.literal(METADATA_VERSION),
    service: z.literal("compute").optional().meta({ description: "What the listing sells; compute when absent." }),
    name: oneLine(80),
    description: paragraphs(2000).optional(),
    cloud: z.enum(CLOUDS),
    region,
    instanceType: cloudIdentifier.meta({
      description: 'The cloud\'s instance type ("g5.xlarge", "Standard_D4s_v5") or a machine name.',
    }),
    vcpu: z.int().min(1).max(1024),
    memoryGib: z.number().positive().max(65_536),
    gpu: gpuSchema.optional(),
    storage: storageSchema,
    network: networkSchema,
    osImages: uniqueList(oneLine(64), 16).min(1).meta({ description: "Operating system images on offer." }),
    tags,
  })
  .meta({ title: "D-CloudX compute resource", description: "A machine listed on D-CloudX." });

/** The metadata document of object storage: one bucket (or container) per booking. */
export const objectStorageMetadataSchema = z
  .strictObject({
    version: z.literal(METADATA_VERSION),
    service: z.literal("object-storage"),
    name: oneLine(80),
    description: paragraphs(2000).optional(),
    cloud: z.enum(CLOUDS),
    region,
    api: z
      .enum(OBJECT_STORAGE_APIS)
      .meta({ description: "The API the bucket answers: S3, Azure Blob Storage or GCS." }),
    storageClass: cloudIdentifier.meta({
      description: 'The cloud\'s storage class or SKU ("STANDARD", "Standard_LRS", "NEARLINE").',
    }),
    redundancy: z.enum(REDUNDANCIES).meta({ description: "Where copies of each object are kept." }),
    capacityGib: z
      .int()
      .min(1)
      .max(MAX_CAPACITY_GIB)
      .meta({ description: "Data a booking may store, in GiB; more is reported, not billed." }),
    includedEgressGib: z
      .number()
      .min(0)
      .max(MAX_CAPACITY_GIB)
      .meta({ description: "Data a booking may read out without extra charge, in GiB." }),
    tags,
  })
  .meta({ title: "D-CloudX object storage resource", description: "Object storage listed on D-CloudX." });

/** The metadata document of one listed resource: a machine, or object storage (`service`). */
export const resourceMetadataSchema = z
  .discriminatedUnion("service", [computeMetadataSchema, objectStorageMetadataSchema])
  .meta({ title: "D-CloudX resource metadata", description: "Describes one resource listed on D-CloudX." });

/** A provider's public profile. */
export const providerProfileSchema = z
  .strictObject({
    version: z.literal(METADATA_VERSION),
    displayName: oneLine(64),
    website: safeUrl.optional(),
    contact: z
      .union([z.email().max(254), safeUrl], { error: "must be an e-mail address or an https:// or ipfs:// URL" })
      .optional()
      .meta({ description: "An e-mail address or a URL (https:// or ipfs://)." }),
    logo: cid.optional().meta({ description: "CID of the logo image." }),
    description: paragraphs(2000).optional(),
  })
  .meta({ title: "D-CloudX provider profile", description: "A provider's public profile on D-CloudX." });

export type ResourceMetadata = z.infer<typeof resourceMetadataSchema>;
export type ComputeMetadata = z.infer<typeof computeMetadataSchema>;
export type ObjectStorageMetadata = z.infer<typeof objectStorageMetadataSchema>;
export type ObjectStorageApi = (typeof OBJECT_STORAGE_APIS)[number];
export type Redundancy = (typeof REDUNDANCIES)[number];
export type ProviderProfile = z.infer<typeof providerProfileSchema>;
export type Cloud = (typeof CLOUDS)[number];
export type StorageType = (typeof STORAGE_TYPES)[number];

/** Whether a listing sells object storage rather than a machine. */
export function isObjectStorage(metadata: ResourceMetadata): metadata is ObjectStorageMetadata {
  return metadata.service === "object-storage";
}

/**
 * What a resource attestation calls its type: the instance type of a machine, the storage class of
 * object storage.
 */
export function resourceType(metadata: ResourceMetadata): string {
  return isObjectStorage(metadata) ? metadata.storageClass : metadata.instanceType;
}

/** A parsed document, or every problem found with it, one readable line each. */
export type MetadataParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Parses a resource metadata document as fetched (bytes or text): size, UTF-8, JSON, then schema. */
export function parseResourceMetadata(input: Uint8Array | string): MetadataParseResult<ResourceMetadata> {
  return parseDocument(resourceMetadataSchema, input);
}

/** Parses a provider profile document as fetched (bytes or text): size, UTF-8, JSON, then schema. */
export function parseProviderProfile(input: Uint8Array | string): MetadataParseResult<ProviderProfile> {
  return parseDocument(providerProfileSchema, input);
}

function parseDocument<S extends z.ZodType>(schema: S, input: Uint8Array | string): MetadataParseResult<z.infer<S>> {
  // A string has at least as many UTF-8 bytes as UTF-16 code units: reject before encoding a huge one.
  const size = typeof input === "string" && input.length > MAX_METADATA_BYTES ? input.length : byteLength(input);
  if (size > MAX_METADATA_BYTES) {
    return { ok: false, errors: [`document is ${size} bytes; the limit is ${MAX_METADATA_BYTES}`] };
  }
  let text: string;
  try {
    text = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    return { ok: false, errors: ["document is not valid UTF-8"] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`document is not JSON: ${(err as Error).message}`] };
  }
  const result = schema.safeParse(json, {
    error: (issue) => {
      if (issue.code === "invalid_type" && issue.input === undefined) return "required";
      if (issue.code === "invalid_union" && "discriminator" in issue) return `must be one of ${SERVICES.join(", ")}`;
      return undefined;
    },
  });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => `${issue.path.join(".") || "(document)"}: ${issue.message}`),
  };
}

function byteLength(input: Uint8Array | string): number {
  return typeof input === "string" ? new TextEncoder().encode(input).length : input.length;
}

/** The JSON Schemas of the metadata documents, by file name under sdk/schema/ (`npm run schema -w sdk`). */
export function metadataJsonSchemas(): Record<string, unknown> {
  const options = { target: "draft-2020-12", io: "input" } as const;
  return {
    "resource-metadata.schema.json": z.toJSONSchema(resourceMetadataSchema, options),
    "provider-profile.schema.json": z.toJSONSchema(providerProfileSchema, options),
  };
}
