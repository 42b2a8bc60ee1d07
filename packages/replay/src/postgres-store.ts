/**
 * A replay reservation store on PostgreSQL (SPEC.md §7 step 18), through a
 * `pg` (8) Pool or a connected Client of the caller's. Table layout and the
 * statements: `postgres-sql.ts`.
 *
 * Atomicity: `reserve` is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE`
 * statement. PostgreSQL inserts the row or locks the conflicting one and
 * evaluates the WHERE on its latest committed version, so of concurrent
 * reserves of one key exactly one inserts or takes the row while it is absent
 * or no longer live; the others see it live. Leases and retention use the
 * server's clock only.
 *
 * Schema: on first use the store looks the table up (`to_regclass`, no DDL
 * rights needed) and creates it when missing; `ensureSchema()` does the same
 * on demand. Creation runs under a session advisory lock on one connection,
 * so concurrent first uses (many processes starting at once) serialise
 * instead of racing in `CREATE TABLE IF NOT EXISTS`.
 *
 * Retention: rows stay until `sweep()` deletes the ones past keep_until, in
 * batches (call it periodically, e.g. every few minutes from one process).
 */
import {
  invalidArgument,
  recordSkewOf,
  senderHash,
  transportFor,
  unexpected,
  checkedStore,
} from './checks.js';
import { replaySql, type ReplaySql } from './postgres-sql.js';
import type { ReplayEntry, ReplayStore, ReserveAnswer } from './types.js';

const STORE = 'postgres replay store';
const transport = transportFor(STORE);

/** Table and schema names: lower-case SQL identifiers, short enough for the index name. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

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
}

/** Options of `createPostgresReplayStore`. */
export interface PostgresReplayStoreOptions {
  /** A `pg.Pool` (give this or `client`). */
  pool?: PgPool;
  /** A connected `pg.Client` (give this or `pool`). */
  client?: PgQueryable;
  /** Table, `^[a-z_][a-z0-9_]{0,47}$`. Default `blindwire_replay`. */
  table?: string;
  /** Schema holding the table; must exist. Default: the search_path. */
  schema?: string;
  /** Seconds the legacy `record` keeps an id past its expiresAt (0..86400, default 86400). */
  recordSkew?: number;
}

/** Options of `sweep`: how many expired rows one batch deletes, and at most how many batches. */
export interface SweepOptions {
  /** Rows deleted per statement (1..100000, default 1000). */
  batchSize?: number;
  /** Statements at most (default 100); a sweep that stops there reports `more: true`. */
  maxBatches?: number;
}

export interface PostgresReplayStore extends ReplayStore {
  /** Creates the table and its index if missing. Idempotent, safe under concurrency. */
  ensureSchema(): Promise<void>;
  /** Deletes rows past keep_until (whose lease, if any, ended), in batches. */
  sweep(options?: SweepOptions): Promise<{ deleted: number; more: boolean }>;
}

function assertIdentifier(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value))
    throw invalidArgument(name, 'a lower-case SQL identifier matching ^[a-z_][a-z0-9_]{0,47}$');
}

function positiveInteger(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw invalidArgument(name, `a whole number from 1 to ${max}`, String(value));
  return value;
}

/** Runs `create` on one connection under a session advisory lock named after the table. */
async function createTable(
  db: PgQueryable,
  pool: PgPool | undefined,
  lockName: string,
  create: readonly string[],
): Promise<void> {
  const pooled = pool
    ? await transport('ensureSchema: connecting', () => pool.connect())
    : undefined;
  const c = pooled ?? db;
  let unlocked = false;
  try {
    await transport('ensureSchema: locking', () =>
      c.query('SELECT pg_advisory_lock(hashtext($1))', [lockName]),
    );
    try {
      for (const sql of create) await transport('ensureSchema', () => c.query(sql));
    } catch (e) {
      // The first failure is the one to report; the unlock is still attempted.
      unlocked = await c.query('SELECT pg_advisory_unlock(hashtext($1))', [lockName]).then(
        () => true,
        () => false,
      );
      throw e;
    }
    await transport('ensureSchema: unlocking', () =>
      c.query('SELECT pg_advisory_unlock(hashtext($1))', [lockName]),
    );
    unlocked = true;
  } finally {
    // A session that may still hold the lock must not go back to the pool.
    pooled?.release(!unlocked);
  }
}

/** The one row of a statement that returns one. */
function oneRow(r: unknown, what: string): Record<string, unknown> {
  const row = (r as QueryResultLike | null)?.rows?.[0];
  if (typeof row !== 'object' || row === null) throw unexpected(STORE, what);
  return row;
}

function booleanField(row: Record<string, unknown>, field: string, what: string): boolean {
  const v = row[field];
  if (typeof v !== 'boolean') throw unexpected(STORE, what);
  return v;
}

function reserveAnswer(row: Record<string, unknown>): ReserveAnswer {
  if (booleanField(row, 'reserved', 'reserve')) return 'reserved';
  return booleanField(row, 'done', 'reserve') ? 'done' : 'in-flight';
}

