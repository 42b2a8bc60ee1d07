/**
 * The cross-process file lock (files/file-lock.ts): a holder touches its
 * lock while it works, so a waiter breaks only a lock nobody touches any
 * more, or one whose process is gone from this host; and a holder whose lock
 * was taken from it anyway does not commit its write. Stale time 200 ms here
 * (10 s by default), so the tests stay fast.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readlink, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/files/atomic-write.js';
import { withFileLock } from '../src/files/file-lock.js';

const fail = (m: string) => Object.assign(new Error(m), { code: 'ERR_TRANSPORT' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const staleMs = 200;
let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-lock-'));
  path = join(dir, 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What a lock of process `pid` on this host holds. */
async function lockOf(pid: number): Promise<string> {
  const ns = await readlink('/proc/self/ns/pid').catch(() => '');
  return `${pid} ${`${hostname()}/${ns}`.replace(/\s/g, '_')}\n`;
}

describe('withFileLock', () => {
  it('a holder working past the stale time keeps its lock: two holders are never inside at once', async () => {
    let inside = 0;
    let overlap = 0;
    const critical = (ms: number) => async () => {
      if (++inside > 1) overlap++;
      await sleep(ms);
      inside--;
    };
    const slow = withFileLock(path, fail, critical(5 * staleMs), { staleMs });
    await sleep(20);
    const started = Date.now();
    await withFileLock(path, fail, critical(10), { staleMs });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * staleMs); // it waited for `slow`
    await slow;
    expect(overlap).toBe(0);
    await expect(stat(`${path}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('breaks at once a lock whose process is gone from this host', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => child.once('exit', r));
    await writeFile(`${path}.lock`, await lockOf(child.pid!)); // fresh mtime, dead holder
    const started = Date.now();
    expect(await withFileLock(path, fail, async () => 'in', { staleMs: 60_000 })).toBe('in');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("waits for a live process's lock while it is touched, and for one of another host", async () => {
    await writeFile(`${path}.lock`, await lockOf(process.ppid)); // alive
    await expect(
      withFileLock(path, fail, async () => 'in', { staleMs: 60_000, waitMs: 300 }),
    ).rejects.toThrow(/locked by another process/);
    await writeFile(`${path}.lock`, '1 other-host/pid:[1]\n');
    await expect(
      withFileLock(path, fail, async () => 'in', { staleMs: 60_000, waitMs: 300 }),
    ).rejects.toThrow(/locked by another process/);
    const old = new Date(Date.now() - 1_000); // untouched for longer than the stale time
    await utimes(`${path}.lock`, old, old);
    expect(await withFileLock(path, fail, async () => 'in', { staleMs })).toBe('in');
  });

  it('a holder whose lock was broken meanwhile does not commit, and leaves the new lock alone', async () => {
    await writeFile(path, 'before\n');
    const write = withFileLock(path, fail, async (lock) => {
      await unlink(`${path}.lock`); // taken from us: broken and created again by another process
      await writeFile(`${path}.lock`, await lockOf(process.ppid));
      await writeFileAtomic(path, 'after\n', 0o600, () => lock.assertHeld());
    });
    await expect(write).rejects.toThrow(/lost the lock/);
    expect(await readFile(path, 'utf8')).toBe('before\n');
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(await lockOf(process.ppid));
  });
});
