#!/bin/sh
# formd end to end: the demo portal built, formd started on a free loopback
# port with the public site, HTTP round trips (tests/formd_check.py), the
# staff command line, signals, a tampered audit log, a newer database
# refused, and a kill -9 during a stream of POSTs.
. tests/lib.sh
FORMD="$ROOT/bin/formd"

site="$TMP/site"
demo_site "$site"
out="$TMP/out"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$out"
mkdir -p "$TMP/var"
db="$TMP/var/formd.sqlite"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# start_formd: formd in the background on a free port; sets $pid and $url
start_formd() {
	port=$(free_port)
	url="http://127.0.0.1:$port"
	# shellcheck disable=SC2086
	"$FORMD" --site "$out" --db "$db" --listen "127.0.0.1:$port" --serve-public ${DEV---dev} \
		--hash-workers 2 --post-rate 1000 "$@" 2>>"$TMP/formd.log" &
	pid=$!
	i=0
	until python3 -c "import urllib.request; urllib.request.urlopen('$url/')" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
			fail "formd started"
			cat "$TMP/formd.log" >&2
			return 1
		fi
		sleep 0.1
	done
}
trap 'kill $pid 2>/dev/null; rm -rf "$TMP"' EXIT

ok "formd --help prints usage" sh -c "'$FORMD' --help | grep -q 'formd --site DIR --db FILE'"
expect_fail "formd without options is a usage error" 'usage' "$FORMD"
expect_fail "a missing site folder is named" 'nie-ma: no such site folder' "$FORMD" --site "$TMP/nie-ma" --db "$db"
expect_fail "a missing database folder is named" 'missing or not writable' "$FORMD" --site "$out" --db "$TMP/brak/x.sqlite"

start_formd || exit 1
mkdir -p "$TMP/pages"
PAGES_DIR="$TMP/pages" python3 tests/formd_check.py "$url" "$FORMD" "$db" "$out" >"$TMP/check.log" 2>&1
rc=$?
ok "formd_check.py ran to its end" test $rc -eq 0
[ $rc -eq 0 ] || tail -20 "$TMP/check.log" >&2
grep -E '^(pass|fail) ' "$TMP/check.log" >>"$COUNTS"
grep -E '^fail ' "$TMP/check.log" >&2
grep -qE '^(pass|fail) ' "$TMP/check.log" || { fail "formd_check.py ran"; cat "$TMP/check.log" >&2; }

# the pages formd rendered: HTML, heads, browser checks
ok "formd kept the pages it rendered" sh -c "ls '$TMP'/pages/*.html | grep -q forum-thread"
check_kept_pages "$TMP/pages" "$out" "formd's"

# a reload keeps serving; a reload of a broken site keeps the old one
kill -HUP $pid
sleep 0.3
ok "after SIGHUP formd still answers" python3 -c "import urllib.request; urllib.request.urlopen('$url/kontakt/')"
ok "...and says it reloaded" grep -q 'reloaded' "$TMP/formd.log"
mv "$out/private/site.json" "$out/private/site.json.x"
kill -HUP $pid
sleep 0.3
ok "a failed reload is logged and the old site stays" sh -c "grep -q 'reload failed' '$TMP/formd.log' && python3 -c \"import urllib.request; urllib.request.urlopen('$url/kontakt/')\""
mv "$out/private/site.json.x" "$out/private/site.json"
kill -TERM $pid
wait $pid
ok "SIGTERM stops formd cleanly (exit 0)" test $? -eq 0

# the log: one line per request, no personal data
ok "each request is logged" grep -q 'POST /kontakt/wyslij 303' "$TMP/formd.log"
ok "the log holds no e-mail address typed into a form" sh -c "! grep -q 'jan@example.pl' '$TMP/formd.log'"

# the staff command line on what the web stored
ok "admin users stats counts by status" sh -c "'$FORMD' admin --db '$db' users stats | grep -q bezrobotna"
ok "admin contacts export writes CSV with a header" sh -c "'$FORMD' admin --db '$db' contacts export | head -1 | grep -q ','"
ok "the audit log verifies" "$FORMD" admin --db "$db" audit --verify
# tamper: change a record behind formd's back
python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DROP TRIGGER IF EXISTS audit_no_update")
for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'").fetchall():
    c.execute("DROP TRIGGER " + name)
