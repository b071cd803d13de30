#!/bin/sh
# Running it at an office, on this machine: a bare repository with the
# hooks, releases (deploy/okienko-release), formd on the live link as its
# systemd unit runs it, and nginx (Debian's) on free loopback ports with
# the shipped server configuration (deploy/nginx/okienko.conf, its paths
# and ports replaced by sed). Pushes, a refused push, a rollback, formd's
# paths through nginx, gzip, headers, caching, a backup and its restore.
. tests/lib.sh
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
	formd_down
	rm -rf "$TMP"
}
trap cleanup EXIT
if [ ! -x "$NGINX" ] || ! command -v openssl >/dev/null || ! command -v sqlite3 >/dev/null; then
	fail "the deploy test needs nginx, openssl and sqlite3 (make deps-test installs them)"
	exit 1
fi
chmod 755 "$TMP" # nginx's workers (nobody) read the releases and the forum
srv="$TMP/srv"   # /srv/okienko
var="$TMP/var"   # /var/lib/okienko
repo="$srv/portal.git"
db="$var/formd.sqlite"
mkdir -p "$srv" "$var/forum"
RELEASE="$ROOT/deploy/okienko-release"

# get NAME PATH [fetch.py options]: through nginx (https); files $TMP/NAME.*
get() {
	g_name=$1 g_path=$2
	shift 2
	python3 "$ROOT/tests/fetch.py" "$site_url$g_path" "$TMP/$g_name" "$@"
}
status() { cat "$TMP/$1.status"; }
header() { sed -n "s/^$2: //p" "$TMP/$1.headers" | tr -d '\r'; }

# ---- the office's repository and hooks ---------------------------------------
work="$TMP/work"
demo_site "$work"
branch=$(git -C "$work" symbolic-ref --short HEAD)
git clone -q --bare "$work" "$repo"
cp scripts/hooks/pre-receive scripts/hooks/post-receive "$repo/hooks/"
git --git-dir="$repo" config okienko.portal "$PORTAL"
git --git-dir="$repo" config okienko.releases "$srv"
git --git-dir="$repo" config okienko.release "$RELEASE"
git --git-dir="$repo" config okienko.branch "refs/heads/$branch"
git --git-dir="$repo" config okienko.keep 3
git --git-dir="$repo" config okienko.pidfile "$TMP/formd.pid"
git -C "$work" remote add office "$repo"

expect_fail "okienko-release without a command is a usage error" 'release \[COMMIT\]' "$RELEASE" --repo "$repo"
expect_fail "okienko-release names a commit it does not know" 'nie-ma: no such commit' "$RELEASE" --repo "$repo" release nie-ma
ok "okienko-release release makes the first release live" "$RELEASE" --repo "$repo" release
ok "...the live link points at releases/<UTC time>-<commit>" sh -c "readlink '$srv/current' | grep -Eq '^releases/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}$'"
first=$(readlink "$srv/current")

# ---- formd as formd.service runs it: on the live link, sandboxed --------------
formd_up "$srv/current" "$db" --forum-dir "$var/forum" --trusted-proxy 127.0.0.1 \
	--require-sandbox --contact-rate 4 || exit 1
