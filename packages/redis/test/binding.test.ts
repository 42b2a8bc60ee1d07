/**
 * @blindwire/redis against the real Redis 7 on 127.0.0.1:6379, through
 * ioredis 5.4.0 and 6 and node-redis 5.0.0 and 6 (SPEC.md §7b, §11b, §11c):
 * the sealed round trip, binary safety, what Redis stores (no plaintext, no
 * sender name), dead-lettering in one script with the XACK, retries through
 * XCLAIM IDLE and XAUTOCLAIM with the delivery count, reclaim of a dead
 * consumer's entries, MAXLEN, the size check before sealing, and refusals.
 */
import {
  ErrorCode,
  generateIdentity,
  publicIdentity,
  type Delivered,
  type Identity,
} from '@blindwire/core';
import { createRedisReplayStore } from '@blindwire/replay';
import { probeService, rejection } from '@blindwire/testkit';
import IoRedis6 from 'ioredis';
import type IoRedis54 from 'ioredis5-4';
import type { createClient as createClient6 } from 'redis';
import type { createClient as createClient5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createRedisBinding,
  type RedisBindingOptions,
  type RedisClientLike,
  type RedisEvent,
} from '../src/index.js';
import {
  RUN,
  VARIANTS,
  cleanup,
  createGroup,
  field,
  fresh,
  raw,
  rawEntries,
  unsettled,
  until,
} from './helpers.js';

// Every supported major must fit the binding's structural client type (`pnpm typecheck`).
expectTypeOf<IoRedis6>().toMatchTypeOf<RedisClientLike>();
expectTypeOf<IoRedis54>().toMatchTypeOf<RedisClientLike>();
expectTypeOf<ReturnType<typeof createClient6>>().toMatchTypeOf<RedisClientLike>();
expectTypeOf<ReturnType<typeof createClient5>>().toMatchTypeOf<RedisClientLike>();

const redis = await probeService('redis');
let agent: Identity;
let worker: Identity;
let stranger: Identity;

beforeAll(async () => {
  redis.assertUp();
  await raw.connect();
  [agent, worker, stranger] = (await Promise.all(
    ['agent', 'worker', 'stranger'].map((n) => generateIdentity(`spiffe://bw.test/${n}-${RUN}`)),
  )) as [Identity, Identity, Identity];
});
afterAll(async () => {
  await cleanup(`bwt:${RUN}:*`);
  await raw.quit();
});

