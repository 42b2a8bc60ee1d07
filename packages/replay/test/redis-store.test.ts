/**
 * The Redis replay store against the real Redis on 127.0.0.1:6379, through
 * node-redis 5.0.0 and 6 (latest) and ioredis 5.0.0 and 6 (latest): the
 * contract, the model property, the key layout, a cross-process race, and
 * outages. Every store gets its own key prefix under this run's; the run's
 * keys are deleted afterwards.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { ErrorCode } from '@blindwire/core';
import IoRedis5 from 'ioredis5';
import IoRedis6 from 'ioredis6';
import { createClient as createClient5 } from 'redis5';
import { createClient as createClient6 } from 'redis6';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { probeService, rejection } from '@blindwire/testkit';
import {
  createRedisReplayStore,
  type IoRedisReplayClient,
  type NodeRedisReplayClient,
} from '../src/redis-store.js';
import type { ReplayEntry } from '../src/types.js';
import { entryOf, newToken, nowS, runReplayContract, type MakeStore } from './helpers/contract.js';
import { checkAgainstModel } from './helpers/property.js';
import { built, raceProcesses } from './helpers/race.js';

const URL = 'redis://127.0.0.1:6379';
const redis = await probeService('redis');
const RUN = `bw-replay-test:${randomUUID()}:`;

// Every supported major must fit the store's structural client types (checked by `pnpm typecheck`).
expectTypeOf<ReturnType<typeof createClient5>>().toMatchTypeOf<NodeRedisReplayClient>();
expectTypeOf<ReturnType<typeof createClient6>>().toMatchTypeOf<NodeRedisReplayClient>();
expectTypeOf<IoRedis5>().toMatchTypeOf<IoRedisReplayClient>();
expectTypeOf<IoRedis6>().toMatchTypeOf<IoRedisReplayClient>();

/** Raw access for the tests, through a client of its own. */
const raw = createClient6({ url: URL });

const keyOf = (prefix: string, e: Pick<ReplayEntry, 'messageId' | 'sender'>) =>
  `${prefix}${createHash('sha256').update(e.sender, 'utf8').digest('hex')}:${e.messageId}`;

type Client = NodeRedisReplayClient | IoRedisReplayClient;
interface Variant {
  label: string;
  open(): Promise<Client>;
  close(c: Client): Promise<unknown>;
}

const VARIANTS: Variant[] = [
  {
    label: 'node-redis 6',
    open: () => createClient6({ url: URL }).connect() as Promise<Client>,
    close: (c) => (c as ReturnType<typeof createClient6>).close(),
  },
  {
    label: 'node-redis 5.0.0',
    open: () => createClient5({ url: URL }).connect() as Promise<Client>,
    close: (c) => (c as ReturnType<typeof createClient5>).close(),
  },
  {
    label: 'ioredis 6',
    open: async () => new IoRedis6(URL),
    close: (c) => (c as IoRedis6).quit(),
  },
  {
    label: 'ioredis 5.0.0',
    open: async () => new IoRedis5(URL),
    close: (c) => (c as IoRedis5).quit(),
  },
];

