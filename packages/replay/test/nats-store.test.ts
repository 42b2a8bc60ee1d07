/**
 * The NATS JetStream KV replay store against the real nats-server (2.9, with
 * JetStream) on 127.0.0.1:4222, through @nats-io/kv 3 (latest) and 3.0.0: the
 * contract, the model property, the key and value layout, a cross-process
 * race, and outages. Every store gets a bucket of its own; the run's buckets
 * are destroyed afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode } from '@blindwire/core';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm as Kvm30 } from 'nats-kv3-0';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { probeService, rejection } from '@blindwire/testkit';
import { createNatsKvReplayStore, type NatsKvLike } from '../src/nats-store.js';
import type { ReplayEntry, ReplayStore } from '../src/types.js';
import { entryOf, newToken, nowS, runReplayContract, type MakeStore } from './helpers/contract.js';
import { checkAgainstModel } from './helpers/property.js';
import { built, raceProcesses } from './helpers/race.js';

const SERVERS = '127.0.0.1:4222';
const nats = await probeService('nats');
const RUN = randomBytes(4).toString('hex');
let buckets = 0;
const freshBucket = () => `bw_replay_${RUN}_${++buckets}`;

// Both ends of the range must fit the store's structural bucket type (checked by `pnpm typecheck`).
expectTypeOf<KV>().toMatchTypeOf<NatsKvLike>();
expectTypeOf<Awaited<ReturnType<Kvm30['open']>>>().toMatchTypeOf<NatsKvLike>();

const keyOf = (e: Pick<ReplayEntry, 'messageId' | 'sender'>) =>
  `${createHash('sha256').update(e.sender, 'utf8').digest('hex')}.${e.messageId}`;
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe.skipIf(nats.skip)('nats kv replay store', () => {
  let nc: NatsConnection;
  const opened: string[] = [];

  beforeAll(async () => {
    nats.assertUp();
    nc = await connect({ servers: SERVERS });
  });

  afterAll(async () => {
    if (!nc) return;
    const kvm = new Kvm(nc);
    // A case may have destroyed its bucket already.
    for (const name of opened)
      await kvm
        .open(name)
        .then((b) => b.destroy())
        .catch(() => undefined);
    await nc.close();
  });

  /** A fresh bucket (history 1, one day max_age) through `kvm` (either version's Kvm). */
  async function bucket(version: 'latest' | '3.0.0'): Promise<KV> {
    const name = freshBucket();
    opened.push(name);
    const options = { history: 1, ttl: 86_400_000 };
    if (version === 'latest') return new Kvm(nc).create(name, options);
    const kvm30 = new Kvm30(nc as unknown as ConstructorParameters<typeof Kvm30>[0]);
    return (await kvm30.create(name, options)) as unknown as KV;
  }

  describe.each(['latest', '3.0.0'] as const)('@nats-io/kv %s', (version) => {
    const make: MakeStore = async (options = {}) => {
      const kv = await bucket(version);
      return {
        store: createNatsKvReplayStore({ kv, ...options }),
        writeForeign: async (e) => {
          await kv.put(keyOf(e), 'not a replay value');
        },
      };
    };

    runReplayContract(make, { foreign: true });

    it('answers random operation sequences as the reference model does', async () => {
      await checkAgainstModel((await make()).store);
    });
  });

  describe('layout', () => {
    it('keys <sha256hex(sender)>.<id>; values are versioned JSON, a lease then done', async () => {
      const kv = await bucket('latest');
      const store = createNatsKvReplayStore({ kv });
      const e = entryOf(3600);
      expect(await store.reserve(e, 5000, 'holder-1')).toBe('reserved');
      expect(JSON.parse(text((await kv.get(keyOf(e)))?.value))).toEqual({
        v: 1,
        s: 'lease',
        t: 'holder-1',
        l: 5000,
      });
      await store.commit(e, 'holder-1');
      expect(JSON.parse(text((await kv.get(keyOf(e)))?.value))).toEqual({
        v: 1,
        s: 'done',
        k: e.keepUntil,
      });
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      expect(keys).toEqual([keyOf(e)]);
    });

    it('a released (deleted) or purged key is absent: the next reserve takes it', async () => {
      const kv = await bucket('latest');
      const store = createNatsKvReplayStore({ kv });
      const e = entryOf();
      expect(await store.reserve(e, 60_000, 'a')).toBe('reserved');
      await store.release(e, 'a');
      expect((await kv.get(keyOf(e)))?.operation).toBe('DEL');
      expect(await store.reserve(e, 60_000, 'b')).toBe('reserved');
      await kv.purge(keyOf(e));
      expect(await store.reserve(e, 60_000, 'c')).toBe('reserved');
      await store.commit(e, 'c');
      expect(await store.has(e.messageId, e.sender)).toBe(true);
    });
  });

  describe.skipIf(built.skip)('processes racing', () => {
    beforeAll(() => built.assertBuilt());
    it('three processes with their own connections: exactly one "reserved" per id', async () => {
      const name = freshBucket();
      opened.push(name);
      await new Kvm(nc).create(name, { history: 1 });
      await raceProcesses('nats', { bucket: name }, 200);
    });
  });

  describe('outages are ERR_TRANSPORT with the client error as cause', () => {
    const every = async (store: ReplayStore) => {
      const e = entryOf();
      for (const call of [
        () => store.reserve(e, 1000, 't'),
        () => store.commit(e, 't'),
        () => store.release(e, 't'),
        () => store.has(e.messageId, e.sender),
        () => store.record(e.messageId, nowS() + 60, e.sender),
      ]) {
        const err = await rejection(call);
        expect(err.code).toBe(ErrorCode.Transport);
        expect(err.cause).toBeInstanceOf(Error);
      }
    };

    it('a bucket whose connection was closed', async () => {
      const own = await connect({ servers: SERVERS });
      const name = freshBucket();
      opened.push(name);
      const kv = await new Kvm(own).create(name, { history: 1 });
      const store = createNatsKvReplayStore({ kv });
      await store.commit(entryOf(), newToken());
      await own.close();
      await every(store);
    });

    it('a bucket that was destroyed', async () => {
      const kv = await bucket('latest');
      const store = createNatsKvReplayStore({ kv });
      await kv.destroy();
      await every(store);
    });

    it('a bucket of another shape is ERR_INVALID_ARGUMENT', () => {
      for (const kv of [undefined, null, {}, { get: () => null }]) {
        expect(() => createNatsKvReplayStore({ kv: kv as unknown as NatsKvLike })).toThrow(
          expect.objectContaining({ code: ErrorCode.InvalidArgument }),
        );
      }
    });
  });
});
