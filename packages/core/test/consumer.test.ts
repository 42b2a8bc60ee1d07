/**
 * createConsumer (SPEC.md §7b): the order on deliver (handler, commit, then
 * ack), retries with backoff and dead-letters, policies per destination,
 * events without plaintext, concurrency, per-key ordering and backpressure.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodeSync, expectCode } from '@blindwire/testkit';
import { createConsumer } from '../src/consume/consumer.js';
import type {
  ConsumeEvent,
  ConsumerOptions,
  Delivered,
  Delivery,
} from '../src/consume/consumer-options.js';
import { createScheduler } from '../src/consume/scheduler.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import type { ReplayStore } from '../src/envelope/replay.js';
import { open } from '../src/envelope/open.js';
import type { OpenOptions } from '../src/envelope/open-options.js';
import { seal } from '../src/envelope/seal.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
let c: Cast;
beforeAll(async () => {
  c = await cast(backend);
});
const ctx = (d: string) => `blindwire/test/v1 ${d}`;

async function envelope(text: string, destination = 'orders/created', o = {}) {
  const s = await seal(text, {
    sender: c.alice,
    recipients: c.bob,
    context: ctx(destination),
    now: NOW,
    backend,
    ...o,
  });
  return s;
}
const delivery = (bytes: Uint8Array, o: Partial<Delivery> = {}): Delivery => ({
  bytes,
  destination: 'orders/created',
  attempt: 1,
  ...o,
});

function consumer(o: Partial<ConsumerOptions> = {}) {
  const handled: Delivered[] = [];
  const events: ConsumeEvent[] = [];
  const replay = createMemoryReplayStore({ now: () => NOW });
  const options: ConsumerOptions = {
    recipient: c.bob,
    trustedSenders: trusted(c.alice, c.mallory),
    policy: [{ match: 'orders/*', allowedSenders: [c.alice.name] }],
    context: ctx,
    replay,
    handler: (m) => {
      handled.push(m);
    },
    onEvent: (e) => events.push(e),
    now: () => NOW,
    random: () => 0.5,
    backend,
    ...o,
  };
  return { k: createConsumer(options), handled, events, replay };
}

describe('createConsumer: the order on deliver', () => {
  it('runs the handler with the opened message, commits, then acks; a redelivery is a duplicate', async () => {
    const order: string[] = [];
    const replay = createMemoryReplayStore({ now: () => NOW });
    const spied: ReplayStore = {
      ...replay,
      reserve: replay.reserve,
      has: replay.has,
      record: replay.record,
      release: replay.release,
      commit: async (e, t) => {
        order.push('commit');
        await replay.commit(e, t);
      },
    };
    const { k, handled, events } = consumer({
      replay: spied,
      handler: (m) => {
        order.push(`handler ${new TextDecoder().decode(m.payload)}`);
        handled.push(m);
      },
    });
    const s = await envelope('pay 10');
    const d = await k.process(delivery(s.envelope));
    order.push('ack');
    expect(d).toEqual({ action: 'ack', messageId: s.messageId });
    expect(order).toEqual(['handler pay 10', 'commit', 'ack']);
    expect(handled[0]).toMatchObject({
      sender: c.alice.name,
      messageId: s.messageId,
      destination: 'orders/created',
      attempt: 1,
      bytes: s.envelope,
    });
    expect(await k.process(delivery(s.envelope, { attempt: 2 }))).toEqual({
      action: 'ack',
      reason: 'ERR_REPLAY',
      messageId: s.messageId,
    });
    expect(handled).toHaveLength(1);
    expect(events.map((e) => e.outcome)).toEqual(['deliver', 'duplicate']);
  });

  it('a handler that throws: release, retry with exponential backoff, dead-letter after maxAttempts with ERR_HANDLER', async () => {
    let fails = 3;
    const { k, events } = consumer({
      retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 250 },
      random: () => 0,
      handler: () => {
        if (fails-- > 0) throw new Error('database down');
      },
    });
    const s = await envelope('x');
    const ds = [];
    for (let attempt = 1; attempt <= 3; attempt++)
      ds.push(await k.process(delivery(s.envelope, { attempt })));
    expect(ds).toEqual([
      { action: 'retry', reason: 'ERR_HANDLER', delayMs: 50, messageId: s.messageId },
      { action: 'retry', reason: 'ERR_HANDLER', delayMs: 100, messageId: s.messageId },
      { action: 'dead-letter', reason: 'ERR_HANDLER', messageId: s.messageId },
    ]);
    // Released each time: a later redelivery (the handler now succeeds) opens and commits.
    expect(await k.process(delivery(s.envelope, { attempt: 1 }))).toEqual({
      action: 'ack',
      messageId: s.messageId,
    });
    expect(JSON.stringify(events)).not.toContain('database down');
  });

  it('the jitter is from the injected random, within [delay/2, delay]', async () => {
    for (const [u, want] of [
      [0, 500],
      [0.5, 750],
      [0.999, 1000],
    ] as const) {
      const { k } = consumer({
        random: () => u,
        handler: () => {
          throw new Error('x');
        },
      });
      const s = await envelope('x');
      expect((await k.process(delivery(s.envelope))).delayMs).toBe(want);
    }
  });

  it('permanent failures are dead-lettered with the reason and the message id, the handler never called', async () => {
    const { k, handled } = consumer();
    const s = await envelope('x');
    const tampered = s.envelope.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(await k.process(delivery(tampered))).toEqual({
      action: 'dead-letter',
      reason: 'ERR_OPEN_FAILED',
      messageId: s.messageId,
    });
    // another destination: the context differs
    expect(await k.process(delivery(s.envelope, { destination: 'orders/deleted' }))).toMatchObject({
      action: 'dead-letter',
      reason: 'ERR_CONTEXT_MISMATCH',
      messageId: s.messageId,
    });
    const fromMallory = await seal('x', {
      sender: c.mallory,
      recipients: c.bob,
      context: ctx('orders/created'),
      now: NOW,
      backend,
    });
    expect((await k.process(delivery(fromMallory.envelope))).reason).toBe('ERR_SENDER_NOT_ALLOWED');
    expect(await k.process(delivery(new Uint8Array([1, 2, 3])))).toEqual({
      action: 'dead-letter',
      reason: 'ERR_ENVELOPE_MALFORMED',
    });
    // a destination no policy matches: fail closed
    expect(await k.process(delivery(s.envelope, { destination: 'billing/x' }))).toEqual({
      action: 'dead-letter',
      reason: 'ERR_NO_POLICY',
      messageId: s.messageId,
    });
    expect(handled).toHaveLength(0);
    // none of these consumed the id: the genuine delivery still goes through
    expect((await k.process(delivery(s.envelope))).action).toBe('ack');
  });

  it('transient: a replay store that is down is retried, then dead-lettered with ERR_TRANSPORT', async () => {
    const down = async () => {
      throw new Error('ECONNREFUSED');
    };
    const replay = { ...createMemoryReplayStore(), reserve: down } as ReplayStore;
    const { k } = consumer({ replay, retry: { maxAttempts: 2 } });
    const s = await envelope('x');
    expect((await k.process(delivery(s.envelope))).action).toBe('retry');
    expect(await k.process(delivery(s.envelope, { attempt: 2 }))).toEqual({
      action: 'dead-letter',
      reason: 'ERR_TRANSPORT',
      messageId: s.messageId,
    });
  });

  it('a commit that fails after the handler: not acked, not released, retried', async () => {
    const inner = createMemoryReplayStore({ now: () => NOW });
    let down = true;
    const replay: ReplayStore = {
      ...inner,
      reserve: inner.reserve,
      release: inner.release,
      has: inner.has,
      record: inner.record,
      commit: async (e, t) => {
        if (down) throw new Error('down');
        await inner.commit(e, t);
      },
    };
    const { k, handled } = consumer({ replay, replayLeaseMs: 60_000 });
    const s = await envelope('x');
    expect(await k.process(delivery(s.envelope))).toMatchObject({
      action: 'retry',
      reason: 'ERR_TRANSPORT',
    });
    down = false;
    // the lease is still held: the redelivery waits (in-flight), the handler does not run again yet
    expect(await k.process(delivery(s.envelope, { attempt: 2 }))).toMatchObject({
      action: 'in-flight',
      reason: 'ERR_REPLAY_IN_FLIGHT',
    });
    expect(handled).toHaveLength(1);
  });

  it('events carry metadata only; the sender only when asked', async () => {
    const s = await envelope('secret payload');
    const a = consumer();
    await a.k.process(delivery(s.envelope));
    expect(a.events[0]).toEqual({
      destination: 'orders/created',
      outcome: 'deliver',
      action: 'ack',
      attempt: 1,
      bytes: s.envelope.length,
      ms: 0,
      messageId: s.messageId,
      suite: 'AES-256-GCM',
    });
    const b = consumer({ eventsIncludeSender: true });
    await b.k.process(delivery(s.envelope));
    expect(b.events[0]!.sender).toBe(c.alice.name);
    const thrown = consumer({
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    expect((await thrown.k.process(delivery(s.envelope))).action).toBe('ack');
  });
});

describe('createConsumer: policies and options', () => {
  it('first matching entry wins; a match function and a per-entry context are accepted', async () => {
    const { k } = consumer({
      policy: [
        { match: (d) => d.startsWith('orders.'), context: 'dotted' },
        { match: '**', allowedSenders: [] },
      ],
    });
    const dotted = await seal('x', {
      sender: c.alice,
      recipients: c.bob,
      context: 'dotted',
      now: NOW,
      backend,
    });
    expect((await k.process(delivery(dotted.envelope, { destination: 'orders.new' }))).action).toBe(
      'ack',
    );
    const s = await envelope('x', 'orders/created');
    expect((await k.process(delivery(s.envelope))).reason).toBe('ERR_SENDER_NOT_ALLOWED');
    // the delivery's context overrides the policy's
    const moved = await envelope('y', 'orders/created');
    expect(
      (
        await k.process(
          delivery(moved.envelope, { destination: 'orders.moved', context: ctx('orders/created') }),
        )
      ).action,
    ).toBe('ack');
  });

  it('refuses a misconfiguration at creation: no replay store, no policy, a bad pattern, no context, both key sources', () => {
    const base = consumer();
    const o = (x: Record<string, unknown>) => () =>
      createConsumer({
        recipient: c.bob,
        trustedSenders: trusted(c.alice),
        policy: [{ match: 'a/*' }],
        context: ctx,
        replay: base.replay,
        handler: () => undefined,
        ...x,
      } as ConsumerOptions);
    for (const bad of [
      { replay: { has: () => false, record: () => undefined } },
      { replay: undefined },
      { policy: [] },
      { policy: [{ match: 'a***' }] },
      { policy: [{ match: 'a/*', allowedSenders: [''] }] },
      { policy: [{ match: 'a/*', maxAge: -1 }] },
      { context: undefined },
      { keySource: { recipientKeys: () => [] } },
      { recipient: undefined },
      { trustedSenders: undefined },
      { handler: undefined },
      { retry: { maxAttempts: 0 } },
      { retry: { backoffMs: 100, maxBackoffMs: 10 } },
      { concurrency: 0 },
      { replayLeaseMs: 0 },
    ]) {
      expect(errorCodeSync(o(bad))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(() =>
      o({ policy: [{ match: 'a/*', context: 'c' }], context: undefined })(),
    ).not.toThrow();
  });

  it('a key source is read per delivery; its failure is transient', async () => {
    let fail = true;
    const { k } = consumer({
      recipient: undefined,
      keySource: {
        recipientKeys: async () => {
          if (fail) throw new Error('vault down');
          return [c.bob.encryption];
        },
      },
    });
    const s = await envelope('x');
    expect(await k.process(delivery(s.envelope))).toMatchObject({
      action: 'retry',
      reason: 'ERR_TRANSPORT',
    });
    fail = false;
    expect((await k.process(delivery(s.envelope, { attempt: 2 }))).action).toBe('ack');
  });

  it("open gets per delivery the fixed options, the key source's keys, the destination's context and the clock", async () => {
    const seen: OpenOptions[] = [];
    const opener = { open: (b: Uint8Array, o: OpenOptions) => (seen.push(o), open(b, o)) };
    const replay = createMemoryReplayStore({ now: () => NOW });
    const { k } = consumer({ opener, replay, replayLeaseMs: 5_000, clockSkew: 30 });
    const s = await envelope('x', 'orders/created');
    expect((await k.process(delivery(s.envelope))).action).toBe('ack');
    expect(seen[0]).toEqual({
      context: ctx('orders/created'),
      now: NOW,
      replay,
      recipient: c.bob,
      trustedSenders: trusted(c.alice, c.mallory),
      replayLeaseMs: 5_000,
      clockSkew: 30,
      backend,
      allowedSenders: [c.alice.name],
    });
    const keyed = consumer({
      opener,
      recipient: undefined,
      revokedKids: undefined,
      keySource: {
        recipientKeys: () => [c.bob.encryption],
        revokedKids: () => [c.mallory.encryption.kid],
      },
    }).k;
    const other = await envelope('y', 'orders/paid');
    expect(
      (await keyed.process(delivery(other.envelope, { destination: 'orders/paid' }))).action,
    ).toBe('ack');
    expect(seen[1]).toMatchObject({
      context: ctx('orders/paid'),
      now: NOW,
      recipient: [c.bob.encryption],
      revokedKids: [c.mallory.encryption.kid],
    });
  });

  it('a malformed delivery is refused (the binding is wrong), never silently dropped', async () => {
    const { k } = consumer();
    for (const d of [
      { bytes: 'x', destination: 'a', attempt: 1 },
      { bytes: new Uint8Array(1), destination: 1, attempt: 1 },
      { bytes: new Uint8Array(1), destination: 'a', attempt: 0 },
      null,
    ]) {
      await expectCode(k.process(d as Delivery), 'ERR_INVALID_ARGUMENT');
    }
  });
});

describe('createConsumer: concurrency', () => {
  it('two process calls of one id at once: one handler call, the other in-flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const { k } = consumer({
      handler: async () => {
        calls++;
        await gate;
      },
    });
    const s = await envelope('x');
    const first = k.process(delivery(s.envelope));
    const second = k.process(delivery(s.envelope));
    const d2 = await second;
    release();
    const d1 = await first;
    expect(d1.action).toBe('ack');
    expect(d2).toMatchObject({ action: 'in-flight', reason: 'ERR_REPLAY_IN_FLIGHT' });
    expect(calls).toBe(1);
  });

  it('per-key ordering: the same key in arrival order, other keys in parallel', async () => {
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    const { k } = consumer({
      concurrency: 4,
      keyOf: (d) => d.destination,
      handler: async (m) => {
        const t = new TextDecoder().decode(m.payload);
        log.push(`start ${t}`);
        await new Promise<void>((r) => gates.set(t, r));
        log.push(`end ${t}`);
      },
    });
    const a1 = await envelope('a1', 'orders/a');
    const a2 = await envelope('a2', 'orders/a');
    const b1 = await envelope('b1', 'orders/b');
    const p = [
      k.process(delivery(a1.envelope, { destination: 'orders/a' })),
      k.process(delivery(a2.envelope, { destination: 'orders/a' })),
      k.process(delivery(b1.envelope, { destination: 'orders/b' })),
    ];
    const until = async (t: string) => {
      while (!gates.has(t)) await new Promise((r) => setTimeout(r, 1));
    };
    await until('a1');
    await until('b1'); // b1 runs while a1 is still running
    expect(gates.has('a2')).toBe(false); // a2 waits for a1
    gates.get('b1')!();
    gates.get('a1')!();
    await until('a2');
    gates.get('a2')!();
    expect((await Promise.all(p)).map((d) => d.action)).toEqual(['ack', 'ack', 'ack']);
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
  });

  it('the scheduler: at most `concurrency` at once; submit waits while `concurrency` are queued', async () => {
    const s = createScheduler(2);
    let active = 0;
    let peak = 0;
    const opens: (() => void)[] = [];
    const job = () =>
      new Promise<void>((r) => {
        active++;
        peak = Math.max(peak, active);
        opens.push(() => {
          active--;
          r();
        });
      });
    const runs = Array.from({ length: 4 }, () => s.run(undefined, job));
    expect(s.running).toBe(2);
    expect(s.queued).toBe(2);
    let room = false;
    const waiting = s.wait().then(() => (room = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(room).toBe(false);
    opens.shift()!();
    await waiting;
    expect(room).toBe(true);
    while (opens.length > 0 || s.running > 0) {
      opens.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(runs);
    expect(peak).toBe(2);
  });

  it('a job that throws synchronously frees its place', async () => {
    const s = createScheduler(1);
    await expect(
      s.run('k', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(await s.run('k', async () => 7)).toBe(7);
  });
});
