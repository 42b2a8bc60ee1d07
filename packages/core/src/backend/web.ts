/**
 * The web backend: WebCrypto (`globalThis.crypto.subtle`), no Node imports,
 * for browsers, Deno, Bun and Workers. Per primitive:
 * - X25519, Ed25519: WebCrypto when the runtime passes a known-answer
 *   self-test (detected once, lazily, per algorithm), else the pure backend.
 *   Ed25519 verification runs the shared strict preconditions first and uses
 *   WebCrypto only if it rejects a signature valid under the cofactored
 *   equation alone (self-test.ts), so decisions match the pure backend.
 *   Private keys are imported as PKCS8 (RFC 8410): a JWK private key needs the
 *   public `x`, which WebCrypto checks and which we could only compute in JS.
 * - AES-GCM: WebCrypto. ChaCha20-Poly1305: pure (WebCrypto lacks it).
 * - SHA-256/512 and HMAC: `@noble` below a size threshold (a WebCrypto round
 *   trip costs more than hashing a short input), WebCrypto above it.
 * Imported CryptoKeys are cached per key array (key-cache.ts).
 * Without `crypto.subtle` (insecure browser contexts) everything falls back to pure.
 *
 * @module @blindwire/core/backend/web
 */
import { assertBytes, fromBase64url } from '../bytes.js';
import { AEAD_TAG_LENGTH, checkAeadArgs, checkKey32 } from './checks.js';
import { strictPreconditions } from './ed25519-strict.js';
import { KeyCache } from './key-cache.js';
import { pureBackend } from './pure.js';
import { randomBytes } from './random.js';
import { SELF_TEST } from './self-test.js';
import type { AeadAlgorithm, CryptoBackend, X25519KeyPair } from './types.js';

type Curve = 'X25519' | 'Ed25519';

/** Below these input sizes `@noble` beats a WebCrypto round trip (measured on Node 20). */
const HASH_NATIVE_MIN_BYTES = 1024;
const HMAC_NATIVE_MIN_BYTES = 8192;

/** DER prefixes of PKCS8 OneAsymmetricKey for a 32-byte key (RFC 8410 §7). */
const PKCS8_PREFIX: Record<Curve, Uint8Array> = {
  X25519: new Uint8Array([0x30, 0x2e, 2, 1, 0, 0x30, 5, 6, 3, 0x2b, 0x65, 0x6e, 4, 0x22, 4, 0x20]),
  Ed25519: new Uint8Array([0x30, 0x2e, 2, 1, 0, 0x30, 5, 6, 3, 0x2b, 0x65, 0x70, 4, 0x22, 4, 0x20]),
};

function subtle(): SubtleCrypto | undefined {
  return globalThis.crypto?.subtle;
}

/** WebCrypto's typings want ArrayBuffer-backed views. */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function probe(check: (s: SubtleCrypto) => Promise<boolean>): Promise<boolean> {
  const s = subtle();
  if (s === undefined) return false;
  try {
    return await check(s);
  } catch {
    return false;
  }
}

async function importPrivate(s: SubtleCrypto, crv: Curve, raw: Uint8Array): Promise<CryptoKey> {
  const der = new Uint8Array(48);
  der.set(PKCS8_PREFIX[crv], 0);
  der.set(raw, 16);
  try {
    return await s.importKey(
      'pkcs8',
      der,
      { name: crv },
      true,
      crv === 'X25519' ? ['deriveBits'] : ['sign'],
    );
  } finally {
    der.fill(0);
  }
}

async function importPublic(s: SubtleCrypto, crv: Curve, raw: Uint8Array): Promise<CryptoKey> {
  return s.importKey('raw', buf(raw), { name: crv }, false, crv === 'X25519' ? [] : ['verify']);
}

/** The public key of a private CryptoKey: the JWK export of a private OKP key carries `x`. */
async function exportPublic(s: SubtleCrypto, key: CryptoKey): Promise<Uint8Array> {
  return fromBase64url((await s.exportKey('jwk', key)).x ?? '', 'jwk.x');
}

async function deriveX25519(
  s: SubtleCrypto,
  privateKey: CryptoKey,
  publicKey: CryptoKey,
): Promise<Uint8Array> {
  return new Uint8Array(await s.deriveBits({ name: 'X25519', public: publicKey }, privateKey, 256));
}

