/**
 * The long run of issue 9 (SPEC.md §11.4, §11.6) against the real Redis and
 * PostgreSQL stores, with an injected clock: a real `createKeyRotator` with
 * pruning on, wired as the README shows (publishing through a real
 * `createDirectory`, `isRevoked` from its verified records), rotates
 * short-lived keys over 1,000 times; after every ten rotations the
 * directory resolves the identity, and the key senders get is one whose
 * private key the rotator holds, and a message sealed to it then opens after
 * every later tick within the queue time (nothing lost to erasure or
 * pruning). The stored record count stays bounded.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, probeService } from '@blindwire/testkit';
import { open, publicIdentity, seal } from '@blindwire/core';
import { fromUtf8 } from '@blindwire/core/internal';
import {
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  type DirectoryStore,
} from '../src/index.js';
import { createHttpStore } from '../src/stores/http.js';
import { createPostgresStore } from '../src/stores/postgres-store.js';
import { createRedisStore } from '../src/stores/redis-store.js';
import { T0, makeWorld } from './helpers/world.js';

const ROTATIONS = 1000;
/** Short-lived keys: 300 s, rotated 150 s before expiry, ticks every 180 s (one rotation each). */
const KEY = { lifetime: 300, before: 150, delay: 20, queue: 360, skew: 60, tick: 180 };
/** The minimum retention of SPEC.md §11.4 (q + 3s); the prune horizon defaults to it. */
const RETENTION = KEY.queue + 3 * KEY.skew;
/**
 * Records kept: the certificate and the key records whose not-after is within
 * the horizon (RETENTION): one key is made per tick (180 s) and lives 320 s
 * from its making (delay + lifetime), so at most ceil((320 + 540) / 180) = 5
 * key records, and the certificate.
 */
const BOUND = 6;

interface Figures {
  rotations: number;
  maxRecords: number;
  pruned: number;
  resolves: number;
  ms: number;
}

async function longRun(store: DirectoryStore, rotations: number, prune = true): Promise<Figures> {
  const started = performance.now();
  const w = await makeWorld();
  const [cert] = await w.recordsOf(w.tool);
  await store.put(w.tool.name, cert!);
  const clock = createClock(T0);
  const dir = createDirectory({ store, trust: w.policy, now: clock.now });
  const rotator = createKeyRotator({
    identity: w.tool,
    publish: (r) => dir.publish(r),
    keyStore: createMemoryKeyStore(),
    lifetimeSeconds: KEY.lifetime,
    rotateBeforeSeconds: KEY.before,
    propagationDelaySeconds: KEY.delay,
    retentionSeconds: RETENTION,
    maxQueueSeconds: KEY.queue,
    clockSkewSeconds: KEY.skew,
    isRevoked: (kid) => dir.revocationOf(w.tool.name, kid),
    ...(prune ? { prune: { store, trust: w.policy } } : {}),
    now: clock.now,
  });
  const f: Figures = { rotations: 0, maxRecords: 0, pruned: 0, resolves: 0, ms: 0 };
  /** Messages sealed to the resolved key, opened after every later tick while within the queue time. */
  let queued: { envelope: Uint8Array; sealedAt: number }[] = [];
  try {
    while (f.rotations < rotations) {
      const r = await rotator.tick();
      expect(r.pruneError).toBeUndefined();
      const keys = await rotator.recipientKeys();
      queued = queued.filter((m) => clock.now() - m.sealedAt <= KEY.queue * 1000);
      for (const m of queued) {
        const opened = await open(m.envelope, {
          recipient: keys,
          trustedSenders: [publicIdentity(w.agent)],
          now: clock.now(),
          maxAge: KEY.queue + KEY.skew,
        });
        expect(fromUtf8(opened.payload)).toBe('queued');
      }
      if (r.rotated) f.rotations++;
      f.pruned += r.pruned?.length ?? 0;
      const stored = (await store.list(w.tool.name)).length;
      f.maxRecords = Math.max(f.maxRecords, stored);
      if (prune) expect(stored).toBeLessThanOrEqual(BOUND);
      if (r.rotated && f.rotations % 10 === 0) {
        // past the propagation delay, senders seal to a key whose private key is held
        clock.advance(KEY.delay * 1000 + 1000);
        dir.invalidate();
        const key = await dir.resolveRecipient(w.tool.name);
        const held = (await rotator.recipientKeys()).map((k) => k.kid);
        expect(held).toContain(key.kid);
        expect(key.kid).toBe(r.rotated.kid);
        expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeDefined();
        const sealed = await seal('queued', {
          sender: w.agent,
          recipients: key,
          now: clock.now(),
          ttl: KEY.queue + KEY.skew,
        });
        queued.push({ envelope: sealed.envelope, sealedAt: clock.now() });
        f.resolves++;
        clock.advance(KEY.tick * 1000 - KEY.delay * 1000 - 1000);
      } else {
        clock.advance(KEY.tick * 1000);
      }
    }
  } finally {
    await dir.close();
  }
  f.ms = Math.round(performance.now() - started);
  return f;
}

