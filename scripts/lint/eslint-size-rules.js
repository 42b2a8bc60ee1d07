/**
 * The size and portability rules of `pnpm lint`, as eslint flat-config
 * objects that eslint.config.js spreads in. Their globs are relative to the
 * folder eslint runs from: the repository root for `pnpm lint`, a fixture root
 * for scripts/lint/test/lint-rules.test.ts, which loads eslint.config.js
 * itself, so both runs apply the very same rules. Tooling: implements no
 * SPEC.md section.
 */
import { builtinRules } from 'eslint/use-at-your-own-risk';

/** Source files of every package. */
export const SOURCE = ['packages/*/src/**/*.ts'];
/** Test files of every package. */
export const TESTS = ['packages/*/test/**/*.ts'];
/**
 * Core's only Node-only files: the node backend and its `#default-backend`
 * target (as scripts/lint/dependency-cruiser.cjs names them). Other Node-only
 * code belongs in packages/node (`@blindwire/node`).
 */
export const CORE_NODE_ONLY = [
  'packages/core/src/backend/node.ts',
  'packages/core/src/backend/default-node.ts',
];

/**
 * ESLint allows one severity per rule, so the hard ceiling on function length
 * is the builtin `max-lines-per-function` registered a second time under its
 * own name: a warning at 80 lines, an error at 120.
 */
const plugin = {
  rules: { 'max-lines-per-function-ceiling': builtinRules.get('max-lines-per-function') },
};

export const sizeRules = [
  {
    files: SOURCE,
    plugins: { blindwire: plugin },
    rules: {
      // Every physical line counts, blank lines and comments too, so the
      // limit reads the same as `wc -l` and scripts/structure-report.mjs.
      'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }],
      // Function bodies: blank lines and comments do not count (doc comments
      // inside a factory should not push it over), IIFEs do.
      'max-lines-per-function': [
        'warn',
        { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true },
      ],
      'blindwire/max-lines-per-function-ceiling': [
        'error',
        { max: 120, skipBlankLines: true, skipComments: true, IIFEs: true },
      ],
    },
  },
  {
    // Test files are tables of cases and one `describe` callback per concern,
    // so they may be longer and have no function-length rule; 800 lines still
    // catches a file that should be split by what it proves (the style guide
    // names tests after what they prove). Counted like the source limit.
    files: TESTS,
    rules: {
      'max-lines': ['error', { max: 800, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    // Core runs in browsers: no Node globals outside its Node-only files
    // (imports of Node builtins are checked by scripts/lint/dependency-cruiser.cjs).
    files: ['packages/core/src/**/*.ts'],
    ignores: CORE_NODE_ONLY,
    rules: {
      'no-restricted-globals': [
        'error',
        ...['Buffer', 'process', 'require', 'module', '__dirname', '__filename', 'global'].map(
          (name) => ({
            name,
            message: `${name} is Node-only; core's portable files run in browsers.`,
          }),
        ),
      ],
    },
  },
];
