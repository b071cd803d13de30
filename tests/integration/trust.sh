#!/bin/sh
# Issue 12's security findings, each proved fixed over HTTP against the real
# daemon (tests/trust_check.py; a test per finding, named after it, and a
# concurrency test for every limit): formd behind --trusted-proxy 127.0.0.1
# so that each test speaks from its own X-Real-IP, small limits, its relay a
# real SMTP server on the loopback (tests/smtp_sink.py). Then formd without
# --dev (the cookie), under OKIENKO_NOW (due dates), a site whose contact
# page lost its layout (refused at start), and SIGTERM under a burst of
# logins.
#
# Covered elsewhere, not repeated here: the full rate-limit table never
# forgives a penalty (finding 5, tests/unit/test_ratelimit.c); `portal build`
# refusing a contact page of layout "page" (finding 14, tests/integration/
# build.sh, and sitedata_load in tests/unit/test_pages.c); Expect:
# 100-continue and the request deadline (findings 10 and 12,
# tests/integration/hardening.sh); forum pages off the request threads
# (finding 11, tests/unit/test_forum.c and make bench-formd).
. tests/lib.sh
FORMD="$ROOT/bin/formd"

site="$TMP/site"
demo_site "$site"
out="$TMP/out"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$out"
mkdir -p "$TMP/var" "$TMP/mail"
trap 'kill $formd_pid $sink_pid 2>/dev/null; rm -rf "$TMP"' EXIT

# run_check LABEL MODE ARG...: tests/trust_check.py MODE, its pass/fail lines counted
run_check() {
	rc_label=$1
	shift
	python3 tests/trust_check.py "$@" >"$TMP/check.log" 2>&1
	rc=$?
	ok "trust_check.py $rc_label ran to its end" test $rc -eq 0
	[ $rc -eq 0 ] || tail -20 "$TMP/check.log" >&2
	grep -E '^(pass|fail) ' "$TMP/check.log" >>"$COUNTS"
	grep -E '^fail ' "$TMP/check.log" >&2
	grep -qE '^(pass|fail) ' "$TMP/check.log" || fail "trust_check.py $rc_label checked something"
}

# sanitizers_quiet LABEL: nothing from ASan/UBSan in formd's log
sanitizers_quiet() {
	ok "$1: the sanitizers said nothing" sh -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' '$TMP/formd.log'"
}

# --- the main run: small limits, a relay, and formd's clock pinned
# (OKIENKO_NOW), so that no limit's window or back-off can pass during a
# burst: "at most the allowance" holds exactly, however slow the machine
smtp_sink_up "$TMP/mail" || { fail "the SMTP server started"; exit 1; }
db="$TMP/var/formd.sqlite"
export OKIENKO_NOW="2026-06-15 12:00"
formd_up "$out" "$db" --dev --hash-workers 2 --trusted-proxy 127.0.0.1 \
	--contact-rate 3 --register-rate 4 --post-rate 3 \
	--smtp "smtp://127.0.0.1:$smtp_port" --smtp-plain --mail-from portal@example.pl \
	--mail-retry 1 --mail-poll 1 || { fail "formd started"; exit 1; }
unset OKIENKO_NOW
run_check main main "$formd_url" "$FORMD" "$db" "$out" "$TMP/mail"
formd_down
sanitizers_quiet "the main run"
kill $sink_pid 2>/dev/null

# --- due dates on the office's calendar (finding 16): received 31.01 00:30
# and 15.10 00:30 Warsaw time (still the day before in UTC); the first
# instance, without --dev, also shows the production cookie (finding 12)
for pin in "2026-01-31 00:30=28.02.2026" "2026-10-15 00:30=15.11.2026"; do
	now=${pin%=*} want=${pin#*=}
	ddb="$TMP/var/due-$want.sqlite"
	OKIENKO_NOW="$now" formd_up "$out" "$ddb" --trusted-proxy 127.0.0.1 ||
		{ fail "formd started (OKIENKO_NOW=$now)"; continue; }
	OKIENKO_NOW="$now" run_check "due $want" due "$formd_url" "$FORMD" "$ddb" "$want"
	[ "$want" = 28.02.2026 ] && run_check cookie cookie "$formd_url" "$FORMD" "$ddb"
	formd_down
done

# --- a built site whose contact page lost its form layout (finding 14):
# formd refuses to start, naming the gap (portal build refuses it before:
# tests/integration/build.sh)
bad="$TMP/bad-out"
cp -r "$out" "$bad"
python3 - "$bad/private/pages.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for v in p.values():
    if v.get("layout") == "form-contact":
        v["layout"] = "page"
json.dump(p, open(sys.argv[1], "w"))
PY
ok "finding_14_form_without_page_refused: the edited site has no form-contact page" \
	sh -c "! grep -q '\"form-contact\"' '$bad/private/pages.json'"
expect_fail "finding_14_form_without_page_refused: formd refuses to start on it, naming the form" \
	'forms\.contact = "/kontakt/wyslij" needs a page with layout form-contact' \
	timeout 20 "$FORMD" --site "$bad" --db "$TMP/var/bad.sqlite" --listen "127.0.0.1:$(free_port)"

# --- SIGTERM while ~100 logins are under way, the hashes among them
# waiting for one hashing worker (finding 13): exit 0, every request
# answered, nothing from the sanitizers. The logins are for four accounts,
# so at most 4 x 5 are hashed (the others 429 at once): enough suspended
# connections at the stop, and a bounded run (tests/integration/
# hardening.sh has 150 logins for 150 accounts)
: >"$TMP/formd.log"
formd_up "$out" "$TMP/var/stop.sqlite" --hash-workers 1 --trusted-proxy 127.0.0.1 ||
	{ fail "formd started (burst)"; exit 1; }
rm -f "$TMP/sent"
python3 tests/trust_check.py stop "$formd_url" "$TMP/sent" >"$TMP/burst.log" 2>&1 &
burst=$!
i=0
until [ -s "$TMP/sent" ] || [ $i -gt 300 ]; do
	i=$((i + 1))
	sleep 0.1
done
ok "finding_13_sigterm_under_load: the burst was sent" test -s "$TMP/sent"
kill -TERM "$formd_pid"
wait "$formd_pid"
rc=$?
formd_pid=
wait "$burst"
grep -E '^(pass|fail) ' "$TMP/burst.log" >>"$COUNTS"
grep -E '^fail ' "$TMP/burst.log" >&2
grep -qE '^(pass|fail) ' "$TMP/burst.log" || { fail "finding_13_sigterm_under_load: the burst reported"; cat "$TMP/burst.log" >&2; }
ok "finding_13_sigterm_under_load: formd exits 0 ($rc)" test "$rc" -eq 0
ok "finding_13_sigterm_under_load: ...libmicrohttpd did not abort" sh -c "! grep -q 'Fatal' '$TMP/formd.log'"
sanitizers_quiet "finding_13_sigterm_under_load"
