/**
 * HPKE argument checks, on every backend: each guard names the parameter and
 * what it expected (`"recipientPublicKey" expected 32 bytes, got 31`), and the
 * PSK inputs follow VerifyPSKInputs (RFC 9180 §5.1) with the mode inferred
 * from psk and sender key.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import type { CryptoBackend } from '../src/backend/types.js';
import { ErrorCode, type BlindwireError } from '../src/errors.js';
import {
  Aead,
  createSuite,
  Kdf,
  Kem,
  Mode,
  type AeadId,
  type RecipientOptions,
  type SenderOptions,
  type Suite,
} from '../src/hpke/index.js';
import { verifyPskInputs } from '../src/hpke/key-schedule.js';
import { backends } from './helpers/backends.js';

const PSK = new Uint8Array(32).fill(7);
const PSK_ID = new Uint8Array([1, 2, 3]);

function suiteFor(backend: CryptoBackend, aead: AeadId = Aead.Aes128Gcm): Suite {
  return createSuite({ kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead }, { backend });
}

for (const backend of backends) {
  describe(`HPKE argument checks (${backend.name})`, () => {
    const suite = suiteFor(backend);
    const k32 = new Uint8Array(32).fill(9);
    const kp = { privateKey: k32, publicKey: k32 };

    it('names each sender parameter and its expected size', async () => {
      const base: SenderOptions = { recipientPublicKey: k32 };
      const cases: [Partial<Record<keyof SenderOptions, unknown>>, string][] = [
        [
          { recipientPublicKey: new Uint8Array(31) },
          '"recipientPublicKey" expected 32 bytes, got 31',
        ],
        [
          { recipientPublicKey: new Uint8Array(33) },
          '"recipientPublicKey" expected 32 bytes, got 33',
        ],
        [{ recipientPublicKey: 'abc' }, '"recipientPublicKey" expected a Uint8Array, got string'],
        [
          { recipientPublicKey: undefined },
          '"recipientPublicKey" expected a Uint8Array, got undefined',
        ],
        [
          { recipientPublicKey: Array.from(k32) },
          '"recipientPublicKey" expected a Uint8Array, got object',
        ],
        [
          { senderKey: { privateKey: new Uint8Array(31), publicKey: k32 } },
          '"senderKey.privateKey" expected 32 bytes, got 31',
        ],
        [
          { senderKey: { privateKey: k32, publicKey: new Uint8Array(0) } },
          '"senderKey.publicKey" expected 32 bytes, got 0',
        ],
        [{ senderKey: null }, '"senderKey" expected an object, got null'],
        [
          { ephemeralKeyPair: { privateKey: new Uint8Array(64), publicKey: k32 } },
          '"ephemeralKeyPair.privateKey" expected 32 bytes, got 64',
        ],
        [
          { ephemeralKeyPair: { privateKey: k32, publicKey: new Uint8Array(1) } },
          '"ephemeralKeyPair.publicKey" expected 32 bytes, got 1',
        ],
        [{ ikmE: new Uint8Array(31) }, '"ikmE" expected at least 32 bytes, got 31'],
        [
          { ikmE: k32, ephemeralKeyPair: kp },
          '"ikmE" expected to be omitted when "ephemeralKeyPair" is given',
        ],
        [{ info: 'info' }, '"info" expected a Uint8Array, got string'],
        [{ psk: 'psk', pskId: PSK_ID }, '"psk" expected a Uint8Array, got string'],
        [{ psk: PSK, pskId: 5 }, '"pskId" expected a Uint8Array, got number'],
        [
          { psk: new Uint8Array(31).fill(1), pskId: PSK_ID },
          '"psk" expected at least 32 bytes, got 31',
        ],
      ];
      for (const [patch, message] of cases) {
        await expectCode(
          suite.setupSender({ ...base, ...patch } as SenderOptions),
          ErrorCode.InvalidArgument,
          message,
        );
      }
      await expectCode(
        suite.setupSender(null as unknown as SenderOptions),
        ErrorCode.InvalidArgument,
        '"options" expected an object, got null',
      );
      await expectCode(
        suite.seal({ ...base, recipientPublicKey: new Uint8Array(31) }, new Uint8Array(1)),
        ErrorCode.InvalidArgument,
        /recipientPublicKey/,
      );
      await expectCode(
        suite.sendExport({ ...base, ikmE: new Uint8Array(1) }, new Uint8Array(0), 32),
        ErrorCode.InvalidArgument,
        /ikmE/,
      );
    });

    it('names each recipient parameter and its expected size', async () => {
      const base: RecipientOptions = { enc: k32, recipientKey: kp };
      const cases: [Partial<Record<keyof RecipientOptions, unknown>>, string][] = [
        [{ enc: new Uint8Array(31) }, '"enc" expected 32 bytes, got 31'],
        [{ enc: new Uint8Array(33) }, '"enc" expected 32 bytes, got 33'],
        [{ enc: null }, '"enc" expected a Uint8Array, got object'],
        [{ recipientKey: undefined }, '"recipientKey" expected an object, got undefined'],
        [
          { recipientKey: { privateKey: new Uint8Array(31), publicKey: k32 } },
          '"recipientKey.privateKey" expected 32 bytes, got 31',
        ],
        [
          { recipientKey: { privateKey: k32 } },
          '"recipientKey.publicKey" expected a Uint8Array, got undefined',
        ],
        [{ senderPublicKey: new Uint8Array(31) }, '"senderPublicKey" expected 32 bytes, got 31'],
        [{ info: [1] }, '"info" expected a Uint8Array, got object'],
        [
          { psk: new Uint8Array(16).fill(1), pskId: PSK_ID },
          '"psk" expected at least 32 bytes, got 16',
        ],
      ];
      for (const [patch, message] of cases) {
        await expectCode(
          suite.setupRecipient({ ...base, ...patch } as RecipientOptions),
          ErrorCode.InvalidArgument,
          message,
        );
      }
      await expectCode(
        suite.open({ ...base, enc: new Uint8Array(0) }, new Uint8Array(32)),
        ErrorCode.InvalidArgument,
        /"enc"/,
      );
      await expectCode(
        suite.receiveExport({ ...base, enc: new Uint8Array(0) }, new Uint8Array(0), 1),
        ErrorCode.InvalidArgument,
        /"enc"/,
      );
    });

    it('checks deriveKeyPair, seal, open and export arguments', async () => {
      await expectCode(
        suite.deriveKeyPair(new Uint8Array(31)),
        ErrorCode.InvalidArgument,
        '"ikm" expected at least 32 bytes, got 31',
      );
      await expectCode(
        suite.deriveKeyPair('x' as unknown as Uint8Array),
        ErrorCode.InvalidArgument,
        '"ikm" expected a Uint8Array, got string',
      );
      const r = await suite.generateKeyPair();
      const { enc, context: s } = await suite.setupSender({ recipientPublicKey: r.publicKey });
      const rc = await suite.setupRecipient({ enc, recipientKey: r });
      await expectCode(
        s.seal('pt' as unknown as Uint8Array),
        ErrorCode.InvalidArgument,
        '"plaintext" expected a Uint8Array, got string',
      );
      await expectCode(
        s.seal(new Uint8Array(1), null as unknown as Uint8Array),
        ErrorCode.InvalidArgument,
        '"aad" expected a Uint8Array, got object',
      );
      await expectCode(
        rc.open({} as Uint8Array),
        ErrorCode.InvalidArgument,
        '"ciphertext" expected a Uint8Array, got object',
      );
      await expectCode(
        rc.open(new Uint8Array(17), 1 as unknown as Uint8Array),
        ErrorCode.InvalidArgument,
        '"aad" expected a Uint8Array, got number',
      );
      for (const ctx of [s, rc]) {
        // RFC 9180 §5.3: L ≤ 255 * Nh = 8160
        await expectCode(
          ctx.export(new Uint8Array(0), 8161),
          ErrorCode.InvalidArgument,
          '"length" expected an integer from 0 to 8160, got 8161',
        );
        for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
          await expectCode(
            ctx.export(new Uint8Array(0), bad),
            ErrorCode.InvalidArgument,
            /"length"/,
          );
        }
        await expectCode(
          ctx.export('x' as unknown as Uint8Array, 32),
          ErrorCode.InvalidArgument,
          /"exporterContext"/,
        );
        expect((await ctx.export(new Uint8Array(0), 8160)).length).toBe(8160);
        expect((await ctx.export(new Uint8Array(0), 0)).length).toBe(0);
      }
      expect(await s.export(new Uint8Array([1]), 8160)).toEqual(
        await rc.export(new Uint8Array([1]), 8160),
      );
      await expectCode(
        suite.sendExport({ recipientPublicKey: r.publicKey }, new Uint8Array(0), 8161),
        ErrorCode.InvalidArgument,
        /"length"/,
      );
    });
  });

  describe(`VerifyPSKInputs, RFC 9180 §5.1 (${backend.name})`, () => {
    const suite = suiteFor(backend);

    it('rejects psk without pskId, pskId without psk, and empty halves, on both sides', async () => {
      const r = await suite.generateKeyPair();
      const cases: [Uint8Array | undefined, Uint8Array | undefined, RegExp][] = [
        [PSK, undefined, /must both be given/],
        [undefined, PSK_ID, /must both be given/],
        [PSK, new Uint8Array(0), /must both be given/],
        [new Uint8Array(0), PSK_ID, /must both be given/],
        [new Uint8Array(0), new Uint8Array(0), /required in the PSK modes/],
      ];
      for (const [psk, pskId, message] of cases) {
        await expectCode(
          suite.setupSender({ recipientPublicKey: r.publicKey, psk, pskId }),
          ErrorCode.InvalidArgument,
          message,
        );
        await expectCode(
          suite.setupSender({ recipientPublicKey: r.publicKey, psk, pskId, senderKey: r }),
          ErrorCode.InvalidArgument,
          message,
        );
        await expectCode(
          suite.setupRecipient({ enc: r.publicKey, recipientKey: r, psk, pskId }),
          ErrorCode.InvalidArgument,
          message,
        );
        await expectCode(
          suite.setupRecipient({
            enc: r.publicKey,
            recipientKey: r,
            psk,
            pskId,
            senderPublicKey: r.publicKey,
          }),
          ErrorCode.InvalidArgument,
          message,
        );
      }
    });

    it('rejects a psk in Base and Auth, and a missing psk in PSK and AuthPSK', () => {
      const none = new Uint8Array(0);
      for (const mode of [Mode.Base, Mode.Auth]) {
        expect(() => verifyPskInputs(mode, PSK, PSK_ID)).toThrow(/takes no PSK/);
        expect(() => verifyPskInputs(mode, none, none)).not.toThrow();
      }
      for (const mode of [Mode.Psk, Mode.AuthPsk]) {
        expect(() => verifyPskInputs(mode, none, none)).toThrow(/required in the PSK modes/);
        expect(() => verifyPskInputs(mode, PSK, none)).toThrow(/must both be given/);
        expect(() => verifyPskInputs(mode, PSK, PSK_ID)).not.toThrow();
      }
      try {
        verifyPskInputs(Mode.Base, PSK, PSK_ID);
      } catch (e) {
        expect((e as BlindwireError).code).toBe(ErrorCode.InvalidArgument);
      }
    });

    it('infers the mode from psk and sender key', async () => {
      const r = await suite.generateKeyPair();
      const sk = await suite.generateKeyPair();
      const pairs: [SenderOptions, number][] = [
        [{ recipientPublicKey: r.publicKey }, Mode.Base],
        [{ recipientPublicKey: r.publicKey, psk: PSK, pskId: PSK_ID }, Mode.Psk],
        [{ recipientPublicKey: r.publicKey, senderKey: sk }, Mode.Auth],
        [{ recipientPublicKey: r.publicKey, senderKey: sk, psk: PSK, pskId: PSK_ID }, Mode.AuthPsk],
      ];
      for (const [o, mode] of pairs) {
        const { enc, context } = await suite.setupSender(o);
        expect(context.mode).toBe(mode);
        const ro: RecipientOptions = { enc, recipientKey: r, psk: o.psk, pskId: o.pskId };
        if (o.senderKey) ro.senderPublicKey = o.senderKey.publicKey;
        const rc = await suite.setupRecipient(ro);
        expect(rc.mode).toBe(mode);
        expect(await rc.open(await context.seal(new Uint8Array([mode])))).toEqual(
          new Uint8Array([mode]),
        );
      }
    });
  });
}
