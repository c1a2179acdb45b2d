/**
 * Checks a resource metadata document against the rules of the shared metadata schema (the zod
 * schema in @d-cloudx/sdk, which dApp, oracle node and tests use). Documents are untrusted: any
 * byte sequence must end in VALID or INVALID, never in a failed handler. Host calls that abort
 * (JSONValue.toI64 on a fraction, BigInt conversions of huge numbers) are avoided: numbers are read
 * as f64, which parses every JSON number, and range-checked before conversion.
 */
import { BigDecimal, Bytes, JSONValue, JSONValueKind, TypedMap, json } from "@graphprotocol/graph-ts";

import { ResourceMetadataDocument } from "../../generated/schema";

/** Largest document accepted, in bytes. */
export const MAX_METADATA_BYTES = 16_384;
/** The document format version this subgraph understands. */
export const METADATA_VERSION = 1;
const CLOUDS = ["aws", "azure", "gcp", "local", "other"];

type JsonObject = TypedMap<string, JSONValue>;

/** Reads fields of a JSON object, keeping the first problem found. */
class Reader {
  error: string | null = null;

  fail(message: string): void {
    if (this.error === null) this.error = message;
  }

  /** The value of `key`, or null if it is absent or JSON null (and then an error if required). */
  value(object: JsonObject, key: string, path: string, required: boolean): JSONValue | null {
    const value = object.get(key);
    if (value === null || value.kind == JSONValueKind.NULL) {
      if (required) this.fail(path + " is required");
      return null;
    }
    return value;
  }

  string(object: JsonObject, key: string, path: string, required: boolean, maxLength: i32): string | null {
    const value = this.value(object, key, path, required);
    if (value === null) return null;
    if (value.kind != JSONValueKind.STRING) {
      this.fail(path + " must be a string");
      return null;
    }
    return this.checkString(value.toString(), path, maxLength);
  }

  checkString(text: string, path: string, maxLength: i32): string | null {
    if (text.trim().length == 0) {
      this.fail(path + " must not be empty");
      return null;
    }
    if (text.length > maxLength) {
      this.fail(path + " is longer than " + maxLength.toString() + " characters");
      return null;
    }
    return text;
  }

  /** A number in [min, max]; NaN if absent or wrong. */
  number(object: JsonObject, key: string, path: string, required: boolean, min: f64, max: f64): f64 {
    const value = this.value(object, key, path, required);
    if (value === null) return NaN;
    if (value.kind != JSONValueKind.NUMBER) {
      this.fail(path + " must be a number");
      return NaN;
    }
    const number = value.toF64();
    if (!(number >= min && number <= max)) {
      this.fail(path + " must be between " + min.toString() + " and " + max.toString());
      return NaN;
    }
    return number;
  }

  /** An integer in [min, max]; `absent` if absent or wrong. */
  integer(object: JsonObject, key: string, path: string, required: boolean, min: i32, max: i32, absent: i32): i32 {
    const number = this.number(object, key, path, required, min as f64, max as f64);
    if (isNaN(number)) return absent;
    if (number != Math.floor(number)) {
      this.fail(path + " must be a whole number");
      return absent;
    }
    return number as i32;
  }

  object(object: JsonObject, key: string, path: string, required: boolean): JsonObject | null {
    const value = this.value(object, key, path, required);
    if (value === null) return null;
    if (value.kind != JSONValueKind.OBJECT) {
      this.fail(path + " must be an object");
      return null;
    }
    return value.toObject();
  }

  strings(object: JsonObject, key: string, path: string, maxItems: i32, maxLength: i32): string[] | null {
    const value = this.value(object, key, path, false);
    if (value === null) return null;
    if (value.kind != JSONValueKind.ARRAY) {
      this.fail(path + " must be an array");
      return null;
    }
    const items = value.toArray();
    if (items.length > maxItems) {
      this.fail(path + " has more than " + maxItems.toString() + " items");
      return null;
    }
    const result = new Array<string>(0);
    for (let i = 0; i < items.length; i++) {
      const itemPath = path + "[" + i.toString() + "]";
      if (items[i].kind != JSONValueKind.STRING) {
        this.fail(itemPath + " must be a string");
        return null;
      }
      const text = this.checkString(items[i].toString(), itemPath, maxLength);
      if (text === null) return null;
      result.push(text);
    }
    return result;
  }
}

