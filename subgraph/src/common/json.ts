/**
 * A JSON reader with the semantics of JavaScript's JSON.parse, for documents that the dApp and
 * the sdk read with JSON.parse. graph-node's own reader (`json.fromBytes`) differs where it
 * matters for untrusted input: it refuses lone surrogate escapes ("\ud800") that JSON.parse
 * accepts, so a document could be valid for the dApp and invalid here. This reader takes checked
 * UTF-8 (`isUtf8`), keeps the last value of a repeated key as JSON.parse does, reads numbers with
 * graph-node's correctly rounded decimal-to-double conversion (the same double JSON.parse
 * produces), and never aborts: it records the first problem instead.
 */
import { json } from "@graphprotocol/graph-ts";

export const JSON_NULL: i32 = 0;
export const JSON_BOOLEAN: i32 = 1;
export const JSON_NUMBER: i32 = 2;
export const JSON_STRING: i32 = 3;
export const JSON_ARRAY: i32 = 4;
export const JSON_OBJECT: i32 = 5;

export class JsonNode {
  kind: i32;
  /** A string's value, or a number's text as written. */
  text: string = "";
  boolean: bool = false;
  items: JsonNode[] = [];
  /** An object's keys in order of first appearance, and their values. */
  keys: string[] = [];
  values: JsonNode[] = [];

  constructor(kind: i32) {
    this.kind = kind;
  }

  /** An object's value for `key`, or null if it has none. */
  get(key: string): JsonNode | null {
    const index = this.keys.indexOf(key);
    return index < 0 ? null : this.values[index];
  }

  /** A number's value: the double nearest to its text (ties to even), as JSON.parse reads it. */
  toF64(): f64 {
    return json.toF64(this.text);
  }
}

export class JsonResult {
  value: JsonNode | null = null;
  error: string | null = null;
}

/**
 * `text` with each lone surrogate replaced by U+FFFD, as String.prototype.toWellFormed does and as
 * any UTF-8 encoder writes it. graph-node refuses strings that are not well-formed UTF-16.
 */
export function toWellFormed(text: string): string {
  const units = new Array<i32>(text.length);
  let changed = false;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const lone = isHighSurrogate(unit)
      ? !(i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1)))
      : isLowSurrogate(unit) && !(i > 0 && isHighSurrogate(text.charCodeAt(i - 1)));
    units[i] = lone ? 0xfffd : unit;
    if (lone) changed = true;
  }
  return changed ? String.fromCharCodes(units) : text;
}

export function isHighSurrogate(unit: i32): bool {
  return unit >= 0xd800 && unit <= 0xdbff;
}

export function isLowSurrogate(unit: i32): bool {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Length of the UTF-8 sequence that starts with `lead`, or 0 if none does. */
function sequenceLength(lead: i32): i32 {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Whether `bytes` are well-formed UTF-8, by the rules of a fatal TextDecoder. */
export function isUtf8(bytes: Uint8Array): bool {
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const lead = bytes[i] as i32;
    const size = sequenceLength(lead);
    if (size == 0 || i + size > length) return false;
    // The second byte's range depends on the lead byte (no overlong forms, no surrogates, nothing
    // above U+10FFFF); later bytes are always 0x80–0xBF.
    const low = lead == 0xe0 ? 0xa0 : lead == 0xf0 ? 0x90 : 0x80;
    const high = lead == 0xed ? 0x9f : lead == 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < size; k++) {
      const next = bytes[i + k] as i32;
      if (k == 1 ? next < low || next > high : next < 0x80 || next > 0xbf) return false;
    }
    i += size;
  }
  return true;
}

/**
 * Parses `bytes` from `start` (well-formed UTF-8) as one JSON document. Containers nested deeper
 * than `maxDepth` are refused, so that hostile input cannot exhaust the stack.
 */
