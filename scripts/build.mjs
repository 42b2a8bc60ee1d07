/**
 * A quiet build that skips what is up to date (`pnpm demo` uses it).
 *
 * Builds the workspace packages a target needs (its workspace dependencies,
 * transitively, dependencies first), or every package with a build script
 * when no target is given. A package is up to date when its dist/ exists and
 * the hash of its inputs matches the stamp of its last successful build in
 * .tmp/build-stamps/. The inputs: every file under src/, its package.json,
 * tsup.config.ts and tsconfig*.json, the root package.json, tsconfig.base.json
 * and pnpm-lock.yaml (the tool versions), every file under scripts/tsup/ (the
 * shared tsup configuration), and the input hashes of the
 * workspace packages it depends on (dev and peer included: their types and
 * bundled code go into its build). The builder's own output is shown only
 * when a build fails.
 *
 * Usage: node scripts/build.mjs [--force] [target-dir ...]
 *   e.g. node scripts/build.mjs examples/quickstart
 * Tooling: implements no SPEC.md section.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamps = join(repo, '.tmp', 'build-stamps');
const args = process.argv.slice(2);
const force = args.includes('--force');
const targets = args.filter((a) => a !== '--force').map((a) => resolve(a));

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Workspace packages under packages/, by name: { dir, manifest }. */
const packages = new Map(
  readdirSync(join(repo, 'packages'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(repo, 'packages', e.name, 'package.json')))
    .map((e) => join(repo, 'packages', e.name))
    .map((dir) => [readJson(join(dir, 'package.json')).name, { dir }]),
);
for (const entry of packages.values()) entry.manifest = readJson(join(entry.dir, 'package.json'));

/** Workspace package names a manifest depends on (any kind of dependency). */
function workspaceDeps(manifest) {
  const all = {
    ...manifest.dependencies,
    ...manifest.devDependencies,
    ...manifest.peerDependencies,
  };
  return Object.entries(all)
    .filter(([name, range]) => String(range).startsWith('workspace:') && packages.has(name))
    .map(([name]) => name);
}

/** Names in build order (dependencies first) for the given manifests. */
function buildOrder(roots) {
  const order = [];
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    workspaceDeps(packages.get(name).manifest).forEach(visit);
    order.push(name);
  };
  roots.forEach(visit);
  return order;
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

const hashes = new Map();
/** The hash of a package's build inputs, its dependencies' hashes included. */
function inputHash(name) {
  if (hashes.has(name)) return hashes.get(name);
  const { dir, manifest } = packages.get(name);
  const hash = createHash('sha256');
  const own = readdirSync(dir).filter((f) =>
    /^(package\.json|tsup\.config\.ts|tsconfig.*\.json)$/.test(f),
  );
  const shared = [
    ...['package.json', 'tsconfig.base.json', 'pnpm-lock.yaml'].map((f) => join(repo, f)),
    // The tsup configuration every package's tsup.config.ts imports.
    ...filesUnder(join(repo, 'scripts', 'tsup')),
  ];
  for (const file of [
    ...shared,
    ...own.map((f) => join(dir, f)),
    ...filesUnder(join(dir, 'src')),
  ]) {
    hash.update(relative(repo, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  for (const dep of workspaceDeps(manifest).sort()) hash.update(`${dep}=${inputHash(dep)}\n`);
  hashes.set(name, hash.digest('hex'));
  return hashes.get(name);
}

const roots =
  targets.length === 0
    ? [...packages.keys()]
    : targets.flatMap((dir) => {
        const manifest = readJson(join(dir, 'package.json'));
        return packages.has(manifest.name) ? [manifest.name] : workspaceDeps(manifest);
      });

mkdirSync(stamps, { recursive: true });
const bin = `${join(repo, 'node_modules', '.bin')}`;
for (const name of buildOrder(roots)) {
  const { dir, manifest } = packages.get(name);
  if (!manifest.scripts?.build) continue;
  const stamp = join(stamps, name.replace('/', '__'));
  const hash = inputHash(name);
  const upToDate =
    existsSync(join(dir, 'dist')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
  if (upToDate && !force) continue;
  // A failed build may leave dist/ cleaned or half written: no stamp until it succeeds.
  rmSync(stamp, { force: true });
  const run = spawnSync('sh', ['-c', manifest.scripts.build], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${join(dir, 'node_modules', '.bin')}:${bin}:${process.env.PATH}`,
    },
  });
  if (run.status !== 0) {
    process.stderr.write(
      `build of ${name} failed (${relative(repo, dir)}: ${manifest.scripts.build}):\n`,
    );
    process.stderr.write(run.stdout ?? '');
    process.stderr.write(run.stderr ?? run.error?.message ?? '');
    process.exit(1);
  }
  writeFileSync(stamp, hash);
}