describe('rotator pruning (SPEC.md §11.6)', () => {
  it('memory store: 200 rotations stay bounded; a prune failure is reported, never thrown', async () => {
    const f = await longRun(createMemoryStore(), 200);
    expect(f.rotations).toBe(200);
    expect(f.pruned).toBeGreaterThan(190);
    const w = await makeWorld();
    const store = createMemoryStore();
    const failing: DirectoryStore = {
      kind: 'failing',
      put: (n, r) => store.put(n, r),
      list: (n) => store.list(n),
      remove: () => Promise.reject(new Error('down')),
    };
    const [cert] = await w.recordsOf(w.tool);
    await store.put(w.tool.name, cert!);
    const clock = createClock(T0);
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: (r) => store.put(w.tool.name, r),
      keyStore: createMemoryKeyStore(),
      lifetimeSeconds: KEY.lifetime,
      rotateBeforeSeconds: KEY.before,
      propagationDelaySeconds: KEY.delay,
      retentionSeconds: RETENTION,
      maxQueueSeconds: KEY.queue,
      prune: { store: failing, trust: w.policy },
      now: clock.now,
    });
    let errors = 0;
    for (let i = 0; i < 10; i++) {
      const r = await rotator.tick();
      expect(r.rotated).toBeDefined(); // rotation goes on
      if (r.pruneError !== undefined) errors++;
      clock.advance(KEY.tick * 1000);
    }
    expect(errors).toBeGreaterThan(0);
  });

  it('a slow prune fails neither the tick nor its rotation: it is reported as pruneError', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    const [cert] = await w.recordsOf(w.tool);
    await store.put(w.tool.name, cert!);
    let slow = false;
    const slowStore: DirectoryStore = {
      kind: 'slow',
      put: (n, r) => store.put(n, r),
      list: async (n) => {
        if (slow) await new Promise((r) => setTimeout(r, 400));
        return store.list(n);
      },
      remove: (n, id) => store.remove!(n, id),
    };
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: (r) => store.put(w.tool.name, r),
      keyStore: createMemoryKeyStore(),
      lifetimeSeconds: KEY.lifetime,
      rotateBeforeSeconds: KEY.before,
      propagationDelaySeconds: KEY.delay,
      retentionSeconds: RETENTION,
      maxQueueSeconds: KEY.queue,
      stepTimeoutMs: 200,
      prune: { store: slowStore, trust: w.policy },
      now: createClock(T0).now,
    });
    slow = true;
    const r = await rotator.tick();
    expect(r.rotated).toBeDefined();
    expect((r.pruneError as { code?: string }).code).toBe('ERR_TRANSPORT');
  });

  it('without pruning, a rotator wired with isRevoked keeps ticking past maxRecords (256)', async () => {
    const f = await longRun(createMemoryStore(), 400, false);
    expect(f.rotations).toBe(400);
    expect(f.maxRecords).toBe(401); // the certificate and every key record ever made
    expect(f.resolves).toBe(40);
  });

  it('refuses a prune option it cannot honour', async () => {
    const w = await makeWorld();
    const base = {
      identity: w.tool,
      publish: async () => {},
      keyStore: createMemoryKeyStore(),
      retentionSeconds: 180,
      clockSkewSeconds: 60,
    };
    const store = createMemoryStore();
    const readOnly = { kind: 'ro', put: store.put, list: store.list };
    expect(() =>
      createKeyRotator({ ...base, prune: { store: readOnly, trust: w.policy } }),
    ).toThrow(/"prune.store" expected a DirectoryStore that can remove records/);
    // The HTTP store only reads (the handler serves GET): refused up front, not at every tick.
    const http = createHttpStore('https://directory.example/.well-known/blindwire/directory');
    const refused = (() => {
      try {
        createKeyRotator({ ...base, prune: { store: http, trust: w.policy } });
      } catch (e) {
        return e as { code?: string; message?: string };
      }
    })();
    expect(refused?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(refused?.message).toMatch(/"prune.store" .*the http store is read-only/);
    // a horizon shorter than the clock tolerance would remove records a client may still use
    expect(() =>
      createKeyRotator({ ...base, prune: { store, trust: w.policy, horizonSeconds: 30 } }),
    ).toThrow(/"horizonSeconds" expected whole seconds ≥/);
    expect(() =>
      createKeyRotator({ ...base, prune: { store, trust: w.policy, horizonSeconds: 180 } }),
    ).not.toThrow();
  });
});

const redis = await probeService('redis');
const postgres = await probeService('postgres');

describe.skipIf(redis.skip)('long run with pruning: Redis', () => {
  const client = createClient({ url: 'redis://127.0.0.1:6379' });
  const prefix = `blindwire:test:prune:${randomBytes(6).toString('hex')}:`;
  beforeAll(async () => {
    redis.assertUp();
    await client.connect();
  });
  afterAll(async () => {
    if (!client.isOpen) return;
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(keys);
    await client.quit();
  });

  it(`${ROTATIONS} rotations of short-lived keys: the identity resolves, the records stay bounded`, async () => {
    const f = await longRun(createRedisStore(client, { prefix }), ROTATIONS);
    console.info(`redis long run: ${JSON.stringify(f)}`);
    expect(f.rotations).toBe(ROTATIONS);
    expect(f.resolves).toBe(ROTATIONS / 10);
    expect(f.maxRecords).toBeLessThanOrEqual(BOUND);
  }, 120_000);
});

describe.skipIf(postgres.skip)('long run with pruning: PostgreSQL', () => {
  const schema = `bw_prune_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database: 'test',
    max: 4,
  });
  beforeAll(async () => {
    postgres.assertUp();
    await pool.query(`CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await pool.end();
  });

  it(`${ROTATIONS} rotations of short-lived keys: the identity resolves, the records stay bounded`, async () => {
    const f = await longRun(createPostgresStore(pool, { schema, table: 'records' }), ROTATIONS);
    console.info(`postgres long run: ${JSON.stringify(f)}`);
    expect(f.rotations).toBe(ROTATIONS);
    expect(f.resolves).toBe(ROTATIONS / 10);
    expect(f.maxRecords).toBeLessThanOrEqual(BOUND);
  }, 120_000);
});
