/**
 * Plumbing, no wire format (it serves SPEC.md §11.2 rollback marks, §11.4
 * key stores and §11.5-§11.6 file stores). A lock file shared by the
 * processes that rewrite one file (the public-record file store, the private
 * key store, the rollback store): `<path>.lock`, created exclusively,
 * holding `<pid> <host>`. Its holder touches it while it holds it, so a lock
 * counts as left behind by a crash only once nobody has touched it for the
 * stale time, or at once when its holder's process is gone from this host.
 * Node only.
 */
import { hostname } from 'node:os';
import { open, readFile, readlink, stat, unlink, type FileHandle } from 'node:fs/promises';

/** How long a writer waits for another process's lock. */
const LOCK_WAIT_MS = 20_000;
/** A lock nobody touched for this long was left by a crash. Its holder touches it 4 times as often. */
const LOCK_STALE_MS = 10_000;

export interface FileLockOptions {
  /** How long an untouched lock stays another process's, ms. Default 10 000. For tests. */
  staleMs?: number;
  /** How long to wait for the lock, ms. Default 20 000. */
  waitMs?: number;
}

/** The lock, while `fn` holds it. */
export interface HeldLock {
  /**
   * Rejects (with the caller's `fail`) unless `<path>.lock` is still the one
   * this call created: call it right before the write that commits (the
   * rename), so that a holder whose lock was broken (it stalled, unable to
   * touch it, for the stale time) does not overwrite the new holder's work.
   */
  assertHeld(): Promise<void>;
}

type Fail = (message: string, cause?: unknown) => Error;

/**
 * Runs `fn` holding `<path>.lock`, created exclusively, so that processes
 * sharing one file can each re-read it under the lock and none overwrites
 * another's change. While `fn` runs, a timer (unref'd) touches the lock every
 * quarter of the stale time. A waiter breaks a lock only when it has not been
 * touched for the stale time, or when it names a process of this host
 * (same host name and PID namespace) that no longer exists.
 */
export async function withFileLock<T>(
  path: string,
  fail: Fail,
  fn: (lock: HeldLock) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const lockPath = `${path}.lock`;
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const { fh, mine } = await acquire(path, lockPath, fail, staleMs, options.waitMs ?? LOCK_WAIT_MS);
  const touch = setInterval(() => {
    const now = new Date();
    fh.utimes(now, now).catch(() => undefined); // our own inode, wherever the path points now
  }, staleMs / 4);
  touch.unref();
  const ours = async () => {
    const now = await stat(lockPath).catch(() => undefined);
    return now !== undefined && now.ino === mine.ino && now.dev === mine.dev;
  };
  try {
    return await fn({
      async assertHeld() {
        if (!(await ours()))
          throw fail(`lost the lock on ${path} (${lockPath}) to another process`);
      },
    });
  } finally {
    clearInterval(touch);
    // Only our own lock: one broken meanwhile is someone else's now.
    if (await ours()) await unlink(lockPath).catch(() => undefined);
    await fh.close().catch(() => undefined);
  }
}

/** Creates the lock, waiting for (or breaking) another's; returns it open. */
async function acquire(
  path: string,
  lockPath: string,
  fail: Fail,
  staleMs: number,
  waitMs: number,
): Promise<{ fh: FileHandle; mine: { dev: number; ino: number } }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let fh: FileHandle;
    try {
      fh = await open(lockPath, 'wx', 0o600);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw fail(`cannot lock ${path}`, e);
      const st = await stat(lockPath).catch(() => undefined);
      if (st && (await abandoned(lockPath, st, staleMs))) {
        await breakStaleLock(lockPath, st, staleMs);
        continue;
      }
      if (Date.now() > deadline) throw fail(`${path} is locked by another process (${lockPath})`);
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      continue;
    }
    try {
      await fh.writeFile(`${process.pid} ${await hostKey()}\n`);
      return { fh, mine: await fh.stat() };
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(lockPath).catch(() => undefined);
      throw fail(`cannot lock ${path}`, e);
    }
  }
}

let host: Promise<string> | undefined;

/** This host as a lock names it: host name and PID namespace (Linux), no spaces. */
function hostKey(): Promise<string> {
  host ??= readlink('/proc/self/ns/pid')
    .catch(() => '')
    .then((ns) => `${hostname()}/${ns}`.replace(/\s/g, '_'));
  return host;
}

/** Untouched for the stale time, or naming a process of this host that is gone. */
async function abandoned(lockPath: string, st: { mtimeMs: number }, staleMs: number) {
  if (Date.now() - st.mtimeMs > staleMs) return true;
  const text = await readFile(lockPath, 'utf8').catch(() => '');
  const m = /^(\d+) (\S+)\n$/.exec(text); // an empty file: its holder is still writing it
  if (!m || m[2] !== (await hostKey())) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'ESRCH';
  }
}

/**
 * Removes the abandoned lock `seen`, and only it. Breakers take turns
 * through `<lock>.break` (created exclusively) and look again under it: the
 * lock is removed only while it is still the same abandoned file, so a
 * fresh lock that another waiter created meanwhile is never touched.
 */
async function breakStaleLock(
  lockPath: string,
  seen: { dev: number; ino: number },
  staleMs: number,
) {
  const breaker = `${lockPath}.break`;
  try {
    await (await open(breaker, 'wx', 0o600)).close();
  } catch {
    // Another waiter is breaking it; a breaker left by a crash goes when stale.
    const st = await stat(breaker).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > staleMs) await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    const now = await stat(lockPath).catch(() => undefined);
    if (
      now &&
      now.ino === seen.ino &&
      now.dev === seen.dev &&
      (await abandoned(lockPath, now, staleMs))
    ) {
      await unlink(lockPath).catch(() => undefined);
    }
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}
