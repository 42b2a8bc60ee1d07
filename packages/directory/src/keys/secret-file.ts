/**
 * Reading and writing the private key store's file (SPEC.md §11.4; Node
 * only): refused
 * unless a regular file only its owner can access (mode 0600), at most 16
 * MiB; rewritten atomically (files/atomic-write.ts) and the replaced file's
 * blocks overwritten with zeros through a descriptor opened before the
 * rename (best effort: copy-on-write filesystems, SSD wear levelling and
 * backups may keep old data).
 */
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { writeFileAtomic } from '../files/atomic-write.js';
import type { HeldLock } from '../files/file-lock.js';
import { invalid, transport } from './key-store-errors.js';

const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** The parsed JSON of an existing file, or undefined when there is none. Checks the mode first. */
export async function readExisting(path: string): Promise<unknown> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw transport(`cannot open ${path}`, e);
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw invalid(`"path" expected a regular file: ${path}`);
    if ((s.mode & 0o077) !== 0) {
      const mode = (s.mode & 0o777).toString(8).padStart(4, '0');
      throw invalid(
        `"path" expected a file only its owner can access (mode 0600), got ${mode}: ${path}`,
      );
    }
    if (s.size > MAX_FILE_BYTES) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `key store ${path} is larger than ${MAX_FILE_BYTES} bytes`,
      );
    }
    const text = await fh.readFile({ encoding: 'utf8' });
    try {
      return JSON.parse(text);
    } catch (e) {
      throw transport(`${path} is not valid JSON`, e);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Atomic replacement at mode 0600 (files/atomic-write.ts), under `lock`
 * (checked before the rename). Then the replaced file, if nothing else links to it, is overwritten with
 * zeros through a descriptor opened before the rename (best effort).
 */
export async function writeSecretFile(path: string, text: string, lock: HeldLock): Promise<void> {
  let old;
  try {
    if ((await lstat(path)).isFile()) old = await open(path, 'r+');
  } catch {
    old = undefined; // no previous file (or not ours to wipe)
  }
  try {
    try {
      await writeFileAtomic(path, text, 0o600, () => lock.assertHeld());
    } catch (e) {
      if (e instanceof BlindwireError) throw e; // the lock was lost
      throw transport(`cannot write ${path}`, e);
    }
    if (old) await wipeReplaced(old);
  } finally {
    await old?.close().catch(() => undefined);
  }
}

async function wipeReplaced(fh: FileHandle): Promise<void> {
  try {
    const s = await fh.stat();
    if (s.nlink !== 0 || s.size === 0) return; // still linked somewhere: not ours to destroy
    await fh.write(new Uint8Array(s.size), 0, s.size, 0);
    await fh.sync();
  } catch {
    // best effort only; the new file is already in place
  }
}
