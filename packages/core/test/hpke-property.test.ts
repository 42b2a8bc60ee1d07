/**
 * Property tests for HPKE contexts (RFC 9180 §5.2), on every backend: random
 * suites, modes and inputs round-trip through seal/open in sequence, and any
 * single bit flip of a ciphertext, of its aad or of enc is ERR_OPEN_FAILED
 * (never plaintext) and leaves the recipient's sequence number where it was.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../src/backend/types.js';
import { BlindwireError, ErrorCode, OPEN_FAILED_MESSAGE } from '../src/errors.js';
import {
  Aead,
  createSuite,
  Mode,
  type AeadId,
  type RecipientOptions,
  type SenderOptions,
} from '../src/hpke/index.js';
import { getSequenceNumber } from '../src/hpke/testing.js';
import { backends } from './helpers/backends.js';

/** Random cases per backend for each property. */
const RUNS = 200;
const SEALING_AEADS: AeadId[] = [Aead.Aes128Gcm, Aead.Aes256Gcm, Aead.ChaCha20Poly1305];

const bytes = (max: number, min = 0) => fc.uint8Array({ minLength: min, maxLength: max });

async function expectOpenFailed(p: Promise<unknown>): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BlindwireError);
  expect((e as BlindwireError).code).toBe(ErrorCode.OpenFailed);
  expect((e as BlindwireError).message).toBe(OPEN_FAILED_MESSAGE);
}

function flip(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice();
  c[bit >> 3] = c[bit >> 3]! ^ (1 << (bit & 7));
  return c;
}

/** A sender/recipient pair in the given mode with fresh keys. */
async function setup(
  backend: CryptoBackend,
  aead: AeadId,
  mode: number,
  info: Uint8Array,
  psk: Uint8Array,
) {
  const suite = createSuite({ kem: 0x0020, kdf: 0x0001, aead }, { backend });
  const r = await suite.generateKeyPair();
  const so: SenderOptions = { recipientPublicKey: r.publicKey, info };
  const withPsk = mode === Mode.Psk || mode === Mode.AuthPsk;
  if (withPsk) Object.assign(so, { psk, pskId: psk.subarray(0, 8) });
  if (mode === Mode.Auth || mode === Mode.AuthPsk) so.senderKey = await suite.generateKeyPair();
  const { enc, context } = await suite.setupSender(so);
  const ro: RecipientOptions = { enc, recipientKey: r, info, psk: so.psk, pskId: so.pskId };
  if (so.senderKey) ro.senderPublicKey = so.senderKey.publicKey;
  return { suite, so, ro, sender: context, recipient: await suite.setupRecipient(ro) };
}

const caseArb = fc.record({
  aead: fc.constantFrom(...SEALING_AEADS),
  mode: fc.constantFrom(Mode.Base, Mode.Psk, Mode.Auth, Mode.AuthPsk),
  info: bytes(256),
  psk: bytes(64, 32),
  messages: fc.array(fc.record({ pt: bytes(1024), aad: bytes(64) }), {
    minLength: 1,
    maxLength: 4,
  }),
  bit: fc.nat(),
});

for (const backend of backends) {
  describe(`HPKE properties (${backend.name})`, () => {
    it(`seal/open round-trips in order, and one flipped bit of ct, aad or enc is ERR_OPEN_FAILED (${RUNS} cases)`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const { suite, so, ro, sender, recipient } = await setup(
            backend,
            c.aead,
            c.mode,
            c.info,
            c.psk,
          );
          for (const [i, m] of c.messages.entries()) {
            const ct = await sender.seal(m.pt, m.aad);
            expect(ct.length).toBe(m.pt.length + 16);
            await expectOpenFailed(recipient.open(flip(ct, c.bit % (ct.length * 8)), m.aad));
            if (m.aad.length > 0)
              await expectOpenFailed(recipient.open(ct, flip(m.aad, c.bit % (m.aad.length * 8))));
            expect(getSequenceNumber(recipient)).toBe(BigInt(i));
            expect(await recipient.open(ct, m.aad)).toEqual(m.pt);
          }
          const first = c.messages[0]!;
          const { enc, ciphertext } = await suite.seal(so, first.pt, first.aad); // RFC 9180 §6.1 single-shot
          expect(await suite.open({ ...ro, enc }, ciphertext, first.aad)).toEqual(first.pt);
          await expectOpenFailed(
            suite.open({ ...ro, enc: flip(enc, c.bit % 256) }, ciphertext, first.aad),
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('every single bit flip of a short ciphertext is ERR_OPEN_FAILED, for each AEAD', async () => {
      for (const aead of SEALING_AEADS) {
        const { sender, recipient } = await setup(
          backend,
          aead,
          Mode.Base,
          new Uint8Array(0),
          new Uint8Array(32),
        );
        const pt = backend.randomBytes(16);
        const aad = new Uint8Array([7]);
        const ct = await sender.seal(pt, aad);
        for (let bit = 0; bit < ct.length * 8; bit++)
          await expectOpenFailed(recipient.open(flip(ct, bit), aad));
        for (let bit = 0; bit < 8; bit++)
          await expectOpenFailed(recipient.open(ct, flip(aad, bit)));
        expect(getSequenceNumber(recipient)).toBe(0n);
        expect(await recipient.open(ct, aad)).toEqual(pt);
      }
    });
  });
}
