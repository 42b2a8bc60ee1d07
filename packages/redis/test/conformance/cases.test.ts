/**
 * Conformance (SPEC.md §7b, §11b) on Redis Streams, the smaller cases, with
 * in-process consumers on node-redis clients of their own sharing the run's
 * Redis replay store: a replay after the ack is a duplicate (handler not
 * called); cross-stream and cross-transport copies fail with
 * ERR_CONTEXT_MISMATCH and land unchanged in `<key>:dlq`; an over-limit
 * payload is refused before sealing (the backend never called) and nothing
 * is added; two consumers receiving one id at once (the same envelope twice,
 * and an entry reclaimed while its first handler still runs) make exactly one
 * handler call.
 */
import {
  ErrorCode,
  amqpDestination,
  bindingContext,
  publicIdentity,
  seal,
  type CryptoBackend,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createRedisBinding, type ConsumeRun, type RedisEvent } from '@blindwire/redis';
import { createRedisReplayStore } from '@blindwire/replay';
import { rejection } from '@blindwire/testkit';
import { createClient } from 'redis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, createRedisHarness, type RedisHarness } from './redis-harness.js';
import { assertReady, skip } from './shared.js';

interface Consumer {
  run: ConsumeRun;
  calls: string[];
  events: RedisEvent[];
  close(): Promise<void>;
}

async function startConsumer(
  h: RedisHarness,
  name: string,
  work: () => Promise<void> = async () => {},
  claimIdleMs = 2000,
): Promise<Consumer> {
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const calls: string[] = [];
  const events: RedisEvent[] = [];
  const bw = createRedisBinding(redis, {
    recipient: h.consumerId,
    trustedSenders: [publicIdentity(h.sender)],
    replay: createRedisReplayStore({ client: redis, prefix: h.replayPrefix }),
    replayLeaseMs: 5000,
    retry: { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 200 },
    onEvent: (e) => events.push(e),
    backend: nodeBackend,
  });
  const run = bw.consume(
    { stream: h.keys.work, group: 'workers', consumer: name },
    async (m) => {
      calls.push(m.messageId);
      await work();
    },
    { blockMs: 100, claimIdleMs, claimIntervalMs: 50 },
  );
  return {
    run,
    calls,
    events,
    close: async () => {
      await run.stop();
      await redis.quit();
    },
  };
}

async function until(f: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(skip)('Redis Streams conformance: replay, context, limits, concurrency', () => {
  let h: RedisHarness;
  const consumers: Consumer[] = [];
  beforeAll(() => assertReady());
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.close();
    await h?.close();
  });
  const sealTo = (payload: string, context = h.adapter.context(h.adapter.destination)) =>
    seal(new TextEncoder().encode(payload), {
      sender: h.sender,
      recipients: h.consumerId,
      context,
      backend: nodeBackend,
    });

  it('a replay after the ack is a duplicate: acked, handler not called', async () => {
    h = await createRedisHarness({ monitor: false });
    const c = await startConsumer(h, 'one');
    consumers.push(c);
    const s = await sealTo('P:once');
    await h.adapter.publishRaw(h.keys.work, s.envelope, { messageId: s.messageId });
    await until(() => c.calls.length === 1);
    await h.adapter.publishRaw(h.keys.work, s.envelope); // the attacker's copy, no hints
    await until(async () => (await h.adapter.pending()) === 0 && c.run.stats.acked === 2);
    expect(c.calls).toEqual([s.messageId]);
    const outcomes = c.events.filter((e) => e.verb === 'consume').map((e) => e.outcome);
    expect(outcomes).toEqual(['deliver', 'duplicate']);
    expect(await h.adapter.readDeadLetters()).toEqual([]);
  });

  it('cross-stream and cross-transport copies: ERR_CONTEXT_MISMATCH, unchanged in <key>:dlq', async () => {
    h = await createRedisHarness({ monitor: false });
    const c = await startConsumer(h, 'one');
    consumers.push(c);
    const copies = [
      await sealTo('P:other-stream', bindingContext('redis', h.adapter.otherDestination)),
      await sealTo('P:nats', bindingContext('nats', 'bwc.jobs')),
      await sealTo('P:amqp', bindingContext('amqp', amqpDestination('bwc', h.keys.work))),
    ];
    const control = await sealTo('P:control');
    for (const s of [...copies, control])
      await h.adapter.publishRaw(h.keys.work, s.envelope, { messageId: s.messageId });
    await until(async () => (await h.adapter.pending()) === 0 && c.run.stats.deadLettered === 3);
    expect(c.calls).toEqual([control.messageId]);
    const dead = await h.adapter.readDeadLetters();
    expect(dead).toHaveLength(3);
    for (const s of copies) {
      const dl = dead.find((d) => d.messageId === s.messageId)!;
      expect(dl.reason).toBe('ERR_CONTEXT_MISMATCH');
      expect(Buffer.from(dl.bytes).equals(Buffer.from(s.envelope))).toBe(true);
      expect(await h.replay.has(s.messageId, h.sender.name)).toBe(false);
    }
  });

  it('an over-limit payload is refused before sealing; nothing is added', async () => {
    h = await createRedisHarness({ monitor: false });
    let cryptoCalls = 0;
    const counting = new Proxy(nodeBackend, {
      get: (t, k) => {
        const v = Reflect.get(t, k) as unknown;
        return typeof v === 'function'
          ? (...a: unknown[]) => {
              cryptoCalls++;
              return (v as (...x: unknown[]) => unknown).apply(t, a);
            }
          : v;
      },
    }) as CryptoBackend;
    const bw = createRedisBinding(h.client, {
      sender: h.sender,
      backend: counting,
      maxEntryBytes: 64 * 1024,
    });
    const e = await rejection(bw.add(h.keys.work, new Uint8Array(64 * 1024), { to: h.consumerId }));
    expect(e.code).toBe(ErrorCode.LimitExceeded);
    expect(cryptoCalls).toBe(0);
    expect(await h.client.xlen(h.keys.work)).toBe(0);
  });

  it('two consumers receiving one id at once: exactly one handler call', async () => {
    h = await createRedisHarness({ monitor: false });
    const slow = () => new Promise<void>((r) => setTimeout(r, 600));
    // A short claimIdleMs: the second consumer reclaims an entry while its first handler runs.
    const a = await startConsumer(h, 'a', slow, 200);
    const b = await startConsumer(h, 'b', slow, 200);
    consumers.push(a, b);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const s = await sealTo(`P:shared-${i}`);
      ids.push(s.messageId);
      // The same envelope twice: each consumer may get one copy at the same moment.
      await h.adapter.publishRaw(h.keys.work, s.envelope, { messageId: s.messageId });
      await h.adapter.publishRaw(h.keys.work, s.envelope, { messageId: s.messageId });
    }
    await until(async () => (await h.adapter.pending()) === 0, 40_000);
    const calls = [...a.calls, ...b.calls].sort();
    expect(calls).toEqual([...ids].sort());
    for (const id of ids) expect(await h.replay.has(id, h.sender.name)).toBe(true);
    const inFlight = [...a.events, ...b.events].filter(
      (e) => e.verb === 'consume' && e.outcome === 'in-flight',
    );
    expect(inFlight.length).toBeGreaterThan(0);
    expect(await h.adapter.readDeadLetters()).toEqual([]);
  }, 60_000);
});
