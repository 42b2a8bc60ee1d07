/**
 * The PostgreSQL store through pg 8.0.3, the lowest version of the peer range
 * (`^8.0.3`; 8.0.0-8.0.2 hang on connect under current Node), installed as
 * the alias `pg8-0-3`: migration, the store basics and a binary record read
 * back byte for byte, against the real server. The full suite runs with the
 * latest pg in adapter-postgres.test.ts.
 */
import { randomBytes } from 'node:crypto';
import pg803 from 'pg8-0-3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { createPostgresStore } from '../src/stores/postgres-store.js';
import { runStoreBasics } from './helpers/conformance.js';

const CONNECTION = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const postgres = await probeService('postgres');

const ALICE = 'spiffe://acme.example/agents/alice';
const BOB = 'spiffe://acme.example/tools/payments';
const BINARY = Uint8Array.from([0x00, 0xff, 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x00]);

describe.skipIf(postgres.skip)('postgres store with pg 8.0.3 (lowest of the peer range)', () => {
  const schema = `bw_test_${randomBytes(6).toString('hex')}`;
  const pool = new pg803.Pool({ ...CONNECTION, max: 4 });
  const store = createPostgresStore(pool, { schema, table: 'records' });
  // A malicious directory: the stored bytes of a record overwritten behind the store's back.
  const rawOverwrite = async (name: string, id: string, bytes: Uint8Array): Promise<void> => {
    await pool.query(`UPDATE "${schema}"."records" SET record = $3 WHERE name = $1 AND id = $2`, [
      name,
      id,
      Buffer.from(bytes),
    ]);
  };

  beforeAll(async () => {
    postgres.assertUp();
    await pool.query(`CREATE SCHEMA ${schema}`);
    await store.migrate();
  });

  afterAll(async () => {
    if (!postgres.up) return;
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('stores and lists a binary record byte for byte', async () => {
    await store.put(ALICE, BINARY);
    expect(await store.list(ALICE)).toEqual([BINARY]);
  });

  runStoreBasics(() => ({ store, rawOverwrite }), { alice: ALICE, bob: BOB });
});
