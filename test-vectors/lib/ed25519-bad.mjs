/**
 * Signatures and public keys that break one rule of strict Ed25519
 * verification (SPEC.md §5.3) while satisfying the verification equation
 * [S]B = R + [k]A, so that only the rule refuses them: a verifier without it
 * (decoding y mod p, comparing points, reducing S, skipping the small-order
 * check) accepts them. Written with BigInt scalars from RFC 8032 §5.1 and
 * public keys from the pure backend; no point arithmetic is needed, because
 * every R is either [r]B for a known r or a point that A or k cancels.
 */
import { createHash } from 'node:crypto';
import { pureBackend } from '@blindwire/core';
import { concat } from '@blindwire/core/internal';
import { derive } from './fixtures.mjs';

/** The group order L (RFC 8032 §5.1). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const sha512 = (...parts) =>
  new Uint8Array(
    createHash('sha512')
      .update(concat(...parts))
      .digest(),
  );

function fromLE(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** `n` as 32 little-endian bytes. */
export function toLE32(n) {
  const out = new Uint8Array(32);
  for (let i = 0, v = n; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));

/** The identity point, canonical: y = 1, sign bit clear. One of the eight points of small order. */
export const IDENTITY = fromHex('01'.padEnd(64, '0'));
/** A point of order 8 (canonical), from the list of small-order points. */
export const ORDER_8 = fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
/** y = p + 1: a non-canonical encoding of the identity (y >= p). */
export const IDENTITY_Y_PLUS_P = fromHex(`ee${'ff'.repeat(30)}7f`);

/** RFC 8032 §5.1.5: the secret scalar of a seed (clamped), reduced mod L. */
function secretScalar(seed) {
  const h = sha512(seed).slice(0, 32);
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  return fromLE(h) % L;
}

/** k = SHA-512(R || A || M) mod L (RFC 8032 §5.1.7). */
const challenge = (r, a, m) => fromLE(sha512(r, a, m)) % L;

/** A nonce point R = [r]B with r known: the public key of a fixed seed. */
async function nonce(label) {
  const seed = derive(`ed25519 nonce\0${label}`);
  return { r: secretScalar(seed), R: await pureBackend.ed25519PublicKey(seed) };
}

/**
 * A = a point of order 8; R = [r]B with r chosen (over fixed labels, in
 * order) so that 8 divides k, hence [k]A is the identity and S = r verifies.
 */
export async function smallOrderKeySignature(message) {
  for (let i = 0; ; i++) {
    const { r, R } = await nonce(`small-order-key\0${i}`);
    if (challenge(R, ORDER_8, message) % 8n === 0n) return concat(R, toLE32(r));
  }
}

/** R = `rBytes` (the identity, canonical or not) with S = k·a: [S]B - [k]A is the identity. */
export function identityNonceSignature(seed, publicKey, rBytes, message) {
  const s = (challenge(rBytes, publicKey, message) * secretScalar(seed)) % L;
  return concat(rBytes, toLE32(s));
}

/** A = the identity (any encoding): [k]A vanishes, so R = [r]B and S = r verify for any message. */
export async function identityKeySignature(label) {
  const { r, R } = await nonce(label);
  return concat(R, toLE32(r));
}

/** An honest signature with S replaced by S + L (still below 2^256): the same value mod L. */
export function sPlusL(signature) {
  const s = fromLE(signature.subarray(32));
  return concat(signature.subarray(0, 32), toLE32(s + L));
}
