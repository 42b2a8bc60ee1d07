/**
 * The node:crypto floor: the same construction as a Blindwire message with
 * nothing around it. Seal: ephemeral X25519 key, diffieHellman with the
 * recipient's key, one HKDF-SHA256 (hkdfSync) giving the AES-256-GCM key and
 * nonce, SHA-256 of the payload signed with Ed25519 (Blindwire also signs a
 * digest of the body, SPEC.md §4.4), AES-256-GCM over signature || payload.
 * Sealed value: enc (32) || ciphertext || tag (16). Open does the reverse and
 * verifies the signature before returning the payload.
 *
 * Long-term keys are KeyObjects built once. Raw X25519 bytes go in and out
 * through JWK, the cheapest KeyObject route on Node 20 / OpenSSL 3 (SPKI/PKCS8
 * DER is ~10x slower). Two rows differ only in how the ephemeral key is made:
 * - `node-floor`, "the floor": 32 random bytes imported as a JWK `d` (Node
 *   derives the public key from `d` and ignores the placeholder `x`), the
 *   cheapest route and what the Blindwire node backend does;
 * - `node-floor-keygen`: generateKeyPairSync('x25519'), the direct, documented
 *   call, with the public key encoded by the generation job itself (SPKI DER).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';

const INFO = Buffer.from('blindwire-bench/v1 floor');
const PLACEHOLDER_X = 'A'.repeat(43);
const SIG = 64;
const TAG = 16;

const rawPublic = (key) => Buffer.from(key.export({ format: 'jwk' }).x, 'base64url');

/** An X25519 SubjectPublicKeyInfo is a 12-byte DER prefix and the raw key (RFC 8410 §4). */
const SPKI_PREFIX = 12;

function ephemeralDirect() {
  // The public key comes out of the key-generation job already encoded: a JWK
  // export of a freshly generated KeyObject can deadlock on Node 20 when the GC
  // collects the job meanwhile (a bench run hung with it, 3 runs in 3 within
  // 40,000 seals); see packages/core/src/backend/node.ts.
  const { privateKey, publicKey } = generateKeyPairSync('x25519', {
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  return { privateKey, enc: publicKey.subarray(SPKI_PREFIX) };
}

function ephemeralJwk() {
  const d = randomBytes(32).toString('base64url');
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d, x: PLACEHOLDER_X },
    format: 'jwk',
  });
  return { privateKey, enc: rawPublic(createPublicKey(privateKey)) };
}

function keyAndNonce(shared, enc, recipientRaw) {
  const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([enc, recipientRaw]), INFO, 44));
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
}

const sha256 = (b) => createHash('sha256').update(b).digest();

function floor(id, label, ephemeral) {
  return {
    id,
    label,
    signed: true,
    notes: 'node:crypto X25519 + hkdfSync + AES-256-GCM + Ed25519(SHA-256(payload))',
    async create() {
      const recipient = generateKeyPairSync('x25519');
      const recipientRaw = rawPublic(recipient.publicKey);
      const signer = generateKeyPairSync('ed25519');
      return {
        seal(p) {
          const eph = ephemeral();
          const shared = diffieHellman({
            privateKey: eph.privateKey,
            publicKey: recipient.publicKey,
          });
          const { key, nonce } = keyAndNonce(shared, eph.enc, recipientRaw);
          const signature = sign(null, sha256(p), signer.privateKey);
          const c = createCipheriv('aes-256-gcm', key, nonce);
          return Buffer.concat([
            eph.enc,
            c.update(signature),
            c.update(p),
            c.final(),
            c.getAuthTag(),
          ]);
        },
        open(sealed) {
          const enc = sealed.subarray(0, 32);
          const ephPublic = createPublicKey({
            key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(enc).toString('base64url') },
            format: 'jwk',
          });
          const shared = diffieHellman({ privateKey: recipient.privateKey, publicKey: ephPublic });
          const { key, nonce } = keyAndNonce(shared, enc, recipientRaw);
          const d = createDecipheriv('aes-256-gcm', key, nonce);
          d.setAuthTag(sealed.subarray(sealed.length - TAG));
          const inner = Buffer.concat([
            d.update(sealed.subarray(32, sealed.length - TAG)),
            d.final(),
          ]);
          const payload = inner.subarray(SIG);
          if (!verify(null, sha256(payload), signer.publicKey, inner.subarray(0, SIG)))
            throw new Error('bad signature');
          return new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
        },
      };
    },
  };
}

export const nodeFloorImpl = floor('node-floor', 'node:crypto floor', ephemeralJwk);
export const nodeFloorKeygenImpl = floor(
  'node-floor-keygen',
  'node:crypto floor (generateKeyPairSync)',
  ephemeralDirect,
);
