/** Small byte helpers shared by HPKE and the envelope. No Node-only APIs. */
import { BlindwireError, ErrorCode, invalidArgument } from './errors.js';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Whether `s` has a lone UTF-16 surrogate, which TextEncoder would turn into
 * U+FFFD, so that two different strings would encode alike. Native
 * isWellFormed where the runtime has it (ES2024), else a scan.
 */
function hasLoneSurrogate(s: string): boolean {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  if (typeof native === 'function') return !native.call(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const d = s.charCodeAt(i + 1);
    if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return true;
    i++;
  }
  return false;
}

/** UTF-8 of a well-formed string; a string with a lone surrogate is ERR_INVALID_ARGUMENT. */
export function utf8(s: string): Uint8Array {
  // Short ASCII (names, kids, labels, content types): a loop is cheaper than a
  // call into the encoder, and ASCII is well formed.
  if (s.length <= 128) {
    const out = new Uint8Array(s.length);
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      out[i] = c;
    }
    if (i === s.length) return out;
  }
  if (hasLoneSurrogate(s)) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      'a string holds a lone UTF-16 surrogate: it has no UTF-8 encoding',
    );
  }
  return textEncoder.encode(s);
}

/** Strict UTF-8 decoding: throws on invalid sequences. */
export function fromUtf8(b: Uint8Array): string {
  return textDecoder.decode(b);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time comparison for equal-length inputs; length itself is not secret. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** I2OSP (RFC 8017 §4.1) for values that fit in a JavaScript safe integer. */
export function i2osp(value: number, length: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalidArgument('value', 'a non-negative safe integer');
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0 && v > 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  if (v > 0) throw invalidArgument('value', `to fit in ${length} bytes`);
  return out;
}

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * Reused arrays of character codes, one per output length up to
 * SHORT_TEXT_MAX: `String.fromCharCode.apply` over one of them allocates the
 * string and nothing else (a `+=` per piece allocates an intermediate string
 * per step). Zeroed after each use, since some outputs encode private keys.
 */
const SHORT_TEXT_MAX = 128;
const codeArrays: number[][] = [];
function codesOf(length: number): number[] {
  return (codeArrays[length] ??= new Array<number>(length).fill(0));
}
/** Tests only (not re-exported by any entry point): the reused arrays, to check they end zeroed. */
export function __codeArraysForTest(): readonly (readonly number[] | undefined)[] {
  return codeArrays;
}
function textOf(codes: number[]): string {
  const s = String.fromCharCode.apply(null, codes);
  codes.fill(0);
  return s;
}
/** `encode` of a long input, in pieces of `step` bytes (whole groups: the pieces join exactly). */
function longText(b: Uint8Array, step: number, encode: (b: Uint8Array) => string): string {
  let s = '';
  for (let o = 0; o < b.length; o += step) s += encode(b.subarray(o, o + step));
  return s;
}

/** Lower-case hex; message ids are shown this way on every call, hence the tables. */
export function toHex(b: Uint8Array): string {
  if (b.length * 2 <= SHORT_TEXT_MAX) {
    const codes = codesOf(b.length * 2);
    for (let i = 0; i < b.length; i++) {
      codes[2 * i] = HEX_CODES[b[i]! >> 4]!;
      codes[2 * i + 1] = HEX_CODES[b[i]! & 15]!;
    }
    return textOf(codes);
  }
  return longText(b, SHORT_TEXT_MAX / 2, toHex);
}

/** Bytes from a hex string (either case); anything else is `ERR_INVALID_ARGUMENT`. */
export function fromHex(h: string): Uint8Array {
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h))
    throw invalidArgument('hex', 'an even-length hex string');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_LOOKUP[B64URL.charCodeAt(i)] = i;

const B64URL_CODES = Array.from(B64URL, (c) => c.charCodeAt(0));

/** base64url without padding (RFC 4648 §5). */
export function toBase64url(b: Uint8Array): string {
  const length = Math.ceil((b.length * 4) / 3);
  if (length > SHORT_TEXT_MAX) return longText(b, (SHORT_TEXT_MAX / 4) * 3, toBase64url);
  const codes = codesOf(length);
  let o = 0;
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    codes[o++] = B64URL_CODES[n >> 18]!;
    codes[o++] = B64URL_CODES[(n >> 12) & 63]!;
    codes[o++] = B64URL_CODES[(n >> 6) & 63]!;
    codes[o++] = B64URL_CODES[n & 63]!;
  }
  const rest = b.length - i;
  if (rest > 0) {
    const n = (b[i]! << 16) | (rest === 2 ? b[i + 1]! << 8 : 0);
    codes[o++] = B64URL_CODES[n >> 18]!;
    codes[o++] = B64URL_CODES[(n >> 12) & 63]!;
    if (rest === 2) codes[o++] = B64URL_CODES[(n >> 6) & 63]!;
  }
  return textOf(codes);
}

/** Strict base64url decoding: no padding, no whitespace, canonical trailing bits. */
export function fromBase64url(s: string, name = 'base64url'): Uint8Array {
  if (s.length % 4 === 1) throw invalidArgument(name, 'base64url without padding');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64URL_LOOKUP[c]! : -1;
    if (v < 0) throw invalidArgument(name, 'base64url without padding');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw invalidArgument(name, 'canonical base64url');
  return out;
}

/** Throws a named argument error unless `b` is a Uint8Array of the given length. */
export function assertBytes(b: unknown, name: string, length?: number): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw invalidArgument(name, 'a Uint8Array', typeof b);
  if (length !== undefined && b.length !== length) {
    throw invalidArgument(name, `${length} bytes`, String(b.length));
  }
}

/** Best-effort zeroing of secrets we created. JavaScript gives no guarantee beyond this. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}
