/**
 * HPKE rejections, on every backend: the all-zero X25519 results of
 * Wycheproof (RFC 9180 §7.1.4), export-only (§5.3), tampering and unknown
 * suite ids. Argument and PSK checks are in hpke-arguments.test.ts, the
 * sequence limit (§5.2) in hpke-sequence.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import type { CryptoBackend } from '../src/backend/types.js';
import { BlindwireError, ErrorCode, OPEN_FAILED_MESSAGE } from '../src/errors.js';
import {
  Aead,
  createSuite,
  Kdf,
  Kem,
  type AeadId,
  type KeyPair,
  type RecipientOptions,
  type SenderOptions,
  type Suite,
} from '../src/hpke/index.js';
import { KEM_FAILED_MESSAGE } from '../src/hpke/kem-x25519.js';
import { getSequenceNumber } from '../src/hpke/testing.js';
import { backends } from './helpers/backends.js';
import { hex, loadVectors } from './helpers/vectors.js';

interface XdhTest {
  tcId: number;
  public: string;
  private: string;
  shared: string;
  result: string;
  flags: string[];
}
const xdh = loadVectors<{ testGroups: { tests: XdhTest[] }[] }>('wycheproof/x25519_test.json');
const zeroShared = xdh.testGroups.flatMap((g) => g.tests).filter((t) => /^(00)+$/.test(t.shared));

const PSK = new Uint8Array(32).fill(7);
const PSK_ID = new Uint8Array([1, 2, 3]);

async function expectOpenFailed(p: Promise<unknown>): Promise<void> {
  const e = await expectCode(p, ErrorCode.OpenFailed, OPEN_FAILED_MESSAGE);
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

describe('Wycheproof x25519 all-zero shared secrets (RFC 9180 §7.1.4)', () => {
  it('finds 31 all-zero cases', () => {
    expect(zeroShared.length).toBe(31);
  });

  for (const backend of backends) {
    it(`${backend.name}: every case is ERR_HPKE as pkR (Encap, AuthEncap), as enc (Decap) and as pkS (AuthDecap)`, async () => {
      const suite = suiteFor(backend);
      const good = await suite.generateKeyPair();
      let checked = 0;
      for (const t of zeroShared) {
        const low: KeyPair = {
          privateKey: hex(t.private),
          publicKey: await backend.x25519PublicKey(hex(t.private)),
        };
        const pk = hex(t.public);
        for (const run of [
          () => suite.setupSender({ recipientPublicKey: pk, ephemeralKeyPair: low }),
          () =>
            suite.setupSender({ recipientPublicKey: pk, ephemeralKeyPair: low, senderKey: good }),
          () => suite.setupSender({ recipientPublicKey: pk, senderKey: low }), // DH(skS, pkR) is all-zero too
          () => suite.setupRecipient({ enc: pk, recipientKey: low }),
          () =>
            suite.setupRecipient({ enc: pk, recipientKey: low, senderPublicKey: good.publicKey }),
          () => suite.open({ enc: pk, recipientKey: low }, new Uint8Array(16)),
        ]) {
          const e = await expectCode(run(), ErrorCode.Hpke, KEM_FAILED_MESSAGE);
          expect(e.cause).toBeUndefined();
        }
        // AuthDecap: the second DH, DH(skR, pkS), is the all-zero one
        const { enc } = await suite.setupSender({ recipientPublicKey: low.publicKey });
        await expectCode(
          suite.setupRecipient({ enc, recipientKey: low, senderPublicKey: pk }),
          ErrorCode.Hpke,
          KEM_FAILED_MESSAGE,
        );
        checked++;
      }
      expect(checked).toBe(31);
    });

    it(`${backend.name}: a backend whose X25519 throws, or returns zeros, gives ERR_HPKE`, async () => {
      const throwing: CryptoBackend = {
        ...backend,
        x25519: async () => Promise.reject(new Error('low order')),
      };
      const zeros: CryptoBackend = { ...backend, x25519: async () => new Uint8Array(32) };
      const short: CryptoBackend = { ...backend, x25519: async () => new Uint8Array(31).fill(1) };
      const kp = await suiteFor(backend).generateKeyPair();
      for (const b of [throwing, zeros, short]) {
        const suite = suiteFor(b);
        const e = await expectCode(
          suite.setupSender({ recipientPublicKey: kp.publicKey }),
          ErrorCode.Hpke,
          KEM_FAILED_MESSAGE,
        );
        expect(e.cause).toBeUndefined();
        await expectCode(
          suite.setupRecipient({ enc: kp.publicKey, recipientKey: kp }),
          ErrorCode.Hpke,
          KEM_FAILED_MESSAGE,
        );
      }
    });
  }
});

for (const backend of backends) {
  describe(`export-only AEAD, RFC 9180 §5.3 (${backend.name})`, () => {
    it('rejects seal and open with ERR_UNSUPPORTED and still exports', async () => {
      const suite = suiteFor(backend, Aead.ExportOnly);
      const r = await suite.generateKeyPair();
      const { enc, context } = await suite.setupSender({ recipientPublicKey: r.publicKey });
      const rc = await suite.setupRecipient({ enc, recipientKey: r });
      await expectCode(context.seal(new Uint8Array(1)), ErrorCode.Unsupported, /export-only/);
      await expectCode(rc.open(new Uint8Array(17)), ErrorCode.Unsupported, /export-only/);
      await expectCode(
        suite.seal({ recipientPublicKey: r.publicKey }, new Uint8Array(1)),
        ErrorCode.Unsupported,
      );
      await expectCode(
        suite.open({ enc, recipientKey: r }, new Uint8Array(17)),
        ErrorCode.Unsupported,
      );
      expect(await context.export(new Uint8Array(0), 32)).toEqual(
        await rc.export(new Uint8Array(0), 32),
      );
    });
  });

  describe(`tampering (${backend.name})`, () => {
    for (const aead of [Aead.Aes128Gcm, Aead.Aes256Gcm, Aead.ChaCha20Poly1305] as const) {
      it(`aead 0x000${aead}: tampered ct, aad, enc, info, psk or pkS is ERR_OPEN_FAILED and seq does not move`, async () => {
        const suite = suiteFor(backend, aead);
        const r = await suite.generateKeyPair();
        const sk = await suite.generateKeyPair();
        const info = new Uint8Array([1, 2]);
        const so: SenderOptions = {
          recipientPublicKey: r.publicKey,
          info,
          senderKey: sk,
          psk: PSK,
          pskId: PSK_ID,
        };
        const ro: RecipientOptions = {
          enc: new Uint8Array(32),
          recipientKey: r,
          info,
          psk: PSK,
          pskId: PSK_ID,
          senderPublicKey: sk.publicKey,
        };
        const { enc, context: s } = await suite.setupSender(so);
        ro.enc = enc;
        const rc = await suite.setupRecipient(ro);
        const aad = new Uint8Array([0xaa, 0xbb]);
        for (let i = 0; i < 3; i++) {
          const pt = new Uint8Array(20).fill(i);
          const ct = await s.seal(pt, aad);
          const seq = getSequenceNumber(rc);
          await expectOpenFailed(rc.open(flip(ct, 0), aad));
          await expectOpenFailed(rc.open(flip(ct, ct.length * 8 - 1), aad)); // last tag bit
          await expectOpenFailed(rc.open(ct.subarray(0, ct.length - 1), aad));
          await expectOpenFailed(rc.open(ct.subarray(0, 15), aad)); // shorter than the tag
          await expectOpenFailed(rc.open(new Uint8Array(0), aad));
          await expectOpenFailed(rc.open(ct, flip(aad, 3)));
          await expectOpenFailed(rc.open(ct));
          await expectOpenFailed(rc.open(new Uint8Array([...ct, 0]), aad));
          expect(getSequenceNumber(rc)).toBe(seq);
          expect(await rc.open(ct, aad)).toEqual(pt);
          expect(getSequenceNumber(rc)).toBe(seq + 1n);
        }
        const { enc: enc0, ciphertext } = await suite.seal(so, new Uint8Array([5]), aad);
        expect(await suite.open({ ...ro, enc: enc0 }, ciphertext, aad)).toEqual(
          new Uint8Array([5]),
        );
        const other = await suite.generateKeyPair();
        for (const bad of [
          { ...ro, enc: flip(enc0, 9) },
          { ...ro, enc: flip(enc0, 255) }, // X25519 ignores bit 255, but enc is in kem_context
          { ...ro, info: new Uint8Array([1, 3]) },
          { ...ro, psk: flip(PSK, 0) },
          { ...ro, pskId: new Uint8Array([1, 2, 4]) },
          { ...ro, senderPublicKey: other.publicKey },
          { ...ro, recipientKey: { privateKey: r.privateKey, publicKey: other.publicKey } },
        ]) {
          await expectOpenFailed(suite.open(bad, ciphertext, aad));
        }
      });
    }

    it('a backend whose AEAD open throws is ERR_OPEN_FAILED without a cause', async () => {
      const throwing: CryptoBackend = {
        ...backend,
        aeadOpen: async () => Promise.reject(new Error('boom')),
      };
      const suite = suiteFor(throwing);
      const r = await suite.generateKeyPair();
      const { enc, ciphertext } = await suite.seal(
        { recipientPublicKey: r.publicKey },
        new Uint8Array(3),
      );
      await expectOpenFailed(suite.open({ enc, recipientKey: r }, ciphertext));
    });
  });
}

describe('createSuite', () => {
  it('rejects unknown KEM, KDF and AEAD ids with ERR_UNSUPPORTED_SUITE', () => {
    const ok = { kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead: Aead.Aes128Gcm };
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ kem: 0x0010 }, /KEM id 0x0010/],
      [{ kem: 0x0021 }, /KEM id 0x0021/],
      [{ kem: 0 }, /KEM id 0x0000/],
      [{ kem: '32' }, /KEM id 32/],
      [{ kdf: 0x0002 }, /KDF id 0x0002/],
      [{ kdf: 0x0003 }, /KDF id 0x0003/],
      [{ kdf: undefined }, /KDF id undefined/],
      [{ aead: 0x0004 }, /AEAD id 0x0004/],
      [{ aead: 0x0000 }, /AEAD id 0x0000/],
      [{ aead: 0xfffe }, /AEAD id 0xfffe/],
      [{ aead: 1.5 }, /AEAD id 1.5/],
    ];
    for (const [patch, message] of bad) {
      const params = { ...ok, ...patch } as unknown as Parameters<typeof createSuite>[0];
      expect(() => createSuite(params)).toThrow(message);
      try {
        createSuite(params);
      } catch (e) {
        expect((e as BlindwireError).code).toBe(ErrorCode.UnsupportedSuite);
      }
    }
    expect(() => createSuite(null as unknown as Parameters<typeof createSuite>[0])).toThrow(
      BlindwireError,
    );
    for (const aead of Object.values(Aead)) expect(createSuite({ ...ok, aead }).aead).toBe(aead);
  });

  it('gives each suite its own suiteId copy', () => {
    const a = createSuite({ kem: 0x0020, kdf: 0x0001, aead: 0x0002 });
    expect(a.suiteId).toEqual(new Uint8Array([0x48, 0x50, 0x4b, 0x45, 0, 0x20, 0, 1, 0, 2]));
    expect(Object.isFrozen(a)).toBe(true);
  });
});
