/**
 * Resource metadata documents that the subgraph and the sdk must judge alike: the sdk's examples,
 * and variations of one of them that sit on either side of every rule of the schema (size, UTF-8,
 * JSON syntax, required and optional fields, unknown keys, lengths, patterns, enums, ranges,
 * uniqueness) and on the corners where readers of JSON tend to differ (lone surrogate escapes, a
 * byte order mark, repeated keys, numbers that round to a limit). Nothing here says which verdict
 * is right: the sdk's parser decides, and the test checks that the subgraph agrees.
 */
import { readFileSync, readdirSync } from "node:fs";

import { MAX_METADATA_BYTES } from "@d-cloudx/sdk/metadata";

export interface MetadataCase {
  name: string;
  document: Uint8Array;
}

const EXAMPLES = new URL("../../sdk/examples/", import.meta.url);
const encode = (text: string) => new TextEncoder().encode(text);
const bytes = (...values: number[]) => Uint8Array.from(values);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));

type Document = Record<string, unknown>;
const base = JSON.parse(readFileSync(new URL("aws-g5-xlarge.json", EXAMPLES), "utf8")) as Document;

/** The base document with `change` applied, as JSON. */
function edited(change: (document: Document) => void): string {
  const document = structuredClone(base);
  change(document);
  return JSON.stringify(document);
}

const PLACEHOLDER = "\u0000raw\u0000";
/** The base document with one value written as `json`, verbatim (for what JSON.stringify never writes). */
function withRaw(set: (document: Document, placeholder: string) => void, json: string): string {
  return edited((document) => set(document, PLACEHOLDER)).replace(JSON.stringify(PLACEHOLDER), json);
}
const rawField = (key: string, json: string) => withRaw((document, raw) => (document[key] = raw), json);
const rawIn = (object: string, key: string, json: string) =>
  withRaw((document, raw) => ((document[object] as Document)[key] = raw), json);

/** The base document with `sequence` (raw bytes) inside its name. */
function inName(...sequence: number[]): Uint8Array {
  const [before, after] = edited((document) => (document.name = "GPU \u0001 box")).split("\\u0001");
  return concat(encode(before!), bytes(...sequence), encode(after!));
}

/** The base document padded with trailing spaces to exactly `size` bytes. */
function padded(size: number): string {
  const json = JSON.stringify(base);
  return json + " ".repeat(size - encode(json).length);
}

/** 2^-1075 written out exactly: half the smallest double, which rounds (to even) to zero. */
const HALF_MIN_DOUBLE = (() => {
  const digits = (5n ** 1075n).toString();
  return "0." + "0".repeat(1075 - digits.length) + digits;
})();
/** 65536 + 2^-37: halfway between 65536 and the next double, which rounds (to even) to 65536. */
const HALFWAY_ABOVE_65536 = "65536.0000000000072759576141834259033203125";

const set = (key: string, value: unknown) => edited((document) => (document[key] = value));
const setIn = (object: string, key: string, value: unknown) =>
  edited((document) => ((document[object] as Document)[key] = value));
const without = (key: string) => edited((document) => delete document[key]);
const withoutIn = (object: string, key: string) => edited((document) => delete (document[object] as Document)[key]);
const range = (count: number, item: (i: number) => string) => Array.from({ length: count }, (_, i) => item(i));

