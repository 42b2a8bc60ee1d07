#!/usr/bin/env bash
# `pnpm test`: build every package, typecheck, lint (`pnpm lint`: eslint, the
# layering and cycle rules, the package checks, prettier), check the committed
# test vectors against the generator, and run the whole vitest suite, which ends
# the run with its own summary (and fails on any failed test, suite or
# unhandled error, or when no test file is found).
set -uo pipefail
cd "$(dirname "$0")/.."
node scripts/build.mjs || exit 1 # skips packages built from the same sources; errors only
pnpm -s typecheck || exit 1
pnpm -s lint || exit 1
node test-vectors/generate.mjs --check || exit 1
node test-vectors/generate-extra.mjs --check || exit 1
node packages/cli/dist/bin.js vectors verify test-vectors/cases || exit 1
exec npx vitest run "$@"
