#!/bin/sh
# The generator end to end: this repository's portal, reproducibility,
# failures that leave the previous output alone, previews, shallow clones.
. tests/lib.sh

# A repository holding this checkout's committed site (HEAD), to break.
site="$TMP/site"
demo_site "$site"

out="$TMP/out"
ok "the demo site builds" "$PORTAL" build --repo "$site" --out "$out"
ok "public/ has the home page" test -s "$out/public/index.html"
ok "private/build.json names the commit" \
	grep -q "\"commit\": \"$(git -C "$site" rev-parse HEAD)\"" "$out/private/build.json"
ok "pages carry the commit in a meta tag" \
	grep -q "<meta name=\"okienko-commit\" content=\"$(git -C "$site" rev-parse HEAD)\">" "$out/public/index.html"
ok "pages carry the commit time in a meta tag" \
	grep -q '<meta name="okienko-commit-time" content="2026-01-15T10:00:00+01:00">' "$out/public/index.html"
ok "sitemap.xml, robots.txt, feed and 404 exist" \
	test -s "$out/public/sitemap.xml" -a -s "$out/public/robots.txt" -a -s "$out/public/zmiany.xml" -a -s "$out/public/404.html"
ok "nothing is left beside the output" sh -c "! ls -d '$out'.new-* 2>/dev/null"

# no answer key under public/: the keys exist in private/ and no public
# file says which answer is right
ok "answer keys are in private/tests/" sh -c "ls '$out'/private/tests/*.json | grep -q ."
ok "no answer key under public/" sh -c "! grep -rli 'correct' '$out/public'"
ok "test forms post to the daemon" grep -q 'action="/kursy/test"' "$out/public/kursy/komunikacja/test/index.html"

# byte-identical output for the same commit, whatever the thread count
out2="$TMP/out2"
ok "a second build (one thread) succeeds" "$PORTAL" build --repo "$site" --out "$out2" --jobs 1
ok "two builds are byte-identical" diff -r "$out" "$out2"

# each broken input fails with file:line and leaves the output as it was
snap() { (cd "$out" && find . -type f -exec sha256sum {} + | sort) >"$1"; }
snap "$TMP/before"
broken() { # name, then commands that break the copy
	name=$1
	shift
	rm -rf "$TMP/b"
	git clone -q "$site" "$TMP/b"
	(cd "$TMP/b" && sh -c "$*")
	commit_all "$TMP/b" "break: $name" 2026-01-16T10:00:00+01:00
}
same_output() {
	snap "$TMP/after"
	ok "$1: the previous output is untouched" cmp -s "$TMP/before" "$TMP/after"
	ok "$1: no half-built folder is left" sh -c "! ls -d '$out'.new-* 2>/dev/null"
}

broken "bad toml" 'printf "+++\ntitle = \"x\"\nweight = = 3\n+++\nbody\n" > content/zepsuty.md'
expect_fail "bad TOML fails with file:line:col" 'content/zepsuty\.md:3:[0-9]+: ' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
same_output "bad toml"

broken "broken link" 'printf "+++\ntitle = \"x\"\n+++\n\nTekst.\n\nZobacz [to](nie-ma-takiej.md).\n" > content/link.md'
expect_fail "a broken link fails with file:line" 'content/link\.md:7:[0-9]+: link to a missing page' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
same_output "broken link"

broken "broken anchor" 'printf "+++\ntitle = \"x\"\n+++\n\n[prawo](instrukcja-realizacji-praw.md#nie-ma-takiej-kotwicy)\n" > content/kotwica.md'
expect_fail "a missing anchor fails with file:line" 'content/kotwica\.md:5:[0-9]+: link to a missing anchor' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
same_output "broken anchor"

broken "test anchors" 'printf "+++\ntitle = \"x\"\n+++\n\n[pytanie 2](kursy/komunikacja/test.toml#q2)\n\n[pytanie 99](kursy/komunikacja/test.toml#q99)\n" > content/pytania.md'
expect_fail "a link to a question the test does not have fails; #q2 does not" \
	'content/pytania\.md:7:[0-9]+: link to a missing anchor .#q99.' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "missing template" 'printf "+++\ntitle = \"x\"\nlayout = \"nie-ma\"\n+++\ntekst\n" > content/szablon.md'
