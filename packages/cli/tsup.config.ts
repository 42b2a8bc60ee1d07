import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    bin: 'src/bin.ts',
  },
  format: ['esm'],
  // Errors only: the chunk and map sizes scroll the demo and CI logs away.
  silent: true,
  // Declarations for the library entry only: the bin has no API.
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  splitting: true,
  // Workspace packages and the optional storage clients stay imports; the
  // clients are loaded only when a STORE of their kind is used.
  external: [
    '@blindwire/core',
    '@blindwire/directory',
    'redis',
    'pg',
    '@nats-io/transport-node',
    '@nats-io/kv',
  ],
  // The private test kit (the vector-case schema used by `vectors verify`) is
  // never published, so it is bundled in rather than imported.
  noExternal: ['@blindwire/testkit'],
  removeNodeProtocol: false,
});
