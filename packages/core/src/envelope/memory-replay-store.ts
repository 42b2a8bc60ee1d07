/**
 * `createMemoryReplayStore`: a `ReplayStore` (replay.ts, SPEC.md §7 step 18)
 * for one process. Reservations are keyed by (sender, message id) always;
 * the guard view (`has`/`record`) by message id alone unless `perSender`.
 * Leases run on the injected clock.
 *
 * Bounded: when full, expired entries (done past keepUntil, leases past their
 * end) are swept, and if none can go, a new entry is refused with
 * ERR_LIMIT_EXCEEDED rather than forgetting a live lease or a done id (which
 * could then be replayed). `open` reports that refusal as ERR_TRANSPORT, a
 * transient failure the consumer retries. Size it to the message rate times
 * the longest envelope lifetime.
 */
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { ReplayEntry, ReplayStore, ReserveAnswer } from './replay.js';

/** Options of `createMemoryReplayStore`. */
export interface MemoryReplayStoreOptions {
  /** At most this many entries (default 100 000). */
  maxEntries?: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /**
   * Key the guard view (`has`/`record`) by (sender, message id) (default
   * false: by message id alone). `record` then requires the sender, and
   * refuses a call without it. Reservations are always keyed per sender.
   */
  perSender?: boolean;
}

export interface MemoryReplayStore extends ReplayStore {
  /** Entries held, expired ones not yet swept included. */
  readonly size: number;
}

/** A lease until `untilMs` under `token`, or a done id kept through the second `keepUntil`. */
type Slot =
  | { state: 'lease'; token: string; untilMs: number; keepUntil: number }
  | { state: 'done'; keepUntil: number };

/** The largest clock skew `open` accepts (SPEC.md §7 step 7): a recorded id lives this much past its expiry. */
const MAX_SKEW_SECONDS = 86_400;
const MESSAGE_ID = /^[0-9a-f]{32}$/;

function checkOptions(options: MemoryReplayStoreOptions): Required<MemoryReplayStoreOptions> {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an options object', typeof options);
  const { maxEntries = 100_000, now = Date.now, perSender = false } = options;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw invalidArgument('maxEntries', 'a positive integer', String(maxEntries));
  if (typeof now !== 'function') throw invalidArgument('now', 'a function returning ms');
  // A truthy non-boolean must not silently select one keying or the other.
  if (typeof perSender !== 'boolean')
    throw invalidArgument('perSender', 'true or false', typeof perSender);
  return { maxEntries, now, perSender };
}

function checkEntry(entry: ReplayEntry): void {
  if (typeof entry !== 'object' || entry === null)
    throw invalidArgument('entry', 'an object { messageId, sender, keepUntil }');
  if (typeof entry.messageId !== 'string' || !MESSAGE_ID.test(entry.messageId))
    throw invalidArgument('entry.messageId', '32 lowercase hex digits');
  if (typeof entry.sender !== 'string' || entry.sender.length === 0)
    throw invalidArgument('entry.sender', 'a non-empty identity name');
  if (!Number.isSafeInteger(entry.keepUntil) || entry.keepUntil < 0)
    throw invalidArgument('entry.keepUntil', 'Unix seconds', String(entry.keepUntil));
}

function checkToken(token: string): void {
  if (typeof token !== 'string' || token.length === 0)
    throw invalidArgument('token', 'a non-empty string');
}

/** An in-memory replay store for one process (see the file comment). */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): MemoryReplayStore {
  const { maxEntries, now, perSender } = checkOptions(options);
  const slots = new Map<string, Slot>();
  // The id is fixed-length hex at the end of the key, so keys cannot collide;
  // a key with no sender (the guard view by id alone) starts with the separator.
  const keyOf = (id: string, sender: string) => `${sender}\n${id}`;
  const guardKey = (id: string, sender: string | undefined): string => {
    if (!perSender) return keyOf(id, '');
    if (typeof sender !== 'string' || sender.length === 0) {
      throw invalidArgument(
        'sender',
        "the opened message's sender (this store keys ids per sender)",
      );
    }
    return keyOf(id, sender);
  };
  const live = (s: Slot | undefined, ms: number): s is Slot =>
    s !== undefined && (s.state === 'lease' ? ms < s.untilMs : ms < (s.keepUntil + 1) * 1000);
  const done = (key: string, ms: number) => {
    const s = slots.get(key);
    return live(s, ms) && s.state === 'done';
  };
  /** Room for one more key: sweep what expired, else refuse (never forget a live entry). */
  const makeRoom = (key: string, ms: number) => {
    if (slots.has(key) || slots.size < maxEntries) return;
    for (const [k, s] of slots) if (!live(s, ms)) slots.delete(k);
    if (slots.size >= maxEntries) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `the replay store holds ${maxEntries} live entries (maxEntries)`,
      );
    }
  };
  const markDone = (key: string, keepUntil: number, ms: number) => {
    const s = slots.get(key);
    if (live(s, ms) && s.state === 'done' && s.keepUntil >= keepUntil) return;
    makeRoom(key, ms);
    slots.set(key, { state: 'done', keepUntil });
  };

  const reserve = (entry: ReplayEntry, leaseMs: number, token: string): ReserveAnswer => {
    checkEntry(entry);
    checkToken(token);
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 1)
      throw invalidArgument('leaseMs', 'a positive integer', String(leaseMs));
    const ms = now();
    const key = keyOf(entry.messageId, entry.sender);
    if (!perSender && done(guardKey(entry.messageId, undefined), ms)) return 'done';
    const s = slots.get(key);
    if (live(s, ms)) return s.state === 'done' ? 'done' : 'in-flight';
    makeRoom(key, ms);
    slots.set(key, { state: 'lease', token, untilMs: ms + leaseMs, keepUntil: entry.keepUntil });
    return 'reserved';
  };
  const release = (entry: ReplayEntry, token: string): void => {
    checkEntry(entry);
    checkToken(token);
    const key = keyOf(entry.messageId, entry.sender);
    const s = slots.get(key);
    if (s?.state === 'lease' && s.token === token) slots.delete(key);
  };
  return {
    get size() {
      return slots.size;
    },
    reserve: async (entry, leaseMs, token) => reserve(entry, leaseMs, token),
    commit: async (entry, token) => {
      checkEntry(entry);
      checkToken(token);
      markDone(keyOf(entry.messageId, entry.sender), entry.keepUntil, now());
    },
    release: async (entry, token) => release(entry, token),
    has: async (id, sender) => {
      const ms = now();
      return done(guardKey(id, sender), ms) || done(keyOf(id, sender), ms);
    },
    record: async (messageId, expiresAt, sender) => {
      // Past expiry plus the largest skew `open` accepts, an id can no longer open.
      markDone(guardKey(messageId, sender), expiresAt + MAX_SKEW_SECONDS, now());
    },
  };
}
