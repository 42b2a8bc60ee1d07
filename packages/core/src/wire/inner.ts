/**
 * The inner record carried inside the ciphertext (SPEC.md §4.2): a small
 * CBOR map (sender, signing kid, signature, body length), then the body,
 * then zero padding. The body is returned as a view, never copied.
 */
import { concat, utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument, openFailed } from '../errors.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { decodeCborPrefix, headLength, putHead } from './cbor.js';
import { cborLimitsOf } from './header.js';
import { Cursor, ascii } from './header-fast.js';
import { isIdentityName } from '../identity/name.js';

export const InnerKey = { Sender: 1, SenderKid: 2, Signature: 3, BodyLength: 4 } as const;

/** Size padding (SPEC.md §4.2): none, PADMÉ, or a block size (a multiple of it, at least one block). */
export type Padding = 'none' | 'padme' | { blockSize: number };

export interface InnerRecord {
  sender?: string;
  senderKid?: Uint8Array;
  signature?: Uint8Array;
  body: Uint8Array;
}

/** The number of bits of a non-negative integer (0 for 0). */
function bitLength(n: number): number {
  let bits = 0;
  for (let v = n; v > 0; v = Math.floor(v / 2)) bits++;
  return bits;
}

/**
 * PADMÉ (Nikitin et al., PETS 2019) as SPEC.md §4.2 states it, in integers
 * (Math.log2 is only approximated by the language, so it is not used):
 * E = floor(log2 L), S = floor(log2 E) + 1, and L rounded up to a multiple
 * of 2^(E - S). L < 2 is returned as is.
 */
export function padme(length: number): number {
  if (length < 2) return length;
  const e = bitLength(length) - 1;
  const s = bitLength(e);
  const unit = 2 ** (e - s);
  return Math.ceil(length / unit) * unit;
}

export function paddedLength(length: number, padding: Padding | undefined): number {
  if (padding === undefined || padding === 'none') return length;
  if (padding === 'padme') return padme(length);
  const bs = padding.blockSize;
  if (!Number.isInteger(bs) || bs < 1 || bs > 1 << 20) {
    throw invalidArgument('padding.blockSize', 'an integer from 1 to 1048576', String(bs));
  }
  return Math.max(bs, Math.ceil(length / bs) * bs);
}

/** Writes key `key` (< 24) and a string of `major` type at `o`; returns the offset after. */
function putField(out: Uint8Array, o: number, key: number, major: number, b: Uint8Array): number {
  out[o] = key;
  const at = putHead(out, o + 1, major, b.length);
  out.set(b, at);
  return at + b.length;
}

/**
 * The `meta` map of SPEC.md §4.2 (§6.1: the body length alone), encoded: its
 * keys ascending, written in place (the bytes of `encodeCbor` on the map,
 * which the property tests check).
 */
function encodeMeta(
  rec: Omit<InnerRecord, 'body'>,
  bodyLength: number,
  sender = rec.sender === undefined ? undefined : utf8(rec.sender),
): Uint8Array {
  const { senderKid: kid, signature: sig } = rec;
  const count = 1 + (sender ? 1 : 0) + (kid ? 1 : 0) + (sig ? 1 : 0);
  const out = new Uint8Array(
    1 +
      (sender ? 1 + headLength(sender.length) + sender.length : 0) +
      (kid ? 1 + headLength(kid.length) + kid.length : 0) +
      (sig ? 1 + headLength(sig.length) + sig.length : 0) +
      1 +
      headLength(bodyLength),
  );
  let o = putHead(out, 0, 5, count);
  if (sender) o = putField(out, o, InnerKey.Sender, 3, sender);
  if (kid) o = putField(out, o, InnerKey.SenderKid, 2, kid);
  if (sig) o = putField(out, o, InnerKey.Signature, 2, sig);
  out[o++] = InnerKey.BodyLength;
  putHead(out, o, 0, bodyLength);
  return out;
}

/**
 * The length of the inner record `innerParts` makes for a body of
 * `bodyLength` bytes, without the body: for sizing before sealing.
 */
export function innerLength(
  rec: Omit<InnerRecord, 'body'>,
  bodyLength: number,
  padding: Padding | undefined,
): number {
  return paddedLength(encodeMeta(rec, bodyLength).length + bodyLength, padding);
}

/**
 * The inner record as the pieces it is made of: the CBOR meta map, the body
 * (the caller's array, not copied) and the zero padding, if any. Sealing
 * encrypts them in order without assembling them (`aeadSealInto`).
 * `senderUtf8`, when given, is `rec.sender` already encoded (not encoded again).
 */
