/**
 * The file store: one JSON document holding the signed key records of every
 * identity, `{ "v": 1, "records": { "<name>": ["<base64url record>", ...] } }`.
 * Untrusted like every store (SPEC.md §11): it keeps bytes, trust/verify-set.ts judges them.
 *
 * Writes are atomic (temp file in the same directory, fsync, rename). Watching
 * follows atomic replacement the way Kubernetes ConfigMap/Secret mounts do it
 * (the path is a symlink through `..data`, and `..data` is swapped): the
 * directory is watched, the path re-stat'ed, and a periodic stat backs up
 * fs.watch, which may miss events (network filesystems, some containers).
 * A mounted ConfigMap is read-only: use such a store only to `list` and
 * `watch` (a `put` would replace the symlink at `path` with a regular file).
 *
 * Limits: documents over 16 MiB are refused (`ERR_LIMIT_EXCEEDED`); a
 * malformed document is `ERR_TRANSPORT` and is never overwritten by `put`.
 * Changes are detected by (device, inode, size, mtime, ctime), so an in-place
 * edit that keeps all five is missed until the next change; atomic writers
 * always change the inode.
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../files/atomic-write.js';
import { dirname } from 'node:path';
import { BlindwireError, ErrorCode, fromBase64url, toBase64url } from '@blindwire/core';
import { assertBytes } from '@blindwire/core/internal';
import { recordId } from '../records/record-id.js';
import type { DirectoryStore } from './directory-store.js';

/** Largest document the store reads or writes: 16 MiB. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface FileStoreOptions {
  /** Offer `watch()` (directory watch plus periodic stat). Default true. */
  watch?: boolean;
  /** Period of the stat fallback while someone watches, ms. Default 2000. */
  pollIntervalMs?: number;
  /** Quiet time after a directory event before the path is re-read, ms. Default 50. */
  debounceMs?: number;
}

export interface FileStore extends DirectoryStore {
  readonly kind: 'file';
  readonly path: string;
}

/** A parsed document: name -> (record id -> record), plus the raw strings for change detection. */
interface Snapshot {
  key: string;
  records: Map<string, Map<string, Uint8Array>>;
}

const EMPTY_KEY = 'missing';
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function createFileStore(path: string, options: FileStoreOptions = {}): FileStore {
  if (typeof path !== 'string' || path.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"path" expected a non-empty string');
  }
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const debounceMs = options.debounceMs ?? 50;
  let cache: Snapshot | undefined;
  let watcher: Watcher | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  /** Serialises writers within this process (rename is atomic, read-modify-write is not). */
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

  async function write(
    mutate: (records: Map<string, Map<string, Uint8Array>>) => boolean,
  ): Promise<void> {
    const current = await load();
    const next = new Map([...current.records].map(([n, m]) => [n, new Map(m)] as const));
    if (!mutate(next)) return;
    const text = serialise(next);
    if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `file store: document would exceed ${MAX_FILE_BYTES} bytes`,
      );
    }
    await writeAtomic(path, text);
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
      return serial(() =>
        write((records) => {
          let m = records.get(name);
          if (!m) records.set(name, (m = new Map()));
          const id = recordId(copy);
          if (m.has(id)) return false; // idempotent: same bytes, same id
          m.set(id, copy);
          return true;
        }),
      );
    },
    async list(name) {
      assertName(name);
      const snap = await load();
      return [...(snap.records.get(name)?.values() ?? [])].map((r) => Uint8Array.from(r));
    },
    async remove(name, id) {
      assertName(name);
      return serial(() =>
        write((records) => {
          const m = records.get(name);
          if (!m?.delete(id)) return false;
          if (m.size === 0) records.delete(name);
          return true;
        }),
      );
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

interface Watcher {
  listeners: Set<(name: string) => void>;
  start(): Promise<void>;
  /** Re-stats the path and notifies listeners of every identity whose records changed. */
  check(): Promise<void>;
  stop(): void;
}

function createWatcher(
  path: string,
  load: () => Promise<Snapshot>,
  pollIntervalMs: number,
  debounceMs: number,
): Watcher {
  const listeners = new Set<(name: string) => void>();
  let last: Snapshot | undefined; // last good snapshot the listeners were told about
  let lastKey = '';
  let fsWatcher: FSWatcher | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function runCheck(): Promise<void> {
    let snap: Snapshot;
    try {
      const key = await statKey(path);
      if (key === lastKey) return;
      lastKey = key;
      snap = await load();
    } catch {
      return; // unreadable or malformed for now: keep the last good state, list() reports the error
    }
    const prev = last;
    last = snap;
    lastKey = snap.key;
    if (!prev || stopped) return;
    for (const name of changedNames(prev, snap)) {
      for (const l of [...listeners]) {
        try {
          l(name);
        } catch {
          // a throwing listener must not stop the others or the watcher
        }
      }
    }
  }

  function check(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await runCheck();
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      void check();
    }, debounceMs);
    debounce.unref?.();
  }

  return {
    listeners,
    check,
    async start() {
      try {
        // Any event in the directory (rename of `..data`, rename over the file) -> re-stat the path.
        fsWatcher = fsWatch(dirname(path), { persistent: false }, schedule);
        fsWatcher.on('error', () => {
          fsWatcher?.close();
          fsWatcher = undefined; // polling carries on
        });
      } catch {
        fsWatcher = undefined; // directory missing or watch unsupported: polling only
      }
      timer = setInterval(() => void check(), pollIntervalMs);
      timer.unref?.();
      await check(); // baseline snapshot: later changes are diffed against it
    },
    stop() {
      stopped = true;
      listeners.clear();
      fsWatcher?.close();
      fsWatcher = undefined;
      if (timer) clearInterval(timer);
      if (debounce) clearTimeout(debounce);
    },
  };
}

