#!/bin/sh
# The CLI in seven steps (the root README's walkthrough), with a check after
# each: anchor, identities, seal, inspect, open, rotate, revoke. Runs in the
# current directory, which it fills with key files: run it in an empty one.
#
#   sh walkthrough.sh                                  # `blindwire` on PATH
#   BLINDWIRE="pnpm exec blindwire" sh walkthrough.sh
#   BLINDWIRE="node '/path/to/clone/packages/cli/dist/bin.js'" sh walkthrough.sh
# BLINDWIRE is a shell command line, evaluated: quote a path with spaces in it.
set -eu
blindwire() { eval "${BLINDWIRE:-command blindwire}" '"$@"'; }
check() { if "$@"; then :; else echo "check failed: $*" >&2; exit 1; fi; }
kid_of() { blindwire inspect "$1" --json | node -pe 'JSON.parse(fs.readFileSync(0)).recipients[0].kid'; }

echo '== 1. anchor'
blindwire anchor create "acme.example root" --out anchor.json --public-out anchor-public.json

echo '== 2. identities'
blindwire identity create spiffe://acme.example/agents/planner \
  --anchor anchor.json --out planner.json --store file:./directory.json > planner-public.json
blindwire identity create spiffe://acme.example/tools/payments \
  --anchor anchor.json --out payments.json --store file:./directory.json > payments-public.json
check grep -q '"name": "spiffe://acme.example/agents/planner"' planner-public.json

echo '== 3. seal'
echo 'refund A-1042: 129.00' > refund.txt
blindwire seal refund.txt -r spiffe://acme.example/agents/planner --identity payments.json \
  --store file:./directory.json --anchor anchor-public.json -o refund.bw
check test "$(head -c 2 refund.bw)" = BW
if grep -q 'A-1042' refund.bw; then echo 'check failed: plaintext in refund.bw' >&2; exit 1; fi

echo '== 4. inspect'
blindwire inspect refund.bw
OLD_KID=$(blindwire inspect refund.bw --json | node -pe 'JSON.parse(fs.readFileSync(0)).recipients[0].kid')
check grep -q "\"kid\": \"$OLD_KID\"" planner-public.json

echo '== 5. open'
blindwire open refund.bw --identity planner.json \
  --store file:./directory.json --anchor anchor-public.json -o refund-opened.txt
check cmp -s refund.txt refund-opened.txt

echo '== 6. rotate'
export PLANNER_KEYS_PASSPHRASE="${PLANNER_KEYS_PASSPHRASE:-change me}"
blindwire key rotate --identity planner.json --keystore planner-keys.json \
  --passphrase-env PLANNER_KEYS_PASSPHRASE --store file:./directory.json --force --propagation-delay 0
blindwire open refund.bw --keystore planner-keys.json --passphrase-env PLANNER_KEYS_PASSPHRASE \
  --store file:./directory.json --anchor anchor-public.json -o refund-after-rotation.txt
check cmp -s refund.txt refund-after-rotation.txt
blindwire seal refund.txt -r spiffe://acme.example/agents/planner --identity payments.json \
  --store file:./directory.json --anchor anchor-public.json -o refund-2.bw
NEW_KID=$(kid_of refund-2.bw)
check test "$NEW_KID" != "$OLD_KID"

echo '== 7. revoke'
blindwire revoke --name spiffe://acme.example/agents/planner --kid "$OLD_KID" --reason compromise \
  --anchor anchor.json --store file:./directory.json \
  --keystore planner-keys.json --passphrase-env PLANNER_KEYS_PASSPHRASE
check grep -q "\"kid\": \"$OLD_KID\"" planner.json # revoke erased it from the key store only
# The next rotation, given the anchor, also takes the erased key out of planner.json.
blindwire key rotate --identity planner.json --keystore planner-keys.json \
  --passphrase-env PLANNER_KEYS_PASSPHRASE --store file:./directory.json --anchor anchor-public.json
if grep -q "\"kid\": \"$OLD_KID\"" planner.json; then echo 'check failed: erased key in planner.json' >&2; exit 1; fi
status=0
blindwire open refund.bw --keystore planner-keys.json --passphrase-env PLANNER_KEYS_PASSPHRASE \
  --store file:./directory.json --anchor anchor-public.json -o refund-revoked.txt || status=$?
check test "$status" = 4 # ERR_KEY_REVOKED: the key was erased after its compromise
check test ! -e refund-revoked.txt
blindwire open refund-2.bw --keystore planner-keys.json --passphrase-env PLANNER_KEYS_PASSPHRASE \
  --store file:./directory.json --anchor anchor-public.json -o refund-2-opened.txt
check cmp -s refund.txt refund-2-opened.txt
blindwire seal refund.txt -r spiffe://acme.example/agents/planner --identity payments.json \
  --store file:./directory.json --anchor anchor-public.json -o refund-3.bw
check test "$(kid_of refund-3.bw)" = "$NEW_KID"

echo 'walkthrough ok'
