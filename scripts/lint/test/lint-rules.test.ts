/**
 * Proves each rule of `pnpm lint` can fail: runs the repository's own
 * eslint.config.js and scripts/lint/dependency-cruiser.cjs, as
 * scripts/lint/lint.sh runs them, on scripts/lint/fixtures/violations (one
 * violation per rule, each listed below) and scripts/lint/fixtures/clean
 * (every rule at its limit, none broken), and the package checks
 * (scripts/lint/packages.mjs: publint, attw) on a broken and a tidy fixture
 * package. A rule switched off or weakened drops its line from the
 * violations and fails the first test; a rule that over-reaches fails the
 * second. Tooling: implements no SPEC.md section.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const TIMEOUT = 180_000;

/** eslint with the repository's config, run from a fixture root: `severity rule file`. */
async function eslintFindings(dir: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: `${root}eslint.config.js` });
  const results = await eslint.lintFiles(['.']);
  return results.flatMap((result) =>
    result.messages.map(
      (m) =>
        `${m.severity === 2 ? 'error' : 'warn'} ${m.ruleId ?? m.message} ${result.filePath.slice(dir.length)}`,
    ),
  );
}

interface CruiseViolation {
  rule: { name: string; severity: string };
  from: string;
  to: string;
}

/** dependency-cruiser with the repository's rules, on the folders lint.sh names: `severity rule from -> to`. */
function layeringFindings(dir: string): string[] {
  const run = spawnSync(
    process.execPath,
    [
      `${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`,
      '--config',
      `${root}scripts/lint/dependency-cruiser.cjs`,
      '--output-type',
      'json',
      'packages',
      'test-vectors',
      'examples',
    ],
    { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (!run.stdout) throw new Error(`dependency-cruiser printed nothing: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { summary: { violations: CruiseViolation[] } };
  // A workspace package the root links (the CLI, for `pnpm exec blindwire`)
  // resolves out of the fixture to the real one: named by its package here.
  const named = (to: string): string =>
    to.replace(/^(?:\.\.\/)+packages\/([^/]+)\/.*$/, '@blindwire/$1');
  return report.summary.violations.map(
    (v) => `${v.rule.severity} ${v.rule.name} ${v.from} -> ${named(v.to)}`,
  );
}

/** scripts/lint/packages.mjs on a fixture root: its exit status and its `ok`/`FAIL` lines. */
function packageFindings(dir: string): { status: number | null; lines: string[] } {
  const run = spawnSync(process.execPath, [`${root}scripts/lint/packages.mjs`, dir], {
    encoding: 'utf8',
  });
  const lines = run.stdout.split('\n').filter((line) => /^(?:ok {2}|FAIL) /.test(line));
  return { status: run.status, lines: lines.sort() };
}

describe('pnpm lint rules', () => {
  it(
    'report every violation in the violations fixture, and nothing else',
    async () => {
      const dir = `${fixtures}violations/`;
      expect((await eslintFindings(dir)).sort()).toEqual(
        [
          // 501 lines in a source file.
          'error max-lines packages/core/src/too-long.ts',
          // 801 lines in a test file.
          'error max-lines packages/core/test/too-long.test.ts',
          // An 81-line function warns; a 121-line one warns and errors.
          'warn max-lines-per-function packages/core/src/long-function.ts',
          'warn max-lines-per-function packages/core/src/very-long-function.ts',
          'error blindwire/max-lines-per-function-ceiling packages/core/src/very-long-function.ts',
          // The Node Buffer global in core's portable code, src/node/ included.
          'error no-restricted-globals packages/core/src/buffer-global.ts',
          'error no-restricted-globals packages/core/src/node/open-pool.ts',
        ].sort(),
      );
      expect(layeringFindings(dir).sort()).toEqual(
        [
          // Import cycles, a runtime one and a type-only one.
          'error no-cycle packages/core/src/cycle-a.ts -> packages/core/src/cycle-b.ts',
          'error no-cycle packages/core/src/type-cycle-a.ts -> packages/core/src/type-cycle-b.ts',
          // Core: Node builtins (with and without `node:`), Node types, its node backend.
          'error core-no-node-builtins packages/core/src/reads-file.ts -> fs/promises',
          'error core-no-node-builtins packages/core/src/bare-buffer.ts -> buffer',
          'error core-no-node-types packages/core/src/node-types.ts -> node',
          'error core-no-node-only-files packages/core/src/pulls-node-backend.ts -> packages/core/src/backend/node.ts',
          // Only the node backend may use Node: not src/node.ts or src/node/ (packages/node's now).
          'error core-no-node-builtins packages/core/src/node.ts -> stream',
          'error core-no-node-builtins packages/core/src/node/open-pool.ts -> worker_threads',
          'error core-no-node-types packages/core/src/node/open-pool.ts -> node',
          // @blindwire/node sits on core alone.
          'error node-imports-only-core packages/node/src/uses-replay.ts -> @blindwire/replay',
          // Core imports no other workspace package.
          'error core-imports-no-workspace-package packages/core/src/uses-directory.ts -> @blindwire/directory',
          // Directory imports neither the cli nor a binding.
          'error replay-directory-import-only-core packages/directory/src/uses-cli.ts -> @blindwire/cli',
          'error replay-directory-import-only-core packages/directory/src/uses-binding.ts -> @blindwire/nats',
          // Nobody imports the cli.
          'error cli-imported-by-nobody packages/directory/src/uses-cli.ts -> @blindwire/cli',
          // Bindings never import each other.
          'error binding-no-other-binding packages/nats/src/uses-redis.ts -> @blindwire/redis',
          // @blindwire/nats takes replay stores and directory functions from the caller.
          'error nats-src-imports-only-core packages/nats/src/uses-replay.ts -> @blindwire/replay',
          // No reaching into another package's test/ or src/ by path.
          'error no-foreign-src-or-test packages/directory/test/peeks.test.ts -> packages/core/test/helpers.ts',
          'error no-foreign-src-or-test packages/cli/src/reaches-src.ts -> packages/core/src/helper.ts',
          'error no-foreign-src-or-test packages/directory/src/deep-import.ts -> @blindwire/core/src/bytes.js',
          'error no-src-or-test-from-outside test-vectors/generate.mjs -> packages/core/src/helper.ts',
          // The testkit only from tests, cli vectors and test-vectors/.
          'error testkit-only-for-tests packages/directory/src/uses-testkit.ts -> @blindwire/testkit',
          // The testkit imports no workspace package.
          'error testkit-imports-no-workspace-package packages/testkit/src/uses-core.ts -> @blindwire/core',
        ].sort(),
      );
    },
    TIMEOUT,
  );

  it(
    'pass the clean fixture, where every rule is at its limit',
    async () => {
      const dir = `${fixtures}clean/`;
      expect(await eslintFindings(dir)).toEqual([]);
      expect(layeringFindings(dir)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'fail the manifest, publint and attw on a broken package and pass a tidy one',
    () => {
      // No publishing metadata (manifest), a types file that does not exist
      // (publint), CJS types for ESM code (attw).
      expect(packageFindings(`${fixtures}violations/`)).toEqual({
        status: 1,
        lines: [
          'FAIL attw packages/broken-exports',
          'FAIL manifest packages/broken-exports',
          'FAIL publint packages/broken-exports',
        ],
      });
      // The private fixture core is skipped, as packages/testkit will be.
      expect(packageFindings(`${fixtures}clean/`)).toEqual({
        status: 0,
        lines: [
          'ok   attw packages/tidy',
          'ok   manifest packages/tidy',
          'ok   publint packages/tidy',
        ],
      });
    },
    TIMEOUT,
  );
});