export function innerParts(
  rec: InnerRecord,
  padding: Padding | undefined,
  senderUtf8?: Uint8Array,
): { parts: Uint8Array[]; length: number } {
  const meta = encodeMeta(rec, rec.body.length, senderUtf8);
  const length = paddedLength(meta.length + rec.body.length, padding);
  const pad = length - meta.length - rec.body.length;
  const parts = [meta, rec.body];
  if (pad > 0) parts.push(new Uint8Array(pad));
  return { parts, length };
}

/** The inner record in one array (meta, body, zero padding). */
export function encodeInner(rec: InnerRecord, padding: Padding | undefined): Uint8Array {
  return concat(...innerParts(rec, padding).parts);
}

/**
 * Parses an authenticated inner record (SPEC.md §7 step 13): `meta` decoded
 * under §3.1 and the header's limits (`limits`, §8; a sender name longer
 * than maxStringBytes is refused, so its 16-bit length in §4.4 is always
 * defined), with exactly its keys (1-4 signed, 4 alone in a response). Any
 * defect here means the sender produced a bad record; it is reported as
 * ERR_OPEN_FAILED like every other failure after the header parses (oracle
 * rule).
 */
export function decodeInner(
  plaintext: Uint8Array,
  signed: boolean,
  limits: Limits = DEFAULT_LIMITS,
): Required<InnerRecord> | InnerRecord {
  return (
    (signed && readSignedInner(plaintext, limits)) || decodeInnerStrict(plaintext, signed, limits)
  );
}

/** `decodeInner` by the strict CBOR decoder alone, for any layout (the reference of the fast reader). */
export function decodeInnerStrict(
  plaintext: Uint8Array,
  signed: boolean,
  limits: Limits,
): Required<InnerRecord> | InnerRecord {
  try {
    const [meta, used] = decodeCborPrefix(plaintext, cborLimitsOf(limits));
    if (!(meta instanceof Map)) throw openFailed();
    const bodyLength = meta.get(InnerKey.BodyLength);
    if (typeof bodyLength !== 'number' || bodyLength < 0 || bodyLength > plaintext.length - used) {
      throw openFailed();
    }
    const end = used + bodyLength;
    let pad = 0;
    for (let i = end; i < plaintext.length; i++) pad |= plaintext[i]!;
    if (pad !== 0) throw openFailed();
    const body = plaintext.subarray(used, end);
    if (!signed) {
      if (meta.size !== 1) throw openFailed();
      return { body };
    }
    const sender = meta.get(InnerKey.Sender);
    const senderKid = meta.get(InnerKey.SenderKid);
    const signature = meta.get(InnerKey.Signature);
    if (
      meta.size !== 4 ||
      typeof sender !== 'string' ||
      sender.length === 0 ||
      !(senderKid instanceof Uint8Array) ||
      senderKid.length < 1 ||
      senderKid.length > 64 ||
      !(signature instanceof Uint8Array) ||
      signature.length !== 64
    ) {
      throw openFailed();
    }
    if (!isIdentityName(sender)) throw openFailed(); // SPEC.md §4.2: a name of §10's grammar
    return { sender, senderKid, signature, body };
  } catch (e) {
    if (e instanceof BlindwireError && e.code === ErrorCode.OpenFailed) throw e;
    throw openFailed();
  }
}

/**
 * The signed inner record in its one canonical layout (SPEC.md §4.2: keys 1
 * to 4 ascending, shortest heads, an ASCII sender) with every check of
 * `decodeInner`, read in place; undefined for any other input, which the
 * strict decoder then judges (so this never accepts what it refuses).
 */
export function readSignedInner(p: Uint8Array, limits: Limits): Required<InnerRecord> | undefined {
  // The strict decoder's limits: map then values (depth 2), four items.
  if (limits.maxCborDepth < 2 || Math.max(limits.maxHeaderFields, limits.maxRecipients) < 4)
    return undefined;
  const c = new Cursor(p);
  if (!c.is(0xa4) || !c.is(InnerKey.Sender)) return undefined;
  const n = c.length(3);
  if (n < 1 || n > limits.maxStringBytes) return undefined;
  const sender = ascii(p, c.o, n);
  if (sender === undefined || !isIdentityName(sender)) return undefined;
  c.o += n;
  if (!c.is(InnerKey.SenderKid)) return undefined;
  const senderKid = c.bytes(1, 64);
  if (!senderKid || !c.is(InnerKey.Signature)) return undefined;
  const signature = c.bytes(64);
  if (!signature || !c.is(InnerKey.BodyLength)) return undefined;
  const bodyLength = c.uint();
  if (bodyLength < 0 || bodyLength > p.length - c.o) return undefined;
  const end = c.o + bodyLength;
  let pad = 0;
  for (let i = end; i < p.length; i++) pad |= p[i]!;
  if (pad !== 0) return undefined;
  return { sender, senderKid, signature, body: p.subarray(c.o, end) };
}
