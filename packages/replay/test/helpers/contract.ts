/**
 * The contract every replay store passes (SPEC.md §7 step 18), run against the
 * reference model (model.test.ts) and each real store: the reserve / commit /
 * release transitions, lease expiry and keepUntil expiry with real waiting,
 * token mismatch, per-sender keying, the legacy view, wrong-shaped arguments,
 * concurrency within one process and, where the harness can write a foreign
 * value, failing closed on it.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@blindwire/core';
import { expect, it } from 'vitest';
import { rejection } from '@blindwire/testkit';
import type { ReplayEntry, ReplayStore } from '../../src/types.js';

export interface Made {
  store: ReplayStore;
  /** Writes, behind the store's back, a value no store writes at the entry's key. */
  writeForeign?: (entry: ReplayEntry) => Promise<void>;
}

/** Makes a fresh store (its own key space), optionally with a legacy `recordSkew`. */
export type MakeStore = (options?: { recordSkew?: number }) => Made | Promise<Made>;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const nowS = () => Math.floor(Date.now() / 1000);
export const newId = () => randomBytes(16).toString('hex');
export const newToken = () => randomBytes(12).toString('hex');

/** A sender unique to this run (so stores sharing a key space never see one another's entries). */
export const newSender = (label = 'agent') =>
  `spiffe://acme.example/${label}/${randomBytes(6).toString('hex')}`;

export const entryOf = (keepFor = 3600, sender = newSender()): ReplayEntry => ({
  messageId: newId(),
  sender,
  keepUntil: nowS() + keepFor,
});

/** Waits until at least `ms` is left before the next whole second, then returns that second. */
async function freshSecond(ms: number): Promise<number> {
  if (1000 - (Date.now() % 1000) < ms) await sleep(1000 - (Date.now() % 1000) + 5);
  return nowS();
}

export function runTransitions(make: MakeStore): void {
  it('reserve -> reserved once; any other reserve while the lease lives -> in-flight', async () => {
    const { store } = await make();
    const e = entryOf();
    const [a, b] = [newToken(), newToken()];
    expect(await store.reserve(e, 60_000, a)).toBe('reserved');
    expect(await store.reserve(e, 60_000, b)).toBe('in-flight');
    expect(await store.reserve(e, 60_000, a)).toBe('in-flight'); // the holder's own token too
    expect(await store.has(e.messageId, e.sender)).toBe(false); // in flight is not done
  });

  it('commit -> done for every later reserve and for has; the holder cannot release it', async () => {
    const { store } = await make();
    const e = entryOf();
    const a = newToken();
    expect(await store.reserve(e, 60_000, a)).toBe('reserved');
    await store.commit(e, a);
    await store.commit(e, a); // idempotent
    expect(await store.reserve(e, 60_000, newToken())).toBe('done');
    await store.release(e, a);
    expect(await store.reserve(e, 60_000, a)).toBe('done');
    expect(await store.has(e.messageId, e.sender)).toBe(true);
  });

  it('release by the holder allows a retry; release with another token changes nothing', async () => {
    const { store } = await make();
    const e = entryOf();
    const [a, b] = [newToken(), newToken()];
    expect(await store.reserve(e, 60_000, a)).toBe('reserved');
    await store.release(e, b);
    expect(await store.reserve(e, 60_000, b)).toBe('in-flight');
    await store.release(e, a);
    expect(await store.reserve(e, 60_000, b)).toBe('reserved');
    await store.release(e, a); // a's lease is gone: b's stays
    expect(await store.reserve(e, 60_000, a)).toBe('in-flight');
  });

  it('commit without a lease, or under another holder, marks the entry done', async () => {
    const { store } = await make();
    const free = entryOf();
    await store.commit(free, newToken());
    expect(await store.reserve(free, 60_000, newToken())).toBe('done');
    const held = entryOf();
    const holder = newToken();
    expect(await store.reserve(held, 60_000, holder)).toBe('reserved');
    await store.commit(held, newToken()); // "whatever lease is held"
    await store.release(held, holder);
    expect(await store.has(held.messageId, held.sender)).toBe(true);
  });
}

