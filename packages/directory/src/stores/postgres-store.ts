/**
 * Directory store on PostgreSQL (SPEC.md §11.5), through a `pg` Pool or Client that the caller
 * created (and, for a Client, connected). Untrusted storage like every store:
 * raw signed records in, raw records out; verification happens once,
 * elsewhere, for all adapters (design.md §2, §5).
 *
 * Schema v1 (`<schema>.` only when `options.schema` is given):
 *
 *   CREATE TABLE <schema>.<table> (
 *     name       text        NOT NULL,                -- identity name
 *     id         text        NOT NULL,                -- recordId(record), 32 hex
 *     record     bytea       NOT NULL,                -- the signed record, raw
 *     created_at timestamptz NOT NULL DEFAULT now(),
 *     PRIMARY KEY (name, id)
 *   );
 *   CREATE TABLE <schema>.blindwire_directory_schema (
 *     table_name  text        PRIMARY KEY,            -- <table>
 *     version     integer     NOT NULL,               -- 1
 *     migrated_at timestamptz NOT NULL DEFAULT now()
 *   );
 *
 * The primary key's b-tree leads with `name`, so it is the index that serves
 * `list(name)`; a second index on `name` alone would only slow writes.
 *
 * Migration: `migrate()` takes a transaction-scoped advisory lock (so
 * concurrent starts serialise), reads the table's version from
 * `blindwire_directory_schema` (0 when absent), runs each step of `MIGRATIONS`
 * above it, records the new version and commits; any failure rolls the whole
 * migration back. Steps use `IF NOT EXISTS` so a table created by hand from the
 * SQL above is adopted. A version newer than this library knows is refused
 * (`ERR_UNSUPPORTED`) rather than used. To add v2, append a step: never edit one.
 *
 * On first use the store checks the version with two reads and runs
 * `migrate()` only when the table is missing or older, so an application role
 * without DDL rights works once a deploy step has called `migrate()`. With a
 * Pool, migration runs on a connection of its own; with a single Client it
 * runs BEGIN/COMMIT on that connection, so call `migrate()` at start-up,
 * outside any transaction of yours.
 *
 * `listPage` is keyset pagination on the primary key: `WHERE name = $1 AND
 * id > <cursor> ORDER BY id LIMIT n`, the cursor being the last id of a page,
 * so each page is one index range scan however many records the name holds.
 * `removeMany` is one `DELETE ... id = ANY($2)`.
 *
 * Limits: `put` refuses records over 64 KiB and `list` refuses a name with
 * more than 1024 records (or a stored value over 64 KiB), with `ERR_LIMIT_EXCEEDED`.
 *
 * @module @blindwire/directory/postgres
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { recordId } from '../records/record-id.js';
import type { DirectoryStore, RecordPage } from './directory-store.js';
import {
  MAX_STORED_RECORD_BYTES,
  MAX_RECORDS_PER_NAME,
  assertIdCursor,
  checkPageOptions,
  invalidArgument,
  assertName,
  assertId,
  assertRecord,
  transportError,
  transportFor,
} from './common.js';

const transport = transportFor('postgres');

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const VERSION_TABLE = 'blindwire_directory_schema';

/** Fully quoted names a migration step works on. */
interface Names {
  /** The records table, e.g. `"directory"."blindwire_directory_records"`. */
  records: string;
}

/** Schema steps, in order; step i brings the table to version i + 1. Append only. */
const MIGRATIONS: readonly ((n: Names) => string[])[] = [
  (n) => [
    `CREATE TABLE IF NOT EXISTS ${n.records} (
      name text NOT NULL,
      id text NOT NULL,
      record bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (name, id)
    )`,
  ],
];

/** The schema version this library creates and reads. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

interface QueryResultLike {
  rows: Record<string, unknown>[];
}

/** A connected `pg.Client` or a `pg.PoolClient`: anything with `query(text, values)`. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<QueryResultLike>;
}

/** A `pg.Pool`. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgQueryable & { release(destroy?: boolean | Error): void }>;
  readonly totalCount: number;
}

/** Options of `createPostgresStore`. */
export interface PostgresStoreOptions {
  /** Records table, `^[a-z_][a-z0-9_]{0,62}$`. Default `blindwire_directory_records`. */
  table?: string;
  /** Schema holding the table and the version table; must exist. Default: the search_path. */
  schema?: string;
}

/** A directory store on PostgreSQL (`createPostgresStore`), with paging and removal. */
export interface PostgresStore extends DirectoryStore {
  listPage: NonNullable<DirectoryStore['listPage']>;
  remove(name: string, id: string): Promise<void>;
  removeMany: NonNullable<DirectoryStore['removeMany']>;
  /** Creates or upgrades the table to `POSTGRES_SCHEMA_VERSION`. Idempotent. */
  migrate(): Promise<void>;
}

