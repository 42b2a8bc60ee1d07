/**
 * The network STORE kinds against the real services on this machine
 * (Redis, PostgreSQL, NATS JetStream): the CLI creates the client, the
 * directory adapter wraps it, and the CLI closes both. Outside CI a service
 * that is down skips its suite; under CI=true it fails.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { sandbox, type Sandbox } from './helpers/cli.js';

const NAME = 'spiffe://acme.example/agents/planner';
const T0 = 1_795_435_200;
const tag = randomBytes(4).toString('hex');

// The test kit's probe: retried, and one line on how to start a service
// that is down (skipped outside CI, a failure under CI=true).
const services = {
  redis: await probeService('redis'),
  postgres: await probeService('postgres'),
  nats: await probeService('nats'),
};
const skip = (service: keyof typeof services) => services[service].skip;

/** Creates an identity in `store`, resolves it, rotates, and resolves the new key after the delay. */
async function roundTrip(sb: Sandbox, store: string): Promise<void> {
  await sb.ok([
    'identity',
    'create',
    NAME,
    '--anchor',
    'anchor.json',
    '--out',
    `id-${tag}.json`,
    '--store',
    store,
    '--now',
    String(T0),
    '--force',
  ]);
  const resolve = (now: number) =>
    sb.json<{ keys: { kid: string }[] }>([
      'directory',
      'resolve',
      NAME,
      '--store',
      store,
      '--anchor',
      'anchor-public.json',
      '--now',
      String(now),
    ]);
  expect((await resolve(T0 + 10)).keys).toHaveLength(1);
  const r = await sb.json<{ rotated: { kid: string } }>([
    'key',
    'rotate',
    '--identity',
    `id-${tag}.json`,
    '--keystore',
    `ks-${tag}-${new URL(store).protocol.slice(0, -1)}.json`,
    '--store',
    store,
    '--force',
    '--now',
    String(T0 + 60),
  ]);
  expect((await resolve(T0 + 60 + 301)).keys[0]!.kid).toBe(r.rotated.kid);
  const plain = await sb.ok([
    'directory',
    'resolve',
    NAME,
    '--store',
    store,
    '--anchor',
    'anchor-public.json',
    '--now',
    String(T0 + 400),
  ]);
  expect(plain.stdout).toContain('2 usable encryption keys');
}

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
  await sb.ok([
    'anchor',
    'create',
    'root',
    '--out',
    'anchor.json',
    '--public-out',
    'anchor-public.json',
  ]);
});
afterAll(async () => {
  await sb.remove();
});

describe.skipIf(skip('redis'))('redis://', () => {
  const prefix = `blindwire-cli-test-${tag}:`;
  /** The number of fields of the identity's hash in `database`. */
  async function fieldsIn(database: number): Promise<number> {
    const { createClient } = await import('redis');
    const c = createClient({ url: 'redis://127.0.0.1:6379', database });
    await c.connect();
    try {
      return Number(await c.hLen(prefix + NAME));
    } finally {
      await c.close();
    }
  }
  afterAll(async () => {
    const { createClient } = await import('redis');
    for (const database of [0, 1]) {
      const c = createClient({ url: 'redis://127.0.0.1:6379', database });
      await c.connect();
      await c.del(prefix + NAME);
      await c.close();
    }
  });

  it('creates, resolves and rotates through a Redis store: the path is the database, ?prefix= the key prefix', async () => {
    services.redis.assertUp();
    await roundTrip(sb, `redis://127.0.0.1:6379/1?prefix=${encodeURIComponent(prefix)}`);
    expect(await fieldsIn(1)).toBe(3); // certificate and two encryption keys, in database 1
    expect(await fieldsIn(0)).toBe(0);
  });
});

describe.skipIf(skip('postgres'))('postgres://', () => {
  const schema = `blindwire_cli_${tag}`;
  const base = 'postgres://postgres@127.0.0.1:5432/test';
  let pool: Pool;
  beforeAll(async () => {
    const pg = (await import('pg')).default;
    pool = new pg.Pool({ connectionString: base });
    await pool.query(`CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
  });

  it('creates, resolves and rotates through a PostgreSQL store (table created on first use)', async () => {
    services.postgres.assertUp();
    await roundTrip(sb, `${base}?schema=${schema}`);
    const rows = await pool.query(
      `SELECT count(*)::int AS n FROM ${schema}.blindwire_directory_records WHERE name = $1`,
      [NAME],
    );
    expect(rows.rows[0].n).toBe(3); // certificate and two encryption keys
  });
});

describe.skipIf(skip('nats'))('nats://', () => {
  const bucket = `blindwire_cli_${tag}`;
  afterAll(async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { Kvm } = await import('@nats-io/kv');
    const nc = await connect({ servers: '127.0.0.1:4222' });
    try {
      await (await new Kvm(nc).open(bucket)).destroy();
    } finally {
      await nc.close();
    }
  });

  it('creates, resolves and rotates through a NATS KV store', async () => {
    services.nats.assertUp();
    await roundTrip(sb, `nats://127.0.0.1:4222/${bucket}`);
  });
});
