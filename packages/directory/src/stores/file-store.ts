/**
 * The file store: one JSON document holding the signed key records of every
 * identity, `{ "v": 1, "records": { "<name>": ["<base64url record>", ...] } }`.
 * Untrusted like every store (SPEC.md §11): it keeps bytes, trust/verify-set.ts judges them.
 *
 * Writes are atomic (temp file in the same directory, fsync, rename) and
 * take `<path>.lock` (files/file-lock.ts), re-reading the document under
 * it, so processes sharing the file (a prune, a publisher, a rotator) never
 * drop each other's records: the directory must be writable. Watching
 * follows atomic replacement the way Kubernetes ConfigMap/Secret mounts do it
 * (the path is a symlink through `..data`, and `..data` is swapped): the
 * directory is watched, the path re-stat'ed, and a periodic stat backs up
 * fs.watch, which may miss events (network filesystems, some containers).
 * A mounted ConfigMap is read-only: use such a store only to `list` and
 * `watch` (a `put` would replace the symlink at `path` with a regular file).
 *
 * `listPage` pages through one name's records in record id order (the cursor
 * is the last id of a page); `removeMany` removes many in one document write.
 * Limits: documents over 16 MiB are refused (`ERR_LIMIT_EXCEEDED`); a
 * malformed document is `ERR_TRANSPORT` and is never overwritten by `put`.
 * Changes are detected by (device, inode, size, mtime, ctime), so an in-place
 * edit that keeps all five is missed until the next change; atomic writers
 * always change the inode.
 *
 * @module @blindwire/directory/file
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { assertBytes } from '@blindwire/core/internal';
import { withFileLock, type HeldLock } from '../files/file-lock.js';
import { recordId } from '../records/record-id.js';
import { invalidArgument, pageInIdOrder } from './common.js';
import type { DirectoryStore } from './directory-store.js';
import {
  EMPTY_KEY,
  MAX_FILE_BYTES,
  readDocument,
  serialise,
  statKey,
  transport,
  writeAtomic,
  type Snapshot,
} from './file-store-document.js';
import { createWatcher, type Watcher } from './file-store-watcher.js';

export { MAX_FILE_BYTES } from './file-store-document.js';

/** Options of `createFileStore`. */
export interface FileStoreOptions {
  /** Offer `watch()` (directory watch plus periodic stat). Default true. */
  watch?: boolean;
  /** Period of the stat fallback while someone watches, ms. Default 2000. */
  pollIntervalMs?: number;
  /** Quiet time after a directory event before the path is re-read, ms. Default 50. */
  debounceMs?: number;
}

/**
 * A directory store in one JSON file (`createFileStore`), with paging, removal and change
 * watching.
 */
export interface FileStore extends DirectoryStore {
  readonly kind: 'file';
  readonly path: string;
  listPage: NonNullable<DirectoryStore['listPage']>;
  remove: NonNullable<DirectoryStore['remove']>;
  removeMany: NonNullable<DirectoryStore['removeMany']>;
}

type Records = Map<string, Map<string, Uint8Array>>;

/** A change that adds `record` under `name`; false (no write) when it is there (same bytes, same id). */
function adding(name: string, record: Uint8Array): (records: Records) => boolean {
  return (records) => {
    let m = records.get(name);
    if (!m) records.set(name, (m = new Map()));
    const id = recordId(record);
    if (m.has(id)) return false; // idempotent: same bytes, same id
    m.set(id, record);
    return true;
  };
}

/** A change that removes records `ids` of `name`; false (no write) when none is there. */
function removing(name: string, ids: readonly string[]): (records: Records) => boolean {
  return (records) => {
    const m = records.get(name);
    let changed = false;
    for (const id of ids) if (m?.delete(id)) changed = true;
    if (m?.size === 0) records.delete(name);
    return changed;
  };
}

/** Writes `current` changed by `mutate`, atomically, under `lock`; false (no write) when nothing changed. */
async function writeChanged(
  path: string,
  current: Snapshot,
  mutate: (records: Records) => boolean,
  lock: HeldLock,
): Promise<boolean> {
  const next = new Map([...current.records].map(([n, m]) => [n, new Map(m)] as const));
  if (!mutate(next)) return false;
  const text = serialise(next);
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `file store: document would exceed ${MAX_FILE_BYTES} bytes`,
    );
  }
  await writeAtomic(path, text, lock);
  return true;
}

/**
 * One change, under `<path>.lock` (files/file-lock.ts) with the document
 * read again under it, never from a cached copy: another process (a prune, a
 * publisher, a rotator) may have written it since, and its records must stay
 * (SPEC.md §11.6, "Concurrency and repetition").
 */
function writeLocked(path: string, mutate: (records: Records) => boolean): Promise<boolean> {
  return withFileLock(path, transport, async (lock) =>
    writeChanged(path, await readDocument(path), mutate, lock),
  );
}

/**
 * A directory store kept in the JSON file at `path` (SPEC.md §11.5), rewritten atomically under a
 * lock shared with other processes. Untrusted like every store: a directory verifies what it
 * returns.
 */
export function createFileStore(path: string, options: FileStoreOptions = {}): FileStore {
  if (typeof path !== 'string' || path.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"path" expected a non-empty string');
  }
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const debounceMs = options.debounceMs ?? 50;
  let cache: Snapshot | undefined;
  let watcher: Watcher | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  /** Serialises writers within this process; the lock in `write` serialises processes. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  /** The current document, re-read only when mtime, ctime, size, inode or device changed. */
  async function load(): Promise<Snapshot> {
    const key = await statKey(path);
    if (cache && cache.key === key) return cache;
    cache = key === EMPTY_KEY ? { key, records: new Map() } : await readDocument(path);
    return cache;
  }

  async function write(mutate: (records: Records) => boolean): Promise<void> {
    if (!(await writeLocked(path, mutate))) return;
    cache = undefined;
    await watcher?.check(); // tell this process's listeners now, not at the next event
  }

  const store: FileStore = {
    kind: 'file',
    path,
    async put(name, record) {
      assertName(name);
      assertBytes(record, 'record');
      const copy = Uint8Array.from(record);
      return serial(() => write(adding(name, copy)));
    },
    async list(name) {
      assertName(name);
      const snap = await load();
      return [...(snap.records.get(name)?.values() ?? [])].map((r) => Uint8Array.from(r));
    },
    async listPage(name, options) {
      assertName(name);
      return pageInIdOrder((await load()).records.get(name), options);
    },
    async remove(name, id) {
      assertName(name);
      return serial(() => write(removing(name, [id])));
    },
    async removeMany(name, ids) {
      assertName(name);
      if (!Array.isArray(ids)) throw invalidArgument('ids', 'an array of record ids');
      const copy = [...ids];
      return serial(() => write(removing(name, copy))); // one document write for all of them
    },
    async close() {
      watcher?.stop();
      watcher = undefined;
      await queue;
    },
  };
  if (options.watch ?? true) {
    store.watch = async (listener) => {
      if (!watcher) {
        watcher = createWatcher(path, load, pollIntervalMs, debounceMs);
        await watcher.start();
      }
      const w = watcher;
      w.listeners.add(listener);
      return () => {
        w.listeners.delete(listener);
        if (w.listeners.size === 0 && watcher === w) {
          w.stop();
          watcher = undefined;
        }
      };
    };
  }
  return store;
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"name" expected a non-empty string');
  }
}
