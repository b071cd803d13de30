# Shared helpers for tests/integration/*.sh (sourced).
# ok DESC CMD...    runs CMD; a zero exit is a pass
# expect_fail DESC PATTERN CMD...  CMD must fail and print PATTERN (grep -E)
set -u
ROOT=$(pwd)
PORTAL="$ROOT/bin/portal"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$TMP/home"
mkdir -p "$HOME"
git config --global user.name "Test Editor"
git config --global user.email "editor@example.invalid"
git config --global init.defaultBranch main
git config --global advice.detachedHead false

pass() { echo "pass $1" >>"$COUNTS"; }
fail() { echo "fail $1" >>"$COUNTS"; echo "FAIL: $1" >&2; }

ok() {
	desc=$1
	shift
	if "$@" >"$TMP/ok.log" 2>&1; then
		pass "$desc"
	else
		fail "$desc"
		sed 's/^/    /' "$TMP/ok.log" | head -20 >&2
	fi
}

expect_fail() {
	desc=$1
	pattern=$2
	shift 2
	if "$@" >"$TMP/ef.log" 2>&1; then
		fail "$desc (it succeeded)"
	elif grep -Eq -- "$pattern" "$TMP/ef.log"; then
		pass "$desc"
	else
		fail "$desc (message did not match $pattern)"
		sed 's/^/    /' "$TMP/ef.log" | head -10 >&2
	fi
}

# commit_all DIR MESSAGE [DATE]: commits everything in DIR at a fixed date
commit_all() {
	d=${3:-2026-01-15T10:00:00+01:00}
	git -C "$1" add -A &&
		GIT_AUTHOR_DATE=$d GIT_COMMITTER_DATE=$d git -C "$1" commit -qm "$2"
}

# demo_site DIR: a new repository in DIR holding this checkout's committed
# site (HEAD's site.toml, content/ and themes/), committed at a fixed date
demo_site() {
	mkdir -p "$1"
	git archive HEAD site.toml content themes | tar -x -C "$1"
	git -C "$1" init -q
	commit_all "$1" "demo site" 2026-01-15T10:00:00+01:00
}

# demo_second_commit DIR: a second commit in a demo_site repository: a
# sentence of the privacy policy and of the terms changed, an old address
# for the terms, two retention periods filled in site.toml (test values,
# not the office's); so change notices, histories with two entries,
# archived versions with a comparison, a redirect page and the policy's
# list of retention periods exist. Each edit must change its file, or a
# test would quietly check one commit only.
demo_second_commit() {
	sed -i 's/niniejsza Polityka prywatności\.$/niniejsza Polityka prywatności i plików cookies wraz z jej zmianami./' \
		"$1/content/polityka-prywatnosci.md" &&
		sed -i -e 's/otrzymanie certyfikatu, jest bezpłatne\.$/otrzymanie certyfikatu, jest bezpłatne i nie wymaga podpisania umowy./' \
			-e 's/^history = true$/history = true\naliases = ["\/zasady-korzystania\/"]/' \
			"$1/content/regulamin.md" &&
		sed -i -e 's/^attempts = ""$/attempts = "5 lat"/' -e 's/^contacts = ""$/contacts = "30 dni"/' \
			"$1/site.toml" &&
		grep -q '^attempts = "5 lat"$' "$1/site.toml" && grep -q '^contacts = "30 dni"$' "$1/site.toml" &&
		[ "$(git -C "$1" status --porcelain | wc -l)" -eq 3 ] &&
		commit_all "$1" "Polityka i regulamin: zmiany" 2026-03-02T09:30:00+01:00
}

# serve_static DIR: serves DIR over HTTP on a free loopback port in the
# background (tests/serve.py); sets $static_url and $static_pid. Fails if
# the server has not said its port within 30 s.
serve_static() {
	rm -f "$TMP/serve.port"
	python3 "$ROOT/tests/serve.py" "$1" "$TMP/serve.port" >"$TMP/serve.log" 2>&1 &
	static_pid=$!
	wait_port_file "$TMP/serve.port" $static_pid 300 "$TMP/serve.log" || return 1
	static_url="http://127.0.0.1:$(cat "$TMP/serve.port")"
}

