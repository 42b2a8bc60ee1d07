// One lint setup for the whole repository: typescript-eslint's recommended
// rules, with type information for the promise rules that matter most in an
// async crypto API (no floating or misused promises), and the size and
// portability rules of scripts/lint/eslint-size-rules.js. The layering and
// the no-cycle rule are in scripts/lint/dependency-cruiser.cjs; `pnpm lint`
// (scripts/lint/lint.sh) runs both, then the package checks and prettier.
// Type information comes from the project service, which keeps one program per
// tsconfig and lints packages/*/{src,test} in a few seconds on 2 cores.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { sizeRules } from './scripts/lint/eslint-size-rules.js';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'coverage/**',
      '.tmp/**',
      'test-vectors/cases/**',
      // Violations on purpose: scripts/lint/test/lint-rules.test.ts lints them.
      'scripts/lint/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  ...sizeRules,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
        globalThis: 'readonly',
        crypto: 'readonly',
      },
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
);
