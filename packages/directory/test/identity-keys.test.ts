/**
 * seedKeyStore and replaceIdentityKeys (SPEC.md §11.4): an empty key store
 * takes over the identity's key only with a record the identity's own
 * signing key verifiably issued for it (the directory's one verification
 * path, SPEC.md §11.2), and the identity's key is replaced before a step
 * erases it. The negative cases mirror the CLI's `key rotate` tests.
 */
import { generateEncryptionKey, generateIdentity, type Identity } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { outcomeOf, outcomeOfSync } from '@blindwire/testkit';
import {
  createEncryptionKeyRecord,
  createMemoryKeyStore,
  createMemoryStore,
  identityKeyErased,
  replaceIdentityKeys,
  seedKeyStore,
  type StoredKey,
} from '../src/index.js';
import { S0, T0, makeWorld } from './helpers/world.js';

describe('seedKeyStore', () => {
  it('an empty key store takes over the key, with its verified record and validity', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    const records = await w.recordsOf(w.tool);
    for (const r of records) await store.put(w.tool.name, r);
    const keyStore = createMemoryKeyStore();
    expect(await seedKeyStore(keyStore, w.tool, store)).toBe(w.tool.encryption.kid);
    const [k] = await keyStore.list();
    expect(k!.kid).toBe(w.tool.encryption.kid);
    expect(k!.privateKey).toEqual(w.tool.encryption.privateKey);
    expect(k!.notBefore).toBe(S0);
    expect(k!.notAfter).toBe(S0 + 86_400);
    expect(k!.createdAt).toBe(S0);
    expect(k!.record).toEqual(records[1]);
  });

  it('a key store that holds keys is left alone', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await store.put(w.tool.name, r);
    const keyStore = createMemoryKeyStore();
    const other = await generateEncryptionKey();
    await keyStore.put({ ...other, notBefore: S0, notAfter: S0 + 60, createdAt: S0 });
    expect(await seedKeyStore(keyStore, w.tool, store)).toBeUndefined();
    expect((await keyStore.list()).map((k) => k.kid)).toEqual([other.kid]);
  });

  it('a store without a record of the key seeds nothing', async () => {
    const w = await makeWorld();
    const keyStore = createMemoryKeyStore();
    expect(await seedKeyStore(keyStore, w.tool, createMemoryStore())).toBeUndefined();
    expect(await keyStore.list()).toEqual([]);
  });

  it("a record of the key signed by another identity's key (forged) is never taken", async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    // Mallory (same name, her own signing key) signs a record of the tool's public key.
    const forged = await createEncryptionKeyRecord(
      { name: w.tool.name, signing: w.mallory.signing },
      w.tool.encryption,
      { now: T0 },
    );
    await store.put(w.tool.name, forged);
    await store.put(w.tool.name, new Uint8Array([0x42, 0x57, 0x01, 0x11, 0x00])); // junk
    const keyStore = createMemoryKeyStore();
    expect(await seedKeyStore(keyStore, w.tool, store)).toBeUndefined();
    expect(await keyStore.list()).toEqual([]);
  });

  it("a verified record of another key of the identity does not seed the identity's key", async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    const other = await generateEncryptionKey();
    await store.put(w.tool.name, await createEncryptionKeyRecord(w.tool, other, { now: T0 }));
    const keyStore = createMemoryKeyStore();
    expect(await seedKeyStore(keyStore, w.tool, store)).toBeUndefined();
  });
});

