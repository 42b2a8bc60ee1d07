/**
 * The open pool (src/open-pool.ts, `@blindwire/node`): core `open` (SPEC.md
 * §7) in worker threads. Replay reservations (§7 step 18) taken in the
 * worker against the caller's store and committed or released in the
 * calling thread under the worker's token; the resolver (§7 step 14) and a
 * guard proxied, their failures giving `open`'s codes with the caller's own
 * error as the cause; the `backend` rule, and the default backend reaching
 * the workers; the caller's key bytes untouched; a worker that stops
 * (ERR_TRANSPORT, its reservation released, the pool recovering); close.
 * Needs the built worker (`pnpm build`; test/helpers/built-worker.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlindwireError,
  ErrorCode,
  createMemoryReplayStore,
  getDefaultBackend,
  open,
  openResponse,
  pureBackend,
  seal,
  sealResponse,
  setDefaultBackend,
  webBackend,
  type ReplayEntry,
  type ReplayStore,
  type SenderResolver,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { expectCode } from '@blindwire/testkit';
import { createOpenPool, poolWorkers, type OpenPool } from '../src/open-pool.js';
import { WORKER_WAIT, worker } from './helpers/built-worker.js';
import { NOW, cast, trusted, type Cast } from './helpers/fixtures.js';

let pool: OpenPool;
const backend = nodeBackend;
let c: Cast;
beforeAll(async () => {
  if (worker.skip) return;
  worker.assertBuilt();
  pool = createOpenPool({ size: 2, backend: 'node' });
  c = await cast(backend);
});
afterAll(() => pool?.close());

async function sealed(text = 'pay', o: Record<string, unknown> = {}) {
  return seal(text, { sender: c.alice, recipients: c.bob, now: NOW, backend, ...o });
}
function opts(o: Record<string, unknown> = {}) {
  return { recipient: c.bob, trustedSenders: trusted(c.alice), now: NOW, ...o };
}
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.skipIf(worker.skip)('open pool: replay reservations (SPEC.md §7 step 18)', () => {
  it('reserves in the worker, commits in the calling thread; a copy in flight, then a duplicate', async () => {
    const replay = createMemoryReplayStore({ now: () => NOW });
    const s = await sealed();
    const first = await pool.open(s.envelope, opts({ replay }));
    expect(text(first.payload)).toBe('pay');
    expect(first.reservation?.state).toBe('reserved');
    expect(first.reservation?.entry).toEqual({
      messageId: s.messageId,
      sender: c.alice.name,
      keepUntil: s.expiresAt + 60,
    });
    await expectCode(pool.open(s.envelope, opts({ replay })), 'ERR_REPLAY_IN_FLIGHT');
    await expectCode(open(s.envelope, opts({ replay, backend })), 'ERR_REPLAY_IN_FLIGHT');
    await first.reservation!.commit();
    expect(await replay.has(s.messageId, c.alice.name)).toBe(true);
    await expectCode(pool.open(s.envelope, opts({ replay })), 'ERR_REPLAY');
  });

  it('the reservation commits and releases against the caller store with the token the worker reserved under', async () => {
    const calls: { fn: string; token: string }[] = [];
    const mem = createMemoryReplayStore({ now: () => NOW });
    const store: ReplayStore = {
      reserve: (e, ms, token) => (calls.push({ fn: 'reserve', token }), mem.reserve(e, ms, token)),
      commit: (e, token) => (calls.push({ fn: 'commit', token }), mem.commit(e, token)),
      release: (e, token) => (calls.push({ fn: 'release', token }), mem.release(e, token)),
      has: mem.has,
      record: mem.record,
    };
    const s = await sealed();
    const r = await pool.open(s.envelope, opts({ replay: store }));
    await r.reservation!.release();
    const again = await pool.open(s.envelope, opts({ replay: store }));
    await again.reservation!.commit();
    expect(calls.map((x) => x.fn)).toEqual(['reserve', 'release', 'reserve', 'commit']);
    expect(calls[0]!.token).toMatch(/^[0-9a-f]{32}$/);
    expect(calls[1]!.token).toBe(calls[0]!.token);
    expect(calls[3]!.token).toBe(calls[2]!.token);
    expect(calls[2]!.token).not.toBe(calls[0]!.token);
  });

  it('of ten concurrent opens of one envelope across the workers, exactly one gets the reservation', async () => {
    const replay = createMemoryReplayStore({ now: () => NOW });
    const s = await sealed();
    const all = await Promise.allSettled(
      Array.from({ length: 10 }, () => pool.open(s.envelope, opts({ replay }))),
    );
    expect(all.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of all)
      if (r.status === 'rejected')
        expect((r.reason as BlindwireError).code).toBe('ERR_REPLAY_IN_FLIGHT');
  });

  it('a store that throws or answers wrongly: ERR_TRANSPORT with the caller error as the cause, as open gives', async () => {
    const s = await sealed();
    const down = new Error('ECONNREFUSED');
    const answers: (() => unknown)[] = [
      () => {
        throw down;
      },
      () => 'RESERVED',
      () => ['reserved'],
      () => () => 'reserved',
      () => null,
    ];
    for (const a of answers) {
      const replay = { ...createMemoryReplayStore(), reserve: async () => a() } as ReplayStore;
      const pooled = await expectCode(pool.open(s.envelope, opts({ replay })), 'ERR_TRANSPORT');
      const inThread = await expectCode(
        open(s.envelope, opts({ replay, backend })),
        'ERR_TRANSPORT',
      );
      expect(pooled.message).toBe(inThread.message);
      const cause = pooled.cause as Error;
      if (cause === down) continue;
      expect(cause).toBeInstanceOf(TypeError);
      expect(cause.message).toBe((inThread.cause as Error).message);
    }
  });

  it('a guard (has/record) is asked in the calling thread: seen is ERR_REPLAY, a wrong answer ERR_TRANSPORT', async () => {
    const s = await sealed();
    const asked: string[] = [];
    const guard = (seen: unknown) => ({
      has: (id: string) => (asked.push(id), seen as boolean),
      record: () => undefined,
    });
    expect(
      (await pool.open(s.envelope, opts({ replay: guard(false) }))).reservation,
    ).toBeUndefined();
    await expectCode(pool.open(s.envelope, opts({ replay: guard(true) })), 'ERR_REPLAY');
    await expectCode(pool.open(s.envelope, opts({ replay: guard(1) })), 'ERR_TRANSPORT');
    const own = new BlindwireError(ErrorCode.KeyRollback, 'rolled back');
    const throwing = { has: () => Promise.reject(own), record: () => undefined };
    expect(
      await expectCode(pool.open(s.envelope, opts({ replay: throwing })), 'ERR_KEY_ROLLBACK'),
    ).toBe(own);
    expect(asked).toEqual([s.messageId, s.messageId, s.messageId]);
  });
});

describe.skipIf(worker.skip)('open pool: the sender resolver (SPEC.md §7 step 14)', () => {
  it('is called in the calling thread with (sender, kid); its key opens', async () => {
    const s = await sealed();
    const seen: string[][] = [];
    const resolveSender = (name: string, kid: string) => {
      seen.push([name, kid]);
      return name === c.alice.name ? c.alice.signing : undefined;
    };
    const r = await pool.open(s.envelope, { recipient: c.bob, now: NOW, resolveSender });
    expect(r.sender).toBe(c.alice.name);
    expect(seen).toEqual([[c.alice.name, c.alice.signing.kid]]);
  });

  it('its failures give the codes, messages and causes open gives', async () => {
    const s = await sealed();
    const down = new Error('directory down');
    const own = new BlindwireError(ErrorCode.KeyRevoked, 'revoked by its anchor');
    const resolvers: [string, () => unknown][] = [
      ['throws', () => Promise.reject(down)],
      ['own error', () => Promise.reject(own)],
      ['nothing', () => null],
      ['a wrong key', () => c.mallory.signing.publicKey],
      ['a string', () => 'key'],
      ['short bytes', () => new Uint8Array(31)],
      ['another kid', () => ({ kid: 'x', publicKey: c.alice.signing.publicKey })],
    ];
    for (const [what, resolveSender] of resolvers) {
      const o = { recipient: c.bob, now: NOW, resolveSender: resolveSender as SenderResolver };
      const pooled = await pool.open(s.envelope, o).then(
        () => undefined,
        (e: unknown) => e,
      );
      const inThread = await open(s.envelope, { ...o, backend }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const p = pooled as BlindwireError;
      const t = inThread as BlindwireError;
      expect({ code: p.code, message: p.message }, what).toEqual({
        code: t.code,
        message: t.message,
      });
      if (t.cause === down) expect(p.cause, what).toBe(down);
      if (inThread === own) expect(pooled, what).toBe(own);
    }
  });
});

describe.skipIf(worker.skip)('open pool: results, backends, keys', () => {
  it("leaves the caller's memory attached: an envelope, key or context in a Node Buffer view of a larger buffer is copied, never transferred", async () => {
    const s = await sealed('pooled');
    // As a client hands over a message: a Buffer view into a larger (socket) buffer.
    const socket = Buffer.alloc(s.envelope.length + 64, 7);
    Buffer.from(s.envelope).copy(socket, 32);
    const view = socket.subarray(32, 32 + s.envelope.length);
    const keyBuffer = Buffer.alloc(64);
    Buffer.from(c.bob.encryption.privateKey).copy(keyBuffer, 16);
    const bob = {
      ...c.bob,
      encryption: { ...c.bob.encryption, privateKey: keyBuffer.subarray(16, 48) },
    };
    const r = await pool.open(view, opts({ recipient: bob }));
    expect(text(r.payload)).toBe('pooled');
    expect(socket.buffer.byteLength).toBeGreaterThan(0);
    expect(view.length).toBe(s.envelope.length);
    expect(socket[0]).toBe(7);
    expect(keyBuffer.subarray(16, 48)).toEqual(Buffer.from(c.bob.encryption.privateKey));
    // The same view opens again (nothing detached, nothing zeroed).
    expect(text((await pool.open(view, opts({ recipient: bob }))).payload)).toBe('pooled');
  });

  it('a response sealed from the pool result opens at the requester (the response state reached this thread)', async () => {
    const s = await sealed('ping');
    const r = await pool.open(s.envelope, opts());
    // Its default lifetime follows the request's expiry as opened, whatever the caller's header says.
    (r.header as { expiresAt?: number }).expiresAt = undefined;
    const reply = await sealResponse(r, 'pong', { now: NOW, backend });
    expect(reply.expiresAt).toBe(Math.min(s.expiresAt, reply.issuedAt + 3600));
    expect(text((await openResponse(s, reply.envelope, { now: NOW, backend })).payload)).toBe(
      'pong',
    );
  });

  it('leaves the caller key bytes and envelope as they were; a view of a larger buffer opens', async () => {
    const s = await sealed();
    const key = c.bob.encryption.privateKey.slice();
    const big = new Uint8Array(s.envelope.length + 10);
    big.set(s.envelope, 5);
    const view = big.subarray(5, 5 + s.envelope.length);
    expect(text((await pool.open(view, opts())).payload)).toBe('pay');
    expect(c.bob.encryption.privateKey).toEqual(key);
    expect(view).toEqual(s.envelope);
  });

  it('a backend option other than the pool one is ERR_INVALID_ARGUMENT, before any input', async () => {
    const s = await sealed();
    expect((await pool.open(s.envelope, opts({ backend: pool.backend }))).sender).toBe(
      c.alice.name,
    );
    await expectCode(
      pool.open(s.envelope, opts({ backend: pureBackend })),
      'ERR_INVALID_ARGUMENT',
      /backend/,
    );
    await expectCode(pool.open(new Uint8Array(3), opts({ backend: {} })), 'ERR_INVALID_ARGUMENT');
  });

  it('a pure-backend pool opens what the node backend sealed', async () => {
    const p = createOpenPool({ size: 1, backend: 'pure' });
    try {
      expect(p.backend).toBe(pureBackend);
      expect(text((await p.open((await sealed('x')).envelope, opts())).payload)).toBe('x');
    } finally {
      await p.close();
    }
  });

  it('refuses bad pool options', () => {
    for (const size of [0, -1, 1.5, 65, '2', NaN])
      expect(() => createOpenPool({ size: size as number })).toThrow(/size/);
    expect(() => createOpenPool({ backend: 'web' as 'node' })).toThrow(/backend/);
    expect(() => createOpenPool([] as never)).toThrow(/options/);
  });

  it('with no backend option, the workers run the calling thread default as setDefaultBackend left it; one no worker runs is refused', async () => {
    const before = getDefaultBackend();
    const made: OpenPool[] = [];
    const make = (o?: { backend: 'node' | 'pure' }) => (
      made.push(createOpenPool({ size: 1, ...o })),
      made.at(-1)!
    );
    try {
      expect(before).toBe(nodeBackend); // Node's own default
      const first = make();
      expect(first.backend).toBe(nodeBackend);
      setDefaultBackend(pureBackend);
      const second = make();
      expect(second.backend).toBe(pureBackend);
      expect(first.backend).toBe(nodeBackend); // fixed when the pool was made
      expect(text((await second.open((await sealed('d')).envelope, opts())).payload)).toBe('d');
      for (const other of [webBackend, { ...nodeBackend, name: 'mine' }]) {
        setDefaultBackend(other);
        await expectCode(
          () => createOpenPool({ size: 1 }),
          'ERR_INVALID_ARGUMENT',
          /"backend".*setDefaultBackend/,
        );
        expect(make({ backend: 'node' }).backend).toBe(nodeBackend); // named: as asked
      }
    } finally {
      setDefaultBackend(before);
      await Promise.all(made.map((p) => p.close()));
    }
  });
});

describe.skipIf(worker.skip)('open pool: a worker that stops, close', () => {
  it('fails its calls with ERR_TRANSPORT, releases the reservation it took, and is replaced', async () => {
    const p = createOpenPool({ size: 1 });
    try {
      const mem = createMemoryReplayStore({ now: () => NOW });
      const released: ReplayEntry[] = [];
      const replay: ReplayStore = {
        ...mem,
        reserve: async (e, ms, token) => {
          const a = await mem.reserve(e, ms, token);
          await Promise.all(poolWorkers(p).map((w) => w.terminate())); // the worker dies with the lease
          return a;
        },
        release: (e, t) => (released.push(e), mem.release(e, t)),
      };
      const s = await sealed();
      const e = await expectCode(
        p.open(s.envelope, opts({ replay })),
        'ERR_TRANSPORT',
        /worker stopped/,
      );
      expect(e.cause).toBeDefined();
      await expect.poll(() => released.length, WORKER_WAIT).toBe(1);
      // The lease was freed and a new worker took over: the redelivery opens.
      const r = await p.open(s.envelope, opts({ replay: mem }));
      expect(text(r.payload)).toBe('pay');
      expect(poolWorkers(p)).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it('close waits for the calls under way, ends the workers; later calls are ERR_INVALID_ARGUMENT', async () => {
    const p = createOpenPool({ size: 2 });
    let answer!: (k: unknown) => void;
    const slow = {
      recipient: c.bob,
      now: NOW,
      resolveSender: (() => new Promise<unknown>((r) => (answer = r))) as SenderResolver,
    };
    const s = await sealed();
    const pending = p.open(s.envelope, slow);
    await expect.poll(() => answer, WORKER_WAIT).toBeDefined();
    const closed = p.close();
    await expectCode(p.open(s.envelope, opts()), 'ERR_INVALID_ARGUMENT', /closed/);
    answer(c.alice.signing);
    expect((await pending).sender).toBe(c.alice.name);
    await closed;
    expect(p.close()).toBe(closed);
    expect(poolWorkers(p).every((w) => w.threadId === -1)).toBe(true);
  });
});
