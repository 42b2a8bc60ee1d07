import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const coreSrc = fileURLToPath(new URL('./packages/core/src/', import.meta.url)).replace(/\\/g, '/');

/**
 * packages/core's package.json "imports" map `#default-backend` to dist/
 * (`node` -> the node backend, else the web backend). Core's own tests import
 * src/, so for importers inside packages/core/src this resolves it to the
 * TypeScript source instead: no build needed, and no src/dist mix. Importers
 * in dist/ (packages that test against the built @blindwire/core) keep the
 * package.json resolution, so they see one copy of the error classes. Vitest
 * runs on Node, hence the node default.
 */
const coreDefaultBackendFromSource = {
  name: 'blindwire-default-backend-from-source',
  enforce: 'pre' as const,
  resolveId(source: string, importer: string | undefined) {
    if (source !== '#default-backend' || !importer?.replace(/\\/g, '/').startsWith(coreSrc))
      return null;
    return `${coreSrc}backend/default-node.ts`;
  },
};

/**
 * The private test kit is read from its TypeScript source, so tests need no
 * build of it (plain-node scripts and the CLI bundle use its dist/).
 */
const testkitSource = fileURLToPath(new URL('./packages/testkit/src/index.ts', import.meta.url));
const nginxSource = fileURLToPath(new URL('./packages/testkit/src/nginx.ts', import.meta.url));
const wrongShapesSource = fileURLToPath(
  new URL('./packages/testkit/src/wrong-shapes.ts', import.meta.url),
);
const kafkaBrokerSource = fileURLToPath(
  new URL('./packages/testkit/src/kafka-broker/index.ts', import.meta.url),
);

export default defineConfig({
  plugins: [coreDefaultBackendFromSource],
  resolve: {
    alias: [
      { find: /^@blindwire\/testkit$/, replacement: testkitSource },
      { find: /^@blindwire\/testkit\/kafka-broker$/, replacement: kafkaBrokerSource },
      { find: /^@blindwire\/testkit\/nginx$/, replacement: nginxSource },
      { find: /^@blindwire\/testkit\/wrong-shapes$/, replacement: wrongShapesSource },
    ],
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'test-vectors/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'scripts/lint/test/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
