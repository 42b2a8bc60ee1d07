/**
 * Argument checks shared by every backend, so that all of them reject the
 * same malformed calls with the same `ERR_INVALID_ARGUMENT` (sizes are fixed
 * by the suite, never by attacker-controlled data).
 */
import { assertBytes, concat } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { AeadAlgorithm, CryptoBackend } from './types.js';

/** Nk per AEAD (RFC 9180 §7.3). */
const KEY_LENGTH: Record<AeadAlgorithm, number> = {
  'aes-128-gcm': 16,
  'aes-256-gcm': 32,
  'chacha20-poly1305': 32,
};

/** Nn, the same for every AEAD the backends implement (RFC 9180 §7.3). */
export const AEAD_NONCE_LENGTH = 12;
/** Nt, the tag length appended to every ciphertext. */
export const AEAD_TAG_LENGTH = 16;

/** Key and nonce sizes must match the algorithm; throws ERR_INVALID_ARGUMENT otherwise. */
export function checkAeadArgs(
  alg: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
): void {
  const keyLength = Object.hasOwn(KEY_LENGTH, alg) ? KEY_LENGTH[alg] : undefined;
  if (keyLength === undefined) {
    throw invalidArgument(
      'alg',
      "'aes-128-gcm', 'aes-256-gcm' or 'chacha20-poly1305'",
      String(alg),
    );
  }
  assertBytes(key, 'key', keyLength);
  assertBytes(nonce, 'nonce', AEAD_NONCE_LENGTH);
  assertBytes(aad, 'aad');
}

/** A 32-byte X25519 scalar or u-coordinate, or Ed25519 seed (RFC 7748 §5, RFC 8032 §5.1.5). */
export function checkKey32(b: unknown, name: string): asserts b is Uint8Array {
  assertBytes(b, name, 32);
}

/** The total length of `parts`. */
export function partsLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** `out` must hold the parts' total length + the tag from `offset`; throws ERR_INVALID_ARGUMENT otherwise. */
export function checkSealParts(
  parts: readonly Uint8Array[],
  out: Uint8Array,
  offset: number,
): number {
  for (const p of parts) assertBytes(p, 'parts[i]');
  assertBytes(out, 'out');
  const n = partsLength(parts);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + n + AEAD_TAG_LENGTH > out.length) {
    throw invalidArgument('offset', 'room in out for the ciphertext and its tag', String(offset));
  }
  return n;
}

/**
 * AEAD-seals the concatenation of `parts` into `out` at `offset`, through the
 * backend's `aeadSealParts` when it has one, otherwise by concatenating,
 * sealing and copying (the concatenated plaintext is wiped). A ciphertext
 * that is not the parts' length plus the tag throws ERR_INVALID_ARGUMENT:
 * nothing is copied into `out`.
 */
export async function aeadSealInto(
  b: CryptoBackend,
  alg: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  parts: readonly Uint8Array[],
  aad: Uint8Array,
  out: Uint8Array,
  offset: number,
): Promise<void> {
  if (b.aeadSealParts) return b.aeadSealParts(alg, key, nonce, parts, aad, out, offset);
  const n = checkSealParts(parts, out, offset);
  const pt = parts.length === 1 ? parts[0]! : concat(...parts);
  const ct = await b.aeadSeal(alg, key, nonce, pt, aad);
  if (pt !== parts[0]) pt.fill(0);
  if (!(ct instanceof Uint8Array) || ct.length !== n + AEAD_TAG_LENGTH) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      'the backend returned a malformed ciphertext',
    );
  }
  out.set(ct, offset);
}