let x25519Support: Promise<boolean> | undefined;
let ed25519Support: Promise<boolean> | undefined;

/** X25519 in WebCrypto, proven by a known answer (unclamped scalar, public key, shared secret). */
function hasX25519(): Promise<boolean> {
  x25519Support ??= probe(async (s) => {
    const t = SELF_TEST.x25519;
    const key = await importPrivate(s, 'X25519', t.privateKey);
    const shared = await deriveX25519(s, key, await importPublic(s, 'X25519', t.peerPublicKey));
    return same(await exportPublic(s, key), t.publicKey) && same(shared, t.sharedSecret);
  });
  return x25519Support;
}

/** Ed25519 in WebCrypto: known-answer sign and verify, and a cofactorless equation. */
function hasEd25519(): Promise<boolean> {
  ed25519Support ??= probe(async (s) => {
    const { ed25519: t, ed25519Cofactored: c } = SELF_TEST;
    const key = await importPrivate(s, 'Ed25519', t.seed);
    const signature = new Uint8Array(await s.sign('Ed25519', key, buf(t.message)));
    const pub = await importPublic(s, 'Ed25519', t.publicKey);
    const cofactored = await importPublic(s, 'Ed25519', c.publicKey);
    return (
      same(await exportPublic(s, key), t.publicKey) &&
      same(signature, t.signature) &&
      (await s.verify('Ed25519', pub, buf(t.signature), buf(t.message))) &&
      !(await s.verify('Ed25519', cofactored, buf(c.signature), buf(c.message)))
    );
  });
  return ed25519Support;
}

/** Which primitives the web backend takes from WebCrypto here (for tests and diagnostics). */
export async function webBackendSupport(): Promise<{
  subtle: boolean;
  x25519: boolean;
  ed25519: boolean;
}> {
  return { subtle: subtle() !== undefined, x25519: await hasX25519(), ed25519: await hasEd25519() };
}

const privateKeys: Record<Curve, KeyCache<CryptoKey>> = {
  X25519: new KeyCache(),
  Ed25519: new KeyCache(),
};
const publicKeys: Record<Curve, KeyCache<CryptoKey>> = {
  X25519: new KeyCache(),
  Ed25519: new KeyCache(),
};

// Imported from a copy taken before the await, and cached against that copy:
// a caller that refills its array while the import is in flight must not get
// the old key for the new bytes later (key-cache.ts).
async function privateCryptoKey(s: SubtleCrypto, crv: Curve, raw: Uint8Array): Promise<CryptoKey> {
  return privateKeys[crv].getOrImport(raw, (bytes) => importPrivate(s, crv, bytes));
}

async function publicCryptoKey(s: SubtleCrypto, crv: Curve, raw: Uint8Array): Promise<CryptoKey> {
  return publicKeys[crv].getOrImport(raw, (bytes) => importPublic(s, crv, bytes));
}

/**
 * AES keys are not cached: content keys are single-use and wiped by their
 * owner, and a cache would keep a copy of each until garbage collection.
 */
