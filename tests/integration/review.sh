#!/bin/sh
# Regressions from the outside review of the generator (issue 6): each case
# failed, or passed when it should not have, before its fix.
. tests/lib.sh

site="$TMP/site"
demo_site "$site"
out="$TMP/out"
ok "the demo site builds" "$PORTAL" build --repo "$site" --out "$out"

# broken NAME 'commands': a clone of the demo site, changed and committed
broken() {
	name=$1
	shift
	rm -rf "$TMP/b"
	git clone -q "$site" "$TMP/b"
	(cd "$TMP/b" && sh -c "$*")
	commit_all "$TMP/b" "review: $name" 2026-01-16T10:00:00+01:00
}
# offices live in content/urzedy/ (a page elsewhere with [office] read past
# its path's end and gave an office without a slug)
cat >"$TMP/office.md" <<'EOT'
+++
title = "ab"
[office]
kind = "filia"
name = "Filia"
street = "ul. A 1"
postal_code = "00-001"
city = "X"
+++
tekst
EOT
broken "office outside urzedy" "cp '$TMP/office.md' content/ab.md"
expect_fail "an office outside content/urzedy/ fails with file:line" \
	'content/ab\.md:3:1: an office page must be a file directly in content/urzedy/' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"
broken "office below urzedy" "mkdir -p content/urzedy/x && cp '$TMP/office.md' content/urzedy/x/ab.md"
expect_fail "an office in a subfolder of content/urzedy/ fails" \
	'content/urzedy/x/ab\.md:3:1: an office page must be a file directly' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"

# two sources of one output file fail the build, naming both
broken "theme file over a page" 'mkdir -p themes/default/static/regulamin && echo x > themes/default/static/regulamin/index.html'
expect_fail "a theme static file over a page fails naming both" \
	'themes/default/static/regulamin/index\.html: public/regulamin/index\.html would be written twice: here and by content/regulamin\.md' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"
broken "content file over a page" 'mkdir -p content/regulamin && echo x > content/regulamin/index.html'
expect_fail "a content static file over a page fails naming both" \
	'content/regulamin/index\.html: public/regulamin/index\.html would be written twice: here and by content/regulamin\.md' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"
broken "aliases differing by a slash" 'printf "+++\ntitle = \"x\"\naliases = [\"/stary\", \"/stary/\"]\n+++\ntekst\n" > content/nowy.md'
expect_fail "two aliases for one path fail naming both places" \
	'content/nowy\.md:3:[0-9]+: public/stary/index\.html would be written twice: here and by content/nowy\.md:3:[0-9]+' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"
broken "alias over a page" 'printf "+++\ntitle = \"x\"\naliases = [\"/regulamin/\"]\n+++\ntekst\n" > content/nowy.md'
expect_fail "an alias over a page fails" \
	'content/nowy\.md:3:[0-9]+: public/regulamin/index\.html would be written twice: here and by content/regulamin\.md' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"
broken "content file over the sitemap" 'echo x > content/sitemap.xml'
expect_fail "a content file over a generated file fails" \
	'content/sitemap\.xml: public/sitemap\.xml would be written twice: here and by the sitemap' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"
broken "page over a section" 'mkdir -p content/regulamin && printf "+++\ntitle = \"x\"\n+++\ntekst\n" > content/regulamin/_index.md'
expect_fail "two pages with one URL fail naming both" \
	'public/regulamin/index\.html would be written twice' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"

# the same commit always reports the same error, whatever --jobs is
broken "two broken pages" 'printf "+++\ntitle = \"a\"\n+++\n\n[x](brak-a.md)\n" > content/aaa.md; printf "+++\ntitle = \"z\"\n+++\n\n[x](brak-z.md)\n" > content/zzz.md'
msgs="$TMP/msgs"
: >"$msgs"
for j in 1 2 3 4 8 1 2 3 4 8 2 2 2 2 2 8 8 8 8 8; do
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1" --jobs $j 2>&1 | head -1 >>"$msgs"
done
ok "twenty builds with 1 to 8 threads report one message" test "$(sort -u "$msgs" | wc -l)" -eq 1
ok "...the first broken file's" grep -q 'content/aaa\.md:5:[0-9]*: link to a missing page' "$msgs"

# every id is checked, however many a page has
broken "many ids" 'sed -i "s/^unsafe_html = false/unsafe_html = true/" site.toml; { printf "+++\ntitle = \"x\"\n+++\n\n<p>"; i=0; while [ $i -lt 5000 ]; do printf "<i id=\"i%d\"></i>" $i; i=$((i + 1)); done; printf "<b id=\"i4999\"></b></p>\n"; } > content/idy.md'
expect_fail "a duplicate id after 5000 others fails" "content/idy\.md: duplicate id 'i4999'" \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"

