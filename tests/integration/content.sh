#!/bin/sh
# The demo portal's content (issue 3), checked on the built site.
. tests/lib.sh

site="$TMP/site"
demo_site "$site"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$TMP/out"
seeds=../shared/seeds
[ -d "$seeds" ] || echo "content: ../shared/seeds not found; office data are checked against the test's own copy only"
python3 tests/content_check.py "$TMP/out" "$seeds" >"$TMP/content.log"
grep -E '^(pass|fail) ' "$TMP/content.log" >>"$COUNTS"
grep -E '^fail ' "$TMP/content.log" >&2
grep -E '^note' "$TMP/content.log"
true
