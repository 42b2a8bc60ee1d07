/**
 * X-Wing is opt-in outside the Node entry points (SPEC.md §5.4): until
 * `@blindwire/core/xwing` is imported, every X-Wing operation fails closed with
 * ERR_UNSUPPORTED_SUITE naming that import, never a downgrade to X25519. This
 * file imports src/ (no Node entry), so nothing has registered X-Wing until the
 * last test imports the opt-in entry.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../src/bytes.js';
import { createSuite, Aead, Kdf, Kem } from '../src/hpke/index.js';
import {
  generateEncryptionKey,
  generateIdentity,
  importPublicIdentity,
  inspect,
  isXWingEnabled,
  open,
  pureBackend,
  seal,
  type BlindwireError,
  type CryptoBackend,
} from '../src/index.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { repoRoot } from './helpers/vectors.js';

interface Case {
  envelope: string;
  recipient: { kid: string; publicKey: string; privateKey: string }[];
  trustedSenders: unknown[];
  context: string;
  now: number;
  clockSkew: number;
}
const hybrid = JSON.parse(
  readFileSync(resolve(repoRoot, 'test-vectors/cases/201-xwing-aes-256-gcm.json'), 'utf8'),
) as Case;
const hybridKey = {
  kid: hybrid.recipient[0]!.kid,
  publicKey: fromHex(hybrid.recipient[0]!.publicKey),
  privateKey: fromHex(hybrid.recipient[0]!.privateKey),
};

/** The refusal: ERR_UNSUPPORTED_SUITE with a message naming the import that enables X-Wing. */
async function expectNotEnabled(p: Promise<unknown> | (() => unknown)): Promise<void> {
  const e = (await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (x: unknown) => x,
  )) as BlindwireError | undefined;
  expect(e?.code).toBe('ERR_UNSUPPORTED_SUITE');
  expect(e?.message).toContain("import '@blindwire/core/xwing'");
}

describe('without @blindwire/core/xwing', () => {
  it('generating an X-Wing key or identity is refused', async () => {
    await expectNotEnabled(generateEncryptionKey({ kem: 'X-Wing' }));
    await expectNotEnabled(generateIdentity('spiffe://acme.example/a', { kem: 'X-Wing' }));
    // The classical default still works.
    expect((await generateEncryptionKey()).publicKey.length).toBe(32);
  });

  it('a refused X-Wing identity erases the signing key it generated alongside', async () => {
    const drawn: Uint8Array[] = [];
    const spy: CryptoBackend = {
      ...pureBackend,
      randomBytes: (n) => {
        const r = pureBackend.randomBytes(n);
        drawn.push(r);
        return r;
      },
    };
    await expectNotEnabled(
      generateIdentity('spiffe://acme.example/a', { kem: 'X-Wing', backend: spy }),
    );
    expect(drawn.length).toBeGreaterThan(0); // the signing seed was drawn...
    for (const r of drawn) expect(r.every((x) => x === 0)).toBe(true); // ...and wiped
  });

  it('an HPKE suite with KEM 0x647a is refused', async () => {
    await expectNotEnabled(() =>
      createSuite({ kem: Kem.XWing, kdf: Kdf.HkdfSha256, aead: Aead.Aes256Gcm }),
    );
    await expectNotEnabled(() =>
      createSuite({ kem: Kem.XWing, kdf: Kdf.Shake256, aead: Aead.Aes256Gcm }),
    );
  });

  it('sealing to a hybrid key is refused, with or without requirePostQuantum; never sealed to X25519', async () => {
    const sender = await generateIdentity('spiffe://acme.example/sender');
    const recipient = { kid: hybridKey.kid, publicKey: hybridKey.publicKey };
    await expectNotEnabled(seal('hi', { sender, recipients: recipient }));
    await expectNotEnabled(seal('hi', { sender, recipients: recipient, requirePostQuantum: true }));
  });

  it('opening a hybrid envelope is refused at the suite step (§7 step 6), naming the import', async () => {
    const envelope = fromHex(hybrid.envelope);
    expect(inspect(envelope).suite.name).toBe('X-Wing/AES-256-GCM'); // parsing needs no ML-KEM
    const e = (await open(envelope, {
      recipient: hybridKey,
      trustedSenders: await Promise.all(hybrid.trustedSenders.map((j) => importPublicIdentity(j))),
      context: fromHex(hybrid.context),
      now: hybrid.now,
      clockSkew: hybrid.clockSkew,
    }).then(
      () => undefined,
      (x: unknown) => x,
    )) as BlindwireError | undefined;
    // Refused from the public header before any recipient trial: not ERR_OPEN_FAILED.
    expect(e?.code).toBe('ERR_UNSUPPORTED_SUITE');
    expect(e?.message).toContain("import '@blindwire/core/xwing'");
    // Before the times (step 7) and the keys (step 8): an expired envelope and
    // a key that is not a recipient get the same refusal.
    const other = await generateEncryptionKey();
    await expectNotEnabled(
      open(envelope, {
        recipient: other,
        trustedSenders: [],
        context: fromHex(hybrid.context),
        now: hybrid.now + 10 * 365 * 86400,
      }),
    );
  });
});

describe('after importing @blindwire/core/xwing', () => {
  it('registers once (idempotent) and the same vector opens', async () => {
    expect(isXWingEnabled()).toBe(false); // the main entry's check: nothing registered yet
    const { enableXWing } = await import('../src/xwing.js');
    expect(isXWingEnabled()).toBe(true);
    enableXWing(); // idempotent
    expect(isXWingEnabled()).toBe(true);
    const r = await open(fromHex(hybrid.envelope), {
      recipient: hybridKey,
      trustedSenders: await Promise.all(hybrid.trustedSenders.map((j) => importPublicIdentity(j))),
      context: fromHex(hybrid.context),
      now: hybrid.now,
      clockSkew: hybrid.clockSkew,
    });
    expect(r.payload.length).toBeGreaterThan(0);
    const id = await generateIdentity('spiffe://acme.example/pq', { kem: 'X-Wing' });
    expect(id.encryption.publicKey.length).toBe(1216);
  });
});