/** A TCP port on 127.0.0.1 where nothing listens. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe.skipIf(redis.skip)('redis replay store', () => {
  beforeAll(async () => {
    redis.assertUp();
    await raw.connect();
  });

  afterAll(async () => {
    if (!redis.up) return;
    for await (const keys of raw.scanIterator({ MATCH: `${RUN}*`, COUNT: 500 }))
      if (keys.length > 0) await raw.del(keys);
    await raw.close();
  });

  describe.each(VARIANTS)('$label', (variant) => {
    let client: Client;
    beforeAll(async () => {
      client = await variant.open();
    });
    afterAll(async () => {
      if (client) await variant.close(client);
    });

    const make: MakeStore = (options = {}) => {
      const prefix = `${RUN}${randomUUID()}:`;
      return {
        store: createRedisReplayStore({ client, prefix, ...options }),
        writeForeign: async (e) => {
          await raw.set(keyOf(prefix, e), 'not a replay value');
        },
      };
    };

    runReplayContract(make, { foreign: true });

    it('answers random operation sequences as the reference model does', async () => {
      await checkAgainstModel((await make()).store);
    });
  });

  describe('layout and retention', () => {
    it('keys prefix + sha256hex(sender) + ":" + id; a lease is "lease:<token>" for leaseMs, done lasts through keepUntil', async () => {
      const client = await createClient6({ url: URL }).connect();
      const prefix = `${RUN}layout:`;
      const store = createRedisReplayStore({ client, prefix });
      const e = entryOf(3600);
      const key = keyOf(prefix, e);
      expect(await store.reserve(e, 5000, 'holder-1')).toBe('reserved');
      expect(await raw.get(key)).toBe('lease:holder-1');
      const ttl = await raw.pTTL(key);
      expect(ttl).toBeGreaterThan(3000);
      expect(ttl).toBeLessThanOrEqual(5000);
      await store.commit(e, 'holder-1');
      expect(await raw.get(key)).toBe('done');
      expect(await raw.pExpireTime(key)).toBe((e.keepUntil + 1) * 1000);
      expect(await raw.keys(`${prefix}*`)).toEqual([key]);
      await client.close();
    });

    it('uses the default prefix blindwire:replay:', async () => {
      const client = await createClient6({ url: URL }).connect();
      const store = createRedisReplayStore({ client });
      const e = { ...entryOf(5), sender: `spiffe://${RUN}default` };
      await store.commit(e, newToken());
      expect(await raw.get(keyOf('blindwire:replay:', e))).toBe('done');
      await raw.del(keyOf('blindwire:replay:', e));
      await client.close();
    });

    it('falls back to EVAL when the server answers NOSCRIPT to EVALSHA', async () => {
      const client = await createClient6({ url: URL }).connect();
      let noScript = 0;
      const forgetful: NodeRedisReplayClient = {
        evalSha: async () => {
          noScript++;
          throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        },
        eval: (script, options) => client.eval(script, options),
      };
      const store = createRedisReplayStore({ client: forgetful, prefix: `${RUN}noscript:` });
      const e = entryOf();
      expect(await store.reserve(e, 60_000, 'a')).toBe('reserved');
      expect(await store.reserve(e, 60_000, 'b')).toBe('in-flight');
      expect(noScript).toBe(2);
      await client.close();
    });
  });

  describe.skipIf(built.skip)('two processes racing', () => {
    beforeAll(() => built.assertBuilt());
    it.each(['node-redis', 'ioredis'] as const)(
      '%s: exactly one process gets "reserved" for each of 300 ids',
      async (kind) => {
        await raceProcesses(kind, { prefix: `${RUN}race-${kind}:` });
      },
    );
  });

  describe('outages are ERR_TRANSPORT with the client error as cause', () => {
    const e = () => entryOf();
    const every = async (store: ReturnType<typeof createRedisReplayStore>) => {
      for (const call of [
        () => store.reserve(e(), 1000, 't'),
        () => store.commit(e(), 't'),
        () => store.release(e(), 't'),
        () => store.has(e().messageId, e().sender),
        () => store.record(e().messageId, nowS() + 60, e().sender),
      ]) {
        const err = await rejection(call);
        expect(err.code).toBe(ErrorCode.Transport);
        expect(err.cause).toBeInstanceOf(Error);
      }
    };

    it.each([
      ['node-redis 6', () => createClient6({ url: URL })],
      ['node-redis 5.0.0', () => createClient5({ url: URL })],
    ])('%s: a closed client', async (_label, create) => {
      const client = await create().connect();
      await client.close();
      await every(createRedisReplayStore({ client }));
    });

    type IoRedisClass = new (options: string | object) => IoRedisReplayClient & {
      ping(): Promise<unknown>;
      disconnect(): void;
    };
    it.each([
      ['ioredis 6', IoRedis6 as IoRedisClass],
      ['ioredis 5.0.0', IoRedis5 as IoRedisClass],
    ])('%s: a client of a dead port, and a disconnected one', async (_label, IoRedis) => {
      const port = await deadPort();
      const dead = new IoRedis({
        host: '127.0.0.1',
        port,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      await every(createRedisReplayStore({ client: dead }));
      dead.disconnect();
      const gone = new IoRedis(URL);
      await gone.ping();
      gone.disconnect();
      await every(createRedisReplayStore({ client: gone }));
    });

    it('a client of neither kind is ERR_INVALID_ARGUMENT', async () => {
      for (const client of [undefined, null, {}, { eval: () => 1 }]) {
        const err = await rejection(() =>
          createRedisReplayStore({ client: client as unknown as IoRedisReplayClient }),
        );
        expect(err.code).toBe(ErrorCode.InvalidArgument);
      }
    });
  });
});
