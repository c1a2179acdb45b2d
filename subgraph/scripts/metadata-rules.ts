/**
 * Writes src/generated/metadata-rules.ts: the sdk's metadata JSON Schemas (generated from its zod
 * schemas, sdk/src/metadata.ts) and size cap as rules for the subgraph's document checker
 * (src/common/rules.ts). Run by every subgraph build, so a field added to the sdk's schema is
 * checked by the subgraph without an edit here. A schema keyword or pattern the checker does not
 * implement stops the build with the name of what is missing.
 */
import { mkdirSync, writeFileSync } from "node:fs";

import { MAX_METADATA_BYTES, metadataJsonSchemas } from "@d-cloudx/sdk/metadata";

const OUTPUT = new URL("../src/generated/metadata-rules.ts", import.meta.url);
/** Containers in a valid document nest a few levels deep; deeper ones are refused without reading further. */
const MAX_DEPTH = 8;
/** The documents and the functions that return their rules. */
const DOCUMENTS: Record<string, string> = {
  "resource-metadata.schema.json": "resourceMetadataRules",
  "provider-profile.schema.json": "providerProfileRules",
};

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: string[];
  const?: number | string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  uniqueItems?: boolean;
  format?: string;
}
const ANNOTATIONS = new Set(["$schema", "title", "description"]);
const EMAIL_PATTERN =
  "^(?:[A-Za-z0-9_'+\\-]+\\.)*[A-Za-z0-9_'+\\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\\-]*\\.)+[A-Za-z]{2,}$";

const literal = (value: unknown) => JSON.stringify(value);
const f64 = (value: number) => (value === Infinity ? "Infinity" : value === -Infinity ? "-Infinity" : String(value));

/** The checker's matcher for a JSON Schema pattern. */
function pattern(source: string, path: string): string {
  const make = (kind: string, message: string, argument = "", separators = "") =>
    `new Pattern(${kind}, ${literal(message)}, ${literal(argument)}, ${literal(separators)})`;
  if (source === "^[^\\p{Cc}]*$") return make("PATTERN_NO_CONTROL", "must be one line without control characters");
  if (source === "^(?:[^\\p{Cc}]|[\\t\\n])*$") {
    return make("PATTERN_NO_CONTROL_BUT_TAB_NEWLINE", "must not contain control characters other than tab and newline");
  }
  if (source === "^(?:\\S(?:[\\s\\S]*\\S)?)?$") return make("PATTERN_TRIMMED", "must not start or end with whitespace");
  if (source === EMAIL_PATTERN) return make("PATTERN_EMAIL", "must be an e-mail address");
  if (source === "^[^\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069]*$") {
    return make(
      "PATTERN_NO_BIDI_CONTROL",
      "must not contain bidirectional text controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)",
    );
  }
  const words = /^\^\[(a-z0-9|A-Za-z0-9)\]\+\(\?:(?:\[([^\]]+)\]|(-))\[\1\]\+\)\*\$$/.exec(source);
  if (words) {
    const separators = (words[2] ?? words[3]!).replace(/\\/g, "");
    const message = `must be ${words[1] === "a-z0-9" ? "lowercase " : ""}words joined by ${separators.split("").join(" or ")}`;
    return make("PATTERN_WORDS", message, words[1] === "a-z0-9" ? "lower" : "mixed", separators);
  }
  const prefixes = /^\^\(\?:([a-z|]+)\):\\\/\\\/$/.exec(source);
  if (prefixes) {
    const list = prefixes[1]!.split("|").map((scheme) => `${scheme}://`);
    return make("PATTERN_PREFIX", `must start with ${list.join(" or ")}`, list.join(" "));
  }
  throw new Error(`${path}: no matcher for the pattern ${source}; add one to src/common/rules.ts`);
}

