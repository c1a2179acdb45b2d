/**
 * Checks a resource metadata document by the rules of the shared schema: `parseResourceMetadata`
 * in @d-cloudx/sdk (sdk/src/metadata.ts), which the dApp and the oracle node use. A document is
 * VALID here exactly when the sdk accepts it; tests/metadata-equivalence.ts runs the sdk's examples
 * and documents built to break each rule through both and compares the verdicts. When the sdk's
 * schema changes, change this file with it.
 *
 * The document is read as the sdk reads it: size cap, strict UTF-8 (a leading byte order mark is
 * dropped, as TextDecoder does), JSON.parse semantics (./json.ts), then zod's rules: required and
 * optional fields (an optional field may be absent, not null), strict objects (an unknown key is an
 * error), lengths in code points, numbers as doubles. Documents are untrusted: any byte
 * sequence ends VALID or INVALID, never in a failed handler.
 */
import { BigDecimal, Bytes } from "@graphprotocol/graph-ts";

import { ResourceMetadataDocument } from "../../generated/schema";
import {
  JSON_ARRAY,
  JSON_NUMBER,
  JSON_OBJECT,
  JSON_STRING,
  JsonNode,
  isUtf8,
  isHighSurrogate,
  isLowSurrogate,
  parseJson,
  toWellFormed,
} from "./json";

/** Largest document accepted, in bytes. */
export const MAX_METADATA_BYTES = 16_384;
/** The document format version this subgraph understands. */
export const METADATA_VERSION: f64 = 1;
const CLOUDS = ["aws", "azure", "gcp", "local", "other"];
const STORAGE_TYPES = ["ssd", "nvme", "hdd", "network"];
const ROOT_KEYS = [
  "version",
  "name",
  "description",
  "cloud",
  "region",
  "instanceType",
  "vcpu",
  "memoryGib",
  "gpu",
  "storage",
  "network",
  "osImages",
  "tags",
];
const GPU_KEYS = ["model", "count", "memoryGib"];
const STORAGE_KEYS = ["sizeGib", "type"];
const NETWORK_KEYS = ["bandwidthGbps"];
/** Containers in a valid document nest two deep; deeper ones are refused without reading further. */
const MAX_DEPTH = 8;
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991;

const KIND_NAMES = ["null", "boolean", "number", "string", "array", "object"];

/** A limit for a message: whole numbers without a fraction. */
function formatLimit(value: f64): string {
  return value == Math.floor(value) ? (value as i64).toString() : value.toString();
}

/** Characters in `text`: a surrogate pair counts once, a lone surrogate once. */
function codePointLength(text: string): i32 {
  let length = text.length;
  for (let i = 0; i + 1 < text.length; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) {
      length--;
      i++;
    }
  }
  return length;
}

/** Unicode bidirectional controls: LRM, RLM, U+202A–U+202E and U+2066–U+2069 (sdk: NO_BIDI_CONTROLS). */
function isBidiControl(unit: i32): bool {
  return unit == 0x200e || unit == 0x200f || (unit >= 0x202a && unit <= 0x202e) || (unit >= 0x2066 && unit <= 0x2069);
}

const NO_BIDI_MESSAGE = "must not contain bidirectional text controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)";

function isControl(unit: i32): bool {
  return unit < 0x20 || (unit >= 0x7f && unit <= 0x9f);
}

function isLowerAlphanumeric(unit: i32): bool {
  return (unit >= 0x61 && unit <= 0x7a) || (unit >= 0x30 && unit <= 0x39);
}

function isAlphanumeric(unit: i32): bool {
  return isLowerAlphanumeric(unit) || (unit >= 0x41 && unit <= 0x5a);
}

/**
 * Whether `text` is words of `[a-z0-9]` (`[A-Za-z0-9]` unless `lowercase`) joined by single
 * characters of `separators`: /^[a-z0-9]+(?:[-][a-z0-9]+)*$/ and the like.
 */