/** A decimal for a checked f64 (finite and in range). */
function decimal(value: f64): BigDecimal | null {
  if (isNaN(value)) return null;
  return BigDecimal.fromString(value.toString());
}

/**
 * Fills `document` from `content`. Returns null if the document is valid (its fields are then
 * set), or why it is not (and no field but the status ones is set).
 */
export function readResourceMetadata(content: Bytes, document: ResourceMetadataDocument): string | null {
  if (content.length > MAX_METADATA_BYTES) {
    return "larger than " + MAX_METADATA_BYTES.toString() + " bytes";
  }
  const parsed = json.try_fromBytes(content);
  if (parsed.isError) return "not valid JSON";
  if (parsed.value.kind != JSONValueKind.OBJECT) return "not a JSON object";
  const root = parsed.value.toObject();
  const read = new Reader();

  const version = read.integer(root, "version", "version", true, 1, i32.MAX_VALUE, 0);
  if (read.error === null && version != METADATA_VERSION) {
    read.fail("version " + version.toString() + " is not supported (expected " + METADATA_VERSION.toString() + ")");
  }
  const name = read.string(root, "name", "name", true, 100);
  const description = read.string(root, "description", "description", false, 2_000);
  const cloud = read.string(root, "cloud", "cloud", true, 16);
  if (cloud !== null && !CLOUDS.includes(cloud)) read.fail("cloud must be one of " + CLOUDS.join(", "));
  const region = read.string(root, "region", "region", true, 64);
  const instanceType = read.string(root, "instanceType", "instanceType", false, 64);
  const vcpu = read.integer(root, "vcpu", "vcpu", true, 1, 4_096, 0);
  const memoryGib = read.number(root, "memoryGib", "memoryGib", true, 0.001, 1_048_576);

  let gpuModel: string | null = null;
  let gpuCount = 0;
  const gpu = read.object(root, "gpu", "gpu", false);
  if (gpu !== null) {
    gpuModel = read.string(gpu, "model", "gpu.model", true, 100);
    gpuCount = read.integer(gpu, "count", "gpu.count", true, 1, 1_024, 0);
  }

  let storageSizeGib: f64 = NaN;
  let storageType: string | null = null;
  const storage = read.object(root, "storage", "storage", false);
  if (storage !== null) {
    storageSizeGib = read.number(storage, "sizeGib", "storage.sizeGib", true, 0.001, 1_073_741_824);
    storageType = read.string(storage, "type", "storage.type", false, 32);
  }

  let bandwidthGbps: f64 = NaN;
  const network = read.object(root, "network", "network", false);
  if (network !== null) {
    bandwidthGbps = read.number(network, "bandwidthGbps", "network.bandwidthGbps", true, 0.001, 100_000);
  }

  const osImages = read.strings(root, "osImages", "osImages", 32, 100);
  const tags = read.strings(root, "tags", "tags", 32, 32);

  if (read.error !== null) return read.error;
  document.version = version;
  document.name = name;
  document.description = description;
  document.cloud = cloud;
  document.region = region;
  document.instanceType = instanceType;
  document.vcpu = vcpu;
  document.memoryGib = decimal(memoryGib);
  if (gpu !== null) {
    document.gpuModel = gpuModel;
    document.gpuCount = gpuCount;
  }
  document.storageSizeGib = decimal(storageSizeGib);
  document.storageType = storageType;
  document.bandwidthGbps = decimal(bandwidthGbps);
  document.osImages = osImages;
  document.tags = tags;
  return null;
}
