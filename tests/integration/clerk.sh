#!/bin/sh
# What the clerk meets at `formd admin` (issue 13, items 2, 18, 20, 21),
# through the real binaries: the help without a database, a request's
# data exported for a person without an account's page, and the test
# clock (OKIENKO_NOW) over an overdue list, an extension and a purge.
# The demo portal with `[retention] requests` filled (a test value, not
# the office's), formd with no relay (links read from the outbox), then
# tests/clerk_check.py.
. tests/lib.sh
FORMD="$ROOT/bin/formd"

ok "formd admin --help needs no database" sh -c "'$FORMD' admin --help | grep -q 'request export ID'"
ok "...and documents the test clock" sh -c "'$FORMD' admin --help | grep -q OKIENKO_NOW"
ok "...as formd/README.md does" grep -q "OKIENKO_NOW" formd/README.md
expect_fail "formd admin without --db and a command says how to get the help" "formd admin --help" "$FORMD" admin

site="$TMP/site"
demo_site "$site"
sed -i -e 's/^requests = ""/requests = "1 rok"/' "$site/site.toml"
ok "the test site fills [retention] requests" grep -q '^requests = "1 rok"$' "$site/site.toml"
commit_all "$site" "retention of requests"
out="$TMP/out"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$out"
mkdir -p "$TMP/var" "$TMP/export"
db="$TMP/var/formd.sqlite"
formd_up "$out" "$db" --serve-public --dev --hash-workers 2 --post-rate 1000 \
	|| { fail "formd started"; exit 1; }
trap 'kill $formd_pid 2>/dev/null; rm -rf "$TMP"' EXIT
python3 tests/clerk_check.py "$formd_url" "$FORMD" "$db" "$out" "$TMP/export" >"$TMP/check.log" 2>&1
rc=$?
ok "clerk_check.py ran to its end" test $rc -eq 0
[ $rc -eq 0 ] || tail -20 "$TMP/check.log" >&2
grep -E '^(pass|fail) ' "$TMP/check.log" >>"$COUNTS"
grep -E '^fail ' "$TMP/check.log" >&2
formd_down
