/**
 * Checks untrusted JSON documents against rules generated from the sdk's JSON Schemas
 * (scripts/metadata-rules.ts writes ../generated/metadata-rules.ts at build time), reading them as
 * the sdk's zod schemas do: size cap, strict UTF-8 (a leading byte order mark is dropped, as
 * TextDecoder does), JSON.parse semantics (./json.ts), then each rule: types, required and optional
 * fields (an optional field may be absent, not null), strict objects (an unknown key is an error),
 * lengths in code points, numbers as doubles, patterns, enums, ranges and unique items. Any byte
 * sequence ends valid or with its first problem, never in a failed handler.
 *
 * JSON Schema patterns are regular expressions, which AssemblyScript lacks: each pattern the
 * schemas use has a matcher here (PATTERN_*), and the generator refuses a pattern it cannot map.
 */
import { Bytes } from "@graphprotocol/graph-ts";

import {
  JSON_ARRAY,
  JSON_NUMBER,
  JSON_OBJECT,
  JSON_STRING,
  JsonNode,
  isHighSurrogate,
  isLowSurrogate,
  isUtf8,
  parseJson,
  toWellFormed,
} from "./json";

export const TYPE_STRING: i32 = 0;
export const TYPE_NUMBER: i32 = 1;
export const TYPE_INTEGER: i32 = 2;
export const TYPE_OBJECT: i32 = 3;
export const TYPE_ARRAY: i32 = 4;
/** Valid when any of `anyOf` is. */
export const TYPE_ANY_OF: i32 = 5;
/** An object checked by the branch its `discriminator` field names (zod's discriminated union). */
export const TYPE_UNION: i32 = 6;

/** No control character (`^[^\p{Cc}]*$`). */
export const PATTERN_NO_CONTROL: i32 = 0;
/** No control character but tab and newline. */
export const PATTERN_NO_CONTROL_BUT_TAB_NEWLINE: i32 = 1;
/** No whitespace at either end (`^(?:\S(?:[\s\S]*\S)?)?$`, String.prototype.trim's whitespace). */
export const PATTERN_TRIMMED: i32 = 2;
/** Words of `wordChars` joined by single `separators` (`^[a-z0-9]+(?:-[a-z0-9]+)*$` and the like). */
export const PATTERN_WORDS: i32 = 3;
/** Starts with one of `prefixes` (`^(?:https|ipfs):\/\/`). */
export const PATTERN_PREFIX: i32 = 4;
/** zod's e-mail address pattern. */
export const PATTERN_EMAIL: i32 = 5;
/** No Unicode bidirectional control (`^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$`). */
export const PATTERN_NO_BIDI_CONTROL: i32 = 6;

export class Pattern {
  constructor(
    public kind: i32,
    public message: string,
    /** PATTERN_WORDS: "lower" (a-z0-9) or "mixed" (A-Za-z0-9); PATTERN_PREFIX: the prefixes, space-separated. */
    public argument: string = "",
    public separators: string = "",
  ) {}
}

/** One rule of a JSON Schema, with the keywords the metadata schemas use. */
export class Rule {
  type: i32;
  minLength: i32 = 0;
  maxLength: i32 = i32.MAX_VALUE;
  patterns: Pattern[] = [];
  options: string[] | null = null;
  hasConst: bool = false;
  constValue: f64 = 0;
  minimum: f64 = -Infinity;
  exclusiveMinimum: bool = false;
  maximum: f64 = Infinity;
  keys: string[] = [];
  rules: Rule[] = [];
  required: bool[] = [];
  minItems: i32 = 0;
  maxItems: i32 = i32.MAX_VALUE;
  uniqueItems: bool = false;
  items: Rule | null = null;
  anyOf: Rule[] = [];
  anyOfMessage: string = "";
  discriminator: string = "";
  branchValues: string[] = [];
  /** Per branch: whether a document without the discriminator is that branch's. */
  branchDefault: bool[] = [];

  constructor(type: i32) {
    this.type = type;
  }

  length(min: i32, max: i32): Rule {
    this.minLength = min;
    this.maxLength = max;
    return this;
  }

