/**
 * A replay reservation store on a NATS JetStream key-value bucket (SPEC.md §7
 * step 18), through a bucket (`@nats-io/kv` 3 `KV`) the caller opened.
 *
 * Keys: `<sha256hex(sender)>.<messageId>`: hex and one dot, valid in any KV,
 * one key per (sender, id) (the hash has a fixed length). Values, JSON:
 * `{"v":1,"s":"lease","t":<token>,"l":<leaseMs>}` while reserved and
 * `{"v":1,"s":"done","k":<keepUntil>}` once committed. Use a bucket of its own.
 *
 * Atomicity: every write is revision-checked by the server. `reserve` reads
 * the key, and writes a lease with `create` (the key must have no value) or
 * `update(key, value, revision)` (the key must still be at the revision that
 * was read, an expired lease or an expired done entry); of concurrent writers
 * on one revision exactly one succeeds, the others re-read. `commit` writes
 * the same way; `release` deletes with the revision of the lease it read.
 *
 * Time: a lease ends `leaseMs` after the server's timestamp of its write, and
 * a done entry at the end of the second keepUntil; both are judged against
 * this process's clock, so consumers' clocks should agree to well within a
 * lease. nats-server 2.9 has no per-key TTL (2.11 does): expired values stay
 * and count as absent. Storage is bounded by the bucket's `max_age` (`ttl`
 * when created with `new Kvm(nc).create(name, { ttl })`): the server drops a
 * value `max_age` after its write, so `max_age` must be at least the longest
 * keepUntil minus the time of a commit: the senders' longest envelope lifetime
 * (expires-at minus issued-at) plus twice the openers' clock skew, plus one
 * second. A shorter `max_age` drops entries early and reopens the replay window.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import {
  droppableAtMs,
  invalidArgument,
  recordSkewOf,
  senderHash,
  transportFor,
  unexpected,
  checkedStore,
} from './checks.js';
import type { ReplayEntry, ReplayStore, ReserveAnswer } from './types.js';

const STORE = 'nats replay store';
const transport = transportFor(STORE);
/** Writes tried per operation before giving up on a key that others keep changing. */
const MAX_ATTEMPTS = 16;
/** JetStream API error codes of a failed revision check (wrong last sequence; unknown). */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);

/** What the store reads of a `KvEntry`. */
export interface NatsKvEntryLike {
  readonly revision: number;
  /** The server's timestamp of this revision. */
  readonly created: Date;
  readonly operation: string;
  readonly value: Uint8Array;
}

/** What the store needs of an `@nats-io/kv` 3 bucket (`await new Kvm(nc).open(name)`). */
export interface NatsKvLike {
  get(key: string): Promise<NatsKvEntryLike | null>;
  create(key: string, value: Uint8Array): Promise<number>;
  update(key: string, value: Uint8Array, version: number): Promise<number>;
  delete(key: string, opts?: { previousSeq?: number }): Promise<void>;
}

/** Options of `createNatsKvReplayStore`: the caller's key-value bucket. */
export interface NatsKvReplayStoreOptions {
  /** An open KV bucket of its own (see the module comment for its `max_age`). */
  kv: NatsKvLike;
  /** Seconds the legacy `record` keeps an id past its expiresAt (0..86400, default 86400). */
  recordSkew?: number;
}

/** A key's state as read: what is stored, and whether it is still in force now. */
type Read =
  | { kind: 'absent'; revision: number }
  | { kind: 'lease'; live: boolean; token: string; revision: number }
  | { kind: 'done'; live: boolean; keepUntil: number; revision: number };

const utf8 = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const encode = (value: object) => utf8.encode(JSON.stringify({ v: 1, ...value }));

