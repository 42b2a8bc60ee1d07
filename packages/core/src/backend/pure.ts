/**
 * The pure backend: audited @noble primitives only, so it runs in every
 * JavaScript runtime (browsers, Deno, Bun, Workers). It is the universal
 * fallback and the reference the native backends are tested against.
 * Constant-time properties are those of @noble (best effort in JavaScript).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { assertBytes, equalBytes } from '../bytes.js';
import { checkAeadArgs, checkKey32 } from './checks.js';
import { strictPreconditions } from './ed25519-strict.js';
import { KeyCache } from './key-cache.js';
import { randomBytes } from './random.js';
import type { AeadAlgorithm, CryptoBackend } from './types.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function leToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function bigintToLe32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** RFC 8032 §5.1.5: the secret scalar, the nonce prefix and the public key of a seed. */
interface ExpandedSeed {
  readonly scalar: bigint;
  readonly prefix: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * noble's `sign` re-derives all three from the seed on every call (a SHA-512
 * and a base-point multiplication, ~30% of a signature); a long-term key signs
 * many messages, so they are cached per seed array like the native backends'
 * key objects (key-cache.ts: a refilled array misses).
 */
const expandedSeeds = new KeyCache<ExpandedSeed>();

function expandSeed(seed: Uint8Array): ExpandedSeed {
  const hit = expandedSeeds.get(seed);
  if (hit) return hit;
  const { scalar, prefix, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
  return expandedSeeds.set(seed, { scalar, prefix, publicKey: pointBytes });
}

/** RFC 8032 §5.1.6 with the expanded seed: the same bytes as noble's `ed25519.sign`. */
function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  checkKey32(seed, 'seed');
  const { scalar, prefix, publicKey } = expandSeed(seed);
  const msg = message.slice(); // r and k must hash the same bytes
  const r = leToBigint(sha512.create().update(prefix).update(msg).digest()) % L;
  const R = ed25519.Point.BASE.multiply(r).toBytes(); // throws for r = 0 (probability 2^-252)
  const k = leToBigint(sha512.create().update(R).update(publicKey).update(msg).digest()) % L;
  const sig = new Uint8Array(64);
  sig.set(R);
  sig.set(bigintToLe32((r + k * scalar) % L), 32);
  return sig;
}

function cipher(alg: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) {
  return alg === 'chacha20-poly1305' ? chacha20poly1305(key, nonce, aad) : gcm(key, nonce, aad);
}

/** Cofactorless strict Ed25519 verification on @noble's point arithmetic. */
export function ed25519VerifyStrict(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!strictPreconditions(publicKey, signature)) return false;
  const r = signature.subarray(0, 32);
  let A;
  try {
    A = ed25519.Point.fromBytes(publicKey, false);
  } catch {
    return false; // y < p but not on the curve
  }
  const s = leToBigint(signature.subarray(32, 64));
  const h = sha512.create().update(r).update(publicKey).update(message).digest();
  const k = leToBigint(h) % L;
  // RFC 8032 §5.1.7, cofactorless: R' = [S]B - [k]A must encode exactly as R.
  const rCheck = ed25519.Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k));
  return equalBytes(rCheck.toBytes(), r);
}

/** The pure backend: `@noble` primitives in JavaScript, on every runtime. */
export const pureBackend: CryptoBackend = {
  name: 'pure',
  randomBytes: (length) => randomBytes(length),
  sha256: async (data) => sha256(data),
  sha512: async (data) => sha512(data),
  hmacSha256: async (key, data) => hmac(sha256, key, data),
  createSha256: () => sha256.create(),
  x25519GenerateKeyPair: async () => {
    const privateKey = randomBytes(32);
    return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
  },
  // The same argument checks as the node and web backends (checks.ts).
  x25519PublicKey: async (privateKey) => {
    checkKey32(privateKey, 'privateKey');
    return x25519.getPublicKey(privateKey);
  },
  x25519: async (privateKey, publicKey) => {
    checkKey32(privateKey, 'privateKey');
    checkKey32(publicKey, 'publicKey');
    return x25519.getSharedSecret(privateKey, publicKey);
  },
  ed25519PublicKey: async (seed) => {
    checkKey32(seed, 'seed');
    return ed25519.getPublicKey(seed);
  },
  ed25519Sign: async (seed, message) => ed25519Sign(seed, message),
  ed25519Verify: async (publicKey, message, signature) =>
    ed25519VerifyStrict(publicKey, message, signature),
  aeadSeal: async (alg, key, nonce, plaintext, aad) => {
    checkAeadArgs(alg, key, nonce, aad);
    assertBytes(plaintext, 'plaintext');
    return cipher(alg, key, nonce, aad).encrypt(plaintext);
  },
  aeadOpen: async (alg, key, nonce, ciphertext, aad) => {
    checkAeadArgs(alg, key, nonce, aad);
    assertBytes(ciphertext, 'ciphertext');
    try {
      return cipher(alg, key, nonce, aad).decrypt(ciphertext);
    } catch {
      return undefined;
    }
  },
};
