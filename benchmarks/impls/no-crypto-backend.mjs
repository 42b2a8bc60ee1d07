/**
 * A CryptoBackend that does no cryptography, for benchmarks only (never
 * exported by any package): every primitive returns fresh bytes of the right
 * length at once, so `seal` and `open` through it cost what the library
 * itself costs (option checks, CBOR, key-schedule plumbing, promises,
 * allocation) and nothing of OpenSSL. Its envelopes are not secret: the
 * "AEAD" copies the plaintext and appends a zero tag, the signature is zeros
 * and verification accepts it.
 *
 * Each result is a fresh array, as a real backend's is, so the library's
 * wipes touch only its own bytes. X25519 answers a fixed non-zero value (HPKE
 * refuses an all-zero shared secret) and public keys are fixed non-zero values.
 */
import { randomFillSync } from 'node:crypto';

const filled = (n, v) => new Uint8Array(n).fill(v);
const TAG = 16;

export const noCryptoBackend = {
  name: 'no-crypto',
  randomBytes: (n) => randomFillSync(new Uint8Array(n)),
  sha256: async () => filled(32, 3),
  sha512: async () => filled(64, 5),
  hmacSha256: async () => filled(32, 7),
  createSha256: () => ({ update() {}, digest: () => filled(32, 3) }),
  x25519GenerateKeyPair: async () => ({ privateKey: filled(32, 9), publicKey: filled(32, 11) }),
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
  aeadSealParts: async (_alg, _key, _nonce, parts, _aad, out, offset) => {
    let o = offset;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    out.fill(0, o, o + TAG);
  },
  aeadOpen: async (_alg, _key, _nonce, ciphertext) => {
    if (ciphertext.length < TAG) return undefined;
    return ciphertext.slice(0, ciphertext.length - TAG);
  },
};
