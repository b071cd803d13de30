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

# Retention periods: stated once in site.toml, shown by the privacy policy
# and written to private/site.json for formd's purge. The demo sets none
# (the seeds state none): the policy shows no list.
retention() { # DESC OUT SITE_TOML: tests/retention_check.py's lines, each prefixed
	python3 tests/retention_check.py "$2" "$3" >"$TMP/retention.log" 2>&1
	rc=$?
	sed -n "s/^\(pass\|fail\) /\1 $1: /p" "$TMP/retention.log" >>"$COUNTS"
	grep -E '^fail ' "$TMP/retention.log" >&2
	grep -qE '^(pass|fail) ' "$TMP/retention.log" || { fail "$1: the check ran"; cat "$TMP/retention.log" >&2; }
	[ $rc -le 1 ] || fail "$1: the check exited $rc"
}
ok "the demo's site.toml lists every kind, with no period" \
	sh -c "[ \$(sed -n '/^\[retention\]$/,/^\[/p' '$site/site.toml' | grep -c '^[a-z]* = \"\"$') -eq 8 ]"
retention "demo" "$TMP/out" "$site/site.toml"

# a copy with periods filled in, as editors may write them: any form of
# the unit for any number, shown in the right one
r="$TMP/retention"
git clone -q "$site" "$r"
sed -i -e 's/^accounts = ""$/accounts = "5 lat"/' -e 's/^attempts = ""$/attempts = "2 lat"/' \
	-e 's/^contacts = ""$/contacts = "30 dni"/' -e 's/^requests = ""$/requests = "12 miesiące"/' \
	-e 's/^sessions = ""$/sessions = "1 miesięcy"/' -e 's/^audit = ""$/audit = "22 lat"/' "$r/site.toml"
ok "periods filled in the copy's site.toml" test "$(sed -n '/^\[retention\]$/,/^\[/p' "$r/site.toml" | grep -cE '^[a-z]+ = "[0-9]')" -eq 6
commit_all "$r" "retention periods" 2026-01-16T10:00:00+01:00
ok "the demo with retention periods builds" "$PORTAL" build --repo "$r" --out "$TMP/rout"
retention "periods set" "$TMP/rout" "$r/site.toml"
pol="$TMP/rout/public/polityka-prywatnosci/index.html"
ok "the policy says '2 lata' for \"2 lat\"" grep -qF '<li><strong>Wyniki testów wiedzy i certyfikaty</strong>: 2 lata, od rozwiązania testu lub wydania certyfikatu.</li>' "$pol"
ok "the policy says '30 dni' for the contact form's messages" grep -qF '<li><strong>Wiadomości wysłane formularzem kontaktowym</strong>: 30 dni, od otrzymania wiadomości.</li>' "$pol"
ok "the policy says '12 miesięcy', '1 miesiąc', '22 lata'" sh -c "grep -qF ': 12 miesięcy, ' '$pol' && grep -qF ': 1 miesiąc, ' '$pol' && grep -qF ': 22 lata, ' '$pol'"
ok "the policy leaves out the kinds with no period" sh -c "! grep -qF 'Wpisy na forach kursów' '$pol'"
ok "private/site.json: \"2 lat\" is n 2, years, \"2 lata\"" grep -qF '"attempts": {
      "text": "2 lata",
      "n": 2,
      "unit": "years"' "$TMP/rout/private/site.json"

# no [retention] table at all: the build succeeds and shows nothing
python3 - "$r/site.toml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
s = re.sub(r"^\[retention\]\n(?:(?:#.*|[a-z]+ = .*)\n)*", "", s, flags=re.M)
open(p, "w", encoding="utf-8").write(s)
PY
ok "the copy's site.toml has no [retention] left" sh -c "! grep -q 'retention\]\|^accounts\|^audit' '$r/site.toml'"
commit_all "$r" "no retention table" 2026-01-17T10:00:00+01:00
ok "a site.toml without [retention] builds" "$PORTAL" build --repo "$r" --out "$TMP/rout"
retention "no table" "$TMP/rout" "$r/site.toml"

# what the build refuses, with site.toml:LINE:COL and the key
bad_retention() { # DESC SED-EXPRESSION PATTERN (LINE is the changed line's number)
	rm -rf "$TMP/rb"
	git clone -q "$site" "$TMP/rb"
	sed -i "$2" "$TMP/rb/site.toml"
	commit_all "$TMP/rb" "bad retention" 2026-01-16T10:00:00+01:00
	line=$(git -C "$TMP/rb" diff -U0 HEAD~1 -- site.toml | sed -n 's/^@@ -[0-9,]* +\([0-9]*\).*/\1/p')
	expect_fail "$1" "^portal: site\.toml:$line:$3" "$PORTAL" build --repo "$TMP/rb" --out "$TMP/rbout"
}
bad_retention "an unknown unit fails the build, naming the place, the key and the accepted forms" \
	's/^posts = ""$/posts = "3 tygodnie"/' \
	'9: retention\.posts: "3 tygodnie": unknown unit "tygodnie" \(write e\.g\. "30 dni", "6 miesięcy", "5 lat"\)$'
bad_retention "a period of 0 fails the build" \
	's/^outbox = ""$/outbox = "0 dni"/' '10: retention\.outbox: "0 dni": the number must be a whole number from 1 to 1000'
bad_retention "a number without a unit fails the build" \
	's/^contacts = ""$/contacts = "5"/' '12: retention\.contacts: "5": missing unit'
bad_retention "an unknown kind fails the build" \
	's/^audit = ""$/audyt = ""/' '9: retention\.audyt: unknown kind of data \(the kinds: accounts, attempts, posts, contacts, requests, sessions, outbox, audit\)$'
bad_retention "a period that is no string fails the build" \
	's/^sessions = ""$/sessions = 30/' '12: retention\.sessions: must be a period in quotes'
ok "portal check refuses a bad period too" sh -c "! '$PORTAL' check --repo '$TMP/rb'"
