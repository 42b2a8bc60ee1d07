/**
 * The X-Wing envelope suites (SPEC.md §5.4) on every backend: one and several
 * hybrid recipients, the three AEADs, responses, streams, inspect showing the
 * KEM, the exact sealed size, the one-KEM-per-envelope rule (mixed recipients
 * are refused), `requirePostQuantum`, identity documents with X-Wing keys, and
 * the default header limit holding 64 hybrid recipients.
 */
// X-Wing is opt-in where src/ is imported (the Node entry points register it).
import '../src/xwing.js';
import { errorCode } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';
import { inspect } from '../src/envelope/inspect.js';
import { open } from '../src/envelope/open.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { exportResponseState } from '../src/envelope/response-state.js';
import { seal } from '../src/envelope/seal.js';
import { sealedSize } from '../src/envelope/sealed-size.js';
import {
  encryptionKid,
  exportIdentity,
  exportPublicIdentity,
  generateEncryptionKey,
  generateIdentity,
  importIdentity,
  importPublicIdentity,
  publicIdentity,
  type Identity,
} from '../src/identity/identity.js';
import { DEFAULT_LIMITS, MAX_LIMITS } from '../src/limits.js';
import { AEAD_NAMES } from '../src/wire/suites.js';
import { backends } from './helpers/backends.js';
import { NOW, trusted } from './helpers/fixtures.js';
import { openAll, sealAll } from './helpers/streams.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(backends.map((b) => [b.name, b] as const))(
  'X-Wing envelopes (%s backend)',
  (_, backend) => {
    const o = { backend };
    let alice: Identity, bob: Identity, carol: Identity, dave: Identity;
    const ready = (async () => {
      [alice, bob, carol, dave] = await Promise.all([
        generateIdentity('spiffe://acme.example/agents/planner', o),
        generateIdentity('spiffe://acme.example/tools/payments', { ...o, kem: 'X-Wing' }),
        generateIdentity('spiffe://acme.example/tools/search', { ...o, kem: 'X-Wing' }),
        generateIdentity('spiffe://acme.example/tools/classic', o),
      ]);
    })();

    it('an X-Wing identity has a 32-byte seed and a 1216-byte public key; its kid hashes kem 0x647a', async () => {
      await ready;
      expect(bob.encryption.privateKey).toHaveLength(32);
      expect(bob.encryption.publicKey).toHaveLength(1216);
      expect(await encryptionKid(bob.encryption.publicKey, o)).toBe(bob.encryption.kid);
      // The same bytes under the classical KEM id would give another kid: the kid covers the KEM.
      expect(bob.encryption.kid).toHaveLength(22);
    });

    it('seals to one hybrid recipient; inspect and open show the X-Wing suite', async () => {
      await ready;
      const sealed = await seal('refund order 1234', {
        sender: alice,
        recipients: publicIdentity(bob),
        context: 'tool:refund',
        now: NOW,
        requirePostQuantum: true,
        backend,
      });
      const info = inspect(sealed.envelope);
      expect(info.suite).toEqual({
        kem: 0x647a,
        kdf: 1,
        aead: 2,
        name: 'X-Wing/AES-256-GCM',
        kemName: 'X-Wing',
      });
      const opened = await open(sealed.envelope, {
        recipient: bob,
        context: 'tool:refund',
        trustedSenders: trusted(alice),
        now: NOW,
        backend,
      });
      expect(text(opened.payload)).toBe('refund order 1234');
      expect(opened.header.suite.kemName).toBe('X-Wing');
      // The response goes back under the request's suite.
      const response = await sealResponse(opened, 'done', { now: NOW, backend });
      expect(inspect(response.envelope).suite.name).toBe('X-Wing/AES-256-GCM');
      const answer = await openResponse(sealed, response.envelope, { now: NOW, backend });
      expect(text(answer.payload)).toBe('done');
      // Exporting the request's state needs HPKE Auth mode, which X-Wing lacks (SPEC.md §11a.1).
      expect(
        await errorCode(() => exportResponseState(sealed, { to: alice, now: NOW, backend })),
      ).toBe('ERR_UNSUPPORTED_SUITE');
    });

    it.each(AEAD_NAMES)(
      '%s with several hybrid recipients, each opening the same bytes',
      async (aead) => {
        await ready;
        const payload = backend.randomBytes(700);
        const sealed = await seal(payload, {
          sender: alice,
          recipients: [publicIdentity(bob), publicIdentity(carol)],
          aead,
          now: NOW,
          backend,
        });
        expect(inspect(sealed.envelope).suite.name).toBe(`X-Wing/${aead}`);
        for (const r of [bob, carol]) {
          const opened = await open(sealed.envelope, {
            recipient: r,
            trustedSenders: trusted(alice),
            now: NOW,
            backend,
          });
          expect(opened.payload).toEqual(payload);
        }
      },
    );

    it('a classical recipient cannot open a hybrid envelope addressed to others', async () => {
      await ready;
      const sealed = await seal('x', {
        sender: alice,
        recipients: publicIdentity(bob),
        now: NOW,
        backend,
      });
      const code = await errorCode(() =>
        open(sealed.envelope, {
          recipient: dave,
          trustedSenders: trusted(alice),
          now: NOW,
          backend,
        }),
      );
      expect(code).toBe('ERR_KEY_NOT_FOUND');
    });

    it('one envelope has one KEM: classical and hybrid recipients together are refused', async () => {
      await ready;
      const code = await errorCode(() =>
        seal('x', {
          sender: alice,
          recipients: [publicIdentity(bob), publicIdentity(dave)],
          now: NOW,
          backend,
        }),
      );
      expect(code).toBe('ERR_UNSUPPORTED_SUITE');
    });

    it('requirePostQuantum refuses a classical recipient, and takes only a boolean', async () => {
      await ready;
      const base = { sender: alice, recipients: publicIdentity(dave), now: NOW, backend };
      expect(await errorCode(() => seal('x', { ...base, requirePostQuantum: true }))).toBe(
        'ERR_UNSUPPORTED_SUITE',
      );
      expect(
        await errorCode(() =>
          seal('x', { ...base, requirePostQuantum: 'yes' as unknown as boolean }),
        ),
      ).toBe('ERR_INVALID_ARGUMENT');
      expect(
        inspect((await seal('x', { ...base, requirePostQuantum: false })).envelope).suite.kemName,
      ).toBe('X25519');
    });

    it('sealedSize is exact for hybrid recipients given with their public keys', async () => {
      await ready;
      for (const recipients of [
        [publicIdentity(bob)],
        [publicIdentity(bob), publicIdentity(carol)],
      ]) {
        const sealed = await seal('hello', { sender: alice, recipients, now: NOW, backend });
        expect(sealedSize('hello', { sender: alice, recipients, now: NOW })).toBe(
          sealed.envelope.length,
        );
      }
    });

    it('streams seal and open with a hybrid recipient', async () => {
      await ready;
      const { sealed } = await sealAll(
        { sender: alice, recipients: publicIdentity(bob), now: NOW, backend },
        [new Uint8Array(5000).fill(7)],
      );
      expect(inspect(sealed).suite.kemName).toBe('X-Wing');
      const { released, error } = await openAll(
        { recipient: bob, trustedSenders: trusted(alice), now: NOW, backend },
        [sealed],
      );
      expect(error).toBeUndefined();
      expect(released).toEqual(new Uint8Array(5000).fill(7));
    });

    it('identity documents carry the key as "xwing" and round-trip', async () => {
      await ready;
      const doc = exportPublicIdentity(bob);
      expect(Object.keys(doc.encryption).sort()).toEqual(['kid', 'xwing']);
      expect((await importPublicIdentity(JSON.parse(JSON.stringify(doc)), o)).encryption).toEqual(
        publicIdentity(bob).encryption,
      );
      const full = await importIdentity(JSON.parse(JSON.stringify(exportIdentity(bob))), o);
      expect(full.encryption.publicKey).toEqual(bob.encryption.publicKey);
      const tampered = exportIdentity(bob);
      tampered.encryption.secret = exportIdentity(carol).encryption.secret;
      expect(await errorCode(() => importIdentity(tampered, o))).toBe('ERR_INVALID_ARGUMENT');
    });
  },
);

