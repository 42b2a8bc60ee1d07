/**
 * The root README runs as written: its code example (an agent calls a tool
 * through a proxy that cannot read, with @blindwire/http), saved in the clone
 * and run by Node with its imports untouched, and its CLI walkthrough (anchor,
 * identities, seal, inspect, open, rotate, revoke), pasted into sh inside the
 * clone as a user would, the block itself running the built `blindwire`
 * through pnpm exec.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '@blindwire/testkit';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(ROOT, 'packages/cli/dist/bin.js');
const built = requireBuild(
  [bin, ...['core', 'http'].map((p) => join(ROOT, `packages/${p}/dist/index.js`))],
  '@blindwire/cli, core and http',
);

/** The fenced blocks of `lang` in the root README's section headed `heading`. */
function blocks(readme: string, heading: string, lang: string): string[] {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + heading.length + 2);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map(
    (m) => m[1]!,
  );
}

/** PATH without any directory that holds a `blindwire` command, as on a fresh machine. */
function withoutBlindwire(path: string): string {
  return path
    .split(delimiter)
    .filter((d) => d !== '' && !existsSync(join(d, 'blindwire')))
    .join(delimiter);
}

let readme: string;
const cleanup: string[] = [];
beforeAll(async () => {
  readme = await readFile(join(ROOT, 'README.md'), 'utf8');
});
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(built.skip)('root README', () => {
  it('the code example: the tool answers the verified agent, the proxy logs only ciphertext', async () => {
    built.assertBuilt();
    const [example, ...more] = blocks(
      readme,
      '## An agent calls a tool through a proxy that cannot read',
      'js',
    );
    expect(more).toEqual([]);
    expect(example).toContain("from '@blindwire/http'");
    expect(readme).toContain('save it as `example.mjs` at the root of the clone');
    expect(example!.split('\n').length).toBeLessThanOrEqual(45);
    // As the README says: saved as example.mjs in the clone (here in a fresh
    // directory below .tmp/, which resolves the same root node_modules) and run
    // by node as written, its imports untouched.
    await mkdir(join(ROOT, '.tmp'), { recursive: true });
    const cwd = await mkdtemp(join(ROOT, '.tmp', 'readme-example-'));
    cleanup.push(cwd);
    await writeFile(join(cwd, 'example.mjs'), example!);
    const { stdout } = await exec(process.execPath, ['example.mjs'], { cwd });
    expect(stdout).toBe(
      "{ refunded: 'A-1042', for: 'spiffe://acme.example/agents/planner' }\nfalse\n",
    );
    // The lines the example prints are the ones its comments promise.
    expect(example).toContain(
      "// { refunded: 'A-1042', for: 'spiffe://acme.example/agents/planner' }",
    );
  });

  it('the CLI walkthrough runs end to end through the blindwire binary', async () => {
    built.assertBuilt();
    const [block] = blocks(readme, '## The CLI in seven steps', 'sh');
    for (const verb of [
      'anchor create',
      'identity create',
      'seal',
      'inspect',
      'open',
      'key rotate',
      'revoke',
    ])
      expect(block, verb).toContain(`blindwire ${verb} `);
    // As a user runs it: pasted into a shell inside the clone, no `blindwire` on
    // PATH (the block defines it with pnpm exec) and its files under a fresh
    // directory it makes below `.tmp/`.
    await mkdir(join(ROOT, '.tmp'), { recursive: true });
    const cwd = await mkdtemp(join(ROOT, '.tmp', 'readme-walkthrough-'));
    cleanup.push(cwd);
    const { stdout, stderr } = await exec('sh', ['-ec', block!], {
      cwd,
      env: { ...process.env, PATH: withoutBlindwire(process.env['PATH'] ?? '') },
    });
    const made = await readdir(join(cwd, '.tmp'));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/^walkthrough\./);
    const dir = join(cwd, '.tmp', made[0]!);
    const plain = 'refund A-1042: 129.00\n';
    expect(await readFile(join(dir, 'refund-opened.txt'), 'utf8')).toBe(plain);
    expect(await readFile(join(dir, 'refund-after-rotation.txt'), 'utf8')).toBe(plain);
    expect((await readFile(join(dir, 'refund.bw'))).includes('A-1042')).toBe(false);
    // Step 4 printed the public header; step 7's open failed with exit 4 and wrote nothing.
    expect(stdout).toMatch(/^recipients: +[\w-]{22}$/m);
    expect(stdout).toMatch(/erased private key [\w-]{22} from planner-keys\.json/);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('exit 4');
    expect(stderr).toContain('error ERR_KEY_REVOKED: ');
    expect(await readdir(dir)).not.toContain('refund-revoked.txt');
  }, 240_000);
});
