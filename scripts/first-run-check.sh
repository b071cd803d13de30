#!/bin/sh
# The README's first command on a fresh clone: `make run` (with PORT set to
# a free loopback port) must build everything, serve the home page (200)
# and take a contact message (303). Then it is stopped, its whole process
# group, and what it made (var/, build/site) is removed, so `make test`
# after it starts from the clean tree. Exits non-zero, saying why, on any
# failure. .ci/run calls it before `make test`.
#
#   FIRST_RUN_WAIT     seconds to wait for the port (default 300: the first
#                      make installs what is missing and builds everything)
#   FIRST_RUN_TIMEOUT  seconds for the whole check (default 600), after
#                      which it is stopped and fails
set -eu
cd "$(dirname "$0")/.."

# the hard limit: the check runs again under timeout(1), whose TERM the
# trap below turns into an orderly stop of `make run`
if [ -z "${FIRST_RUN_INNER:-}" ]; then
	FIRST_RUN_INNER=1 timeout -k 20 "${FIRST_RUN_TIMEOUT:-600}" sh "$0" "$@" && exit 0
	rc=$?
	[ $rc -eq 124 ] && echo "first-run: FAIL: not done within ${FIRST_RUN_TIMEOUT:-600} s" >&2
	exit $rc
fi

wait_s=${FIRST_RUN_WAIT:-300}
say() { echo "first-run: $*"; }
die() {
	echo "first-run: FAIL: $*" >&2
	exit 1
}

# var/ holds the database of an earlier `make run`: never touch it
[ ! -e var ] || die "var/ exists (formd's database of an earlier make run); run this on a fresh clone"
made_site=1
[ ! -e build/site ] || made_site=""

log=$(mktemp -d)
pgid=""
stop() {
	if [ -n "$pgid" ]; then
		kill -TERM "-$pgid" 2>/dev/null || true
		i=0
		while kill -0 "-$pgid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "-$pgid" 2>/dev/null; then
			echo "first-run: make run did not stop on TERM within 5 s: killed" >&2
			kill -KILL "-$pgid" 2>/dev/null || true
		fi
		pgid=""
	fi
}
cleanup() {
	rc=$?
	stop
	rm -rf var
	[ -z "$made_site" ] || rm -rf build/site
	rm -rf "$log"
	exit $rc
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# the free port and the requests need python3, which `make run` installs
# when it is missing; install it first then
command -v python3 >/dev/null 2>&1 || sh scripts/deps.sh build
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()') ||
	die "no free port on 127.0.0.1"
url="http://127.0.0.1:$port"

say "PORT=$port make run (output: make-run.log, shown on failure)"
# its own process group (setsid), so that stopping it stops make, run.sh
# and formd together
PORT=$port setsid make run </dev/null >"$log/make-run.log" 2>&1 &
pgid=$!

show_log() {
	echo "first-run: the last lines of make run's output:" >&2
	tail -n 40 "$log/make-run.log" | sed 's/^/    /' >&2
}

# fetch PATH NAME [fetch.py option...]: the answer in $log/NAME.status etc.
fetch() {
	f_path=$1 f_name=$2
	shift 2
	python3 tests/fetch.py "$url$f_path" "$log/$f_name" "$@" 2>"$log/$f_name.err"
}

t0=$(date +%s)
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null; do
	if ! kill -0 "$pgid" 2>/dev/null; then
		wait "$pgid" && rc=0 || rc=$?
		pgid=""
		show_log
		die "make run exited ($rc) before $url answered"
	fi
	if [ $(($(date +%s) - t0)) -ge "$wait_s" ]; then
		show_log
		die "$url did not answer within $wait_s s"
	fi
	sleep 0.5
done
say "$url answers after $(($(date +%s) - t0)) s"

fetch / home || { show_log; die "GET / failed: $(cat "$log/home.err")"; }
status=$(cat "$log/home.status")
[ "$status" = 200 ] || { show_log; die "GET / answered $status, not 200"; }
grep -q '<html' "$log/home.body" || die "GET / answered 200 without an HTML page"
say "GET / 200"

# the contact form's path, from site.toml [forms]
contact=$(python3 -c 'import tomllib; print(tomllib.load(open("site.toml", "rb"))["forms"]["contact"])' 2>/dev/null ||
	sed -n 's/^contact = "\(.*\)"$/\1/p' site.toml)
[ -n "$contact" ] || die "site.toml [forms] has no contact path"
fetch "$contact" contact --header "Origin=$url" \
	--header "Content-Type=application/x-www-form-urlencoded" \
	--post 'name=Anna+Test&email=anna%40example.pl&subject=Pierwsze+uruchomienie&message=Dzie%C5%84+dobry.' ||
	{ show_log; die "POST $contact failed: $(cat "$log/contact.err")"; }
status=$(cat "$log/contact.status")
if [ "$status" != 303 ]; then
	show_log
	sed 's/^/    /' "$log/contact.body" | head -n 20 >&2
	die "POST $contact answered $status, not 303"
fi
say "POST $contact 303 ($(sed -n 's/^location: //p' "$log/contact.headers"))"

stop
python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null &&
	die "$url still answers after make run was stopped"
say "make run stopped; the first command works"
