/**
 * Reads resource metadata documents as the sdk does: `parseResourceMetadata` in @d-cloudx/sdk
 * (sdk/src/metadata.ts), which the dApp and the oracle node use. The rules are generated from the
 * sdk's JSON Schema at build time (../generated/metadata-rules.ts, checked by ./rules.ts), so a
 * document is VALID here exactly when the sdk accepts it; tests/metadata-equivalence.ts runs the
 * sdk's examples and documents built to break each rule through both and compares the verdicts.
 * This file only picks the searchable fields out of a valid document.
 */
import { BigDecimal, Bytes } from "@graphprotocol/graph-ts";

import { ResourceMetadataDocument } from "../../generated/schema";
import { resourceMetadataRules } from "../generated/metadata-rules";
import { JsonNode, toWellFormed } from "./json";
import { checkDocument } from "./rules";

/** The `service` of an object storage listing; machines say "compute" or leave it out. */
const OBJECT_STORAGE = "object-storage";

/** A string field of a checked document, or null if absent. */
export function textOf(object: JsonNode | null, key: string): string | null {
  if (object === null) return null;
  const value = object.get(key);
  return value === null ? null : toWellFormed(value.text);
}

/** A number field of a checked document, or NaN if absent. */
function numberOf(object: JsonNode | null, key: string): f64 {
  if (object === null) return NaN;
  const value = object.get(key);
  return value === null ? NaN : value.toF64();
}

/** A decimal for a checked double, or null for NaN (absent). */
function decimal(value: f64): BigDecimal | null {
  if (isNaN(value)) return null;
  return BigDecimal.fromString(value.toString());
}

/** The strings of a checked list field, or null if absent. */
function textsOf(object: JsonNode, key: string): string[] | null {
  const value = object.get(key);
  if (value === null) return null;
  const texts = new Array<string>(0);
  for (let i = 0; i < value.items.length; i++) texts.push(toWellFormed(value.items[i].text));
  return texts;
}

/**
 * Checks `content` and, if it is valid, fills `document` with its searchable fields. Returns null
 * if the document is valid, or the first problem found (and then sets no field).
 */
export function readResourceMetadata(content: Bytes, document: ResourceMetadataDocument): string | null {
  const checked = checkDocument(content, resourceMetadataRules());
  if (checked.error !== null) return checked.error;
  const root = checked.value as JsonNode;
  document.version = numberOf(root, "version") as i32;
  document.name = textOf(root, "name");
  document.description = textOf(root, "description");
  document.cloud = textOf(root, "cloud");
  document.region = textOf(root, "region");
  document.tags = textsOf(root, "tags");
  const service = textOf(root, "service");
  if (service == OBJECT_STORAGE) {
    document.service = OBJECT_STORAGE;
    document.storageApi = textOf(root, "api");
    document.storageClass = textOf(root, "storageClass");
    document.redundancy = textOf(root, "redundancy");
    document.capacityGib = numberOf(root, "capacityGib") as i32;
    document.includedEgressGib = decimal(numberOf(root, "includedEgressGib"));
    return null;
  }
  // A machine listing may leave `service` out.
  document.service = "compute";
  const gpu = root.get("gpu");
  const storage = root.get("storage");
  document.instanceType = textOf(root, "instanceType");
  document.vcpu = numberOf(root, "vcpu") as i32;
  document.memoryGib = decimal(numberOf(root, "memoryGib"));
  if (gpu !== null) {
    document.gpuModel = textOf(gpu, "model");
    document.gpuCount = numberOf(gpu, "count") as i32;
    document.gpuMemoryGib = decimal(numberOf(gpu, "memoryGib"));
  }
  document.storageSizeGib = numberOf(storage, "sizeGib") as i32;
  document.storageType = textOf(storage, "type");
  document.bandwidthGbps = decimal(numberOf(root.get("network"), "bandwidthGbps"));
  document.osImages = textsOf(root, "osImages");
  return null;
}
