/**
 * A fast-check property for any replay store (SPEC.md §7 step 18): random
 * sequences of reserve, commit, release, has and record, over a few entries
 * (two senders sharing message ids) and two tokens, answer exactly as the
 * reference model does. Leases are long and every keepUntil is far from now,
 * so no answer depends on when an operation lands; expiry is the contract's
 * business. Each run draws its own senders, so runs never see each other.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { ReplayEntry, ReplayStore } from '../../src/types.js';
import { ReplayModel } from './model.js';

type Op =
  | { op: 'reserve'; e: number; t: number }
  | { op: 'commit'; e: number; t: number; k: number }
  | { op: 'release'; e: number; t: number }
  | { op: 'has'; e: number }
  | { op: 'record'; e: number; k: number };

/** keepUntil offsets from now, in seconds: far past (even with the legacy skew), future. */
const KEEP = [-200_000, 1_000, 2_000];
const TOKENS = ['tok-a', 'tok-b'];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('reserve' as const), e: fc.nat(3), t: fc.nat(1) }),
  fc.record({ op: fc.constant('commit' as const), e: fc.nat(3), t: fc.nat(1), k: fc.nat(2) }),
  fc.record({ op: fc.constant('release' as const), e: fc.nat(3), t: fc.nat(1) }),
  fc.record({ op: fc.constant('has' as const), e: fc.nat(3) }),
  fc.record({ op: fc.constant('record' as const), e: fc.nat(3), k: fc.nat(2) }),
);

/** Runs `ops` on `store` and on a fresh model, comparing every answer. */
async function runOps(store: ReplayStore, ops: Op[], recordSkew: number): Promise<void> {
  const salt = randomBytes(6).toString('hex');
  const senders = [`spiffe://p.example/${salt}/a`, `spiffe://p.example/${salt}/b`];
  const ids = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
  const base = Math.floor(Date.now() / 1000);
  const entry = (i: number, k = 1): ReplayEntry => ({
    messageId: ids[i % 2]!,
    sender: senders[i >> 1]!,
    keepUntil: base + KEEP[k]!,
  });
  const model = new ReplayModel();
  for (const [step, o] of ops.entries()) {
    const now = Date.now();
    const where = `step ${step}: ${JSON.stringify(o)}`;
    if (o.op === 'reserve') {
      const want = model.reserve(entry(o.e), 600_000, TOKENS[o.t]!, now);
      expect(await store.reserve(entry(o.e), 600_000, TOKENS[o.t]!), where).toBe(want);
    } else if (o.op === 'commit') {
      model.commit(entry(o.e, o.k), now);
      await store.commit(entry(o.e, o.k), TOKENS[o.t]!);
    } else if (o.op === 'release') {
      model.release(entry(o.e), TOKENS[o.t]!);
      await store.release(entry(o.e), TOKENS[o.t]!);
    } else if (o.op === 'has') {
      const e = entry(o.e);
      expect(await store.has(e.messageId, e.sender), where).toBe(
        model.has(e.messageId, e.sender, now),
      );
    } else {
      const e = entry(o.e, o.k);
      model.commit({ ...e, keepUntil: e.keepUntil + recordSkew }, now);
      await store.record(e.messageId, e.keepUntil, e.sender);
    }
  }
}

/** The property, `numRuns` sequences of up to 30 operations, on one store of default recordSkew. */
export async function checkAgainstModel(store: ReplayStore, numRuns = 25): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) =>
      runOps(store, ops, 86_400),
    ),
    { numRuns },
  );
}
