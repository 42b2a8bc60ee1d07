/**
 * The built executable: `npx tsup`, then `node <out>/bin.js --help` in a
 * child process. It builds into packages/cli/.tmp (git-ignored, one level
 * below package.json like dist/, which `--version` reads), never over dist/:
 * other test files run the built dist/bin.js at the same time. Needs the
 * workspace packages it bundles or imports built (the testkit's build guard).
 */
import { execFile } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '@blindwire/testkit';

const exec = promisify(execFile);
const PKG = fileURLToPath(new URL('..', import.meta.url));
const built = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

// tsup bundles the built test kit, and the bin imports the built core and
// directory: skipped outside CI when they are missing, a failure under CI=true.
const deps = requireBuild(
  [built('testkit/dist/index.js'), built('core/dist/index.js'), built('directory/dist/index.js')],
  '@blindwire/testkit, core and directory',
);

describe.skipIf(deps.skip)('bin', () => {
  beforeAll(() => deps.assertBuilt());
  afterAll(() => rm(`${PKG}.tmp`, { recursive: true, force: true }));
  it('builds with tsup and runs as `node <out>/bin.js --help`', async () => {
    await exec('npx', ['tsup', '--out-dir', '.tmp'], {
      cwd: PKG,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const bin = `${PKG}.tmp/bin.js`;
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
