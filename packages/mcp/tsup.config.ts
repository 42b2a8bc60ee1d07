import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  // Errors only: the chunk and map sizes scroll the demo and CI logs away.
  silent: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: [
    '@blindwire/core',
    '@modelcontextprotocol/sdk',
    '@modelcontextprotocol/client',
    '@modelcontextprotocol/server',
  ],
});
