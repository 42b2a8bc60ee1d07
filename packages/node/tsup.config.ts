import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    // The open pool's worker script: src/open-pool.ts starts it from beside
    // the built module (./open-worker.js), never through package.json "exports".
    'open-worker': 'src/open-worker.ts',
  },
  format: ['esm'],
  // Errors only: the chunk and map sizes scroll the demo and CI logs away.
  silent: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // One copy of core (its error classes, the response state it keeps per
  // result, the node backend's key cache): every subpath stays a peer import.
  external: [/^@blindwire\/core(?:\/|$)/],
  // Keep `node:` spelled out, as core does: a bare `stream` could be taken
  // for the npm package of that name.
  removeNodeProtocol: false,
});
