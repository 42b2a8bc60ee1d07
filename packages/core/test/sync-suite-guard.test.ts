/**
 * The synchronous path (envelope/sync-path.ts) implements one key schedule:
 * DHKEM(X25519, HKDF-SHA256) with HKDF-SHA256. A suite with another KEM or
 * KDF never reaches a backend's synchronous twin, on seal (the chosen suite)
 * or on open (the header's suite ids). The suite tables are stubbed here
 * with KEM and KDF ids this version does not implement (X-Wing 0x647a,
 * SHAKE256 0x0011); whatever the async path then makes of them, the twin
 * stays untouched.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as CheckRecipients from '../src/envelope/check-recipients.js';
import type * as Header from '../src/wire/header.js';
import type * as HeaderFast from '../src/wire/header-fast.js';
import type * as Suites from '../src/wire/suites.js';
import { nodeBackend } from '../src/backend/node.js';
import { setSyncPrimitives, syncPrimitivesOf, type SyncPrimitives } from '../src/backend/sync.js';
import type { CryptoBackend } from '../src/backend/types.js';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import { syncSchedules } from '../src/envelope/sync-registry.js';
import { Aead, Kdf, Kem } from '../src/hpke/ids.js';
import { recipientSecretsSync, senderSecretsSync } from '../src/wire/sync-secrets.js';
import { NOW, cast } from './helpers/fixtures.js';

const XWING = 0x647a;
const SHAKE256 = 0x0011;

/** The ids the stubs put in place of the real suite's KEM and KDF ids (none: pass-through). */
const stub = vi.hoisted(() => ({ ids: undefined as { kem: number; kdf: number } | undefined }));

vi.mock('../src/envelope/check-recipients.js', async (importOriginal) => {
  const m = await importOriginal<typeof CheckRecipients>();
  return {
    ...m,
    chooseSuite: (...a: Parameters<typeof m.chooseSuite>) => {
      const s = m.chooseSuite(...a);
      return stub.ids ? { ...s, ids: { ...s.ids, ...stub.ids } } : s;
    },
  };
});

vi.mock('../src/wire/header.js', async (importOriginal) => {
  const m = await importOriginal<typeof Header>();
  return {
    ...m,
    decodeMessageHeader: (...a: Parameters<typeof m.decodeMessageHeader>) => {
      const h = m.decodeMessageHeader(...a);
      return stub.ids ? { ...h, suite: { ...h.suite, ...stub.ids } } : h;
    },
  };
});

// `open` reads the header through the fixed-layout reader (wire/header-fast.ts).
vi.mock('../src/wire/header-fast.js', async (importOriginal) => {
  const m = await importOriginal<typeof HeaderFast>();
  return {
    ...m,
    decodeMessageHeaderFast: (...a: Parameters<typeof m.decodeMessageHeaderFast>) => {
      const h = m.decodeMessageHeaderFast(...a);
      return stub.ids ? { ...h, suite: { ...h.suite, ...stub.ids } } : h;
    },
  };
});

vi.mock('../src/wire/suites.js', async (importOriginal) => {
  const m = await importOriginal<typeof Suites>();
  return {
    ...m,
    suiteFromIds: (
      ids: Parameters<typeof m.suiteFromIds>[0],
      allowed: Parameters<typeof m.suiteFromIds>[1],
    ) => {
      if (!stub.ids) return m.suiteFromIds(ids, allowed);
      const s = m.suiteFromIds(
        { ...ids, kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256 },
        allowed,
      );
      return { ...s, ids: { ...s.ids, ...stub.ids } };
    },
  };
});

afterEach(() => {
  stub.ids = undefined;
});

/** A copy of the node backend whose twin counts every call. */
function counted(): { backend: CryptoBackend; calls: string[] } {
  const node = syncPrimitivesOf(nodeBackend)!;
  const calls: string[] = [];
  const twin = Object.fromEntries(
    Object.entries(node).map(([name, f]) => [
      name,
      (...a: unknown[]) => {
        calls.push(name);
        return (f as (...a: unknown[]) => unknown)(...a);
      },
    ]),
  ) as unknown as SyncPrimitives;
  const backend = { ...nodeBackend };
  setSyncPrimitives(backend, twin);
  return { backend, calls };
}

const OTHERS = [
  { name: 'X-Wing KEM', ids: { kem: XWING, kdf: Kdf.HkdfSha256 } },
  { name: 'SHAKE256 KDF', ids: { kem: Kem.DhkemX25519HkdfSha256, kdf: SHAKE256 } },
];

describe('the synchronous path and the suite', () => {
  it('takes X25519 with HKDF-SHA256 (control: the twin is used, both ways)', async () => {
    const { alice, bob } = await cast(nodeBackend);
    const { backend, calls } = counted();
    const s = await seal('hi', { sender: alice, recipients: bob, now: NOW, backend });
    expect(calls).toContain('x25519Ephemeral');
    calls.length = 0;
    const o = await open(s.envelope, {
      recipient: bob,
      resolveSender: () => alice.signing.publicKey,
      now: NOW,
      backend,
    });
    expect(o.senderKid).toBe(alice.signing.kid);
    expect(calls).toContain('x25519');
  });

  it.each(OTHERS)('never seals a $name suite on the twin', async ({ ids }) => {
    const { alice, bob } = await cast(nodeBackend);
    const { backend, calls } = counted();
    stub.ids = ids;
    await seal('hi', { sender: alice, recipients: bob, now: NOW, backend }).catch(() => undefined);
    expect(calls).toEqual([]);
  });

  it.each(OTHERS)('never opens a header naming a $name suite on the twin', async ({ ids }) => {
    const { alice, bob } = await cast(nodeBackend);
    const s = await seal('hi', { sender: alice, recipients: bob, now: NOW, backend: nodeBackend });
    const { backend, calls } = counted();
    stub.ids = ids;
    await open(s.envelope, {
      recipient: bob,
      resolveSender: () => alice.signing.publicKey,
      now: NOW,
      backend,
    }).catch(() => undefined);
    expect(calls).toEqual([]);
  });

  it('syncSchedules is X25519 with HKDF-SHA256 only, for every AEAD', () => {
    for (const aead of [Aead.Aes128Gcm, Aead.Aes256Gcm, Aead.ChaCha20Poly1305]) {
      expect(syncSchedules({ kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead })).toBe(
        true,
      );
      for (const { ids } of OTHERS) expect(syncSchedules({ ...ids, aead })).toBe(false);
    }
  });

  it('the synchronous key schedule refuses another suite before any key is made', () => {
    const { backend, calls } = counted();
    const twin = syncPrimitivesOf(backend)!;
    const key = { privateKey: new Uint8Array(32).fill(1), publicKey: new Uint8Array(32).fill(9) };
    for (const { ids } of OTHERS) {
      const suite = { ...ids, aead: Aead.Aes256Gcm };
      expect(() => senderSecretsSync(twin, suite, key.publicKey)).toThrow(/X25519 only/);
      expect(() => recipientSecretsSync(twin, suite, key.publicKey, key)).toThrow(/X25519 only/);
    }
    expect(calls).toEqual([]);
  });
});
