/**
 * scripts/build.mjs skips a package only when none of its build inputs
 * changed: its sources and manifests, the root tool versions, and the shared
 * tsup configuration under scripts/tsup/ that every package's tsup.config.ts
 * imports. Runs the real script on a one-package copy of the repository
 * layout, whose build only records that it ran.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let dir: string;
const builds = async () => (await readFile(join(dir, 'builds.log'), 'utf8').catch(() => '')).length;
const build = () => exec(process.execPath, [join(dir, 'scripts/build.mjs')], { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'build-cache-'));
  await mkdir(join(dir, 'scripts/tsup'), { recursive: true });
  await mkdir(join(dir, 'packages/a/src'), { recursive: true });
  await copyFile(join(ROOT, 'scripts/build.mjs'), join(dir, 'scripts/build.mjs'));
  await writeFile(join(dir, 'scripts/tsup/readable-names.ts'), 'export const v = 1;\n');
  await writeFile(join(dir, 'package.json'), '{ "name": "r", "private": true }\n');
  await writeFile(join(dir, 'tsconfig.base.json'), '{}\n');
  await writeFile(join(dir, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n");
  await writeFile(
    join(dir, 'packages/a/package.json'),
    JSON.stringify({
      name: '@x/a',
      scripts: { build: 'mkdir -p dist && printf x >> ../../builds.log' },
    }),
  );
  await writeFile(
    join(dir, 'packages/a/tsup.config.ts'),
    "import '../../scripts/tsup/readable-names.js';\n",
  );
  await writeFile(join(dir, 'packages/a/src/index.ts'), 'export const a = 1;\n');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scripts/build.mjs build cache', () => {
  it('builds once, then skips while nothing changed', async () => {
    await build();
    await build();
    expect(await builds()).toBe(1);
  });

  it('rebuilds when a source file changes', async () => {
    await writeFile(join(dir, 'packages/a/src/index.ts'), 'export const a = 2;\n');
    await build();
    expect(await builds()).toBe(2);
  });

  it('rebuilds when the shared tsup configuration under scripts/tsup/ changes', async () => {
    await writeFile(join(dir, 'scripts/tsup/readable-names.ts'), 'export const v = 2;\n');
    await build();
    expect(await builds()).toBe(3);
    await build();
    expect(await builds()).toBe(3);
  });
});
