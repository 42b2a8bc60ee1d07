/**
 * The storage interface every directory adapter implements. A store is
 * untrusted: it keeps and returns raw signed records and nothing else.
 * Verification happens once, for all stores, in trust/verify-set.ts (SPEC.md §11).
 */

export interface DirectoryStore {
  /** A short name for events and errors: `memory`, `file`, `http`, `redis`, `postgres`, `nats`. */
  readonly kind: string;
  /**
   * Stores one signed record for identity `name`. Idempotent: records are
   * keyed by `recordId(record)`, so putting the same bytes twice stores them once.
   */
  put(name: string, record: Uint8Array): Promise<void>;
  /** Every record stored for `name`, raw and unverified (empty when none). */
  list(name: string): Promise<Uint8Array[]>;
  /** Removes one record (by its id); used to prune expired records. */
  remove?(name: string, id: string): Promise<void>;
  /**
   * Calls `listener(name)` whenever the records of `name` change, where the
   * backing service can tell (file watch, NATS KV watch). Returns an unsubscribe function.
   */
  watch?(listener: (name: string) => void): Promise<() => void> | (() => void);
  /** Releases what the adapter itself opened (never the caller's client). */
  close?(): Promise<void>;
}

/** Hex SHA-256 of the record bytes, first 16 bytes: the storage key of a record. */
export { recordId } from '../records/record-id.js';
