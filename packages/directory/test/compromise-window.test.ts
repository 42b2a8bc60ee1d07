/**
 * SPEC.md §11.3, the exposure window after a compromise revocation: cached
 * senders keep sealing to the revoked key for at most the cache TTL, plus
 * `recipientStaleIfErrorMs` while the store fails; `resolveRecipient(name,
 * { fresh: true })` never does and fails closed. On the recipient side every
 * message either opens or is ERR_KEY_REVOKED (dead-lettered with that reason,
 * and counted): none is lost without a word. An injected clock.
 */
import { BlindwireError, open, seal } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { createClock } from '@blindwire/testkit';
import {
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  type DirectoryStore,
} from '../src/index.js';
import { T0, makeWorld } from './helpers/world.js';

const TTL = 60_000;
const RECIPIENT_STALE = 60_000; // the default

/** A store whose reads fail while `down` (writes go through: the rotator's side still works). */
function failingReads(inner: DirectoryStore, state: { down: boolean }): DirectoryStore {
  return {
    kind: 'failing',
    put: (n, r) => inner.put(n, r),
    list: async (n) => {
      if (state.down) throw new Error('connection refused');
      return inner.list(n);
    },
  };
}

describe('compromise with cached senders and a failing store (SPEC.md §11.3)', () => {
  it('every message opens or is ERR_KEY_REVOKED, and the window is TTL + recipientStaleIfErrorMs', async () => {
    const w = await makeWorld();
    const mem = createMemoryStore();
    for (const r of await w.recordsOf(w.agent)) await mem.put(w.agent.name, r);
    const [toolCert] = await w.recordsOf(w.tool);
    await mem.put(w.tool.name, toolCert!);
    const clock = createClock(T0);
    const state = { down: false };
    const consumer = createDirectory({ store: mem, trust: w.policy, now: clock.now });
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: (r) => consumer.publish(r),
      keyStore: createMemoryKeyStore(),
      lifetimeSeconds: 86_400,
      propagationDelaySeconds: 300,
      rotateBeforeSeconds: 21_600,
      retentionSeconds: 7200,
      now: clock.now,
    });
    const compromised = (await rotator.tick()).rotated!;
    clock.advance(600_000); // the key is in use everywhere
    // Five senders whose caches were filled 0, 15, 30, 45 and 59 s before the revocation.
    const senders = [0, 15, 30, 45, 59].map(() =>
      createDirectory({
        store: failingReads(mem, state),
        trust: w.policy,
        now: clock.now,
        cache: { ttlMs: TTL },
      }),
    );
    const fresh = createDirectory({
      store: failingReads(mem, state),
      trust: w.policy,
      now: clock.now,
    });
    const revokedAt = clock.now() + 59_000;
    for (const [i, lead] of [0, 15, 30, 45, 59].entries()) {
      clock.set(revokedAt - lead * 1000);
      await senders[i]!.resolveRecipient(w.tool.name);
    }
    clock.set(revokedAt);
    await rotator.revoke(compromised.kid, 'compromise');
    state.down = true; // the store fails for every reader from the revocation on
    expect((await rotator.tick()).revoked).toBe(compromised.kid); // the replacement is published

    const queue: { at: number; who: string; envelope: Uint8Array }[] = [];
    const senderErrors = new Map<string, number>();
    const sealFrom = async (who: string, resolve: () => Promise<unknown>) => {
      try {
        const r = (await resolve()) as Parameters<typeof seal>[1]['recipients'];
        const s = await seal(who, { sender: w.agent, recipients: r, now: clock.now() });
        queue.push({ at: clock.now(), who, envelope: s.envelope });
      } catch (e) {
        const code = (e as BlindwireError).code;
        senderErrors.set(code, (senderErrors.get(code) ?? 0) + 1);
      }
    };
    // Every sender seals once a second for 400 s; the store comes back at +300 s.
    for (let t = 0; t <= 400; t++) {
      clock.set(revokedAt + t * 1000);
      if (t === 300) state.down = false;
      for (const [i, d] of senders.entries())
        await sealFrom(`cached-${i}`, () => d.resolveRecipient(w.tool.name));
      await sealFrom('fresh', () => fresh.resolveRecipient(w.tool.name, { fresh: true }));
    }

    // The consumer drains the queue: opened, or dead-lettered with its reason.
    const dead = new Map<string, number>();
    let opened = 0;
    let lastRevokedSeal = -Infinity;
    for (const m of queue) {
      try {
        await open(m.envelope, {
          recipient: await rotator.recipientKeys(),
          revokedKids: await rotator.revokedKids(),
          resolveSender: (n, k) => consumer.resolveSigningKey(n, k),
          now: clock.now(),
        });
        opened++;
      } catch (e) {
        const code = (e as BlindwireError).code;
        dead.set(code, (dead.get(code) ?? 0) + 1);
        expect(m.who).not.toBe('fresh');
        lastRevokedSeal = Math.max(lastRevokedSeal, m.at - revokedAt);
      }
    }
    expect([...dead.keys()]).toEqual(['ERR_KEY_REVOKED']);
    expect(opened + dead.get('ERR_KEY_REVOKED')!).toBe(queue.length);
    // The window: the sender that fetched just before the revocation sealed to
    // the revoked key until TTL + recipientStaleIfErrorMs after it, not after.
    expect(lastRevokedSeal).toBeLessThan(TTL + RECIPIENT_STALE);
    expect(lastRevokedSeal).toBeGreaterThanOrEqual(TTL + RECIPIENT_STALE - 1000);
    // Past the window, and while the store stays down, senders fail loudly.
    expect(senderErrors.get('ERR_TRANSPORT')).toBeGreaterThan(0);
    expect([...senderErrors.keys()]).toEqual(['ERR_TRANSPORT']);
    // The fresh sender never sealed to the revoked key: it failed closed, then used the new one.
    const freshSeals = queue.filter((m) => m.who === 'fresh');
    expect(freshSeals.length).toBe(101);
    expect(freshSeals[0]!.at - revokedAt).toBe(300_000);
  });

  it('with a working store the window is the TTL alone (none where the store can watch)', async () => {
    const w = await makeWorld();
    const mem = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await mem.put(w.tool.name, r);
    const clock = createClock(T0);
    const publisher = createDirectory({ store: mem, trust: w.policy, now: clock.now });
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: (r) => publisher.publish(r),
      keyStore: createMemoryKeyStore(),
      retentionSeconds: 7200,
      now: clock.now,
    });
    const k = (await rotator.tick()).rotated!;
    clock.advance(600_000);
    // No watch: the memory store's own watch would invalidate the sender at once.
    const sender = createDirectory({
      store: failingReads(mem, { down: false }),
      trust: w.policy,
      now: clock.now,
      cache: { ttlMs: TTL },
    });
    const watching = createDirectory({ store: mem, trust: w.policy, now: clock.now });
    await watching.resolveRecipient(w.tool.name);
    expect((await sender.resolveRecipient(w.tool.name)).kid).toBe(k.kid);
    await rotator.revoke(k.kid, 'compromise');
    await rotator.tick();
    expect((await watching.resolveRecipient(w.tool.name)).kid).not.toBe(k.kid);
    let last = -1;
    for (let t = 0; t <= 120; t++) {
      clock.set(T0 + 600_000 + t * 1000);
      if ((await sender.resolveRecipient(w.tool.name)).kid === k.kid) last = t;
    }
    expect(last).toBe(TTL / 1000 - 1);
  });

  it('fresh resolution checks its option and fails closed', async () => {
    const w = await makeWorld();
    const mem = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await mem.put(w.tool.name, r);
    const state = { down: false };
    const d = createDirectory({ store: failingReads(mem, state), trust: w.policy, now: () => T0 });
    await d.resolveRecipient(w.tool.name);
    state.down = true;
    expect((await d.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid); // cached
    await expect(d.resolveRecipient(w.tool.name, { fresh: true })).rejects.toMatchObject({
      code: 'ERR_TRANSPORT',
    });
    for (const bad of [{ fresh: 'yes' }, null, 1])
      await expect(d.resolveRecipient(w.tool.name, bad as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    expect(() =>
      createDirectory({ store: mem, trust: w.policy, cache: { recipientStaleIfErrorMs: -1 } }),
    ).toThrow(BlindwireError);
  });
  it('a slow store stretches neither the TTL nor the stale bound: both count from the fetch start', async () => {
    const w = await makeWorld();
    const mem = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await mem.put(w.tool.name, r);
    const clock = createClock(T0);
    const state = { down: false, delayMs: 0, lists: 0 };
    const slow: DirectoryStore = {
      kind: 'slow',
      put: (n, r) => mem.put(n, r),
      list: async (n) => {
        state.lists++;
        clock.advance(state.delayMs); // the call takes this long
        if (state.down) throw new Error('connection refused');
        return mem.list(n);
      },
    };
    const d = createDirectory({
      store: slow,
      trust: w.policy,
      now: clock.now,
      cache: { ttlMs: TTL },
    });
    state.delayMs = 4_000;
    await d.resolveRecipient(w.tool.name); // fetched from T0 to T0 + 4 s
    clock.advance(TTL - 4_000); // T0 + TTL: fresh only if stamped at the end
    state.delayMs = 0;
    await d.resolveRecipient(w.tool.name);
    expect(state.lists).toBe(2);
    // Within the stale bound when the fetch starts, past it when the store gives up.
    clock.advance(TTL + RECIPIENT_STALE - 1_000);
    state.down = true;
    state.delayMs = 4_900;
    await expect(d.resolveRecipient(w.tool.name)).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });
});