it('maxHeaderBytes: the default holds 54 X-Wing recipients, the ceiling 1024 (SPEC.md §8)', async () => {
  const backend = backends.find((b) => b.name === 'node') ?? backends[0]!;
  const alice = await generateIdentity('spiffe://acme.example/agents/planner', { backend });
  const keys = await Promise.all(
    Array.from({ length: 55 }, () => generateEncryptionKey({ backend, kem: 'X-Wing' })),
  );
  const all = keys.map((k) => ({ kid: k.kid, publicKey: k.publicKey }));
  const fits = sealedSize('x', { sender: alice, recipients: all.slice(0, 54), now: NOW });
  expect(fits).toBeGreaterThan(60 * 1024);
  expect(
    await errorCode(async () => sealedSize('x', { sender: alice, recipients: all, now: NOW })),
  ).toBe('ERR_LIMIT_EXCEEDED');
  // 1024 recipients with 16-byte kids: 1190 bytes an entry, under the 2 MiB ceiling.
  const many = Array.from({ length: 1024 }, (_, i) => ({
    kid: Buffer.alloc(16, i & 0xff)
      .fill(i >> 8, 0, 1)
      .toString('base64url'),
    publicKey: keys[0]!.publicKey,
  }));
  const limits = { maxHeaderBytes: MAX_LIMITS.maxHeaderBytes, maxRecipients: 1024 };
  expect(sealedSize('x', { sender: alice, recipients: many, now: NOW, limits })).toBeLessThan(
    MAX_LIMITS.maxHeaderBytes,
  );
  const sealed = await seal('x', {
    sender: alice,
    recipients: all.slice(0, 54),
    now: NOW,
    backend,
  });
  expect(inspect(sealed.envelope).headerBytes).toBeLessThanOrEqual(DEFAULT_LIMITS.maxHeaderBytes);
});