  pattern(pattern: Pattern): Rule {
    this.patterns.push(pattern);
    return this;
  }

  oneOf(options: string[]): Rule {
    this.options = options;
    return this;
  }

  equals(value: f64): Rule {
    this.hasConst = true;
    this.constValue = value;
    return this;
  }

  range(minimum: f64, exclusiveMinimum: bool, maximum: f64): Rule {
    this.minimum = minimum;
    this.exclusiveMinimum = exclusiveMinimum;
    this.maximum = maximum;
    return this;
  }

  property(key: string, required: bool, rule: Rule): Rule {
    this.keys.push(key);
    this.required.push(required);
    this.rules.push(rule);
    return this;
  }

  list(min: i32, max: i32, unique: bool, items: Rule): Rule {
    this.minItems = min;
    this.maxItems = max;
    this.uniqueItems = unique;
    this.items = items;
    return this;
  }

  either(message: string, rule: Rule): Rule {
    this.anyOfMessage = message;
    this.anyOf.push(rule);
    return this;
  }

  /** A branch of a union on `discriminator`, taken when it equals `value` (or is absent, if `isDefault`). */
  branch(discriminator: string, value: string, isDefault: bool, rule: Rule): Rule {
    this.discriminator = discriminator;
    this.branchValues.push(value);
    this.branchDefault.push(isDefault);
    this.anyOf.push(rule);
    return this;
  }
}

/** A document's rules: its JSON Schema, how large it may be, and how deep its containers may nest. */
export class DocumentRules {
  constructor(
    public maxBytes: i32,
    public maxDepth: i32,
    public root: Rule,
  ) {}
}

export class CheckedDocument {
  /** The parsed document when it follows every rule. */
  value: JsonNode | null = null;
  /** The first problem found, as `path: message`, otherwise. */
  error: string | null = null;
}

const KIND_NAMES = ["null", "boolean", "number", "string", "array", "object"];
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991;

/** Checks `content` (bytes as fetched from IPFS) against `rules`. */
export function checkDocument(content: Bytes, rules: DocumentRules): CheckedDocument {
  const result = new CheckedDocument();
  if (content.length > rules.maxBytes) {
    result.error = "document is " + content.length.toString() + " bytes; the limit is " + rules.maxBytes.toString();
    return result;
  }
  if (!isUtf8(content)) {
    result.error = "document is not valid UTF-8";
    return result;
  }
  const hasByteOrderMark = content.length >= 3 && content[0] == 0xef && content[1] == 0xbb && content[2] == 0xbf;
  const parsed = parseJson(content, hasByteOrderMark ? 3 : 0, rules.maxDepth);
  if (parsed.value === null) {
    result.error = "document is not JSON: " + (parsed.error as string);
    return result;
  }
  const checker = new Checker();
  checker.check(parsed.value as JsonNode, rules.root, "(document)");
  if (checker.error !== null) result.error = toWellFormed(checker.error as string);
  else result.value = parsed.value;
  return result;
}

/** A limit for a message: whole numbers without a fraction. */
function formatLimit(value: f64): string {
  return value == Math.floor(value) ? (value as i64).toString() : value.toString();
}

function join(path: string, key: string): string {
  return path == "(document)" ? key : path + "." + key;
}

class Checker {
  error: string | null = null;

  fail(path: string, message: string): void {
    if (this.error === null) this.error = path + ": " + message;
  }

  check(value: JsonNode, rule: Rule, path: string): void {
    if (rule.type == TYPE_ANY_OF) {
      for (let i = 0; i < rule.anyOf.length; i++) {
        const attempt = new Checker();
        attempt.check(value, rule.anyOf[i], path);
        if (attempt.error === null) return;
      }
      this.fail(path, rule.anyOfMessage);
      return;
    }
    if (rule.type == TYPE_UNION) {
      this.union(value, rule, path);
      return;
    }
    const expected =
      rule.type == TYPE_STRING
        ? JSON_STRING
        : rule.type == TYPE_OBJECT
          ? JSON_OBJECT
          : rule.type == TYPE_ARRAY
            ? JSON_ARRAY
            : JSON_NUMBER;
    if (value.kind != expected) {
      this.fail(path, "expected " + KIND_NAMES[expected] + ", received " + KIND_NAMES[value.kind]);
      return;
    }
    if (rule.type == TYPE_STRING) this.text(value.text, rule, path);
    else if (rule.type == TYPE_OBJECT) this.object(value, rule, path);
    else if (rule.type == TYPE_ARRAY) this.array(value, rule, path);
    else this.number(value.toF64(), rule, path);
  }

