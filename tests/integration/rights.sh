#!/bin/sh
# The data-protection rights end to end (issue 8): the demo portal with
# retention periods filled in, formd with its relay pointed at a real SMTP
# server on the loopback (tests/smtp_sink.py, Debian's python3-aiosmtpd),
# tests/rights_check.py over HTTP and through `formd admin`; then the relay
# down and back (nothing lost), and no relay at all (messages wait, staff
# see their links).
. tests/lib.sh
FORMD="$ROOT/bin/formd"

site="$TMP/site"
demo_site "$site"
sed -i -e 's/^accounts = ""/accounts = "1 rok"/' -e 's/^contacts = ""/contacts = "2 lata"/' \
	-e 's/^sessions = ""/sessions = "30 dni"/' -e 's/^outbox = ""/outbox = "6 miesięcy"/' "$site/site.toml"
ok "the test site fills four retention periods" sh -c "grep -c '^\(accounts\|contacts\|sessions\|outbox\) = \"[0-9]' '$site/site.toml' | grep -qx 4"
commit_all "$site" "retention periods"
out="$TMP/out"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$out"
mkdir -p "$TMP/var" "$TMP/mail"
db="$TMP/var/formd.sqlite"

# start_formd DB [OPTION...]: formd serving the site too; sets $pid and $url
start_formd() {
	sf_db=$1
	shift
	formd_up "$out" "$sf_db" --serve-public --dev --hash-workers 2 --post-rate 1000 "$@" || {
		fail "formd started"
		return 1
	}
	pid=$formd_pid url=$formd_url
}
trap 'kill $pid $sink_pid 2>/dev/null; rm -rf "$TMP"' EXIT

smtp_sink_up "$TMP/mail" || { fail "the SMTP server started"; exit 1; }
start_formd "$db" --smtp "smtp://127.0.0.1:$smtp_port" --smtp-plain --mail-from portal@example.pl \
	--mail-from-name "Kompetencje dla pracy" --mail-retry 1 --mail-poll 1 || exit 1
mkdir -p "$TMP/pages"
PAGES_DIR="$TMP/pages" python3 tests/rights_check.py "$url" "$FORMD" "$db" "$out" "$TMP/mail" >"$TMP/check.log" 2>&1
rc=$?
ok "rights_check.py ran to its end" test $rc -eq 0
[ $rc -eq 0 ] || tail -20 "$TMP/check.log" >&2
grep -E '^(pass|fail) ' "$TMP/check.log" >>"$COUNTS"
grep -E '^fail ' "$TMP/check.log" >&2

# the pages formd rendered: HTML, heads, browser checks
check_kept_pages "$TMP/pages" "$out" "rights"

# the relay down: the message waits with its error, and goes when the relay is back
kill $sink_pid
wait $sink_pid 2>/dev/null
before=$(ls "$TMP/mail"/*.eml | wc -l)
ok "a reset is asked for while the relay is down" python3 -c "
import urllib.request, urllib.parse
r = urllib.request.urlopen(urllib.request.Request('$url/konto/haslo', data=urllib.parse.urlencode({'email': 'anna.nowy@example.pl'}).encode(), headers={'Origin': '$url'}))
assert r.status == 200"
sleep 2
ok "...the message waits in the outbox with the relay's error" sh -c "'$FORMD' admin --db '$db' outbox | grep -A1 'waiting' | grep -q 'last error'"
smtp_sink_up "$TMP/mail" "$smtp_port" || fail "the SMTP server came back on its port"
ok "...and is delivered once the relay is back" sh -c "for i in \$(seq 1 300); do [ \$(ls '$TMP/mail'/*.eml | wc -l) -gt $before ] && exit 0; sleep 0.2; done; exit 1"
ok "...nothing is left waiting" sh -c "! '$FORMD' admin --db '$db' outbox | grep -q waiting"
kill $pid $sink_pid
wait $pid 2>/dev/null

# no relay at all: messages wait, and staff see their links
db2="$TMP/var/offline.sqlite"
start_formd "$db2" --public-url https://portal.example || exit 1
ok "a request is taken with no relay configured" python3 -c "
import urllib.request, urllib.parse
body = urllib.parse.urlencode({'name': 'Ewa', 'email': 'ewa@example.pl', 'right': 'dostep', 'scope': 'kopia', 'channel': 'email'}).encode()
r = urllib.request.urlopen(urllib.request.Request('$url/ochrona-danych/wniosek', data=body, headers={'Origin': '$url'}))
assert r.status == 200 and r.url.endswith('/wyslano')"
ok "...its e-mail waits, and formd admin outbox shows its link (at --public-url)" sh -c "'$FORMD' admin --db '$db2' outbox | grep -q 'https://portal.example/ochrona-danych/wniosek/potwierdz?t='"
ok "formd said at start that e-mails wait" grep -q "no --smtp relay" "$TMP/formd.log"
kill $pid
