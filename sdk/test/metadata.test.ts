import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import {
  MAX_METADATA_BYTES,
  isObjectStorage,
  parseProviderProfile,
  resourceType,
  parseResourceMetadata,
  type MetadataParseResult,
  type ResourceMetadata,
} from "../src/index.ts";

const examples = new URL("../examples/", import.meta.url);
const readExample = (name: string) => readFileSync(new URL(name, examples));
const resourceExamples = readdirSync(examples).filter(
  (name) => name.endsWith(".json") && name !== "provider-profile.json",
);
const aws = JSON.parse(readExample("aws-g5-xlarge.json").toString()) as ResourceMetadata;

function errorsOf(result: MetadataParseResult<unknown>): string[] {
  assert.equal(result.ok, false, "expected the document to be rejected");
  return result.ok ? [] : result.errors;
}

/** The AWS example with `change` applied, as a JSON document. */
function awsWith(change: (document: Record<string, unknown>) => void): string {
  const document = structuredClone(aws) as unknown as Record<string, unknown>;
  change(document);
  return JSON.stringify(document);
}

describe("resource metadata", () => {
  it("accepts the examples for AWS, Azure, GCP and a local machine, and for object storage, as bytes and as text", () => {
    assert.deepEqual(resourceExamples.sort(), [
      "aws-g5-xlarge.json",
      "aws-s3-standard.json",
      "azure-blob-standard-zrs.json",
      "azure-standard-d4s-v5.json",
      "gcp-n2-standard-8.json",
      "gcs-nearline.json",
      "local-workstation.json",
    ]);
    for (const name of resourceExamples) {
      const bytes = readExample(name);
      const fromBytes = parseResourceMetadata(bytes);
      assert.ok(fromBytes.ok, `${name}: ${fromBytes.ok ? "" : fromBytes.errors.join("; ")}`);
      assert.deepEqual(parseResourceMetadata(bytes.toString()), fromBytes);
    }
    const parsed = parseResourceMetadata(readExample("aws-g5-xlarge.json"));
    assert.ok(parsed.ok && !isObjectStorage(parsed.value));
    assert.equal(parsed.value.gpu?.model, "NVIDIA A10G");
    assert.equal(parsed.value.cloud, "aws");
  });

  it("rejects a document over the size limit before parsing it", () => {
    const padded = awsWith((document) => (document.description = "x".repeat(MAX_METADATA_BYTES)));
    assert.deepEqual(errorsOf(parseResourceMetadata(padded)), [
      `document is ${padded.length} bytes; the limit is ${MAX_METADATA_BYTES}`,
    ]);
    // Counted in UTF-8 bytes: 6,000 three-byte characters are 18,000 bytes.
    const wide = awsWith((document) => (document.name = "€".repeat(6000)));
    assert.match(errorsOf(parseResourceMetadata(new TextEncoder().encode(wide)))[0]!, /limit is 16384/);
    assert.match(errorsOf(parseResourceMetadata(wide))[0]!, /limit is 16384/);
    // Not JSON at all, but too big: the size is reported, nothing is parsed.
    assert.match(errorsOf(parseResourceMetadata("[".repeat(1_000_000)))[0]!, /limit/);
  });

  it("rejects what is not JSON or not UTF-8", () => {
    assert.match(errorsOf(parseResourceMetadata("name: gpu box"))[0]!, /^document is not JSON/);
    assert.match(errorsOf(parseResourceMetadata(""))[0]!, /^document is not JSON/);
    assert.deepEqual(errorsOf(parseResourceMetadata(new Uint8Array([0x7b, 0xff, 0x7d]))), [
      "document is not valid UTF-8",
    ]);
    assert.deepEqual(errorsOf(parseResourceMetadata("[]")), [
      "(document): Invalid input: expected object, received array",
    ]);
  });

  it("rejects each wrong field with its path", () => {
    const cases: [string, (document: Record<string, unknown>) => void, RegExp][] = [
      [
        "unknown cloud",
        (d) => (d.cloud = "ibm"),
        /^cloud: Invalid option: expected one of "aws"\|"azure"\|"gcp"\|"local"\|"other"$/,
      ],
      ["negative vcpu", (d) => (d.vcpu = -4), /^vcpu: Too small/],
      ["fractional vcpu", (d) => (d.vcpu = 2.5), /^vcpu: Invalid input: expected int/],
      ["vcpu as text", (d) => (d.vcpu = "4"), /^vcpu: Invalid input: expected number/],
      ["infinite memory (1e999 in JSON)", (d) => (d.memoryGib = "INFINITY"), /^memoryGib: /],
      ["zero memory", (d) => (d.memoryGib = 0), /^memoryGib: Too small/],
      ["wrong version", (d) => (d.version = 2), /^version: Invalid input: expected 1$/],
      ["missing version", (d) => delete d.version, /^version: /],
      ["extra key", (d) => (d.price = 3), /^\(document\): Unrecognized key: "price"$/],
      [
        "extra nested key",
        (d) => ((d.gpu as Record<string, unknown>).vendor = "nvidia"),
        /^gpu: Unrecognized key: "vendor"$/,
      ],
      [
        "__proto__ key",
        (d) => Object.defineProperty(d, "__proto__", { value: {}, enumerable: true }),
        /Unrecognized key: "__proto__"/,
      ],
      ["unknown storage type", (d) => (d.storage = { sizeGib: 100, type: "tape" }), /^storage\.type: Invalid option/],
      ["too many GPUs", (d) => (d.gpu = { model: "H100", count: 1000 }), /^gpu\.count: Too big/],
      ["empty name", (d) => (d.name = ""), /^name: Too small/],
      ["control character in name", (d) => (d.name = "GPU\u001b[2Jbox"), /^name: must be one line/],
      ["right-to-left override in name", (d) => (d.name = "GPU \u202exob"), /^name: must not contain bidirectional/],
      ["left-to-right isolate in name", (d) => (d.name = "GPU \u2066box"), /^name: must not contain bidirectional/],
      ["right-to-left mark in name", (d) => (d.name = "GPU\u200fbox"), /^name: must not contain bidirectional/],
      [
        "pop directional formatting in description",
        (d) => (d.description = "Fast\u202c machine"),
        /^description: must not contain bidirectional/,
      ],
      ["padded name", (d) => (d.name = " GPU box"), /^name: must not start or end with whitespace/],
      ["region with spaces", (d) => (d.region = "US East"), /^region: must be lowercase/],
      ["no OS image", (d) => (d.osImages = []), /^osImages: Too small/],
      ["repeated OS image", (d) => (d.osImages = ["debian-12", "debian-12"]), /^osImages: must not repeat an entry$/],
      ["too many tags", (d) => (d.tags = Array.from({ length: 17 }, (_, i) => `t${i}`)), /^tags: Too big/],
      ["bad tag", (d) => (d.tags = ["GPU!"]), /^tags\.0: must be lowercase/],
    ];
    for (const [label, change, expected] of cases) {
      const document = label.startsWith("infinite") ? awsWith(change).replace('"INFINITY"', "1e999") : awsWith(change);
      const errors = errorsOf(parseResourceMetadata(document));
      assert.ok(
        errors.some((error) => expected.test(error)),
        `${label}: got ${JSON.stringify(errors)}`,
      );
    }
  });

  it("reads object storage listings by their own rules", () => {
    const s3 = JSON.parse(readExample("aws-s3-standard.json").toString()) as Record<string, unknown>;
    const parsed = parseResourceMetadata(JSON.stringify(s3));
    assert.ok(parsed.ok && isObjectStorage(parsed.value));
    assert.equal(resourceType(parsed.value), "STANDARD");
    const compute = parseResourceMetadata(readExample("aws-g5-xlarge.json"));
    assert.ok(compute.ok && !isObjectStorage(compute.value));
    assert.equal(resourceType(compute.value), "g5.xlarge");
    assert.ok(parseResourceMetadata(awsWith((d) => (d.service = "compute"))).ok);

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["unknown service", { service: "disk" }, /^service: must be one of compute, object-storage$/],
      ["unknown API", { api: "ftp" }, /^api: Invalid option/],
      ["unknown redundancy", { redundancy: "triple" }, /^redundancy: Invalid option/],
      ["no capacity", { capacityGib: 0 }, /^capacityGib: Too small/],
      ["fractional capacity", { capacityGib: 1.5 }, /^capacityGib: Invalid input: expected int/],
      ["capacity over 1 PiB", { capacityGib: 1_048_577 }, /^capacityGib: Too big/],
      ["negative egress", { includedEgressGib: -1 }, /^includedEgressGib: Too small/],
      ["storage class with spaces", { storageClass: "Standard LRS" }, /^storageClass: must be letters/],
      ["a machine's field", { vcpu: 4 }, /^\(document\): Unrecognized key: "vcpu"$/],
    ];
    for (const [label, change, expected] of cases) {
      const errors = errorsOf(parseResourceMetadata(JSON.stringify({ ...s3, ...change })));
      assert.ok(
        errors.some((error) => expected.test(error)),
        `${label}: got ${JSON.stringify(errors)}`,
      );
    }
    const withoutRedundancy = { ...s3, redundancy: undefined };
    assert.match(errorsOf(parseResourceMetadata(JSON.stringify(withoutRedundancy))).join(), /^redundancy: /);
    assert.ok(parseResourceMetadata(JSON.stringify({ ...s3, includedEgressGib: 0 })).ok);
  });

  it("reports every problem at once", () => {
    const errors = errorsOf(parseResourceMetadata(JSON.stringify({ version: 1, cloud: "ibm", vcpu: -1 })));
    for (const field of [
      "name",
      "cloud",
      "region",
      "instanceType",
      "vcpu",
      "memoryGib",
      "storage",
      "network",
      "osImages",
    ]) {
      assert.ok(
        errors.some((error) => error.startsWith(`${field}: `)),
        `${field} missing from ${JSON.stringify(errors)}`,
      );
    }
  });
});

