/// <reference types="node" />
/**
 * The node backend: node:crypto (OpenSSL), called synchronously under the
 * async CryptoBackend API. Only `#default-backend` under the `node` condition
 * and the `./backend/node` subpath import this file, so no browser graph ever
 * sees node:crypto.
 *
 * Speed notes (measured on Node 20.20 / OpenSSL 3.0.19):
 * - Raw keys become KeyObjects through a JWK (private ~45 us, most of it the
 *   public-key derivation; public ~8 us). A PKCS8/SPKI DER import goes through
 *   OpenSSL 3's decoder framework: ~480 us private, ~100 us public.
 * - Node builds a private OKP key from `d` alone and derives the public part;
 *   `x` is only type-checked. We pass a placeholder `x` (we do not know the
 *   public key yet) and prove that behaviour once with a known answer
 *   (self-test.ts); if it ever fails, imports fall back to PKCS8.
 * - KeyObjects are cached per key array (key-cache.ts).
 * - The JWK's base64url strings of a private key are immutable JS strings that
 *   live until garbage collection; they cannot be wiped.
 * Ed25519 verification runs the shared strict preconditions first; OpenSSL's
 * equation is cofactorless (it compares the encoding of R), which the
 * self-test checks too, falling back to the pure verifier otherwise.
 * Constant-time properties are those of OpenSSL.
 *
 * @module @blindwire/core/backend/node
 */
import {
  type KeyObject,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hash,
  randomFillSync,
  sign,
  verify,
} from 'node:crypto';
import { assertBytes } from '../bytes.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import { AEAD_TAG_LENGTH, checkAeadArgs, checkKey32, checkSealParts } from './checks.js';
import { strictPreconditions } from './ed25519-strict.js';
import { KeyCache } from './key-cache.js';
import { ed25519VerifyStrict } from './pure.js';
import { SELF_TEST } from './self-test.js';
import { installSyncPath } from '../envelope/sync-path.js';
import { setSyncPrimitives } from './sync.js';
import type { AeadAlgorithm, CryptoBackend } from './types.js';

type Curve = 'X25519' | 'Ed25519';

/** A plain Uint8Array over `b`'s bytes. Pooled buffers are copied out and wiped. */
function plain(b: Buffer): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) {
    return new Uint8Array(b.buffer, 0, b.byteLength);
  }
  const out = new Uint8Array(b);
  b.fill(0);
  return out;
}

function b64u(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
}

function fromB64u(s: string | undefined): Uint8Array {
  return plain(Buffer.from(s ?? '', 'base64url'));
}

/** base64url of 32 zero bytes: the `x` member Node requires but ignores on private imports. */
const PLACEHOLDER_X = 'A'.repeat(43);
/** DER prefixes of PKCS8 OneAsymmetricKey for a 32-byte key (RFC 8410 §7). */
const PKCS8_PREFIX: Record<Curve, string> = {
  X25519: '302e020100300506032b656e04220420',
  Ed25519: '302e020100300506032b657004220420',
};

function importPrivateJwk(crv: Curve, raw: Uint8Array): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv, d: b64u(raw), x: PLACEHOLDER_X },
    format: 'jwk',
  });
}

function importPrivatePkcs8(crv: Curve, raw: Uint8Array): KeyObject {
  const der = Buffer.concat([Buffer.from(PKCS8_PREFIX[crv], 'hex'), raw]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function importPublic(crv: Curve, raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: b64u(raw) }, format: 'jwk' });
}

function exportPublic(key: KeyObject): Uint8Array {
  return fromB64u(createPublicKey(key).export({ format: 'jwk' }).x);
}

/**
 * What the node backend's known-answer checks found at load time: which node:crypto fast paths
 * this runtime's OpenSSL passes, and so which ones it uses.
 */
