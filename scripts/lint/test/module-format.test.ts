/**
 * The module format as a user meets it (docs/runtimes.md, "Supported runtimes
 * and module format"): every published package is packed (`pnpm pack`, as `pnpm publish`
 * would), unpacked into a consumer's node_modules, and each of its `exports`
 * subpaths is loaded with `require()` from CommonJS and with `import` from an
 * ES module, on the Node that runs this test (scripts/node-versions.sh runs it
 * on Node 22, 24 and 26 too). The packages are ESM-only: `require()` of them
 * works on Node ^20.19 || >=22.12 (require(esm)) and returns the same module
 * instance as `import`, so there is one `BlindwireError` class (no dual-package
 * hazard). A CommonJS TypeScript file importing them compiles with the
 * repository's tsc (5.9) under `module: nodenext` (no TS1479). Each tarball
 * carries the root LICENSE. Tooling: implements no SPEC.md section.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '@blindwire/testkit';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Manifest;
interface Manifest {
  name: string;
  private?: boolean;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Published packages (packages/* not private): their directories and manifests. */
const published = readdirSync(join(repo, 'packages'))
  .map((name) => join(repo, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: readJson(join(dir, 'package.json')) }))
  .filter(({ manifest }) => manifest.private !== true);

/** Every `exports` subpath but ./package.json, as a specifier. */
const entries = published.flatMap(({ manifest }) =>
  Object.keys(manifest.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`)),
);

const built = requireBuild(
  published.map(({ dir }) => join(dir, 'dist', 'index.js')),
  'the published packages',
);

let consumer = '';
const run = (args: string[]) =>
  spawnSync(process.execPath, args, { cwd: consumer, encoding: 'utf8', timeout: 120_000 });

/** Packs every package and installs the tarballs, with their dependencies linked from the workspace. */
function install(): void {
  consumer = mkdtempSync(join(tmpdir(), 'blindwire-module-format-'));
  const packs = join(consumer, 'packs');
  const pack = spawnSync(
    'pnpm',
    ['-r', '--filter', './packages/*', 'pack', '--pack-destination', packs],
    {
      cwd: repo,
      encoding: 'utf8',
    },
  );
  expect(pack.status, pack.stderr).toBe(0);
  for (const { dir, manifest } of published) {
    const target = join(consumer, 'node_modules', manifest.name);
    mkdirSync(target, { recursive: true });
    const tgz = join(packs, `${manifest.name.slice(1).replace('/', '-')}-${version(dir)}.tgz`);
    const untar = spawnSync('tar', ['-xzf', tgz, '-C', target, '--strip-components=1']);
    expect(untar.status, String(untar.stderr)).toBe(0);
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
    for (const dep of deps.filter((d) => !d.startsWith('@blindwire/'))) {
      const from = join(dir, 'node_modules', dep);
      const to = join(consumer, 'node_modules', dep);
      if (!existsSync(from) || existsSync(to)) continue;
      mkdirSync(dirname(to), { recursive: true });
      symlinkSync(from, to, 'dir');
    }
  }
}
const version = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;

describe.skipIf(built.skip)('module format: the packed packages from CommonJS and from ESM', () => {
  beforeAll(() => {
    built.assertBuilt();
    install();
  }, 180_000);
  afterAll(() => {
    if (consumer !== '') rmSync(consumer, { recursive: true, force: true });
  });

  it('every tarball carries the root LICENSE and no workspace: ranges', () => {
    const license = readFileSync(join(repo, 'LICENSE'), 'utf8');
    for (const { manifest } of published) {
      const dir = join(consumer, 'node_modules', manifest.name);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), manifest.name).toBe(license);
      expect(readFileSync(join(dir, 'package.json'), 'utf8'), manifest.name).not.toContain(
        'workspace:',
      );
    }
  });

  it('require() and import load every subpath, with the same exports and the same instance', () => {
    writeFileSync(
      join(consumer, 'load.cjs'),
      `const entries = ${JSON.stringify(entries)};
       const out = {};
       (async () => {
         for (const e of entries) {
           const viaRequire = require(e);
           const viaImport = await import(e);
           out[e] = {
             require: Object.keys(viaRequire).filter((k) => k !== '__esModule').sort(),
             import: Object.keys(viaImport).sort(),
             same: Object.keys(viaImport).every((k) => viaImport[k] === viaRequire[k]),
           };
         }
         const { BlindwireError } = require('@blindwire/core');
         out.oneErrorClass = BlindwireError === (await import('@blindwire/core')).BlindwireError;
         console.log(JSON.stringify(out));
       })();`,
    );
    writeFileSync(
      join(consumer, 'load.mjs'),
      `import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const entries = ${JSON.stringify(entries)};
       const out = {};
       for (const e of entries) out[e] = Object.keys(await import(e)).length;
       out.oneErrorClass = (await import('@blindwire/core')).BlindwireError === require('@blindwire/core').BlindwireError;
       console.log(JSON.stringify(out));`,
    );
    const cjs = run(['load.cjs']);
    expect(cjs.status, cjs.stderr).toBe(0);
    const fromCjs = JSON.parse(cjs.stdout) as Record<string, unknown>;
    expect(fromCjs.oneErrorClass).toBe(true);
    for (const e of entries) {
      const r = fromCjs[e] as { require: string[]; import: string[]; same: boolean };
      expect(r.require.length, `${e} from require()`).toBeGreaterThan(0);
      expect(r.require, e).toEqual(r.import);
      expect(r.same, e).toBe(true);
    }
    const esm = run(['load.mjs']);
    expect(esm.status, esm.stderr).toBe(0);
    const fromEsm = JSON.parse(esm.stdout) as Record<string, unknown>;
    expect(fromEsm.oneErrorClass).toBe(true);
    for (const e of entries) expect(fromEsm[e], e).toBeGreaterThan(0);
  });

  it('a CommonJS TypeScript file compiles against them under module nodenext (no TS1479)', () => {
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['use.cts'],
      }),
    );
    writeFileSync(
      join(consumer, 'use.cts'),
      entries.map((e, i) => `import * as m${i} from '${e}';\nvoid m${i};\n`).join('') +
        `import { BlindwireError } from '@blindwire/core';\n` +
        `export const code = (e: unknown): string | undefined =>\n` +
        `  e instanceof BlindwireError ? e.code : undefined;\n`,
    );
    const tsc = run([
      join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.json',
    ]);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
