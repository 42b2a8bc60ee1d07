/**
 * A CryptoBackend that does no cryptography, for benchmarks only (never
 * exported by any package): every primitive returns fresh bytes of the right
 * length at once, so `seal` and `open` through it cost what the library
 * itself costs (option checks, CBOR, key-schedule plumbing, promises,
 * allocation) and nothing of OpenSSL. Its envelopes are not secret: the
 * "AEAD" copies the plaintext and appends a zero tag, the signature is zeros
 * and verification accepts it.
 *
 * `noCryptoSyncBackend` adds a synchronous twin (the path the node backend
 * takes); `noCryptoBackend` has none (the path of the pure and web backends).
 * Each result is a fresh array, as a real backend's is, so the library's
 * wipes touch only its own bytes. X25519 answers a fixed non-zero value (HPKE
 * refuses an all-zero shared secret) and public keys are fixed non-zero values.
 */
import { setSyncPrimitives } from '@blindwire/core/internal';
// Loading the node backend installs the synchronous path of seal and open.
import '@blindwire/core/backend/node';

const filled = (n, v) => new Uint8Array(n).fill(v);
const TAG = 16;
let counter = 0;

/** Distinct bytes on every call (message ids must differ), from a counter: no CSPRNG. */
function randomBytes(n) {
  const out = new Uint8Array(n);
  let x = ++counter;
  for (let i = 0; i < n && x > 0; i++, x = Math.floor(x / 256)) out[i] = x & 0xff;
  return out;
}

function sealParts(_alg, _key, _nonce, parts, _aad, out, offset) {
  let o = offset;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  out.fill(0, o, o + TAG);
}

function openCopy(_alg, _key, _nonce, ciphertext) {
  if (ciphertext.length < TAG) return undefined;
  return ciphertext.slice(0, ciphertext.length - TAG);
}

const keyPair = () => ({ privateKey: filled(32, 9), publicKey: filled(32, 11) });

export const noCryptoBackend = {
  name: 'no-crypto',
  randomBytes,
  sha256: async () => filled(32, 3),
  sha512: async () => filled(64, 5),
  hmacSha256: async () => filled(32, 7),
  createSha256: () => ({ update() {}, digest: () => filled(32, 3) }),
  x25519GenerateKeyPair: async () => keyPair(),
  x25519PublicKey: async () => filled(32, 11),
  x25519: async () => filled(32, 13),
  ed25519PublicKey: async () => filled(32, 15),
  ed25519Sign: async () => new Uint8Array(64),
  ed25519Verify: async () => true,
  aeadSeal: async (_alg, _key, _nonce, plaintext) => {
    const out = new Uint8Array(plaintext.length + TAG);
    out.set(plaintext);
    return out;
  },
  aeadSealParts: async (...a) => sealParts(...a),
  aeadOpen: async (...a) => openCopy(...a),
};

/**
 * The same, with a synchronous twin registered (as the node backend has one),
 * so `seal` and `open` take the path they take on the node backend.
 */
export const noCryptoSyncBackend = { ...noCryptoBackend, name: 'no-crypto-sync' };
setSyncPrimitives(noCryptoSyncBackend, {
  randomBytes,
  allocate: (n) => new Uint8Array(n),
  sha256: () => filled(32, 3),
  hmacSha256: () => filled(32, 7),
  x25519Ephemeral: () => ({ publicKey: filled(32, 11), shared: filled(32, 13) }),
  x25519: () => filled(32, 13),
  ed25519Sign: () => new Uint8Array(64),
  ed25519Verify: () => true,
  aeadSealParts: sealParts,
  aeadOpen: openCopy,
});