export interface NodeSelfTest {
  /** Private imports through a JWK with a placeholder `x` give the right key. */
  readonly jwkPrivateImport: boolean;
  /** OpenSSL's Ed25519 verification is cofactorless. */
  readonly cofactorlessVerify: boolean;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function probe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

let platform: NodeSelfTest | undefined;

/** Runs the known-answer self-test once (about 0.3 ms) on first use. */
function getPlatform(): NodeSelfTest {
  if (platform !== undefined) return platform;
  const { x25519: x, ed25519: e, ed25519Cofactored: c } = SELF_TEST;
  const jwkPrivateImport = probe(() => {
    const xk = importPrivateJwk('X25519', x.privateKey);
    const shared = diffieHellman({
      privateKey: xk,
      publicKey: importPublic('X25519', x.peerPublicKey),
    });
    const ek = importPrivateJwk('Ed25519', e.seed);
    return (
      same(exportPublic(xk), x.publicKey) &&
      same(shared, x.sharedSecret) &&
      same(exportPublic(ek), e.publicKey) &&
      same(sign(null, e.message, ek), e.signature)
    );
  });
  const cofactorlessVerify = probe(
    () =>
      verify(null, e.message, importPublic('Ed25519', e.publicKey), e.signature) &&
      !verify(null, c.message, importPublic('Ed25519', c.publicKey), c.signature),
  );
  platform = { jwkPrivateImport, cofactorlessVerify };
  return platform;
}

/** Which native paths the node backend uses here (for tests and diagnostics). */
export function nodeBackendSelfTest(): NodeSelfTest {
  return getPlatform();
}

const privateKeys: Record<Curve, KeyCache<KeyObject>> = {
  X25519: new KeyCache(),
  Ed25519: new KeyCache(),
};
const publicKeys: Record<Curve, KeyCache<KeyObject>> = {
  X25519: new KeyCache(),
  Ed25519: new KeyCache(),
};

/**
 * Drops the KeyObjects cached for these private key arrays and zeroes the
 * cache's copies of their bytes (the workers of `@blindwire/node`'s open
 * pool call it after each call, through this `@blindwire/core/backend/node`
 * subpath). The KeyObjects' own memory is OpenSSL's, freed when they are
 * collected.
 */
export function forgetPrivateKeys(...raws: Uint8Array[]): void {
  for (const raw of raws) for (const c of Object.values(privateKeys)) c.forget(raw);
}

function privateKeyObject(crv: Curve, raw: Uint8Array): KeyObject {
  const cached = privateKeys[crv].get(raw);
  if (cached !== undefined) return cached;
  const key = getPlatform().jwkPrivateImport
    ? importPrivateJwk(crv, raw)
    : importPrivatePkcs8(crv, raw);
  return privateKeys[crv].set(raw, key);
}

function publicKeyObject(crv: Curve, raw: Uint8Array): KeyObject {
  return publicKeys[crv].get(raw) ?? publicKeys[crv].set(raw, importPublic(crv, raw));
}

/**
 * OpenSSL is fed at most this many bytes per update. Node allocates a fresh
 * output buffer on every update; above glibc's mmap threshold (128 KiB) each
 * one is a new mapping whose pages fault in, which made a single 1 MiB update
 * 2-4x slower than the same bytes in 64 KiB pieces on the reference machine.
 */
const UPDATE_BYTES = 64 * 1024;

function createSealCipher(alg: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array) {
  return alg === 'chacha20-poly1305'
    ? createCipheriv(alg, key, nonce, { authTagLength: AEAD_TAG_LENGTH })
    : createCipheriv(alg, key, nonce, { authTagLength: AEAD_TAG_LENGTH });
}

/**
 * Encrypts `parts` in order into `out` from `offset`, then appends the tag;
 * throws ERR_INVALID_ARGUMENT before the tag if the cipher did not give
 * exactly `length` bytes (`out` may be unzeroed, see SyncPrimitives.allocate).
 */
function sealInto(
  alg: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  parts: readonly Uint8Array[],
  length: number,
  aad: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const cipher = createSealCipher(alg, key, nonce);
  cipher.setAAD(aad, { plaintextLength: length });
  let o = offset;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += UPDATE_BYTES) {
      const piece = cipher.update(part.subarray(i, i + UPDATE_BYTES));
      out.set(piece, o);
      o += piece.length;
    }
  }
  const tail = cipher.final();
  if (o + tail.length !== offset + length) {
    // `out` may be unzeroed: a shortfall would put stale heap bytes on the wire.
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      'the AEAD returned a ciphertext of the wrong length',
    );
  }
  out.set(tail, o);
  o += tail.length;
  out.set(cipher.getAuthTag(), o);
}

function seal(
  alg: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
) {
  checkAeadArgs(alg, key, nonce, aad);
  assertBytes(plaintext, 'plaintext');
  // Every byte of `out` is written, so it needs no zero fill (a 64 KiB
  // stream chunk paid for one on every call).
  const out = plain(Buffer.allocUnsafeSlow(plaintext.length + AEAD_TAG_LENGTH));
  sealInto(alg, key, nonce, [plaintext], plaintext.length, aad, out, 0);
  return out;
}