expect_fail "a missing layout fails naming the file and template" 'content/szablon\.md: layout .nie-ma. not found \(themes/default/layouts/nie-ma\.mustache\)' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
same_output "missing template"

broken "missing partial" 'printf "{{>nie-ma-czesci}}\n" > themes/default/layouts/extra.mustache'
expect_fail "a missing partial fails with template file:line" 'themes/default/layouts/extra\.mustache:1: partial .nie-ma-czesci. not found' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "theme links a missing page" 'printf "<a href=\"/nie-ma-takiej/\">x</a>\n" >> themes/default/partials/page-meta.mustache'
expect_fail "a layout linking a missing local page fails naming page and layout" \
	"content/[^:]+\.md: the page \(its layout '[a-z-]+'\) links to /nie-ma-takiej/, which the site does not have" \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
same_output "theme links a missing page"

broken "invalid utf-8" 'printf "+++\ntitle = \"x\"\n+++\n\nzażółć\n\nb\377d\n" > content/utf.md'
expect_fail "invalid UTF-8 fails with file:line:col" 'content/utf\.md:7:2: invalid UTF-8' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
same_output "invalid utf-8"

broken "dotdot link" 'printf "+++\ntitle = \"x\"\n+++\n\n[hasła](../../../etc/passwd.md)\n" > content/kropki.md'
expect_fail "a '..' link out of content/ fails with file:line" 'content/kropki\.md:5:[0-9]+: link .* leaves content/' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
same_output "dotdot link"

broken "dotdot alias" 'printf "+++\ntitle = \"x\"\naliases = [\"/../../tmp/x/\"]\n+++\ntekst\n" > content/alias.md'
expect_fail "a '..' alias fails with file:line" 'content/alias\.md:3:[0-9]+: alias must be a path' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
same_output "dotdot alias"

broken "image without alt" 'printf "+++\ntitle = \"x\"\n+++\n\n![](obraz.png)\n" > content/obraz.md; cp themes/default/static/style.css content/obraz.png'
expect_fail "an image without alt text fails with file:line" 'content/obraz\.md:5:[0-9]+: image .* has no alt text' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "skipped heading" 'printf "+++\ntitle = \"x\"\n+++\n\n## A\n\n#### B\n" > content/naglowki.md'
expect_fail "a skipped heading level fails with file:line" 'content/naglowki\.md:7:1: heading level 4 follows level 2' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "duplicate id" 'printf "+++\ntitle = \"x\"\n+++\n\n## Zasady\n\ntekst\n\n## Zasady\n" > content/dwa.md'
expect_fail "duplicate heading ids fail with file:line" 'content/dwa\.md:9:1: duplicate id .zasady.' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "heading id clashes with theme" 'printf "+++\ntitle = \"x\"\n+++\n\n## Treść\n" > content/tresc.md'
expect_fail "a heading id that the theme also uses fails" "content/tresc\.md:5: duplicate id 'tresc'" \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "no title" 'printf "+++\nweight = 3\n+++\ntekst\n" > content/bez-tytulu.md'
expect_fail "a page without a title fails with file:line" "content/bez-tytulu\.md:1:1: missing 'title'" \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "image from another host" 'printf "+++\ntitle = \"x\"\n+++\n\n![logo](https://example.com/logo.png)\n" > content/obcy.md'
expect_fail "an image from another host fails" 'content/obcy\.md:5:[0-9]+: image from another host' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "single question with two answers" 'sed -i "0,/correct = false/s//correct = true/" content/kursy/komunikacja/test.toml'
expect_fail "a single-choice question with two correct answers fails" 'content/kursy/komunikacja/test\.toml:[0-9]+:[0-9]+: question 1 is "single" but has 2 correct' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

broken "control characters" 'printf "+++\ntitle = \"x\"\n+++\n\n[x](nie\033[31mma.md)\n" > content/esc.md'
expect_fail "control characters in a message are escaped" 'link to a missing page .nie\\x1b\[31mma\.md' \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
ok "no raw escape byte reaches the terminal" sh -c "! grep -q \"\$(printf '\\033')\" '$TMP/ef.log'"