function isSeparatedWords(text: string, lowercase: bool, separators: string): bool {
  if (text.length == 0) return false;
  let previousWasSeparator = true;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const isPart = lowercase ? isLowerAlphanumeric(unit) : isAlphanumeric(unit);
    if (isPart) {
      previousWasSeparator = false;
    } else if (separators.includes(String.fromCharCode(unit)) && !previousWasSeparator) {
      previousWasSeparator = true;
    } else {
      return false;
    }
  }
  return !previousWasSeparator;
}

/** Checks values against the schema's rules, keeping the first problem as `path: message`. */
class Checker {
  error: string | null = null;

  fail(path: string, message: string): void {
    if (this.error === null) this.error = path + ": " + message;
  }

  /** Fails on a key the schema does not know, as a strict zod object does. */
  strict(object: JsonNode, known: string[], path: string): void {
    for (let i = 0; i < object.keys.length; i++) {
      if (!known.includes(object.keys[i])) this.fail(path, 'unknown key "' + object.keys[i] + '"');
    }
  }

  /** `object[key]`, or null if absent (an error if required). */
  field(object: JsonNode, key: string, path: string, required: bool): JsonNode | null {
    const value = object.get(key);
    if (value === null && required) this.fail(path, "required");
    return value;
  }

  /** Whether `value` is of `kind` (an error if not). */
  isKind(value: JsonNode, kind: i32, path: string): bool {
    if (value.kind == kind) return true;
    this.fail(path, "expected " + KIND_NAMES[kind] + ", received " + KIND_NAMES[value.kind]);
    return false;
  }

  object(value: JsonNode | null, path: string, known: string[]): JsonNode | null {
    if (value === null || !this.isKind(value, JSON_OBJECT, path)) return null;
    this.strict(value, known, path);
    return value;
  }

  /** A string of 1 to `max` characters (code points, as zod counts them). */
  text(value: JsonNode | null, path: string, max: i32): string | null {
    if (value === null || !this.isKind(value, JSON_STRING, path)) return null;
    const text = value.text;
    const length = codePointLength(text);
    if (length < 1) this.fail(path, "must not be empty");
    else if (length > max) this.fail(path, "longer than " + max.toString() + " characters");
    else return text;
    return null;
  }

  /** One line: no control characters, no whitespace at either end (as String.prototype.trim sees it). */
  oneLine(value: JsonNode | null, path: string, max: i32): string | null {
    const text = this.text(value, path, max);
    if (text === null) return null;
    for (let i = 0; i < text.length; i++) {
      if (isControl(text.charCodeAt(i))) {
        this.fail(path, "must be one line without control characters");
        return null;
      }
    }
    if (!this.noBidiControls(text, path)) return null;
    // AssemblyScript's trim removes exactly the characters JavaScript's does.
    if (text.trim() != text) {
      this.fail(path, "must not start or end with whitespace");
      return null;
    }
    return text;
  }

