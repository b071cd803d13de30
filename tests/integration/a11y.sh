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
port=$((20000 + $$ % 20000))
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$TMP/out/public" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 50 ] && break
	sleep 0.1
done
pages="/ /kursy/ /kursy/komunikacja/ /kursy/komunikacja/lekcja-1/ /kursy/komunikacja/test/
/kursy/kompetencje-cyfrowe/lekcja-4/ /konto/rejestracja/ /konto/logowanie/ /kontakt/ /ochrona-danych/wniosek/
/polityka-prywatnosci/ /polityka-prywatnosci/historia/ /instrukcja-realizacji-praw/ /deklaracja-dostepnosci/
/regulamin/ /urzedy/ /urzedy/zielona-gora/ /urzedy/wup-krakow/ /404.html
/polityka-prywatnosci/wersje/$old_version/ /polityka-prywatnosci/wersje/$new_version/zmiany/"
# shellcheck disable=SC2086
timeout 600 node tests/a11y/check.mjs "http://127.0.0.1:$port" $pages >"$TMP/a11y.log" 2>&1
grep -E '^(pass|fail) ' "$TMP/a11y.log" >>"$COUNTS"
grep -qE '^(pass|fail) ' "$TMP/a11y.log" || { fail "the browser check ran"; cat "$TMP/a11y.log" >&2; }
grep -E '^fail ' "$TMP/a11y.log" >&2
true
