/**
 * The package layering and the no-cycle rule, checked by dependency-cruiser
 * (`pnpm lint` runs it on packages/, test-vectors/ and examples/; the fixture test in
 * scripts/lint/test/ runs this same file on scripts/lint/fixtures/). The
 * direction the style guide fixes: core <- replay/directory <- bindings <- cli,
 * and packages/testkit only for tests.
 *
 * Why dependency-cruiser, not eslint-plugin-import-x `no-cycle` or madge:
 * - it resolves each import with enhanced-resolve (exports maps, the
 *   `#default-backend` subpath import, `.js` specifiers that name `.ts`
 *   files), so a rule sees the file an import really reaches: a relative
 *   `../../directory/src/x.js` is caught as well as `@blindwire/directory`;
 * - it needs no type information and parses each file once for both the cycle
 *   search and the layering rules: a few seconds for the whole tree on 2
 *   cores, where import-x `no-cycle` re-walks the graph per file inside the
 *   type-aware eslint run, and madge needs its own TypeScript resolution set-up
 *   for `.js` -> `.ts` and knows no layering rules;
 * - `import type` edges are kept (tsPreCompilationDeps), so a cycle made only
 *   of type imports counts too: it still ties two files (and so two layers)
 *   together, even though the emitted JavaScript has no cycle.
 *
 * Paths are matched as resolved, relative to the folder the cruise starts in.
 * A workspace package resolves to `packages/<name>/dist/...` once built and
 * stays `@blindwire/<name>` when unresolvable (not built, or not a declared
 * dependency), so every rule on a package names both spellings.
 *
 * dependency-cruiser is held at 17.x: 18 needs Node 22, and the project
 * supports Node 20. Tooling: implements no SPEC.md section.
 */

/** The broker and agent-to-tool binding packages (packages/nats is the first). */
const BINDINGS = 'nats|amqp|redis|mqtt|kafka|http|mcp';

/** A resolved path or an unresolved specifier that reaches workspace package `name`. */
const pkg = (name) => `^(?:(?:\\.\\./)*packages/|@blindwire/)(?:${name})(?:/|$)`;

/**
 * The only core files that may use Node: the node backend and the `node`
 * target of `#default-backend`. Anything else that needs Node (stream
 * adapters, worker threads) belongs in packages/node (`@blindwire/node`).
 */
const CORE_NODE_ONLY = '^packages/core/src/backend/(?:default-)?node\\.ts$';

