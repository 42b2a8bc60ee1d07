/**
 * The context sequence number of RFC 9180 §5.2, on every backend: the limit
 * (a context at seq 2^96 - 1 seals and opens nothing: ERR_SEQUENCE_OVERFLOW),
 * carries across the 32-bit words of the counter, a failed open leaving seq
 * unchanged, and concurrent calls on one context never sharing a nonce.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import type { CryptoBackend } from '../src/backend/types.js';
import { ErrorCode, OPEN_FAILED_MESSAGE } from '../src/errors.js';
import { Aead, createSuite, Kdf, Kem, type AeadId, type Suite } from '../src/hpke/index.js';
import { Sequence } from '../src/hpke/sequence.js';
import { getSequenceNumber, setSequenceNumber } from '../src/hpke/testing.js';
import { backends } from './helpers/backends.js';

const MAX_SEQ = (1n << 96n) - 1n;

async function expectOpenFailed(p: Promise<unknown>): Promise<void> {
  const e = await expectCode(p, ErrorCode.OpenFailed);
  expect(e.message).toBe(OPEN_FAILED_MESSAGE);
  expect(e.cause).toBeUndefined();
}

function suiteFor(backend: CryptoBackend, aead: AeadId = Aead.Aes128Gcm): Suite {
  return createSuite({ kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead }, { backend });
}

function flip(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice();
  c[bit >> 3] = c[bit >> 3]! ^ (1 << (bit & 7));
  return c;
}

/** RFC 9180 §5.2 ComputeNonce, written with bigint as a reference. */
function referenceNonce(baseNonce: Uint8Array, seq: bigint): Uint8Array {
  const out = baseNonce.slice();
  for (let i = 11; i >= 0; i--) {
    out[i] = out[i]! ^ Number((seq >> BigInt(8 * (11 - i))) & 0xffn);
  }
  return out;
}

describe('Sequence (RFC 9180 §5.2 ComputeNonce and IncrementSeq)', () => {
  it('matches a bigint I2OSP reference and counts through every word boundary', () => {
    const base = Uint8Array.from({ length: 12 }, (_, i) => (i * 37 + 11) & 0xff);
    const starts = [0n, 0xfen, (1n << 32n) - 2n, (1n << 64n) - 2n, (1n << 80n) - 3n, MAX_SEQ - 3n];
    for (const start of starts) {
      const s = new Sequence();
      s.value = start;
      for (let k = 0n; k < 3n; k++) {
        expect(s.value).toBe(start + k);
        expect(s.exhausted).toBe(start + k === MAX_SEQ);
        expect(s.nonce(base)).toEqual(referenceNonce(base, start + k));
        s.increment();
      }
    }
    const s = new Sequence();
    s.value = MAX_SEQ;
    expect(s.exhausted).toBe(true);
    expect(s.nonce(base)).toEqual(base.map((b) => b ^ 0xff));
    expect(() => (s.value = MAX_SEQ + 1n)).toThrow(RangeError);
    expect(() => (s.value = -1n)).toThrow(RangeError);
  });
});

for (const backend of backends) {
  describe(`sequence numbers, RFC 9180 §5.2 (${backend.name})`, () => {
    async function pair(suite: Suite) {
      const r = await suite.generateKeyPair();
      const { enc, context: s } = await suite.setupSender({ recipientPublicKey: r.publicKey });
      return { s, rc: await suite.setupRecipient({ enc, recipientKey: r }) };
    }

    it('seals and opens at 2^96 - 2, then ERR_SEQUENCE_OVERFLOW at 2^96 - 1 on both sides', async () => {
      const suite = suiteFor(backend);
      const { s, rc } = await pair(suite);
      setSequenceNumber(s, MAX_SEQ - 1n);
      setSequenceNumber(rc, MAX_SEQ - 1n);
      const ct = await s.seal(new Uint8Array([1]));
      await expectOpenFailed(rc.open(flip(ct, 3)));
      expect(getSequenceNumber(rc)).toBe(MAX_SEQ - 1n);
      expect(await rc.open(ct)).toEqual(new Uint8Array([1]));
      expect(getSequenceNumber(s)).toBe(MAX_SEQ);
      expect(getSequenceNumber(rc)).toBe(MAX_SEQ);
      await expectCode(s.seal(new Uint8Array([2])), ErrorCode.SequenceOverflow);
      await expectCode(rc.open(ct), ErrorCode.SequenceOverflow);
      expect(getSequenceNumber(s)).toBe(MAX_SEQ);
      expect(getSequenceNumber(rc)).toBe(MAX_SEQ);
      // export does not use the sequence number
      expect(await s.export(new Uint8Array(0), 16)).toEqual(await rc.export(new Uint8Array(0), 16));
      expect(() => setSequenceNumber(s, MAX_SEQ + 1n)).toThrow(RangeError);
    });

    it('carries across the 32- and 64-bit word boundaries', async () => {
      const suite = suiteFor(backend, Aead.ChaCha20Poly1305);
      for (const start of [0xffn, 0xffffn, (1n << 32n) - 2n, (1n << 64n) - 2n, (1n << 80n) - 1n]) {
        const { s, rc } = await pair(suite);
        setSequenceNumber(s, start);
        setSequenceNumber(rc, start);
        const cts = [
          await s.seal(new Uint8Array([0])),
          await s.seal(new Uint8Array([1])),
          await s.seal(new Uint8Array([2])),
        ];
        expect(getSequenceNumber(s)).toBe(start + 3n);
        // each ct opens only at its own seq
        setSequenceNumber(rc, start + 1n);
        await expectOpenFailed(rc.open(cts[0]!));
        setSequenceNumber(rc, start);
        for (let i = 0; i < 3; i++) expect(await rc.open(cts[i]!)).toEqual(new Uint8Array([i]));
        expect(getSequenceNumber(rc)).toBe(start + 3n);
      }
    });

    it('concurrent seals on one context get distinct sequence numbers in call order', async () => {
      const suite = suiteFor(backend);
      const { s, rc } = await pair(suite);
      const cts = await Promise.all(
        Array.from({ length: 20 }, (_, i) => s.seal(new Uint8Array([i]))),
      );
      expect(getSequenceNumber(s)).toBe(20n);
      const pts = await Promise.all(cts.map((ct) => rc.open(ct)));
      expect(pts).toEqual(Array.from({ length: 20 }, (_, i) => new Uint8Array([i])));
    });
  });
}

describe.each(backends.map((b) => [b.name, b] as const))('dispose (%s backend)', (_, backend) => {
  it('erases the keys: seal, open and export throw afterwards', async () => {
    const suite = suiteFor(backend);
    const kp = await suite.generateKeyPair();
    const { enc, context: s } = await suite.setupSender({ recipientPublicKey: kp.publicKey });
    const r = await suite.setupRecipient({ enc, recipientKey: kp });
    const ct = await s.seal(new Uint8Array(4));
    s.dispose();
    r.dispose();
    await expectCode(s.seal(new Uint8Array(4)), ErrorCode.InvalidArgument);
    await expectCode(r.open(ct), ErrorCode.InvalidArgument);
    await expectCode(s.export(new Uint8Array(0), 32), ErrorCode.InvalidArgument);
  });
});