function changedNames(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  for (const name of new Set([...a.records.keys(), ...b.records.keys()])) {
    const x = a.records.get(name);
    const y = b.records.get(name);
    const same =
      (x?.size ?? 0) === (y?.size ?? 0) && [...(x?.keys() ?? [])].every((id) => y?.has(id));
    if (!same) out.push(name);
  }
  return out;
}

/** A cheap identity of the file's current version (following symlinks), or `missing`. */
async function statKey(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_KEY;
    throw transport(`cannot stat ${path}`, e);
  }
}

async function readDocument(path: string): Promise<Snapshot> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { key: EMPTY_KEY, records: new Map() };
    throw transport(`cannot open ${path}`, e);
  }
  try {
    const s = await fh.stat({ bigint: true });
    if (s.size > BigInt(MAX_FILE_BYTES)) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `file store: ${path} is ${s.size} bytes, more than the ${MAX_FILE_BYTES} allowed`,
      );
    }
    const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    // Read exactly the stat'ed size: a file growing underneath cannot push us past the limit.
    const buf = new Uint8Array(Number(s.size));
    let off = 0;
    try {
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
    } catch (e) {
      throw transport(`cannot read ${path}`, e);
    }
    let text: string;
    try {
      text = UTF8.decode(buf.subarray(0, off));
    } catch (e) {
      throw transport(`${path} is not UTF-8`, e);
    }
    return { key, records: parseDocument(text, path) };
  } finally {
    await fh.close();
  }
}

/** Parses and checks the whole document; any deviation is `ERR_TRANSPORT`, never a crash. */
function parseDocument(text: string, path: string): Map<string, Map<string, Uint8Array>> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw transport(`${path} is not valid JSON`, e);
  }
  if (!isObject(doc) || doc['v'] !== 1) {
    throw transport(`${path} is not a version 1 directory document ({"v":1,"records":{...}})`);
  }
  const records = doc['records'];
  if (!isObject(records)) throw transport(`${path}: "records" is not an object`);
  const out = new Map<string, Map<string, Uint8Array>>();
  for (const [name, list] of Object.entries(records)) {
    if (!Array.isArray(list))
      throw transport(`${path}: records of ${JSON.stringify(name)} are not an array`);
    const m = new Map<string, Uint8Array>();
    list.forEach((s: unknown, i) => {
      if (typeof s !== 'string')
        throw transport(`${path}: record ${i} of ${JSON.stringify(name)} is not a string`);
      let r: Uint8Array;
      try {
        r = fromBase64url(s);
      } catch (e) {
        throw transport(`${path}: record ${i} of ${JSON.stringify(name)} is not base64url`, e);
      }
      m.set(recordId(r), r);
    });
    if (m.size > 0) out.set(name, m);
  }
  return out;
}

function serialise(records: Map<string, Map<string, Uint8Array>>): string {
  const obj: Record<string, string[]> = Object.create(null); // a name like "__proto__" stays a plain key
  for (const name of [...records.keys()].sort()) {
    const m = records.get(name)!;
    if (m.size > 0) obj[name] = [...m.values()].map(toBase64url);
  }
  return JSON.stringify({ v: 1, records: obj }, null, 2) + '\n';
}

/** Mode 0644: records are public. */
async function writeAtomic(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, 0o644);
  } catch (e) {
    throw transport(`cannot write ${path}`, e);
  }
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"name" expected a non-empty string');
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function transport(message: string, cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.Transport,
    `file store: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}