echo "$formd_pid" >"$TMP/formd.pid"
fport=${formd_url##*:}

# ---- nginx with the shipped configuration --------------------------------------
nginx_setup "$srv" "$var" "$fport" || { fail "the test's TLS certificate was made"; exit 1; }
port80=$site_port80
ok "the test's copy of the nginx configuration has every production path and port replaced" \
	sh -c "! grep -Eq '/srv/okienko|/var/lib/okienko|/etc/okienko|/var/log/nginx/okienko|:8081|listen (80|443)' '$TMP/nginx/okienko.conf'"
ok "nginx accepts the configuration (nginx -t)" "$NGINX" -t -q -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf"
nginx_start || { fail "nginx started"; exit 1; }

# ---- serving: headers, gzip, caching, the icon -----------------------------------
get home /
ok "the home page comes through nginx over TLS" grep -q 'Kompetencje dla pracy' "$TMP/home.body"
python3 tests/fetch.py "$formd_url/kontakt/wyslij" "$TMP/formd-direct"
csp=$(header home content-security-policy)
ok "Content-Security-Policy is formd's own, with frame-ancestors 'none'" sh -c "
	test -n \"$csp\" && test \"$csp\" = \"\$(sed -n 's/^content-security-policy: //p' '$TMP/formd-direct.headers' | tr -d '\r')\" &&
	echo \"$csp\" | grep -q \"frame-ancestors 'none'\""
ok "Strict-Transport-Security is sent" grep -qi '^strict-transport-security: max-age=31536000' "$TMP/home.headers"
for h in x-content-type-options:nosniff referrer-policy:same-origin "permissions-policy:camera=()" x-frame-options:DENY; do
	ok "header ${h%%:*}: ${h#*:}" grep -qi "^${h%%:*}: ${h#*:}" "$TMP/home.headers"
done
ok "nginx does not say its version" sh -c "! grep -qi '^server: nginx/' '$TMP/home.headers'"
python3 tests/fetch.py "http://127.0.0.1:$port80/kontakt/" "$TMP/http80"
ok "plain http is sent to https (301)" sh -c "test \"\$(cat '$TMP/http80.status')\" = 301 && grep -q '^location: https://' '$TMP/http80.headers'"

get gz /kontakt/ --gzip
get nogz /kontakt/
ok "a client that accepts gzip gets the .gz copy (Content-Encoding: gzip)" sh -c "
	grep -qi '^content-encoding: gzip' '$TMP/gz.headers' && cmp -s '$TMP/gz.body' '$srv/current/public/kontakt/index.html.gz'"
ok "...with Vary: Accept-Encoding" grep -qi '^vary: Accept-Encoding' "$TMP/gz.headers"
ok "a client that does not gets the page itself" sh -c "
	! grep -qi '^content-encoding' '$TMP/nogz.headers' && cmp -s '$TMP/nogz.body' '$srv/current/public/kontakt/index.html'"

css=$(grep -o 'rel="stylesheet" href="[^"]*"' "$TMP/nogz.body" | sed 's/.*href="//; s/"$//')
get css "$css" --gzip
ok "the page links a fingerprinted stylesheet ($css)" sh -c "echo '$css' | grep -Eq '^/style\\.[0-9a-f]{8}\\.css$' && test \"\$(cat '$TMP/css.status')\" = 200"
ok "...cached for a year, immutable" grep -qi '^cache-control: public, max-age=31536000, immutable' "$TMP/css.headers"
ok "...and gzipped" grep -qi '^content-encoding: gzip' "$TMP/css.headers"
ok "a page is not cached as immutable" sh -c "! grep -qi '^cache-control:.*immutable' '$TMP/nogz.headers'"
get ico /favicon.ico
ok "/favicon.ico is there (200, an icon)" sh -c "test \"\$(cat '$TMP/ico.status')\" = 200 && head -c 4 '$TMP/ico.body' | od -An -tx1 | grep -q '00 00 01 00'"
get private /../private/build.json
get private2 /private/build.json
ok "private/ is not served" sh -c "test \"\$(cat '$TMP/private.status')\" != 200 && test \"\$(cat '$TMP/private2.status')\" = 404"

get tok "/kontakt/?t=TOKEN-NOT-LOGGED"
ok "the access log keeps the visitor's address cut to its /24, and no query string" sh -c "
	grep -q '^127\.0\.0\.0 \[.*\] \"GET /kontakt/ HTTP/1\.1\" 200 [0-9]*$' '$TMP/nginx/okienko-access.log' &&
	! grep -q '127\.0\.0\.1\|TOKEN-NOT-LOGGED' '$TMP/nginx/okienko-access.log'"

# ---- formd through nginx -------------------------------------------------------------
get contact /kontakt/wyslij --post 'name=Ewa+Wdro%C5%BCenie&email=ewa%40example.pl&subject=DEPLOY-CONTACT-1&message=Dzie%C5%84+dobry.'
ok "a contact POST through nginx is answered by formd (303)" sh -c "test \"\$(cat '$TMP/contact.status')\" = 303"
ok "...and stored (formd admin contacts)" sh -c "'$ROOT/bin/formd' admin --db '$db' contacts | grep -q 'DEPLOY-CONTACT-1'"
get thanks "$(header contact location | sed 's|^https\?://[^/]*||')"
ok "...the thank-you page comes from formd through nginx" sh -c "test \"\$(cat '$TMP/thanks.status')\" = 200"
# a browser sends Origin with the port it was given: formd must see the Host
# the browser used, port included, or every form is refused as cross-site
get origin /konto/logowanie --header "Origin=$site_url" --post 'email=&password='
ok "a browser's POST through nginx on a port other than 443 is taken as same-site (422, not 403)" sh -c "test \"\$(cat '$TMP/origin.status')\" = 422"
get foreign /konto/logowanie --header "Origin=https://example.com" --post 'email=&password='
ok "...and one from another site is still refused (403)" sh -c "test \"\$(cat '$TMP/foreign.status')\" = 403"
# nginx sets X-Real-IP from the connection: a visitor's own header changes nothing
statuses=""
for ip in 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4; do
	get spoof /kontakt/wyslij --header "X-Real-IP=$ip" --post 'name=Ewa&email=ewa%40example.pl&subject=x&message=y'
	statuses="$statuses$(status spoof) "
done
ok "a visitor's own X-Real-IP is replaced by nginx: the 5th message is limited ($statuses)" test "$statuses" = "303 303 303 429 "
get big /kontakt/wyslij --post-size 70000
ok "a body over formd's limit gets 413 from nginx (client_max_body_size)" sh -c "test \"\$(cat '$TMP/big.status')\" = 413"
ok "...and nginx's limit is formd's --max-body default" sh -c "grep -q 'client_max_body_size 64k;' deploy/nginx/okienko.conf && grep -q 'ho = {\"127.0.0.1:8080\", NULL, NULL, 65536,' formd/main.c"

# every path formd answers reaches it through nginx: the same status and body
paths=$(sed -n '/^\[forms\]/,/^\[/s/^[a-z]* = "\(.*\)"$/\1/p' "$work/site.toml")
for p in $paths /konto/witaj /kontakt/wyslij/dziekujemy /konto/moje-dane/wydruk /konto/moje-dane/dane.json /certyfikat/ABCD-EFGH-JKMN-PQRS \
	/konto/moje-dane/popraw /konto/moje-dane/email /konto/moje-dane/email/potwierdz /konto/moje-dane/ograniczenie \
	/konto/moje-dane/sprzeciw /konto/moje-dane/usun /konto/haslo/nowe /ochrona-danych/wniosek/wyslano \
	/ochrona-danych/wniosek/potwierdz; do
	get via "$p"
	python3 tests/fetch.py "$formd_url$p" "$TMP/direct"
	ok "$p: nginx passes it to formd" sh -c "test \"\$(cat '$TMP/via.status')\" = \"\$(cat '$TMP/direct.status')\" && cmp -s '$TMP/via.body' '$TMP/direct.body' && ! grep -q '<title>Nie ma takiej strony' '$TMP/via.body'"
done
course=$(ls "$var/forum/kursy" | head -1)
get forum "/kursy/$course/forum/"
ok "a course forum's page (formd's folder) comes through nginx" sh -c "test -n '$course' && cmp -s '$TMP/forum.body' '$var/forum/kursy/$course/forum/index.html'"

# ---- releases on git push ------------------------------------------------------------
commit_id() { sed -n 's/.*<meta name="okienko-commit" content="\([0-9a-f]*\)">.*/\1/p' "$TMP/$1.body"; }
printf '\nNowy akapit regulaminu: DEPLOY-OK-2.\n' >>"$work/content/regulamin.md"
commit_all "$work" "regulamin: nowy akapit" 2026-02-01T10:00:00+01:00
second=$(git -C "$work" rev-parse HEAD)
ok "a push that builds is accepted" git -C "$work" push -q office "$branch"
ok "...it is a new release, and live" sh -c "test \"\$(readlink '$srv/current')\" != '$first' && '$RELEASE' --repo '$repo' list | grep -q '^\\* .*-$(echo "$second" | cut -c1-12)$'"
get terms /regulamin/
ok "...the new page comes through nginx" grep -q 'DEPLOY-OK-2' "$TMP/terms.body"
sleep 0.3
get form /kontakt/wyslij --post 'name=&email=&subject=&message='
ok "...formd reloaded: the pages it renders are the new commit's" sh -c "test \"\$(cat '$TMP/form.status')\" = 422 && test \"\$(sed -n 's/.*name=\"okienko-commit\" content=\"\\([0-9a-f]*\\)\".*/\\1/p' '$TMP/form.body')\" = '$second'"
ok "...and formd said so" grep -q 'reloaded' "$TMP/formd.log"

printf '+++\ntitle = "Zły"\n+++\n\n[x](nie-ma.md)\n' >"$work/content/zly.md"
commit_all "$work" "zły link" 2026-02-02T10:00:00+01:00
nrel=$(ls "$srv/releases" | grep -c .)
expect_fail "a push that does not build is refused with file:line" \
	'content/zly\.md:5:[0-9]+: link to a missing page' git -C "$work" push office "$branch"
ok "...the branch on the server did not move" test "$(git --git-dir="$repo" rev-parse "refs/heads/$branch")" = "$second"
get terms2 /regulamin/
get bad /zly/
ok "...the live site is unchanged" sh -c "grep -q 'DEPLOY-OK-2' '$TMP/terms2.body' && test \"\$(cat '$TMP/bad.status')\" = 404"
ok "...and no release was made" test "$(ls "$srv/releases" | grep -c .)" = "$nrel"
git -C "$work" reset -q --hard HEAD~1

ok "okienko-release rollback makes the release before live again" "$RELEASE" --repo "$repo" rollback
get terms3 /regulamin/
ok "...the old page comes through nginx" sh -c "test \"\$(cat '$TMP/terms3.status')\" = 200 && ! grep -q 'DEPLOY-OK-2' '$TMP/terms3.body'"
ok "...the live link is the first release" test "$(readlink "$srv/current")" = "$first"
sleep 0.3
get form2 /kontakt/wyslij --post 'name=&email=&subject=&message='
ok "...and formd renders with it" sh -c "test \"\$(sed -n 's/.*name=\"okienko-commit\" content=\"\\([0-9a-f]*\\)\".*/\\1/p' '$TMP/form2.body')\" = \"\$(git --git-dir='$repo' rev-parse '$branch~1')\""
expect_fail "there is nothing before the first release to roll back to" 'no release before' "$RELEASE" --repo "$repo" rollback

ok "okienko-release release (the branch) makes the newest commit live again" "$RELEASE" --repo "$repo" release
ok "okienko-release rebuild builds the live commit again" "$RELEASE" --repo "$repo" rebuild
ok "okienko-release rebuild, once more" "$RELEASE" --repo "$repo" rebuild
"$RELEASE" --repo "$repo" list >"$TMP/list"
ok "only okienko.keep (3) releases are kept, the live one marked" sh -c "test \$(grep -c . '$TMP/list') -eq 3 && grep -c '^\\* ' '$TMP/list' | grep -qx 1 && grep -q '^\\* .*-$(echo "$second" | cut -c1-12)$' '$TMP/list'"
ok "...all of them the newest commit's, the first one gone" sh -c "! grep -q '$(basename "$first")' '$TMP/list'"
get terms4 /regulamin/
ok "...and the site is the newest commit's" grep -q 'DEPLOY-OK-2' "$TMP/terms4.body"

# ---- backup and restore -----------------------------------------------------------------
ok "a backup of the database while formd runs (sqlite3 .backup)" sqlite3 "$db" ".backup '$TMP/backup.sqlite'"
ok "...the backup is whole" sh -c "test \"\$(sqlite3 '$TMP/backup.sqlite' 'PRAGMA integrity_check')\" = ok"
ok "...and its audit log verifies" "$ROOT/bin/formd" admin --db "$TMP/backup.sqlite" audit --verify
tar -C "$var" -cf "$TMP/forum.tar" forum
formd_down
rm -rf "$var"/formd.sqlite* "$var/forum"
ok "restore: the database and the forum folder put back" sh -c "cp '$TMP/backup.sqlite' '$db' && tar -C '$var' -xf '$TMP/forum.tar'"
formd_up "$srv/current" "$db" --forum-dir "$var/forum" --trusted-proxy 127.0.0.1 --require-sandbox || exit 1
echo "$formd_pid" >"$TMP/formd.pid"
ok "...formd starts on it and holds the message sent before" sh -c "'$ROOT/bin/formd' admin --db '$db' contacts | grep -q 'DEPLOY-CONTACT-1'"
fport2=${formd_url##*:}
ok "...and runs sandboxed (no 'without a sandbox' in its log)" sh -c "! grep -q 'without a sandbox' '$TMP/formd.log'"

# ---- the systemd units -----------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	systemd-analyze security --offline=yes deploy/systemd/formd.service 2>&1 | tail -1 >"$TMP/score"
	level=$(sed -n 's/.*formd.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$TMP/score")
	ok "formd.service: systemd-analyze security says OK or better ($level)" sh -c "echo '$level' | grep -Eq ' (OK|SAFE|PERFECT)$'"
	ok "...the figure in the unit's comment is the measured one" grep -q "formd.service: $level" deploy/systemd/formd.service
	ok "the units are valid (systemd-analyze verify, commands aside)" sh -c "
		systemd-analyze verify deploy/systemd/*.service deploy/systemd/*.timer deploy/systemd/*.path 2>&1 |
		grep -v 'is not executable: No such file or directory' | grep . && exit 1 || exit 0"
else
	fail "systemd-analyze is there to score formd.service"
fi
ok "formd.service runs formd on the live link, behind nginx, sandboxed" sh -c "
	grep -q -- '--site /srv/okienko/current' deploy/systemd/formd.service &&
	grep -q -- '--trusted-proxy 127.0.0.1 --require-sandbox' deploy/systemd/formd.service &&
	grep -q 'proxy_pass http://127.0.0.1:8081;' deploy/nginx/okienko.conf &&
	grep -q -- '--listen 127.0.0.1:8081' deploy/systemd/formd.service"
