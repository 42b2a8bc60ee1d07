/**
 * Fixed-layout writer and reader of the common message header (SPEC.md §4.1,
 * §3.1): one recipient entry without a wrapped secret, no claims, an optional
 * content type. The writer's bytes are those of `encodeMessageHeader`; the
 * reader accepts only the one canonical layout of that header under the
 * caller's limits and hands anything else to the strict decoder
 * (`decodeMessageHeader`), so it never accepts what the decoder refuses and
 * every refusal keeps the decoder's code and message.
 */
import { Kem } from '../hpke/ids.js';
import type { Limits } from '../limits.js';
import { fromUtf8, utf8 } from '../bytes.js';
import { headLength, putHead } from './cbor.js';
import {
  COMMITMENT_LENGTH,
  CONTEXT_CHECK_LENGTH,
  ENC_LENGTH,
  HeaderKey,
  MAX_KID_LENGTH,
  MESSAGE_ID_LENGTH,
  decodeMessageHeader,
  encodeMessageHeader,
  type MessageHeader,
} from './header.js';
import { MAGIC_0, MAGIC_1, PREFIX_LENGTH, VERSION, type Kind } from './kinds.js';

/** The length of a byte string of `n` bytes, head included (RFC 8949 §3). */
const bstr = (n: number) => headLength(n) + n;

/** A safe non-negative integer: what the fixed layout writes as a major type 0 head. */
const uint = (x: number) => Number.isSafeInteger(x) && x >= 0;

/** Writes a byte string (major type 2) at `o`; returns the offset after it. */
function putBytes(out: Uint8Array, o: number, b: Uint8Array): number {
  const at = putHead(out, o, 2, b.length);
  out.set(b, at);
  return at + b.length;
}

/**
 * The envelope prefix of `kind` followed by the encoded header `h`, in one
 * array (the AAD of SPEC.md §4.3, and the signed header of §4.4); the header
 * is `subarray(PREFIX_LENGTH)`. The header bytes are `encodeMessageHeader(h)`'s,
 * and it throws what that throws: a header outside the fixed layout (several
 * recipients, a wrapped secret, claims, an integer that is not a safe
 * non-negative integer) is written by `encodeMessageHeader` itself.
 */
export function encodePrefixedHeader(kind: Kind, h: MessageHeader): Uint8Array {
  const r = h.recipients[0]!;
  const s = h.suite;
  // The fixed layout writes each integer as an unsigned head (major type 0);
  // any other value (negative, fractional, unsafe) is the generic writer's to
  // encode or refuse.
  if (
    h.recipients.length !== 1 ||
    r.wrapped !== undefined ||
    (h.claims && h.claims.size > 0) ||
    !uint(s.kem) ||
    !uint(s.kdf) ||
    !uint(s.aead) ||
    !uint(h.issuedAt) ||
    !uint(h.expiresAt)
  ) {
    const header = encodeMessageHeader(h);
    const out = new Uint8Array(PREFIX_LENGTH + header.length);
    writePrefix(out, kind);
    out.set(header, PREFIX_LENGTH);
    return out;
  }
  const ct = h.contentType === undefined ? undefined : utf8(h.contentType);
  // SPEC.md §4.1: keys 1-5, 6 when there is a content type, 7 and 8, ascending.
  const length =
    1 +
    (1 + 1 + headLength(s.kem) + headLength(s.kdf) + headLength(s.aead)) +
    (1 + 1 + 1 + bstr(r.kid.length) + bstr(r.enc.length)) +
    (1 + bstr(h.messageId.length)) +
    (1 + headLength(h.issuedAt)) +
    (1 + headLength(h.expiresAt)) +
    (ct ? 1 + headLength(ct.length) + ct.length : 0) +
    (1 + bstr(h.contextCheck.length)) +
    (1 + bstr(h.commitment.length));
  const out = new Uint8Array(PREFIX_LENGTH + length);
  writePrefix(out, kind);
  let o = putHead(out, PREFIX_LENGTH, 5, ct ? 8 : 7);
  out[o++] = HeaderKey.Suite;
  out[o++] = 0x83; // array(3)
  o = putHead(out, o, 0, s.kem);
  o = putHead(out, o, 0, s.kdf);
  o = putHead(out, o, 0, s.aead);
  out[o++] = HeaderKey.Recipients;
  out[o++] = 0x81; // array(1)
  out[o++] = 0x82; // array(2): [kid, enc]
  o = putBytes(out, o, r.kid);
  o = putBytes(out, o, r.enc);
  out[o++] = HeaderKey.MessageId;
  o = putBytes(out, o, h.messageId);
  out[o++] = HeaderKey.IssuedAt;
  o = putHead(out, o, 0, h.issuedAt);
  out[o++] = HeaderKey.ExpiresAt;
  o = putHead(out, o, 0, h.expiresAt);
  if (ct) {
    out[o++] = HeaderKey.ContentType;
    o = putHead(out, o, 3, ct.length);
    out.set(ct, o);
    o += ct.length;
  }
  out[o++] = HeaderKey.ContextCheck;
  o = putBytes(out, o, h.contextCheck);
  out[o++] = HeaderKey.Commitment;
  putBytes(out, o, h.commitment);
  return out;
}

function writePrefix(out: Uint8Array, kind: Kind): void {
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = VERSION;
  out[3] = kind;
}

/**
 * A reader over one canonical layout: each step returns -1 (not this layout) or
 * the value. Shortest-form heads only (SPEC.md §3.1, RFC 8949 §4.2.1).
 */
export class Cursor {
  o = 0;
  constructor(readonly b: Uint8Array) {}

