/**
 * Replay protection (design §6). `open` refuses a message id the guard has
 * seen; the application records an id once it has processed (acknowledged)
 * the message, so a broker's redelivery of an unacknowledged message still
 * opens, and a replay of a processed one does not.
 */
export interface ReplayGuard {
  has(messageId: string): boolean | Promise<boolean>;
  /** Records a processed id until `expiresAt` (Unix seconds). */
  record(messageId: string, expiresAt: number): void | Promise<void>;
}

export interface MemoryReplayStoreOptions {
  /** At most this many ids (default 100 000); the ones closest to expiry go first. */
  maxEntries?: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
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
  const ids = new Map<string, number>();
  const sweep = () => {
    // Past expiry plus the largest clock skew `open` accepts, an id can no longer open.
    const t = Math.floor(now() / 1000) - 86_400;
    for (const [id, exp] of ids) if (exp < t) ids.delete(id);
  };
  return {
    get size() {
      return ids.size;
    },
    has: (id) => ids.has(id),
    record: (id, expiresAt) => {
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
