/**
 * "Nothing lost" (SPEC.md §7b), as a property: a model of a redelivering
 * broker feeds a consumer valid, tampered, expired and disallowed messages,
 * concurrent duplicates, replays of processed ones, handlers that fail k
 * times and a replay store that fails; every message id ends committed
 * exactly once XOR dead-lettered with the right reason, never both, never
 * neither.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from '../src/consume/consumer.js';
import type { Disposition } from '../src/consume/consumer-options.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import type { ReplayStore } from '../src/envelope/replay.js';
import { seal } from '../src/envelope/seal.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
const MAX_ATTEMPTS = 3;
const DEST = 'orders/created';
const CONTEXT = `blindwire/test/v1 ${DEST}`;
type Kind = 'valid' | 'tampered' | 'expired' | 'disallowed';
const KINDS: Kind[] = ['valid', 'tampered', 'expired', 'disallowed'];
const EXPECTED: Record<Exclude<Kind, 'valid'>, string> = {
  tampered: 'ERR_OPEN_FAILED',
  expired: 'ERR_EXPIRED',
  disallowed: 'ERR_SENDER_NOT_ALLOWED',
};

let c: Cast;
/** Per kind, 8 sealed envelopes: each run draws distinct ones (a fresh store per run). */
const pool = new Map<Kind, { bytes: Uint8Array; id: string }[]>();

beforeAll(async () => {
  c = await cast(backend);
  for (const kind of KINDS) {
    const list = [];
    for (let i = 0; i < 8; i++) {
      const s = await seal(`${kind} ${i}`, {
        sender: kind === 'disallowed' ? c.mallory : c.alice,
        recipients: c.bob,
        context: CONTEXT,
        now: kind === 'expired' ? NOW - 7200_000 : NOW,
        ttl: kind === 'expired' ? 60 : 3600,
        backend,
      });
      const bytes = s.envelope.slice();
      if (kind === 'tampered') bytes[bytes.length - 20]! ^= 0x40;
      list.push({ bytes, id: s.messageId });
    }
    pool.set(kind, list);
  }
});

const messageArb = fc.record({
  kind: fc.constantFrom(...KINDS),
  handlerFailures: fc.integer({ min: 0, max: MAX_ATTEMPTS + 1 }),
  duplicated: fc.boolean(),
  replayed: fc.boolean(),
});
const runArb = fc.record({
  messages: fc.array(messageArb, { minLength: 1, maxLength: 8 }),
  // Store calls that fail (before they apply), at most MAX_ATTEMPTS - 1 in a run, so that a replay
  // of a committed message cannot be dead-lettered for the store alone.
  storeFailures: fc.array(fc.boolean(), { maxLength: 40 }),
  batch: fc.integer({ min: 1, max: 4 }),
});

interface Broker {
  id: string;
  bytes: Uint8Array;
  attempt: number;
  copies: number;
  replay: boolean;
}

describe('createConsumer: nothing lost, per message id (SPEC.md §7b)', () => {
  it('committed exactly once XOR dead-lettered with the right reason', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ messages, storeFailures, batch }) => {
        let now = NOW;
        let failuresLeft = MAX_ATTEMPTS - 1;
        let storeFailed = 0;
        const flaky = () => {
          if (failuresLeft > 0 && storeFailures.shift() === true) {
            failuresLeft--;
            storeFailed++;
            throw new Error('store down');
          }
        };
        const inner = createMemoryReplayStore({ now: () => now });
        const commits = new Map<string, number>();
        const store: ReplayStore = {
          has: inner.has,
          record: inner.record,
          reserve: async (e, l, t) => (flaky(), inner.reserve(e, l, t)),
          release: async (e, t) => (flaky(), inner.release(e, t)),
          commit: async (e, t) => {
            flaky();
            await inner.commit(e, t);
            commits.set(e.messageId, (commits.get(e.messageId) ?? 0) + 1);
          },
        };
        const used = new Map<Kind, number>();
        const plan = messages.map((m) => {
          const n = used.get(m.kind) ?? 0;
          used.set(m.kind, n + 1);
          return { ...m, ...pool.get(m.kind)![n % 8]!, fresh: n < 8 };
        });
        const model = plan.filter((m) => m.fresh); // one entry per distinct id
        const failuresLeftOf = new Map(model.map((m) => [m.id, m.handlerFailures]));
        const handled: string[] = [];
        const consumer = createConsumer({
          recipient: c.bob,
          trustedSenders: trusted(c.alice, c.mallory),
          policy: [{ match: DEST, allowedSenders: [c.alice.name] }],
          context: () => CONTEXT,
          replay: store,
          replayLeaseMs: 1000,
          retry: { maxAttempts: MAX_ATTEMPTS, backoffMs: 10, maxBackoffMs: 100 },
          concurrency: 8,
          handler: (m) => {
            const left = failuresLeftOf.get(m.messageId)!;
            failuresLeftOf.set(m.messageId, left - 1);
            if (left > 0) throw new Error('handler failed');
            handled.push(m.messageId);
          },
          now: () => now,
          backend,
        });

        const queue: Broker[] = model.map((m) => ({
          id: m.id,
          bytes: m.bytes,
          attempt: 1,
          copies: m.duplicated ? 2 : 1,
          replay: m.replayed,
        }));
        const acked = new Map<string, number>();
        const deadLettered = new Map<string, string[]>();
        for (let round = 0; queue.length > 0; round++) {
          expect(round).toBeLessThan(500);
          const take = queue.splice(0, batch);
          const results = await Promise.all(
            take.map((b) =>
              Promise.all(
                Array.from({ length: b.copies }, () =>
                  consumer.process({ bytes: b.bytes, destination: DEST, attempt: b.attempt }),
                ),
              ),
            ),
          );
          now += 600; // leases of 1000 ms end within two rounds
          take.forEach((b, i) => {
            const ds: Disposition[] = results[i]!;
            const terminal = ds.find((d) => d.action === 'ack' || d.action === 'dead-letter');
            for (const d of ds) expect(d.messageId).toBe(b.id);
            if (!terminal) {
              queue.push({ ...b, attempt: b.attempt + 1, copies: 1 });
              return;
            }
            if (terminal.action === 'dead-letter') {
              deadLettered.set(b.id, [...(deadLettered.get(b.id) ?? []), terminal.reason!]);
              expect(ds.some((d) => d.action === 'ack' && d.reason === undefined)).toBe(false);
              return;
            }
            if (terminal.reason === undefined) acked.set(b.id, (acked.get(b.id) ?? 0) + 1);
            if (b.replay) queue.push({ ...b, attempt: 1, copies: 1, replay: false });
          });
        }

        for (const m of model) {
          const committed = commits.get(m.id) ?? 0;
          const dl = deadLettered.get(m.id) ?? [];
          if (m.kind !== 'valid') {
            expect(committed).toBe(0);
            expect(dl.length).toBeGreaterThan(0);
            for (const r of dl) expect(r).toBe(EXPECTED[m.kind]);
            expect(handled).not.toContain(m.id);
            continue;
          }
          // exactly one of the two, never both, never neither
          expect(committed === 1 && dl.length === 0 && acked.get(m.id) === 1).not.toBe(
            committed === 0 && dl.length === 1,
          );
          expect(committed).toBeLessThanOrEqual(1);
          for (const r of dl) expect(['ERR_HANDLER', 'ERR_TRANSPORT']).toContain(r);
          if (storeFailed === 0) {
            if (m.handlerFailures < MAX_ATTEMPTS) expect(committed).toBe(1);
            else expect(dl).toEqual(['ERR_HANDLER']);
          }
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
