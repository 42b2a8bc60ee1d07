/**
 * Store errors say what the client said, without secrets (stores/common.ts):
 * `describeCause` and `redactSecrets` on their own, then the PostgreSQL and
 * Redis stores against the real services, where a wrong database or a
 * prefix that points at other data used to read only "... failed".
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@blindwire/core';
import fc from 'fast-check';
import pg from 'pg';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { probeService, rejection } from '@blindwire/testkit';
import {
  describeCause,
  redactSecrets,
  transportError,
  transportFor,
} from '../src/stores/common.js';
import { createPostgresStore } from '../src/stores/postgres-store.js';
import { createRedisStore } from '../src/stores/redis-store.js';

const postgres = await probeService('postgres');
const redis = await probeService('redis');
const NAME = 'spiffe://acme.example/tools/payments';

describe('describeCause', () => {
  it('an errno error: its message, which names the code', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5439'), {
      code: 'ECONNREFUSED',
    });
    expect(describeCause(e)).toBe('connect ECONNREFUSED 127.0.0.1:5439');
  });

  it('a server error with a code the message does not repeat: code, then message', () => {
    const e = Object.assign(new Error('database "nope" does not exist'), { code: '3D000' });
    expect(describeCause(e)).toBe('3D000 database "nope" does not exist');
  });

  it('an error with a code only (an AggregateError of connection attempts)', () => {
    const e = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    expect(describeCause(e)).toBe('ECONNREFUSED');
  });

  it('nothing to say: not an Error, no code, a code that is not a plain token, a throwing getter', () => {
    expect(describeCause('a string')).toBe('');
    expect(describeCause(undefined)).toBe('');
    expect(describeCause({ code: 'has spaces in it' })).toBe('');
    const trap = new Proxy(new Error('x'), {
      get() {
        throw new Error('trap');
      },
    });
    expect(describeCause(trap)).toBe('');
  });

  it('URL credentials and password-like pairs are redacted; control characters and length are bounded', () => {
    const e = new Error(
      'cannot connect to postgres://app:S3cr3t@db.example/x with password=hunter2 token: "abc def"\n\u001b[31mred',
    );
    const said = describeCause(e);
    expect(said).toBe(
      'cannot connect to postgres://***@db.example/x with password=*** token: *** [31mred',
    );
    expect(describeCause(new Error('x'.repeat(500)))).toHaveLength(203);
  });

  it('no secret survives: any password in a URL or a pair is gone from the description', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9!#$%^*()_+=~]{6,24}$/),
        fc.constantFrom('password=', 'PASSWORD =', 'pwd:', 'token=', 'secret: '),
        fc.string({ maxLength: 30 }),
        (secret, key, noise) => {
          const text = `${noise} redis://user:${secret}@h:6379/0 ${key}${secret} ${noise}`;
          expect(redactSecrets(text)).not.toContain(secret);
        },
      ),
    );
  });

  it('transportFor and transportError keep the cause and add what it said', async () => {
    const cause = Object.assign(new Error('ERR DB index is out of range'), { code: undefined });
    const e = await rejection(
      transportFor('redis')('selecting', async () => {
        throw cause;
      }),
    );
    expect(e.code).toBe(ErrorCode.Transport);
    expect(e.message).toBe('redis: selecting failed: ERR DB index is out of range');
    expect(e.cause).toBe(cause);
    expect(transportError('x failed', 'not an error').message).toBe('x failed');
  });
});

describe.skipIf(postgres.skip)('postgres: the server says what is wrong', () => {
  it('a database that does not exist: 3D000 and its name, never the password', async () => {
    postgres.assertUp();
    const pool = new pg.Pool({
      connectionString: 'postgres://postgres:hunter2@127.0.0.1:5432/blindwire_no_such_db',
      max: 1,
    });
    pool.on('error', () => undefined);
    try {
      const e = await rejection(createPostgresStore(pool).list(NAME));
      expect(e.code).toBe(ErrorCode.Transport);
      expect(e.message).toBe(
        'postgres: checking the schema version failed: 3D000 database "blindwire_no_such_db" does not exist',
      );
      expect(e.message).not.toContain('hunter2');
    } finally {
      await pool.end();
    }
  });

  it('a schema that does not exist: the migration names it (3F000)', async () => {
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      database: 'test',
      max: 1,
    });
    try {
      const store = createPostgresStore(pool, {
        schema: `bw_missing_${randomBytes(4).toString('hex')}`,
      });
      const e = await rejection(store.list(NAME));
      expect(e.code).toBe(ErrorCode.Transport);
      expect(e.message).toMatch(
        /^postgres: migration failed: 3F000 schema "bw_missing_[0-9a-f]{8}" does not exist$/,
      );
    } finally {
      await pool.end();
    }
  });
});

describe.skipIf(redis.skip)('redis: the server says what is wrong', () => {
  it('a prefix that points at other data: WRONGTYPE, not an empty identity', async () => {
    redis.assertUp();
    const client = createClient({ url: 'redis://127.0.0.1:6379' });
    await client.connect();
    const prefix = `bw-test-${randomBytes(4).toString('hex')}:`;
    try {
      await client.set(prefix + NAME, 'some other application');
      const e = await rejection(createRedisStore(client, { prefix }).list(NAME));
      expect(e.code).toBe(ErrorCode.Transport);
      expect(e.message).toBe(
        'redis: counting records failed: WRONGTYPE Operation against a key holding the wrong kind of value',
      );
    } finally {
      await client.del(prefix + NAME);
      await client.close();
    }
  });
});