# wait_port_file FILE PID TENTHS LOG: waits until the server PID has
# written its port to FILE; fails, printing LOG, when it has not within
# TENTHS tenths of a second or has exited
wait_port_file() {
	wp_i=0
	until [ -s "$1" ]; do
		wp_i=$((wp_i + 1))
		if [ $wp_i -gt "$3" ] || ! kill -0 "$2" 2>/dev/null; then
			cat "$4" >&2
			return 1
		fi
		sleep 0.1
	done
}

# free_port: a TCP port free on 127.0.0.1 now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# formd_up SITE DB [OPTION...]: bin/formd in the background on a free
# loopback port, or on $FORMD_PORT when that is set (log: $TMP/formd.log);
# sets $formd_pid and $formd_url. Fails when it does not answer within 10 s.
formd_up() {
	fu_site=$1 fu_db=$2
	shift 2
	fu_port=${FORMD_PORT:-$(free_port)}
	formd_url="http://127.0.0.1:$fu_port"
	"$ROOT/bin/formd" --site "$fu_site" --db "$fu_db" --listen "127.0.0.1:$fu_port" \
		--hash-workers 1 "$@" 2>>"$TMP/formd.log" &
	formd_pid=$!
	fu_i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $fu_port), 1)" 2>/dev/null; do
		fu_i=$((fu_i + 1))
		if [ $fu_i -gt 100 ] || ! kill -0 $formd_pid 2>/dev/null; then
			cat "$TMP/formd.log" >&2
			return 1
		fi
		sleep 0.1
	done
}

# formd_down: stops the formd formd_up started
formd_down() {
	kill -TERM "$formd_pid" 2>/dev/null && wait "$formd_pid" 2>/dev/null
	formd_pid=
}

