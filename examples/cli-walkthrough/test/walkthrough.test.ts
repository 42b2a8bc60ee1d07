/**
 * The CLI walkthrough example: walkthrough.sh runs through the built
 * `blindwire` binary (a real process per command) in an empty directory and
 * passes every check, and it contains each command of the root README's
 * walkthrough, so the two do not drift apart.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '@blindwire/testkit';

const exec = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(ROOT, 'packages/cli/dist/bin.js');
const built = requireBuild([bin], '@blindwire/cli');

/** The commands of a sh text: continuation lines joined, comments and blank lines dropped. */
function commands(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

describe.skipIf(built.skip)('examples/cli-walkthrough', () => {
  let dir: string;
  beforeAll(async () => {
    built.assertBuilt();
    dir = await mkdtemp(join(tmpdir(), 'blindwire-walkthrough-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs every step and check through the built binary', async () => {
    const { stdout } = await exec('sh', [here('walkthrough.sh')], {
      cwd: dir,
      env: { ...process.env, BLINDWIRE: `${process.execPath} ${bin}` },
    });
    const steps = stdout.split('\n').filter((l) => l.startsWith('== '));
    expect(steps).toEqual([
      '== 1. anchor',
      '== 2. identities',
      '== 3. seal',
      '== 4. inspect',
      '== 5. open',
      '== 6. rotate',
      '== 7. revoke',
    ]);
    expect(stdout).toMatch(/\nwalkthrough ok\n$/);
    expect(stdout).toMatch(/erased private key [\w-]{22} from planner-keys\.json/);
    const files = await readdir(dir);
    expect(files).toContain('refund-2-opened.txt');
    expect(files).not.toContain('refund-revoked.txt');
    expect(await readFile(join(dir, 'refund-after-rotation.txt'), 'utf8')).toBe(
      'refund A-1042: 129.00\n',
    );
  }, 120_000);

  it('a failed check stops the script and names it', async () => {
    const d = await mkdtemp(join(tmpdir(), 'blindwire-walkthrough-'));
    try {
      // A `blindwire` whose seal copies the plaintext: the checks after step 3 must catch it.
      const fake = join(d, 'fake-blindwire');
      await writeFile(
        fake,
        `#!/bin/sh\nif [ "$1" = seal ]; then cp "$2" refund.bw; exit 0; fi\nexec "${process.execPath}" "${bin}" "$@"\n`,
        { mode: 0o755 },
      );
      const r = await exec('sh', [here('walkthrough.sh')], {
        cwd: d,
        env: { ...process.env, BLINDWIRE: fake },
      }).catch((e: { code: number; stderr: string }) => e);
      expect((r as { code: number }).code).toBe(1);
      expect((r as { stderr: string }).stderr).toMatch(/\ncheck failed: test re = BW\n$/);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  }, 60_000);

  it("its README's block runs as written, twice, from a clone whose path has a space", async () => {
    const md = await readFile(here('README.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(md)![1]!;
    const lines = block.split('\n');
    // The build is `pnpm build`'s (the suite runs on built packages): the rest runs as written.
    expect(lines[0]).toBe('pnpm build');
    const run = lines.slice(1).join('\n');
    const d = await mkdtemp(join(tmpdir(), 'blindwire-walkthrough-'));
    try {
      const clone = join(d, 'my clone');
      await symlink(ROOT, clone);
      await mkdir(join(d, 'tmp'));
      for (const round of [1, 2]) {
        const { stdout } = await exec('sh', ['-ec', run], {
          cwd: clone,
          env: { ...process.env, PWD: clone, TMPDIR: join(d, 'tmp') },
        });
        expect(stdout, `round ${round}`).toMatch(/\nwalkthrough ok\n$/);
      }
      // Each run filled a fresh directory of its own, none in the clone.
      expect(await readdir(join(d, 'tmp'))).toHaveLength(2);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  }, 240_000);

  it('holds every command of the root README walkthrough', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## The CLI in seven steps\n');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    // From step 1: the lines before it set up the reader's shell (a fresh
    // directory, `blindwire` through pnpm exec), which BLINDWIRE does here.
    const written = commands(block.slice(block.indexOf('# 1. ')));
    expect(written.filter((c) => c.startsWith('blindwire '))).toHaveLength(11);
    const script = commands(await readFile(here('walkthrough.sh'), 'utf8')).join('\n');
    for (const c of written) {
      // The README prints the revoked open's status; the script checks it.
      const core = c
        .replace(/ \|\| echo "exit \$\?"$/, '')
        .replace(/^export (\w+)=.*/, 'export $1=');
      expect(script, c).toContain(core);
    }
  });
});
