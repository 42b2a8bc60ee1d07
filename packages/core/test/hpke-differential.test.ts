/**
 * Differential tests against an independent RFC 9180 implementation
 * (@hpke/core, with @hpke/chacha20poly1305), on every backend: random suites
 * (three AEADs and export-only), random modes, keys, info, PSKs, messages and
 * exports. Blindwire seals -> @hpke/core opens, @hpke/core seals -> Blindwire
 * opens, exports agree both ways, and with the same ephemeral IKM both
 * senders produce identical enc and ciphertexts.
 *
 * @hpke/core 1.10.1 (@hpke/common) builds LabeledExpand's I2OSP(L, 2) as
 * [0, L & 0xff], so its exports with L ≥ 256 do not follow RFC 9180 §4. For
 * those lengths the reference value is RFC 5869 HKDF-Expand (@noble/hashes)
 * over the reference context's own exporter secret; the last test notices
 * when the upstream quirk is fixed so this workaround can go.
 */
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import {
  Aes128Gcm,
  Aes256Gcm,
  CipherSuite,
  DhkemX25519HkdfSha256,
  ExportOnly,
  HkdfSha256,
  type AeadInterface,
  type PreSharedKey,
} from '@hpke/core';
import { expand } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../src/backend/types.js';
import { concat, utf8 } from '../src/bytes.js';
import {
  Aead,
  createSuite,
  Mode,
  type AeadId,
  type RecipientOptions,
  type SenderOptions,
} from '../src/hpke/index.js';
import { backends } from './helpers/backends.js';

/**
 * At least 2048 cases per file (both directions, all backends together),
 * split evenly over the backends with a floor of 256 per direction each:
 * with pure, node and web that is 342 per direction per backend (2052 in all).
 */
const TOTAL_CASES = 2048;
const RUNS_PER_DIRECTION = Math.max(256, Math.ceil(TOTAL_CASES / 2 / backends.length));

const REFERENCE_AEADS: Record<AeadId, () => AeadInterface> = {
  [Aead.Aes128Gcm]: () => new Aes128Gcm(),
  [Aead.Aes256Gcm]: () => new Aes256Gcm(),
  [Aead.ChaCha20Poly1305]: () => new Chacha20Poly1305(),
  [Aead.ExportOnly]: () => new ExportOnly(),
};
const AEAD_IDS = Object.values(Aead);
const reference = new Map<AeadId, CipherSuite>(
  AEAD_IDS.map((id) => [
    id,
    new CipherSuite({
      kem: new DhkemX25519HkdfSha256(),
      kdf: new HkdfSha256(),
      aead: REFERENCE_AEADS[id](),
    }),
  ]),
);

const bytes = (max: number, min = 0) => fc.uint8Array({ minLength: min, maxLength: max });
const key32 = bytes(32, 32);
const caseArb = fc.record({
  aead: fc.constantFrom(...AEAD_IDS),
  mode: fc.constantFrom(Mode.Base, Mode.Psk, Mode.Auth, Mode.AuthPsk),
  skR: key32,
  skS: key32,
  ikmE: fc.option(bytes(64, 32), { nil: undefined }),
  info: bytes(1024),
  psk: bytes(64, 32),
  pskId: bytes(64, 1),
  messages: fc.array(fc.record({ pt: bytes(1024), aad: bytes(1024) }), {
    minLength: 1,
    maxLength: 3,
  }),
  exporterContext: bytes(1024),
  exportLength: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 8 },
    { arbitrary: fc.integer({ min: 256, max: 1024 }), weight: 1 },
    { arbitrary: fc.constant(8160), weight: 1 },
  ),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

const u8 = (b: ArrayBuffer): Uint8Array => new Uint8Array(b);
const hasPsk = (c: Case): boolean => c.mode === Mode.Psk || c.mode === Mode.AuthPsk;
const hasAuth = (c: Case): boolean => c.mode === Mode.Auth || c.mode === Mode.AuthPsk;
const refPsk = (c: Case): PreSharedKey | undefined =>
  hasPsk(c) ? { id: c.pskId, key: c.psk } : undefined;

/** Context.Export on a reference context (RFC 9180 §5.3), bypassing its L ≥ 256 quirk. */
async function referenceExport(
  context: { export(c: Uint8Array, l: number): Promise<ArrayBuffer> },
  suiteId: Uint8Array,
  exporterContext: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  if (length < 256) return u8(await context.export(exporterContext, length));
  const secret = (context as unknown as { exporterSecret: ArrayBuffer }).exporterSecret;
  expect(secret.byteLength).toBe(32);
  // RFC 9180 §4: labeled_info = I2OSP(L, 2) || "HPKE-v1" || suite_id || "sec" || exporter_context
  const info = concat(
    new Uint8Array([length >> 8, length & 0xff]),
    utf8('HPKE-v1'),
    suiteId,
    utf8('sec'),
    exporterContext,
  );
  return expand(sha256, u8(secret), info, length);
}

async function keys(backend: CryptoBackend, c: Case) {
  const pkR = await backend.x25519PublicKey(c.skR);
  const pkS = hasAuth(c) ? await backend.x25519PublicKey(c.skS) : undefined;
  return { pkR, pkS };
}

