/**
 * Replay reservations (SPEC.md §7 step 18, §7a.5 steps 9 and 12): `open` and
 * `openStream` reserve a (sender, message id) atomically with a ReplayStore,
 * answer ERR_REPLAY / ERR_REPLAY_IN_FLIGHT, fail closed on a store's wrong
 * answer or throw, and hand the caller a reservation; the memory store
 * implements the interface with leases, per-sender keys and a bound.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode, expectCode } from '@blindwire/testkit';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import type { ReplayEntry, ReplayStore } from '../src/envelope/replay.js';
import { BlindwireError, ErrorCode } from '../src/errors.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';
import { body, openAll, sealAll } from './helpers/streams.js';

const backend = fastestBackend();
let c: Cast;
beforeAll(async () => {
  c = await cast(backend);
});

const T = Math.floor(NOW / 1000);
const ID = 'a'.repeat(32);
const entry = (o: Partial<ReplayEntry> = {}): ReplayEntry => ({
  messageId: ID,
  sender: 'spiffe://acme.example/a',
  keepUntil: T + 60,
  ...o,
});

async function sealed(text = 'pay', o: Record<string, unknown> = {}) {
  return seal(text, { sender: c.alice, recipients: c.bob, now: NOW, backend, ...o });
}
function opts(replay: unknown, o: Record<string, unknown> = {}) {
  return {
    recipient: c.bob,
    trustedSenders: trusted(c.alice, c.mallory),
    now: NOW,
    backend,
    replay: replay as ReplayStore,
    ...o,
  };
}

/** A store that records every call and answers `reserve` with `answer` (or throws it). */
function spyStore(answer: () => unknown) {
  const calls: { fn: string; args: unknown[] }[] = [];
  const log =
    (fn: string, r: () => unknown = () => undefined) =>
    async (...args: unknown[]) => {
      calls.push({ fn, args });
      return r();
    };
  const store = {
    reserve: log('reserve', answer),
    commit: log('commit'),
    release: log('release'),
    has: log('has', () => false),
    record: log('record'),
  } as unknown as ReplayStore;
  return { store, calls, called: (fn: string) => calls.filter((x) => x.fn === fn) };
}

