/**
 * docs/cli-to-code.md runs as written: on files the CLI wrote (the root
 * README's walkthrough block, steps 1-6, up to its rotation), seal-refund.mjs seals to the
 * planner's new key, open-refunds.mjs opens what was sealed before and after
 * the rotation with the identity file and the key store's list(), and, after
 * a revocation for compromise, prints the outcome the guide shows.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '@blindwire/testkit';
import { sandbox, type Sandbox } from './helpers/cli.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(ROOT, 'packages/cli/dist/bin.js');
const built = requireBuild(
  [bin, ...['core', 'directory'].map((p) => join(ROOT, `packages/${p}/dist/index.js`))],
  '@blindwire/cli, core and directory',
);
const requireFromCli = createRequire(join(ROOT, 'packages/cli/package.json'));
const PLANNER = 'spiffe://acme.example/agents/planner';
/** The passphrase of the planner's key store, as the README's walkthrough sets it. */
const PASSPHRASE = { PLANNER_KEYS_PASSPHRASE: '' };
const S = ['--store', 'file:./directory.json'];
const A = ['--anchor', 'anchor-public.json'];

/** The fenced blocks of `lang` in the guide, in order. */
function blocks(guide: string, lang: string): string[] {
  return [...guide.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map(
    (m) => m[1]!,
  );
}

/** A snippet whose `@blindwire/...` imports point at the built files, as in an app that installed them. */
function runnable(snippet: string): string {
  return snippet.replace(/from '(@blindwire\/[^']+)'/g, (_, spec: string) => {
    return `from '${pathToFileURL(requireFromCli.resolve(spec)).href}'`;
  });
}

let sb: Sandbox;
let guide: string;
const node = (file: string, ...args: string[]) =>
  exec(process.execPath, [file, ...args], { cwd: sb.dir, env: { ...process.env, ...PASSPHRASE } });

describe.skipIf(built.skip)('docs/cli-to-code.md', () => {
  beforeAll(async () => {
    built.assertBuilt();
    guide = await readFile(join(ROOT, 'docs/cli-to-code.md'), 'utf8');
    sb = await sandbox();
    // The root README's walkthrough, steps 1-6 as written there (the guide
    // starts from them), run by sh with `blindwire` the built binary.
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const walkthrough = blocks(
      readme.slice(readme.indexOf('\n## The CLI in seven steps\n')),
      'sh',
    )[0]!;
    const steps = walkthrough.slice(walkthrough.indexOf('# 1. '), walkthrough.indexOf('# 7. '));
    expect(steps).toContain('blindwire key rotate ');
    const passphrase = /^export PLANNER_KEYS_PASSPHRASE='([^']+)'$/m.exec(steps)?.[1];
    expect(passphrase).toBeDefined();
    PASSPHRASE.PLANNER_KEYS_PASSPHRASE = passphrase!;
    await exec('sh', ['-ec', `blindwire() { "${process.execPath}" "${bin}" "$@"; }\n${steps}`], {
      cwd: sb.dir,
    });
    const [sealJs, openJs] = blocks(guide, 'js');
    await writeFile(sb.path('seal-refund.mjs'), runnable(sealJs!));
    await writeFile(sb.path('open-refunds.mjs'), runnable(openJs!));
  }, 60_000);
  afterAll(async () => {
    await sb?.remove();
  });

  it('has the two snippets, each named by its first line', () => {
    expect(blocks(guide, 'js').map((s) => s.split('\n')[0])).toEqual([
      '// seal-refund.mjs',
      '// open-refunds.mjs: node open-refunds.mjs refund.bw refund-code.bw',
    ]);
  });

  it('seal-refund.mjs seals to the key the rotation published, not the first one', async () => {
    const { stdout } = await node('seal-refund.mjs');
    expect(stdout).toMatch(/^sealed [0-9a-f]{32}\n$/);
    const kid = async (f: string) =>
      (await sb.json<{ recipients: { kid: string }[] }>(['inspect', f])).recipients[0]!.kid;
    const { keys } = await sb.json<{ keys: { kid: string }[] }>([
      'directory',
      'resolve',
      PLANNER,
      ...S,
      ...A,
    ]);
    const held = keys.map((k) => k.kid);
    expect(await kid('refund-code.bw')).not.toBe(await kid('refund.bw'));
    expect(held[0]).toBe(await kid('refund-code.bw'));
  });

  it('open-refunds.mjs opens both, with the identity file and the key store list()', async () => {
    const { stdout } = await node('open-refunds.mjs', 'refund.bw', 'refund-code.bw');
    expect(stdout).toBe(
      'refund.bw: spiffe://acme.example/tools/payments sent "refund A-1042: 129.00"\n' +
        'refund-code.bw: spiffe://acme.example/tools/payments sent "refund A-1043: 80.00"\n',
    );
  });

  it('after a revocation for compromise it prints what the guide shows', async () => {
    const old = (await sb.json<{ recipients: { kid: string }[] }>(['inspect', 'refund.bw']))
      .recipients[0]!.kid;
    await sb.ok(
      [
        'revoke',
        '--name',
        PLANNER,
        '--kid',
        old,
        '--reason',
        'compromise',
        '--anchor',
        'anchor.json',
        ...S,
        '--keystore',
        'planner-keys.json',
        '--passphrase-env',
        'PLANNER_KEYS_PASSPHRASE',
      ],
      { env: PASSPHRASE },
    );
    // Until the next rotation given the anchor, planner.json still holds the
    // revoked key: the guide's snippet leaves tombstoned kids out, so refund.bw
    // fails already.
    expect(await readFile(sb.path('planner.json'), 'utf8')).toContain(old);
    const [shown] = blocks(guide, 'text');
    expect((await node('open-refunds.mjs', 'refund.bw', 'refund-code.bw')).stdout).toBe(shown);
    await sb.ok(
      [
        'key',
        'rotate',
        '--identity',
        'planner.json',
        '--keystore',
        'planner-keys.json',
        '--passphrase-env',
        'PLANNER_KEYS_PASSPHRASE',
        ...S,
        ...A,
      ],
      { env: PASSPHRASE },
    );
    expect(await readFile(sb.path('planner.json'), 'utf8')).not.toContain(old);
    const { stdout } = await node('open-refunds.mjs', 'refund.bw', 'refund-code.bw');
    expect(stdout).toBe(shown);
  });
});