  /** An unsigned integer (major type 0) of at most 32 bits in shortest form, or -1. */
  uint(): number {
    const b = this.b;
    const o = this.o;
    if (o >= b.length) return -1;
    const ib = b[o]!;
    if (ib < 24) {
      this.o = o + 1;
      return ib;
    }
    if (ib === 24 && o + 2 <= b.length && b[o + 1]! >= 24) {
      this.o = o + 2;
      return b[o + 1]!;
    }
    if (ib === 25 && o + 3 <= b.length) {
      const v = (b[o + 1]! << 8) | b[o + 2]!;
      if (v < 0x100) return -1;
      this.o = o + 3;
      return v;
    }
    if (ib === 26 && o + 5 <= b.length) {
      const v = ((b[o + 1]! << 24) | (b[o + 2]! << 16) | (b[o + 3]! << 8) | b[o + 4]!) >>> 0;
      if (v < 0x10000) return -1;
      this.o = o + 5;
      return v;
    }
    return -1;
  }

  /** The length of a string head of major type `major` (< 2^16), or -1. */
  length(major: number): number {
    const b = this.b;
    const o = this.o;
    if (o >= b.length || b[o]! >> 5 !== major) return -1;
    const ai = b[o]! & 0x1f;
    let n = -1;
    if (ai < 24) {
      n = ai;
      this.o = o + 1;
    } else if (ai === 24 && o + 2 <= b.length && b[o + 1]! >= 24) {
      n = b[o + 1]!;
      this.o = o + 2;
    } else if (ai === 25 && o + 3 <= b.length) {
      n = (b[o + 1]! << 8) | b[o + 2]!;
      if (n < 0x100) return -1;
      this.o = o + 3;
    }
    return n >= 0 && this.o + n <= b.length ? n : -1;
  }

  /** A byte string of `min` to `max` bytes, as a view, or undefined. */
  bytes(min: number, max = min): Uint8Array | undefined {
    const n = this.length(2);
    if (n < min || n > max) return undefined;
    const out = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return out;
  }

  /** `byte` next, consumed. */
  is(byte: number): boolean {
    if (this.b[this.o] !== byte) return false;
    this.o++;
    return true;
  }
}

/**
 * SPEC.md §7 step 5: the message header of `bytes`, as `decodeMessageHeader`
 * returns it. The common layout is read in place; any other input (another
 * layout, a defect, a limit it exceeds) goes to the strict decoder.
 */
export function decodeMessageHeaderFast(bytes: Uint8Array, limits: Limits): MessageHeader {
  return readCommon(bytes, limits) ?? decodeMessageHeader(bytes, limits);
}

/** The common layout read under `limits`, or undefined for anything else. */
export function readCommon(bytes: Uint8Array, limits: Limits): MessageHeader | undefined {
  const c = new Cursor(bytes);
  const fields = bytes[0] === 0xa7 ? 7 : bytes[0] === 0xa8 ? 8 : 0;
  // The strict decoder's limits: fields per map, items per container (the
  // largest here is the map), nesting (map, recipients, entry, kid: 4).
  if (fields === 0 || fields > limits.maxHeaderFields || limits.maxCborDepth < 4) return undefined;
  c.o = 1;
  if (!c.is(HeaderKey.Suite) || !c.is(0x83)) return undefined;
  const kem = c.uint();
  const kdf = c.uint();
  const aead = c.uint();
  // SPEC.md §4.1: enc is Nenc of the suite's KEM; only X25519's (32) is read here.
  if (kem !== Kem.DhkemX25519HkdfSha256 || kdf < 0 || kdf > 0xffff || aead < 0 || aead > 0xffff)
    return undefined;
  if (!c.is(HeaderKey.Recipients) || !c.is(0x81) || !c.is(0x82)) return undefined;
  const kid = c.bytes(1, MAX_KID_LENGTH);
  const enc = kid && c.bytes(ENC_LENGTH);
  if (!enc || !c.is(HeaderKey.MessageId)) return undefined;
  const messageId = c.bytes(MESSAGE_ID_LENGTH);
  if (!messageId || !c.is(HeaderKey.IssuedAt)) return undefined;
  const issuedAt = c.uint();
  if (issuedAt < 0 || !c.is(HeaderKey.ExpiresAt)) return undefined;
  const expiresAt = c.uint();
  if (expiresAt < issuedAt) return undefined; // also -1
  let contentType: string | undefined;
  if (fields === 8) {
    if (!c.is(HeaderKey.ContentType)) return undefined;
    const n = c.length(3);
    if (n < 1 || n > limits.maxStringBytes) return undefined;
    contentType = ascii(bytes, c.o, n);
    if (contentType === undefined) return undefined;
    c.o += n;
  }
  if (!c.is(HeaderKey.ContextCheck)) return undefined;
  const contextCheck = c.bytes(CONTEXT_CHECK_LENGTH);
  if (!contextCheck || !c.is(HeaderKey.Commitment)) return undefined;
  const commitment = c.bytes(COMMITMENT_LENGTH);
  if (!commitment || c.o !== bytes.length) return undefined;
  const header: MessageHeader = {
    suite: { kem, kdf, aead },
    recipients: [{ kid, enc }],
    messageId,
    issuedAt,
    expiresAt,
    contextCheck,
    commitment,
  };
  if (contentType !== undefined) header.contentType = contentType;
  return header;
}

/** `n` bytes at `o` as text when every one is ASCII (valid UTF-8 as is), else undefined. */
export function ascii(b: Uint8Array, o: number, n: number): string | undefined {
  for (let i = o; i < o + n; i++) if (b[i]! > 0x7f) return undefined;
  // One decode of the run: a `+=` per character allocates a string per step.
  return fromUtf8(b.subarray(o, o + n));
}