const documents: [string, string | Uint8Array][] = [
  // Size, encoding and syntax.
  ["exactly the size limit", padded(MAX_METADATA_BYTES)],
  ["one byte over the size limit", padded(MAX_METADATA_BYTES + 1)],
  ["byte order mark", concat(bytes(0xef, 0xbb, 0xbf), encode(JSON.stringify(base)))],
  ["two byte order marks", concat(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf), encode(JSON.stringify(base)))],
  ["invalid UTF-8 byte", inName(0xff)],
  ["overlong UTF-8", inName(0xc1, 0x81)],
  ["UTF-8 encoded surrogate", inName(0xed, 0xa0, 0x80)],
  ["UTF-8 above U+10FFFF", inName(0xf4, 0x90, 0x80, 0x80)],
  ["4-byte UTF-8", inName(0xf0, 0x9f, 0x9a, 0x80)],
  ["truncated UTF-8 at the end", concat(encode(JSON.stringify(base)), bytes(0xe2, 0x82))],
  ["empty document", ""],
  ["only whitespace", " \n\t "],
  ["whitespace around the object", `\r\n\t ${JSON.stringify(base)} \n`],
  ["trailing comma", JSON.stringify(base).replace(/}$/, ",}")],
  ["unterminated", JSON.stringify(base).slice(0, -1)],
  ["data after the object", JSON.stringify(base) + "{}"],
  ["single-quoted string", JSON.stringify(base).replace('"aws"', "'aws'")],
  ["comment", JSON.stringify(base).replace("{", "{/* a comment */")],
  ["raw tab inside a string", JSON.stringify(base).replace("N. Virginia", "N.\tVirginia")],
  ["invalid escape", JSON.stringify(base).replace("N. Virginia", "N.\\x Virginia")],
  ["short unicode escape", JSON.stringify(base).replace("N. Virginia", "N.\\u12 Virginia")],
  [
    "escapes in strings and keys",
    without("name").replace('"version"', '"n\\u0061me":"AWS \\/ \\u0067\\u0035.xlarge","version"'),
  ],
  ["lone high surrogate escape in the name", rawField("name", '"GPU \\ud800 box"')],
  ["lone low surrogate escape in the description", rawField("description", '"An \\udc00 oddity"')],
  ["surrogate pair escape in the name", rawField("name", '"GPU \\ud83d\\ude80 box"')],
  ["emoji in the name", set("name", "GPU 🚀 box")],
  ["repeated key, last one valid", JSON.stringify(base).replace('"vcpu":4', '"vcpu":0,"vcpu":4')],
  ["repeated key, last one invalid", JSON.stringify(base).replace('"vcpu":4', '"vcpu":4,"vcpu":0')],
  ["__proto__ key", JSON.stringify(base).replace("{", '{"__proto__":{},')],
  ["deeply nested value", rawField("vcpu", "[".repeat(5000) + "]".repeat(5000))],
  ["not an object: array", "[" + JSON.stringify(base) + "]"],
  ["not an object: string", '"aws"'],
  ["not an object: null", "null"],
  ["not an object: number", "1"],
  // Numbers: JSON grammar and rounding to doubles.
  ["leading zero", rawField("vcpu", "04")],
  ["plus sign", rawField("vcpu", "+4")],
  ["fraction without digits", rawField("memoryGib", "16.")],
  ["fraction without integer part", rawField("memoryGib", ".5")],
  ["exponent without digits", rawField("memoryGib", "1e")],
  ["NaN", rawField("memoryGib", "NaN")],
  ["Infinity", rawField("memoryGib", "Infinity")],
  ["version 1.0", rawField("version", "1.0")],
  ["version 1e0", rawField("version", "1e0")],
  ["version 1.0000000000000001 (rounds to 1)", rawField("version", "1.0000000000000001")],
  ["version 1.000000000000001", rawField("version", "1.000000000000001")],
  ["vcpu 4.0000000000000001 (rounds to 4)", rawField("vcpu", "4.0000000000000001")],
  ["vcpu 4.000000000000001", rawField("vcpu", "4.000000000000001")],
  ["vcpu 1024e0", rawField("vcpu", "1024e0")],
  ["vcpu 1.024E+3", rawField("vcpu", "1.024E+3")],
  ["memoryGib 1.6e1", rawField("memoryGib", "1.6e1")],
  ["memoryGib 65536", rawField("memoryGib", "65536")],
  ["memoryGib halfway above 65536 (rounds to 65536)", rawField("memoryGib", HALFWAY_ABOVE_65536)],
  ["memoryGib just above halfway above 65536", rawField("memoryGib", HALFWAY_ABOVE_65536 + "1")],
  ["memoryGib 1e400 (infinite)", rawField("memoryGib", "1e400")],
  ["memoryGib 1e-400 (zero)", rawField("memoryGib", "1e-400")],
  ["memoryGib with a 30-digit exponent", rawField("memoryGib", "1e999999999999999999999999999999")],
  ["memoryGib with a 30-digit negative exponent", rawField("memoryGib", "1e-999999999999999999999999999999")],
  ["memoryGib 16 with a 30-digit zero exponent", rawField("memoryGib", "16e000000000000000000000000000000")],
  ["memoryGib -0", rawField("memoryGib", "-0")],
  ["memoryGib smallest double", rawField("memoryGib", "5e-324")],
  ["memoryGib exactly half the smallest double (rounds to 0)", rawField("memoryGib", HALF_MIN_DOUBLE)],
  ["memoryGib just above half the smallest double", rawField("memoryGib", HALF_MIN_DOUBLE + "1")],
  ["memoryGib 0.001", set("memoryGib", 0.001)],
  ["memoryGib with 400 digits", rawField("memoryGib", "16." + "0".repeat(398) + "1")],
  ["bandwidth 1E4", rawIn("network", "bandwidthGbps", "1E4")],
  ["bandwidth 1.00000000000000001e4 (rounds to 10000)", rawIn("network", "bandwidthGbps", "1.00000000000000001e4")],
  ["bandwidth 10000.000000000002", rawIn("network", "bandwidthGbps", "10000.000000000002")],
  // Fields: presence, types and nulls.
  ["minimal: no description, gpu or tags", edited((d) => (delete d.description, delete d.gpu, delete d.tags))],
  ...["version", "name", "cloud", "region", "instanceType", "vcpu", "memoryGib", "storage", "network", "osImages"].map(
    (key): [string, string] => [`without ${key}`, without(key)],
  ),
  ["description null", set("description", null)],
  ["gpu null", set("gpu", null)],
  ["tags null", set("tags", null)],
  ["name null", set("name", null)],
  ["unknown key", set("price", 1)],
  ["unknown key in gpu", setIn("gpu", "vendor", "nvidia")],
  ["unknown key in storage", setIn("storage", "iops", 3000)],
  ["unknown key in network", setIn("network", "ipv6", true)],
  ["gpu without count", withoutIn("gpu", "count")],
  ["gpu without memoryGib", withoutIn("gpu", "memoryGib")],
  ["storage without type", withoutIn("storage", "type")],
  ["network without bandwidth", withoutIn("network", "bandwidthGbps")],
  ["gpu as an array", set("gpu", [base.gpu])],
  ["version as a string", set("version", "1")],
  ["vcpu as a string", set("vcpu", "4")],
  ["name as a number", set("name", 5)],
  ["cloud as a boolean", set("cloud", true)],
  ["osImages as a string", set("osImages", "ubuntu-22.04")],
  // Values.
  ["version 2", set("version", 2)],
  ["name of 80 characters", set("name", "x".repeat(80))],
  ["name of 81 characters", set("name", "x".repeat(81))],
  // Lengths count code points: an emoji is two UTF-16 units but one character.
  ["name of 80 emoji", set("name", "🚀".repeat(80))],
  ["name of 81 emoji", set("name", "🚀".repeat(81))],
  [
    "name of 79 emoji and a lone surrogate",
    rawField("name", JSON.stringify("🚀".repeat(79)).replace(/"$/, '\\ud800"')),
  ],
  [
    "name of 80 emoji and a lone surrogate",
    rawField("name", JSON.stringify("🚀".repeat(80)).replace(/"$/, '\\ud800"')),
  ],
  ["empty name", set("name", "")],
  ["name with a leading space", set("name", " GPU box")],
  ["name with a trailing no-break space", set("name", "GPU box\u00a0")],
  ["name with a trailing ideographic space", set("name", "GPU box\u3000")],
  ["name with a trailing line separator", set("name", "GPU box\u2028")],
  ["name with a leading byte order mark", set("name", "\ufeffGPU box")],
  ["name with a zero-width space", set("name", "GPU\u200bbox")],
  ["name with a newline", set("name", "GPU\nbox")],
  ["name with DEL", set("name", "GPU\u007fbox")],
  ["name with a C1 control (NEL)", set("name", "GPU\u0085box")],
  ["name with U+00A0 inside", set("name", "GPU\u00a0box")],
  // Bidirectional controls render a name in another order than it is stored ("GPU" shown as "UPG").
  ...[0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069].map(
    (unit): [string, string] => [
      `name with bidirectional control U+${unit.toString(16).toUpperCase()}`,
      set("name", `GPU${String.fromCharCode(unit)}box`),
    ],
  ),
  ["description with a right-to-left override", set("description", "Fast \u202egpu\u202c machine")],
  ["OS image with a left-to-right isolate", set("osImages", ["debian\u2066-12"])],
  ["GPU model with a right-to-left mark", set("gpu", { model: "A10G\u200f", count: 1 })],
  ["right-to-left name without controls", set("name", "\u05e9\u05e8\u05ea GPU")],
  ["description with tab and newline", set("description", "One\tA10G.\nNVMe.")],
  ["description with a carriage return", set("description", "One A10G.\r\nNVMe.")],
  ["description with a line separator", set("description", "One A10G.\u2028NVMe.")],
  ["description of 2000 characters", set("description", "d".repeat(2000))],
  ["description of 2001 characters", set("description", "d".repeat(2001))],
  ["empty description", set("description", "")],
  ["description of only spaces", set("description", "   ")],
  ...["aws", "azure", "gcp", "local", "other"].map((cloud): [string, string] => [
    `cloud ${cloud}`,
    set("cloud", cloud),
  ]),
  ["cloud ibm", set("cloud", "ibm")],
  ["cloud AWS", set("cloud", "AWS")],
  ["region westeurope", set("region", "westeurope")],
  ["region of 64 characters", set("region", "a".repeat(64))],
  ["region of 65 characters", set("region", "a".repeat(65))],
  ...["US-East-1", "us--east-1", "-us-east-1", "us-east-1-", "us_east_1", "us east 1", ""].map(
    (region): [string, string] => [`region "${region}"`, set("region", region)],
  ),
  ...["Standard_D4s_v5", "n2-standard-8", "g5.xlarge", "a", "A1.b2_c3-d4"].map((type): [string, string] => [
    `instanceType "${type}"`,
    set("instanceType", type),
  ]),
  ...["g5..xlarge", ".g5", "g5.", "g5 xlarge", "g5._xlarge", "g5/xlarge", ""].map((type): [string, string] => [
    `instanceType "${type}"`,
    set("instanceType", type),
  ]),
  ["instanceType of 65 characters", set("instanceType", "a".repeat(65))],
  ...[0, 1, 1024, 1025, -4, 2.5].map((vcpu): [string, string] => [`vcpu ${vcpu}`, set("vcpu", vcpu)]),
  ...[0, -1, 65536.5, 0.5].map((memory): [string, string] => [`memoryGib ${memory}`, set("memoryGib", memory)]),
  ["gpu count 64", setIn("gpu", "count", 64)],
  ["gpu count 65", setIn("gpu", "count", 65)],
  ["gpu count 0", setIn("gpu", "count", 0)],
  ["gpu count 1.5", setIn("gpu", "count", 1.5)],
  ["gpu memoryGib 1024", setIn("gpu", "memoryGib", 1024)],
  ["gpu memoryGib 1025", setIn("gpu", "memoryGib", 1025)],
  ["gpu memoryGib 0", setIn("gpu", "memoryGib", 0)],
  ["gpu memoryGib null", setIn("gpu", "memoryGib", null)],
  ["gpu model of 64 characters", setIn("gpu", "model", "m".repeat(64))],
  ["gpu model of 65 characters", setIn("gpu", "model", "m".repeat(65))],
  ["gpu model with a trailing space", setIn("gpu", "model", "A10G ")],
  ...["ssd", "nvme", "hdd", "network", "SSD", "tape", ""].map((type): [string, string] => [
    `storage type "${type}"`,
    setIn("storage", "type", type),
  ]),
  ["storage 1048576 GiB", setIn("storage", "sizeGib", 1_048_576)],
  ["storage 1048577 GiB", setIn("storage", "sizeGib", 1_048_577)],
  ["storage 0 GiB", setIn("storage", "sizeGib", 0)],
  ["storage 250.5 GiB", setIn("storage", "sizeGib", 250.5)],
  ["bandwidth 10000", setIn("network", "bandwidthGbps", 10_000)],
  ["bandwidth 10000.5", setIn("network", "bandwidthGbps", 10_000.5)],
  ["bandwidth 0", setIn("network", "bandwidthGbps", 0)],
  ["bandwidth 0.1", setIn("network", "bandwidthGbps", 0.1)],
  ["one OS image", set("osImages", ["debian-12"])],
  ["no OS images", set("osImages", [])],
  [
    "16 OS images",
    set(
      "osImages",
      range(16, (i) => `image-${i}`),
    ),
  ],
  [
    "17 OS images",
    set(
      "osImages",
      range(17, (i) => `image-${i}`),
    ),
  ],
  ["repeated OS image", set("osImages", ["debian-12", "debian-12"])],
  ["OS image of 64 characters", set("osImages", ["o".repeat(64)])],
  ["OS image of 65 characters", set("osImages", ["o".repeat(65)])],
  ["OS image with spaces inside", set("osImages", ["Ubuntu 22.04 LTS"])],
  ["OS image with a trailing space", set("osImages", ["debian-12 "])],
  ["OS image as a number", set("osImages", [12])],
  ["no tags", set("tags", [])],
  [
    "16 tags",
    set(
      "tags",
      range(16, (i) => `tag-${i}`),
    ),
  ],
  [
    "17 tags",
    set(
      "tags",
      range(17, (i) => `tag-${i}`),
    ),
  ],
  ["repeated tag", set("tags", ["gpu", "gpu"])],
  ["tag of 32 characters", set("tags", ["t".repeat(32)])],
  ["tag of 33 characters", set("tags", ["t".repeat(33)])],
  ...["GPU", "ml_inference", "ml--inference", "-gpu", "gpu-", "", "ml inference"].map((tag): [string, string] => [
    `tag "${tag}"`,
    set("tags", [tag]),
  ]),
  ["tags as an object", set("tags", { gpu: true })],
  // The service picks the rules.
  ["service compute", set("service", "compute")],
  ["service null", set("service", null)],
  ["service as a number", set("service", 1)],
  ["service disk", set("service", "disk")],
  ["service object-storage on a machine", set("service", "object-storage")],
  ...storageDocuments(),
];

/** Variations of the sdk's S3 example, on either side of each object storage rule. */
function storageDocuments(): [string, string][] {
  const storage = JSON.parse(readFileSync(new URL("aws-s3-standard.json", EXAMPLES), "utf8")) as Document;
  const with_ = (change: (document: Document) => void) => {
    const document = structuredClone(storage);
    change(document);
    return JSON.stringify(document);
  };
  const put = (key: string, value: unknown) => with_((document) => (document[key] = value));
  const cases: [string, string][] = [
    ["storage: minimal, no description or tags", with_((d) => (delete d.description, delete d.tags))],
    ["storage: with a machine's vcpu", put("vcpu", 4)],
    ["storage: with osImages", put("osImages", ["debian-12"])],
    ["storage: with instanceType", put("instanceType", "g5.xlarge")],
    ["storage: unknown key", put("iops", 3000)],
    ["storage: version 2", put("version", 2)],
    ["storage: empty name", put("name", "")],
    ["storage: region with spaces", put("region", "eu central 1")],
    ["storage: cloud ibm", put("cloud", "ibm")],
    ["storage: capacity 1.5", put("capacityGib", 1.5)],
    ["storage: capacity as a string", put("capacityGib", "500")],
    ["storage: egress 2.5", put("includedEgressGib", 2.5)],
    ["storage: egress -1", put("includedEgressGib", -1)],
    ["storage: egress 1048577", put("includedEgressGib", 1_048_577)],
    ["storage: egress null", put("includedEgressGib", null)],
    ["storage: repeated tag", put("tags", ["eu", "eu"])],
  ];
  for (const key of [
    "name",
    "cloud",
    "region",
    "api",
    "storageClass",
    "redundancy",
    "capacityGib",
    "includedEgressGib",
  ]) {
    cases.push([`storage: without ${key}`, with_((d) => delete d[key])]);
  }
  for (const api of ["s3", "azure-blob", "gcs", "S3", "ftp", ""])
    cases.push([`storage: api "${api}"`, put("api", api)]);
  for (const redundancy of ["single-zone", "multi-zone", "multi-region", "zone", "MULTI-ZONE"]) {
    cases.push([`storage: redundancy "${redundancy}"`, put("redundancy", redundancy)]);
  }
  for (const storageClass of ["Standard_LRS", "NEARLINE", "standard.ia", "Standard LRS", "_hot", "x".repeat(65)]) {
    cases.push([`storage: storageClass "${storageClass.slice(0, 20)}"`, put("storageClass", storageClass)]);
  }
  for (const capacity of [0, 1, 1_048_576, 1_048_577, -5])
    cases.push([`storage: capacity ${capacity}`, put("capacityGib", capacity)]);
  for (const egress of [0, 0.5, 1_048_576]) cases.push([`storage: egress ${egress}`, put("includedEgressGib", egress)]);
  return cases;
}

/** The sdk's resource examples, then the documents above. */
export function metadataCases(): MetadataCase[] {
  const examples = readdirSync(EXAMPLES)
    .filter((name) => name.endsWith(".json") && name !== "provider-profile.json")
    .sort()
    .map((name) => ({ name: `example ${name}`, document: new Uint8Array(readFileSync(new URL(name, EXAMPLES))) }));
  return [
    ...examples,
    ...documents.map(([name, document]) => ({
      name,
      document: typeof document === "string" ? encode(document) : document,
    })),
  ];
}
