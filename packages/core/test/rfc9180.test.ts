/**
 * RFC 9180 Appendix A known-answer tests for every X25519 suite
 * (AES-128-GCM, ChaCha20-Poly1305, export-only; modes Base, PSK, Auth, AuthPSK),
 * on every backend: DeriveKeyPair, the KEM shared secret, every key-schedule
 * value, enc, every ciphertext at its sequence number, and every export from
 * both sides. Vectors are read from ../shared/vectors (never copied here).
 */
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../src/backend/types.js';
import { aeadParams } from '../src/hpke/aead.js';
import {
  createSuite,
  Mode,
  type AeadId,
  type KeyPair,
  type RecipientOptions,
  type SenderOptions,
} from '../src/hpke/index.js';
import { keyScheduleLabels, keyScheduleValues } from '../src/hpke/key-schedule.js';
import { decap, encap } from '../src/hpke/kem-x25519.js';
import { Sequence } from '../src/hpke/sequence.js';
import { getSequenceNumber, setSequenceNumber } from '../src/hpke/testing.js';
import { backends } from './helpers/backends.js';
import { hex, loadVectors } from './helpers/vectors.js';

interface HpkeVector {
  mode: number;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  ikmE: string;
  pkEm: string;
  skEm: string;
  ikmR: string;
  pkRm: string;
  skRm: string;
  ikmS?: string;
  pkSm?: string;
  skSm?: string;
  psk?: string;
  psk_id?: string;
  enc: string;
  shared_secret: string;
  key_schedule_context: string;
  secret: string;
  key: string;
  base_nonce: string;
  exporter_secret: string;
  encryptions: { seq: number; pt: string; aad: string; nonce: string; ct: string }[];
  exports: { exporter_context: string; L: number; exported_value: string }[];
}

const all = loadVectors<HpkeVector[]>('hpke-rfc9180.json');
const vectors = all.filter((v) => v.kem_id === 0x0020 && v.kdf_id === 0x0001);

/** What this file must check per backend (README of the vectors: 4 + 4 + 4 vectors, 24 + 24 + 0 encryptions, 12 × 3 exports). */
const EXPECTED = { vectors: 12, encryptions: 48, exports: 36 };

const MODE_NAMES = ['Base', 'PSK', 'Auth', 'AuthPSK'];
const AEAD_NAMES: Record<number, string> = {
  1: 'AES-128-GCM',
  3: 'ChaCha20-Poly1305',
  65535: 'export-only',
};

function keyPair(sk: string, pk: string): KeyPair {
  return { privateKey: hex(sk), publicKey: hex(pk) };
}

function senderOptions(v: HpkeVector): SenderOptions {
  const o: SenderOptions = {
    recipientPublicKey: hex(v.pkRm),
    info: hex(v.info),
    ephemeralKeyPair: keyPair(v.skEm, v.pkEm),
  };
  if (v.psk !== undefined) Object.assign(o, { psk: hex(v.psk), pskId: hex(v.psk_id!) });
  if (v.skSm !== undefined) o.senderKey = keyPair(v.skSm, v.pkSm!);
  return o;
}

function recipientOptions(v: HpkeVector): RecipientOptions {
  const o: RecipientOptions = {
    enc: hex(v.enc),
    recipientKey: keyPair(v.skRm, v.pkRm),
    info: hex(v.info),
  };
  if (v.psk !== undefined) Object.assign(o, { psk: hex(v.psk), pskId: hex(v.psk_id!) });
  if (v.pkSm !== undefined) o.senderPublicKey = hex(v.pkSm);
  return o;
}

function name(v: HpkeVector): string {
  return `${AEAD_NAMES[v.aead_id]} ${MODE_NAMES[v.mode]}`;
}

