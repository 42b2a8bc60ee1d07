/**
 * Replay protection (SPEC.md §7 step 18, §7a.5 steps 9 and 12). `open`
 * refuses a message id the guard has seen; the application records an id
 * once it has processed (acknowledged) the message, so a broker's redelivery of an unacknowledged message still
 * opens, and a replay of a processed one does not.
 *
 * Message ids are chosen by senders and visible in the header. `has` also
 * gets the verified sender name, so a guard can key ids per sender: then an
 * allowed sender that copies another sender's id cannot get that sender's
 * message refused as a replay (SPEC.md §7 step 18).
 */
import { BlindwireError, ErrorCode, invalidArgument, shown, wrongAnswer } from '../errors.js';

export interface ReplayGuard {
  /** Whether `messageId` was recorded as processed (for `sender`, if the guard keys by sender). */
  has(messageId: string, sender: string): boolean | Promise<boolean>;
  /** Records a processed id until `expiresAt` (Unix seconds); `sender` is the opened message's. */
  record(messageId: string, expiresAt: number, sender?: string): void | Promise<void>;
}

export interface MemoryReplayStoreOptions {
  /** At most this many ids (default 100 000); the ones closest to expiry go first. */
  maxEntries?: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /**
   * Key ids by (sender, message id) (default false: by message id alone).
   * `record` then requires the sender, and refuses a call without it.
   */
  perSender?: boolean;
}

/**
 * An in-memory guard for one process. Ids are kept until their envelope
 * expires (after which `open` rejects the envelope as expired anyway). When
 * full, the id that expires soonest is evicted, and that one id could be
 * replayed until it expires: size it to the message rate times the TTL.
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayGuard & {
  readonly size: number;
} {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an options object', shown(options));
  const { maxEntries: max = 100_000, now = Date.now, perSender = false } = options;
  if (!Number.isSafeInteger(max) || max < 1)
    throw invalidArgument('maxEntries', 'a positive integer', shown(max));
  if (typeof now !== 'function')
    throw invalidArgument('now', 'a function returning ms', shown(now));
  // A truthy non-boolean must not silently select one keying or the other.
  if (typeof perSender !== 'boolean')
    throw invalidArgument('perSender', 'true or false', shown(perSender));
  const ids = new Map<string, number>();
  // The id is fixed-length hex at the end of the key, so keys cannot collide.
  const keyOf = (id: string, sender: string | undefined): string => {
    if (!perSender) return id;
    if (typeof sender !== 'string' || sender.length === 0) {
      throw invalidArgument(
        'sender',
        "the opened message's sender (this store keys ids per sender)",
      );
    }
    return `${sender}\n${id}`;
  };
  const sweep = () => {
    // Past expiry plus the largest clock skew `open` accepts, an id can no longer open.
    const t = Math.floor(now() / 1000) - 86_400;
    for (const [id, exp] of ids) if (exp < t) ids.delete(id);
  };
  return {
    get size() {
      return ids.size;
    },
    has: (id, sender) => ids.has(keyOf(id, sender)),
    record: (messageId, expiresAt, sender) => {
      const id = keyOf(messageId, sender);
      if (ids.size >= max) {
        sweep();
        if (ids.size >= max) {
          let victim: string | undefined;
          let soonest = Infinity;
          for (const [k, e] of ids) if (e < soonest) [victim, soonest] = [k, e];
          if (victim !== undefined) ids.delete(victim);
        }
      }
      ids.set(id, expiresAt);
    },
  };
}

/**
 * SPEC.md §7 step 18 (and §7a.5 steps 9 and 12): ERR_REPLAY when `guard`
 * holds `messageId` as processed (for `sender`). Only `true` and `false`
 * (after awaiting) are answers: a guard that fails (a store that is down) or
 * answers anything else (`1`, `"1"`, an object) is ERR_TRANSPORT with a cause,
 * never a pass: not a verdict on the message, which the caller can retry. No
 * guard, no check.
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
    throw e instanceof BlindwireError
      ? e
      : new BlindwireError(ErrorCode.Transport, 'the replay guard failed', { cause: e });
  }
  if (typeof seen !== 'boolean') throw wrongAnswer('the replay guard', seen, 'true or false');
  if (seen) throw new BlindwireError(ErrorCode.Replay, 'message id already processed');
}
