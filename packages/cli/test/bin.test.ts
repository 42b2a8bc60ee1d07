/**
 * The built executable: `npx tsup`, then `node dist/bin.js --help` in a
 * child process (everything else runs in-process through `run`).
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const PKG = fileURLToPath(new URL('..', import.meta.url));

describe('bin', () => {
  it('builds with tsup and runs as `node dist/bin.js --help`', async () => {
    await exec('npx', ['tsup'], { cwd: PKG, env: { ...process.env, NO_COLOR: '1' } });
    const bin = `${PKG}dist/bin.js`;
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect((await stat(bin)).mode & 0o100).toBe(0o100); // executable
    const { stdout, stderr } = await exec(process.execPath, [bin, '--help'], { cwd: PKG });
    expect(stderr).toBe('');
    expect(stdout).toContain('Usage: blindwire <command> [options]');
    expect(stdout).toContain('directory serve');
    const usage = await exec(process.execPath, [bin, 'anchor', 'create']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((usage as { code: number }).code).toBe(2);
    expect((usage as { stderr: string }).stderr).toMatch(/^usage error: missing NAME/);
  }, 120_000);
});