export function runExpiry(make: MakeStore): void {
  it('a lease expires after leaseMs: the next reserve takes it; the old holder cannot release it', async () => {
    const { store } = await make();
    const e = entryOf();
    const [a, b] = [newToken(), newToken()];
    expect(await store.reserve(e, 1000, a)).toBe('reserved');
    expect(await store.reserve(e, 1000, b)).toBe('in-flight');
    await sleep(1200);
    expect(await store.reserve(e, 60_000, b)).toBe('reserved');
    await store.release(e, a);
    expect(await store.reserve(e, 60_000, a)).toBe('in-flight');
    await store.commit(e, a); // the late first holder finishes: done, whoever holds the lease
    expect(await store.reserve(e, 60_000, newToken())).toBe('done');
  });

  it('a done entry is kept through the second keepUntil and is gone after it', async () => {
    const { store } = await make();
    // keepUntil is the next second: at least 1.4 s for the first checks on a busy machine.
    const second = (await freshSecond(400)) + 1;
    const e = entryOf(0);
    const kept = { ...e, keepUntil: second };
    await store.commit(kept, newToken());
    expect(await store.has(e.messageId, e.sender)).toBe(true);
    expect(await store.reserve(kept, 60_000, newToken())).toBe('done');
    await sleep((second + 1) * 1000 - Date.now() + 150);
    expect(await store.has(e.messageId, e.sender)).toBe(false);
    expect(await store.reserve(kept, 60_000, newToken())).toBe('reserved');
  });

  it('a commit with keepUntil in the past leaves nothing; a later, shorter commit never shortens', async () => {
    const { store } = await make();
    const past = entryOf(-5);
    await store.commit(past, newToken());
    expect(await store.has(past.messageId, past.sender)).toBe(false);
    expect(await store.reserve(past, 60_000, newToken())).toBe('reserved');
    const e = entryOf(3600);
    await store.commit(e, newToken());
    await store.commit({ ...e, keepUntil: nowS() - 5 }, newToken());
    expect(await store.has(e.messageId, e.sender)).toBe(true);
  });
}

export function runKeying(make: MakeStore): void {
  it('keys by (sender, message id): a sender copying another sender’s id pre-empts nothing', async () => {
    const { store } = await make();
    const id = newId();
    const base = newSender();
    // Senders a naive concatenation could confuse, and a non-ASCII one.
    const senders = [base, `${base}:`, `${base}/x`, `${base}ü`, `${base}/${id}`];
    for (const sender of senders) {
      const e = { messageId: id, sender, keepUntil: nowS() + 3600 };
      expect(await store.reserve(e, 60_000, newToken())).toBe('reserved');
    }
    const first = { messageId: id, sender: base, keepUntil: nowS() + 3600 };
    await store.commit(first, newToken());
    expect(await store.has(id, base)).toBe(true);
    for (const sender of senders.slice(1)) expect(await store.has(id, sender)).toBe(false);
    const other = { ...first, sender: `${base}/x` };
    expect(await store.reserve(other, 60_000, newToken())).toBe('in-flight');
  });

  it('the legacy view: record marks done (kept recordSkew past expiresAt); has is true iff done', async () => {
    const { store } = await make();
    const sender = newSender();
    const [id, late] = [newId(), newId()];
    await store.record(id, nowS() + 3600, sender);
    expect(await store.has(id, sender)).toBe(true);
    const e = { messageId: id, sender, keepUntil: nowS() + 3600 };
    expect(await store.reserve(e, 60_000, newToken())).toBe('done');
    await store.record(late, nowS() - 30, sender); // expired, but open accepts it within its skew
    expect(await store.has(late, sender)).toBe(true);
    const strict = (await make({ recordSkew: 0 })).store;
    const gone = newId();
    await strict.record(gone, nowS() - 30, sender);
    expect(await strict.has(gone, sender)).toBe(false);
    expect((await rejection(store.record(newId(), nowS() + 60))).code).toBe(
      ErrorCode.InvalidArgument,
    );
  });
}

const SECRET_SENDER = 'spiffe://acme.example/secret-sender-name';
const SECRET_TOKEN = 'secret-token-value';