async function aesKey(s: SubtleCrypto, raw: Uint8Array): Promise<CryptoKey> {
  return s.importKey('raw', buf(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

function gcmParams(nonce: Uint8Array, aad: Uint8Array): AesGcmParams {
  return {
    name: 'AES-GCM',
    iv: buf(nonce),
    additionalData: buf(aad),
    tagLength: AEAD_TAG_LENGTH * 8,
  };
}

async function digest(
  name: 'SHA-256' | 'SHA-512',
  data: Uint8Array,
  small: (d: Uint8Array) => Promise<Uint8Array>,
) {
  assertBytes(data, 'data');
  const s = subtle();
  if (s === undefined || data.length < HASH_NATIVE_MIN_BYTES) return small(data);
  return new Uint8Array(await s.digest(name, buf(data)));
}

async function x25519GenerateKeyPair(): Promise<X25519KeyPair> {
  const s = subtle();
  if (s === undefined || !(await hasX25519())) return pureBackend.x25519GenerateKeyPair();
  const pair = (await s.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
  const jwk = await s.exportKey('jwk', pair.privateKey);
  const privateKey = fromBase64url(jwk.d ?? '', 'jwk.d');
  privateKeys.X25519.set(privateKey, pair.privateKey); // the ephemeral key is used right away
  return { privateKey, publicKey: fromBase64url(jwk.x ?? '', 'jwk.x') };
}

async function aeadSeal(
  alg: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
) {
  checkAeadArgs(alg, key, nonce, aad);
  assertBytes(plaintext, 'plaintext');
  const s = subtle();
  if (alg === 'chacha20-poly1305' || s === undefined)
    return pureBackend.aeadSeal(alg, key, nonce, plaintext, aad);
  return new Uint8Array(
    await s.encrypt(gcmParams(nonce, aad), await aesKey(s, key), buf(plaintext)),
  );
}

async function aeadOpen(
  alg: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
) {
  checkAeadArgs(alg, key, nonce, aad);
  assertBytes(ciphertext, 'ciphertext');
  const s = subtle();
  if (alg === 'chacha20-poly1305' || s === undefined)
    return pureBackend.aeadOpen(alg, key, nonce, ciphertext, aad);
  if (ciphertext.length < AEAD_TAG_LENGTH) return undefined;
  const k = await aesKey(s, key);
  try {
    return new Uint8Array(await s.decrypt(gcmParams(nonce, aad), k, buf(ciphertext)));
  } catch {
    return undefined; // OperationError: the tag does not verify
  }
}

/**
 * The web backend: WebCrypto (`globalThis.crypto.subtle`), with `@noble` where WebCrypto lacks a
 * primitive or is slower; the default in browsers, Deno, Bun and Workers.
 */
export const webBackend: CryptoBackend = {
  name: 'web',
  randomBytes,
  sha256: (data) => digest('SHA-256', data, pureBackend.sha256),
  sha512: (data) => digest('SHA-512', data, pureBackend.sha512),
  hmacSha256: async (key, data) => {
    assertBytes(key, 'key');
    assertBytes(data, 'data');
    const s = subtle();
    // WebCrypto rejects an empty HMAC key; RFC 2104 allows it.
    if (s === undefined || data.length < HMAC_NATIVE_MIN_BYTES || key.length === 0) {
      return pureBackend.hmacSha256(key, data);
    }
    const k = await s.importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return new Uint8Array(await s.sign('HMAC', k, buf(data)));
  },
  // WebCrypto has no incremental digest: @noble's.
  createSha256: () => pureBackend.createSha256!(),

  x25519GenerateKeyPair,
  x25519PublicKey: async (privateKey) => {
    checkKey32(privateKey, 'privateKey');
    const s = subtle();
    if (s === undefined || !(await hasX25519())) return pureBackend.x25519PublicKey(privateKey);
    return exportPublic(s, await privateCryptoKey(s, 'X25519', privateKey));
  },
  // WebCrypto refuses an all-zero result (low-order public key): this throws.
  x25519: async (privateKey, publicKey) => {
    checkKey32(privateKey, 'privateKey');
    checkKey32(publicKey, 'publicKey');
    const s = subtle();
    if (s === undefined || !(await hasX25519())) return pureBackend.x25519(privateKey, publicKey);
    const priv = await privateCryptoKey(s, 'X25519', privateKey);
    return deriveX25519(s, priv, await publicCryptoKey(s, 'X25519', publicKey));
  },

  ed25519PublicKey: async (seed) => {
    checkKey32(seed, 'seed');
    const s = subtle();
    if (s === undefined || !(await hasEd25519())) return pureBackend.ed25519PublicKey(seed);
    return exportPublic(s, await privateCryptoKey(s, 'Ed25519', seed));
  },
  ed25519Sign: async (seed, message) => {
    checkKey32(seed, 'seed');
    assertBytes(message, 'message');
    const s = subtle();
    if (s === undefined || !(await hasEd25519())) return pureBackend.ed25519Sign(seed, message);
    return new Uint8Array(
      await s.sign('Ed25519', await privateCryptoKey(s, 'Ed25519', seed), buf(message)),
    );
  },
  ed25519Verify: async (publicKey, message, signature) => {
    if (!strictPreconditions(publicKey, signature)) return false;
    const s = subtle();
    if (s === undefined || !(await hasEd25519()))
      return pureBackend.ed25519Verify(publicKey, message, signature);
    try {
      const key = await publicCryptoKey(s, 'Ed25519', publicKey);
      return await s.verify('Ed25519', key, buf(signature), buf(message)); // RFC 8032 §5.1.7
    } catch {
      return false; // A does not decode to a curve point
    }
  },

  aeadSeal,
  aeadOpen,
};
