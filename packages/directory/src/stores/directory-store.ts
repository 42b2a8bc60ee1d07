/**
 * The storage interface every directory adapter implements. A store is
 * untrusted: it keeps and returns raw signed records and nothing else.
 * Verification happens once, for all stores, in trust/verify-set.ts (SPEC.md §11).
 */

/** What `listPage` takes: where to go on from, and how many records at most. */
export interface ListPageOptions {
  /** The `cursor` of the previous page; absent for the first page. Opaque. */
  cursor?: string;
  /** Most records on this page, 1 to 1024 (default 256). Redis may return more (see SPEC.md §11.5). */
  limit?: number;
}

/** One page of an identity's records. */
export interface RecordPage {
  /** Raw, unverified records. A page may be empty while `cursor` is present. */
  records: Uint8Array[];
  /** Where the next page starts; absent on the last page. */
  cursor?: string;
}

/**
 * Where signed records are kept (SPEC.md §11.5): untrusted storage that keeps and returns raw
 * records by identity name; a `Directory` verifies them.
 */
export interface DirectoryStore {
  /** A short name for events and errors: `memory`, `file`, `http`, `redis`, `postgres`, `nats`. */
  readonly kind: string;
  /**
   * True when the store can neither put nor remove records (the HTTP client
   * store): it cannot be pruned, and a rotator cannot publish to it.
   */
  readonly readOnly?: boolean;
  /**
   * Stores one signed record for identity `name`. Idempotent: records are
   * keyed by `recordId(record)`, so putting the same bytes twice stores them once.
   */
  put(name: string, record: Uint8Array): Promise<void>;
  /**
   * Every record stored for `name`, raw and unverified (empty when none).
   * Stores backed by a service refuse more than 1024 records for one name
   * (ERR_LIMIT_EXCEEDED): resolution reads a bounded set (SPEC.md §8).
   */
  list(name: string): Promise<Uint8Array[]>;
  /**
   * One page of the records of `name` (SPEC.md §11.5): walking from no cursor
   * until a page comes back without one returns every record stored for the
   * whole walk at least once, however many there are. Records added or
   * removed during the walk may or may not appear. Pruning uses it; a
   * malformed cursor is ERR_INVALID_ARGUMENT.
   */
  listPage?(name: string, options?: ListPageOptions): Promise<RecordPage>;
  /** Removes one record (by its id); used to prune expired records. Removing an absent id is no error. */
  remove?(name: string, id: string): Promise<void>;
  /** Removes several records of `name` by id, in one operation where the backend allows it. */
  removeMany?(name: string, ids: string[]): Promise<void>;
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
