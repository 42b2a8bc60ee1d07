/**
 * Single-shot HPKE, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM
 * (RFC 9180 base mode), plus an Ed25519 signature (WebCrypto, see
 * ed25519-web.mjs): the construction Blindwire's seal is comparable to.
 * Both libraries run on WebCrypto under Node.
 */
import * as hpkeCore from '@hpke/core';
import * as panva from 'hpke';
import { utf8 } from '../lib/bytes.mjs';
import { createWebEd25519 } from './ed25519-web.mjs';

const INFO = utf8('blindwire-bench/v1 hpke info');

export const hpkeCoreImpl = {
  id: 'hpke-core',
  label: '@hpke/core + Ed25519',
  signed: true,
  notes:
    '@hpke/core CipherSuite.seal/open (DhkemX25519HkdfSha256, HkdfSha256, Aes256Gcm) + WebCrypto Ed25519',
  async create() {
    const suite = new hpkeCore.CipherSuite({
      kem: new hpkeCore.DhkemX25519HkdfSha256(),
      kdf: new hpkeCore.HkdfSha256(),
      aead: new hpkeCore.Aes256Gcm(),
    });
    const recipientKey = await suite.kem.generateKeyPair();
    const ed = await createWebEd25519();
    return {
      async seal(p) {
        const { enc, ct } = await suite.seal(
          { recipientPublicKey: recipientKey.publicKey, info: INFO },
          await ed.signInner(p),
        );
        return { enc: new Uint8Array(enc), ct: new Uint8Array(ct) };
      },
      async open({ enc, ct }) {
        const inner = await suite.open({ recipientKey, enc, info: INFO }, ct);
        return ed.verifyInner(new Uint8Array(inner));
      },
    };
  },
};

export const hpkePanvaImpl = {
  id: 'hpke-panva',
  label: 'hpke (panva) + Ed25519',
  signed: true,
  notes:
    'npm `hpke` CipherSuite.Seal/Open (KEM_DHKEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_256_GCM) + WebCrypto Ed25519; ' +
    'Open is given the KeyPair (a non-extractable private key alone is refused on Node 20)',
  async create() {
    const suite = new panva.CipherSuite(
      panva.KEM_DHKEM_X25519_HKDF_SHA256,
      panva.KDF_HKDF_SHA256,
      panva.AEAD_AES_256_GCM,
    );
    const recipient = await suite.GenerateKeyPair();
    const ed = await createWebEd25519();
    return {
      async seal(p) {
        const { encapsulatedSecret, ciphertext } = await suite.Seal(
          recipient.publicKey,
          await ed.signInner(p),
          { info: INFO },
        );
        return { enc: encapsulatedSecret, ct: ciphertext };
      },
      async open({ enc, ct }) {
        return ed.verifyInner(await suite.Open(recipient, enc, ct, { info: INFO }));
      },
    };
  },
};
