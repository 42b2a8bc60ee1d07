/**
 * The PostgreSQL store against the real server on 127.0.0.1:5432 (database
 * `test`, user `postgres`). Each run works in its own random schema and drops
 * it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@blindwire/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService, rejection } from '@blindwire/testkit';
import { createPostgresStore, POSTGRES_SCHEMA_VERSION } from '../src/stores/postgres-store.js';
import { recordId } from '../src/records/record-id.js';
import { runStoreBasics, runStoreConformance } from './helpers/conformance.js';
import { runLargePrune, runPagedListing } from './helpers/paging.js';

const CONNECTION = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const postgres = await probeService('postgres');

/**
 * Overwrites the stored bytes of record `id` of `name` behind the store's back
 * (a malicious directory), through the caller's pool. `table` is the quoted,
 * schema-qualified table name. Reusable by the shared conformance suite.
 */
export function postgresRawOverwrite(db: pg.Pool, table: string) {
  return async (name: string, id: string, bytes: Uint8Array): Promise<void> => {
    await db.query(`UPDATE ${table} SET record = $3 WHERE name = $1 AND id = $2`, [
      name,
      id,
      Buffer.from(bytes),
    ]);
  };
}

const BINARY = Uint8Array.from([0x00, 0xff, 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x00]);
const ALICE = 'spiffe://acme.example/agents/alice';
const BOB = 'spiffe://acme.example/tools/payments?x=1#ü';

