/**
 * Writes a `gnd test` case that proves the subgraph reads resource metadata exactly as the sdk
 * does: every document of ./metadata-cases.ts is served as an IPFS file to a resource, and the
 * expected answer for each is what the sdk's `parseResourceMetadata` makes of it at the time the
 * test runs: VALID with the same field values, or INVALID.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import { type ResourceMetadata, parseResourceMetadata } from "@d-cloudx/sdk/metadata";

import { metadataCases } from "./metadata-cases.ts";

const MARKETPLACE = "0x00000000000000000000000000000000000000a4";
const START = 1_767_225_600;

/** A number as graph-node prints a BigDecimal: plain notation, no trailing zeros. */
function decimal(value: number): string {
  const [digits, exponent = "0"] = value.toExponential().split("e");
  const [whole, fraction = ""] = digits!.replace("-", "").split(".");
  const shift = Number(exponent);
  const all = whole! + fraction;
  const point = whole!.length + shift;
  const text =
    point <= 0
      ? "0." + "0".repeat(-point) + all
      : point >= all.length
        ? all + "0".repeat(point - all.length)
        : all.slice(0, point) + "." + all.slice(point);
  return (value < 0 ? "-" : "") + text;
}

/**
 * What the subgraph stores for a document the sdk accepted. Text is stored as UTF-8, so a lone
 * surrogate (which JSON.parse lets through) becomes U+FFFD, as it does in any UTF-8 encoder.
 */
function expectedFields(document: ResourceMetadata): Record<string, unknown> {
  const common = {
    status: "VALID",
    service: document.service ?? "compute",
    name: document.name.toWellFormed(),
    description: document.description?.toWellFormed() ?? null,
    cloud: document.cloud,
    region: document.region,
    tags: document.tags ?? null,
  };
  const compute = document.service === "object-storage" ? undefined : document;
  const storage = document.service === "object-storage" ? document : undefined;
  return {
    ...common,
    instanceType: compute?.instanceType ?? null,
    vcpu: compute?.vcpu ?? null,
    memoryGib: compute ? decimal(compute.memoryGib) : null,
    gpuModel: compute?.gpu?.model.toWellFormed() ?? null,
    gpuCount: compute?.gpu?.count ?? null,
    gpuMemoryGib: compute?.gpu?.memoryGib === undefined ? null : decimal(compute.gpu.memoryGib),
    storageSizeGib: compute?.storage.sizeGib ?? null,
    storageType: compute?.storage.type ?? null,
    bandwidthGbps: compute ? decimal(compute.network.bandwidthGbps) : null,
    osImages: compute?.osImages.map((image) => image.toWellFormed()) ?? null,
    storageApi: storage?.api ?? null,
    storageClass: storage?.storageClass ?? null,
    redundancy: storage?.redundancy ?? null,
    capacityGib: storage?.capacityGib ?? null,
    includedEgressGib: storage ? decimal(storage.includedEgressGib) : null,
  };
}
/**
 * gnd serves a test's first 100 files only (later file data sources are never processed), so the
 * documents are split over several tests.
 */
const DOCUMENTS_PER_TEST = 80;

/**
 * Writes the tests (and the documents they serve) to `directory`; returns their paths, with how
 * many documents the sdk accepts and rejects.
 */
export function writeMetadataEquivalenceTests(directory: string): { files: string[]; valid: number; invalid: number } {
  const cases = metadataCases();
  mkdirSync(join(directory, "documents"), { recursive: true });
  const tests: string[] = [];
  let valid = 0;
  for (let first = 0; first < cases.length; first += DOCUMENTS_PER_TEST) {
    const files: { cid: string; file: string }[] = [];
    const events: unknown[] = [];
    let query = "";
    const expected: Record<string, unknown> = {};
    for (const [offset, { name, document }] of cases.slice(first, first + DOCUMENTS_PER_TEST).entries()) {
      const resourceId = first + offset + 1;
      const cid = CID.create(1, raw.code, sha256.digest(document) as never).toString();
      const file = `documents/${resourceId}.json`;
      writeFileSync(join(directory, file), document);
      files.push({ cid, file });
      events.push({
        address: MARKETPLACE,
        event: "ResourceMetadataUpdated(uint256 indexed resourceId, string metadataCid, uint32 metadataVersion)",
        params: { resourceId, metadataCid: cid, metadataVersion: 1 },
      });
      const verdict = parseResourceMetadata(document);
      if (verdict.ok) valid++;
      const fields = verdict.ok ? expectedFields(verdict.value) : { status: "INVALID" };
      // The alias names the case in gnd's report of a mismatch.
      const alias = `c${resourceId}_${name.replace(/[^A-Za-z0-9]+/g, "_").replace(/_$/, "")}`;
      query += `\n  ${alias}: resourceMetadataDocument(id: "${resourceId}-1") { ${Object.keys(fields).join(" ")} }`;
      expected[alias] = fields;
    }
    const last = first + files.length;
    const test = {
      name: `Resource metadata: the subgraph agrees with the sdk on documents ${first + 1}–${last} of ${cases.length}`,
      files,
      // Files are processed with the blocks after the one that asks for them.
      blocks: [START, START + 12, START + 24, START + 36, START + 48].map((timestamp, i) => ({
        number: i + 1,
        timestamp,
        events: i === 1 ? events : [],
      })),
      assertions: [{ query: `{${query}\n}`, expected }],
    };
    const file = join(directory, `metadata-equivalence-${first + 1}-${last}.json`);
    writeFileSync(file, JSON.stringify(test, null, 2));
    tests.push(file);
  }
  return { files: tests, valid, invalid: cases.length - valid };
}
