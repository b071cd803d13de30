#!/bin/sh
# A visitor's and a learner's journey in a real browser (issue 9): the demo
# portal built from HEAD, served as at an office (nginx with the shipped
# deploy/nginx/okienko.conf, formd behind it with --trusted-proxy, formd's
# e-mail relay pointed at tests/smtp_sink.py), clicked through by
# tests/a11y/journey.mjs in Debian's Chromium, with JavaScript on and off.
# Every kind of page met is checked with axe-core there and with the Nu
# HTML Checker here; the main pages are photographed at 360 and 1280 px
# into build/screenshots/ for a person to look at.
. tests/lib.sh
FORMD="$ROOT/bin/formd"
vnu=tests/a11y/node_modules/vnu-jar/build/dist/vnu.jar
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
	[ -n "${sink_pid:-}" ] && kill "$sink_pid" 2>/dev/null
	formd_down
	rm -rf "$TMP"
}
trap cleanup EXIT
if [ ! -d tests/a11y/node_modules/playwright-core ] || [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null ||
	[ ! -x "$NGINX" ] || ! command -v openssl >/dev/null || [ ! -f "$vnu" ] || ! command -v java >/dev/null; then
	fail "the journey needs chromium, node, tests/a11y/node_modules, nginx, openssl and java (make deps-test installs them)"
	exit 1
fi
chmod 755 "$TMP" # nginx's workers (nobody) read the site and the forum
srv="$TMP/srv"   # /srv/okienko
var="$TMP/var"   # /var/lib/okienko
mkdir -p "$srv" "$var/forum" "$TMP/mail" "$TMP/pages"
shots="$ROOT/build/screenshots"
rm -rf "$shots"
mkdir -p "$shots"

demo_site "$TMP/repo"
ok "the demo portal builds" "$PORTAL" build --repo "$TMP/repo" --out "$srv/current" || exit 1

# what the learner knows: the course's test, from its test.toml
course=komunikacja
/usr/bin/python3 - "$TMP/repo/content/kursy/$course" >"$TMP/answers.json" <<'PY' || { fail "the answers were read from test.toml"; exit 1; }
import json, re, sys, tomllib
d = sys.argv[1]
def title(f):
    return re.search(r'^title = "(.*)"$', open(f, encoding="utf-8").read(), re.M).group(1)
t = tomllib.load(open(d + "/test.toml", "rb"))
print(json.dumps({
    "title": t["title"], "course_title": title(d + "/_index.md"), "first_lesson": title(d + "/lekcja-1.md"),
    "questions": [{"text": q["text"], "multiple": q["type"] == "multiple",
                   "answers": [a["text"] for a in q["answers"]],
                   "correct": [a["text"] for a in q["answers"] if a["correct"]]} for q in t["questions"]],
}, ensure_ascii=False))
PY

smtp_sink_up "$TMP/mail" || { fail "the SMTP server started"; exit 1; }
fport=$(free_port)
nginx_setup "$srv" "$var" "$fport" || { fail "the test's TLS certificate was made"; exit 1; }
FORMD_PORT=$fport formd_up "$srv/current" "$var/formd.sqlite" --forum-dir "$var/forum" --trusted-proxy 127.0.0.1 \
	--public-url "$site_url" --smtp "smtp://127.0.0.1:$smtp_port" --smtp-plain --mail-from portal@example.pl \
	--mail-from-name "Kompetencje dla pracy" --mail-retry 1 --mail-poll 1 || { fail "formd started"; exit 1; }
nginx_start || { fail "nginx started"; exit 1; }

# the journey, twice (JavaScript on, off); its pass/fail lines go to $COUNTS
timeout 300 node tests/a11y/journey.mjs "$site_url" "$TMP/mail" "$TMP/answers.json" "$TMP/pages" "$shots" \
	>"$TMP/journey.log" 2>&1
rc=$?
grep -E '^(pass|fail) ' "$TMP/journey.log" >>"$COUNTS"
grep -E '^fail ' "$TMP/journey.log" >&2
ok "the journey ran to its end (exit $rc)" sh -c "test $rc -le 1 && grep -q '^# page kinds checked' '$TMP/journey.log'"
[ $rc -le 1 ] || grep -vE '^(pass|fail) ' "$TMP/journey.log" | tail -20 >&2
grep '^# ' "$TMP/journey.log"

# the pages met, through the Nu HTML Checker: one JVM for all of them
set -- "$TMP"/pages/*.html
if [ ! -f "$1" ]; then
	fail "the journey kept pages for the HTML checker"
	exit 1
fi
timeout 120 java -jar "$vnu" --errors-only --no-langdetect --format gnu "$@" >"$TMP/vnu.log" 2>&1
rc=$?
ok "the HTML checker ran (exit $rc: 0 no errors, 1 errors)" test $rc -le 1
for f in "$@"; do
	n=$(basename "$f" .html)
	# lines "file:PATH":LINE.COL-LINE.COL: error: MESSAGE
	grep -F "\"file:$f\":" "$TMP/vnu.log" >"$TMP/vnu.one"
	if [ -s "$TMP/vnu.one" ]; then
		fail "valid HTML: $n: $(grep -c . "$TMP/vnu.one") error(s)"
		sed 's/^"[^"]*"://; s/^/    /' "$TMP/vnu.one" | head -5 >&2
	else
		pass "valid HTML: $n"
	fi
done
ok "the HTML checker named no other file, and its exit status agrees with what it printed" sh -c "
	! grep -vF '\"file:$TMP/pages/' '$TMP/vnu.log' | grep -q . && { test $rc -eq 0 || grep -q . '$TMP/vnu.log'; }"

n=$(ls "$shots"/*.png 2>/dev/null | wc -l)
ok "screenshots at 360 and 1280 px were written ($n)" test "$n" -ge 10
echo "journey: screenshots in $shots"
