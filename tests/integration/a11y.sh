#!/bin/sh
# The built demo portal in a real browser (Debian's Chromium driven by
# playwright-core): axe-core WCAG 2.1 AA checks, keyboard, 320 px phones,
# no JavaScript, no request to another host, no cookies.
. tests/lib.sh

if [ ! -d tests/a11y/node_modules/axe-core ] || [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null; then
	fail "browser tests need chromium, node and tests/a11y/node_modules (make deps-test installs them)"
	exit 1
fi
site="$TMP/site"
demo_site "$site"
ok "a second commit changes the policy and the terms" demo_second_commit "$site"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$TMP/out"
# the archived version of the policy and the comparison with it
old_version=$(ls "$TMP/out/public/polityka-prywatnosci/wersje/" | sort | head -1)
new_version=$(ls "$TMP/out/public/polityka-prywatnosci/wersje/" | sort | tail -1)
serve_static "$TMP/out/public" || fail "the static server started"
trap 'kill $static_pid 2>/dev/null; rm -rf "$TMP"' EXIT
pages="/ /kursy/ /kursy/komunikacja/ /kursy/komunikacja/lekcja-1/ /kursy/komunikacja/test/
/kursy/kompetencje-cyfrowe/lekcja-4/ /konto/rejestracja/ /konto/logowanie/ /kontakt/ /ochrona-danych/wniosek/
/polityka-prywatnosci/ /polityka-prywatnosci/historia/ /instrukcja-realizacji-praw/ /deklaracja-dostepnosci/
/regulamin/ /urzedy/ /urzedy/zielona-gora/ /urzedy/wup-krakow/ /404.html
/polityka-prywatnosci/wersje/$old_version/ /polityka-prywatnosci/wersje/$new_version/zmiany/"
# shellcheck disable=SC2086
timeout 600 node tests/a11y/check.mjs "$static_url" $pages >"$TMP/a11y.log" 2>&1
grep -E '^(pass|fail) ' "$TMP/a11y.log" >>"$COUNTS"
grep -qE '^(pass|fail) ' "$TMP/a11y.log" || { fail "the browser check ran"; cat "$TMP/a11y.log" >&2; }
grep -E '^fail ' "$TMP/a11y.log" >&2
true
