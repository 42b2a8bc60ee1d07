/**
 * The replay reservation interface every store of this package implements
 * (SPEC.md §7 step 18: the replay guard, made atomic). `has`/`record` alone is
 * check-then-act: two concurrent deliveries of one message id both pass `has`.
 * `reserve` closes that gap: exactly one caller gets `'reserved'` for an entry
 * at a time, the others learn whether it is still being processed
 * (`'in-flight'`) or was processed (`'done'`).
 */

// mirrors ReplayStore in @blindwire/core (envelope/replay.ts)

/** One message as a replay store sees it. */
export interface ReplayEntry {
  /** The envelope's message id: 32 lowercase hex digits. */
  readonly messageId: string;
  /** The verified sender's identity name (a URI, up to 1024 bytes UTF-8, no control characters). */
  readonly sender: string;
  /** Unix seconds until which the entry must be kept (the envelope's expires-at plus the opener's
   *  clock skew, computed by the caller); after it, the envelope can no longer open. */
  readonly keepUntil: number;
}

export type ReserveAnswer = 'reserved' | 'in-flight' | 'done';

export interface ReplayStore {
  /** Atomically: no entry (or an expired lease) -> take a lease of `leaseMs` under `token`,
   *  answer 'reserved'; a live lease (any token) -> 'in-flight'; committed -> 'done'. */
  reserve(entry: ReplayEntry, leaseMs: number, token: string): Promise<ReserveAnswer>;
  /** Marks the entry done until keepUntil (idempotent; whatever lease is held). */
  commit(entry: ReplayEntry, token: string): Promise<void>;
  /** Drops the lease only if it is still in flight under `token` (the handler failed: allow a
   *  retry); never touches a done entry or another holder's lease. */
  release(entry: ReplayEntry, token: string): Promise<void>;
  /** Legacy guard view (SPEC §7 step 18): true iff done. */
  has(messageId: string, sender: string): Promise<boolean>;
  /** Legacy: marks done until expiresAt (Unix s). */
  record(messageId: string, expiresAt: number, sender?: string): Promise<void>;
}
