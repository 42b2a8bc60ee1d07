/**
 * The PostgreSQL replay store against the real server on 127.0.0.1:5432
 * (database `test`, user `postgres`), through pg 8 (latest) and pg 8.0.3, with
 * a Pool and with a Client: the contract, the model property, the table
 * layout, schema creation under concurrency, sweep, a cross-process race and
 * outages. Each run works in its own random schema and drops it afterwards;
 * each store gets a table of its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { ErrorCode } from '@blindwire/core';
import pg from 'pg';
import pg803 from 'pg8-0-3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService, rejection } from '@blindwire/testkit';
import {
  createPostgresReplayStore,
  type PgPool,
  type PostgresReplayStore,
} from '../src/postgres-store.js';
import { entryOf, newToken, nowS, runReplayContract, type MakeStore } from './helpers/contract.js';
import { checkAgainstModel } from './helpers/property.js';
import { built, raceProcesses } from './helpers/race.js';

const CONNECTION = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const postgres = await probeService('postgres');
const SCHEMA = `bw_replay_${randomBytes(6).toString('hex')}`;
let tables = 0;
const freshTable = () => `t${++tables}`;
const sha256hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe.skipIf(postgres.skip)('postgres replay store', () => {
  const pool = new pg.Pool({ ...CONNECTION, max: 8 });
  const pool803 = new pg803.Pool({ ...CONNECTION, max: 4 }) as unknown as PgPool;
  const client = new pg.Client(CONNECTION);

  beforeAll(async () => {
    postgres.assertUp();
    await pool.query(`CREATE SCHEMA ${SCHEMA}`);
    await client.connect();
  });

  afterAll(async () => {
    if (!postgres.up) return;
    await client.end();
    await (pool803 as unknown as pg.Pool).end();
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await pool.end();
  });

  const over =
    (db: { pool: PgPool } | { client: pg.Client }): MakeStore =>
    (options = {}) => ({
      store: createPostgresReplayStore({ ...db, schema: SCHEMA, table: freshTable(), ...options }),
    });

  describe.each([
    ['pg 8 (latest), Pool', () => over({ pool })],
    ['pg 8 (latest), Client', () => over({ client })],
    ['pg 8.0.3, Pool', () => over({ pool: pool803 })],
  ])('%s', (_label, makeOver) => {
    const make = makeOver();
    runReplayContract(make);

    it('answers random operation sequences as the reference model does', async () => {
      await checkAgainstModel((await make()).store);
    });
  });

  describe('layout', () => {
    it('one row per (sha256hex(sender), id): the lease on the server clock, then done with keep_until', async () => {
      const table = freshTable();
      const store = createPostgresReplayStore({ pool, schema: SCHEMA, table });
      const e = entryOf(3600);
      expect(await store.reserve(e, 5000, 'holder-1')).toBe('reserved');
      const q = `SELECT sender_hash, message_id, lease_token, keep_until,
        extract(epoch FROM lease_until - clock_timestamp()) * 1000 AS left_ms
        FROM ${SCHEMA}.${table}`;
      const leased = (await pool.query(q)).rows;
      expect(leased).toHaveLength(1);
      expect(leased[0]).toMatchObject({
        sender_hash: sha256hex(e.sender),
        message_id: e.messageId,
        lease_token: 'holder-1',
        keep_until: String(e.keepUntil),
      });
      expect(Number(leased[0].left_ms)).toBeGreaterThan(3000);
      expect(Number(leased[0].left_ms)).toBeLessThanOrEqual(5000);
      await store.commit(e, 'holder-1');
      const done = (await pool.query(q)).rows;
      expect(done[0]).toMatchObject({ lease_token: null, keep_until: String(e.keepUntil) });
      const indexes = await pool.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY 1`,
        [SCHEMA, table],
      );
      expect(indexes.rows.map((r) => r.indexname)).toEqual([
        `${table}_keep_until`,
        `${table}_pkey`,
      ]);
    });
  });

  describe('schema', () => {
    it('ensureSchema is idempotent and adopts an existing table', async () => {
      const table = freshTable();
      const store = createPostgresReplayStore({ pool, schema: SCHEMA, table });
      await store.ensureSchema();
      await store.commit(entryOf(), newToken());
      await store.ensureSchema();
      const again = createPostgresReplayStore({ client, schema: SCHEMA, table });
      await again.ensureSchema();
      expect(
        (await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.${table}`)).rows[0].n,
      ).toBe(1);
    });

    it('concurrent first use by many stores and connections creates the table once, without error', async () => {
      for (let round = 0; round < 3; round++) {
        const table = freshTable();
        const pools = Array.from({ length: 4 }, () => new pg.Pool({ ...CONNECTION, max: 2 }));
        const stores = pools.flatMap((p) =>
          [0, 1].map(() => createPostgresReplayStore({ pool: p, schema: SCHEMA, table })),
        );
        const e = entryOf();
        const answers = await Promise.all(stores.map((s) => s.reserve(e, 60_000, newToken())));
        expect(answers.filter((a) => a === 'reserved')).toHaveLength(1);
        await Promise.all(pools.map((p) => p.end()));
      }
    });

    it('refuses table and schema names that are not plain identifiers, and a pool with a client', () => {
      for (const table of ['', 'Upper', 'a-b', 'a"b', 'x'.repeat(49), 'a.b', '1abc']) {
        expect(() => createPostgresReplayStore({ pool, table })).toThrow(
          expect.objectContaining({ code: ErrorCode.InvalidArgument }),
        );
      }
      expect(() => createPostgresReplayStore({ pool, schema: 'bad schema' })).toThrow(
        expect.objectContaining({ code: ErrorCode.InvalidArgument }),
      );
      for (const options of [{}, { pool, client }, { pool: {} as PgPool }]) {
        expect(() => createPostgresReplayStore(options)).toThrow(
          expect.objectContaining({ code: ErrorCode.InvalidArgument }),
        );
      }
    });
  });

  describe('sweep', () => {
    it('deletes rows past keep_until whose lease ended, in bounded batches, and nothing live', async () => {
      const table = freshTable();
      const store: PostgresReplayStore = createPostgresReplayStore({ pool, schema: SCHEMA, table });
      const t = `${SCHEMA}.${table}`;
      const past = Array.from({ length: 5 }, () => entryOf(-10));
      for (const e of past) await store.commit(e, newToken());
      const live = [entryOf(3600), entryOf(3600)];
      await store.commit(live[0]!, newToken());
      await store.reserve(live[1]!, 60_000, newToken());
      const heldPast = entryOf(-10); // a live lease on an entry past keep_until: not swept
      await store.reserve(heldPast, 60_000, newToken());
      const endedPast = entryOf(-10);
      await store.reserve(endedPast, 1, newToken());
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.sweep({ batchSize: 2, maxBatches: 1 })).toEqual({
        deleted: 2,
        more: true,
      });
      expect(await store.sweep({ batchSize: 2 })).toEqual({ deleted: 4, more: false });
      const left = await pool.query(`SELECT message_id FROM ${t} ORDER BY 1`);
      const want = [live[0]!, live[1]!, heldPast].map((e) => e.messageId).sort();
      expect(left.rows.map((r) => r.message_id)).toEqual(want);
      expect(await store.has(live[0]!.messageId, live[0]!.sender)).toBe(true);
      for (const bad of [{ batchSize: 0 }, { batchSize: 1.5 }, { maxBatches: 0 }]) {
        expect((await rejection(store.sweep(bad))).code).toBe(ErrorCode.InvalidArgument);
      }
    });
  });

  describe.skipIf(built.skip)('processes racing', () => {
    beforeAll(() => built.assertBuilt());
    it('three processes, each with its own pool, on a table none has created yet: one "reserved" per id', async () => {
      await raceProcesses('postgres', {
        connection: CONNECTION,
        schema: SCHEMA,
        table: freshTable(),
      });
    });
  });

  describe('outages are ERR_TRANSPORT with the client error as cause', () => {
    const every = async (store: PostgresReplayStore) => {
      const e = entryOf();
      for (const call of [
        () => store.reserve(e, 1000, 't'),
        () => store.commit(e, 't'),
        () => store.release(e, 't'),
        () => store.has(e.messageId, e.sender),
        () => store.record(e.messageId, nowS() + 60, e.sender),
        () => store.ensureSchema(),
        () => store.sweep(),
      ]) {
        const err = await rejection(call);
        expect(err.code).toBe(ErrorCode.Transport);
        expect(err.cause).toBeInstanceOf(Error);
      }
    };

    it('a pool of a dead port', async () => {
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      await new Promise<void>((r) => server.close(() => r()));
      const dead = new pg.Pool({ ...CONNECTION, port, connectionTimeoutMillis: 2000 });
      await every(createPostgresReplayStore({ pool: dead, schema: SCHEMA, table: freshTable() }));
      await dead.end();
    });

    it('an ended client, before and after the table exists', async () => {
      const table = freshTable();
      const c = new pg.Client(CONNECTION);
      await c.connect();
      const store = createPostgresReplayStore({ client: c, schema: SCHEMA, table });
      await store.ensureSchema();
      await c.end();
      await every(store);
      const late = new pg.Client(CONNECTION);
      await late.connect();
      await late.end();
      await every(createPostgresReplayStore({ client: late, schema: SCHEMA, table: freshTable() }));
    });
  });
});