  /** Text that may break lines: no control characters but tab and newline. */
  paragraphs(value: JsonNode | null, path: string, max: i32): string | null {
    const text = this.text(value, path, max);
    if (text === null) return null;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (isControl(unit) && unit != 0x09 && unit != 0x0a) {
        this.fail(path, "must not contain control characters other than tab and newline");
        return null;
      }
    }
    return this.noBidiControls(text, path) ? text : null;
  }

  /** Text without bidirectional controls, which would render it in another order than it is stored. */
  noBidiControls(text: string, path: string): bool {
    for (let i = 0; i < text.length; i++) {
      if (isBidiControl(text.charCodeAt(i))) {
        this.fail(path, NO_BIDI_MESSAGE);
        return false;
      }
    }
    return true;
  }

  /** Words of `[a-z0-9]` (or `[A-Za-z0-9]`) joined by single `separators`, at most `max` long. */
  words(value: JsonNode | null, path: string, max: i32, lowercase: bool, separators: string): string | null {
    const text = this.text(value, path, max);
    if (text === null) return null;
    if (!isSeparatedWords(text, lowercase, separators)) {
      this.fail(path, lowercase ? "must be lowercase words joined by '-'" : "must be words joined by " + separators);
      return null;
    }
    return text;
  }

  oneOf(value: JsonNode | null, path: string, options: string[]): string | null {
    if (value === null || !this.isKind(value, JSON_STRING, path)) return null;
    if (options.includes(value.text)) return value.text;
    this.fail(path, "must be one of " + options.join(", "));
    return null;
  }

  /** A finite number in (0, max]; NaN if absent or wrong. */
  positive(value: JsonNode | null, path: string, max: f64): f64 {
    if (value === null || !this.isKind(value, JSON_NUMBER, path)) return NaN;
    const number = value.toF64();
    if (!isFinite(number)) this.fail(path, "must be a finite number");
    else if (!(number > 0)) this.fail(path, "must be greater than 0");
    else if (number > max) this.fail(path, "must be at most " + formatLimit(max));
    else return number;
    return NaN;
  }

  /** A safe integer in [min, max]; NaN if absent or wrong. */
  integer(value: JsonNode | null, path: string, min: f64, max: f64): f64 {
    if (value === null || !this.isKind(value, JSON_NUMBER, path)) return NaN;
    const number = value.toF64();
    if (!isFinite(number)) this.fail(path, "must be a finite number");
    else if (number != Math.floor(number) || Math.abs(number) > MAX_SAFE_INTEGER) {
      this.fail(path, "must be a whole number");
    } else if (number < min || number > max) {
      this.fail(path, "must be between " + formatLimit(min) + " and " + formatLimit(max));
    } else return number;
    return NaN;
  }

  /** An array of `min` to `max` items without repeated entries; null if absent or wrong. */
  list(value: JsonNode | null, path: string, min: i32, max: i32): JsonNode[] | null {
    if (value === null || !this.isKind(value, JSON_ARRAY, path)) return null;
    const items = value.items;
    if (items.length < min) this.fail(path, "must have at least " + min.toString() + " entries");
    else if (items.length > max) this.fail(path, "must have at most " + max.toString() + " entries");
    else return items;
    return null;
  }

  /** Fails if `texts` repeats an entry (zod compares the parsed strings). */
  unique(texts: string[], path: string): void {
    const seen = new Set<string>();
    for (let i = 0; i < texts.length; i++) {
      if (seen.has(texts[i])) {
        this.fail(path, "must not repeat an entry");
        return;
      }
      seen.add(texts[i]);
    }
  }
}

/** A decimal for a checked double. */
function decimal(value: f64): BigDecimal | null {
  if (isNaN(value)) return null;
  return BigDecimal.fromString(value.toString());
}

/**
 * Checks `content` and, if it is valid, fills `document` with its fields. Returns null if the
 * document is valid, or the first problem found (and then sets no field).
 */
