/**
 * Replay protection (SPEC.md §7 step 18, §7a.5 steps 9 and 12), in two forms.
 *
 * - A `ReplayGuard` (`has`/`record`): `open` refuses a message id the guard
 *   has seen; the application records an id once it has processed
 *   (acknowledged) the message. Check-then-act: two concurrent deliveries of
 *   one id both pass `has`.
 * - A `ReplayStore` (`reserve`/`commit`/`release`, and `has`/`record` as the
 *   guard view): `open` reserves the (sender, message id) atomically where the
 *   guard would be asked, and hands the caller a `Reservation` to commit once
 *   processed or release when processing failed. Exactly one concurrent
 *   delivery gets it; the others learn `ERR_REPLAY_IN_FLIGHT` (held by another
 *   consumer: redeliver later) or `ERR_REPLAY` (processed).
 *
 * A `replay` option with any of `reserve`, `commit`, `release` is a store and
 * must have all five functions; otherwise it is a guard (`has`, `record`).
 */
import { toHex } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';

/**
 * A check-then-record replay guard (`has` / `record`): the older, simpler alternative to a
 * `ReplayStore`.
 */
export interface ReplayGuard {
  /** Whether `messageId` was recorded as processed (for `sender`, if the guard keys by sender). */
  has(messageId: string, sender: string): boolean | Promise<boolean>;
  /** Records a processed id until `expiresAt` (Unix seconds); `sender` is the opened message's. */
  record(messageId: string, expiresAt: number, sender?: string): void | Promise<void>;
}

/** One message as a replay store sees it (SPEC.md §7 step 18). */
export interface ReplayEntry {
  /** The envelope's message id: 32 lowercase hex digits. */
  readonly messageId: string;
  /** The verified sender's identity name. */
  readonly sender: string;
  /**
   * Unix seconds until which the entry must be kept: the envelope's expires-at
   * plus the opener's clock skew, and no earlier than issued-at + max age +
   * skew when a maximum age is set. After it the envelope can no longer open.
   */
  readonly keepUntil: number;
}

/** What `reserve` answers: the lease is the caller's, another's, or the id was processed. */
export type ReserveAnswer = 'reserved' | 'in-flight' | 'done';

/**
 * An atomic replay store (SPEC.md §7 step 18): entries keyed by (sender,
 * message id). `@blindwire/replay` has Redis, PostgreSQL and NATS KV ones;
 * `createMemoryReplayStore` is one for a single process.
 */
export interface ReplayStore {
  /**
   * Atomically: no entry, an expired lease, or a done entry past keepUntil ->
   * take a lease of `leaseMs` under `token` and answer 'reserved'; a live lease
   * (any token) -> 'in-flight'; a done entry -> 'done'.
   */
  reserve(entry: ReplayEntry, leaseMs: number, token: string): Promise<ReserveAnswer>;
  /** Marks the entry done until keepUntil, whatever lease is held (idempotent). */
  commit(entry: ReplayEntry, token: string): Promise<void>;
  /** Drops the lease only if it is still in flight under `token`; never a done entry. */
  release(entry: ReplayEntry, token: string): Promise<void>;
  /** The guard view: whether the id is done (for `sender`). */
  has(messageId: string, sender: string): Promise<boolean>;
  /** The guard view: marks the id done until `expiresAt` (Unix seconds). */
  record(messageId: string, expiresAt: number, sender?: string): Promise<void>;
}

/**
 * The reservation `open` and `openStream` hand over with a `ReplayStore`:
 * commit it once the message is processed (then acknowledge it), release it
 * when processing failed so that a redelivery can open. Both are idempotent;
 * `release` after `commit` does nothing; `commit` after `release` is
 * ERR_INVALID_ARGUMENT. A store failure is ERR_TRANSPORT with its cause.
 */
export interface Reservation {
  readonly state: 'reserved' | 'committed' | 'released';
  readonly entry: ReplayEntry;
  commit(): Promise<void>;
  release(): Promise<void>;
}

/** Default lease of a reservation: 5 minutes. */
export const DEFAULT_REPLAY_LEASE_MS = 300_000;
/** Longest lease `replayLeaseMs` accepts: one day. */
export const MAX_REPLAY_LEASE_MS = 86_400_000;

/** Whether the `replay` option is a reservation store rather than a guard. */
export function isReplayStore(r: unknown): r is ReplayStore {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Partial<Record<string, unknown>>;
  return o['reserve'] !== undefined || o['commit'] !== undefined || o['release'] !== undefined;
}

/**
 * The `replay` and `replayLeaseMs` options: a guard has `has` and `record`
 * functions; a store (any of `reserve`, `commit`, `release` present) has all
 * five. Returns the lease (default 5 minutes, 1 ms to 1 day).
 */
export function checkReplayOptions(
  replay: unknown,
  leaseMs: unknown,
): { replay: ReplayGuard | ReplayStore | undefined; leaseMs: number } {
  let view: ReplayGuard | ReplayStore | undefined;
  if (replay !== undefined) {
    const o = replay as Partial<Record<string, unknown>> | null;
    if (typeof o !== 'object' || o === null)
      throw invalidArgument('replay', 'a replay guard { has, record } or a replay store');
    const store = isReplayStore(o);
    const fns = store ? ['reserve', 'commit', 'release', 'has', 'record'] : ['has', 'record'];
    // Each function is read once, here, and called on the caller's object
    // later: a getter cannot answer one thing to this check and another to the call.
    const bound: Record<string, (...args: unknown[]) => unknown> = {};
    for (const f of fns) {
      const fn = o[f];
      if (typeof fn !== 'function') {
        const what = store
          ? 'a replay store { reserve, commit, release, has, record }'
          : 'a replay guard { has, record }';
        throw invalidArgument(`replay.${f}`, `a function of ${what}`, typeof fn);
      }
      bound[f] = (...args: unknown[]) => Reflect.apply(fn as (...a: unknown[]) => unknown, o, args);
    }
    view = bound as unknown as ReplayGuard | ReplayStore;
  }
  return { replay: view, leaseMs: checkLeaseMs(leaseMs) };
}

