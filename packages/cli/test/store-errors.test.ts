/**
 * Store problems read as store problems (issue 13 item 6): every store error
 * names the store (kind and redacted location); a name with no records says
 * where the CLI looked (the file that does not exist, the Redis key and
 * database, the PostgreSQL table); a Redis URL's path is its database, the
 * prefix a parameter; a client's failure carries its code and message
 * without secrets. Against the real Redis and PostgreSQL where they run.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { sandbox, type Sandbox } from './helpers/cli.js';

const NAME = 'spiffe://acme.example/agents/planner';
const tag = randomBytes(4).toString('hex');
const services = { redis: await probeService('redis'), postgres: await probeService('postgres') };

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
  await sb.ok([
    'identity',
    'create',
    NAME,
    '--anchor',
    'anchor.json',
    '--out',
    'id.json',
    '--store',
    'file:dir.json',
  ]);
});
afterAll(async () => {
  await sb.remove();
});

const resolve = (store: string, name = NAME) =>
  sb.cli(['directory', 'resolve', name, '--store', store, '--anchor', 'anchor-public.json']);
const get = (store: string, name = NAME) =>
  sb.cli(['directory', 'get', name, '--store', store, '--anchor', 'anchor-public.json']);

describe('file stores', () => {
  it('a mistyped path: the file does not exist (check --store), not "no such identity"', async () => {
    const r = await resolve('file:./dri.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error ERR_KEY_NOT_FOUND: no encryption key published for ${NAME}: the file store file:./dri.json holds no records for ${NAME} (the file ${sb.path('dri.json')} does not exist: check --store)\n`,
    );
    const g = await get('file:./dri.json');
    expect(g.code).toBe(4);
    expect(g.stderr).toContain('(the file ');
  });

  it('the right file, an unknown name: the file exists, the identity is missing', async () => {
    const r = await resolve('file:dir.json', 'spiffe://acme.example/agents/plannr');
    expect(r.stderr).toBe(
      `error ERR_KEY_NOT_FOUND: no encryption key published for spiffe://acme.example/agents/plannr: the file store file:dir.json holds no records for spiffe://acme.example/agents/plannr (file ${sb.path('dir.json')})\n`,
    );
  });

  it('a store document that is not one: the error names the store', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(sb.path('broken.json'), '{"v": 2}');
    const r = await resolve('file:broken.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error ERR_TRANSPORT: file store: \S+broken\.json is not a version 1 directory document .*\(file store file:broken\.json\)\n$/,
    );
  });
});

describe.skipIf(services.redis.skip)('redis://HOST:PORT/DB?prefix=PREFIX', () => {
  const prefix = `bw-cli-errors-${tag}:`;
  const store = `redis://127.0.0.1:6379/3?prefix=${encodeURIComponent(prefix)}`;
  afterAll(async () => {
    const { createClient } = await import('redis');
    const c = createClient({ url: 'redis://127.0.0.1:6379', database: 3 });
    await c.connect();
    await c.del(prefix + NAME);
    await c.close();
  });

  it('the path is the database: records published with /3 are in database 3, not found with /0', async () => {
    services.redis.assertUp();
    await sb.ok([
      'identity',
      'create',
      NAME,
      '--anchor',
      'anchor.json',
      '--out',
      'r.json',
      '--store',
      store,
    ]);
    expect((await resolve(store)).code).toBe(0);
    const other = `redis://127.0.0.1:6379/0?prefix=${encodeURIComponent(prefix)}`;
    const r = await resolve(other);
    expect(r.stderr).toBe(
      `error ERR_KEY_NOT_FOUND: no encryption key published for ${NAME}: the redis store ${other} holds no records for ${NAME} (no hash at key ${JSON.stringify(prefix + NAME)} in database 0: check the database number and ?prefix=)\n`,
    );
  });

  it('the default prefix when none is given, named in the error', async () => {
    const r = await resolve('redis://127.0.0.1:6379/3');
    expect(r.stderr).toContain(`(no hash at key "blindwire:directory:${NAME}" in database 3:`);
  });

  it('a database the server does not have: the server says so', async () => {
    const r = await resolve('redis://127.0.0.1:6379/999');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error ERR_TRANSPORT: cannot connect to redis at redis://127.0.0.1:6379/999: ERR DB index is out of range\n',
    );
  });
});

describe.skipIf(services.postgres.skip)('postgres://', () => {
  it('a database that does not exist: the SQLSTATE and message, the store, no password', async () => {
    services.postgres.assertUp();
    const r = await resolve('postgres://postgres:hunter2@127.0.0.1:5432/blindwire_nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error ERR_TRANSPORT: postgres: checking the schema version failed: 3D000 database "blindwire_nope" does not exist (postgres store postgres://***@127.0.0.1:5432/blindwire_nope)\n',
    );
    expect(r.stderr).not.toContain('hunter2');
  });

  it('a server that is not there: the refused connection', async () => {
    const r = await resolve('postgres://postgres@127.0.0.1:1/test');
    expect(r.stderr).toMatch(
      /^error ERR_TRANSPORT: postgres: checking the schema version failed: .*ECONNREFUSED.*\(postgres store postgres:\/\/\*\*\*@127\.0\.0\.1:1\/test\)\n$/,
    );
  });

  it('a name with no rows: the table and database it read', async () => {
    const schema = `blindwire_cli_errors_${tag}`;
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await pool.query(`CREATE SCHEMA ${schema}`);
    try {
      const store = `postgres://postgres@127.0.0.1:5432/test?schema=${schema}`;
      const r = await get(store);
      expect(r.code).toBe(4);
      expect(r.stderr).toBe(
        `error ERR_KEY_NOT_FOUND: no records published for ${NAME}: the postgres store postgres://***@127.0.0.1:5432/test?schema=${schema} holds no records for ${NAME} (no row in table ${schema}.blindwire_directory_records of database "test": check the database, ?schema= and ?table=)\n`,
      );
    } finally {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    }
  });
});
