/**
 * The keys, nonces, meta record and signature transcript of a stream
 * (SPEC.md §7a.2-§7a.4). The key schedule is that of a message (§4.3): the
 * same HPKE setup, message secret, commitment and context check; only the
 * AEAD key gets its own label, so a stream key never equals a content key.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoBackend, Sha256Hash } from '../backend/types.js';
import { concat, utf8 } from '../bytes.js';
import { openFailed } from '../errors.js';
import { isIdentityName } from '../identity/name.js';
import { decodeCborPrefix, encodeCbor, type CborMap } from './cbor.js';
import type { Limits } from '../limits.js';
import { MAX_KID_LENGTH, cborLimitsOf } from './header.js';
import { deriveMessageKeys, signatureTranscript } from './keys.js';

export const STREAM_LABEL = {
  streamKey: utf8('blindwire/v1 stream key'),
  signature: utf8('blindwire/v1 stream signature\0'),
  headerSignature: utf8('blindwire/v1 stream header signature\0'),
} as const;

export const TAG_LENGTH = 16;
export const SIGNATURE_LENGTH = 64;
export const NONCE_LENGTH = 12;

export interface StreamKeys {
  commitment: Uint8Array;
  /** The key of the context check: a copy of the message secret. */
  contextKey: Uint8Array;
  streamKey: Uint8Array;
}

/** SPEC.md §7a.2: commitment and check key as §4.3; the stream key under its own label. */
export async function deriveStreamKeys(
  b: CryptoBackend,
  messageSecret: Uint8Array,
  keyLength: number,
): Promise<StreamKeys> {
  const [mk, t] = await Promise.all([
    deriveMessageKeys(b, messageSecret, keyLength),
    // HKDF-Expand (RFC 5869 §2.3) with L <= 32: T(1) = HMAC(PRK, info || 0x01).
    b.hmacSha256(messageSecret, concat(STREAM_LABEL.streamKey, Uint8Array.of(1))),
  ]);
  mk.contentKey.fill(0); // the message content key is not used by streams
  const streamKey = t.slice(0, keyLength);
  t.fill(0);
  return { commitment: mk.commitment, contextKey: mk.contextKey, streamKey };
}

/** SPEC.md §7a.3: the 11-byte big-endian chunk index, then the final flag. */
export function chunkNonce(index: number, final: boolean): Uint8Array {
  return putChunkNonce(new Uint8Array(NONCE_LENGTH), index, final);
}

/**
 * `chunkNonce` written over `n` (every byte of it), so that a stream reuses
 * one nonce buffer for all its chunks; returns `n`.
 */
export function putChunkNonce(n: Uint8Array, index: number, final: boolean): Uint8Array {
  let v = index;
  for (let i = 10; i >= 0; i--) {
    n[i] = v % 256;
    v = Math.floor(v / 256);
  }
  n[11] = final ? 1 : 0;
  return n;
}

export const MetaKey = { Sender: 1, SenderKid: 2, HeaderSignature: 3 } as const;

/**
 * SPEC.md §7a.4: the meta record at the start of chunk 0. Its length does not
 * depend on the signature's bytes, so a placeholder gives the size to check.
 */
export function encodeMeta(
  sender: string,
  senderKid: Uint8Array,
  headerSignature: Uint8Array = new Uint8Array(SIGNATURE_LENGTH),
): Uint8Array {
  const m: CborMap = new Map();
  m.set(MetaKey.Sender, sender);
  m.set(MetaKey.SenderKid, senderKid);
  m.set(MetaKey.HeaderSignature, headerSignature);
  return encodeCbor(m);
}

export interface Meta {
  sender: string;
  senderKid: Uint8Array;
  /** The sender's signature over the header, sender and kid (SPEC.md §7a.4). */
  headerSignature: Uint8Array;
  /** Bytes of chunk 0 the meta record takes. */
  length: number;
}

/**
 * Parses the meta record of an authenticated chunk 0 (`p0` is its part
 * before any signature), under §3.1 and the header's limits (SPEC.md §7a.5
 * step 9), with exactly keys 1-3. Any defect is the sender's, and is
 * ERR_OPEN_FAILED like every failure after the header parses (oracle rule).
 */
export function decodeMeta(p0: Uint8Array, limits: Limits): Meta {
  let meta;
  let length;
  try {
    [meta, length] = decodeCborPrefix(p0, cborLimitsOf(limits));
  } catch {
    throw openFailed();
  }
  if (!(meta instanceof Map) || meta.size !== 3) throw openFailed();
  const sender = meta.get(MetaKey.Sender);
  const senderKid = meta.get(MetaKey.SenderKid);
  const headerSignature = meta.get(MetaKey.HeaderSignature);
  if (typeof sender !== 'string' || sender.length === 0) throw openFailed();
  if (!isIdentityName(sender)) throw openFailed(); // SPEC.md §7a.4: a name of §10's grammar
  if (
    !(senderKid instanceof Uint8Array) ||
    senderKid.length < 1 ||
    senderKid.length > MAX_KID_LENGTH
  ) {
    throw openFailed();
  }
  if (!(headerSignature instanceof Uint8Array) || headerSignature.length !== SIGNATURE_LENGTH) {
    throw openFailed();
  }
  return { sender, senderKid: senderKid.slice(), headerSignature: headerSignature.slice(), length };
}

/**
 * SPEC.md §7a.4: what the sender signs before the first chunk, so that a
 * receiver knows who started this stream (this exact header) before it
 * answers any policy question or releases any plaintext.
 */
export function streamHeaderSignatureInput(
  headerHash: Uint8Array,
  sender: Uint8Array,
  senderKid: Uint8Array,
): Uint8Array {
  return signatureTranscript(
    STREAM_LABEL.headerSignature,
    headerHash,
    sender,
    senderKid,
    new Uint8Array(0),
  );
}

/**
 * SPEC.md §7a.4: what the sender signs once the body has ended. Fixed-size
 * hashes and length-prefixed strings, as in §4.4, under a label of its own.
 */
export function streamSignatureInput(
  headerHash: Uint8Array,
  sender: Uint8Array,
  senderKid: Uint8Array,
  bodyHash: Uint8Array,
): Uint8Array {
  return signatureTranscript(STREAM_LABEL.signature, headerHash, sender, senderKid, bodyHash);
}

/** The backend's incremental SHA-256, or @noble's when it has none. */
export function createSha256(b: CryptoBackend): Sha256Hash {
  return b.createSha256?.() ?? sha256.create();
}