function checkLeaseMs(leaseMs: unknown): number {
  if (leaseMs === undefined) return DEFAULT_REPLAY_LEASE_MS;
  if (
    !Number.isSafeInteger(leaseMs) ||
    (leaseMs as number) < 1 ||
    (leaseMs as number) > MAX_REPLAY_LEASE_MS
  )
    throw invalidArgument(
      'replayLeaseMs',
      `whole ms from 1 to ${MAX_REPLAY_LEASE_MS}`,
      String(leaseMs),
    );
  return leaseMs as number;
}

/** A replay callback's failure or wrong answer: ERR_TRANSPORT with a cause, never a pass. */
function storeFailed(what: string, cause: unknown): BlindwireError {
  return new BlindwireError(ErrorCode.Transport, `${what} failed`, { cause });
}

/** The type of a callback's answer, for an error's cause: never its value. */
function wrongAnswer(what: string, answer: unknown, expected: string): BlindwireError {
  const type = answer === null ? 'null' : Array.isArray(answer) ? 'array' : typeof answer;
  return storeFailed(what, new TypeError(`${what} answered a ${type}; expected ${expected}`));
}

/**
 * SPEC.md §7 step 18 (and §7a.5 steps 9 and 12), with a guard: ERR_REPLAY
 * when `guard` holds `messageId` as processed (for `sender`). Only `true` and
 * `false` (after awaiting) are answers: a guard that fails (a store that is
 * down) or answers anything else (`1`, `"1"`, an object) is ERR_TRANSPORT
 * with a cause, never a pass: not a verdict on the message, which the caller
 * can retry. No guard, no check.
 */
export async function checkReplay(
  guard: ReplayGuard | undefined,
  messageId: string,
  sender: string,
): Promise<void> {
  if (!guard) return;
  let seen: unknown;
  try {
    seen = await guard.has(messageId, sender);
  } catch (e) {
    throw e instanceof BlindwireError ? e : storeFailed('the replay guard', e);
  }
  if (typeof seen !== 'boolean') throw wrongAnswer('the replay guard', seen, 'true or false');
  if (seen) throw new BlindwireError(ErrorCode.Replay, 'message id already processed');
}

/**
 * SPEC.md §7 step 18: the entry's keepUntil, in Unix seconds: expires-at plus
 * the skew, and no earlier than issued-at + max age + skew with a max age.
 */
export function keepUntilOf(
  times: { issuedAt: number; expiresAt: number },
  clock: { skew: number; maxAge: number | undefined },
): number {
  const byAge = clock.maxAge === undefined ? 0 : times.issuedAt + clock.maxAge;
  return Math.max(times.expiresAt, byAge) + clock.skew;
}

/**
 * SPEC.md §7 step 18 (§7a.5 step 9), with a store: reserve the entry under a
 * fresh random token (16 bytes, hex). 'done' is ERR_REPLAY; 'in-flight'
 * ERR_REPLAY_IN_FLIGHT; a throw (whatever its code) or any answer but the
 * three strings is ERR_TRANSPORT with a cause, and nothing is released.
 */
export async function reserveReplay(
  store: ReplayStore,
  entry: ReplayEntry,
  leaseMs: number,
  random: (length: number) => Uint8Array,
): Promise<Reservation> {
  const token = toHex(random(16));
  let answer: unknown;
  try {
    answer = await store.reserve(entry, leaseMs, token);
  } catch (e) {
    throw storeFailed('the replay store', e);
  }
  if (answer === 'done') throw new BlindwireError(ErrorCode.Replay, 'message id already processed');
  if (answer === 'in-flight') {
    throw new BlindwireError(
      ErrorCode.ReplayInFlight,
      'message id held by another consumer; redeliver later',
    );
  }
  if (answer !== 'reserved')
    throw wrongAnswer('the replay store', answer, "'reserved', 'in-flight' or 'done'");
  return createReservation(store, entry, token);
}

/**
 * The caller's handle on a lease: commit or release it, once. Also built by
 * the Node open pool (node/pool-call.ts) in the calling thread, from the
 * entry and token its worker reserved with through the calling thread's store.
 */
export function createReservation(
  store: ReplayStore,
  entry: ReplayEntry,
  token: string,
): Reservation {
  let state: Reservation['state'] = 'reserved';
  let committing: Promise<void> | undefined;
  let releasing: Promise<void> | undefined;
  const commit = (): Promise<void> => {
    if (state === 'released') {
      return Promise.reject(
        invalidArgument('reservation', 'one not released (it can no longer be committed)'),
      );
    }
    committing ??= store.commit(entry, token).then(
      () => {
        state = 'committed';
      },
      (e: unknown) => {
        committing = undefined; // a later commit tries again
        throw storeFailed('the replay store', e);
      },
    );
    return committing;
  };
  const release = async (): Promise<void> => {
    // A commit under way decides first: committed, nothing to release.
    if (committing) await committing.catch(() => {});
    if (state === 'committed') return;
    state = 'released';
    releasing ??= store.release(entry, token).catch((e: unknown) => {
      releasing = undefined; // a later release tries again; the lease expires meanwhile
      throw storeFailed('the replay store', e);
    });
    return releasing;
  };
  return {
    get state() {
      return state;
    },
    entry,
    commit,
    release,
  };
}