/** Entries, leases and tokens of the wrong shape: each is ERR_INVALID_ARGUMENT. */
export const BAD_ENTRIES: [string, unknown][] = [
  ['no entry', undefined],
  ['null', null],
  ['a string', 'abc'],
  ['id too short', { messageId: 'ab', sender: SECRET_SENDER, keepUntil: 1 }],
  ['id upper case', { messageId: 'A'.repeat(32), sender: SECRET_SENDER, keepUntil: 1 }],
  ['id not a string', { messageId: 7, sender: SECRET_SENDER, keepUntil: 1 }],
  ['empty sender', { messageId: 'a'.repeat(32), sender: '', keepUntil: 1 }],
  ['sender not a string', { messageId: 'a'.repeat(32), sender: 42, keepUntil: 1 }],
  [
    'sender with a newline',
    { messageId: 'a'.repeat(32), sender: `${SECRET_SENDER}\n`, keepUntil: 1 },
  ],
  [
    'sender with NUL',
    { messageId: 'a'.repeat(32), sender: `${SECRET_SENDER}\u0000`, keepUntil: 1 },
  ],
  ['sender with a C1 control', { messageId: 'a'.repeat(32), sender: `a\u0085b`, keepUntil: 1 }],
  ['sender with a lone surrogate', { messageId: 'a'.repeat(32), sender: `a\ud800b`, keepUntil: 1 }],
  [
    'sender of 1025 bytes',
    { messageId: 'a'.repeat(32), sender: 'é'.repeat(512) + 'x', keepUntil: 1 },
  ],
  ['keepUntil fractional', { messageId: 'a'.repeat(32), sender: SECRET_SENDER, keepUntil: 1.5 }],
  ['keepUntil negative', { messageId: 'a'.repeat(32), sender: SECRET_SENDER, keepUntil: -1 }],
  ['keepUntil a string', { messageId: 'a'.repeat(32), sender: SECRET_SENDER, keepUntil: '9' }],
  ['keepUntil NaN', { messageId: 'a'.repeat(32), sender: SECRET_SENDER, keepUntil: NaN }],
  [
    'keepUntil past 9999',
    { messageId: 'a'.repeat(32), sender: SECRET_SENDER, keepUntil: 253402300800 },
  ],
];
export const BAD_LEASES: unknown[] = [0, -1, 1.5, 3_600_001, NaN, Infinity, '1000', undefined];
export const BAD_TOKENS: unknown[] = ['', 'x'.repeat(65), `${SECRET_TOKEN}\n`, 'a\ud800', 7, null];

export function runArguments(make: MakeStore): void {
  it('wrong-shaped entries, leases and tokens are ERR_INVALID_ARGUMENT, name no secret, write nothing', async () => {
    const { store } = await make();
    const good = entryOf();
    const calls: [string, () => Promise<unknown>][] = [];
    for (const [label, bad] of BAD_ENTRIES) {
      const entry = bad as ReplayEntry;
      calls.push([`reserve ${label}`, () => store.reserve(entry, 1000, 't')]);
      calls.push([`commit ${label}`, () => store.commit(entry, 't')]);
      calls.push([`release ${label}`, () => store.release(entry, 't')]);
    }
    for (const lease of BAD_LEASES)
      calls.push([`lease ${String(lease)}`, () => store.reserve(good, lease as number, 't')]);
    for (const token of BAD_TOKENS) {
      calls.push([`reserve token`, () => store.reserve(good, 1000, token as string)]);
      calls.push([`commit token`, () => store.commit(good, token as string)]);
      calls.push([`release token`, () => store.release(good, token as string)]);
    }
    calls.push(['has id', () => store.has('xyz', good.sender)]);
    calls.push(['has sender', () => store.has(good.messageId, '')]);
    calls.push(['record expiresAt', () => store.record(good.messageId, 1.5, good.sender)]);
    calls.push(['record sender', () => store.record(good.messageId, 9, `a\nb`)]);
    for (const [label, call] of calls) {
      const e = await rejection(call);
      expect(e.code, label).toBe(ErrorCode.InvalidArgument);
      expect(e.message, label).not.toContain('secret');
    }
    expect(await store.has(good.messageId, good.sender)).toBe(false);
    expect(await store.reserve(good, 1000, 'x'.repeat(64))).toBe('reserved'); // the limits are inclusive
    const long = { ...entryOf(), sender: 'é'.repeat(512) }; // exactly 1024 bytes
    expect(await store.reserve(long, 3_600_000, newToken())).toBe('reserved');
  });
}

export function runConcurrency(make: MakeStore): void {
  it('20 concurrent reserves of one entry in one process: exactly one reserved', async () => {
    const { store } = await make();
    for (let round = 0; round < 5; round++) {
      const e = entryOf();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => store.reserve(e, 60_000, newToken())),
      );
      expect(answers.filter((a) => a === 'reserved')).toHaveLength(1);
      expect(answers.filter((a) => a === 'in-flight')).toHaveLength(19);
    }
  });
}

export function runFailClosed(make: MakeStore): void {
  it('a value the store did not write is ERR_TRANSPORT for every operation, never a pass', async () => {
    const { store, writeForeign } = await make();
    if (!writeForeign) throw new Error('this harness cannot write a foreign value');
    const e = entryOf();
    await writeForeign(e);
    for (const call of [
      () => store.reserve(e, 1000, 't'),
      () => store.has(e.messageId, e.sender),
      () => store.commit(e, 't'),
    ]) {
      expect((await rejection(call)).code).toBe(ErrorCode.Transport);
    }
  });
}

/** The whole contract (fail-closed only where the harness can write a foreign value). */
export function runReplayContract(make: MakeStore, options: { foreign?: boolean } = {}): void {
  runTransitions(make);
  runExpiry(make);
  runKeying(make);
  runArguments(make);
  runConcurrency(make);
  if (options.foreign) runFailClosed(make);
}