describe.skipIf(postgres.skip)('postgres store', () => {
  const schema = `bw_test_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ ...CONNECTION, max: 8 });
  const store = createPostgresStore(pool, { schema, table: 'records' });
  const table = `"${schema}"."records"`;
  const rawOverwrite = postgresRawOverwrite(pool, table);
  let tables = 0;
  const freshTable = () => `t${++tables}`;

  beforeAll(async () => {
    postgres.assertUp();
    await pool.query(`CREATE SCHEMA ${schema}`);
  });

  afterAll(async () => {
    if (!postgres.up) return;
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  describe('schema and migration', () => {
    it('migrate() creates the v1 table and records its version; running it again changes nothing', async () => {
      await store.migrate();
      await store.migrate();
      const cols = await pool.query(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'records' ORDER BY ordinal_position`,
        [schema],
      );
      expect(cols.rows).toEqual([
        { column_name: 'name', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'id', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'record', data_type: 'bytea', is_nullable: 'NO' },
        { column_name: 'created_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
      ]);
      const pk = await pool.query(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
        [table],
      );
      expect(pk.rows).toEqual([{ def: 'PRIMARY KEY (name, id)' }]);
      const v = await pool.query(
        `SELECT table_name, version FROM "${schema}".blindwire_directory_schema`,
      );
      expect(v.rows).toEqual([{ table_name: 'records', version: POSTGRES_SCHEMA_VERSION }]);
      expect(POSTGRES_SCHEMA_VERSION).toBe(1);
    });

    it('migrates lazily on first use', async () => {
      const t = freshTable();
      const s = createPostgresStore(pool, { schema, table: t });
      await s.put(ALICE, BINARY);
      expect(await s.list(ALICE)).toEqual([BINARY]);
      const v = await pool.query(
        `SELECT version FROM "${schema}".blindwire_directory_schema WHERE table_name = $1`,
        [t],
      );
      expect(v.rows).toEqual([{ version: 1 }]);
    });

    it('concurrent first uses of a new table all succeed (advisory lock)', async () => {
      const t = freshTable();
      const stores = Array.from({ length: 6 }, () =>
        createPostgresStore(pool, { schema, table: t }),
      );
      await Promise.all(stores.map((s, i) => s.put(ALICE, Uint8Array.of(i))));
      expect(await stores[0]!.list(ALICE)).toHaveLength(6);
    });

    it('rolls the whole migration back when a step fails', async () => {
      const broken = `bw_test_${randomBytes(6).toString('hex')}`;
      await pool.query(`CREATE SCHEMA ${broken}`);
      try {
        // A version table without migrated_at: recording the version fails after the table was created.
        await pool.query(
          `CREATE TABLE ${broken}.blindwire_directory_schema (table_name text PRIMARY KEY, version integer NOT NULL)`,
        );
        const s = createPostgresStore(pool, { schema: broken });
        const e = await rejection(s.migrate());
        expect(e.code).toBe(ErrorCode.Transport);
        // The server's own code and message follow (42703: undefined column).
        expect(e.message).toMatch(/^postgres: migration failed: 42703 column "migrated_at" /);
        expect(e.cause).toBeInstanceOf(Error);
        const exists = await pool.query('SELECT to_regclass($1) AS t', [
          `${broken}.blindwire_directory_records`,
        ]);
        expect(exists.rows).toEqual([{ t: null }]);
      } finally {
        await pool.query(`DROP SCHEMA ${broken} CASCADE`);
      }
    });

    it('refuses a table whose schema version is newer than the library (ERR_UNSUPPORTED)', async () => {
      const t = freshTable();
      await createPostgresStore(pool, { schema, table: t }).migrate();
      await pool.query(
        `UPDATE "${schema}".blindwire_directory_schema SET version = 2 WHERE table_name = $1`,
        [t],
      );
      const s = createPostgresStore(pool, { schema, table: t });
      expect((await rejection(s.list(ALICE))).code).toBe(ErrorCode.Unsupported);
    });

    it('accepts only plain lower-case identifiers for table and schema', () => {
      for (const table of [
        'Records',
        'x; DROP TABLE y',
        'a"b',
        '1abc',
        '',
        'a'.repeat(64),
        'ab-c',
      ]) {
        expect(() => createPostgresStore(pool, { table })).toThrow(
          /"options.table" expected a lower-case SQL identifier/,
        );
      }
      expect(() => createPostgresStore(pool, { schema: 'public; --' })).toThrow(/"options.schema"/);
      expect(() =>
        createPostgresStore(pool, { table: 'a'.repeat(63), schema: '_x9' }),
      ).not.toThrow();
    });
  });

  describe('records', () => {
    it('round-trips binary records (0x00, 0xff) and stores the raw bytes in bytea', async () => {
      const other = new Uint8Array(randomBytes(300));
      await store.put(ALICE, BINARY);
      await store.put(ALICE, other);
      const listed = await store.list(ALICE);
      expect(sorted(listed)).toEqual(sorted([BINARY, other]));
      expect(listed.every((r) => Object.getPrototypeOf(r) === Uint8Array.prototype)).toBe(true);
      const raw = await pool.query(`SELECT record FROM ${table} WHERE name = $1 AND id = $2`, [
        ALICE,
        recordId(BINARY),
      ]);
      expect(new Uint8Array(raw.rows[0].record)).toEqual(BINARY);
    });

    runStoreBasics(() => ({ store, rawOverwrite }), { alice: ALICE, bob: BOB });

    it('works over a single pg.Client and over a checked-out PoolClient', async () => {
      const client = new pg.Client(CONNECTION);
      await client.connect();
      const checkedOut = await pool.connect();
      try {
        for (const db of [client, checkedOut]) {
          const s = createPostgresStore(db, { schema, table: freshTable() });
          await s.migrate();
          await s.put(ALICE, BINARY);
          expect(await s.list(ALICE)).toEqual([BINARY]);
        }
      } finally {
        checkedOut.release();
        await client.end();
      }
    });
  });

  describe('limits and errors', () => {
    it('accepts a record of exactly 64 KiB and refuses 64 KiB + 1 with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/size`;
      await store.put(name, new Uint8Array(64 * 1024).fill(0xff));
      expect((await rejection(store.put(name, new Uint8Array(64 * 1024 + 1)))).code).toBe(
        ErrorCode.LimitExceeded,
      );
      expect(await store.list(name)).toHaveLength(1);
    });

    it('lists 1024 records of one name and refuses 1025 with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/flood`;
      await pool.query(
        `INSERT INTO ${table} (name, id, record) SELECT $1, lpad(to_hex(g), 32, '0'), int4send(g) FROM generate_series(1, 1024) g`,
        [name],
      );
      expect(await store.list(name)).toHaveLength(1024);
      await pool.query(`INSERT INTO ${table} (name, id, record) VALUES ($1, $2, '\\x01')`, [
        name,
        'f'.repeat(32),
      ]);
      expect((await rejection(store.list(name))).code).toBe(ErrorCode.LimitExceeded);
    });

    it('refuses a stored value over 64 KiB with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/huge`;
      await pool.query(`INSERT INTO ${table} (name, id, record) VALUES ($1, $2, $3)`, [
        name,
        'a'.repeat(32),
        Buffer.alloc(64 * 1024 + 1),
      ]);
      expect((await rejection(store.list(name))).code).toBe(ErrorCode.LimitExceeded);
    });

    it('checks its arguments', async () => {
      expect((await rejection(store.put('', BINARY))).code).toBe(ErrorCode.InvalidArgument);
      expect((await rejection(store.put(ALICE, [1, 2] as unknown as Uint8Array))).code).toBe(
        ErrorCode.InvalidArgument,
      );
      expect((await rejection(store.remove(ALICE, 'ABC'))).code).toBe(ErrorCode.InvalidArgument);
    });

    it('wraps a server error in ERR_TRANSPORT with the cause (NUL in a text column)', async () => {
      const e = await rejection(store.put('spiffe://acme.example/\u0000', BINARY));
      expect(e.code).toBe(ErrorCode.Transport);
      expect(e.message).toMatch(/^postgres: storing a record failed: 22021 invalid byte sequence /);
      expect(e.cause).toBeInstanceOf(Error);
    });

    it('wraps an ended pool’s and an ended client’s errors in ERR_TRANSPORT with the cause', async () => {
      const ended = new pg.Pool(CONNECTION);
      await ended.end();
      const client = new pg.Client(CONNECTION);
      await client.connect();
      await client.end();
      for (const db of [ended, client]) {
        const s = createPostgresStore(db, { schema, table: 'records' });
        for (const p of [
          s.put(ALICE, BINARY),
          s.list(ALICE),
          s.remove(ALICE, recordId(BINARY)),
          s.migrate(),
        ]) {
          const e = await rejection(p);
          expect(e.code).toBe(ErrorCode.Transport);
          expect(e.message).toMatch(/^postgres: /);
          expect(e.cause).toBeInstanceOf(Error);
        }
      }
    });
  });

  describe('paged listing (keyset on the primary key) and pruning past the list limit', () => {
    runPagedListing(() => ({ store }), { name: (x) => `${ALICE}/${x}`, ordered: true });
    it('listPage is an index range scan on the primary key', async () => {
      await store.migrate();
      const c = await pool.connect();
      try {
        await c.query('SET enable_seqscan = off'); // the plan, not this small table, is the question
        await c.query('SET enable_sort = off');
        const plan = await c.query(
          `EXPLAIN SELECT id, record FROM ${table} WHERE name = $1 AND id > $2 ORDER BY id LIMIT 257`,
          [ALICE, ''],
        );
        const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(text).toMatch(/Index Scan using records_pkey/);
        expect(text).not.toMatch(/Sort/);
      } finally {
        c.release(true); // the session settings go with the connection
      }
    });
    // A table of its own: the shared one holds other tests' records of the same identity.
    runLargePrune(() => ({ store: createPostgresStore(pool, { schema, table: freshTable() }) }));
  });

  describe('conformance', () => {
    // A fresh table per fixture: each conformance case starts from an empty store.
    runStoreConformance(() => {
      const t = freshTable();
      return {
        store: createPostgresStore(pool, { schema, table: t }),
        rawOverwrite: postgresRawOverwrite(pool, `"${schema}"."${t}"`),
      };
    });
  });
});

function sorted(records: Uint8Array[]): string[] {
  return records.map((r) => Buffer.from(r).toString('hex')).sort();
}
