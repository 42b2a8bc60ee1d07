/**
 * Temporary files that must not outlive the process: the spool and the
 * hidden `--out` neighbour of `open` hold plaintext (verified or not yet), and
 * that of `seal` half a message. Each is removed by its command on success
 * and on failure; this registry also removes them when the process ends
 * another way: `process.exit` (the bin's exit on a closed stdout pipe) or
 * SIGINT, SIGTERM or SIGHUP, after which the signal is raised again so the
 * process ends as it would have. The handlers exist only while a temporary
 * does, so other commands (`directory serve`) keep their own signal handling.
 */
import { rmSync } from 'node:fs';

const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeAll(): void {
  for (const path of live) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // best effort: the process is ending
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeAll();
  unlisten();
  process.kill(process.pid, signal);
}

function listen(): void {
  process.on('exit', removeAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unlisten(): void {
  process.removeListener('exit', removeAll);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Removes `path` (a file or directory) if the process ends before `release(path)`. */
export function holdTemporary(path: string): void {
  if (live.size === 0) listen();
  live.add(path);
}

/** `path` is gone or in place: nothing left to remove at exit. */
export function releaseTemporary(path: string): void {
  if (!live.delete(path)) return;
  if (live.size === 0) unlisten();
}
