/**
 * A browser page that seals and opens with X25519 only holds neither ML-KEM
 * nor SHA-3 (SPEC.md §5.4): X-Wing is opt-in in browsers
 * (`@blindwire/core/xwing`), so neither a split nor a single-file bundle of
 * `seal` and `open` holds @noble/post-quantum, @noble/hashes SHA-3, the X-Wing
 * KEM or the one-stage (SHAKE256) key schedule; with the opt-in entry it does.
 * Reads the built package (`pnpm build` first, as backend-selection does).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { repoRoot } from './helpers/vectors.js';

const coreDir = resolve(repoRoot, 'packages/core');

interface Output {
  imports: { path: string; kind: string }[];
  inputs: Record<string, unknown>;
  entryPoint?: string;
}
interface Esbuild {
  build(
    options: Record<string, unknown>,
  ): Promise<{ metafile: { outputs: Record<string, Output> } }>;
}

/** esbuild is a dependency of tsup, not of the repo: resolve it through tsup. */
function loadEsbuild(): Esbuild {
  const require = createRequire(import.meta.url);
  try {
    return require('esbuild') as Esbuild;
  } catch {
    return createRequire(require.resolve('tsup'))('esbuild') as Esbuild;
  }
}

const out = mkdtempSync(join(tmpdir(), 'bw-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('seal and open with X25519 statically load no ML-KEM, no SHA-3', async () => {
  expect(existsSync(resolve(coreDir, 'dist/index.js')), 'run `pnpm build` first').toBe(true);
  const r = await loadEsbuild().build({
    stdin: {
      contents: "export { seal, open } from '@blindwire/core';",
      resolveDir: coreDir,
      sourcefile: 'entry.js',
      loader: 'js',
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outdir: out,
  });
  const outputs = r.metafile.outputs;
  const entry = Object.keys(outputs).find((k) => outputs[k]!.entryPoint !== undefined)!;
  // Every input reachable from the entry through static imports.
  const seen = new Set<string>();
  const inputs: string[] = [];
  const visit = (k: string) => {
    if (seen.has(k) || outputs[k] === undefined) return;
    seen.add(k);
    inputs.push(...Object.keys(outputs[k].inputs));
    for (const i of outputs[k].imports) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(entry);
  expect(inputs.some((f) => f.endsWith('dist/index.js'))).toBe(true);
  const pq = /@noble\/post-quantum|@noble\/hashes\/.*sha3|kem-xwing|key-schedule-one-stage/;
  expect(inputs.filter((f) => pq.test(f))).toEqual([]);
  // Not even in a chunk loaded on demand: X-Wing is opt-in (@blindwire/core/xwing).
  const all = Object.values(outputs).flatMap((o) => Object.keys(o.inputs));
  expect(all.filter((f) => pq.test(f))).toEqual([]);
});

/** A single-file browser bundle (no splitting, minified) of `entry`: its code and inputs. */
async function singleFile(entry: string) {
  const r = (await loadEsbuild().build({
    stdin: { contents: entry, resolveDir: coreDir, sourcefile: 'entry.js', loader: 'js' },
    bundle: true,
    splitting: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })) as unknown as {
    outputFiles: { text: string }[];
    metafile: { outputs: Record<string, Output> };
  };
  const inputs = Object.values(r.metafile.outputs).flatMap((o) => Object.keys(o.inputs));
  return { code: r.outputFiles[0]!.text, inputs };
}

// noble's ML-KEM names its parameter sets and uses the modulus q = 3329 (FIPS 203 §4).
const ML_KEM = /ML-KEM-768|\bQ:\w+,|=3329\b/;
const PQ_INPUT = /@noble\/post-quantum|@noble\/hashes\/sha3|xwing-module|kem-xwing/;

test('a single-file browser bundle of seal and open holds no ML-KEM; with @blindwire/core/xwing it does', async () => {
  const classical = await singleFile("export { seal, open } from '@blindwire/core';");
  expect(classical.inputs.filter((f) => PQ_INPUT.test(f))).toEqual([]);
  expect(classical.code).not.toMatch(/ML-KEM/);
  const hybrid = await singleFile(
    "import '@blindwire/core/xwing';\nexport { seal, open } from '@blindwire/core';",
  );
  expect(hybrid.inputs.some((f) => f.includes('@noble/post-quantum'))).toBe(true);
  expect(hybrid.inputs.some((f) => f.endsWith('dist/xwing.js'))).toBe(true);
  expect(hybrid.code).toMatch(ML_KEM);
  expect(hybrid.code).toMatch(/ML-KEM/);
});
