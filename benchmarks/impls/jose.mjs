/**
 * jose (panva): compact JWE, ECDH-ES+A256KW over X25519 with A256GCM, and the
 * signed comparable, a compact JWS (EdDSA / Ed25519) nested in that JWE
 * (sign then encrypt, `cty: "JOSE"`). The sealed value is the compact string.
 * jose runs on WebCrypto under Node; keys are CryptoKeys made once.
 */
import * as jose from 'jose';

const JWE_HEADER = { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' };
const DECRYPT_OPTIONS = {
  keyManagementAlgorithms: ['ECDH-ES+A256KW'],
  contentEncryptionAlgorithms: ['A256GCM'],
};
const text = new TextEncoder();
const untext = new TextDecoder();

async function encryptionKeys() {
  return jose.generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519' });
}

export const joseJweImpl = {
  id: 'jose-jwe',
  label: 'jose JWE (unsigned)',
  signed: false,
  notes: 'CompactEncrypt / compactDecrypt, ECDH-ES+A256KW (X25519) + A256GCM',
  async create() {
    const { publicKey, privateKey } = await encryptionKeys();
    return {
      seal: (p) => new jose.CompactEncrypt(p).setProtectedHeader(JWE_HEADER).encrypt(publicKey),
      open: async (jwe) => (await jose.compactDecrypt(jwe, privateKey, DECRYPT_OPTIONS)).plaintext,
    };
  },
};

export const joseJwsJweImpl = {
  id: 'jose-jws-jwe',
  label: 'jose JWS(EdDSA) in JWE',
  signed: true,
  notes:
    'CompactSign (EdDSA, Ed25519) then CompactEncrypt (ECDH-ES+A256KW X25519, A256GCM, cty JOSE); compactDecrypt then compactVerify',
  async create() {
    const enc = await encryptionKeys();
    const sig = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519' });
    return {
      async seal(p) {
        const jws = await new jose.CompactSign(p)
          .setProtectedHeader({ alg: 'EdDSA' })
          .sign(sig.privateKey);
        return new jose.CompactEncrypt(text.encode(jws))
          .setProtectedHeader({ ...JWE_HEADER, cty: 'JOSE' })
          .encrypt(enc.publicKey);
      },
      async open(jwe) {
        const { plaintext } = await jose.compactDecrypt(jwe, enc.privateKey, DECRYPT_OPTIONS);
        const { payload } = await jose.compactVerify(untext.decode(plaintext), sig.publicKey, {
          algorithms: ['EdDSA'],
        });
        return payload;
      },
    };
  },
};
