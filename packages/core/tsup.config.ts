import { defineConfig } from 'tsup';
import { declarationEntries } from '../../scripts/tsup/readable-names.js';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'hpke/index': 'src/hpke/index.ts',
    // The `node` condition of "." and "./hpke": the same surface, X-Wing registered.
    'index-node': 'src/index-node.ts',
    'hpke/index-node': 'src/hpke/index-node.ts',
    // `@blindwire/core/xwing`: the explicit X-Wing opt-in for browsers and bundles.
    xwing: 'src/xwing.ts',
    internal: 'src/internal.ts',
    // Public backend subpaths (package.json "exports").
    'backend/node': 'src/backend/node.ts',
    'backend/web': 'src/backend/web.ts',
    // Targets of the `#default-backend` subpath import (package.json "imports").
    'backend/default-node': 'src/backend/default-node.ts',
    'backend/default-web': 'src/backend/default-web.ts',
  },
  format: ['esm'],
  // Errors only: the chunk and map sizes scroll the demo and CI logs away.
  silent: true,
  // Every source file a declaration entry: no hashed .d.ts chunks
  // (scripts/tsup/readable-names.ts).
  dts: { entry: declarationEntries() },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  treeshake: true,
  // Resolved by the runtime or the consumer's bundler from package.json
  // "imports", so the node/browser choice happens there, not at build time.
  external: ['#default-backend'],
  // Keep `node:crypto` spelled out: a bare `crypto` could be taken for the
  // npm package of that name, and the browser-graph check looks for `node:`.
  removeNodeProtocol: false,
});
