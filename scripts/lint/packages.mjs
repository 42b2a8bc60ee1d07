/**
 * Package checks of `pnpm lint` on every published workspace package
 * (packages/* not marked private), run on what `pnpm build` left in dist/:
 *   - manifest: the publishing metadata of scripts/package-checklist.md
 *     (license, LICENSE in `files`, repository with its directory, homepage,
 *     bugs, keywords, sideEffects, ESM-only `type`, the root's `engines`);
 *   - publint --strict;
 *   - arethetypeswrong (`attw --pack`) with the profile of the supported
 *     cases (docs/runtimes.md): the packages are
 *     ESM-only for Node ^20.19 || >=22.12, where `require()` loads ES modules,
 *     so attw runs `--profile node16` (node16/nodenext from ESM and from CJS,
 *     and bundlers; node10 resolution, which cannot see `exports` subpaths, is
 *     not supported) with the one rule `cjs-resolves-to-esm` ignored: attw's
 *     bundled TypeScript predates require(esm). That case is proven instead
 *     by scripts/test/module-format.test.ts (require and import on the
 *     installed Node, and tsc 5.9 `module: nodenext` on a CommonJS file).
 * Prints one line per package and check, and a checker's own report when it
 * fails.
 *
 * Usage: node scripts/lint/packages.mjs [root] (default: the repository; the
 * lint fixture test passes a fixture root). Tooling: implements no SPEC.md
 * section.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = resolve(process.argv[2] ?? repo);
const bin = (name) => join(repo, 'node_modules', '.bin', name);

const CHECKS = [
  { name: 'publint', command: bin('publint'), args: ['--strict'] },
  {
    name: 'attw',
    command: bin('attw'),
    args: [
      '--pack',
      '.',
      '--profile',
      'node16',
      '--ignore-rules',
      'cjs-resolves-to-esm',
      '--format',
      'table-flipped',
      '--no-color',
    ],
  },
];

const REPOSITORY = 'git+https://github.com/blindwire/blindwire.git';
const rootEngines = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).engines?.node;

/** The manifest fields of scripts/package-checklist.md that `manifest` is missing or gets wrong. */
function manifestProblems(manifest, where) {
  const wrong = [];
  const expect = (ok, what) => ok || wrong.push(what);
  expect(manifest.license === 'Apache-2.0', 'license: "Apache-2.0"');
  expect(manifest.type === 'module', 'type: "module" (ESM-only)');
  expect(manifest.engines?.node === rootEngines, `engines.node: "${rootEngines}" (the root's)`);
  expect(manifest.files?.includes('LICENSE'), 'files: includes "LICENSE"');
  expect(manifest.repository?.url === REPOSITORY, `repository.url: "${REPOSITORY}"`);
  expect(manifest.repository?.directory === where, `repository.directory: "${where}"`);
  expect(typeof manifest.homepage === 'string', 'homepage');
  expect(typeof manifest.bugs?.url === 'string', 'bugs.url');
  expect(manifest.keywords?.includes('blindwire'), 'keywords: includes "blindwire"');
  expect(manifest.sideEffects !== undefined, 'sideEffects: false or the files with effects');
  return wrong;
}

/** packages/* with a package.json not marked private, with their manifests. */
function publishedPackages() {
  const base = join(root, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
    .map((entry) => join(base, entry.name))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true);
}

let failed = 0;
for (const { dir, manifest } of publishedPackages()) {
  const where = relative(root, dir);
  if (manifest.files?.includes('dist') && !existsSync(join(dir, 'dist'))) {
    console.error(`${where}: no dist/ (run \`pnpm build\` first)`);
    failed += 1;
    continue;
  }
  const problems = manifestProblems(manifest, where);
  console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} manifest ${where}`);
  for (const problem of problems) console.log(`  expected ${problem}`);
  failed += problems.length === 0 ? 0 : 1;
  for (const check of CHECKS) {
    const run = spawnSync(check.command, check.args, { cwd: dir, encoding: 'utf8' });
    const ok = run.status === 0;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${check.name} ${where}`);
    if (!ok) {
      failed += 1;
      process.stdout.write(run.stdout ?? '');
      process.stderr.write(run.stderr ?? run.error?.message ?? '');
    }
  }
}
process.exit(failed === 0 ? 0 : 1);
