/**
 * Rotation when things go wrong (SPEC.md §11.4): a publish that fails leaves
 * no unpublished key behind, so the next tick() rotates again; a revoked
 * newest key is replaced at once; private key copies read from the key store
 * are wiped once used.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import {
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  createRevocation,
  type KeyRotatorOptions,
  type PrivateKeyStore,
  type StoredKey,
} from '../src/index.js';
import { T0, makeWorld } from './helpers/world.js';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? String(e),
  );
const zero = (b: Uint8Array) => b.every((x) => x === 0);

/** A memory key store that remembers every key object it was given and every copy it handed out. */
function spyKeyStore() {
  const inner = createMemoryKeyStore();
  const given: StoredKey[] = [];
  const listed: StoredKey[] = [];
  const store: PrivateKeyStore = {
    put: async (k) => {
      given.push(k);
      await inner.put(k);
    },
    list: async () => {
      const keys = await inner.list();
      listed.push(...keys);
      return keys;
    },
    delete: (kid) => inner.delete(kid),
  };
  return { store, given, listed, inner };
}

async function setup(extra: Partial<KeyRotatorOptions> = {}, wire = { isRevoked: false }) {
  const w = await makeWorld();
  const store = createMemoryStore();
  const [cert] = await w.recordsOf(w.tool);
  await store.put(w.tool.name, cert!);
  let now = T0;
  const clock = () => now;
  const dir = createDirectory({ store, trust: w.policy, now: clock });
  const keys = spyKeyStore();
  const publishing = { failures: 0, published: 0 };
  const rotator = createKeyRotator({
    identity: w.tool,
    publish: async (r) => {
      if (publishing.failures > 0) {
        publishing.failures--;
        throw new BlindwireError(ErrorCode.Transport, 'directory store unreachable');
      }
      publishing.published++;
      await dir.publish(r);
    },
    keyStore: keys.store,
    lifetimeSeconds: 3600,
    propagationDelaySeconds: 120,
    rotateBeforeSeconds: 900,
    retentionSeconds: 7200,
    now: clock,
    // What the CLI does: ask the verified directory whether a held key is revoked.
    ...(wire.isRevoked ? { isRevoked: (kid: string) => dir.isRevoked(w.tool.name, kid) } : {}),
    ...extra,
  });
  return {
    w,
    dir,
    keys,
    publishing,
    rotator,
    advance: (ms: number) => (now += ms),
    nowS: () => Math.floor(now / 1000),
  };
}

describe('a publish that fails', () => {
  it('removes the unpublished key from the key store, wipes it, and rethrows; the next tick rotates again', async () => {
    const { w, dir, keys, publishing, rotator, advance, nowS } = await setup();
    const first = (await rotator.tick()).rotated!;
    advance((3600 - 900) * 1000); // rotation is due

    publishing.failures = 1;
    const given = keys.given.length;
    expect(await codeOf(rotator.tick())).toBe('ERR_TRANSPORT');
    // The key store holds only the published key; the new private key is wiped.
    expect((await keys.inner.list()).map((k) => k.kid)).toEqual([first.kid]);
    const unpublished = keys.given[given]!;
    expect(zero(unpublished.privateKey)).toBe(true);

    // The next tick retries with a fresh key, and it is published.
    advance(60_000);
    const second = (await rotator.tick()).rotated;
    expect(second).toBeDefined();
    expect(second!.kid).not.toBe(unpublished.kid);
    expect(second!.notBefore).toBe(nowS() + 120);
    expect(publishing.published).toBe(2);

    // When the first key expires, senders have the second: no ERR_EXPIRED.
    advance((first.notAfter - nowS() + 61) * 1000);
    dir.invalidate();
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(second!.kid);
  });

  it('rotate() cleans up the same way', async () => {
    const { keys, publishing, rotator } = await setup();
    publishing.failures = 1;
    expect(await codeOf(rotator.rotate())).toBe('ERR_TRANSPORT');
    expect(await keys.inner.list()).toEqual([]);
    expect(zero(keys.given[0]!.privateKey)).toBe(true);
    expect(await rotator.rotate()).toBeDefined();
    expect((await keys.inner.list()).length).toBe(1);
  });
});

