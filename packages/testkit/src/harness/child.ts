/**
 * Starting a consumer child for the conformance harness (the crash cases of
 * SPEC.md §7b): a plain `node` process running a script on the built
 * packages, killable with SIGKILL, with the tail of its output kept for a
 * failure's report. `waitForLine` waits for the child's `R` line in the run
 * log (run-log.ts), which it writes once it consumes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ChildHandle } from './types.js';

const TAIL = 4096;

export interface SpawnOptions {
  /** Extra environment (merged over process.env). */
  env?: Record<string, string>;
  cwd?: string;
}

/** Spawns `node script ...args`; stdout and stderr are kept (last 4 KiB), not printed. */
export function spawnNodeChild(
  script: string,
  args: string[] = [],
  options: SpawnOptions = {},
): ChildHandle {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (e) => {
      keep(Buffer.from(String(e)));
      resolve({ code: null, signal: null });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  const pid = child.pid;
  return {
    pid,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    exited,
    stderrTail: () => tail,
  };
}

/**
 * Resolves once `path` holds the line `line`, polling every `everyMs`;
 * rejects after `timeoutMs`, or when `exited` resolves first (the child died).
 */
export async function waitForLine(
  path: string,
  line: string,
  options: { timeoutMs: number; everyMs?: number; child?: ChildHandle },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let dead = false;
  void options.child?.exited.then(() => {
    dead = true;
  });
  for (;;) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // not created yet
    }
    if (text.split('\n').includes(line)) return;
    if (dead) throw new Error(`the child exited before "${line}": ${options.child!.stderrTail()}`);
    if (Date.now() > deadline) throw new Error(`no "${line}" within ${options.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 50));
  }
}