describe.skipIf(redis.skip).each(VARIANTS)('through $label', (variant) => {
  let client: RedisClientLike;
  beforeAll(async () => {
    client = await variant.open();
  });
  afterAll(async () => {
    await variant.close(client);
  });

  const bindings = (extra: Partial<RedisBindingOptions> = {}) => {
    const events: RedisEvent[] = [];
    const key = fresh();
    const bw = createRedisBinding(client, {
      sender: agent,
      recipient: worker,
      trustedSenders: [publicIdentity(agent), publicIdentity(stranger)],
      replay: createRedisReplayStore({ client: client as never, prefix: `${key}:replay:` }),
      retry: { maxAttempts: 3, backoffMs: 50, maxBackoffMs: 100 },
      onEvent: (e) => events.push(e),
      ...extra,
    });
    return { bw, key, events };
  };
  const fast = { blockMs: 100, claimIdleMs: 300, claimIntervalMs: 50 };

  it('delivers the plaintext, binary-safe, and stores only the envelope and hints', async () => {
    const { bw, key, events } = bindings();
    await createGroup(key, 'g');
    const payload = new Uint8Array(256).map((_, i) => i); // every byte value, invalid UTF-8
    const secret = `secret-${RUN}-plaintext`;
    const got: Delivered[] = [];
    const run = bw.consume(
      { stream: key, group: 'g', consumer: 'c' },
      (m) => void got.push(m),
      fast,
    );
    const a = await bw.add(key, payload, { to: publicIdentity(worker) });
    const b = await bw.add(key, secret, { to: publicIdentity(worker), contentType: 'text/plain' });
    await until(() => got.length === 2);
    await run.stop();
    expect([...got[0]!.payload]).toEqual([...payload]);
    expect(new TextDecoder().decode(got[1]!.payload)).toBe(secret);
    expect(got.map((m) => m.sender)).toEqual([agent.name, agent.name]);
    expect(got.map((m) => m.messageId)).toEqual([a.messageId, b.messageId]);
    expect(await unsettled(key, 'g')).toBe(0);
    const stored = await rawEntries(key);
    expect(stored.map((e) => e.id)).toEqual([a.id, b.id]);
    for (const e of stored) {
      const names = e.fields.filter((_, i) => i % 2 === 0).map(String);
      expect(names).toEqual(['bw-content-type', 'bw-message-id', 'bw-envelope']);
      const all = Buffer.concat(e.fields);
      expect(all.includes(Buffer.from(secret))).toBe(false);
      expect(all.includes(Buffer.from(agent.name))).toBe(false);
    }
    expect(field(stored[1]!.fields, 'bw-envelope')!.length).toBe(b.bytes);
    // Events are metadata only.
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(agent.name);
    expect(events.filter((e) => e.verb === 'consume').map((e) => e.outcome)).toEqual([
      'deliver',
      'deliver',
    ]);
  });

  it('dead-letters a tampered entry unchanged with its reason, acked in the same script', async () => {
    const { bw, key } = bindings();
    await createGroup(key, 'g');
    const other = fresh();
    const sealed = await bw.add(other, 'tamper me', { to: publicIdentity(worker) });
    const env = field((await rawEntries(other))[0]!.fields, 'bw-envelope')!;
    const flipped = Buffer.from(env);
    flipped[flipped.length - 20]! ^= 1;
    await raw.xadd(key, '*', 'bw-envelope', flipped); // tampered
    await raw.xadd(key, '*', 'bw-envelope', env); // moved from another stream
    await raw.xadd(key, '*', 'other', 'no envelope at all');
    const calls: string[] = [];
    const run = bw.consume(
      { stream: key, group: 'g', consumer: 'c' },
      (m) => void calls.push(m.messageId),
      fast,
    );
    await until(async () => (await raw.xlen(`${key}:dlq`)) === 3);
    await until(async () => (await unsettled(key, 'g')) === 0);
    await run.stop();
    expect(calls).toEqual([]);
    const src = (await rawEntries(key)).map((e) => e.id);
    // Settled concurrently: read the copies by the entry they were taken from.
    const dl = new Map(
      (await rawEntries(`${key}:dlq`)).map((e) => [
        String(field(e.fields, 'bw-source-id')),
        e.fields,
      ]),
    );
    expect(src.map((id) => String(field(dl.get(id)!, 'bw-reason')))).toEqual([
      'ERR_OPEN_FAILED',
      'ERR_CONTEXT_MISMATCH',
      'ERR_ENVELOPE_MALFORMED',
    ]);
    expect(field(dl.get(src[0]!)!, 'bw-envelope')!.equals(flipped)).toBe(true);
    expect(field(dl.get(src[1]!)!, 'bw-envelope')!.equals(env)).toBe(true);
    expect(String(field(dl.get(src[1]!)!, 'bw-message-id'))).toBe(sealed.messageId);
    expect(field(dl.get(src[2]!)!, 'bw-envelope')!.length).toBe(0);
    expect(run.stats.deadLettered).toBe(3);
  });

  it('retries a failing handler through the broker with the delivery count, then dead-letters', async () => {
    const { bw, key } = bindings();
    await createGroup(key, 'g');
    const attempts: number[] = [];
    const run = bw.consume(
      { stream: key, group: 'g', consumer: 'c' },
      (m) => {
        attempts.push(m.attempt);
        throw new Error('handler down');
      },
      fast,
    );
    await bw.add(key, 'fails', { to: publicIdentity(worker) });
    await until(async () => (await raw.xlen(`${key}:dlq`)) === 1);
    await run.stop();
    expect(attempts).toEqual([1, 2, 3]);
    const [dl] = await rawEntries(`${key}:dlq`);
    expect(String(field(dl!.fields, 'bw-reason'))).toBe('ERR_HANDLER');
    expect(await unsettled(key, 'g')).toBe(0);
  });

  it("reclaims a dead consumer's pending entry with XAUTOCLAIM, attempt from XPENDING", async () => {
    const { bw, key } = bindings();
    await createGroup(key, 'g');
    await bw.add(key, 'orphan', { to: publicIdentity(worker) });
    await raw.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 10, 'STREAMS', key, '>'); // never acked
    const got: number[] = [];
    const run = bw.consume(
      { stream: key, group: 'g', consumer: 'alive' },
      (m) => void got.push(m.attempt),
      fast,
    );
    await until(() => got.length === 1);
    await until(async () => (await unsettled(key, 'g')) === 0);
    await run.stop();
    expect(got).toEqual([2]);
    expect(run.stats.reclaimed).toBe(1);
  });

  it('trims with MAXLEN and refuses an over-limit payload before sealing, adding nothing', async () => {
    const { bw, key, events } = bindings({ maxEntryBytes: 2048 });
    for (let i = 0; i < 4; i++)
      await bw.add(key, `m${i}`, { to: publicIdentity(worker), maxLen: { count: 2, exact: true } });
    expect(await raw.xlen(key)).toBe(2);
    const before = events.length;
    const e = await rejection(bw.add(key, new Uint8Array(2048), { to: publicIdentity(worker) }));
    expect(e.code).toBe(ErrorCode.LimitExceeded);
    expect(await raw.xlen(key)).toBe(2);
    expect(events.length).toBe(before);
    // The refusal is exact enough to let a smaller payload through.
    const e2 = await rejection(bw.add(key, new Uint8Array(1800), { to: publicIdentity(worker) }));
    expect(e2.code).toBe(ErrorCode.LimitExceeded);
    await bw.add(key, new Uint8Array(1500), { to: publicIdentity(worker) });
    expect(await raw.xlen(key)).toBe(3);
  });

  it('refuses bad arguments with ERR_INVALID_ARGUMENT', async () => {
    const { bw, key } = bindings();
    const noReplay = createRedisBinding(client, {
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
    });
    const t = { stream: key, group: 'g', consumer: 'c' };
    expect(() => noReplay.consume(t, () => {})).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
    expect(() => bw.consume({ ...t, group: '' }, () => {})).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
    expect(() => bw.consume(t, () => {}, { deadLetterStream: key })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
    expect(() => bw.consume(t, 'x' as never)).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
    expect(() => createRedisBinding({} as never, {})).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
    expect((await rejection(bw.add('', 'x', { to: publicIdentity(worker) }))).code).toBe(
      ErrorCode.InvalidArgument,
    );
    expect(
      (await rejection(bw.add(key, 'x', { to: publicIdentity(worker), maxLen: -1 }))).code,
    ).toBe(ErrorCode.InvalidArgument);
  });
});

describe.skipIf(redis.skip)('transport failures', () => {
  it('wraps a client error as ERR_TRANSPORT with its cause', async () => {
    const c = new IoRedis6('redis://127.0.0.1:6379', {
      lazyConnect: true,
      enableOfflineQueue: false,
    });
    const bw = createRedisBinding(c, { sender: agent });
    const e = await rejection(bw.add(fresh(), 'x', { to: publicIdentity(worker) }));
    expect(e.code).toBe(ErrorCode.Transport);
    expect(e.cause).toBeInstanceOf(Error);
    c.disconnect();
  });
});