  /** Checks an object by the branch its discriminator names, so errors speak of that branch's fields. */
  union(value: JsonNode, rule: Rule, path: string): void {
    if (value.kind != JSON_OBJECT) {
      this.fail(path, "expected object, received " + KIND_NAMES[value.kind]);
      return;
    }
    const key = rule.discriminator;
    const tag = value.get(key);
    for (let i = 0; i < rule.anyOf.length; i++) {
      const taken = tag === null ? rule.branchDefault[i] : tag.kind == JSON_STRING && tag.text == rule.branchValues[i];
      if (taken) {
        this.check(value, rule.anyOf[i], path);
        return;
      }
    }
    if (tag === null) this.fail(join(path, key), "required");
    else this.fail(join(path, key), "must be one of " + rule.branchValues.join(", "));
  }

  text(text: string, rule: Rule, path: string): void {
    const length = codePointLength(text);
    if (length < rule.minLength) {
      this.fail(
        path,
        rule.minLength == 1 ? "must not be empty" : "shorter than " + rule.minLength.toString() + " characters",
      );
      return;
    }
    if (length > rule.maxLength) {
      this.fail(path, "longer than " + rule.maxLength.toString() + " characters");
      return;
    }
    const options = rule.options;
    if (options !== null && !options.includes(text)) {
      this.fail(path, "must be one of " + options.join(", "));
      return;
    }
    for (let i = 0; i < rule.patterns.length; i++) {
      if (!matches(text, rule.patterns[i])) {
        this.fail(path, rule.patterns[i].message);
        return;
      }
    }
  }

  number(number: f64, rule: Rule, path: string): void {
    if (!isFinite(number)) this.fail(path, "must be a finite number");
    else if (rule.hasConst && number != rule.constValue) this.fail(path, "must be " + formatLimit(rule.constValue));
    else if (rule.type == TYPE_INTEGER && (number != Math.floor(number) || Math.abs(number) > MAX_SAFE_INTEGER)) {
      this.fail(path, "must be a whole number");
    } else if (rule.exclusiveMinimum ? !(number > rule.minimum) : number < rule.minimum) {
      this.fail(path, "must be " + (rule.exclusiveMinimum ? "greater than " : "at least ") + formatLimit(rule.minimum));
    } else if (number > rule.maximum) this.fail(path, "must be at most " + formatLimit(rule.maximum));
  }

  object(object: JsonNode, rule: Rule, path: string): void {
    // Strict objects: an unknown key is an error, as in a strict zod object.
    for (let i = 0; i < object.keys.length; i++) {
      if (!rule.keys.includes(object.keys[i])) this.fail(path, 'unknown key "' + object.keys[i] + '"');
    }
    for (let i = 0; i < rule.keys.length; i++) {
      const key = rule.keys[i];
      const value = object.get(key);
      if (value === null) {
        if (rule.required[i]) this.fail(join(path, key), "required");
      } else {
        this.check(value, rule.rules[i], join(path, key));
      }
    }
  }

