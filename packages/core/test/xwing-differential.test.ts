/**
 * Differential tests of HPKE with X-Wing against an independent
 * implementation (@hpke/core + @hpke/hybridkem-x-wing, whose ML-KEM is the
 * `mlkem` package, not noble), on every backend, for the three AEADs (no
 * official vector uses AES-GCM with X-Wing). Both ways: Blindwire seals ->
 * @hpke/core opens, @hpke/core seals -> Blindwire opens; exports agree; with
 * the same encapsulation randomness both senders give the same enc and
 * ciphertext. Keys are exchanged explicitly as seeds: @hpke/hybridkem-x-wing's
 * own deriveKeyPair is the unlabelled form of the X-Wing draft, not the
 * labelled one of draft-ietf-hpke-pq-04 that Blindwire implements.
 */
// X-Wing is opt-in where src/ is imported (the Node entry points register it).
import '../src/xwing.js';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { Aes128Gcm, Aes256Gcm, CipherSuite, HkdfSha256, type AeadInterface } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Aead, createSuite, Kdf, Kem, type AeadId } from '../src/hpke/index.js';
import { backends } from './helpers/backends.js';

const RUNS = 12; // per direction, AEAD and backend: X-Wing costs ~3 ms an operation in pure JS

const AEADS: [string, AeadId, () => AeadInterface][] = [
  ['AES-128-GCM', Aead.Aes128Gcm, () => new Aes128Gcm()],
  ['AES-256-GCM', Aead.Aes256Gcm, () => new Aes256Gcm()],
  ['ChaCha20-Poly1305', Aead.ChaCha20Poly1305, () => new Chacha20Poly1305()],
];

const u8 = (b: ArrayBuffer | Uint8Array) => new Uint8Array(b);

const input = fc.record({
  seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  eseed: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  info: fc.uint8Array({ maxLength: 64 }),
  aad: fc.uint8Array({ maxLength: 64 }),
  pt: fc.uint8Array({ maxLength: 300 }),
  exporterContext: fc.uint8Array({ maxLength: 32 }),
  length: fc.integer({ min: 1, max: 64 }),
});

describe.each(backends)('X-Wing against @hpke/hybridkem-x-wing on the $name backend', (backend) => {
  describe.each(AEADS)('%s', (_name, aeadId, referenceAead) => {
    const ours = createSuite({ kem: Kem.XWing, kdf: Kdf.HkdfSha256, aead: aeadId }, { backend });
    const kem = new XWing();
    const theirs = new CipherSuite({ kem, kdf: new HkdfSha256(), aead: referenceAead() });

    it('Blindwire seals, @hpke/core opens; same enc and ciphertext from the same randomness', async () => {
      await fc.assert(
        fc.asyncProperty(input, async (x) => {
          const kp = await kem.generateKeyPairDerand(x.seed);
          const pk = u8(await kem.serializePublicKey(kp.publicKey));
          const { enc, context } = await ours.setupSender({
            recipientPublicKey: pk,
            info: x.info,
            ikmE: x.eseed,
          });
          const ct = await context.seal(x.pt, x.aad);
          const exported = await context.export(x.exporterContext, x.length);
          const recipient = await theirs.createRecipientContext({
            recipientKey: kp,
            enc,
            info: x.info,
          });
          expect(u8(await recipient.open(ct, x.aad))).toEqual(x.pt);
          expect(u8(await recipient.export(x.exporterContext, x.length))).toEqual(exported);
          const same = await theirs.createSenderContext({
            recipientPublicKey: kp.publicKey,
            info: x.info,
            ekm: x.eseed,
          });
          expect(u8(same.enc)).toEqual(enc);
          expect(u8(await same.seal(x.pt, x.aad))).toEqual(ct);
        }),
        { numRuns: RUNS },
      );
    });

    it('@hpke/core seals, Blindwire opens with the seed as private key', async () => {
      await fc.assert(
        fc.asyncProperty(input, async (x) => {
          const kp = await kem.generateKeyPairDerand(x.seed);
          const sender = await theirs.createSenderContext({
            recipientPublicKey: kp.publicKey,
            info: x.info,
          });
          const ct = u8(await sender.seal(x.pt, x.aad));
          const exported = u8(await sender.export(x.exporterContext, x.length));
          const recipient = await ours.setupRecipient({
            enc: u8(sender.enc),
            recipientKey: {
              privateKey: x.seed.slice(),
              publicKey: u8(await kem.serializePublicKey(kp.publicKey)),
            },
            info: x.info,
          });
          expect(await recipient.open(ct, x.aad)).toEqual(x.pt);
          expect(await recipient.export(x.exporterContext, x.length)).toEqual(exported);
        }),
        { numRuns: RUNS },
      );
    });
  });
});

it('@hpke/hybridkem-x-wing derives other keys from the same ikm (unlabelled DeriveKeyPair)', async () => {
  const ikm = new Uint8Array(32).fill(7);
  const ours = await createSuite({
    kem: Kem.XWing,
    kdf: Kdf.HkdfSha256,
    aead: Aead.ChaCha20Poly1305,
  }).deriveKeyPair(ikm);
  const kem = new XWing();
  const theirs = await kem.deriveKeyPair(ikm.buffer);
  expect(u8(await kem.serializePublicKey(theirs.publicKey))).not.toEqual(ours.publicKey);
});
