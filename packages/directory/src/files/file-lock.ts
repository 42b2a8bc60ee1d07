/**
 * Plumbing, no wire format (it serves SPEC.md §11.2 rollback marks and
 * §11.4 key stores). A lock file shared by the processes that rewrite one file (the private key
 * store, the rollback store): `<path>.lock`, created exclusively, broken when
 * a crash left it behind. Node only.
 */
import { open, stat, unlink } from 'node:fs/promises';

/** How long a writer waits for another process's lock, and when a lock counts as left behind by a crash. */
const LOCK_WAIT_MS = 20_000;
const LOCK_STALE_MS = 10_000;

/**
 * Runs `fn` holding `<path>.lock`, created exclusively, so that processes
 * sharing one file (a key store, a rollback state) can each re-read it under
 * the lock and none overwrites another's change. A write holds the lock for milliseconds; a lock older
 * than LOCK_STALE_MS was left by a crash and is broken.
 */
export async function withFileLock<T>(
  path: string,
  fail: (message: string, cause?: unknown) => Error,
  fn: () => Promise<T>,
): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let mine: { dev: number; ino: number };
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      try {
        await fh.writeFile(`${process.pid}\n`);
        mine = await fh.stat();
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw fail(`cannot lock ${path}`, e);
      const st = await stat(lockPath).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) {
        await breakStaleLock(lockPath, st);
        continue;
      }
      if (Date.now() > deadline) {
        throw fail(`${path} is locked by another process (${lockPath})`);
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return await fn();
  } finally {
    // Only our own lock: one broken as stale meanwhile is someone else's now.
    const now = await stat(lockPath).catch(() => undefined);
    if (now && now.ino === mine.ino && now.dev === mine.dev) {
      await unlink(lockPath).catch(() => undefined);
    }
  }
}

/**
 * Removes the stale lock `seen`, and only it. Breakers take turns through
 * `<lock>.break` (created exclusively) and look again under it: the lock is
 * removed only while it is still the same stale file, so a fresh lock that
 * another waiter created meanwhile is never touched.
 */
async function breakStaleLock(lockPath: string, seen: { dev: number; ino: number }) {
  const breaker = `${lockPath}.break`;
  try {
    await (await open(breaker, 'wx', 0o600)).close();
  } catch {
    // Another waiter is breaking it; a breaker left by a crash goes when stale.
    const st = await stat(breaker).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    const now = await stat(lockPath).catch(() => undefined);
    if (
      now &&
      now.ino === seen.ino &&
      now.dev === seen.dev &&
      Date.now() - now.mtimeMs > LOCK_STALE_MS
    ) {
      await unlink(lockPath).catch(() => undefined);
    }
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}
