/**
 * The Redis store against the real Redis on 127.0.0.1:6379, with node-redis
 * v6 (latest) and v5.0.0 (the lowest of the peer range). Each run uses its own
 * random key prefix and deletes its keys afterwards.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ErrorCode } from '@blindwire/core';
import { createClient } from 'redis';
import { createClient as createClientV5 } from 'redis-v5';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { probeService, rejection } from '@blindwire/testkit';
import { createRedisStore, type RedisStoreClient } from '../src/stores/redis-store.js';
import { recordId } from '../src/records/record-id.js';
import { runStoreBasics, runStoreConformance } from './helpers/conformance.js';
import { runLargePrune, runPagedListing } from './helpers/paging.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const redis = await probeService('redis');

/** The raw commands the tests use, the same in node-redis v5 and v6. */
interface RawRedis {
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  hSet(key: string, field: string, value: Buffer | string): Promise<number>;
  set(key: string, value: string): Promise<unknown>;
  del(keys: string[]): Promise<number>;
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
}
type TestClient = RawRedis & RedisStoreClient;

// Both majors must fit the store's structural client type (checked by `pnpm typecheck`).
expectTypeOf<ReturnType<typeof createClient>>().toMatchTypeOf<RedisStoreClient>();
expectTypeOf<ReturnType<typeof createClientV5>>().toMatchTypeOf<RedisStoreClient>();

/**
 * Overwrites the stored bytes of record `id` of `name` behind the store's back
 * (a malicious directory), through the same client. Reusable by the shared
 * conformance suite: `runStoreConformance('redis', makeStore, redisRawOverwrite(client, prefix))`.
 */
export function redisRawOverwrite(
  client: { hSet(key: string, field: string, value: Buffer): Promise<unknown> },
  prefix: string,
) {
  return async (name: string, id: string, bytes: Uint8Array): Promise<void> => {
    await client.hSet(prefix + name, id, Buffer.from(bytes));
  };
}

/** Reads the stored bytes of record `id` of `name` directly (undefined when absent). */
export function redisRawRead(
  client: RedisStoreClient & { withTypeMapping: unknown },
  prefix: string,
) {
  const bin = client.withTypeMapping({ 36: Buffer }) as unknown as {
    hGet(k: string, f: string): Promise<Buffer | null>;
  };
  return async (name: string, id: string): Promise<Uint8Array | undefined> => {
    const v = await bin.hGet(prefix + name, id);
    return v === null ? undefined : new Uint8Array(v);
  };
}

const variants: [string, () => TestClient][] = [
  ['redis@6', () => createClient({ url: REDIS_URL }) as unknown as TestClient],
  ['redis@5', () => createClientV5({ url: REDIS_URL }) as unknown as TestClient],
];

const BINARY = Uint8Array.from([0x00, 0xff, 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x00]);
const ALICE = 'spiffe://acme.example/agents/alice';
const BOB = 'spiffe://acme.example/tools/payments?x=1#ü';