# a preview refuses what a commit build refuses, with the same message
rm -rf "$TMP/b" && git clone -q "$site" "$TMP/b"
printf '+++\ntitle = "x"\n+++\ntekst\n' >"$TMP/b/content/.ukryty.md"
expect_fail "--worktree refuses a hidden file" 'content/\.ukryty\.md: bad file name' \
	"$PORTAL" build --repo "$TMP/b" --worktree --out "$TMP/o1"
git -C "$TMP/b" add -A && git -C "$TMP/b" commit -qm hidden
expect_fail "...as the commit build does" 'content/\.ukryty\.md: bad file name' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"
rm -rf "$TMP/b" && git clone -q "$site" "$TMP/b"
ln -s regulamin.md "$TMP/b/content/dowiazanie.md"
expect_fail "--worktree refuses a symbolic link" 'content/dowiazanie\.md: symbolic links are not content' \
	"$PORTAL" build --repo "$TMP/b" --worktree --out "$TMP/o1"
git -C "$TMP/b" add -A && git -C "$TMP/b" commit -qm link
expect_fail "...as the commit build does" 'content/dowiazanie\.md: symbolic links are not content' \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"

# relative links name files beside the Markdown file; content may link the theme's files
broken "image beside its page" 'cp themes/default/static/style.css content/obraz.png; printf "+++\ntitle = \"x\"\n+++\n\n![Obraz](obraz.png)\n\n[arkusz](/style.css)\n" > content/zla.md'
ok "an image beside its Markdown file builds" "$PORTAL" build --repo "$TMP/b" --out "$TMP/o2"
ok "...and points at the file" grep -q 'src="/obraz.png"' "$TMP/o2/public/zla/index.html"
ok "a link to a theme file builds" grep -q 'href="/style.css"' "$TMP/o2/public/zla/index.html"
broken "image one folder off" 'cp themes/default/static/style.css content/obraz.png; mkdir -p content/d; printf "+++\ntitle = \"x\"\n+++\n\n![Obraz](obraz.png)\n" > content/d/zla.md'
expect_fail "an image named relative to the page URL, not the file, fails" \
	"content/d/zla\.md:5:[0-9]+: link to a missing file 'obraz\.png' \(no content/d/obraz\.png" \
	"$PORTAL" build --repo "$TMP/b" --out "$TMP/o1"

# past versions of announced documents, with comparisons, linked from the history
(cd "$site" && sed -i '0,/Administrator/s//Administrator (zmiana testowa)/' content/polityka-prywatnosci.md &&
	commit_all . "polityka: zmiana testowa" 2026-02-01T10:00:00+01:00)
ok "a site with two versions of the policy builds" "$PORTAL" build --repo "$site" --out "$TMP/o3"
v=$(ls "$TMP/o3/public/polityka-prywatnosci/wersje/")
ok "each version has a page" test "$(echo "$v" | wc -l)" -eq 2
new=$(echo "$v" | sort | tail -1)
ok "the newer version has a comparison with ins" grep -q '<ins><span class="visually-hidden">dodano: </span>(zmiana testowa)</ins>' "$TMP/o3/public/polityka-prywatnosci/wersje/$new/zmiany/index.html"
ok "the history links every version" sh -c "for d in $(echo $v); do grep -q \"/polityka-prywatnosci/wersje/\$d/\" '$TMP/o3/public/polityka-prywatnosci/historia/index.html' || exit 1; done"
ok "the history shows no developer's commit message" sh -c "! grep -q 'polityka: zmiana testowa' '$TMP/o3/public/polityka-prywatnosci/historia/index.html'"
ok "...but a neutral Polish line instead" grep -q 'Zmiana treści dokumentu.' "$TMP/o3/public/polityka-prywatnosci/historia/index.html"
ok "versions are not in the sitemap" sh -c "! grep -q wersje '$TMP/o3/public/sitemap.xml'"
ok "versions say noindex" grep -q 'name="robots" content="noindex"' "$TMP/o3/public/polityka-prywatnosci/wersje/$new/index.html"
ok "private/documents.json lists the versions by commit" \
	grep -q "\"commit\": \"$(git -C "$site" rev-parse HEAD)\"" "$TMP/o3/private/documents.json"

(cd "$site" && sed -i 's/^weight = 15$/weight = 16/' content/regulamin.md &&
	commit_all . "regulamin: tylko kolejność" 2026-02-02T10:00:00+01:00)
ok "a change of the front matter only builds" "$PORTAL" build --repo "$site" --out "$TMP/o4"
ok "...and its comparison says the text did not change" \
	sh -c "grep -l 'cmp-none' '$TMP'/o4/public/regulamin/wersje/*/zmiany/index.html | grep -q ."

# what formd reads: the theme and the frames
ok "private/theme/ holds the layouts" test -s "$out/private/theme/layouts/form-register.mustache"
ok "private/theme/ holds the strings" test -s "$out/private/theme/strings.toml"
ok "private/site.json holds the site frame" grep -q '"forms"' "$out/private/site.json"
ok "private/pages.json holds the registration form's frame" grep -q '"/konto/rejestracja/"' "$out/private/pages.json"
