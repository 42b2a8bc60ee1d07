/**
 * X-Wing known-answer tests on every backend: the 3 KEM vectors of
 * draft-connolly-cfrg-xwing-kem-10 Appendix C (key generation from the seed,
 * derandomized encapsulation, decapsulation) and the HKDF-SHA256 +
 * ChaCha20-Poly1305 HPKE vector of draft-ietf-hpke-pq-04 Appendix A.5
 * (DeriveKeyPair, enc, the 10 encryptions at sequence numbers 0-9 from both
 * sides, the 5 exports from both sides). The SHAKE256-KDF vector (A.12) needs
 * the one-stage key schedule, which is not implemented: its KDF is refused.
 * Vectors are read from ../shared/vectors (never copied here).
 */
import { describe, expect, it } from 'vitest';
import { createSuite, Kem, type SenderOptions } from '../src/hpke/index.js';
import { decap, decapUncached, encap, keyPairFromSeed } from '../src/hpke/kem-xwing.js';
import { backends } from './helpers/backends.js';
import { hex, loadVectors } from './helpers/vectors.js';

interface KemVector {
  seed: string;
  sk: string;
  pk: string;
  eseed: string;
  ct: string;
  ss: string;
}

interface HpkePqVector {
  mode: number;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  ikmE: string;
  ikmR: string;
  skRm: string;
  pkRm: string;
  enc: string;
  shared_secret: string;
  key: string;
  base_nonce: string;
  exporter_secret: string;
  encryptions: { aad: string; ct: string; nonce: string; pt: string }[];
  exports: { exporter_context: string; L: number; exported_value: string }[];
}

const kemVectors = loadVectors<KemVector[]>('xwing/xwing-kem.json');
const hpkeVectors = loadVectors<HpkePqVector[]>('xwing/hpke-xwing.json');
const twoStage = hpkeVectors.filter((v) => v.kdf_id === 1);
const oneStage = hpkeVectors.filter((v) => v.kdf_id === 17);

it('the vector files hold what their README says', () => {
  expect(kemVectors).toHaveLength(3);
  expect(twoStage).toHaveLength(1);
  expect(oneStage).toHaveLength(1);
  for (const v of hpkeVectors) {
    expect(v.kem_id).toBe(Kem.XWing);
    expect(v.mode).toBe(0);
    expect(v.encryptions).toHaveLength(10);
    expect(v.exports).toHaveLength(5);
  }
});

describe.each(backends)('X-Wing KEM vectors on the $name backend', (backend) => {
  it.each(kemVectors.map((v, i) => [i, v] as const))('vector %i', async (_i, v) => {
    const kp = await keyPairFromSeed(backend, hex(v.seed));
    expect(kp.privateKey).toEqual(hex(v.sk));
    expect(kp.publicKey).toEqual(hex(v.pk));
    const sent = await encap(backend, hex(v.pk), hex(v.eseed));
    expect(sent.enc).toEqual(hex(v.ct));
    expect(sent.sharedSecret).toEqual(hex(v.ss));
    // A fresh key pair object (no cached expansion), then the cached path, then without the cache.
    const fresh = { privateKey: hex(v.sk), publicKey: hex(v.pk) };
    expect(await decap(backend, hex(v.ct), fresh)).toEqual(hex(v.ss));
    expect(await decap(backend, hex(v.ct), fresh)).toEqual(hex(v.ss));
    expect(await decapUncached(backend, hex(v.ct), fresh)).toEqual(hex(v.ss));
  });
});

describe.each(backends)('HPKE X-Wing vectors on the $name backend', (backend) => {
  it.each(twoStage.map((v, i) => [i, v] as const))(
    'HKDF-SHA256, ChaCha20-Poly1305 vector %i: keys, enc, 10 encryptions, 5 exports',
    async (_i, v) => {
      const suite = createSuite(
        { kem: v.kem_id as typeof Kem.XWing, kdf: 1, aead: 3 },
        { backend },
      );
      expect(suite.suiteId).toEqual(hex('48504b45647a00010003'));
      const recipient = await suite.deriveKeyPair(hex(v.ikmR)); // draft-ietf-hpke-pq-04 §3
      expect(recipient.privateKey).toEqual(hex(v.skRm));
      expect(recipient.publicKey).toEqual(hex(v.pkRm));

      const o: SenderOptions = {
        recipientPublicKey: hex(v.pkRm),
        info: hex(v.info),
        ikmE: hex(v.ikmE),
      };
      const { enc, context: sender } = await suite.setupSender(o);
      expect(enc).toEqual(hex(v.enc));
      const receiver = await suite.setupRecipient({
        enc,
        recipientKey: { privateKey: hex(v.skRm), publicKey: hex(v.pkRm) },
        info: hex(v.info),
      });
      for (const e of v.encryptions) {
        expect(await sender.seal(hex(e.pt), hex(e.aad))).toEqual(hex(e.ct));
        expect(await receiver.open(hex(e.ct), hex(e.aad))).toEqual(hex(e.pt));
      }
      for (const x of v.exports) {
        expect(await sender.export(hex(x.exporter_context), x.L)).toEqual(hex(x.exported_value));
        expect(await receiver.export(hex(x.exporter_context), x.L)).toEqual(hex(x.exported_value));
      }
      sender.dispose();
      receiver.dispose();
    },
  );
});

it('the SHAKE256 KDF (one-stage key schedule) is not implemented: refused by id', () => {
  for (const v of oneStage) {
    expect(() => createSuite({ kem: Kem.XWing, kdf: v.kdf_id as 1, aead: 3 })).toThrow(
      expect.objectContaining({ code: 'ERR_UNSUPPORTED_SUITE' }),
    );
  }
});
