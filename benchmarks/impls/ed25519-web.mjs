/**
 * The Ed25519 half of the HPKE comparables: WebCrypto (`crypto.subtle`, which
 * Node backs with OpenSSL), keys generated once as non-extractable CryptoKeys.
 * The signature covers the payload itself, as a caller would write it, and
 * travels inside the ciphertext: sign-then-encrypt, signature || payload.
 */
import { concatBytes } from '../lib/bytes.mjs';

const { subtle } = globalThis.crypto;
export const SIGNATURE_LENGTH = 64;

export async function createWebEd25519() {
  const { privateKey, publicKey } = await subtle.generateKey({ name: 'Ed25519' }, false, [
    'sign',
    'verify',
  ]);
  return {
    /** signature || payload */
    async signInner(payload) {
      const sig = new Uint8Array(await subtle.sign('Ed25519', privateKey, payload));
      return concatBytes(sig, payload);
    },
    /** The payload of a verified signature || payload, or a throw. */
    async verifyInner(inner) {
      const sig = inner.subarray(0, SIGNATURE_LENGTH);
      const payload = inner.subarray(SIGNATURE_LENGTH);
      if (!(await subtle.verify('Ed25519', publicKey, sig, payload)))
        throw new Error('bad signature');
      return payload;
    },
  };
}
