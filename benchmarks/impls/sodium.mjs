/**
 * libsodium.js (libsodium-wrappers, WebAssembly): crypto_box_seal (X25519 +
 * XSalsa20-Poly1305, anonymous sender) of signature || payload, the signature
 * from crypto_sign_detached (Ed25519 over the payload). Synchronous API.
 */
import sodium from 'libsodium-wrappers';
import { concatBytes } from '../lib/bytes.mjs';

export const sodiumImpl = {
  id: 'sodium',
  label: 'libsodium box_seal + sign',
  signed: true,
  notes:
    'libsodium-wrappers crypto_sign_detached then crypto_box_seal; crypto_box_seal_open then crypto_sign_verify_detached',
  async create() {
    await sodium.ready;
    const box = sodium.crypto_box_keypair();
    const sign = sodium.crypto_sign_keypair();
    const SIG = sodium.crypto_sign_BYTES;
    return {
      seal: (p) =>
        sodium.crypto_box_seal(
          concatBytes(sodium.crypto_sign_detached(p, sign.privateKey), p),
          box.publicKey,
        ),
      open(c) {
        const inner = sodium.crypto_box_seal_open(c, box.publicKey, box.privateKey);
        const payload = inner.subarray(SIG);
        if (!sodium.crypto_sign_verify_detached(inner.subarray(0, SIG), payload, sign.publicKey)) {
          throw new Error('bad signature');
        }
        return payload;
      },
      version: sodium.SODIUM_VERSION_STRING,
    };
  },
};
