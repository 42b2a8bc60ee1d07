import { defineConfig } from 'tsup';
import { declarationEntries } from '../../scripts/tsup/readable-names.js';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    internal: 'src/internal.ts',
    'stores/file-store': 'src/stores/file-store.ts',
    'stores/http': 'src/stores/http.ts',
    'stores/redis-store': 'src/stores/redis-store.ts',
    'stores/postgres-store': 'src/stores/postgres-store.ts',
    'stores/nats-store': 'src/stores/nats-store.ts',
    'keys/file-key-store': 'src/keys/file-key-store.ts',
    'trust/file-rollback-store': 'src/trust/file-rollback-store.ts',
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
  external: [
    '@blindwire/core',
    'redis',
    'pg',
    '@nats-io/transport-node',
    '@nats-io/kv',
    '@nats-io/jetstream',
  ],
});