export function parseJson(bytes: Uint8Array, start: i32, maxDepth: i32): JsonResult {
  const parser = new Parser(bytes, start, maxDepth);
  const result = new JsonResult();
  const value = parser.value(0);
  if (value !== null) {
    parser.skipWhitespace();
    if (parser.position < bytes.length) parser.fail("unexpected data after the JSON value");
  }
  if (parser.error === null) result.value = value;
  result.error = parser.error;
  return result;
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: i32): i32 {
  if (isDigit(c)) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

class Parser {
  bytes: Uint8Array;
  position: i32;
  maxDepth: i32;
  error: string | null = null;

  constructor(bytes: Uint8Array, start: i32, maxDepth: i32) {
    this.bytes = bytes;
    this.position = start;
    this.maxDepth = maxDepth;
  }

  fail(message: string): void {
    if (this.error === null) this.error = message + " at byte " + this.position.toString();
  }

  /** The byte at the current position, or -1 at the end. */
  peek(): i32 {
    return this.position < this.bytes.length ? (this.bytes[this.position] as i32) : -1;
  }

  skipWhitespace(): void {
    for (let c = this.peek(); c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d; c = this.peek()) this.position++;
  }

  value(depth: i32): JsonNode | null {
    this.skipWhitespace();
    const c = this.peek();
    if (c == 0x7b || c == 0x5b) {
      if (depth >= this.maxDepth) {
        this.fail("nested deeper than " + this.maxDepth.toString() + " levels");
        return null;
      }
      return c == 0x7b ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c == 0x22) {
      const text = this.string();
      if (text === null) return null;
      const node = new JsonNode(JSON_STRING);
      node.text = text;
      return node;
    }
    if (c == 0x2d || isDigit(c)) return this.number();
    if (this.literal("true")) {
      const node = new JsonNode(JSON_BOOLEAN);
      node.boolean = true;
      return node;
    }
    if (this.literal("false")) return new JsonNode(JSON_BOOLEAN);
    if (this.literal("null")) return new JsonNode(JSON_NULL);
    this.fail(c < 0 ? "unexpected end of the document" : "unexpected character");
    return null;
  }

  literal(word: string): bool {
    if (this.position + word.length > this.bytes.length) return false;
    for (let i = 0; i < word.length; i++) {
      if ((this.bytes[this.position + i] as i32) != word.charCodeAt(i)) return false;
    }
    this.position += word.length;
    return true;
  }

  object(depth: i32): JsonNode | null {
    this.position++; // {
    const node = new JsonNode(JSON_OBJECT);
    const indexOf = new Map<string, i32>();
    this.skipWhitespace();
    if (this.peek() == 0x7d) {
      this.position++;
      return node;
    }
    while (true) {
      this.skipWhitespace();
      if (this.peek() != 0x22) {
        this.fail("expected a key");
        return null;
      }
      const key = this.string();
      if (key === null) return null;
      this.skipWhitespace();
      if (this.peek() != 0x3a) {
        this.fail("expected ':'");
        return null;
      }
      this.position++;
      const value = this.value(depth);
      if (value === null) return null;
      if (indexOf.has(key)) {
        node.values[indexOf.get(key)] = value;
      } else {
        indexOf.set(key, node.keys.length);
        node.keys.push(key);
        node.values.push(value);
      }
      this.skipWhitespace();
      const c = this.peek();
      this.position++;
      if (c == 0x7d) return node;
      if (c != 0x2c) {
        this.position--;
        this.fail("expected ',' or '}'");
        return null;
      }
    }
    return null;
  }

  array(depth: i32): JsonNode | null {
    this.position++; // [
    const node = new JsonNode(JSON_ARRAY);
    this.skipWhitespace();
    if (this.peek() == 0x5d) {
      this.position++;
      return node;
    }
    while (true) {
      const item = this.value(depth);
      if (item === null) return null;
      node.items.push(item);
      this.skipWhitespace();
      const c = this.peek();
      this.position++;
      if (c == 0x5d) return node;
      if (c != 0x2c) {
        this.position--;
        this.fail("expected ',' or ']'");
        return null;
      }
    }
    return null;
  }

  /** A string's UTF-16 code units, escapes resolved; a lone surrogate escape stays one, as in JSON.parse. */
  string(): string | null {
    this.position++; // "
    const units = new Array<i32>(0);
    const bytes = this.bytes;
    while (true) {
      const c = this.peek();
      if (c < 0) {
        this.fail("unterminated string");
        return null;
      }
      if (c == 0x22) {
        this.position++;
        return String.fromCharCodes(units);
      }
      if (c < 0x20) {
        this.fail("control character in a string");
        return null;
      }
      if (c == 0x5c) {
        const unit = this.escape();
        if (unit < 0) return null;
        units.push(unit);
        continue;
      }
      // Multi-byte sequences are well-formed (checked before parsing).
      const p = this.position;
      let codePoint = c;
      if (c >= 0xf0) {
        codePoint =
          ((c & 0x07) << 18) |
          (((bytes[p + 1] as i32) & 0x3f) << 12) |
          (((bytes[p + 2] as i32) & 0x3f) << 6) |
          ((bytes[p + 3] as i32) & 0x3f);
        this.position += 4;
      } else if (c >= 0xe0) {
        codePoint = ((c & 0x0f) << 12) | (((bytes[p + 1] as i32) & 0x3f) << 6) | ((bytes[p + 2] as i32) & 0x3f);
        this.position += 3;
      } else if (c >= 0x80) {
        codePoint = ((c & 0x1f) << 6) | ((bytes[p + 1] as i32) & 0x3f);
        this.position += 2;
      } else {
        this.position++;
      }
      if (codePoint >= 0x10000) {
        codePoint -= 0x10000;
        units.push(0xd800 + (codePoint >> 10));
        units.push(0xdc00 + (codePoint & 0x3ff));
      } else {
        units.push(codePoint);
      }
    }
    return null;
  }

  /** The code unit of the escape at the current position, or -1. */
  escape(): i32 {
    this.position++; // backslash
    const c = this.peek();
    this.position++;
    if (c == 0x22 || c == 0x5c || c == 0x2f) return c;
    if (c == 0x62) return 0x08;
    if (c == 0x66) return 0x0c;
    if (c == 0x6e) return 0x0a;
    if (c == 0x72) return 0x0d;
    if (c == 0x74) return 0x09;
    if (c == 0x75) {
      let unit = 0;
      for (let i = 0; i < 4; i++) {
        const digit = hexValue(this.peek());
        if (digit < 0) {
          this.fail("invalid \\u escape");
          return -1;
        }
        unit = (unit << 4) | digit;
        this.position++;
      }
      return unit;
    }
    this.position--;
    this.fail("invalid escape");
    return -1;
  }

  /** A number by the JSON grammar, kept as written. */
  number(): JsonNode | null {
    const start = this.position;
    if (this.peek() == 0x2d) this.position++;
    if (this.peek() == 0x30) {
      this.position++;
    } else if (!this.digits()) {
      return null;
    }
    if (this.peek() == 0x2e) {
      this.position++;
      if (!this.digits()) return null;
    }
    if ((this.peek() | 0x20) == 0x65) {
      this.position++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.position++;
      if (!this.digits()) return null;
    }
    const units = new Array<i32>(this.position - start);
    for (let i = 0; i < units.length; i++) units[i] = this.bytes[start + i] as i32;
    const node = new JsonNode(JSON_NUMBER);
    node.text = String.fromCharCodes(units);
    return node;
  }

  /** Skips one or more digits; false (and an error) if there is none. */
  digits(): bool {
    if (!isDigit(this.peek())) {
      this.fail("invalid number");
      return false;
    }
    while (isDigit(this.peek())) this.position++;
    return true;
  }
}
