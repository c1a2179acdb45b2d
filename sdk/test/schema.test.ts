import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

import { metadataJsonSchemas } from "../src/metadata.ts";

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as unknown;

describe("JSON Schema export", () => {
  const schemas = metadataJsonSchemas();

  it("is up to date in sdk/schema/ (regenerate with `npm run schema -w sdk`)", () => {
    for (const [file, schema] of Object.entries(schemas)) {
      assert.deepEqual(read(`../schema/${file}`), schema, `sdk/schema/${file} is stale: run npm run schema -w sdk`);
    }
  });

  it("accepts the examples and rejects what the zod schema rejects, for JSON Schema validators", () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(ajv);
    const resource = ajv.compile(read("../schema/resource-metadata.schema.json") as object);
    const profile = ajv.compile(read("../schema/provider-profile.schema.json") as object);
    for (const name of [
      "aws-g5-xlarge",
      "azure-standard-d4s-v5",
      "gcp-n2-standard-8",
      "local-workstation",
      "aws-s3-standard",
      "azure-blob-standard-zrs",
      "gcs-nearline",
    ]) {
      assert.ok(resource(read(`../examples/${name}.json`)), `${name}: ${ajv.errorsText(resource.errors)}`);
    }
    const example = read("../examples/provider-profile.json") as Record<string, unknown>;
    assert.ok(profile(example), ajv.errorsText(profile.errors));

    const aws = read("../examples/aws-g5-xlarge.json") as Record<string, unknown>;
    for (const change of [{ cloud: "ibm" }, { vcpu: -1 }, { version: 2 }, { extra: true }, { tags: ["a", "a"] }]) {
      assert.equal(resource({ ...aws, ...change }), false, JSON.stringify(change));
    }
    const s3 = read("../examples/aws-s3-standard.json") as Record<string, unknown>;
    for (const change of [
      { service: "disk" },
      { api: "ftp" },
      { capacityGib: 0 },
      { vcpu: 4 },
      { service: undefined },
    ]) {
      assert.equal(resource({ ...s3, ...change }), false, JSON.stringify(change));
    }
    for (const change of [
      { website: "javascript:alert(1)" },
      { website: "http://example.org" },
      { contact: "nobody" },
    ]) {
      assert.equal(profile({ ...example, ...change }), false, JSON.stringify(change));
    }
  });
});
