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
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';

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
  const max = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const perSender = options.perSender === true;
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
 * holds `messageId` as processed (for `sender`). A guard that fails (a store
 * that is down) is ERR_TRANSPORT with its error as the cause: not a verdict on
 * the message, which the caller can retry. No guard, no check.
 */
export async function checkReplay(
  guard: ReplayGuard | undefined,
  messageId: string,
  sender: string,
): Promise<void> {
  if (!guard) return;
  let seen: boolean | undefined;
  try {
    seen = await guard.has(messageId, sender);
  } catch (e) {
    throw e instanceof BlindwireError
      ? e
      : new BlindwireError(ErrorCode.Transport, 'the replay guard failed', { cause: e });
  }
  if (seen === true) throw new BlindwireError(ErrorCode.Replay, 'message id already processed');
}
