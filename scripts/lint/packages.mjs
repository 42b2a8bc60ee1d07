/**
 * Package checks of `pnpm lint`: publint and arethetypeswrong (`attw --pack`)
 * on every published workspace package (packages/* not marked private), run on
 * what `pnpm build` left in dist/. The packages are ESM-only, so attw runs with
 * `--profile esm-only`: it ignores the node10 and node16-from-CJS resolutions,
 * which cannot load an ESM-only package by design, and still fails on any
 * problem under node16-from-ESM and bundler resolution. Prints one line per
 * package and check, and a checker's own report when it fails.
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
    args: ['--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped', '--no-color'],
  },
];

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