c.execute("UPDATE audit SET actor='ktoś' WHERE id=(SELECT MIN(id)+1 FROM audit)")
c.commit()
PY
expect_fail "a changed audit record is detected" 'audit record [0-9]+' "$FORMD" admin --db "$db" audit --verify

# a database newer than this formd is refused with a clear message
cp "$db" "$TMP/var/newer.sqlite"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version=99'); c.commit()" "$TMP/var/newer.sqlite"
expect_fail "a newer database is refused" 'schema version 99' "$FORMD" --site "$out" --db "$TMP/var/newer.sqlite" --listen 127.0.0.1:1

# kill -9 during a stream of contact POSTs: every POST answered 303 is stored
start_formd --contact-rate 100000 || exit 1
python3 - "$url" "$TMP/answered" <<'PY' &
import http.client, sys, urllib.parse, time
url = urllib.parse.urlparse(sys.argv[1]); n = 0
with open(sys.argv[2], "w") as out:
    while n < 100000:
        n += 1
        body = urllib.parse.urlencode({"name": "Strumień", "email": "s@example.pl", "subject": "nr %d" % n, "message": "x"})
        try:
            c = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
            c.request("POST", "/kontakt/wyslij", body, {"Content-Type": "application/x-www-form-urlencoded", "Host": url.netloc, "Origin": sys.argv[1].rstrip("/")})
            r = c.getresponse(); r.read()
            if r.status == 303:
                out.write("nr %d\n" % n); out.flush()
        except Exception:
            break
PY
stream=$!
sleep 1.5
kill -9 $pid
wait $stream 2>/dev/null
wait $pid 2>/dev/null
ok "POSTs were answered before the kill" test -s "$TMP/answered"
start_formd || exit 1
kill -TERM $pid
wait $pid
ok "formd starts again after kill -9" true
python3 - "$db" "$TMP/answered" <<'PY' >"$TMP/kill.log" 2>&1
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
stored = {r[0] for r in c.execute("SELECT subject FROM contacts WHERE name='Strumień'")}
answered = [l.strip() for l in open(sys.argv[2]) if l.strip()]
missing = [a for a in answered if a not in stored]
print("answered", len(answered), "stored", len(stored), "missing", missing[:5])
print("integrity", c.execute("PRAGMA integrity_check").fetchone()[0])
sys.exit(1 if missing else 0)
PY
ok "every POST answered with success is in the database" sh -c "cat '$TMP/kill.log' >&2; grep -q 'missing \[\]' '$TMP/kill.log'"
ok "PRAGMA integrity_check is ok" grep -q 'integrity ok' "$TMP/kill.log"

# without --dev the session cookie is Secure
DEV= start_formd || exit 1
python3 - "$url" "$ROOT/bin/formd" "$db" >"$TMP/secure.log" 2>&1 <<'PY'
import sys
sys.path.insert(0, "tests")
from httpcheck import Site
site = Site(sys.argv[1], sys.argv[2], sys.argv[3])
s, h, tok = site.register({"first_name": "Ewa", "last_name": "Bezpieczna", "email": "ewa@example.pl",
    "status": "poszukujaca", "office": "sulechow", "password": "bardzo dlugie haslo",
    "password2": "bardzo dlugie haslo", "terms": "tak", "privacy": "tak"})
print(s, h.get("set-cookie"))
PY
ok "without --dev the session cookie is __Host-sesja, Secure" grep -q '^303 __Host-sesja=.*; Secure' "$TMP/secure.log"
cookie=$(sed -n 's/^303 \([^=]*\)=.*/\1/p' "$TMP/secure.log")
ok "the privacy policy's table of cookies names that very cookie ($cookie), and no other" sh -c "
	test -n '$cookie' && grep -q '<caption>Pliki cookies, które ustawia ten portal</caption>' '$out/public/polityka-prywatnosci/index.html' &&
	test \"\$(sed -n '/<table class=\"cookies\">/,/<\/table>/p' '$out/public/polityka-prywatnosci/index.html' | grep -o '<tr><td><code>[^<]*</code>')\" = '<tr><td><code>$cookie</code>'"
kill -TERM $pid
wait $pid
