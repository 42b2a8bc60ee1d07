/**
 * Rollback marks (rollback.ts) in one JSON file on the client's disk, mode
 * 0600, rewritten atomically (temp file, fsync, rename, fsync the directory):
 *
 *   { "v": 1, "marks": { "<identity name>": { "serial": 7, "notAfter": 1795507700 } } }
 *
 * One process owns the file; saves from that process are serialised. A file
 * that is missing is an empty state; one that exists but does not parse is
 * refused (`ERR_INVALID_ARGUMENT`), never silently reset: resetting would
 * forget exactly what the file is there to remember.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { isRollbackMark, type RollbackMark, type RollbackStore } from './rollback.js';

export type { RollbackMark, RollbackStore } from './rollback.js';

/** Largest state file read: 16 MiB (~150 000 identities). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface FileRollbackStore extends RollbackStore {
  readonly path: string;
}

export function createFileRollbackStore(path: string): FileRollbackStore {
  if (typeof path !== 'string' || path.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"path" expected a non-empty string');
  }
  const marks = new Map<string, RollbackMark>();
  let loaded = false;
  let queue: Promise<void> = Promise.resolve();

  async function read(): Promise<void> {
    let text: string;
    try {
      const buf = await readFile(path);
      if (buf.length > MAX_FILE_BYTES) {
        throw new BlindwireError(
          ErrorCode.LimitExceeded,
          `rollback state ${path} is over ${MAX_FILE_BYTES} bytes`,
        );
      }
      text = buf.toString('utf8');
    } catch (e) {
      if (e instanceof BlindwireError) throw e;
      if ((e as { code?: string }).code === 'ENOENT') return; // no state yet
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
      marks.set(name, { serial: mark.serial, notAfter: mark.notAfter });
    }
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
      const run = async () => {
        if (!loaded) {
          await read();
          loaded = true;
        }
        const prev = marks.get(name);
        if (prev && prev.serial >= mark.serial) return; // marks only rise
        marks.set(name, { serial: mark.serial, notAfter: mark.notAfter });
        const doc = {
          v: 1,
          marks: Object.fromEntries([...marks].sort(([a], [b]) => (a < b ? -1 : 1))),
        };
        await writeAtomic(path, JSON.stringify(doc, null, 2) + '\n');
      };
      const p = queue.then(run);
      queue = p.catch(() => undefined);
      return p;
    },
  };
}

async function writeAtomic(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, 0o600);
  } catch (e) {
    throw new BlindwireError(ErrorCode.Transport, `cannot write rollback state ${path}`, {
      cause: e,
    });
  }
}
