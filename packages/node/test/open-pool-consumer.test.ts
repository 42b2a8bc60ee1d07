/**
 * `createConsumer({ opener: pool })` (SPEC.md §7b) with the open pool: the
 * key scenarios of core's consumer tests hold when openings run in worker
 * threads (deliver then commit then ack, duplicates, handler failures
 * released and retried, permanent failures dead-lettered, a store outage
 * transient, one handler call for concurrent copies, per-key order, a worker
 * that stops retried); the opener and backend options checked at
 * createConsumer; and properties: the pool and `open` agree on any mutation
 * of an envelope and on wrong-shaped options. Needs the built worker.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createConsumer,
  createMemoryReplayStore,
  open,
  pureBackend,
  seal,
  type ConsumerOptions,
  type Delivered,
  type Delivery,
  type ReplayStore,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createOpenPool, poolWorkers, type OpenPool } from '../src/open-pool.js';
import { WORKER_WAIT, worker } from './helpers/built-worker.js';
import { NOW, cast, trusted, type Cast } from './helpers/fixtures.js';
import { made, place, placements } from '@blindwire/testkit/wrong-shapes';

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
const ctx = (d: string) => `blindwire/test/v1 ${d}`;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const envelope = (t: string, destination = 'orders/created', o = {}) =>
  seal(t, {
    sender: c.alice,
    recipients: c.bob,
    context: ctx(destination),
    now: NOW,
    backend,
    ...o,
  });
const delivery = (bytes: Uint8Array, o: Partial<Delivery> = {}): Delivery => ({
  bytes,
  destination: 'orders/created',
  attempt: 1,
  ...o,
});

function consumer(o: Partial<ConsumerOptions> = {}) {
  const handled: Delivered[] = [];
  const replay = createMemoryReplayStore({ now: () => NOW });
  const k = createConsumer({
    recipient: c.bob,
    trustedSenders: trusted(c.alice, c.mallory),
    policy: [{ match: 'orders/*', allowedSenders: [c.alice.name] }],
    context: ctx,
    replay,
    handler: (m) => void handled.push(m),
    now: () => NOW,
    random: () => 0.5,
    opener: pool,
    ...o,
  });
  return { k, handled, replay };
}

describe.skipIf(worker.skip)('createConsumer with opener: pool', () => {
  it('delivers, commits then acks; a redelivery is a duplicate', async () => {
    const { k, handled, replay } = consumer();
    const s = await envelope('pay 10');
    expect(await k.process(delivery(s.envelope))).toEqual({
      action: 'ack',
      messageId: s.messageId,
    });
    expect(text(handled[0]!.payload)).toBe('pay 10');
    expect(handled[0]).toMatchObject({ sender: c.alice.name, messageId: s.messageId });
    expect(await replay.has(s.messageId, c.alice.name)).toBe(true);
    expect(await k.process(delivery(s.envelope, { attempt: 2 }))).toEqual({
      action: 'ack',
      reason: 'ERR_REPLAY',
      messageId: s.messageId,
    });
    expect(handled).toHaveLength(1);
  });

  it('a handler that throws: released and retried; the redelivery opens and commits', async () => {
    let fails = 1;
    const { k } = consumer({
      retry: { maxAttempts: 3, backoffMs: 100 },
      handler: () => {
        if (fails-- > 0) throw new Error('database down');
      },
    });
    const s = await envelope('x');
    expect(await k.process(delivery(s.envelope))).toMatchObject({
      action: 'retry',
      reason: 'ERR_HANDLER',
    });
    expect(await k.process(delivery(s.envelope, { attempt: 2 }))).toEqual({
      action: 'ack',
      messageId: s.messageId,
    });
  });

  it('permanent failures are dead-lettered with the reason, the handler never called', async () => {
    const { k, handled } = consumer();
    const s = await envelope('x');
    const tampered = s.envelope.slice();
    tampered[tampered.length - 1]! ^= 1;
    const fromMallory = await seal('x', {
      sender: c.mallory,
      recipients: c.bob,
      context: ctx('orders/created'),
      now: NOW,
      backend,
    });
    const reasons = [];
    for (const d of [
      delivery(tampered),
      delivery(s.envelope, { destination: 'orders/deleted' }),
      delivery(fromMallory.envelope),
      delivery(new Uint8Array([1, 2, 3])),
      delivery(s.envelope, { destination: 'billing/x' }),
    ]) {
      const r = await k.process(d);
      expect(r.action).toBe('dead-letter');
      reasons.push(r.reason);
    }
    expect(reasons).toEqual([
      'ERR_OPEN_FAILED',
      'ERR_CONTEXT_MISMATCH',
      'ERR_SENDER_NOT_ALLOWED',
      'ERR_ENVELOPE_MALFORMED',
      'ERR_NO_POLICY',
    ]);
    expect(handled).toHaveLength(0);
    expect((await k.process(delivery(s.envelope))).action).toBe('ack');
  });

  it('a replay store that is down is transient (retry), then dead-lettered', async () => {
    const replay = {
      ...createMemoryReplayStore(),
      reserve: () => Promise.reject(new Error('ECONNREFUSED')),
    } as ReplayStore;
    const { k } = consumer({ replay, retry: { maxAttempts: 2 } });
    const s = await envelope('x');
    expect(await k.process(delivery(s.envelope))).toMatchObject({
      action: 'retry',
      reason: 'ERR_TRANSPORT',
    });
    expect(await k.process(delivery(s.envelope, { attempt: 2 }))).toMatchObject({
      action: 'dead-letter',
      reason: 'ERR_TRANSPORT',
    });
  });

  it('concurrent copies of one message: one handler call, the others in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled: Delivered[] = [];
    const { k } = consumer({
      handler: async (m) => {
        handled.push(m);
        await gate;
      },
    });
    const s = await envelope('once');
    let settled = 0;
    const ds = Array.from({ length: 6 }, (_, i) =>
      k.process(delivery(s.envelope, { attempt: i + 1 })).finally(() => settled++),
    );
    // The handler holds the reservation until every other copy has its answer
    // (released earlier, a copy still in a worker would find the id done).
    await expect.poll(() => handled.length === 1 && settled === 5, WORKER_WAIT).toBe(true);
    release();
    const actions = (await Promise.all(ds)).map((d) => d.action).sort();
    expect(actions).toEqual([
      'ack',
      'in-flight',
      'in-flight',
      'in-flight',
      'in-flight',
      'in-flight',
    ]);
  });

  it('per-key ordering holds across the workers', async () => {
    const seen: string[] = [];
    const { k } = consumer({
      keyOf: () => 'one-key',
      handler: (m) => void seen.push(text(m.payload)),
    });
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => envelope(`m${i}`)));
    await Promise.all(all.map((s) => k.process(delivery(s.envelope))));
    expect(seen).toEqual(all.map((_, i) => `m${i}`));
  });

  it('a worker that stops mid-opening: retry (ERR_TRANSPORT), then the redelivery is handled', async () => {
    const p = createOpenPool({ size: 1 });
    try {
      let kill = true;
      const mem = createMemoryReplayStore({ now: () => NOW });
      const replay: ReplayStore = {
        ...mem,
        reserve: async (e, ms, t) => {
          const a = await mem.reserve(e, ms, t);
          if (kill) await Promise.all(poolWorkers(p).map((w) => w.terminate()));
          kill = false;
          return a;
        },
      };
      const { k, handled } = consumer({ opener: p, replay });
      const s = await envelope('x');
      expect(await k.process(delivery(s.envelope))).toMatchObject({
        action: 'retry',
        reason: 'ERR_TRANSPORT',
      });
      await expect
        .poll(
          async () => (await k.process(delivery(s.envelope, { attempt: 2 }))).action,
          WORKER_WAIT,
        )
        .toBe('ack');
      expect(handled).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it('refuses at createConsumer an opener without open, or a backend that is not the pool one', () => {
    for (const opener of [null, 1, {}, { open: 1 }])
      expect(() => consumer({ opener: opener as never })).toThrow(/opener/);
    expect(() => consumer({ backend: pureBackend })).toThrow(/backend/);
    expect(() => consumer({ backend: pool.backend })).not.toThrow();
  });
});

async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'opened',
    (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
  );
}

describe.skipIf(worker.skip)('open pool: properties (the pool gives what open gives)', () => {
  it('any mutation of an envelope', async () => {
    const s = await envelope('property');
    const o = {
      recipient: c.bob,
      trustedSenders: trusted(c.alice),
      context: ctx('orders/created'),
      now: NOW,
      backend,
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        async (flips, cut) => {
          const m = s.envelope.slice(0, cut === undefined ? undefined : cut % s.envelope.length);
          for (const [at, x] of flips) if (m.length) m[at % m.length]! ^= x;
          expect(await outcome(pool.open(m, o))).toBe(await outcome(open(m, o)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('wrong-shaped options and throwing getters', async () => {
    const s = await envelope('property');
    const base = {
      recipient: c.bob,
      trustedSenders: trusted(c.alice),
      context: ctx('orders/created'),
      now: NOW,
    };
    const paths = [
      '',
      'recipient',
      'recipient.encryption',
      'trustedSenders',
      'context',
      'resolveSender',
      'allowedSenders',
      'allowedSuites',
      'now',
      'clockSkew',
      'maxAge',
      'replay',
      'replayLeaseMs',
      'limits',
      'revokedKids',
    ];
    await fc.assert(
      fc.asyncProperty(placements(paths), async (spec) => {
        const p = made(spec);
        const pooled = await outcome(pool.open(s.envelope, place(base, p) as never));
        const inThread = await outcome(
          open(s.envelope, place(base, { ...p, value: spec.value.make() }) as never),
        );
        expect(pooled).toBe(inThread);
      }),
      { numRuns: 200 },
    );
  });
});
