/**
 * CBOR for the envelope (SPEC.md §3.1). Encoding is a small deterministic
 * writer for the subset we use, checked byte for byte against cbor-x.
 * Decoding is our own strict parser for that subset, so every rule of the
 * spec is enforced before anything is interpreted:
 * - definite lengths only; shortest-form heads; no tags, floats or simple values;
 * - integers within ±(2^53 - 1); text strings valid UTF-8;
 * - map keys unsigned integers or text strings, strictly ascending in
 *   bytewise order of their encodings (so duplicates are impossible);
 * - nesting depth, items per container and string length bounded;
 * - no trailing bytes.
 */
import { concat, utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode } from '../errors.js';

export type CborValue = number | string | Uint8Array | CborValue[] | CborMap;
export type CborMap = Map<number | string, CborValue>;

export interface CborLimits {
  maxDepth: number;
  /** Items in any one array or map. */
  maxItems: number;
  /** Bytes of any text string. */
  maxStringBytes: number;
}

/** Appends the deterministic encoding (SPEC.md §3.1) of `v` to `parts`. */
function write(v: CborValue, parts: Uint8Array[]): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError('CBOR: only safe integers');
    parts.push(v >= 0 ? encodeHead(0, v) : encodeHead(1, -1 - v));
  } else if (typeof v === 'string') {
    const b = utf8(v); // refuses a lone surrogate
    parts.push(encodeHead(3, b.length), b);
  } else if (v instanceof Uint8Array) {
    parts.push(encodeHead(2, v.length), v);
  } else if (Array.isArray(v)) {
    parts.push(encodeHead(4, v.length));
    for (const x of v) write(x, parts);
  } else if (v instanceof Map) {
    parts.push(encodeHead(5, v.size));
    for (const [k, x] of v) {
      write(k, parts);
      write(x, parts);
    }
  } else {
    throw new TypeError('CBOR: unsupported value');
  }
}

/**
 * Deterministic encoding of the subset (maps must be built in ascending key
 * order). Property-tested byte for byte against cbor-x, the reference encoder
 * (cbor-encoder.ts), which the directory's records also use.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  const parts: Uint8Array[] = [];
  write(value, parts);
  return concat(...parts);
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.EnvelopeMalformed, `malformed CBOR: ${what}`);
}

function tooLarge(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.LimitExceeded, `limit exceeded: ${what}`);
}

/** Reads a head; returns [majorType, argument, headLength]. */
export function readHead(b: Uint8Array, off: number): [number, number, number] {
  if (off >= b.length) throw malformed('truncated');
  const ib = b[off]!;
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (ai < 24) return [major, ai, 1];
  if (ai > 27) throw malformed(ai === 31 ? 'indefinite length' : 'reserved additional information');
  const n = 1 << (ai - 24); // 1, 2, 4 or 8 bytes
  if (off + 1 + n > b.length) throw malformed('truncated');
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[off + 1 + i]!;
  // SPEC.md §3.1 rule 4 bounds integers. A length beyond 2^53 - 1 (major
  // types 2-5; the value is then inexact but still that large) is left to the
  // caller, so that a limit it exceeds is reported before the input it runs
  // past (SPEC.md §3.1: the limit wins).
  if (n === 8 && v > Number.MAX_SAFE_INTEGER && major < 2) throw malformed('integer out of range');
  // RFC 8949 §4.2.1: the argument must use the shortest form.
  const min = n === 1 ? 24 : n === 2 ? 0x100 : n === 4 ? 0x10000 : 0x100000000;
  if (v < min) throw malformed('non-shortest integer encoding');
  return [major, v, 1 + n];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

class Parser {
  off = 0;
  constructor(
    readonly b: Uint8Array,
    readonly limits: CborLimits,
  ) {}

  item(depth: number): CborValue {
    if (depth > this.limits.maxDepth)
      throw tooLarge(`CBOR nesting deeper than ${this.limits.maxDepth}`);
    const [major, arg, hl] = readHead(this.b, this.off);
    this.off += hl;
    switch (major) {
      case 0:
        return arg;
      case 1:
        if (arg >= Number.MAX_SAFE_INTEGER) throw malformed('integer out of range');
        return -1 - arg;
      case 2:
        return this.bytes(arg);
      case 3: {
        if (arg > this.limits.maxStringBytes) {
          throw tooLarge(`text string longer than ${this.limits.maxStringBytes} bytes`);
        }
        const raw = this.bytes(arg);
        try {
          return utf8Decoder.decode(raw);
        } catch {
          throw malformed('invalid UTF-8 in text string');
        }
      }
      case 4: {
        this.count(arg);
        const out: CborValue[] = [];
        for (let i = 0; i < arg; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        this.count(arg);
        const out: CborMap = new Map();
        let prev: Uint8Array | undefined;
        for (let i = 0; i < arg; i++) {
          const start = this.off;
          const [km] = readHead(this.b, this.off);
          if (km !== 0 && km !== 3) throw malformed('map key must be an unsigned integer or text');
          const key = this.item(depth + 1) as number | string;
          const enc = this.b.subarray(start, this.off);
          if (prev !== undefined && compareBytes(prev, enc) >= 0) {
            throw malformed('duplicate or unordered map key');
          }
          prev = enc;
          out.set(key, this.item(depth + 1));
        }
        return out;
      }
      default:
        throw malformed(
          major === 6 ? 'tags are not allowed' : 'floats and simple values are not allowed',
        );
    }
  }

  count(n: number): void {
    if (n > this.limits.maxItems)
      throw tooLarge(`more than ${this.limits.maxItems} items in a container`);
    // Each item takes at least one byte: a count beyond the input is a truncation.
    if (n > this.b.length - this.off) throw malformed('truncated');
  }

  bytes(n: number): Uint8Array {
    if (n > this.b.length - this.off) throw malformed('truncated');
    const out = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
}

/** Decodes exactly one item that must span all of `bytes`. Byte strings are views into `bytes`. */
export function decodeCbor(bytes: Uint8Array, limits: CborLimits): CborValue {
  const p = new Parser(bytes, limits);
  const v = p.item(1);
  if (p.off !== bytes.length) throw malformed('trailing bytes');
  return v;
}

/** Decodes one item at the start of `bytes`; returns it and the number of bytes it took. */
export function decodeCborPrefix(bytes: Uint8Array, limits: CborLimits): [CborValue, number] {
  const p = new Parser(bytes, limits);
  const v = p.item(1);
  return [v, p.off];
}

/** Encodes a CBOR head (major type + argument) in shortest form. */
export function encodeHead(major: number, arg: number): Uint8Array {
  const m = major << 5;
  if (arg < 24) return Uint8Array.of(m | arg);
  if (arg < 0x100) return Uint8Array.of(m | 24, arg);
  if (arg < 0x10000) return Uint8Array.of(m | 25, arg >> 8, arg & 0xff);
  if (arg < 0x100000000) {
    return Uint8Array.of(m | 26, arg >>> 24, (arg >>> 16) & 0xff, (arg >>> 8) & 0xff, arg & 0xff);
  }
  const hi = Math.floor(arg / 0x100000000);
  return Uint8Array.of(
    m | 27,
    hi >>> 24,
    (hi >>> 16) & 0xff,
    (hi >>> 8) & 0xff,
    hi & 0xff,
    arg >>> 24,
    (arg >>> 16) & 0xff,
    (arg >>> 8) & 0xff,
    arg & 0xff,
  );
}