broken "unknown shortcode" 'printf "+++\ntitle = \"x\"\n+++\n\nA {{< nieznany >}} B\n" > content/sc.md'
expect_fail "an unknown shortcode fails with file:line:col" "content/sc\.md:5:3: unknown shortcode 'nieznany'" \
	"$PORTAL" build --repo "$TMP/b" --out "$out"

# a form formd shows again with its errors needs its page: without one
# formd could not answer the form's mistakes (regression: this passed)
broken "contact form without its page" \
	'sed -i "s/^layout = \"form-contact\"\$/layout = \"page\"/" content/kontakt.md'
ok "...the contact page has lost its layout" sh -c "! grep -rq 'form-contact' '$TMP/b/content'"
line=$(grep -n '^contact = ' "$TMP/b/site.toml" | cut -d: -f1)
expect_fail "a [forms] key without a page of its layout fails naming site.toml's line" \
	"^portal: site\.toml:$line:1: forms\.contact = \"/kontakt/wyslij\" needs a page with layout form-contact, and none has it\$" \
	"$PORTAL" build --repo "$TMP/b" --out "$out"
expect_fail "...and portal check says the same" \
	"^portal: site\.toml:$line:1: forms\.contact = \"/kontakt/wyslij\" needs a page with layout form-contact, and none has it\$" \
	"$PORTAL" check --repo "$TMP/b"
broken "login form without its page" 'sed -i "s/^layout = \"form-login\"\$/layout = \"page\"/" content/konto/logowanie.md'
line=$(grep -n '^login = ' "$TMP/b/site.toml" | cut -d: -f1)
expect_fail "the login form without its page fails too" \
	"^portal: site\.toml:$line:1: forms\.login = \"/konto/logowanie\" needs a page with layout form-login, and none has it\$" \
	"$PORTAL" check --repo "$TMP/b"
broken "contact form turned off" 'sed -i "s/^layout = \"form-contact\"\$/layout = \"page\"/" content/kontakt.md && sed -i "s|^contact = .*|contact = \"\"|" site.toml'
ok "a form turned off (contact = \"\") needs no page" "$PORTAL" check --repo "$TMP/b"
same_output "all failures"

# check runs the checks without writing
broken "check" 'printf "+++\ntitle = \"x\"\n+++\n\n[zły](brak.md)\n" > content/c.md'
expect_fail "portal check reports a broken link" 'content/c\.md:5:[0-9]+: link to a missing page' \
	"$PORTAL" check --repo "$TMP/b"
ok "portal check passes on the demo site" "$PORTAL" check --repo "$site"
ok "portal check writes nothing" sh -c "cd '$TMP' && '$PORTAL' check --repo '$site' >/dev/null && ! test -e '$TMP/build'"
ok "portal build writes a .gz copy beside each HTML and CSS file" sh -c "'$PORTAL' build --repo '$site' --out '$TMP/gz' >/dev/null && test -f '$TMP/gz/public/index.html.gz' && test \$(find '$TMP/gz/public' -name '*.html' | wc -l) -eq \$(find '$TMP/gz/public' -name '*.html.gz' | wc -l)"
ok "...and --no-gzip none" sh -c "'$PORTAL' build --no-gzip --repo '$site' --out '$TMP/nogz' >/dev/null && test -f '$TMP/nogz/public/index.html' && test -z \"\$(find '$TMP/nogz' -name '*.gz')\""

# drafts are left out, aliases redirect
broken "draft and alias" 'printf "+++\ntitle = \"Szkic\"\ndraft = true\n+++\ntekst\n" > content/szkic.md; printf "+++\ntitle = \"Nowa\"\naliases = [\"/stara-strona/\"]\n+++\ntekst\n" > content/nowa.md'
ok "a site with a draft and an alias builds" "$PORTAL" build --repo "$TMP/b" --out "$TMP/o3"
ok "the draft is not published" test ! -e "$TMP/o3/public/szkic/index.html"
ok "the alias redirects to the new page" grep -q 'url=/nowa/' "$TMP/o3/public/stara-strona/index.html"