/** Creates the table unless `to_regclass` finds it (a look-up needs no DDL rights). */
async function createIfMissing(
  db: PgQueryable,
  qualified: string,
  ensureSchema: () => Promise<void>,
): Promise<void> {
  const r = await transport('looking up the table', () =>
    db.query('SELECT to_regclass($1) IS NOT NULL AS present', [qualified]),
  );
  if (!booleanField(oneRow(r, 'the table look-up'), 'present', 'the table look-up'))
    await ensureSchema();
}

/** Runs the sweep statement in batches until one deletes fewer rows than the batch size. */
async function sweep(
  run: (values: unknown[]) => Promise<unknown>,
  options: SweepOptions,
): Promise<{ deleted: number; more: boolean }> {
  const batchSize = positiveInteger('batchSize', options.batchSize, 1000, 100_000);
  const maxBatches = positiveInteger('maxBatches', options.maxBatches, 100, 1_000_000);
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = oneRow(await run([batchSize]), 'sweep').deleted;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw unexpected(STORE, 'sweep');
    deleted += n;
    if (n < batchSize) return { deleted, more: false };
  }
  return { deleted, more: true };
}

/**
 * `client`, with its queries run one at a time: pg queues concurrent queries
 * on one Client only with a deprecation warning, and pg 9 drops the queue.
 */
function serialised(client: PgQueryable): PgQueryable {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    query(text, values) {
      const run = tail.then(() => client.query(text, values));
      tail = run.catch(() => undefined);
      return run;
    },
  };
}

/** The pool, or the client (serialised), of the options: exactly one of them. */
function databaseOf(options: PostgresReplayStoreOptions): { db: PgQueryable; pool?: PgPool } {
  const { pool, client } = options;
  if ((pool === undefined) === (client === undefined))
    throw invalidArgument('options', 'exactly one of pool (a pg.Pool) and client (a pg.Client)');
  if (pool !== undefined) {
    if (typeof pool?.query !== 'function' || typeof pool.connect !== 'function')
      throw invalidArgument('options.pool', 'a pg.Pool (query, connect)');
    return { db: pool, pool };
  }
  if (typeof client?.query !== 'function')
    throw invalidArgument('options.client', 'a connected pg.Client (query)');
  return { db: serialised(client) };
}

/**
 * A replay store shared by a consumer group on PostgreSQL: each reservation one atomic statement
 * (SPEC.md §7 step 18); `sweep` deletes expired rows.
 */
export function createPostgresReplayStore(
  options: PostgresReplayStoreOptions,
): PostgresReplayStore {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an object { pool | client, table? }');
  const { db, pool } = databaseOf(options);
  const table = options.table ?? 'blindwire_replay';
  assertIdentifier('options.table', table);
  if (options.schema !== undefined) assertIdentifier('options.schema', options.schema);
  const recordSkew = recordSkewOf(options.recordSkew);
  const qualify = (n: string) =>
    options.schema === undefined ? `"${n}"` : `"${options.schema}"."${n}"`;
  const qualified = qualify(table);
  const sql: ReplaySql = replaySql(qualified, `"${table}_keep_until"`);
  const lockName = `blindwire_replay:${qualified}`;

  const ensureSchema = () => createTable(db, pool, lockName, sql.create);
  let ready: Promise<void> | undefined;
  const ensureReady = (): Promise<void> => {
    ready ??= createIfMissing(db, qualified, ensureSchema).catch((e: unknown) => {
      ready = undefined; // retry on the next call rather than caching a failure
      throw e;
    });
    return ready;
  };
  const query = async (what: string, text: string, values: unknown[]) => {
    await ensureReady();
    return transport(what, () => db.query(text, values));
  };
  const keyOf = (e: Pick<ReplayEntry, 'messageId' | 'sender'>) => [
    senderHash(e.sender),
    e.messageId,
  ];
  const commit = async (entry: ReplayEntry) => {
    await query('commit', sql.commit, [...keyOf(entry), entry.keepUntil]);
  };

  return {
    ...checkedStore(
      {
        async reserve(entry, leaseMs, token) {
          const r = await query('reserve', sql.reserve, [
            ...keyOf(entry),
            token,
            leaseMs,
            entry.keepUntil,
          ]);
          return reserveAnswer(oneRow(r, 'reserve'));
        },
        commit,
        async release(entry, token) {
          await query('release', sql.release, [...keyOf(entry), token]);
        },
        async has(messageId, sender) {
          const r = await query('has', sql.has, keyOf({ messageId, sender }));
          return booleanField(oneRow(r, 'has'), 'done', 'has');
        },
      },
      recordSkew,
    ),
    async ensureSchema() {
      await ensureSchema();
      ready = Promise.resolve();
    },
    sweep: (sweepOptions = {}) =>
      sweep((values) => query('sweep', sql.sweep, values), sweepOptions),
  };
}