# check_kept_pages PAGES OUT LABEL: the pages formd rendered and a check
# script kept in PAGES (NAME.html) through the Nu HTML Checker (zero
# errors), the head check (title, description, canonical link, icon) and
# the browser checks (tests/a11y/check.mjs: axe-core WCAG 2.1 AA,
# keyboard, 320 px), each served as a static file beside OUT's stylesheet.
check_kept_pages() {
	kp_dir=$1 kp_out=$2 kp_label=$3
	kp_vnu=tests/a11y/node_modules/vnu-jar/build/dist/vnu.jar
	if [ -f "$kp_vnu" ] && command -v java >/dev/null; then
		for f in "$kp_dir"/*.html; do
			ok "$kp_label $(basename "$f" .html) page: no HTML errors" \
				java -jar "$kp_vnu" --errors-only --no-langdetect "$f"
		done
	else
		fail "the HTML checker needs java and tests/a11y/node_modules/vnu-jar (make deps-test)"
	fi
	python3 tests/head_check.py --pages https://kompetencjedlapracy.pl "$kp_dir"/*.html >"$TMP/head.log" 2>&1
	grep -E '^(pass|fail) ' "$TMP/head.log" >>"$COUNTS"
	grep -E '^fail ' "$TMP/head.log" >&2
	grep -qE '^(pass|fail) ' "$TMP/head.log" || { fail "head_check.py ran on $kp_label pages"; cat "$TMP/head.log" >&2; }
	if [ -d tests/a11y/node_modules/axe-core ] && [ -x /usr/bin/chromium ] && command -v node >/dev/null; then
		rm -rf "$TMP/served"
		mkdir -p "$TMP/served"
		cp "$kp_out"/public/style.*css "$TMP/served/" # style.css and its fingerprinted copy
		kp_paths=""
		for f in "$kp_dir"/*.html; do
			n=$(basename "$f" .html)
			mkdir -p "$TMP/served/$n"
			cp "$f" "$TMP/served/$n/index.html"
			kp_paths="$kp_paths /$n/"
		done
		serve_static "$TMP/served" || fail "the static server for $kp_label pages started"
		# shellcheck disable=SC2086
		timeout 300 node tests/a11y/check.mjs "$static_url" $kp_paths >"$TMP/a11y.log" 2>&1
		kill $static_pid 2>/dev/null
		grep -E '^(pass|fail) ' "$TMP/a11y.log" | sed "s/^\(pass\|fail\) /\1 $kp_label page /" >>"$COUNTS"
		grep -qE '^(pass|fail) ' "$TMP/a11y.log" || { fail "the browser checks of $kp_label pages ran"; cat "$TMP/a11y.log" >&2; }
		grep -E '^fail ' "$TMP/a11y.log" >&2
	else
		fail "the browser checks need chromium, node and tests/a11y/node_modules (make deps-test)"
	fi
}

# smtp_sink_up DIR [PORT]: tests/smtp_sink.py (Debian's python3 with
# aiosmtpd) keeping each message in DIR, on a free loopback port (or on
# PORT, to come back where a test knows it); sets $sink_pid and
# $smtp_port. Fails when it has not said its port within 20 s.
smtp_sink_up() {
	rm -f "$TMP/smtp.port"
	/usr/bin/python3 "$ROOT/tests/smtp_sink.py" "$1" "$TMP/smtp.port" ${2:+--port "$2"} 2>>"$TMP/sink.log" &
	sink_pid=$!
	wait_port_file "$TMP/smtp.port" $sink_pid 200 "$TMP/sink.log" || return 1
	smtp_port=$(cat "$TMP/smtp.port")
}

# nginx_setup SRV VAR FORMD_PORT: the shipped deploy/nginx/okienko.conf
# with its production paths replaced (/srv/okienko by SRV, so the live
# site is SRV/current/public; /var/lib/okienko by VAR, so the forum is
# VAR/forum), formd on FORMD_PORT, https and http on free loopback ports,
# a self-signed certificate; writes $TMP/nginx/okienko.conf and the
# nginx.conf around it, and sets $site_url (https) and $site_port80.
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
nginx_pid=""
nginx_setup() {
	ns_port=$(free_port)
	site_port80=$(free_port)
	site_url="https://127.0.0.1:$ns_port"
	mkdir -p "$TMP/tls" "$TMP/nginx"
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
		-keyout "$TMP/tls/privkey.pem" -out "$TMP/tls/fullchain.pem" >/dev/null 2>&1 || return 1
	sed -e "s|/srv/okienko|$1|g" -e "s|/var/lib/okienko|$2|g" -e "s|/etc/okienko/tls|$TMP/tls|g" -e "s|/var/log/nginx/okienko-access.log|$TMP/nginx/okienko-access.log|" \
		-e "s|127\.0\.0\.1:8081|127.0.0.1:$3|" -e "s|listen 443 |listen 127.0.0.1:$ns_port |" \
		-e "s|listen 80;|listen 127.0.0.1:$site_port80;|" -e '/listen \[::\]/d' \
		"$ROOT/deploy/nginx/okienko.conf" >"$TMP/nginx/okienko.conf"
	cat >"$TMP/nginx/nginx.conf" <<NGX
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log $TMP/nginx/access.log;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	include $TMP/nginx/okienko.conf;
}
NGX
}

# nginx_start: nginx with what nginx_setup wrote, in the foreground of a
# background job; sets $nginx_pid. Fails (printing nginx's error log)
# when / does not answer 200 within 5 s.
nginx_start() {
	"$NGINX" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' &
	nginx_pid=$!
	nst_i=0
	until python3 "$ROOT/tests/fetch.py" "$site_url/" "$TMP/nginx/up" 2>/dev/null &&
		[ "$(cat "$TMP/nginx/up.status")" = 200 ]; do
		nst_i=$((nst_i + 1))
		if [ $nst_i -gt 50 ] || ! kill -0 $nginx_pid 2>/dev/null; then
			cat "$TMP/nginx/error.log" >&2
			return 1
		fi
		sleep 0.1
	done
}