describe.skipIf(redis.skip)('redis store', () => {
  beforeAll(() => redis.assertUp());

  describe.each(variants)('%s', (_label, makeClient) => {
    const prefix = `bw-test:${randomUUID()}:`;
    const client = makeClient();
    const store = createRedisStore(client, { prefix });
    const rawOverwrite = redisRawOverwrite(client, prefix);
    const rawRead = redisRawRead(client, prefix);

    beforeAll(async () => {
      await client.connect();
    });

    afterAll(async () => {
      if (!redis.up) return;
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        if (keys.length > 0) await client.del(keys);
      }
      await client.close();
    });

    it('round-trips binary records (0x00, 0xff) and stores the raw bytes, not an encoding', async () => {
      const other = new Uint8Array(randomBytes(300));
      await store.put(ALICE, BINARY);
      await store.put(ALICE, other);
      const listed = await store.list(ALICE);
      expect(sorted(listed)).toEqual(sorted([BINARY, other]));
      expect(listed.every((r) => Object.getPrototypeOf(r) === Uint8Array.prototype)).toBe(true);
      expect(await rawRead(ALICE, recordId(BINARY))).toEqual(BINARY);
    });

    runStoreBasics(() => ({ store, rawOverwrite, rawRead }), { alice: ALICE, bob: BOB });

    it('accepts a record of exactly 64 KiB and refuses 64 KiB + 1 with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/size`;
      await store.put(name, new Uint8Array(64 * 1024).fill(0xff));
      const e = await rejection(store.put(name, new Uint8Array(64 * 1024 + 1)));
      expect(e.code).toBe(ErrorCode.LimitExceeded);
      expect(await store.list(name)).toHaveLength(1);
    });

    it('lists 1024 records of one name and refuses 1025 with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/flood`;
      for (let i = 0; i < 1024; i++)
        await rawOverwrite(name, i.toString(16).padStart(32, '0'), Uint8Array.of(i & 0xff, i >> 8));
      expect(await store.list(name)).toHaveLength(1024);
      await rawOverwrite(name, 'f'.repeat(32), Uint8Array.of(1));
      expect((await rejection(store.list(name))).code).toBe(ErrorCode.LimitExceeded);
    });

    it('refuses a stored value over 64 KiB with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/huge`;
      await rawOverwrite(name, 'a'.repeat(32), new Uint8Array(64 * 1024 + 1));
      expect((await rejection(store.list(name))).code).toBe(ErrorCode.LimitExceeded);
    });

    it('wraps a server error (WRONGTYPE) in ERR_TRANSPORT with the cause', async () => {
      const name = `${ALICE}/wrongtype`;
      await client.set(prefix + name, 'not a hash');
      const e = await rejection(store.list(name));
      expect(e.code).toBe(ErrorCode.Transport);
      expect(e.message).toMatch(/^redis: /);
      expect(e.cause).toBeInstanceOf(Error);
      expect(String((e.cause as Error).message)).toMatch(/WRONGTYPE/);
    });

    it('checks its arguments', async () => {
      expect((await rejection(store.put('', BINARY))).code).toBe(ErrorCode.InvalidArgument);
      expect((await rejection(store.put(ALICE, 'x' as unknown as Uint8Array))).code).toBe(
        ErrorCode.InvalidArgument,
      );
      expect((await rejection(store.remove(ALICE, 'not-an-id'))).code).toBe(
        ErrorCode.InvalidArgument,
      );
      expect(() => createRedisStore({} as RedisStoreClient)).toThrow(/"client" expected/);
    });

    it('wraps a closed client’s errors in ERR_TRANSPORT with the cause', async () => {
      const closed = makeClient();
      await closed.connect();
      await closed.close();
      const s = createRedisStore(closed, { prefix });
      for (const p of [s.put(ALICE, BINARY), s.list(ALICE), s.remove(ALICE, recordId(BINARY))]) {
        const e = await rejection(p);
        expect(e.code).toBe(ErrorCode.Transport);
        expect(e.cause).toBeInstanceOf(Error);
      }
    });

    describe('paged listing (HSCAN) and pruning past the list limit', () => {
      runPagedListing(() => ({ store }), { name: (x) => `${ALICE}/${x}`, ordered: false });
      it('listPage refuses a cursor that is not a Redis cursor', async () => {
        const e = await rejection(store.listPage(ALICE, { cursor: 'f'.repeat(32) }));
        expect(e.code).toBe(ErrorCode.InvalidArgument);
      });
      // A prefix of its own: the shared one holds other tests' records of the same identity.
      runLargePrune(() => ({ store: createRedisStore(client, { prefix: `${prefix}large:` }) }));
    });

    describe('conformance', () => {
      // A fresh prefix per fixture: each conformance case starts from an empty store.
      runStoreConformance(() => {
        const p = `${prefix}conformance:${randomUUID()}:`;
        return {
          store: createRedisStore(client, { prefix: p }),
          rawOverwrite: redisRawOverwrite(client, p),
        };
      });
    });
  });
});

function sorted(records: Uint8Array[]): string[] {
  return records.map((r) => Buffer.from(r).toString('hex')).sort();
}