describe('open with a replay store (SPEC.md §7 step 18)', () => {
  it('reserves; a concurrent copy is ERR_REPLAY_IN_FLIGHT; once committed ERR_REPLAY; once released it opens again', async () => {
    const replay = createMemoryReplayStore({ now: () => NOW });
    const s = await sealed();
    const first = await open(s.envelope, opts(replay));
    expect(first.reservation?.state).toBe('reserved');
    expect(first.reservation?.entry).toEqual({
      messageId: s.messageId,
      sender: c.alice.name,
      keepUntil: s.expiresAt + 60,
    });
    await expectCode(open(s.envelope, opts(replay)), 'ERR_REPLAY_IN_FLIGHT');
    await first.reservation!.release();
    expect(first.reservation!.state).toBe('released');
    const second = await open(s.envelope, opts(replay));
    await second.reservation!.commit();
    expect(second.reservation!.state).toBe('committed');
    expect(await replay.has(s.messageId, c.alice.name)).toBe(true);
    await expectCode(open(s.envelope, opts(replay)), 'ERR_REPLAY');
  });

  it('of ten concurrent opens of one envelope, exactly one gets the reservation', async () => {
    const replay = createMemoryReplayStore({ now: () => NOW });
    const s = await sealed();
    const all = await Promise.allSettled(
      Array.from({ length: 10 }, () => open(s.envelope, opts(replay))),
    );
    expect(all.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of all) {
      if (r.status === 'rejected')
        expect((r.reason as BlindwireError).code).toBe('ERR_REPLAY_IN_FLIGHT');
    }
  });

  it('asks with a fresh 16-byte hex token, the lease and keepUntil = max(expires-at, issued-at + max age) + skew', async () => {
    const spy = spyStore(() => 'reserved');
    const s = await sealed('x', { ttl: 600 });
    await open(s.envelope, opts(spy.store, { replayLeaseMs: 1234, clockSkew: 30 }));
    await open(s.envelope, opts(spy.store, { maxAge: 3600 }));
    const [a, b] = spy.called('reserve');
    expect(a!.args[0]).toEqual({
      messageId: s.messageId,
      sender: c.alice.name,
      keepUntil: s.expiresAt + 30,
    });
    expect(a!.args[1]).toBe(1234);
    expect(b!.args[0]).toMatchObject({ keepUntil: s.issuedAt + 3600 + 60 });
    expect(b!.args[1]).toBe(300_000);
    expect(a!.args[2]).toMatch(/^[0-9a-f]{32}$/);
    expect(b!.args[2]).not.toBe(a!.args[2]);
    expect(spy.called('has')).toHaveLength(0);
  });

  it('fails closed: an answer other than the three strings, or a throw of any kind, is ERR_TRANSPORT with a cause; nothing is released', async () => {
    const s = await sealed();
    const answers: (() => unknown)[] = [
      () => 'RESERVED',
      () => true,
      () => undefined,
      () => null,
      () => 1,
      () => ({ then: undefined }),
      () => ['reserved'],
      () => new String('reserved'),
      () => {
        throw new Error('connection refused');
      },
      () => {
        throw new BlindwireError(ErrorCode.LimitExceeded, 'full');
      },
    ];
    for (const answer of answers) {
      const spy = spyStore(answer);
      const e = await expectCode<BlindwireError>(
        open(s.envelope, opts(spy.store)),
        'ERR_TRANSPORT',
      );
      expect(e.cause).toBeDefined();
      expect(spy.called('release')).toHaveLength(0);
      expect(spy.called('commit')).toHaveLength(0);
    }
  });

  it('a guard (has/record) answering anything but true or false is ERR_TRANSPORT, never a pass', async () => {
    const s = await sealed();
    for (const seen of [1, 0, 'true', '', undefined, null, {}, [true]]) {
      const guard = { has: () => seen as boolean, record: () => undefined };
      const e = await expectCode<BlindwireError>(open(s.envelope, opts(guard)), 'ERR_TRANSPORT');
      expect(e.cause).toBeInstanceOf(TypeError);
    }
    const guard = { has: () => false, record: () => undefined };
    expect((await open(s.envelope, opts(guard))).reservation).toBeUndefined();
  });

  it('a store is all five functions, the lease 1 ms to 1 day: else ERR_INVALID_ARGUMENT before any input', async () => {
    const s = await sealed();
    const full = spyStore(() => 'reserved').store as unknown as Record<string, unknown>;
    for (const missing of ['reserve', 'commit', 'release', 'has', 'record']) {
      // Without one reservation function it is still a store by the other two.
      const partial = { ...full, [missing]: undefined };
      expect(await errorCode(() => open(s.envelope, opts(partial)))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(await errorCode(() => open(s.envelope, opts({ ...full, release: 'yes' })))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    for (const lease of [0, -1, 1.5, 86_400_001, '300000', NaN]) {
      expect(await errorCode(() => open(s.envelope, opts(full, { replayLeaseMs: lease })))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    expect(
      (await open(s.envelope, opts(full, { replayLeaseMs: 86_400_000 }))).reservation,
    ).toBeDefined();
  });
});

describe('a reservation', () => {
  it('commit is idempotent and retried after a store failure; release after commit does nothing; commit after release is refused', async () => {
    let failCommit = true;
    const spy = spyStore(() => 'reserved');
    const store = {
      ...spy.store,
      commit: async (...a: unknown[]) => {
        spy.calls.push({ fn: 'commit', args: a });
        if (failCommit) throw new Error('down');
      },
    } as ReplayStore;
    const s = await sealed();
    const r = (await open(s.envelope, opts(store))).reservation!;
    await expectCode(r.commit(), 'ERR_TRANSPORT');
    expect(r.state).toBe('reserved');
    failCommit = false;
    await Promise.all([r.commit(), r.commit()]);
    await r.commit();
    expect(spy.called('commit')).toHaveLength(2);
    await r.release();
    expect(spy.called('release')).toHaveLength(0);
    expect(r.state).toBe('committed');

    const r2 = (await open(s.envelope, opts(store))).reservation!;
    await r2.release();
    await r2.release();
    expect(spy.called('release')).toHaveLength(1);
    const token = spy.called('reserve')[1]!.args[2];
    expect(spy.called('release')[0]!.args[1]).toBe(token);
    await expectCode(r2.commit(), 'ERR_INVALID_ARGUMENT');
  });
});

describe('openStream with a replay store (SPEC.md §7a.5 steps 9 and 12)', () => {
  const B = body(3000);
  it('reserves at record 0, is not asked again at the end, and hands the reservation over', async () => {
    const { sealed: bytes } = await sealAll(
      { sender: c.alice, recipients: c.bob, now: NOW, chunkSize: 1024, backend },
      [B],
    );
    const spy = spyStore(() => 'reserved');
    const r = await openAll(opts(spy.store), [bytes]);
    expect(r.error).toBeUndefined();
    expect(spy.called('reserve')).toHaveLength(1);
    expect(spy.called('has')).toHaveLength(0);
    expect(spy.called('release')).toHaveLength(0);
    const result = r.result as { reservation?: { state: string } };
    expect(result.reservation?.state).toBe('reserved');
  });

  it('a stream that fails after record 0 releases its lease, so that a redelivery opens', async () => {
    const { sealed: bytes } = await sealAll(
      { sender: c.alice, recipients: c.bob, now: NOW, chunkSize: 1024, backend },
      [B],
    );
    const tampered = bytes.slice();
    tampered[tampered.length - 1]! ^= 1;
    const replay = createMemoryReplayStore({ now: () => NOW });
    const bad = await openAll(opts(replay), [tampered]);
    expect((bad.error as BlindwireError).code).toBe('ERR_OPEN_FAILED');
    await new Promise((r) => setTimeout(r, 0)); // the release runs after dispose
    const good = await openAll(opts(replay), [bytes]);
    expect(good.error).toBeUndefined();
    // and a copy while that lease is held is ERR_REPLAY_IN_FLIGHT at record 0
    const copy = await openAll(opts(replay), [bytes]);
    expect((copy.error as BlindwireError).code).toBe('ERR_REPLAY_IN_FLIGHT');
    expect(copy.released).toHaveLength(0);
  });
});

describe('createMemoryReplayStore: the full interface', () => {
  it('leases run on the injected clock; release needs the holder token; done is kept through keepUntil', async () => {
    let now = NOW;
    const s = createMemoryReplayStore({ now: () => now });
    expect(await s.reserve(entry(), 1000, 't1')).toBe('reserved');
    expect(await s.reserve(entry(), 1000, 't1')).toBe('in-flight');
    await s.release(entry(), 't2'); // not the holder: no effect
    expect(await s.reserve(entry(), 1000, 't2')).toBe('in-flight');
    now += 1000; // the lease ended
    expect(await s.reserve(entry(), 1000, 't2')).toBe('reserved');
    await s.release(entry(), 't2');
    expect(await s.reserve(entry(), 1000, 't3')).toBe('reserved');
    await s.commit(entry(), 't3');
    expect(await s.reserve(entry(), 1000, 't4')).toBe('done');
    await s.release(entry(), 't3'); // never a done entry
    expect(await s.has(ID, entry().sender)).toBe(true);
    now = (T + 60) * 1000 + 999; // the last ms of the second keepUntil
    expect(await s.reserve(entry(), 1000, 't5')).toBe('done');
    now += 1;
    expect(await s.has(ID, entry().sender)).toBe(false);
    expect(await s.reserve(entry(), 1000, 't5')).toBe('reserved');
  });

  it('reservations are keyed per sender: one sender cannot pre-empt another with a copied id', async () => {
    const s = createMemoryReplayStore({ now: () => NOW });
    expect(await s.reserve(entry({ sender: 'spiffe://x/mallory' }), 1000, 'm')).toBe('reserved');
    await s.commit(entry({ sender: 'spiffe://x/mallory' }), 'm');
    expect(await s.reserve(entry(), 1000, 'a')).toBe('reserved');
  });

  it('full: sweeps what expired, else refuses a new entry with ERR_LIMIT_EXCEEDED and forgets nothing live', async () => {
    let now = NOW;
    const s = createMemoryReplayStore({ now: () => now, maxEntries: 2 });
    const id = (n: number) => n.toString(16).padStart(32, '0');
    expect(await s.reserve(entry({ messageId: id(1) }), 1000, 't')).toBe('reserved');
    await s.commit(entry({ messageId: id(2) }), 't');
    await expectCode(s.reserve(entry({ messageId: id(3) }), 1000, 't'), 'ERR_LIMIT_EXCEEDED');
    await expectCode(s.commit(entry({ messageId: id(3) }), 't'), 'ERR_LIMIT_EXCEEDED');
    await expectCode(s.record(id(3), T + 10), 'ERR_LIMIT_EXCEEDED');
    expect(await s.reserve(entry({ messageId: id(1) }), 1000, 'u')).toBe('in-flight');
    expect(await s.reserve(entry({ messageId: id(2) }), 1000, 'u')).toBe('done');
    now += 1000; // lease 1 ended: it can go
    expect(await s.reserve(entry({ messageId: id(3) }), 1000, 't')).toBe('reserved');
    expect(s.size).toBe(2);
    expect(await s.reserve(entry({ messageId: id(2) }), 1000, 'u')).toBe('done');
  });

  it('open reports a full store as ERR_TRANSPORT (transient), with the limit as its cause', async () => {
    const s = createMemoryReplayStore({ now: () => NOW, maxEntries: 1 });
    const a = await sealed('a');
    const b = await sealed('b');
    await open(a.envelope, opts(s));
    const e = await expectCode<BlindwireError>(open(b.envelope, opts(s)), 'ERR_TRANSPORT');
    expect((e.cause as BlindwireError).code).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('the guard view: record by id alone is done for reservations of any sender; per sender only for that sender', async () => {
    const byId = createMemoryReplayStore({ now: () => NOW });
    await byId.record(ID, T);
    expect(await byId.reserve(entry(), 1000, 't')).toBe('done');
    const perSender = createMemoryReplayStore({ now: () => NOW, perSender: true });
    await perSender.record(ID, T, 'spiffe://x/mallory');
    expect(await perSender.reserve(entry(), 1000, 't')).toBe('reserved');
    await expectCode(perSender.record(ID, T), 'ERR_INVALID_ARGUMENT');
  });

  it('refuses malformed options, entries, tokens and leases', async () => {
    for (const o of [{ maxEntries: 0 }, { maxEntries: 1.5 }, { now: 5 }, { perSender: 'yes' }]) {
      expect(() => createMemoryReplayStore(o as never)).toThrow(BlindwireError);
    }
    const s = createMemoryReplayStore({ now: () => NOW });
    for (const e of [
      entry({ messageId: 'A'.repeat(32) }),
      entry({ sender: '' }),
      entry({ keepUntil: 1.5 }),
    ]) {
      await expectCode(s.reserve(e, 1000, 't'), 'ERR_INVALID_ARGUMENT');
    }
    await expectCode(s.reserve(entry(), 0, 't'), 'ERR_INVALID_ARGUMENT');
    await expectCode(s.reserve(entry(), 1000, ''), 'ERR_INVALID_ARGUMENT');
  });
});