describe("provider profile", () => {
  const profile = JSON.parse(readExample("provider-profile.json").toString()) as Record<string, unknown>;
  const withChange = (change: Record<string, unknown>) => JSON.stringify({ ...profile, ...change });

  it("accepts the example, whose logo CID is the CID of the logo file", async () => {
    const parsed = parseProviderProfile(readExample("provider-profile.json"));
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.errors.join("; "));
    // What `ipfs add --cid-version 1` gives for a file under 256 KiB: a raw leaf, sha2-256.
    const logo = CID.create(1, raw.code, await sha256.digest(readExample("provider-logo.svg")));
    assert.equal(parsed.value.logo, logo.toString());
    assert.ok(parseProviderProfile(JSON.stringify({ version: 1, displayName: "Solo" })).ok);
  });

  it("takes https: and ipfs: URLs only", () => {
    for (const website of [
      "https://example.org/about",
      "ipfs://bafkreic4n4j35ezb5ncu7c5wea6gsqg5yliigbr4dwpapmy5uq2cwsrcwa/index.html",
    ]) {
      assert.ok(parseProviderProfile(withChange({ website })).ok, website);
    }
    const rejected = [
      "javascript:alert(1)",
      "http://example.org",
      "HTTPS://example.org",
      "data:text/html,<script>alert(1)</script>",
      "https://user:secret@example.org",
      "ipfs://not-a-cid/index.html",
      "https://",
      "//example.org",
    ];
    for (const website of rejected) {
      const errors = errorsOf(parseProviderProfile(withChange({ website })));
      assert.ok(
        errors.every((error) => error.startsWith("website: ")),
        `${website}: ${JSON.stringify(errors)}`,
      );
    }
    assert.ok(parseProviderProfile(withChange({ contact: "https://example.org/contact" })).ok);
    assert.ok(!parseProviderProfile(withChange({ contact: "javascript:alert(1)" })).ok);
    assert.ok(!parseProviderProfile(withChange({ contact: "not an address" })).ok);
  });

  it("parses the logo as a CID", () => {
    assert.ok(parseProviderProfile(withChange({ logo: "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn" })).ok);
    for (const logo of [
      "bafkreiNOTACID",
      "Qm123",
      "https://example.org/logo.png",
      "bafkreic4n4j35ezb5ncu7c5wea6gsqg5yliigbr4dwpapmy5uq2cwsrcw",
    ]) {
      assert.deepEqual(errorsOf(parseProviderProfile(withChange({ logo }))), ["logo: must be a CID"], logo);
    }
  });

  it("refuses a display name that renders reversed, to impersonate another provider", () => {
    // "Nimbus\u202esduolC" shows as "NimbusCloud s" — and U+2066–U+2069, U+200E/U+200F likewise reorder text.
    for (const control of ["\u202e", "\u202d", "\u2067", "\u200e"]) {
      assert.match(
        errorsOf(parseProviderProfile(withChange({ displayName: `Nimbus${control}sduolC` })))[0]!,
        /^displayName: must not contain bidirectional text controls/,
      );
    }
    assert.ok(
      parseProviderProfile(withChange({ displayName: "\u05e2\u05e0\u05df Cloud" })).ok,
      "right-to-left text itself is fine",
    );
  });

  it("is strict and versioned", () => {
    assert.match(errorsOf(parseProviderProfile(withChange({ twitter: "@nimbus" })))[0]!, /Unrecognized key: "twitter"/);
    assert.match(errorsOf(parseProviderProfile(withChange({ version: "1" })))[0]!, /^version: /);
    assert.match(
      errorsOf(parseProviderProfile(withChange({ displayName: "x".repeat(65) })))[0]!,
      /^displayName: Too big/,
    );
  });
});