export function readResourceMetadata(content: Bytes, document: ResourceMetadataDocument): string | null {
  if (content.length > MAX_METADATA_BYTES) {
    return "document is " + content.length.toString() + " bytes; the limit is " + MAX_METADATA_BYTES.toString();
  }
  if (!isUtf8(content)) return "document is not valid UTF-8";
  const hasByteOrderMark = content.length >= 3 && content[0] == 0xef && content[1] == 0xbb && content[2] == 0xbf;
  const parsed = parseJson(content, hasByteOrderMark ? 3 : 0, MAX_DEPTH);
  const root = parsed.value;
  if (root === null) return "document is not JSON: " + (parsed.error as string);

  const check = new Checker();
  if (root.kind != JSON_OBJECT) {
    check.isKind(root, JSON_OBJECT, "(document)");
    return check.error;
  }
  check.strict(root, ROOT_KEYS, "(document)");

  const version = check.field(root, "version", "version", true);
  if (version !== null && !(version.kind == JSON_NUMBER && version.toF64() == METADATA_VERSION)) {
    check.fail("version", "must be " + formatLimit(METADATA_VERSION));
  }
  const name = check.oneLine(check.field(root, "name", "name", true), "name", 80);
  const description = check.paragraphs(check.field(root, "description", "description", false), "description", 2000);
  const cloud = check.oneOf(check.field(root, "cloud", "cloud", true), "cloud", CLOUDS);
  const region = check.words(check.field(root, "region", "region", true), "region", 64, true, "-");
  const instanceType = check.words(
    check.field(root, "instanceType", "instanceType", true),
    "instanceType",
    64,
    false,
    "._-",
  );
  const vcpu = check.integer(check.field(root, "vcpu", "vcpu", true), "vcpu", 1, 1024);
  const memoryGib = check.positive(check.field(root, "memoryGib", "memoryGib", true), "memoryGib", 65_536);

  let gpuModel: string | null = null;
  let gpuCount: f64 = NaN;
  let gpuMemoryGib: f64 = NaN;
  const gpu = check.object(check.field(root, "gpu", "gpu", false), "gpu", GPU_KEYS);
  if (gpu !== null) {
    gpuModel = check.oneLine(check.field(gpu, "model", "gpu.model", true), "gpu.model", 64);
    gpuCount = check.integer(check.field(gpu, "count", "gpu.count", true), "gpu.count", 1, 64);
    gpuMemoryGib = check.positive(check.field(gpu, "memoryGib", "gpu.memoryGib", false), "gpu.memoryGib", 1024);
  }

  let storageSizeGib: f64 = NaN;
  let storageType: string | null = null;
  const storage = check.object(check.field(root, "storage", "storage", true), "storage", STORAGE_KEYS);
  if (storage !== null) {
    storageSizeGib = check.integer(
      check.field(storage, "sizeGib", "storage.sizeGib", true),
      "storage.sizeGib",
      1,
      1_048_576,
    );
    storageType = check.oneOf(check.field(storage, "type", "storage.type", true), "storage.type", STORAGE_TYPES);
  }

  let bandwidthGbps: f64 = NaN;
  const network = check.object(check.field(root, "network", "network", true), "network", NETWORK_KEYS);
  if (network !== null) {
    bandwidthGbps = check.positive(
      check.field(network, "bandwidthGbps", "network.bandwidthGbps", true),
      "network.bandwidthGbps",
      10_000,
    );
  }

  const osImages = new Array<string>(0);
  const osImageItems = check.list(check.field(root, "osImages", "osImages", true), "osImages", 1, 16);
  if (osImageItems !== null) {
    for (let i = 0; i < osImageItems.length; i++) {
      const image = check.oneLine(osImageItems[i], "osImages." + i.toString(), 64);
      if (image !== null) osImages.push(image);
    }
    check.unique(osImages, "osImages");
  }

  let tags: string[] | null = null;
  const tagItems = check.list(check.field(root, "tags", "tags", false), "tags", 0, 16);
  if (tagItems !== null) {
    const texts = new Array<string>(0);
    for (let i = 0; i < tagItems.length; i++) {
      const tag = check.words(tagItems[i], "tags." + i.toString(), 32, true, "-");
      if (tag !== null) texts.push(tag);
    }
    check.unique(texts, "tags");
    tags = texts;
  }

  if (check.error !== null) return toWellFormed(check.error as string);
  document.version = METADATA_VERSION as i32;
  document.name = toWellFormed(name as string);
  document.description = description === null ? null : toWellFormed(description);
  document.cloud = cloud;
  document.region = region;
  document.instanceType = instanceType;
  document.vcpu = vcpu as i32;
  document.memoryGib = decimal(memoryGib);
  if (gpu !== null) {
    document.gpuModel = toWellFormed(gpuModel as string);
    document.gpuCount = gpuCount as i32;
    document.gpuMemoryGib = decimal(gpuMemoryGib);
  }
  document.storageSizeGib = storageSizeGib as i32;
  document.storageType = storageType;
  document.bandwidthGbps = decimal(bandwidthGbps);
  document.osImages = osImages.map<string>((image) => toWellFormed(image));
  document.tags = tags;
  return null;
}