/** Blindwire sender -> @hpke/core recipient; with ikmE, also byte-equality of both senders. */
async function blindwireToReference(backend: CryptoBackend, c: Case): Promise<void> {
  const suite = createSuite({ kem: 0x0020, kdf: 0x0001, aead: c.aead }, { backend });
  const ref = reference.get(c.aead)!;
  const { pkR, pkS } = await keys(backend, c);
  const so: SenderOptions = { recipientPublicKey: pkR, info: c.info, ikmE: c.ikmE };
  if (hasPsk(c)) Object.assign(so, { psk: c.psk, pskId: c.pskId });
  if (pkS !== undefined) so.senderKey = { privateKey: c.skS, publicKey: pkS };
  const { enc, context } = await suite.setupSender(so);
  expect(context.mode).toBe(c.mode);

  const rc = await ref.createRecipientContext({
    recipientKey: await ref.kem.deserializePrivateKey(c.skR),
    enc,
    info: c.info,
    psk: refPsk(c),
    senderPublicKey: pkS === undefined ? undefined : await ref.kem.deserializePublicKey(pkS),
  });
  const refSender =
    c.ikmE === undefined
      ? undefined
      : await ref.createSenderContext({
          recipientPublicKey: await ref.kem.deserializePublicKey(pkR),
          info: c.info,
          psk: refPsk(c),
          senderKey: hasAuth(c) ? await ref.kem.deserializePrivateKey(c.skS) : undefined,
          ekm: c.ikmE,
        });
  if (refSender !== undefined) expect(u8(refSender.enc)).toEqual(enc);

  if (c.aead !== Aead.ExportOnly) {
    for (const m of c.messages) {
      const ct = await context.seal(m.pt, m.aad);
      expect(ct.length).toBe(m.pt.length + 16);
      expect(u8(await rc.open(ct, m.aad))).toEqual(m.pt);
      if (refSender !== undefined) expect(u8(await refSender.seal(m.pt, m.aad))).toEqual(ct);
    }
  }
  const exported = await context.export(c.exporterContext, c.exportLength);
  expect(exported.length).toBe(c.exportLength);
  expect(await referenceExport(rc, suite.suiteId, c.exporterContext, c.exportLength)).toEqual(
    exported,
  );
}

/** @hpke/core sender -> Blindwire recipient. */
async function referenceToBlindwire(backend: CryptoBackend, c: Case): Promise<void> {
  const suite = createSuite({ kem: 0x0020, kdf: 0x0001, aead: c.aead }, { backend });
  const ref = reference.get(c.aead)!;
  const { pkR, pkS } = await keys(backend, c);
  const sender = await ref.createSenderContext({
    recipientPublicKey: await ref.kem.deserializePublicKey(pkR),
    info: c.info,
    psk: refPsk(c),
    senderKey: hasAuth(c) ? await ref.kem.deserializePrivateKey(c.skS) : undefined,
  });
  const ro: RecipientOptions = {
    enc: u8(sender.enc),
    recipientKey: { privateKey: c.skR, publicKey: pkR },
    info: c.info,
  };
  if (hasPsk(c)) Object.assign(ro, { psk: c.psk, pskId: c.pskId });
  if (pkS !== undefined) ro.senderPublicKey = pkS;
  const rc = await suite.setupRecipient(ro);
  expect(rc.mode).toBe(c.mode);
  if (c.aead !== Aead.ExportOnly) {
    for (const m of c.messages) {
      const ct = u8(await sender.seal(m.pt, m.aad));
      expect(await rc.open(ct, m.aad)).toEqual(m.pt);
    }
  }
  expect(await rc.export(c.exporterContext, c.exportLength)).toEqual(
    await referenceExport(sender, suite.suiteId, c.exporterContext, c.exportLength),
  );
}

let total = 0;

for (const backend of backends) {
  describe(`differential vs @hpke/core (${backend.name})`, () => {
    it(`Blindwire seals, @hpke/core opens: ${RUNS_PER_DIRECTION} random cases`, async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          await blindwireToReference(backend, c);
          n++;
          total++;
        }),
        { numRuns: RUNS_PER_DIRECTION },
      );
      expect(n).toBe(RUNS_PER_DIRECTION);
    });

    it(`@hpke/core seals, Blindwire opens: ${RUNS_PER_DIRECTION} random cases`, async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          await referenceToBlindwire(backend, c);
          n++;
          total++;
        }),
        { numRuns: RUNS_PER_DIRECTION },
      );
      expect(n).toBe(RUNS_PER_DIRECTION);
    });
  });
}

it(`ran at least ${TOTAL_CASES} differential cases over ${backends.length} backend(s)`, () => {
  expect(total).toBe(2 * RUNS_PER_DIRECTION * backends.length);
  expect(total).toBeGreaterThanOrEqual(TOTAL_CASES);
});

describe('@hpke/core export quirk', () => {
  it('still encodes I2OSP(L, 2) as [0, L & 0xff] for L ≥ 256 (remove the referenceExport workaround once this fails)', async () => {
    const ref = reference.get(Aead.ExportOnly)!;
    const r = await ref.kem.generateKeyPair();
    const sender = await ref.createSenderContext({ recipientPublicKey: r.publicKey });
    const suiteId = createSuite({ kem: 0x0020, kdf: 0x0001, aead: Aead.ExportOnly }).suiteId;
    const context = new Uint8Array([1]);
    // L = 288 is labeled like 32 (288 & 0xff) by the quirk, so its first 32 bytes equal the L = 32 export
    const quirky = u8(await sender.export(context, 288));
    expect(quirky.subarray(0, 32)).toEqual(u8(await sender.export(context, 32)));
    expect(quirky).not.toEqual(await referenceExport(sender, suiteId, context, 288));
  });
});