/** Core source outside its Node-only files: the graph a browser loads. */
const CORE_PORTABLE = { path: '^packages/core/src/', pathNot: CORE_NODE_ONLY };

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'No import cycles in any package src, type-only imports included.',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
    {
      name: 'core-no-node-builtins',
      comment: 'Core runs in browsers: Node builtins only in its Node-only files.',
      severity: 'error',
      from: CORE_PORTABLE,
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-no-node-types',
      comment: 'A `/// <reference types="node" />` brings Node globals into core.',
      severity: 'error',
      from: CORE_PORTABLE,
      to: { path: '^(?:node|@types/node)(?:/|$)' },
    },
    {
      name: 'core-no-node-only-files',
      comment: "Core's portable files never import its Node-only files.",
      severity: 'error',
      from: CORE_PORTABLE,
      to: { path: CORE_NODE_ONLY },
    },
    {
      name: 'core-imports-no-workspace-package',
      comment: 'Core is the bottom layer: it imports no other workspace package.',
      severity: 'error',
      from: { path: '^packages/core/' },
      // Its tests may use the private testkit (rule testkit-only-for-tests);
      // its browser test bundles core itself by name, which stays
      // `@blindwire/core` on a tree that is not built yet.
      to: { path: '^(?:@blindwire/|packages/(?!core/))', pathNot: pkg('core|testkit') },
    },
    {
      name: 'node-imports-only-core',
      comment:
        '@blindwire/node (the Node-only code kept out of core) sits on core alone: no ' +
        'directory, replay, binding or cli; its tests may use the testkit.',
      severity: 'error',
      from: { path: '^packages/node/src/' },
      to: { path: '^(?:@blindwire/|packages/)(?!(?:core|node)(?:/|$))' },
    },
    {
      name: 'replay-directory-import-only-core',
      comment: 'replay and directory sit on core alone: no bindings, no cli, not each other.',
      severity: 'error',
      from: { path: '^packages/(replay|directory)/src/' },
      to: {
        path: '^(?:@blindwire/|(?:\\.\\./)*packages/)(?!(?:core|$1)(?:/|$))',
        pathNot: pkg('testkit'),
      },
    },
    {
      name: 'binding-no-other-binding',
      comment: 'Bindings never import each other.',
      severity: 'error',
      from: { path: `^packages/(${BINDINGS})/` },
      to: { path: pkg(BINDINGS), pathNot: pkg('$1') },
    },
    {
      name: 'nats-src-imports-only-core',
      comment:
        '@blindwire/nats and @blindwire/redis run on core alone: replay stores and directory ' +
        'functions are handed in by the caller (structurally typed), never imported at runtime; ' +
        'their tests may.',
      severity: 'error',
      from: { path: '^packages/(?:nats|redis)/src/' },
      to: { path: pkg('replay|directory') },
    },
    {
      name: 'amqp-src-imports-only-core',
      comment:
        '@blindwire/amqp runs on core alone: replay stores and directory functions are ' +
        'handed in by the caller (structurally typed), never imported at runtime; its tests may.',
      severity: 'error',
      from: { path: '^packages/amqp/src/' },
      to: { path: pkg('replay|directory') },
    },
    {
      name: 'cli-imported-by-nobody',
      comment: 'The cli is the top layer.',
      severity: 'error',
      from: { pathNot: '^packages/cli/' },
      to: { path: pkg('cli') },
    },
    {
      name: 'no-foreign-src-or-test',
      comment:
        "No package reaches into another package's src/ or test/, by path or by name. " +
        'The private testkit is the exception: its package entry resolves to its src/ ' +
        '(tests and tsc read it unbuilt), so only a deep path into it is refused.',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: {
        path: '^(?:packages|@blindwire)/[^/]+/(?:src|test)/',
        pathNot:
          '^packages/(?:$1/|testkit/src/(?:index|nginx|wrong-shapes|kafka-broker/index)\\.ts$)',
      },
    },
    {
      name: 'no-src-or-test-from-outside',
      comment: "Scripts and vectors use a package's public entry points, not its src/ or test/.",
      severity: 'error',
      from: { path: '^(?:test-vectors|examples)/' },
      to: {
        path: '^packages/[^/]+/(?:src|test)/',
        pathNot: '^packages/testkit/src/(?:index|nginx|wrong-shapes|kafka-broker/index)\\.ts$',
      },
    },
    {
      name: 'testkit-imports-no-workspace-package',
      comment:
        "The testkit sits below every package's tests, core's included: importing " +
        'a workspace package would load a second copy of it (and of its error classes) there.',
      severity: 'error',
      from: { path: '^packages/testkit/' },
      // Also a package the root links (core, http: the README's example), which
      // resolves out of a fixture to the real one (../../packages/core/...).
      to: { path: '^(?:@blindwire/|(?:\\.\\./)*packages/(?!testkit/))' },
    },
    {
      name: 'testkit-only-for-tests',
      comment:
        "The private testkit: only test files (examples' too), cli vectors and test-vectors/.",
      severity: 'error',
      from: {
        pathNot:
          '^(?:packages/[^/]+/test/|examples/[^/]+/test/|packages/testkit/|packages/cli/src/vectors/|test-vectors/)',
      },
      to: { path: pkg('testkit') },
    },
  ],
  options: {
    // Cruise sources only; a built package is a leaf (its dist/ is not walked).
    doNotFollow: { path: ['node_modules', '(?:^|/)dist/'] },
    exclude: { path: ['(?:^|/)node_modules/', '^test-vectors/cases/', '(?:^|/)coverage/'] },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // `types` picks core's web default for `#default-backend` (package.json
      // "imports"), which is the graph a browser bundle loads.
      conditionNames: ['import', 'types', 'default'],
      extensions: ['.ts', '.mts', '.js', '.mjs'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