/** The checker's rule for `schema`, as AssemblyScript. */
function rule(schema: Schema, path: string): string {
  for (const key of Object.keys(schema)) {
    const supported: Record<string, readonly string[]> = {
      string: ["type", "minLength", "maxLength", "pattern", "allOf", "enum", "const", "format"],
      number: ["type", "const", "minimum", "exclusiveMinimum", "maximum"],
      integer: ["type", "minimum", "exclusiveMinimum", "maximum"],
      object: ["type", "properties", "required", "additionalProperties"],
      array: ["type", "minItems", "maxItems", "items", "uniqueItems"],
      anyOf: ["anyOf"],
      oneOf: ["oneOf"],
    };
    const kind = schema.type ?? (schema.anyOf ? "anyOf" : schema.oneOf ? "oneOf" : "");
    if (!ANNOTATIONS.has(key) && !supported[kind]?.includes(key)) {
      throw new Error(
        `${path}: the subgraph's checker does not implement "${key}" for ${schema.type ?? "this"} values`,
      );
    }
  }
  if (schema.anyOf) {
    const message = "must be one of the allowed forms";
    return schema.anyOf.reduce(
      (code, option, i) => `${code}.either(${literal(message)}, ${rule(option, `${path} (form ${i + 1})`)})`,
      "new Rule(TYPE_ANY_OF)",
    );
  }
  if (schema.oneOf) return union(schema.oneOf, path);
  switch (schema.type) {
    case "string": {
      if (schema.format !== undefined && !(schema.format === "email" && schema.pattern === EMAIL_PATTERN)) {
        throw new Error(`${path}: the subgraph's checker does not implement the format "${schema.format}"`);
      }
      let code = `new Rule(TYPE_STRING).length(${schema.minLength ?? 0}, ${schema.maxLength ?? "i32.MAX_VALUE"})`;
      if (schema.enum) code += `.oneOf(${literal(schema.enum)})`;
      if (typeof schema.const === "string") code += `.oneOf(${literal([schema.const])})`;
      const patterns = [schema.pattern, ...(schema.allOf ?? []).map((part) => part.pattern)];
      for (const source of patterns) if (source !== undefined) code += `.pattern(${pattern(source, path)})`;
      for (const part of schema.allOf ?? []) {
        if (Object.keys(part).some((key) => key !== "pattern"))
          throw new Error(`${path}: allOf holds more than patterns`);
      }
      return code;
    }
    case "number":
    case "integer": {
      const exclusive = schema.exclusiveMinimum !== undefined;
      const minimum = schema.exclusiveMinimum ?? schema.minimum ?? -Infinity;
      let code = `new Rule(${schema.type === "number" ? "TYPE_NUMBER" : "TYPE_INTEGER"})`;
      code += `.range(${f64(minimum)}, ${exclusive}, ${f64(schema.maximum ?? Infinity)})`;
      if (typeof schema.const === "number") code += `.equals(${f64(schema.const)})`;
      return code;
    }
    case "object": {
      if (schema.additionalProperties !== false) throw new Error(`${path}: objects must be strict`);
      const required = new Set(schema.required ?? []);
      return Object.entries(schema.properties ?? {}).reduce(
        (code, [key, property]) =>
          `${code}\n    .property(${literal(key)}, ${required.has(key)}, ${rule(property, `${path}.${key}`)})`,
        "new Rule(TYPE_OBJECT)",
      );
    }
    case "array": {
      if (!schema.items) throw new Error(`${path}: arrays need an item schema`);
      const list = [schema.minItems ?? 0, schema.maxItems ?? "i32.MAX_VALUE", schema.uniqueItems === true];
      return `new Rule(TYPE_ARRAY).list(${list.join(", ")}, ${rule(schema.items, `${path}[]`)})`;
    }
    default:
      throw new Error(`${path}: the subgraph's checker does not implement the type ${literal(schema.type)}`);
  }
}

/**
 * A zod discriminated union: objects that each fix one shared field to a different string. The
 * branch a document names is checked, so its errors speak of that branch's fields; the branch whose
 * discriminator is optional is the one a document without it belongs to.
 */
function union(branches: Schema[], path: string): string {
  const objects = branches.filter((branch) => branch.type === "object");
  const keys = Object.keys(objects[0]?.properties ?? {}).filter((key) =>
    branches.every((branch) => typeof branch.properties?.[key]?.const === "string"),
  );
  if (objects.length !== branches.length || keys.length !== 1) {
    throw new Error(`${path}: "oneOf" is supported for objects told apart by one field fixed to a string`);
  }
  const key = keys[0]!;
  return branches.reduce((code, branch) => {
    const value = branch.properties![key]!.const as string;
    const isDefault = !(branch.required ?? []).includes(key);
    return `${code}\n  .branch(${literal(key)}, ${literal(value)}, ${isDefault}, ${rule(branch, `${path} (${value})`)})`;
  }, "new Rule(TYPE_UNION)");
}

let source = `// Generated by scripts/metadata-rules.ts from the sdk's metadata JSON Schemas. Do not edit.
import {
  DocumentRules,
  PATTERN_EMAIL,
  PATTERN_NO_BIDI_CONTROL,
  PATTERN_NO_CONTROL,
  PATTERN_NO_CONTROL_BUT_TAB_NEWLINE,
  PATTERN_PREFIX,
  PATTERN_TRIMMED,
  PATTERN_WORDS,
  Pattern,
  Rule,
  TYPE_ANY_OF,
  TYPE_ARRAY,
  TYPE_INTEGER,
  TYPE_NUMBER,
  TYPE_OBJECT,
  TYPE_STRING,
  TYPE_UNION,
} from "../common/rules";
`;
const schemas = metadataJsonSchemas() as Record<string, Schema>;
for (const [file, name] of Object.entries(DOCUMENTS)) {
  const schema = schemas[file];
  if (!schema) throw new Error(`The sdk has no ${file}`);
  source += `\n/** sdk/schema/${file}, with the sdk's size cap. */\n`;
  source += `export function ${name}(): DocumentRules {\n`;
  source += `  return new DocumentRules(${MAX_METADATA_BYTES}, ${MAX_DEPTH}, ${rule(schema, file)});\n}\n`;
}
mkdirSync(new URL(".", OUTPUT), { recursive: true });
writeFileSync(OUTPUT, source);
