/**
 * Browser bundle size of `seal` + `open`: esbuild bundles a two-line entry
 * against the built @blindwire/core with platform "browser" (so the
 * `browser` condition picks the WebCrypto default backend), minified, then
 * gzip level 9 (node:zlib). Any import of a Node built-in is recorded (and
 * left external) instead of failing the build, so the report can name it.
 */
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ENTRY = "import { seal, open } from '@blindwire/core';\nexport { seal, open };\n";
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const BUILTIN = new RegExp(`^(node:.*|(${builtinModules.map(escape).join('|')})(/.*)?)$`);

/** esbuild's options for the measured bundle; `plugins` decide what is left out. */
function options(resolveDir, plugins) {
  return {
    stdin: { contents: ENTRY, resolveDir, sourcefile: 'seal-open-entry.mjs', loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins,
  };
}

/**
 * The same bundle with @noble/* left external: what core's own code (the
 * WebCrypto backend included) costs, apart from its @noble code (the pure
 * fallback, e.g. ChaCha20-Poly1305 and the curves, plus the small-input
 * hashes the WebCrypto backend uses by design). A diagnostic only: if this
 * build fails it returns null, and the measured bundle still stands.
 */
async function withoutNoble(resolveDir) {
  const external = {
    name: 'noble-external',
    setup(b) {
      for (const filter of [/^@noble\//, BUILTIN])
        b.onResolve({ filter }, (a) => ({ path: a.path, external: true }));
    },
  };
  try {
    const result = await build(options(resolveDir, [external]));
    return gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
  } catch {
    return null;
  }
}

export async function measureBundle(resolveDir) {
  const nodeImports = [];
  const recordBuiltins = {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: BUILTIN }, (a) => {
        nodeImports.push(`${a.path} (imported by ${a.importer})`);
        return { path: a.path, external: true };
      });
    },
  };
  const result = await build(options(resolveDir, [recordBuiltins]));
  const code = result.outputFiles[0].contents;
  const text = new TextDecoder().decode(code);
  const gzip = gzipSync(code, { level: 9 }).length;
  const output = Object.values(result.metafile.outputs)[0];
  const byPackage = new Map();
  for (const [file, info] of Object.entries(output.inputs)) {
    const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/);
    const key = m ? m[1] : file.includes('packages/core/') ? '@blindwire/core' : file;
    if (info.bytesInOutput > 0) byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
  }
  return {
    entry: ENTRY.trim(),
    minBytes: code.length,
    gzipBytes: gzip,
    minGzipKiB: gzip / 1024,
    withoutNobleMinGzipKiB: await withoutNoble(resolveDir).then((n) =>
      n === null ? null : n / 1024,
    ),
    nodeImports,
    nodeSpecifiersInOutput: [...new Set(text.match(/["'`]node:[\w/]+["'`]/g) ?? [])],
    minBytesByPackage: Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1])),
  };
}