describe('a revoked newest key', () => {
  it('is replaced at once, usable at once when no other held key can bridge the propagation delay', async () => {
    const { w, dir, rotator, advance, nowS } = await setup({}, { isRevoked: true });
    const first = (await rotator.tick()).rotated!;
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(first.kid);
    advance(60_000);
    expect((await rotator.tick()).rotated).toBeUndefined(); // not due, not revoked

    // The key is compromised; the anchor revokes it (e.g. `blindwire revoke --anchor`).
    await dir.publish(
      await createRevocation(
        w.anchor,
        { name: w.tool.name, kid: first.kid, reason: 'compromise' },
        { now: nowS() * 1000 },
      ),
    );
    expect(await codeOf(dir.resolveRecipient(w.tool.name))).toBe('ERR_KEY_REVOKED');
    const t = await rotator.tick();
    expect(t.revoked).toBe(first.kid);
    expect(t.rotated).toBeDefined();
    expect(t.rotated!.notBefore).toBe(nowS());
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(t.rotated!.kid);
    // The replacement is not replaced again.
    advance(60_000);
    expect((await rotator.tick()).rotated).toBeUndefined();
  });

  it('waits out the propagation delay when an older held key is still usable, which senders keep using', async () => {
    const { w, dir, rotator, advance, nowS } = await setup({}, { isRevoked: true });
    const a = (await rotator.tick()).rotated!;
    advance((3600 - 900) * 1000);
    const b = (await rotator.tick()).rotated!; // published ahead of use
    expect(b.notBefore).toBe(nowS() + 120);
    // The identity revokes b before it is used.
    await dir.publish(
      await createRevocation(
        w.tool.signing,
        { name: w.tool.name, kid: b.kid, reason: 'compromise' },
        { now: nowS() * 1000 },
      ),
    );
    const t = await rotator.tick();
    expect(t.revoked).toBe(b.kid);
    expect(t.rotated!.notBefore).toBe(nowS() + 120);
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(a.kid);
    advance(121_000);
    dir.invalidate();
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(t.rotated!.kid);
  });

  it('works as the CLI wires it: a directory over the bare store that pins only the identity itself', async () => {
    const s = await setup();
    const w = s.w;
    const store = createMemoryStore();
    const [cert] = await w.recordsOf(w.tool);
    await store.put(w.tool.name, cert!);
    const self = createDirectory({
      store,
      trust: { pinned: [{ name: w.tool.name, signing: w.tool.signing }] },
      now: () => s.nowS() * 1000,
      cache: { ttlMs: 0 },
    });
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: (r) => store.put(w.tool.name, r),
      keyStore: s.keys.store,
      retentionSeconds: 7200,
      now: () => s.nowS() * 1000,
      isRevoked: (kid) => self.isRevoked(w.tool.name, kid),
    });
    const first = (await rotator.tick()).rotated!;
    s.advance(60_000);
    expect((await rotator.tick()).rotated).toBeUndefined();
    // `blindwire revoke` signed with the identity's key, published to the store.
    await store.put(
      w.tool.name,
      await createRevocation(
        w.tool.signing,
        { name: w.tool.name, kid: first.kid, reason: 'compromise' },
        { now: s.nowS() * 1000 },
      ),
    );
    const t = await rotator.tick();
    expect(t.revoked).toBe(first.kid);
    expect(t.rotated).toBeDefined();
  });

  it('a key revoked through the rotator itself is replaced by the next tick, even without isRevoked', async () => {
    const { rotator, advance } = await setup();
    const first = (await rotator.tick()).rotated!;
    advance(60_000);
    await rotator.revoke(first.kid, 'superseded');
    const t = await rotator.tick();
    expect(t.revoked).toBe(first.kid);
    expect(t.rotated).toBeDefined();
  });

  it('a failing isRevoked fails that tick with its error', async () => {
    let asked = 0;
    const { rotator, advance } = await setup({
      isRevoked: async () => {
        asked++;
        throw new BlindwireError(ErrorCode.Transport, 'directory down');
      },
    });
    expect((await rotator.tick()).rotated).toBeDefined(); // no key yet: nothing to ask about
    expect(asked).toBe(0);
    advance(60_000);
    expect(await codeOf(rotator.tick())).toBe('ERR_TRANSPORT');
    expect(asked).toBe(1);
  });
});

describe('a rotator that was not run for a while', () => {
  it('replaces an expired newest key with one usable at once: no held key bridges the delay', async () => {
    const { w, dir, rotator, advance, nowS } = await setup({}, { isRevoked: true });
    const first = (await rotator.tick()).rotated!;
    advance(3700 * 1000); // past first.notAfter, inside retention
    dir.invalidate();
    expect(await codeOf(dir.resolveRecipient(w.tool.name))).toBe('ERR_EXPIRED');
    const t = await rotator.tick();
    expect(t.erased).toEqual([]);
    expect(t.rotated!.notBefore).toBe(nowS());
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(t.rotated!.kid);
    expect((await rotator.recipientKeys()).map((k) => k.kid)).toContain(first.kid);
  });
});

describe('private key copies', () => {
  it('tick() and rotate() wipe every copy they read from the key store, erased keys included', async () => {
    const { keys, rotator, advance } = await setup();
    await rotator.tick();
    advance((3600 - 900) * 1000);
    await rotator.tick();
    await rotator.rotate();
    advance(3 * 3600 * 1000); // the first key is past retention: erased
    const t = await rotator.tick();
    expect(t.erased.length).toBe(1);
    expect(keys.listed.length).toBeGreaterThan(0);
    for (const k of keys.listed) expect(zero(k.privateKey), k.kid).toBe(true);
    // recipientKeys() hands its copies to the caller, unwiped.
    const held = await rotator.recipientKeys();
    expect(held.every((k) => !zero(k.privateKey))).toBe(true);
  });
});