/** The stored value of `e`, judged at `nowMs`; a value of any other shape fails closed. */
function readEntry(e: NatsKvEntryLike | null, nowMs: number): Read {
  if (e === null) return { kind: 'absent', revision: 0 };
  if (typeof e !== 'object' || !Number.isSafeInteger(e.revision) || e.revision < 1)
    throw unexpected(STORE, 'get');
  if (e.operation === 'DEL' || e.operation === 'PURGE')
    return { kind: 'absent', revision: e.revision };
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(decoder.decode(e.value)) as Record<string, unknown>;
  } catch {
    throw unexpected(STORE, 'get (a value that is not ours)');
  }
  const created = e.created instanceof Date ? e.created.getTime() : NaN;
  if (v?.v === 1 && v.s === 'lease' && typeof v.t === 'string' && Number.isSafeInteger(v.l)) {
    if (!Number.isFinite(created)) throw unexpected(STORE, 'get');
    return {
      kind: 'lease',
      live: nowMs < created + (v.l as number),
      token: v.t,
      revision: e.revision,
    };
  }
  if (v?.v === 1 && v.s === 'done' && Number.isSafeInteger(v.k)) {
    const keepUntil = v.k as number;
    return {
      kind: 'done',
      live: nowMs < droppableAtMs(keepUntil),
      keepUntil,
      revision: e.revision,
    };
  }
  throw unexpected(STORE, 'get (a value that is not ours)');
}

function isRevisionConflict(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' && WRONG_LAST_SEQUENCE.has(code);
}

/**
 * A replay store shared by a consumer group on a NATS JetStream key-value bucket: each reservation
 * an atomic create (SPEC.md §7 step 18).
 */
export function createNatsKvReplayStore(options: NatsKvReplayStoreOptions): ReplayStore {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an object { kv }');
  const { kv } = options;
  if (
    typeof kv?.get !== 'function' ||
    typeof kv.create !== 'function' ||
    typeof kv.update !== 'function' ||
    typeof kv.delete !== 'function'
  )
    throw invalidArgument('options.kv', 'an @nats-io/kv bucket (get, create, update, delete)');
  const recordSkew = recordSkewOf(options.recordSkew);
  const keyOf = (messageId: string, sender: string) => `${senderHash(sender)}.${messageId}`;
  const read = async (key: string, what: string): Promise<Read> =>
    readEntry(await transport(what, () => kv.get(key)), Date.now());

  /** Writes `value` if the key is still at `revision` (0: has no value); false on a conflict. */
  const write = async (key: string, value: Uint8Array, revision: number, what: string) => {
    try {
      await (revision === 0 ? kv.create(key, value) : kv.update(key, value, revision));
      return true;
    } catch (e) {
      if (isRevisionConflict(e)) return false;
      throw new BlindwireError(ErrorCode.Transport, `${STORE}: ${what} failed`, { cause: e });
    }
  };

  const commit = async (entry: ReplayEntry): Promise<void> => {
    const key = keyOf(entry.messageId, entry.sender);
    const value = encode({ s: 'done', k: entry.keepUntil });
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const r = await read(key, 'commit');
      if (r.kind === 'done' && r.live && r.keepUntil >= entry.keepUntil) return;
      if (await write(key, value, r.revision, 'commit')) return;
    }
    throw new BlindwireError(ErrorCode.Transport, `${STORE}: commit kept conflicting`);
  };

  return checkedStore(
    {
      async reserve(entry, leaseMs, token): Promise<ReserveAnswer> {
        const key = keyOf(entry.messageId, entry.sender);
        const value = encode({ s: 'lease', t: token, l: leaseMs });
        for (let i = 0; i < MAX_ATTEMPTS; i++) {
          const r = await read(key, 'reserve');
          if (r.kind === 'done' && r.live) return 'done';
          if (r.kind === 'lease' && r.live) return 'in-flight';
          if (await write(key, value, r.revision, 'reserve')) return 'reserved';
        }
        return 'in-flight'; // others keep writing this key: it is being processed elsewhere
      },
      commit,
      async release(entry, token) {
        const key = keyOf(entry.messageId, entry.sender);
        const r = await read(key, 'release');
        if (r.kind !== 'lease' || r.token !== token) return;
        try {
          await kv.delete(key, { previousSeq: r.revision });
        } catch (e) {
          if (isRevisionConflict(e)) return; // changed since: no longer this token's lease
          throw new BlindwireError(ErrorCode.Transport, `${STORE}: release failed`, { cause: e });
        }
      },
      async has(messageId, sender) {
        const r = await read(keyOf(messageId, sender), 'has');
        return r.kind === 'done' && r.live;
      },
    },
    recordSkew,
  );
}