describe('identityKeyErased and replaceIdentityKeys', () => {
  const retentionSeconds = 3600;
  const held = async (id: Identity, notAfter: number): Promise<StoredKey[]> => {
    const next = await generateEncryptionKey();
    return [
      { ...id.encryption, notBefore: S0 - 86_400, notAfter, createdAt: S0 - 86_400 },
      { ...next, notBefore: S0 - 60, notAfter: S0 + 86_400, createdAt: S0 - 60 },
    ];
  };

  it('is due when the held key is past retention or compromised, and not otherwise', async () => {
    const id = await generateIdentity('spiffe://acme.example/tools/payments');
    const keys = await held(id, S0 - 2 * retentionSeconds);
    const o = { retentionSeconds, now: T0 };
    expect(identityKeyErased(id, keys, { ...o, compromised: false })).toBe(true);
    const live = await held(id, S0 + 60);
    expect(identityKeyErased(id, live, { ...o, compromised: false })).toBe(false);
    expect(identityKeyErased(id, live, { ...o, compromised: true })).toBe(true);
    // Not held: never merely because the key store lacks it.
    expect(identityKeyErased(id, live.slice(1), { ...o, compromised: true })).toBe(false);
  });

  it('refuses a retention or clock that is not a number (ERR_INVALID_ARGUMENT), never reads it as "keep"', async () => {
    const id = await generateIdentity('spiffe://acme.example/tools/payments');
    const keys = await held(id, S0 - 2 * retentionSeconds);
    const bad: Record<string, unknown>[] = [
      { retentionSeconds: '3600', now: T0 },
      { retentionSeconds: NaN, now: T0 },
      { retentionSeconds: 0, now: T0 },
      { retentionSeconds: 1.5, now: T0 },
      { retentionSeconds, now: String(T0) },
      { retentionSeconds, now: NaN },
      { retentionSeconds, now: -1 },
    ];
    for (const o of bad) {
      const options = o as unknown as { retentionSeconds: number; now: number };
      expect(
        outcomeOfSync(() => identityKeyErased(id, keys, { ...options, compromised: false })),
        JSON.stringify(o),
      ).toBe('ERR_INVALID_ARGUMENT');
      let saved = false;
      expect(
        await outcomeOf(
          replaceIdentityKeys(id, keys, {
            ...options,
            sealed: false,
            save: async () => {
              saved = true;
            },
          }),
        ),
        JSON.stringify(o),
      ).toBe('ERR_INVALID_ARGUMENT');
      expect(saved).toBe(false);
    }
  });

  it('hands over the newest other held key from a plain key store', async () => {
    const id = await generateIdentity('spiffe://acme.example/tools/payments');
    const keys = await held(id, S0 - 2 * retentionSeconds);
    let saved: Identity | undefined;
    const r = await replaceIdentityKeys(id, keys, {
      retentionSeconds,
      now: T0,
      sealed: false,
      save: async (next) => void (saved = next),
    });
    expect(r).toEqual({ kid: keys[1]!.kid, placeholder: false });
    expect(saved!.encryption.kid).toBe(keys[1]!.kid);
    expect(saved!.signing).toBe(id.signing);
  });

  it('a sealed key store, or no other key, gives an unpublished placeholder', async () => {
    const id = await generateIdentity('spiffe://acme.example/tools/payments');
    const keys = await held(id, S0 - 2 * retentionSeconds);
    for (const [sealed, list] of [
      [true, keys],
      [false, keys.slice(0, 1)],
    ] as const) {
      let saved: Identity | undefined;
      const r = await replaceIdentityKeys(id, list, {
        retentionSeconds,
        now: T0,
        sealed,
        save: async (next) => void (saved = { ...next, encryption: { ...next.encryption } }),
      });
      expect(r.placeholder).toBe(true);
      expect(keys.map((k) => k.kid)).not.toContain(r.kid);
      expect(saved!.encryption.kid).toBe(r.kid);
    }
  });

  it('a failed save rejects, and the placeholder is wiped', async () => {
    const id = await generateIdentity('spiffe://acme.example/tools/payments');
    let handed: Uint8Array | undefined;
    await expect(
      replaceIdentityKeys(id, [], {
        retentionSeconds,
        now: T0,
        sealed: true,
        save: async (next) => {
          handed = next.encryption.privateKey;
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(handed!.every((b) => b === 0)).toBe(true);
  });
});
