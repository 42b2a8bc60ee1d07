/**
 * X-Wing known-answer tests on every backend: the 3 KEM vectors of
 * draft-connolly-cfrg-xwing-kem-10 Appendix C (key generation from the seed,
 * derandomized encapsulation, decapsulation) and both HPKE vectors of
 * draft-ietf-hpke-pq-04: A.5 (HKDF-SHA256, the RFC 9180 key schedule) and
 * A.12 (SHAKE256, the one-stage key schedule of draft-ietf-hpke-hpke), each
 * with ChaCha20-Poly1305: DeriveKeyPair, enc, the 10 encryptions at sequence
 * numbers 0-9 from both sides, the 5 exports from both sides.
 * Vectors are read from ../shared/vectors (never copied here).
 */
// X-Wing is opt-in where src/ is imported (the Node entry points register it).
import '../src/xwing.js';
import { describe, expect, it } from 'vitest';
import { createSuite, Kdf, Kem, type SenderOptions } from '../src/hpke/index.js';
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
  suite_id: string;
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
  it.each(hpkeVectors.map((v) => [v.kdf_id === 1 ? 'HKDF-SHA256' : 'SHAKE256', v] as const))(
    '%s, ChaCha20-Poly1305: keys, enc, 10 encryptions, 5 exports',
    async (_kdf, v) => {
      const suite = createSuite(
        { kem: v.kem_id as typeof Kem.XWing, kdf: v.kdf_id as 1 | 0x11, aead: 3 },
        { backend },
      );
      expect(suite.suiteId).toEqual(hex(v.suite_id));
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

it('the SHAKE256 KDF is implemented with X-Wing only (no vector covers it with X25519)', () => {
  expect(() => createSuite({ kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.Shake256, aead: 3 })).toThrow(
    expect.objectContaining({ code: 'ERR_UNSUPPORTED_SUITE' }),
  );
});
