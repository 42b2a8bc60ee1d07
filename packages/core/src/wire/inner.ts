/**
 * The inner record carried inside the ciphertext (SPEC.md §4.2): a small
 * CBOR map (sender, signing kid, signature, body length), then the body,
 * then zero padding. The body is returned as a view, never copied.
 */
import { concat } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument, openFailed } from '../errors.js';
import { decodeCborPrefix, encodeCbor, type CborMap } from './cbor.js';
import { isIdentityName } from '../identity/name.js';

export const InnerKey = { Sender: 1, SenderKid: 2, Signature: 3, BodyLength: 4 } as const;

/** Size padding (SPEC.md §4.2): `padme` hides all but ~log log of the size; a block size rounds up. */
export type Padding = 'none' | 'padme' | { blockSize: number };

export interface InnerRecord {
  sender?: string;
  senderKid?: Uint8Array;
  signature?: Uint8Array;
  body: Uint8Array;
}

// 0xffff: the longest sender name a signature can cover (a 16-bit length, SPEC.md §4.4).
const INNER_LIMITS = { maxDepth: 2, maxItems: 4, maxStringBytes: 0xffff };

/** PADMÉ (Nikitin et al., PETS 2019): pad L to a value with at most ~log2(log2 L) + 1 significant bits. */
export function padme(length: number): number {
  if (length < 2) return length;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.ceil(length / (mask + 1)) * (mask + 1);
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

/**
 * The inner record as the pieces it is made of: the CBOR meta map, the body
 * (the caller's array, not copied) and the zero padding, if any. Sealing
 * encrypts them in order without assembling them (`aeadSealInto`).
 */
export function innerParts(
  rec: InnerRecord,
  padding: Padding | undefined,
): { parts: Uint8Array[]; length: number } {
  const m: CborMap = new Map();
  if (rec.sender !== undefined) m.set(InnerKey.Sender, rec.sender);
  if (rec.senderKid !== undefined) m.set(InnerKey.SenderKid, rec.senderKid);
  if (rec.signature !== undefined) m.set(InnerKey.Signature, rec.signature);
  m.set(InnerKey.BodyLength, rec.body.length);
  const meta = encodeCbor(m);
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
 * Parses an authenticated inner record. Any defect here means the sender
 * produced a bad record; it is reported as ERR_OPEN_FAILED like every other
 * failure after the header parses (oracle rule).
 */
export function decodeInner(
  plaintext: Uint8Array,
  signed: boolean,
): Required<InnerRecord> | InnerRecord {
  try {
    const [meta, used] = decodeCborPrefix(plaintext, INNER_LIMITS);
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
