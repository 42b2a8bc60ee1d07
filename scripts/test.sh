#!/usr/bin/env bash
# `pnpm test`: build every package, typecheck, check the committed test
# vectors against the generator, run the whole vitest suite, and end with
# one plain summary line drawn from vitest's own JSON report.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp
pnpm -s build || exit 1
pnpm -s typecheck || exit 1
node test-vectors/generate.mjs --check || exit 1
node packages/cli/dist/bin.js vectors verify test-vectors/cases || exit 1
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@"
status=$?
node scripts/test-summary.mjs .tmp/vitest.json || status=1
exit $status
