import { defineConfig } from 'tsup';

// Built so that plain-node scripts (test-vectors/generate.mjs) can import the
// kit, and so that the CLI can bundle it (tsup `noExternal`). Vitest and tsc
// read src/ directly: the root vitest.config.ts aliases the package to
// src/index.ts and package.json points `types` at it.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    // The Kafka test broker: a subpath for tests, and a CLI to run it in its own process.
    'kafka-broker/index': 'src/kafka-broker/index.ts',
    'kafka-broker/main': 'src/kafka-broker/main.ts',
    // The Debian nginx logging proxy of the HTTP and MCP blindness tests.
    nginx: 'src/nginx.ts',
    // Values of the wrong shape for the option property tests (fast-check).
    'wrong-shapes': 'src/wrong-shapes.ts',
  },
  format: ['esm'],
  // Errors only: the chunk and map sizes scroll the demo and CI logs away.
  silent: true,
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
});