async function checkVector(
  backend: CryptoBackend,
  v: HpkeVector,
  counts: typeof EXPECTED,
): Promise<void> {
  const suite = createSuite({ kem: 0x0020, kdf: 0x0001, aead: v.aead_id as AeadId }, { backend });
  expect(suite.suiteId).toEqual(
    new Uint8Array([
      0x48,
      0x50,
      0x4b,
      0x45,
      0x00,
      0x20,
      0x00,
      0x01,
      v.aead_id >> 8,
      v.aead_id & 0xff,
    ]),
  );

  // RFC 9180 §7.1.3 DeriveKeyPair
  expect(await suite.deriveKeyPair(hex(v.ikmE))).toEqual(keyPair(v.skEm, v.pkEm));
  expect(await suite.deriveKeyPair(hex(v.ikmR))).toEqual(keyPair(v.skRm, v.pkRm));
  if (v.ikmS !== undefined)
    expect(await suite.deriveKeyPair(hex(v.ikmS))).toEqual(keyPair(v.skSm!, v.pkSm!));

  // RFC 9180 §4.1 Encap/AuthEncap and Decap/AuthDecap: shared_secret
  const sender = v.skSm === undefined ? undefined : keyPair(v.skSm, v.pkSm!);
  const kem = await encap(backend, hex(v.pkRm), keyPair(v.skEm, v.pkEm), sender);
  expect(kem.enc).toEqual(hex(v.enc));
  expect(kem.sharedSecret).toEqual(hex(v.shared_secret));
  const pkS = v.pkSm === undefined ? undefined : hex(v.pkSm);
  expect(await decap(backend, hex(v.enc), keyPair(v.skRm, v.pkRm), pkS)).toEqual(
    hex(v.shared_secret),
  );

  // RFC 9180 §5.1 KeySchedule: every intermediate value
  const ks = await keyScheduleValues(
    backend,
    keyScheduleLabels(suite.suiteId),
    aeadParams(v.aead_id)!,
    v.mode,
    hex(v.shared_secret),
    hex(v.info),
    hex(v.psk ?? ''),
    hex(v.psk_id ?? ''),
  );
  expect(ks.keyScheduleContext).toEqual(hex(v.key_schedule_context));
  expect(ks.secret).toEqual(hex(v.secret));
  expect(ks.key).toEqual(hex(v.key));
  expect(ks.baseNonce).toEqual(hex(v.base_nonce));
  expect(ks.exporterSecret).toEqual(hex(v.exporter_secret));

  // RFC 9180 §5.1 Setup: injected ephemeral key pair, and DeriveKeyPair(ikmE)
  const { enc, context: s } = await suite.setupSender(senderOptions(v));
  expect(enc).toEqual(hex(v.enc));
  expect(s.mode).toBe(v.mode);
  const derived = { ...senderOptions(v), ephemeralKeyPair: undefined, ikmE: hex(v.ikmE) };
  expect((await suite.setupSender(derived)).enc).toEqual(hex(v.enc));
  const r = await suite.setupRecipient(recipientOptions(v));
  expect(r.mode).toBe(v.mode);

  // RFC 9180 §5.2: seal and open in order; skipped seqs are filled with dummy messages.
  const dummy = new Uint8Array([0xd0]);
  const byHook = await suite.setupRecipient(recipientOptions(v));
  for (const e of v.encryptions) {
    while (getSequenceNumber(s) < BigInt(e.seq))
      expect(await r.open(await s.seal(dummy))).toEqual(dummy);
    expect(getSequenceNumber(s)).toBe(BigInt(e.seq));
    const nonce = new Sequence();
    nonce.value = BigInt(e.seq);
    expect(nonce.nonce(ks.baseNonce)).toEqual(hex(e.nonce));
    expect(await s.seal(hex(e.pt), hex(e.aad))).toEqual(hex(e.ct));
    expect(await r.open(hex(e.ct), hex(e.aad))).toEqual(hex(e.pt));
    setSequenceNumber(byHook, BigInt(e.seq));
    expect(await byHook.open(hex(e.ct), hex(e.aad))).toEqual(hex(e.pt));
    expect(getSequenceNumber(byHook)).toBe(BigInt(e.seq) + 1n);
    counts.encryptions++;
  }
  const first = v.encryptions[0];
  if (first !== undefined) {
    // RFC 9180 §6.1 single-shot Seal/Open use seq 0
    expect(await suite.seal(senderOptions(v), hex(first.pt), hex(first.aad))).toEqual({
      enc: hex(v.enc),
      ciphertext: hex(first.ct),
    });
    expect(await suite.open(recipientOptions(v), hex(first.ct), hex(first.aad))).toEqual(
      hex(first.pt),
    );
  }

  // RFC 9180 §5.3 Export from both sides, and the single-shot §6.2 forms
  for (const x of v.exports) {
    const want = hex(x.exported_value);
    expect(await s.export(hex(x.exporter_context), x.L)).toEqual(want);
    expect(await r.export(hex(x.exporter_context), x.L)).toEqual(want);
    expect(await suite.sendExport(senderOptions(v), hex(x.exporter_context), x.L)).toEqual({
      enc: hex(v.enc),
      exported: want,
    });
    expect(await suite.receiveExport(recipientOptions(v), hex(x.exporter_context), x.L)).toEqual(
      want,
    );
    counts.exports++;
  }
  counts.vectors++;
}

describe('RFC 9180 Appendix A, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256', () => {
  it('has the expected X25519 vectors in the shared file', () => {
    expect(vectors.length).toBe(EXPECTED.vectors);
    expect(new Set(vectors.map((v) => `${v.aead_id}/${v.mode}`)).size).toBe(12);
    expect(vectors.every((v) => Object.values(Mode).includes(v.mode as 0))).toBe(true);
  });

  for (const backend of backends) {
    describe(`backend ${backend.name}`, () => {
      const counts = { vectors: 0, encryptions: 0, exports: 0 };
      for (const v of vectors) {
        it(`${name(v)}: keys, enc, ${v.encryptions.length} encryptions, ${v.exports.length} exports`, async () => {
          await checkVector(backend, v, counts);
        });
      }
      it(`checked ${EXPECTED.vectors} vectors, ${EXPECTED.encryptions} encryptions, ${EXPECTED.exports} exports`, () => {
        expect(counts).toEqual(EXPECTED);
      });
    });
  }
});