/** Where a store's tables are: the records table (quoted, qualified) and the version table. */
interface Tables {
  names: Names;
  versions: string;
  /** The records table's name as stored in the version table. */
  table: string;
  schema: string | undefined;
}

/** Creates or upgrades the records table to POSTGRES_SCHEMA_VERSION, under a per-schema lock. */
async function migrateTables(db: PgPool | PgQueryable, tb: Tables): Promise<void> {
  const { names, versions, table } = tb;
  await inTransaction(db, async (c) => {
    // One lock per schema: migrations of any table there, and the version table's creation, serialise.
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `blindwire_directory:${tb.schema ?? ''}`,
    ]);
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${versions} (
        table_name text PRIMARY KEY,
        version integer NOT NULL,
        migrated_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const r = await c.query(`SELECT version FROM ${versions} WHERE table_name = $1`, [table]);
    const current = Number(r.rows[0]?.version ?? 0);
    if (current > POSTGRES_SCHEMA_VERSION) {
      throw new BlindwireError(
        ErrorCode.Unsupported,
        `postgres: table schema v${current} is newer than this library's v${POSTGRES_SCHEMA_VERSION}`,
      );
    }
    for (const step of MIGRATIONS.slice(current)) {
      for (const sql of step(names)) await c.query(sql);
    }
    if (current < POSTGRES_SCHEMA_VERSION) {
      await c.query(
        `INSERT INTO ${versions} (table_name, version) VALUES ($1, $2)
         ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version, migrated_at = now()`,
        [table, POSTGRES_SCHEMA_VERSION],
      );
    }
  });
}

/** Migrates unless the version table already says the records table is current. */
async function checkOrMigrate(db: PgPool | PgQueryable, tb: Tables): Promise<void> {
  const { versions, table } = tb;
  const present = await transport('checking the schema version', () =>
    db.query('SELECT to_regclass($1) IS NOT NULL AS present', [versions]),
  );
  if (present.rows[0]?.present === true) {
    const r = await transport('checking the schema version', () =>
      db.query(`SELECT version FROM ${versions} WHERE table_name = $1`, [table]),
    );
    if (r.rows[0]?.version === POSTGRES_SCHEMA_VERSION) return;
  }
  await migrateTables(db, tb);
}

/** The records of listed rows: copies, as plain Uint8Arrays, within the stored-record limit. */
function recordsOf(rows: { record?: unknown }[]): Uint8Array[] {
  return rows.map((row) => {
    const v = row.record;
    // pg returns bytea as a Buffer unless the caller installed another type parser (OID 17).
    if (!(v instanceof Uint8Array)) {
      throw new BlindwireError(
        ErrorCode.Transport,
        'postgres: bytea column did not read as bytes (custom type parser?)',
      );
    }
    if (v.length > MAX_STORED_RECORD_BYTES) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `postgres: a stored record exceeds ${MAX_STORED_RECORD_BYTES} bytes`,
      );
    }
    return new Uint8Array(v); // a copy, and a plain Uint8Array rather than a Buffer
  });
}

/** Every record of `name` in table `t`: more than MAX_RECORDS_PER_NAME is ERR_LIMIT_EXCEEDED. */
async function listRecords(db: PgQueryable, t: string, name: string): Promise<Uint8Array[]> {
  const r = await transport('listing records', () =>
    db.query(`SELECT record FROM ${t} WHERE name = $1 ORDER BY id LIMIT $2`, [
      name,
      MAX_RECORDS_PER_NAME + 1,
    ]),
  );
  if (r.rows.length > MAX_RECORDS_PER_NAME) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `postgres: more than ${MAX_RECORDS_PER_NAME} records stored for one name`,
    );
  }
  return recordsOf(r.rows);
}

/**
 * One page of `name`'s records in table `t` (SPEC.md §11.5): keyset
 * pagination on the primary key, one more row than the page telling whether
 * another follows.
 */
async function listRecordPage(
  db: PgQueryable,
  t: string,
  name: string,
  { cursor, limit }: { cursor: string | undefined; limit: number },
): Promise<RecordPage> {
  const r = await transport('listing a page of records', () =>
    db.query(`SELECT id, record FROM ${t} WHERE name = $1 AND id > $2 ORDER BY id LIMIT $3`, [
      name,
      cursor ?? '',
      limit + 1,
    ]),
  );
  const rows = r.rows.slice(0, limit);
  const records = recordsOf(rows);
  if (r.rows.length <= limit) return { records };
  const last = rows[rows.length - 1]!['id'];
  if (typeof last !== 'string')
    throw new BlindwireError(ErrorCode.Transport, 'postgres: id column did not read as text');
  return { records, cursor: last };
}