  array(array: JsonNode, rule: Rule, path: string): void {
    const items = array.items;
    if (items.length < rule.minItems) {
      this.fail(path, "must have at least " + rule.minItems.toString() + " entries");
      return;
    }
    if (items.length > rule.maxItems) {
      this.fail(path, "must have at most " + rule.maxItems.toString() + " entries");
      return;
    }
    const itemRule = rule.items;
    if (itemRule !== null) {
      for (let i = 0; i < items.length; i++) this.check(items[i], itemRule, path + "." + i.toString());
    }
    if (rule.uniqueItems) {
      // The metadata schemas' unique lists hold strings; zod compares the parsed values.
      const seen = new Set<string>();
      for (let i = 0; i < items.length; i++) {
        const key = items[i].kind.toString() + ":" + items[i].text;
        if (seen.has(key)) {
          this.fail(path, "must not repeat an entry");
          return;
        }
        seen.add(key);
      }
    }
  }
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

function isControl(unit: i32): bool {
  return unit < 0x20 || (unit >= 0x7f && unit <= 0x9f);
}

function isLowerAlphanumeric(unit: i32): bool {
  return (unit >= 0x61 && unit <= 0x7a) || (unit >= 0x30 && unit <= 0x39);
}

function isAlphanumeric(unit: i32): bool {
  return isLowerAlphanumeric(unit) || (unit >= 0x41 && unit <= 0x5a);
}

function isLetter(unit: i32): bool {
  return (unit >= 0x61 && unit <= 0x7a) || (unit >= 0x41 && unit <= 0x5a);
}

/** LRM, RLM, the embeddings and overrides U+202A–U+202E and the isolates U+2066–U+2069. */
function isBidiControl(unit: i32): bool {
  return unit == 0x200e || unit == 0x200f || (unit >= 0x202a && unit <= 0x202e) || (unit >= 0x2066 && unit <= 0x2069);
}

function matches(text: string, pattern: Pattern): bool {
  if (pattern.kind == PATTERN_NO_BIDI_CONTROL) {
    for (let i = 0; i < text.length; i++) if (isBidiControl(text.charCodeAt(i))) return false;
    return true;
  }
  if (pattern.kind == PATTERN_NO_CONTROL || pattern.kind == PATTERN_NO_CONTROL_BUT_TAB_NEWLINE) {
    const allowBreaks = pattern.kind == PATTERN_NO_CONTROL_BUT_TAB_NEWLINE;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (isControl(unit) && !(allowBreaks && (unit == 0x09 || unit == 0x0a))) return false;
    }
    return true;
  }
  // AssemblyScript's trim removes exactly the characters JavaScript's (and \s) does.
  if (pattern.kind == PATTERN_TRIMMED) return text.trim() == text;
  if (pattern.kind == PATTERN_WORDS) return isSeparatedWords(text, pattern.argument == "lower", pattern.separators);
  if (pattern.kind == PATTERN_PREFIX) {
    const prefixes = pattern.argument.split(" ");
    for (let i = 0; i < prefixes.length; i++) if (text.startsWith(prefixes[i])) return true;
    return false;
  }
  return isEmail(text);
}

/**
 * Whether `text` is words of `[a-z0-9]` (`[A-Za-z0-9]` unless `lowercase`) joined by single
 * characters of `separators`.
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

/**
 * zod's e-mail pattern: `^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@` then
 * `(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`.
 */
function isEmail(text: string): bool {
  const at = text.indexOf("@");
  if (at < 1 || text.lastIndexOf("@") != at) return false;
  // Local part: characters of [A-Za-z0-9_'+-] and dots, no dot first or twice in a row, and a last
  // character other than a dot or an apostrophe.
  let previousWasDot = true;
  for (let i = 0; i < at; i++) {
    const unit = text.charCodeAt(i);
    if (unit == 0x2e) {
      if (previousWasDot) return false;
      previousWasDot = true;
    } else if (isAlphanumeric(unit) || unit == 0x5f || unit == 0x27 || unit == 0x2b || unit == 0x2d) {
      previousWasDot = false;
    } else {
      return false;
    }
  }
  const last = text.charCodeAt(at - 1);
  if (last == 0x2e || last == 0x27) return false;
  // Domain: labels that start with a letter or digit, then a top-level label of two or more letters.
  const labels = text.slice(at + 1).split(".");
  if (labels.length < 2) return false;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label.length == 0) return false;
    for (let k = 0; k < label.length; k++) {
      const unit = label.charCodeAt(k);
      const ok =
        i == labels.length - 1 ? isLetter(unit) : k == 0 ? isAlphanumeric(unit) : isAlphanumeric(unit) || unit == 0x2d;
      if (!ok) return false;
    }
  }
  return labels[labels.length - 1].length >= 2;
}
