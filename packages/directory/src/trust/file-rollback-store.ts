/**
 * Rollback marks (rollback.ts, SPEC.md §11.2) in one JSON file on the client's disk, mode
 * 0600, rewritten atomically (temp file, fsync, rename, fsync the directory):
 *
 *   { "v": 1, "marks": { "<identity name>": { "serial": 7, "notAfter": 1795507700,
 *                                             "issuerKid": "<signing kid>" } } }
 *
 * (`issuerKid` is missing from marks written by older versions.)
 *
 * Saves are serialised within a process, and across processes that share the
 * file by `<path>.lock`: each save re-reads the file under the lock and keeps
 * the higher mark of every name, so no process lowers another's. A file
 * that is missing is an empty state; one that exists but does not parse is
 * refused (`ERR_INVALID_ARGUMENT`), never silently reset: resetting would
 * forget exactly what the file is there to remember.
 *
 * Size: each save drops the marks that can no longer matter, those whose
 * record expired more than the largest clock skew (86 400 s, SPEC.md §11.2)
 * ago, and refuses to write more than 16 MiB (`ERR_LIMIT_EXCEEDED`, so the
 * resolve that needed the mark fails closed): about 15 000 live marks with
 * 1 KiB names, 150 000 with 40-byte ones. Load reads up to 64 MiB, so that
 * a file an older version wrote without pruning still opens, and the next
 * save prunes it.
 *
 * @module @blindwire/directory/rollback-file
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../files/atomic-write.js';
import { withFileLock, type HeldLock } from '../files/file-lock.js';
import { readClock } from '../checks.js';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { isRollbackMark, type RollbackMark, type RollbackStore } from './rollback.js';

export type { RollbackMark, RollbackStore } from './rollback.js';

/** Largest state file written: 16 MiB. */
const MAX_ROLLBACK_FILE_BYTES = 16 * 1024 * 1024;
/** Largest state file read: more than is written, for files written before saves pruned. */
const MAX_READ_BYTES = 4 * MAX_ROLLBACK_FILE_BYTES;
/** A mark is kept while `now <= notAfter + MAX_SKEW`: no clock skew (SPEC.md §11.2) reaches past it. */
const MAX_SKEW = 86_400;

/** Options of `createFileRollbackStore`. */
export interface FileRollbackStoreOptions {
  /** Clock in ms (default Date.now), for pruning expired marks. */
  now?: () => number;
}

/** Rollback marks kept in a file (`createFileRollbackStore`). */
export interface FileRollbackStore extends RollbackStore {
  readonly path: string;
}

/** The fields of a mark, and no others. */
function copyMark(m: RollbackMark): RollbackMark {
  return {
    serial: m.serial,
    notAfter: m.notAfter,
    ...(m.issuerKid !== undefined ? { issuerKid: m.issuerKid } : {}),
  };
}

function lockFailed(message: string, cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.Transport,
    `rollback state: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Keeps a directory's rollback marks (SPEC.md §11.2) in the 0600 JSON file at `path`, so a
 * restarted client still refuses records older than those it has seen: pass it as `rollbackStore`
 * to `createDirectory`.
 */
export function createFileRollbackStore(
  path: string,
  options: FileRollbackStoreOptions = {},
): FileRollbackStore {
  if (typeof path !== 'string' || path.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"path" expected a non-empty string');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"now" expected a function returning ms');
  }
  const clock = options.now ?? Date.now;
  const marks = new Map<string, RollbackMark>();
  let loaded = false;
  let queue: Promise<void> = Promise.resolve();

  /** Folds `from` into `marks`, each name keeping its higher mark. */
  function raise(from: Map<string, RollbackMark>): void {
    for (const [n, m] of from) {
      const have = marks.get(n);
      if (!have || have.serial < m.serial) marks.set(n, m);
    }
  }

  async function read(): Promise<void> {
    raise(await readMarks(path));
  }

  return {
    path,
    async load() {
      if (!loaded) {
        await read();
        loaded = true;
      }
      return [...marks].map(([n, m]) => [n, { ...m }] as [string, RollbackMark]);
    },
    save(name, mark) {
      if (typeof name !== 'string' || name.length === 0 || !isRollbackMark(mark)) {
        return Promise.reject(
          new BlindwireError(ErrorCode.InvalidArgument, '"save" expected a name and a mark'),
        );
      }
      // Under the file's lock, with what is on disk now folded in: another
      // process sharing the file keeps its marks, and none is lowered.
      const run = () =>
        withFileLock(path, lockFailed, async (lock) => {
          await read();
          loaded = true;
          const prev = marks.get(name);
          if (prev && prev.serial >= mark.serial) return; // marks only rise (and are on disk)
          const next = new Map(marks).set(name, copyMark(mark));
          const nowS = nowSeconds(clock);
          for (const [n, m] of next) if (n !== name && m.notAfter + MAX_SKEW < nowS) next.delete(n);
          await writeMarks(path, next, lock);
          // Only what is on disk is remembered: a failed write is retried by the next save.
          marks.clear();
          for (const [n, m] of next) marks.set(n, m);
        });
      const p = queue.then(run);
      queue = p.catch(() => undefined);
      return p;
    },
  };
}

/** Writes `marks` (sorted by name), refusing more than MAX_ROLLBACK_FILE_BYTES. */
async function writeMarks(
  path: string,
  next: Map<string, RollbackMark>,
  lock: HeldLock,
): Promise<void> {
  const doc = {
    v: 1,
    marks: Object.fromEntries([...next].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  const text = JSON.stringify(doc, null, 2) + '\n';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_ROLLBACK_FILE_BYTES) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `rollback state ${path} would be ${bytes} bytes with ${next.size} live marks, ` +
        `over the ${MAX_ROLLBACK_FILE_BYTES} bytes it may hold; not saved`,
    );
  }
  await writeAtomic(path, text, lock);
}

/** The marks on disk now (none when there is no file yet). */
async function readMarks(path: string): Promise<Map<string, RollbackMark>> {
  const found = new Map<string, RollbackMark>();
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_READ_BYTES) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `rollback state ${path} is over ${MAX_READ_BYTES} bytes`,
      );
    }
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof BlindwireError) throw e;
    if ((e as { code?: string }).code === 'ENOENT') return found; // no state yet
    throw new BlindwireError(ErrorCode.Transport, `cannot read rollback state ${path}`, {
      cause: e,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const m = (doc as { v?: unknown; marks?: unknown } | undefined)?.marks;
  if (
    (doc as { v?: unknown } | undefined)?.v !== 1 ||
    typeof m !== 'object' ||
    m === null ||
    Array.isArray(m) ||
    !Object.values(m).every(isRollbackMark)
  ) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `rollback state ${path} is not a version 1 rollback file; refusing to start from an empty state`,
    );
  }
  for (const [name, mark] of Object.entries(m as Record<string, RollbackMark>)) {
    found.set(name, copyMark(mark));
  }
  return found;
}

function nowSeconds(clock: () => number): number {
  return Math.floor(readClock(clock) / 1000);
}

async function writeAtomic(path: string, text: string, lock: HeldLock): Promise<void> {
  try {
    await writeFileAtomic(path, text, 0o600, () => lock.assertHeld());
  } catch (e) {
    if (e instanceof BlindwireError) throw e; // the lock was lost
    throw new BlindwireError(ErrorCode.Transport, `cannot write rollback state ${path}`, {
      cause: e,
    });
  }
}
