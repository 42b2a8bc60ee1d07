/**
 * Key derivation and the signature transcript of the envelope (SPEC.md §4.3,
 * §4.4, §6.1). Every label is domain-separated under "blindwire/v1".
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat, utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import { COMMITMENT_LENGTH, CONTEXT_CHECK_LENGTH } from './header.js';

export const LABEL = {
  hpkeInfo: utf8('blindwire/v1 message'),
  exportMessageSecret: utf8('blindwire/v1 message secret'),
  exportResponseSecret: utf8('blindwire/v1 response secret'),
  commitment: utf8('blindwire/v1 commitment'),
  contextCheck: utf8('blindwire/v1 context check'),
  contentKey: utf8('blindwire/v1 content key'),
  responseKey: utf8('blindwire/v1 response key'),
  signature: utf8('blindwire/v1 signature\0'),
} as const;

export const SECRET_LENGTH = 32;
/** Content keys are unique per message, so the body nonce is fixed (SPEC.md §4.3). */
export const ZERO_NONCE = new Uint8Array(12);

/**
 * HKDF-Expand (RFC 5869 §2.3) for L ≤ 32: one HMAC block. The message and
 * response secrets are uniformly random 32-byte values (an HPKE export or
 * random bytes), so they serve as the PRK directly (RFC 5869 §3.3).
 */
async function expand32(
  b: CryptoBackend,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const t = await b.hmacSha256(prk, concat(info, Uint8Array.of(1)));
  if (length === 32) return t;
  const out = t.slice(0, length);
  t.fill(0);
  return out;
}

export interface MessageKeys {
  commitment: Uint8Array;
  /** The key of the context check: a copy of the message secret. */
  contextKey: Uint8Array;
  contentKey: Uint8Array;
}

/** SPEC.md §4.3: commitment and content key from the message secret. */
export async function deriveMessageKeys(
  b: CryptoBackend,
  messageSecret: Uint8Array,
  keyLength: number,
): Promise<MessageKeys> {
  const [commitment, contentKey] = await Promise.all([
    expand32(b, messageSecret, LABEL.commitment, COMMITMENT_LENGTH),
    expand32(b, messageSecret, LABEL.contentKey, keyLength),
  ]);
  return { commitment, contextKey: messageSecret.slice(), contentKey };
}

/** SPEC.md §4.3: the 16-byte context check value. */
export async function contextCheck(
  b: CryptoBackend,
  contextKey: Uint8Array,
  context: Uint8Array,
): Promise<Uint8Array> {
  return expand32(b, contextKey, concat(LABEL.contextCheck, context), CONTEXT_CHECK_LENGTH);
}

/** SPEC.md §6.1: the response content key. */
export async function deriveResponseKey(
  b: CryptoBackend,
  responseSecret: Uint8Array,
  responseId: Uint8Array,
  keyLength: number,
): Promise<Uint8Array> {
  return expand32(b, responseSecret, concat(LABEL.responseKey, responseId), keyLength);
}

/**
 * SPEC.md §4.4: the bytes the sender signs. Fixed-size hashes and
 * length-prefixed strings make the encoding unambiguous. The bound context
 * is covered through the header's context check value (SPEC.md §4.3), so a
 * recipient verifies the signature before it looks at its own context.
 */
export async function signatureInput(
  b: CryptoBackend,
  prefixAndHeader: Uint8Array,
  sender: Uint8Array,
  senderKid: Uint8Array,
  body: Uint8Array,
): Promise<Uint8Array> {
  const [hHeader, hBody] = await Promise.all([b.sha256(prefixAndHeader), b.sha256(body)]);
  return signatureTranscript(LABEL.signature, hHeader, sender, senderKid, hBody);
}

/**
 * The signed bytes of a message (§4.4) and of a stream (§7a.4), each under
 * its own label: label, the header hash, the sender as a 16-bit
 * length-prefixed string, the kid as an 8-bit length-prefixed string, the
 * body hash.
 */
export function signatureTranscript(
  label: Uint8Array,
  headerHash: Uint8Array,
  sender: Uint8Array,
  senderKid: Uint8Array,
  bodyHash: Uint8Array,
): Uint8Array {
  if (sender.length > 0xffff || senderKid.length > 0xff) {
    throw new BlindwireError(ErrorCode.InvalidArgument, 'sender or kid too long');
  }
  const out = new Uint8Array(
    label.length + headerHash.length + 2 + sender.length + 1 + senderKid.length + bodyHash.length,
  );
  out.set(label, 0);
  let o = label.length;
  out.set(headerHash, o);
  o += headerHash.length;
  out[o++] = sender.length >> 8;
  out[o++] = sender.length & 0xff;
  out.set(sender, o);
  o += sender.length;
  out[o++] = senderKid.length;
  out.set(senderKid, o);
  o += senderKid.length;
  out.set(bodyHash, o);
  return out;
}
