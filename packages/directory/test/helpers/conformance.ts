/**
 * The conformance suite every storage adapter runs against its real service:
 * records round-trip through the store and verify; a store whose raw bytes an
 * attacker rewrote cannot make a sender seal to the attacker's key; revocations
 * published through the store reach a cached client within its TTL.
 */
import { randomBytes } from 'node:crypto';
import { BlindwireError, seal } from '@blindwire/core';
import { expect, it } from 'vitest';
import { createClock } from '@blindwire/testkit';
import {
  createDirectory,
  createEncryptionKeyRecord,
  createRevocation,
  recordId,
  type DirectoryStore,
} from '../../src/index.js';
import { S0, T0, makeWorld } from './world.js';

export type RawOverwrite = (name: string, id: string, bytes: Uint8Array) => Promise<void>;

export interface StoreFixture {
  store: DirectoryStore;
  /** Replaces the stored bytes of record `id` of `name` directly in the backing service. */
  rawOverwrite: RawOverwrite;
}

export interface StoreBasicsFixture extends StoreFixture {
  store: DirectoryStore & { remove(name: string, id: string): Promise<void> };
  /** Reads the stored bytes of record `id` of `name` directly from the backing service, when it can. */
  rawRead?: (name: string, id: string) => Promise<Uint8Array | undefined>;
}

/**
 * What every storage adapter does with records, against its real service:
 * idempotent puts, names kept apart (prefixes included), removal, and a raw
 * overwrite served as stored (verification is not the store's job) until a
 * put restores it. `fixture` is read inside each test (stores made in hooks);
 * `alice` and `bob` are identity names the adapter's tests use.
 */
export function runStoreBasics(
  fixture: () => StoreBasicsFixture,
  { alice, bob }: { alice: string; bob: string },
): void {
  it('put is idempotent: the same bytes are stored once', async () => {
    const { store } = fixture();
    const name = `${alice}/idempotent`;
    const r = new Uint8Array(randomBytes(64));
    await store.put(name, r);
    await store.put(name, Uint8Array.from(r));
    expect(await store.list(name)).toEqual([r]);
  });

  it('keeps names apart, including names that are prefixes of one another; an unknown name lists nothing', async () => {
    const { store } = fixture();
    const a = new Uint8Array(randomBytes(32));
    const ab = new Uint8Array(randomBytes(32));
    await store.put(`${bob}/a`, a);
    await store.put(`${bob}/ab`, ab);
    expect(await store.list(`${bob}/a`)).toEqual([a]);
    expect(await store.list(`${bob}/ab`)).toEqual([ab]);
    expect(await store.list(`${bob}/nobody`)).toEqual([]);
  });

  it('remove deletes one record; removing an absent id is a no-op', async () => {
    const { store } = fixture();
    const name = `${alice}/remove`;
    const [r1, r2] = [new Uint8Array(randomBytes(40)), new Uint8Array(randomBytes(41))];
    await store.put(name, r1);
    await store.put(name, r2);
    await store.remove(name, recordId(r1));
    expect(await store.list(name)).toEqual([r2]);
    await store.remove(name, recordId(r1));
    expect(await store.list(name)).toEqual([r2]);
  });

  it('returns a raw overwrite as stored (verification is not the store’s job); put restores it', async () => {
    const { store, rawOverwrite, rawRead } = fixture();
    const name = `${alice}/tampered`;
    const genuine = new Uint8Array(randomBytes(48));
    const forged = Uint8Array.from(genuine);
    forged[0]! ^= 0x01;
    await store.put(name, genuine);
    await rawOverwrite(name, recordId(genuine), forged);
    if (rawRead) expect(await rawRead(name, recordId(genuine))).toEqual(forged);
    expect(await store.list(name)).toEqual([forged]);
    await store.put(name, genuine);
    expect(await store.list(name)).toEqual([genuine]);
  });
}

export function runStoreConformance(makeFixture: () => Promise<StoreFixture> | StoreFixture): void {
  it('conformance: published records resolve to the verified key', async () => {
    const w = await makeWorld();
    const { store } = await makeFixture();
    for (const r of await w.recordsOf(w.tool)) await store.put(w.tool.name, r);
    const dir = createDirectory({ store, trust: w.policy, now: () => T0 });
    const key = await dir.resolveRecipient(w.tool.name);
    expect(key.kid).toBe(w.tool.encryption.kid);
    expect(key.publicKey).toEqual(w.tool.encryption.publicKey);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toEqual({
      kid: w.tool.signing.kid,
      publicKey: w.tool.signing.publicKey,
    });
    await dir.close();
  });

  it("conformance: a store rewritten to serve the attacker's key record makes the sender refuse (ERR_KEY_UNTRUSTED), nothing sealed", async () => {
    const w = await makeWorld();
    const { store, rawOverwrite } = await makeFixture();
    const [cert, keyRecord] = await w.recordsOf(w.tool);
    await store.put(w.tool.name, cert!);
    await store.put(w.tool.name, keyRecord!);
    // Mallory controls the storage: she replaces the tool's key record, in place,
    // by one binding her own key, signed by her own key.
    const forged = await createEncryptionKeyRecord(
      { name: w.tool.name, signing: w.mallory.signing },
      w.mallory.encryption,
      { now: T0, notBefore: S0, notAfter: S0 + 86_400, serial: 2 },
    );
    await rawOverwrite(w.tool.name, recordId(keyRecord!), forged);
    const listed = await store.list(w.tool.name);
    expect(listed.some((r) => Buffer.from(r).equals(Buffer.from(forged)))).toBe(true);
    const dir = createDirectory({ store, trust: w.policy, now: () => T0 });
    let sealed: unknown;
    let code: string | undefined;
    try {
      const key = await dir.resolveRecipient(w.tool.name);
      sealed = await seal('secret', { sender: w.agent, recipients: key });
    } catch (e) {
      code = e instanceof BlindwireError ? e.code : String(e);
    }
    expect(code).toBe('ERR_KEY_UNTRUSTED');
    expect(sealed).toBeUndefined();
    await dir.close();
  });

  it('conformance: a revocation published through the store reaches a cached client within its TTL', async () => {
    const w = await makeWorld();
    const { store } = await makeFixture();
    for (const r of await w.recordsOf(w.tool)) await store.put(w.tool.name, r);
    const clock = createClock(T0);
    const dir = createDirectory({
      store,
      trust: w.policy,
      now: clock.now,
      cache: { ttlMs: 5_000 },
    });
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    await store.put(
      w.tool.name,
      await createRevocation(
        w.anchor,
        { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'compromise' },
        { now: T0 },
      ),
    );
    clock.set(T0 + 5_000);
    await expect(dir.resolveRecipient(w.tool.name)).rejects.toMatchObject({
      code: 'ERR_KEY_REVOKED',
    });
    await dir.close();
  });
}
