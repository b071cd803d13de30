#!/bin/sh
# Every page of the built demo portal through the Nu HTML Checker (vnu.jar
# from npm's vnu-jar, run with Debian's Java): one pass or fail line per
# .html file under public/, so a new kind of page is checked as soon as the
# generator writes it. The demo repository gets a second commit (a sentence
# of the privacy policy and of the terms changed, an old address for the
# terms) so the pages that need a history are there too: change notices,
# change histories with two entries, archived versions, redirect pages.
. tests/lib.sh

vnu=tests/a11y/node_modules/vnu-jar/build/dist/vnu.jar
if [ ! -f "$vnu" ] || ! command -v java >/dev/null; then
	fail "the HTML checker needs java and tests/a11y/node_modules/vnu-jar (make deps-test installs them)"
	exit 1
fi

site="$TMP/site"
demo_site "$site"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$TMP/out1"

ok "a second commit changes the privacy policy and the terms" demo_second_commit "$site"
ok "the demo portal builds after the second commit" "$PORTAL" build --repo "$site" --out "$TMP/out"
ok "the old address of the terms is a redirect page" grep -q 'url=/regulamin/' "$TMP/out/public/zasady-korzystania/index.html"

pub="$TMP/out/public"
# every page's head (title, description, canonical link, icon), the .gz
# copies beside the pages and stylesheets, the fingerprinted stylesheet
python3 tests/head_check.py "$(sed -n 's/^base_url = "\(.*\)"$/\1/p' "$site/site.toml")" "$pub" >"$TMP/head.log" 2>&1
grep -E '^(pass|fail) ' "$TMP/head.log" >>"$COUNTS"
grep -E '^fail ' "$TMP/head.log" >&2
grep -qE '^(pass|fail) ' "$TMP/head.log" || { fail "head_check.py ran"; cat "$TMP/head.log" >&2; }
ok "the committed icon is what scripts/favicon.py draws" sh -c "python3 scripts/favicon.py '$TMP/favicon.ico' && cmp '$TMP/favicon.ico' themes/default/static/favicon.ico"
find "$pub" -name '*.html' -type f | LC_ALL=C sort >"$TMP/pages"
if [ ! -s "$TMP/pages" ]; then
	fail "the build wrote .html files to check"
	exit 1
fi
set --
while IFS= read -r f; do set -- "$@" "$f"; done <"$TMP/pages"

# one JVM for every page: its start-up is most of the time. Only errors
# count; --no-langdetect skips the language guess, which only warns.
timeout 300 java -jar "$vnu" --errors-only --no-langdetect --format json --stdout "$@" \
	>"$TMP/vnu.json" 2>"$TMP/vnu.err"
rc=$?
if [ "$rc" -gt 1 ] || [ ! -s "$TMP/vnu.json" ]; then
	fail "the HTML checker ran (exit $rc)"
	sed 's/^/    /' "$TMP/vnu.err" | head -20 >&2
	exit 1
fi

# lines "pass valid HTML: FILE", "fail valid HTML: FILE: N error(s): the
# first", then every message of that file indented, one a line
python3 - "$pub" "$TMP/pages" "$TMP/vnu.json" >"$TMP/vnu.log" <<'EOF'
import json, sys, urllib.parse, os
pub, pages, report = sys.argv[1], sys.argv[2], sys.argv[3]
files = [l.rstrip("\n") for l in open(pages, encoding="utf-8") if l.strip()]
errors = {f: [] for f in files}
other = []
for m in json.load(open(report, encoding="utf-8")).get("messages", []):
    url = m.get("url", "")
    path = urllib.parse.unquote(url[5:]) if url.startswith("file:") else url
    path = os.path.normpath(path)
    where = "line %s" % m.get("lastLine", m.get("firstLine", "?"))
    text = "%s: %s: %s" % (where, m.get("type", "?"), " ".join(m.get("message", "").split()))
    ext = " ".join((m.get("extract") or "").split())
    if ext:
        text += " [%s]" % ext[:160]
    (errors[path] if path in errors else other).append(text)
for f in files:
    rel = os.path.relpath(f, pub)
    if errors[f]:
        print("fail valid HTML: %s: %d error(s): %s" % (rel, len(errors[f]), errors[f][0]))
        for e in errors[f]:
            print("    " + e)
    else:
        print("pass valid HTML: %s" % rel)
for e in other:
    print("fail the checker: %s" % e)
EOF
while IFS= read -r line; do
	case $line in
	"pass "*) pass "${line#pass }" ;;
	"fail "*) fail "${line#fail }" ;;
	*) echo "$line" >&2 ;;
	esac
done <"$TMP/vnu.log"
if [ "$rc" -eq 1 ] && ! grep -q '^fail ' "$TMP/vnu.log"; then
	fail "the HTML checker exited 1 without naming an error"
	sed 's/^/    /' "$TMP/vnu.err" | head -20 >&2
fi
true
