/**
 * Rotation with messages still queued, on a real Redis list as the queue:
 * produce under key 1, rotate while the consumer is down, restart: every
 * message opens; after the retention window, old-key messages fail with
 * ERR_KEY_NOT_FOUND and are dead-lettered and counted, never lost.
 */
import { BlindwireError, open, seal } from '@blindwire/core';
import { randomBytes } from 'node:crypto';
import { createClient, RESP_TYPES } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, probeService } from '@blindwire/testkit';
import {
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
} from '../src/index.js';
import { T0, makeWorld } from './helpers/world.js';

const redis = await probeService('redis');

describe.skipIf(redis.skip)('rotation with queued messages (Redis list as the queue)', () => {
  const client = createClient({ url: 'redis://127.0.0.1:6379' }).withTypeMapping({
    [RESP_TYPES.BLOB_STRING]: Buffer,
  });
  const queue = `blindwire:test:rotation:${randomBytes(6).toString('hex')}`;
  const dlq = `${queue}:dead`;

  beforeAll(async () => {
    redis.assertUp();
    await client.connect();
  });
  afterAll(async () => {
    if (client.isOpen) {
      await client.del([queue, dlq]);
      await client.quit();
    }
  });

  it('every queued message opens after a rotation; after retention they are dead-lettered with a clear code', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    for (const r of await w.recordsOf(w.agent)) await store.put(w.agent.name, r);
    const [toolCert] = await w.recordsOf(w.tool);
    await store.put(w.tool.name, toolCert!);
    const clock = createClock(T0);
    const dir = createDirectory({
      store,
      trust: w.policy,
      now: clock.now,
      cache: { ttlMs: 60_000 },
    });
    const keyStore = createMemoryKeyStore();
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: (r) => dir.publish(r),
      keyStore,
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: clock.now,
    });
    const first = (await rotator.tick()).rotated!;
    expect(first).toBeDefined();

    const produce = async (n: number, tag: string) => {
      const key = await dir.resolveRecipient(w.tool.name);
      for (let i = 0; i < n; i++) {
        const s = await seal(`${tag}-${i}`, {
          sender: w.agent,
          recipients: key,
          context: 'queue:jobs',
          ttl: 86_400,
          now: clock.now(),
        });
        await client.lPush(queue, Buffer.from(s.envelope));
      }
      return key.kid;
    };
    expect(await produce(5, 'k1')).toBe(first.kid);

    // The consumer is down. Time passes; the rotator publishes key 2 ahead of use.
    clock.advance((3600 - 900) * 1000);
    const second = (await rotator.tick()).rotated!;
    expect(second.kid).not.toBe(first.kid);
    expect(second.notBefore).toBe(clock.seconds() + 120);
    // Within the propagation delay senders still use key 1; after it, key 2.
    expect(await produce(2, 'k1-late')).toBe(first.kid);
    clock.advance(121_000);
    dir.invalidate();
    expect(await produce(3, 'k2')).toBe(second.kid);
    expect(await client.lLen(queue)).toBe(10);

    // The consumer restarts and drains the queue: everything opens.
    const consume = async () => {
      const opened: string[] = [];
      const dead: string[] = [];
      for (;;) {
        const raw = await client.rPop(queue);
        if (raw === null) break;
        try {
          const o = await open(new Uint8Array(raw), {
            recipient: await rotator.recipientKeys(),
            context: 'queue:jobs',
            resolveSender: (n, k) => dir.resolveSigningKey(n, k),
            now: clock.now(),
          });
          opened.push(new TextDecoder().decode(o.payload));
        } catch (e) {
          // Never dropped: routed to the dead-letter list with its code.
          dead.push(e instanceof BlindwireError ? e.code : 'unknown');
          await client.lPush(dlq, raw);
        }
      }
      return { opened, dead };
    };
    const r1 = await consume();
    expect(r1.dead).toEqual([]);
    expect(r1.opened.sort()).toEqual(
      [
        'k1-0',
        'k1-1',
        'k1-2',
        'k1-3',
        'k1-4',
        'k1-late-0',
        'k1-late-1',
        'k2-0',
        'k2-1',
        'k2-2',
      ].sort(),
    );

    // Now produce more under key 2 and some under key 1 held back, and let key 1's retention lapse.
    const k1Env = await seal('too-late', {
      sender: w.agent,
      recipients: { kid: first.kid, publicKey: first.publicKey },
      context: 'queue:jobs',
      ttl: 86_400,
      now: clock.now(),
    });
    await client.lPush(queue, Buffer.from(k1Env.envelope));
    await produce(1, 'k2-more');
    clock.set((first.notAfter + 7200 + 1) * 1000);
    const t = await rotator.tick();
    expect(t.erased).toContain(first.kid);
    expect((await rotator.recipientKeys()).map((k) => k.kid)).not.toContain(first.kid);
    const r2 = await consume();
    expect(r2.opened).toEqual(['k2-more-0']);
    expect(r2.dead).toEqual(['ERR_KEY_NOT_FOUND']);
    expect(await client.lLen(dlq)).toBe(1);
    const deadBytes = await client.lIndex(dlq, 0);
    expect(Buffer.from(deadBytes!).equals(Buffer.from(k1Env.envelope))).toBe(true);
  });
});
