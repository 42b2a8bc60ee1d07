/**
 * The READMEs run as written: the guide "From CLI files to code" (each
 * snippet run by Node on what the CLI wrote, after key rotation), the Quick
 * start (through a `blindwire` on PATH, the directory server left out), and
 * running the command from a clone (`pnpm exec blindwire`, the bin that
 * pnpm links before anything is built). Uses the built packages.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '@blindwire/testkit';
import { sandbox, type Sandbox } from './helpers/cli.js';
import {
  PASSPHRASE_ENV,
  PLANNER,
  STORE,
  createRotatedIdentity,
  createWorld,
} from './helpers/world.js';

const exec = promisify(execFile);
const pkg = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const bin = pkg('dist/bin.js');
const requireFromCli = createRequire(pkg('package.json'));
const built = requireBuild(
  [bin, ...['core', 'directory'].map((p) => join(ROOT, `packages/${p}/dist/index.js`))],
  '@blindwire/cli, core and directory',
);

/** The fenced blocks of `lang` in the section of `readme` headed `heading` (up to the next `## `). */
function blocks(readme: string, heading: string, lang: string): string[] {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + heading.length + 2);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map(
    (m) => m[1]!,
  );
}

/** The commands of a sh block: continuation lines joined, comments dropped. */
function commands(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** A snippet whose `@blindwire/...` imports point at the built files, as in an app that installed them. */
function runnable(snippet: string): string {
  return snippet.replace(/from '(@blindwire\/[^']+)'/g, (_, spec: string) => {
    return `from '${pathToFileURL(requireFromCli.resolve(spec)).href}'`;
  });
}

let sb: Sandbox;
let readme: string;
beforeAll(async () => {
  readme = await readFile(pkg('README.md'), 'utf8');
});

describe.skipIf(built.skip)('README: from CLI files to code', () => {
  beforeAll(async () => {
    built.assertBuilt();
    sb = await sandbox();
    await createWorld(sb);
    await createRotatedIdentity(sb);
  }, 60_000);
  afterAll(async () => {
    await sb?.remove();
  });

  it('has the two snippets: a sender in code, a recipient in code after rotation', () => {
    const js = blocks(readme, '## From CLI files to code', 'js');
    expect(js.map((s) => s.split('\n')[0])).toEqual(['// seal-entry.mjs', '// open-entry.mjs']);
  });

  it('seal-entry.mjs seals for the rotated identity; the CLI opens it only with the key store', async () => {
    const [seal] = blocks(readme, '## From CLI files to code', 'js');
    await writeFile(sb.path('seal-entry.mjs'), runnable(seal!));
    await exec(process.execPath, ['seal-entry.mjs'], { cwd: sb.dir });
    const keystore = [
      '--keystore',
      'ledger-keys.json',
      '--passphrase-env',
      'LEDGER_KEYS_PASSPHRASE',
    ];
    const trust = ['--store', STORE, '--anchor', 'anchor-public.json'];
    const opened = await sb.ok(['open', 'entry.bw', ...keystore, ...trust], {
      env: PASSPHRASE_ENV,
    });
    expect(opened.stdoutBytes.toString()).toBe('ledger entry 42');
    expect(opened.stderr).toContain(`verified sender ${PLANNER} `);
    // The identity file alone holds only the placeholder: the failure the guide explains.
    expect((await sb.cli(['open', 'entry.bw', '-i', 'ledger.json', ...trust])).code).toBe(4);
  });

  it('open-entry.mjs opens it with importIdentity and the key store list()', async () => {
    const [, open] = blocks(readme, '## From CLI files to code', 'js');
    await writeFile(sb.path('open-entry.mjs'), runnable(open!));
    const { stdout } = await exec(process.execPath, ['open-entry.mjs'], {
      cwd: sb.dir,
      env: { ...process.env, ...PASSPHRASE_ENV },
    });
    expect(stdout).toMatch(new RegExp(`^${PLANNER} sent [0-9a-f]{32}: ledger entry 42\\n$`));
  });
});

describe.skipIf(built.skip)('README: the Quick start', () => {
  let dir: Sandbox;
  beforeAll(async () => {
    dir = await sandbox();
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('runs as written, with `blindwire` on PATH (the directory server and its HTTP resolve left out)', async () => {
    const [block] = blocks(readme, '## Quick start', 'sh');
    const lines = commands(block!).filter(
      (c) => !c.includes('directory serve') && !c.includes('--store http://'),
    );
    expect(
      lines.filter((c) => c.startsWith('blindwire seal') || c.startsWith('blindwire open')),
    ).toHaveLength(2);
    await mkdir(dir.path('bin'));
    await writeFile(
      dir.path('bin/blindwire'),
      `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`,
    );
    await chmod(dir.path('bin/blindwire'), 0o755);
    await writeFile(dir.path('report.pdf'), '%PDF-1.7 quarterly numbers');
    const script = lines.map((l) => l.replace("='...'", "='quick start passphrase'")).join('\n');
    await exec('sh', ['-ec', script], {
      cwd: dir.dir,
      env: { ...process.env, PATH: `${dir.path('bin')}:${process.env['PATH']}` },
    });
    expect(await readFile(dir.path('report-opened.pdf'), 'utf8')).toBe(
      '%PDF-1.7 quarterly numbers',
    );
    expect((await readFile(dir.path('report.pdf.bw'))).subarray(0, 2).toString()).toBe('BW');
  }, 60_000);
});

describe.skipIf(built.skip)('running blindwire from a clone', () => {
  it('the install block: `pnpm exec blindwire --help` at the repository root, as the READMEs write it', async () => {
    const rootReadme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const written = [readme, rootReadme].flatMap((r) =>
      [...r.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => commands(m[1]!)),
    );
    expect(written).toContain('pnpm exec blindwire --help');
    expect(written.some((c) => c.includes('&& pnpm exec blindwire --help'))).toBe(true);
    // What `pnpm exec blindwire` runs: the bin pnpm links at the root.
    const { stdout } = await exec(join(ROOT, 'node_modules/.bin/blindwire'), ['--help'], {
      cwd: ROOT,
    });
    expect(stdout).toMatch(/^Usage: blindwire <command> \[options\]\n/);
    expect(stdout).toContain('  seal ');
    const pnpm = await exec('pnpm', ['--version']).then(
      () => true,
      () => false,
    );
    if (!pnpm) return; // outside a pnpm environment the linked bin above is the check
    const viaPnpm = await exec('pnpm', ['exec', 'blindwire', '--version'], {
      cwd: join(ROOT, 'packages/core'),
    });
    expect(viaPnpm.stdout.trim()).toBe(
      JSON.parse(await readFile(pkg('package.json'), 'utf8')).version,
    );
  });

  it('before `pnpm build` the linked bin says to build, rather than fail on a missing module', async () => {
    const s = await sandbox();
    try {
      await mkdir(s.path('bin'));
      await copyFile(pkg('bin/blindwire.js'), s.path('bin/blindwire.js'));
      const r = await exec(process.execPath, [s.path('bin/blindwire.js'), '--help']).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect((r as { code: number }).code).toBe(1);
      expect((r as { stderr: string }).stderr).toBe(
        'blindwire is not built yet: run `pnpm install && pnpm build` at the repository root\n',
      );
    } finally {
      await s.remove();
    }
  });
});