function open(
  alg: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
) {
  checkAeadArgs(alg, key, nonce, aad);
  assertBytes(ciphertext, 'ciphertext');
  if (ciphertext.length < AEAD_TAG_LENGTH) return undefined;
  const end = ciphertext.length - AEAD_TAG_LENGTH;
  const decipher =
    alg === 'chacha20-poly1305'
      ? createDecipheriv(alg, key, nonce, { authTagLength: AEAD_TAG_LENGTH })
      : createDecipheriv(alg, key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  decipher.setAAD(aad, { plaintextLength: end });
  decipher.setAuthTag(ciphertext.subarray(end));
  const body = decipher.update(ciphertext.subarray(0, end));
  try {
    const tail = decipher.final(); // throws when the tag does not verify
    if (tail.length !== 0) throw new Error('unexpected AEAD tail');
  } catch {
    body.fill(0); // never release unauthenticated plaintext
    return undefined;
  }
  return plain(body);
}

/**
 * Small random values (message ids, ephemeral keys) come from a 4 KiB pool:
 * one randomFillSync call costs about as much for 4096 bytes as for 16. Each
 * value is copied out and its pool bytes zeroed, so no byte is handed out twice.
 */
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolOffset = 0;

function randomBytes(length: number): Uint8Array {
  if (length > 256) return randomFillSync(new Uint8Array(length));
  if (poolOffset + length > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES));
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

function x25519GenerateKeyPair() {
  const privateKey = randomBytes(32);
  return { privateKey, publicKey: exportPublic(privateKeyObject('X25519', privateKey)) };
}

/** backend/sync.ts `x25519Ephemeral`: the key object is built, used and dropped here. */
function x25519Ephemeral(publicKey: Uint8Array): { publicKey: Uint8Array; shared: Uint8Array } {
  checkKey32(publicKey, 'publicKey');
  const raw = randomBytes(32);
  try {
    const key = getPlatform().jwkPrivateImport
      ? importPrivateJwk('X25519', raw)
      : importPrivatePkcs8('X25519', raw);
    const enc = exportPublic(key);
    const shared = plain(
      diffieHellman({ privateKey: key, publicKey: publicKeyObject('X25519', publicKey) }),
    );
    return { publicKey: enc, shared };
  } finally {
    raw.fill(0);
  }
}

// OpenSSL refuses an all-zero result (low-order public key): this throws.
function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  checkKey32(privateKey, 'privateKey');
  checkKey32(publicKey, 'publicKey');
  return plain(
    diffieHellman({
      privateKey: privateKeyObject('X25519', privateKey),
      publicKey: publicKeyObject('X25519', publicKey),
    }),
  );
}

function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  checkKey32(seed, 'seed');
  assertBytes(message, 'message');
  return plain(sign(null, message, privateKeyObject('Ed25519', seed)));
}

function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!strictPreconditions(publicKey, signature)) return false;
  if (!getPlatform().cofactorlessVerify) return ed25519VerifyStrict(publicKey, message, signature);
  try {
    return verify(null, message, publicKeyObject('Ed25519', publicKey), signature); // RFC 8032 §5.1.7
  } catch {
    return false;
  }
}

function sealParts(
  alg: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  parts: readonly Uint8Array[],
  aad: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  checkAeadArgs(alg, key, nonce, aad);
  const length = checkSealParts(parts, out, offset);
  sealInto(alg, key, nonce, parts, length, aad, out, offset);
}

/** The node backend: node:crypto (OpenSSL), the default on Node. */
export const nodeBackend: CryptoBackend = {
  name: 'node',
  randomBytes,
  sha256: async (data) => plain(createHash('sha256').update(data).digest()),
  sha512: async (data) => plain(createHash('sha512').update(data).digest()),
  hmacSha256: async (key, data) => plain(createHmac('sha256', key).update(data).digest()),
  createSha256: () => {
    const h = createHash('sha256');
    return { update: (d) => void h.update(d), digest: () => plain(h.digest()) };
  },

  // Not generateKeyPairSync: on Node 20, exporting a freshly generated key can
  // deadlock when the GC collects its KeyGenJob meanwhile (the job's destructor
  // waits on the key's mutex, which ExportJWK holds while it allocates). Random
  // bytes imported as a JWK cost the same (~58 us) and never meet a KeyGenJob.
  x25519GenerateKeyPair: async () => x25519GenerateKeyPair(),
  x25519PublicKey: async (privateKey) => {
    checkKey32(privateKey, 'privateKey');
    return exportPublic(privateKeyObject('X25519', privateKey));
  },
  x25519: async (privateKey, publicKey) => x25519(privateKey, publicKey),

  ed25519PublicKey: async (seed) => {
    checkKey32(seed, 'seed');
    return exportPublic(privateKeyObject('Ed25519', seed));
  },
  ed25519Sign: async (seed, message) => ed25519Sign(seed, message),
  ed25519Verify: async (publicKey, message, signature) =>
    ed25519Verify(publicKey, message, signature),

  aeadSeal: async (alg, key, nonce, plaintext, aad) => seal(alg, key, nonce, plaintext, aad),
  aeadSealParts: async (alg, key, nonce, parts, aad, out, offset) =>
    sealParts(alg, key, nonce, parts, aad, out, offset),
  aeadOpen: async (alg, key, nonce, ciphertext, aad) => open(alg, key, nonce, ciphertext, aad),
};

/**
 * The same primitives without a promise each (backend/sync.ts): `seal` and
 * `open` use them for their common case when the backend is this very object.
 * A top-level side effect under the package's `"sideEffects": false`: a
 * bundler may drop a bare import of this module whose bindings are unused,
 * and with it only this faster path (README, Backends).
 */
setSyncPrimitives(nodeBackend, {
  randomBytes,
  // Not pooled (a view of its own ArrayBuffer), so `plain` never copies it.
  allocate: (length) => plain(Buffer.allocUnsafeSlow(length)),
  sha256: (parts) => {
    if (parts.length === 1) return plain(hash('sha256', parts[0]!, 'buffer'));
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return plain(h.digest());
  },
  hmacSha256: (key, parts) => {
    const h = createHmac('sha256', key);
    for (const p of parts) h.update(p);
    return plain(h.digest());
  },
  x25519Ephemeral,
  x25519,
  ed25519Sign,
  ed25519Verify,
  aeadSealParts: sealParts,
  aeadOpen: open,
});
installSyncPath();
