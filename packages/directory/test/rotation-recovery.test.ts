/**
 * Rotation when things go wrong (SPEC.md §11.4): a revoked newest key is
 * replaced at once; a key revoked for compromise is erased at once; private
 * key copies read from the key store are wiped once used. A publish that
 * fails is in rotation-republish.test.ts.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { createClock, outcomeOf } from '@blindwire/testkit';
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
import { parseRecord } from '../src/internal.js';
import { T0, makeWorld } from './helpers/world.js';

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

async function setup(
  extra: Partial<KeyRotatorOptions> = {},
  wire: { isRevoked?: boolean; revocationOf?: boolean } = {},
) {
  const w = await makeWorld();
  const store = createMemoryStore();
  const [cert] = await w.recordsOf(w.tool);
  await store.put(w.tool.name, cert!);
  const clock = createClock(T0);
  const dir = createDirectory({ store, trust: w.policy, now: clock.now });
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
    now: clock.now,
    // What the CLI does: ask the verified directory whether a held key is revoked.
    ...(wire.isRevoked ? { isRevoked: (kid: string) => dir.isRevoked(w.tool.name, kid) } : {}),
    // What the CLI should do: ask for the reason, so that a compromised key is erased at once.
    ...(wire.revocationOf
      ? { isRevoked: (kid: string) => dir.revocationOf(w.tool.name, kid) }
      : {}),
    ...extra,
  });
  return {
    w,
    dir,
    keys,
    publishing,
    rotator,
    advance: clock.advance,
    nowS: clock.seconds,
  };
}

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
    expect(await outcomeOf(dir.resolveRecipient(w.tool.name))).toBe('ERR_KEY_REVOKED');
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
    expect(await outcomeOf(rotator.tick())).toBe('ERR_TRANSPORT');
    expect(asked).toBe(1);
  });
});

describe('a key revoked for compromise by another party (isRevoked answers the reason)', () => {
  const compromise = async (s: Awaited<ReturnType<typeof setup>>, kid: string) =>
    s.dir.publish(
      await createRevocation(
        s.w.anchor,
        { name: s.w.tool.name, kid, reason: 'compromise' },
        { now: s.nowS() * 1000 },
      ),
    );

  it('the newest: tick() erases its private key at once, lists it in erased, and replaces it', async () => {
    const s = await setup({}, { revocationOf: true });
    const first = (await s.rotator.tick()).rotated!;
    s.advance(60_000);
    await compromise(s, first.kid);
    const listed = s.keys.listed.length;
    const t = await s.rotator.tick();
    expect(t.erased).toEqual([first.kid]);
    expect(t.revoked).toBe(first.kid);
    expect(t.rotated!.notBefore).toBe(s.nowS()); // nothing bridges the delay
    expect((await s.keys.inner.list()).map((k) => k.kid)).toEqual([t.rotated!.kid]);
    expect((await s.rotator.recipientKeys()).map((k) => k.kid)).toEqual([t.rotated!.kid]);
    // The copy this tick read is wiped, too.
    const copy = s.keys.listed.slice(listed).find((k) => k.kid === first.kid)!;
    expect(zero(copy.privateKey)).toBe(true);
    expect((await s.dir.resolveRecipient(s.w.tool.name)).kid).toBe(t.rotated!.kid);
  });

  it('an older retained key: erased at once, and the newest key stays', async () => {
    const s = await setup({}, { revocationOf: true });
    const a = (await s.rotator.tick()).rotated!;
    s.advance((3600 - 900) * 1000);
    const b = (await s.rotator.tick()).rotated!;
    s.advance(60_000);
    await compromise(s, a.kid);
    const t = await s.rotator.tick();
    expect(t).toEqual({ erased: [a.kid] });
    expect((await s.keys.inner.list()).map((k) => k.kid)).toEqual([b.kid]);
  });

  it("'superseded' (and a plain true) keeps the private key for queued messages, and replaces the key", async () => {
    for (const answer of ['superseded', true] as const) {
      let revoked = '';
      const s = await setup({ isRevoked: async (kid) => (kid === revoked ? answer : false) });
      const first = (await s.rotator.tick()).rotated!;
      s.advance(60_000);
      revoked = first.kid;
      const t = await s.rotator.tick();
      expect(t.erased).toEqual([]);
      expect(t.revoked).toBe(first.kid);
      expect(t.rotated).toBeDefined();
      expect((await s.keys.inner.list()).map((k) => k.kid)).toContain(first.kid);
    }
  });

  it('an answer that is none of those fails the tick (ERR_INVALID_ARGUMENT), never counts as "not revoked"', async () => {
    const s = await setup({ isRevoked: async () => 2 as unknown as boolean });
    expect((await s.rotator.tick()).rotated).toBeDefined(); // no key yet: nothing to ask about
    s.advance(60_000);
    expect(await outcomeOf(s.rotator.tick())).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a compromise revocation by the identity reaches the rotator the same way', async () => {
    const s = await setup({}, { revocationOf: true });
    const first = (await s.rotator.tick()).rotated!;
    s.advance(60_000);
    await s.dir.publish(
      await createRevocation(
        s.w.tool.signing,
        { name: s.w.tool.name, kid: first.kid, reason: 'compromise' },
        { now: s.nowS() * 1000 },
      ),
    );
    expect(await s.dir.revocationOf(s.w.tool.name, first.kid)).toBe('compromise');
    expect((await s.rotator.tick()).erased).toEqual([first.kid]);
  });
});

describe('a rotator that was not run for a while', () => {
  it('replaces an expired newest key with one usable at once: no held key bridges the delay', async () => {
    const { w, dir, rotator, advance, nowS } = await setup({}, { isRevoked: true });
    const first = (await rotator.tick()).rotated!;
    advance(3700 * 1000); // past first.notAfter, inside retention
    dir.invalidate();
    expect(await outcomeOf(dir.resolveRecipient(w.tool.name))).toBe('ERR_EXPIRED');
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

describe('overlapping calls', () => {
  it('two ticks at once (a slow one under start() and a manual one) rotate once', async () => {
    const w = await makeWorld();
    const keyStore = createMemoryKeyStore();
    const clock = createClock(T0);
    const published: Uint8Array[] = [];
    const rotator = createKeyRotator({
      identity: w.tool,
      keyStore,
      publish: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 20)); // a slow store
        published.push(r);
      },
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: clock.now,
    });
    const first = await Promise.all([rotator.tick(), rotator.tick(), rotator.tick()]);
    expect(first.filter((r) => r.rotated).length).toBe(1);
    clock.advance((3600 - 900) * 1000); // due again
    const second = await Promise.all([
      rotator.tick(),
      rotator.rotate().then(() => ({})),
      rotator.tick(),
    ]);
    // The first tick rotates; the explicit rotate() adds one; the last tick finds nothing due.
    expect(second.filter((r) => 'rotated' in r && r.rotated).length).toBe(1);
    expect((await keyStore.list()).length).toBe(3);
  });
});

describe('a stalled store, a clock that jumped', () => {
  it('a publish that never settles fails its step after stepTimeoutMs, and a compromise is erased at once meanwhile', async () => {
    const w = await makeWorld();
    const keyStore = createMemoryKeyStore();
    let hang = false;
    const rotator = createKeyRotator({
      identity: w.tool,
      keyStore,
      publish: () => (hang ? new Promise<void>(() => {}) : Promise.resolve()),
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: () => T0,
      stepTimeoutMs: 200,
    });
    const first = (await rotator.tick()).rotated!;
    hang = true;
    const stalled = rotator.rotate(); // its publish never settles
    const revoking = rotator.revoke(first.kid, 'compromise');
    // The private key is gone before the stalled step gives up.
    await new Promise((r) => setTimeout(r, 50));
    expect((await keyStore.list()).map((k) => k.kid)).not.toContain(first.kid);
    await expect(stalled).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    await expect(revoking).rejects.toMatchObject({ code: 'ERR_TRANSPORT' }); // its publish hangs too
    hang = false;
    // The queue is free again.
    await expect(rotator.tick()).resolves.toBeDefined();
    expect(() =>
      createKeyRotator({
        identity: w.tool,
        keyStore,
        publish: async () => undefined,
        retentionSeconds: 7200,
        stepTimeoutMs: 0,
      }),
    ).toThrow(/"stepTimeoutMs"/);
  });

  it('after a tick under a clock days ahead, the corrected clock rotates again; serials never go backwards', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await store.put(w.tool.name, r);
    const clock = createClock(T0);
    const dir = createDirectory({ store, trust: w.policy, now: clock.now, cache: { ttlMs: 0 } });
    const options = {
      identity: w.tool,
      publish: (r: Uint8Array) => dir.publish(r),
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: clock.now,
    };
    const keyStore = createMemoryKeyStore();
    const first = (await createKeyRotator({ ...options, keyStore }).tick()).rotated!;
    // One tick (a fresh process, as `key rotate --now` from cron) under a clock two days ahead.
    clock.set(T0 + 2 * 86_400_000);
    const ahead = (await createKeyRotator({ ...options, keyStore }).rotate())!;
    // The clock is corrected. When the first key nears expiry, a fresh process
    // rotates: the key made "in the future" cannot be used in time, so it is
    // no successor.
    clock.set(T0 + (3600 - 900 + 60) * 1000);
    const fixed = await createKeyRotator({ ...options, keyStore }).tick();
    expect(fixed.rotated).toBeDefined();
    expect(fixed.rotated!.notBefore).toBeLessThanOrEqual(clock.seconds() + 120);
    // Serials rise across processes, even with the clock behind the last one.
    const serial = async (k: StoredKey) =>
      (await parseRecord(k.record!)).body as { serial: number };
    expect((await serial(fixed.rotated!)).serial).toBeGreaterThan((await serial(ahead)).serial);
    // And senders have a key after the first one expires.
    clock.set((first.notAfter + 60) * 1000);
    dir.invalidate();
    await createKeyRotator({ ...options, keyStore }).tick();
    expect((await dir.resolveRecipient(w.tool.name)).notBefore).toBeLessThanOrEqual(
      clock.seconds(),
    );
  });
});

describe('rotation: findings of the second review', () => {
  const opts = {
    lifetimeSeconds: 3600,
    propagationDelaySeconds: 120,
    rotateBeforeSeconds: 900,
    retentionSeconds: 7200,
  };

  it('a step its caller gave up on publishes no key of its own, and never deletes one', async () => {
    const w = await makeWorld();
    const keyStore = createMemoryKeyStore();
    let slow = true;
    const slowStore: PrivateKeyStore = {
      ...keyStore,
      put: async (k) => {
        if (slow) {
          slow = false;
          await new Promise((r) => setTimeout(r, 600)); // outlives stepTimeoutMs
        }
        return keyStore.put(k);
      },
    };
    const published: Uint8Array[] = [];
    const rotator = createKeyRotator({
      identity: w.tool,
      keyStore: slowStore,
      publish: async (r) => void published.push(r),
      ...opts,
      now: () => T0,
      stepTimeoutMs: 200,
    });
    await expect(rotator.tick()).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    const second = await rotator.tick(); // runs while the first is still going
    expect(second.rotated).toBeDefined();
    await new Promise((r) => setTimeout(r, 700)); // the first one finishes its work
    // The abandoned step's key is stored (a later tick may have seen it), never deleted;
    // it published nothing itself.
    const held = (await keyStore.list()).map((k) => k.kid);
    expect(held).toHaveLength(2);
    expect(held).toContain(second.rotated!.kid);
    const distinct = new Set(published.map((r) => Buffer.from(r).toString('hex')));
    expect(distinct.size).toBe(1);
  });

  it('after the identity moved to a new signing key: a new key at once, the old one kept', async () => {
    const w = await makeWorld();
    const keyStore = createMemoryKeyStore();
    const published: Uint8Array[] = [];
    const clock = createClock(T0);
    const make = (identity: typeof w.tool) =>
      createKeyRotator({
        identity,
        keyStore,
        publish: async (r) => void published.push(r),
        ...opts,
        now: clock.now,
      });
    const old = (await make(w.tool).tick()).rotated!;
    const moved = { ...w.tool, signing: w.mallory.signing };
    // Still valid, but issued under the former signing key (which may be revoked):
    // no successor. The new key is usable at once (no bridge) and issued by the new key.
    clock.advance(60_000);
    const t = await make(moved).tick();
    expect(t.rotated).toBeDefined();
    expect(t.rotated!.notBefore).toBe(clock.seconds());
    const last = await parseRecord(published.at(-1)!);
    expect(last.body).toMatchObject({ kid: t.rotated!.kid, issuerKid: w.mallory.signing.kid });
    expect((await keyStore.list()).map((k) => k.kid)).toContain(old.kid);
    // A second tick under the new key does not rotate again.
    expect((await make(moved).tick()).rotated).toBeUndefined();
  });

  it('keeps rotating and erasing after the identity moved to a new signing key', async () => {
    const w = await makeWorld();
    const keyStore = createMemoryKeyStore();
    const clock = createClock(T0);
    const make = (identity: typeof w.tool) =>
      createKeyRotator({
        identity,
        keyStore,
        publish: async () => undefined,
        ...opts,
        now: clock.now,
      });
    const before = (await make(w.tool).tick()).rotated!;
    // Same name, a new signing key (w.mallory's keys stand in for it).
    const moved = { ...w.tool, signing: w.mallory.signing };
    clock.advance(3 * 3600_000); // the old key expired; retention (2 h after expiry) not yet over
    const t1 = await make(moved).tick();
    expect(t1.rotated).toBeDefined();
    expect((await keyStore.list()).map((k) => k.kid)).toContain(before.kid);
    clock.advance(3 * 3600_000); // past retention
    const t2 = await make(moved).tick();
    expect(t2.erased).toContain(before.kid);
  });

  it('a clock with fractions of a millisecond still rotates (serials are whole)', async () => {
    const w = await makeWorld();
    const rotator = createKeyRotator({
      identity: w.tool,
      keyStore: createMemoryKeyStore(),
      publish: async () => undefined,
      ...opts,
      now: () => T0 + 0.375,
    });
    expect((await rotator.tick()).rotated).toBeDefined();
  });
});
