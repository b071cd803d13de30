#!/bin/sh
# The pre-receive hook: a push that does not build is refused with
# file:line and leaves the live site alone; a push that builds is live.
. tests/lib.sh

work="$TMP/work"
demo_site "$work"
git clone -q --bare "$work" "$TMP/office.git"
cp scripts/hooks/pre-receive "$TMP/office.git/hooks/pre-receive"
git -C "$TMP/office.git" config okienko.portal "$PORTAL"
git -C "$TMP/office.git" config okienko.out "$TMP/live"
git -C "$work" remote add office "$TMP/office.git"
branch=$(git -C "$work" symbolic-ref --short HEAD)
git -C "$TMP/office.git" config okienko.branch "refs/heads/$branch"

printf '\nNowy akapit regulaminu: HOOK-OK-1.\n' >>"$work/content/regulamin.md"
commit_all "$work" "regulamin: nowy akapit" 2026-02-01T10:00:00+01:00
ok "a push that builds is accepted" git -C "$work" push -q office "$branch"
ok "...and its commit is live" grep -q 'HOOK-OK-1' "$TMP/live/public/regulamin/index.html"

printf '+++\ntitle = "Zły"\n+++\n\n[x](nie-ma.md)\n' >"$work/content/zly.md"
commit_all "$work" "zły link" 2026-02-02T10:00:00+01:00
expect_fail "a push that does not build is refused with file:line" \
	'content/zly\.md:5:[0-9]+: link to a missing page' git -C "$work" push office "$branch"
ok "...the branch on the server did not move" sh -c "! git -C '$TMP/office.git' log --format=%s -1 | grep -q 'zły link'"
ok "...and the live site is unchanged" sh -c "grep -q 'HOOK-OK-1' '$TMP/live/public/regulamin/index.html' && test ! -e '$TMP/live/public/zly'"