# --worktree builds what is not committed yet; the default build does not
printf '+++\ntitle = "Podgląd"\n+++\n\nNiezapisany tekst.\n' >"$TMP/b/content/podglad.md"
ok "--worktree builds uncommitted files" "$PORTAL" build --repo "$TMP/b" --worktree --out "$TMP/o4"
ok "the uncommitted page is in the preview" grep -q 'Niezapisany tekst' "$TMP/o4/public/podglad/index.html"
ok "a normal build reads the commit, not the work tree" "$PORTAL" build --repo "$TMP/b" --out "$TMP/o5"
ok "the uncommitted page is not in the commit build" test ! -e "$TMP/o5/public/podglad/index.html"

# a bare repository on a server builds the same
git clone -q --bare "$site" "$TMP/bare.git"
ok "a bare repository builds" "$PORTAL" build --repo "$TMP/bare.git" --out "$TMP/o6"
ok "the bare build equals the normal one" diff -r "$out" "$TMP/o6"

# a shallow clone would date pages wrongly: refused
(cd "$site" && printf '\nZMIANA-TESTOWA-42\n' >>content/regulamin.md && commit_all . "zmiana regulaminu" 2026-02-01T10:00:00+01:00)
git clone -q --depth 1 "file://$site" "$TMP/shallow"
expect_fail "a shallow clone is refused" 'shallow clone refused' "$PORTAL" build --repo "$TMP/shallow" --out "$TMP/o7"

# a --ref other than HEAD
ok "--ref builds an older commit" "$PORTAL" build --repo "$site" --ref HEAD~1 --out "$TMP/o8"
ok "the older commit has the older terms" sh -c "! grep -q 'ZMIANA-TESTOWA-42' '$TMP/o8/public/regulamin/index.html'"
ok "--help prints usage" sh -c "'$PORTAL' --help | grep -q 'portal build'"
expect_fail "a wrong option is a usage error" 'usage' "$PORTAL" build --nope

# site.toml's values that a document shows are part of it: a commit that
# changes one is a version of that document (history, archived version,
# comparison, change notice); a commit that changes a value it does not
# show is not; each archived version shows the values of its own commit
cs="$TMP/cfgsite"
demo_site "$cs"
sed -i 's/^accounts = ""/accounts = "5 lat"/' "$cs/site.toml"
commit_all "$cs" "Okres przechowywania kont" 2026-03-02T09:30:00+01:00
sed -i 's/^change_notice_days = 30/change_notice_days = 31/' "$cs/site.toml"
commit_all "$cs" "Dni powiadomienia" 2026-04-02T09:30:00+01:00
ok "a site with site.toml-only commits builds" "$PORTAL" build --repo "$cs" --out "$TMP/cs"
ok "a retention period changed in site.toml is a new version of the policy" \
	sh -c "test \$(ls '$TMP/cs/public/polityka-prywatnosci/wersje' | wc -l) -eq 2 && test -d '$TMP/cs/public/polityka-prywatnosci/wersje/2026-03-02-'*"
ok "...but not of the terms, which do not show it" sh -c "test \$(ls '$TMP/cs/public/regulamin/wersje' | wc -l) -eq 1"
ok "...and a value no document shows (change_notice_days) makes no version" \
	sh -c "! ls '$TMP/cs/public/polityka-prywatnosci/wersje' | grep -q 2026-04-02"
ok "the policy's first version shows no period (site.toml had none then)" \
	sh -c "! grep -q 'class=\"retention\"' '$TMP/cs/public/polityka-prywatnosci/wersje/2026-01-15-'*/index.html"
ok "...its new version and the live page show it" \
	sh -c "grep -q '5 lat' '$TMP/cs/public/polityka-prywatnosci/wersje/2026-03-02-'*/index.html && grep -q '5 lat' '$TMP/cs/public/polityka-prywatnosci/index.html'"
ok "...and the comparison marks it added" \
	sh -c "grep -q '<ins><span class=\"visually-hidden\">dodano: </span>Dane osobowe z konta' '$TMP/cs/public/polityka-prywatnosci/wersje/2026-03-02-'*/zmiany/index.html"