/**
 * A directory store on PostgreSQL (SPEC.md §11.5), through the caller's `pg` Pool or connected
 * Client. Untrusted like every store.
 */
export function createPostgresStore(
  db: PgPool | PgQueryable,
  options: PostgresStoreOptions = {},
): PostgresStore {
  const table = options.table ?? 'blindwire_directory_records';
  assertIdentifier('options.table', table);
  if (options.schema !== undefined) assertIdentifier('options.schema', options.schema);
  if (typeof db?.query !== 'function') throw invalidArgument('db', 'a pg Pool or Client');
  const qualify = (t: string) =>
    options.schema === undefined ? `"${t}"` : `"${options.schema}"."${t}"`;
  const names: Names = { records: qualify(table) };
  const versions = qualify(VERSION_TABLE);
  const t = names.records;

  let ready: Promise<void> | undefined;
  const ensureReady = (): Promise<void> => {
    ready ??= checkOrMigrate(db, tables).catch((e: unknown) => {
      ready = undefined; // retry on the next call rather than caching a failure
      throw e;
    });
    return ready;
  };

  const tables: Tables = { names, versions, table, schema: options.schema };
  const migrate = async (): Promise<void> => {
    await migrateTables(db, tables);
    ready = Promise.resolve();
  };

  return {
    kind: 'postgres',
    migrate,
    async put(name, record) {
      assertName(name);
      assertRecord(record);
      await ensureReady();
      const value = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
      // Same id, other bytes (a tampered row): the put restores the record. Same bytes: no write.
      await transport('storing a record', () =>
        db.query(
          `INSERT INTO ${t} AS r (name, id, record) VALUES ($1, $2, $3)
           ON CONFLICT (name, id) DO UPDATE SET record = EXCLUDED.record
           WHERE r.record IS DISTINCT FROM EXCLUDED.record`,
          [name, recordId(record), value],
        ),
      );
    },
    async list(name) {
      assertName(name);
      await ensureReady();
      return listRecords(db, t, name);
    },
    async listPage(name, options) {
      assertName(name);
      const page = checkPageOptions(options);
      assertIdCursor(page.cursor);
      await ensureReady();
      return listRecordPage(db, t, name, page);
    },
    async remove(name, id) {
      assertName(name);
      assertId(id);
      await ensureReady();
      await transport('removing a record', () =>
        db.query(`DELETE FROM ${t} WHERE name = $1 AND id = $2`, [name, id]),
      );
    },
    async removeMany(name, ids) {
      assertName(name);
      if (!Array.isArray(ids)) throw invalidArgument('ids', 'an array of record ids');
      ids.forEach(assertId);
      if (ids.length === 0) return;
      await ensureReady();
      const all = [...ids];
      await transport('removing records', () =>
        db.query(`DELETE FROM ${t} WHERE name = $1 AND id = ANY($2::text[])`, [name, all]),
      );
    },
  };
}

function isPool(db: PgPool | PgQueryable): db is PgPool {
  // A checked-out PoolClient has release(); a Pool has connect() and the documented totalCount.
  return (
    typeof (db as PgPool).connect === 'function' && typeof (db as PgPool).totalCount === 'number'
  );
}

/** Runs `body` inside BEGIN/COMMIT on one connection; rolls back on any failure. */
async function inTransaction(
  db: PgPool | PgQueryable,
  body: (c: PgQueryable) => Promise<void>,
): Promise<void> {
  const pooled = isPool(db)
    ? await transport('migration: connecting', () => db.connect())
    : undefined;
  const c = pooled ?? db;
  let broken = false;
  try {
    await transport('migration: BEGIN', () => c.query('BEGIN'));
    try {
      await body(c);
      await c.query('COMMIT');
    } catch (e) {
      try {
        await c.query('ROLLBACK');
      } catch {
        broken = true; // the original error is the one to report; the connection is discarded below
      }
      throw e;
    }
  } catch (e) {
    if (e instanceof BlindwireError) throw e;
    throw transportError('postgres: migration failed', e);
  } finally {
    pooled?.release(broken);
  }
}

function assertIdentifier(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw invalidArgument(
      name,
      'a lower-case SQL identifier matching ^[a-z_][a-z0-9_]{0,62}$',
      JSON.stringify(value),
    );
  }
}
