/**
 * Watching the file store's document (SPEC.md §11.3: stores that can tell
 * invalidate the cache on change): the directory is watched (so atomic
 * replacement, including Kubernetes' `..data` swap, is seen), the path
 * re-stat'ed after a debounce, and a periodic stat backs up fs.watch; the
 * listeners hear the name of every identity whose records changed.
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { statKey, type Snapshot } from './file-store-document.js';

export interface Watcher {
  listeners: Set<(name: string) => void>;
  start(): Promise<void>;
  /** Re-stats the path and notifies listeners of every identity whose records changed. */
  check(): Promise<void>;
  stop(): void;
}

/** Tells every listener every name; a throwing listener stops neither the others nor the watcher. */
function notify(listeners: Set<(name: string) => void>, names: string[]): void {
  for (const name of names) {
    for (const l of [...listeners]) {
      try {
        l(name);
      } catch {
        // a throwing listener must not stop the others or the watcher
      }
    }
  }
}

/**
 * Watches the directory of `path`: any event there (rename of `..data`,
 * rename over the file) calls `onEvent`, which re-stats the path. Undefined
 * when the directory is missing or watching is unsupported: polling only.
 */
function watchDirectory(
  path: string,
  onEvent: () => void,
  onError: () => void,
): FSWatcher | undefined {
  try {
    const w = fsWatch(dirname(path), { persistent: false }, onEvent);
    w.on('error', onError);
    return w;
  } catch {
    return undefined;
  }
}

export function createWatcher(
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
    notify(listeners, changedNames(prev, snap));
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
      fsWatcher = watchDirectory(path, schedule, () => {
        fsWatcher?.close();
        fsWatcher = undefined; // polling carries on
      });
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
