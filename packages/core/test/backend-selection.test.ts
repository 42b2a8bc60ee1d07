/**
 * Default backend selection (package.json "imports" `#default-backend`):
 * (a) every public entry of the built package except `./backend/node`,
 *     bundled for the browser, contains no Node built-in module;
 * (b) under Node the default backend is `node`: from the sources (redirected
 *     by the plugin in vitest.config.ts), from dist/ loaded by vitest (still
 *     all dist, no src/dist mix), and from dist/ as Node itself resolves it.
 * This file builds nothing: the root `pnpm test` builds before vitest runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { getDefaultBackend } from '../src/backend/index.js';
import { repoRoot } from './helpers/vectors.js';

const coreDir = resolve(repoRoot, 'packages/core');
const pkg = JSON.parse(readFileSync(resolve(coreDir, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { default: string }>;
};

/** The part of esbuild's JS API this file uses. */
interface ResolveArgs {
  path: string;
  importer: string;
}
interface PluginBuild {
  onResolve(
    options: { filter: RegExp },
    callback: (args: ResolveArgs) => { path: string; external: boolean } | undefined,
  ): void;
}
interface Esbuild {
  build(
    options: Record<string, unknown>,
  ): Promise<{ metafile: { inputs: Record<string, unknown> } }>;
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

const builtins = new Set(builtinModules);
const isNodeBuiltin = (path: string) =>
  path.startsWith('node:') || builtins.has(path) || builtins.has(path.split('/')[0]!);

/** Bundles `entry` for the browser; returns the Node built-ins it imports and its input files. */
async function browserGraph(entry: string) {
  const nodeImports: string[] = [];
  const result = await loadEsbuild().build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser', // conditions: browser, import, default (module)
    logLevel: 'silent',
    absWorkingDir: coreDir,
    plugins: [
      {
        name: 'record-node-builtins',
        setup(build: PluginBuild) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (!isNodeBuiltin(args.path)) return undefined;
            nodeImports.push(`${args.path} <- ${relative(coreDir, args.importer)}`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return { nodeImports, inputs: Object.keys(result.metafile.inputs) };
}

const browserEntries = Object.entries(pkg.exports)
  .filter(
    ([subpath]) =>
      subpath !== './package.json' && subpath !== './backend/node' && subpath !== './node',
  )
  .map(
    ([subpath, target]) => [subpath, typeof target === 'string' ? target : target.default] as const,
  );

describe('(a) browser graph of the built package', () => {
  test('dist/ has been built (root `pnpm test` builds first)', () => {
    expect(existsSync(resolve(coreDir, 'dist/index.js')), 'run `pnpm build` first').toBe(true);
    expect(browserEntries.map(([subpath]) => subpath)).toContain('.');
  });

  test.each(browserEntries)('%s (%s) imports no Node built-in', async (_subpath, target) => {
    const { nodeImports, inputs } = await browserGraph(resolve(coreDir, target));
    expect(nodeImports).toEqual([]);
    expect(inputs.some((f) => f.includes('node_modules/@noble/'))).toBe(true);
    expect(inputs.some((f) => f.endsWith('dist/backend/default-node.js'))).toBe(false);
  });

  test('the browser graph of "." takes #default-backend from default-web.js', async () => {
    const { inputs } = await browserGraph(resolve(coreDir, 'dist/index.js'));
    expect(inputs.filter((f) => /dist\/backend\/default-/.test(f))).toEqual([
      'dist/backend/default-web.js',
    ]);
  });
});

describe('(b) default backend under Node', () => {
  test('from the sources (vitest.config.ts plugin): node', () => {
    expect(getDefaultBackend().name).toBe('node');
  });

  test('from dist/ loaded by vitest: the node backend of dist/, not of src/', async () => {
    const dist = (path: string) => pathToFileURL(resolve(coreDir, 'dist', path)).href;
    const core = (await import(/* @vite-ignore */ dist('index.js'))) as {
      getDefaultBackend(): unknown;
    };
    const node = (await import(/* @vite-ignore */ dist('backend/node.js'))) as {
      nodeBackend: unknown;
    };
    expect(core.getDefaultBackend()).toBe(node.nodeBackend);
    expect(core.getDefaultBackend()).not.toBe(getDefaultBackend());
  });

  /** Runs `node [flags] -e` in packages/core, importing the built package by its own name. */
  function defaultInChild(flags: string[]): string {
    const code =
      "import { getDefaultBackend } from '@blindwire/core'; console.log(getDefaultBackend().name);";
    const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', code], {
      cwd: coreDir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  }

  test('from dist/ as Node resolves it: node', () => {
    expect(defaultInChild([])).toBe('node');
  });

  test('from dist/ with the browser condition: web', () => {
    expect(defaultInChild(['--conditions=browser'])).toBe('web');
  });
});
