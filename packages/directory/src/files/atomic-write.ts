/**
 * Plumbing, no wire format (it serves SPEC.md §11.4-§11.5 storage).
 * Replacing a file atomically: a temp file in the same directory (created
 * exclusively, with `mode` whatever the umask), written and fsynced, renamed
 * over `path`, then the directory fsynced. Readers see the old file or the
 * new one, never a mix. Shared by the public-record file store, the private
 * key store and the rollback store; Node only. The lock that serialises
 * writers across processes is file-lock.ts.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomHex } from '../crypto.js';

/**
 * Writes `text` to `path` atomically; a failure before the rename removes the
 * temp file and rethrows. `beforeRename` runs last before the rename (a
 * caller under files/file-lock.ts checks there that it still holds the lock).
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  mode: number,
  beforeRename?: () => Promise<void>,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomHex(6)}.tmp`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.chmod(mode); // independent of the umask
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await beforeRename?.();
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // directory fsync is unsupported on some platforms; the rename is done
  }
}
