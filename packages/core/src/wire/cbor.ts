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
import { utf8 } from '../bytes.js';
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

/**
 * The deterministic writer: a first pass sizes the encoding (and encodes each
 * text string once, in order), a second writes it into one array. No head or
 * item gets an array of its own.
 */
class Writer {
  /** The UTF-8 of every text string, in the order both passes meet them. */
  readonly texts: Uint8Array[] = [];
  out = new Uint8Array(0);
  off = 0;
  text = 0;

  size(v: CborValue): number {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new RangeError('CBOR: only safe integers');
      return headLength(v >= 0 ? v : -1 - v);
    }
    if (typeof v === 'string') {
      const b = utf8(v); // refuses a lone surrogate
      this.texts.push(b);
      return headLength(b.length) + b.length;
    }
    if (v instanceof Uint8Array) return headLength(v.length) + v.length;
    if (Array.isArray(v)) {
      let n = headLength(v.length);
      for (const x of v) n += this.size(x);
      return n;
    }
    if (v instanceof Map) {
      let n = headLength(v.size);
      for (const [k, x] of v) n += this.size(k) + this.size(x);
      return n;
    }
    throw new TypeError('CBOR: unsupported value');
  }

  write(v: CborValue): void {
    if (typeof v === 'number') {
      this.off =
        v >= 0 ? putHead(this.out, this.off, 0, v) : putHead(this.out, this.off, 1, -1 - v);
    } else if (typeof v === 'string') {
      this.bytes(3, this.texts[this.text++]!);
    } else if (v instanceof Uint8Array) {
      this.bytes(2, v);
    } else if (Array.isArray(v)) {
      this.off = putHead(this.out, this.off, 4, v.length);
      for (const x of v) this.write(x);
    } else {
      const m = v as CborMap;
      this.off = putHead(this.out, this.off, 5, m.size);
      for (const [k, x] of m) {
        this.write(k);
        this.write(x);
      }
    }
  }

  private bytes(major: number, b: Uint8Array): void {
    this.off = putHead(this.out, this.off, major, b.length);
    this.out.set(b, this.off);
    this.off += b.length;
  }
}

/**
 * Deterministic encoding of the subset (maps must be built in ascending key
 * order). Property-tested byte for byte against cbor-x, the reference encoder
 * (cbor-encoder.ts), which the directory's records also use.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  const w = new Writer();
  w.out = new Uint8Array(w.size(value));
  w.write(value);
  return w.out;
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

/** The length of a head whose argument is `arg` (RFC 8949 §3: shortest form). */
export function headLength(arg: number): number {
  return arg < 24 ? 1 : arg < 0x100 ? 2 : arg < 0x10000 ? 3 : arg < 0x100000000 ? 5 : 9;
}

/** Writes a CBOR head (major type + argument) in shortest form at `off`; returns the offset after it. */
export function putHead(out: Uint8Array, off: number, major: number, arg: number): number {
  const m = major << 5;
  if (arg < 24) {
    out[off] = m | arg;
    return off + 1;
  }
  if (arg < 0x100) {
    out[off] = m | 24;
    out[off + 1] = arg;
    return off + 2;
  }
  if (arg < 0x10000) {
    out[off] = m | 25;
    out[off + 1] = arg >> 8;
    out[off + 2] = arg & 0xff;
    return off + 3;
  }
  let lo = arg;
  let n = 4;
  if (arg < 0x100000000) {
    out[off] = m | 26;
  } else {
    out[off] = m | 27;
    const hi = Math.floor(arg / 0x100000000);
    lo = arg - hi * 0x100000000;
    out[off + 1] = hi >>> 24;
    out[off + 2] = (hi >>> 16) & 0xff;
    out[off + 3] = (hi >>> 8) & 0xff;
    out[off + 4] = hi & 0xff;
    n = 8;
  }
  const at = off + 1 + n - 4;
  out[at] = lo >>> 24;
  out[at + 1] = (lo >>> 16) & 0xff;
  out[at + 2] = (lo >>> 8) & 0xff;
  out[at + 3] = lo & 0xff;
  return off + 1 + n;
}

/** Encodes a CBOR head (major type + argument) in shortest form. */
export function encodeHead(major: number, arg: number): Uint8Array {
  const out = new Uint8Array(headLength(arg));
  putHead(out, 0, major, arg);
  return out;
}
