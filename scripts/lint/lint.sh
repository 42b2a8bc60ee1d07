#!/usr/bin/env bash
# `pnpm lint`: every check runs, even after one fails, so a run lists all
# violations; the exit status is non-zero when any check failed.
#   1. eslint: typescript-eslint rules, file and function length, no Node
#      globals in core (eslint.config.js, scripts/lint/eslint-size-rules.js);
#   2. dependency-cruiser: no import cycles and the package layering
#      (scripts/lint/dependency-cruiser.cjs);
#   3. publint and arethetypeswrong on each published package (needs
#      `pnpm build` first; scripts/lint/packages.mjs);
#   4. prettier --check.
set -uo pipefail
cd "$(dirname "$0")/../.."
# The repository's own tools, without npx (which adds nothing but warnings).
export PATH="$PWD/node_modules/.bin:$PATH"

failed=()
step() {
  local name=$1
  shift
  printf '[lint] %s\n' "$name"
  "$@" || failed+=("$name")
}

step eslint eslint . --ignore-pattern 'docs/api/**' # pnpm docs output (gitignored)
step layering depcruise --config scripts/lint/dependency-cruiser.cjs --output-type err \
  packages test-vectors examples
step packages node scripts/lint/packages.mjs
step prettier prettier --check .

if [ ${#failed[@]} -ne 0 ]; then
  printf '[lint] failed: %s\n' "${failed[*]}"
  exit 1
fi
printf '[lint] all checks passed\n'
