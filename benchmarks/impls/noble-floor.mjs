/**
 * The pure-JavaScript floor: the node:crypto floor's construction
 * (node-floor.mjs) built from @noble/curves, @noble/hashes and
 * @noble/ciphers, the libraries the pure backend uses, with nothing around
 * them. Seal: ephemeral X25519 key, X25519 with the recipient's key, one
 * HKDF-SHA256 giving the AES-256-GCM key and nonce, Ed25519 over SHA-256 of
 * the payload, AES-256-GCM over signature || payload; open does the reverse
 * and verifies strictly (`zip215: false`, as Blindwire does). What Blindwire
 * (pure) is held to: "no slower than the pure-noble floor".
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';

const INFO = new TextEncoder().encode('blindwire-bench/v1 floor');
const SIG = 64;

function keyAndNonce(shared, enc, recipientPublic) {
  const salt = new Uint8Array(64);
  salt.set(enc);
  salt.set(recipientPublic, 32);
  const okm = hkdf(sha256, shared, salt, INFO, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
}

export const nobleFloorImpl = {
  id: 'noble-floor',
  label: 'pure @noble floor',
  signed: true,
  notes: '@noble X25519 + HKDF + AES-256-GCM + Ed25519(SHA-256(payload)), strict verify',
  async create() {
    const recipientSecret = randomBytes(32);
    const recipientPublic = x25519.getPublicKey(recipientSecret);
    const seed = randomBytes(32);
    const signerPublic = ed25519.getPublicKey(seed);
    return {
      seal(p) {
        const eph = randomBytes(32);
        const enc = x25519.getPublicKey(eph);
        const shared = x25519.getSharedSecret(eph, recipientPublic);
        const { key, nonce } = keyAndNonce(shared, enc, recipientPublic);
        const signature = ed25519.sign(sha256(p), seed);
        const inner = new Uint8Array(SIG + p.length);
        inner.set(signature);
        inner.set(p, SIG);
        const ct = gcm(key, nonce).encrypt(inner);
        const out = new Uint8Array(32 + ct.length);
        out.set(enc);
        out.set(ct, 32);
        return out;
      },
      open(sealed) {
        const enc = sealed.subarray(0, 32);
        const shared = x25519.getSharedSecret(recipientSecret, enc);
        const { key, nonce } = keyAndNonce(shared, enc, recipientPublic);
        const inner = gcm(key, nonce).decrypt(sealed.subarray(32));
        const payload = inner.subarray(SIG);
        if (
          !ed25519.verify(inner.subarray(0, SIG), sha256(payload), signerPublic, { zip215: false })
        )
          throw new Error('bad signature');
        return payload;
      },
    };
  },
};
