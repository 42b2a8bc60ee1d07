import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'adapters/file': 'src/adapters/file.ts',
    'adapters/http': 'src/adapters/http.ts',
    'adapters/redis': 'src/adapters/redis.ts',
    'adapters/postgres': 'src/adapters/postgres.ts',
    'adapters/nats': 'src/adapters/nats.ts',
    'keystore-file': 'src/keystore-file.ts',
    'rollback-file': 'src/rollback-file.ts',
  },
  format: ['esm'],
  dts: true,
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
