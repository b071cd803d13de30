#!/bin/sh
# make bench-formd: formd under load, next to nginx serving the same static
# site, in one run. A benchmark, not a test: it prints figures and the
# issue's targets beside them, and exits 0 whenever it ran (non-zero only
# when something could not run).
#
#   a. nginx (Debian's, started here on a loopback port): GET /kontakt/
#   b. formd: contact POSTs (durable: the database on disk, synchronous=FULL),
#      and every 303 checked against the rows stored
#   c. formd: contact POSTs at half of b's rate (open loop, p99)
#   d. formd: GET and contact POST during a flood of failed logins, from one
#      address and from many
#   e. formd's memory: idle, after the runs
#   f. a forum post to its updated static page: 20 threads, then one thread
#      of 1,000 posts (the last 20 timed; the largest page's size)
#
# DURATION=10 (seconds per run), KEEP=1 keeps the work folder.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
D=${DURATION:-10}
LUA="$ROOT/scripts/bench-formd-contact.lua"

# ---- what the benchmark needs from Debian -----------------------------------
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
need=""
command -v wrk >/dev/null 2>&1 || need="$need wrk"
[ -x "$NGINX" ] || need="$need nginx-light"
command -v python3 >/dev/null 2>&1 || need="$need python3"
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench-formd: run: sudo apt-get install -y --no-install-recommends$need" >&2
		exit 1
	fi
	echo "bench-formd: installing:$need"
	export DEBIAN_FRONTEND=noninteractive
	# the nginx package starts its service on port 80 unless told not to
	made_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	ok=1
	apt-get update -qq || ok=""
	if [ -n "$ok" ] && ! apt-get install -y -qq --no-install-recommends $need; then
		# nginx-light is gone from newer Debian releases: the plain package
		apt-get install -y -qq --no-install-recommends $(echo "$need" | sed 's/nginx-light/nginx/') || ok=""
	fi
	[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
	[ -n "$ok" ] || {
		echo "bench-formd: could not install$need" >&2
		exit 1
	}
	NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
fi
for f in bin/portal bin/formd "$LUA"; do
	[ -e "$f" ] || {
		echo "bench-formd: $f is missing (make bin/portal bin/formd)" >&2
		exit 1
	}
done

# ---- the work folder, and stopping everything at the end --------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-formd.XXXXXX")
chmod 755 "$W" # nginx's workers (nobody) read $W/site/public
mkdir -m 700 "$W/var"
mkdir -p "$W/nginx"
formd_pid="" nginx_pid="" flood_pid=""
cleanup() {
	for p in $flood_pid $nginx_pid $formd_pid; do
		kill "$p" 2>/dev/null || true
	done
	for p in $flood_pid $nginx_pid $formd_pid; do
		wait "$p" 2>/dev/null || true
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "bench-formd: kept $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the Python helpers: free port, fixed-rate client, login flood, forum ---
PY="$W/bench.py"
cat >"$PY" <<'PYEOF'
import asyncio, html.parser, http.client, json, math, os, random, re, socket, sqlite3, subprocess, sys, time
import urllib.parse

def pct(sorted_vals, p):
    """nearest-rank percentile of a sorted list"""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100 * len(sorted_vals)) - 1))
    return sorted_vals[k]

def request(method, host, path, body=b"", extra=()):
    h = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, host)
    for k, v in extra:
        h += "%s: %s\r\n" % (k, v)
    if method == "POST":  # a browser's Origin: formd refuses a POST naming none
        h += "Origin: http://%s\r\n" % host
        h += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n" % len(body)
    return h.encode() + b"\r\n" + body

async def read_response(reader):
    line = await reader.readline()
    if not line:
        raise ConnectionError("closed by the server")
    status = int(line.split()[1])
    headers = {}
    while True:
        l = await reader.readline()
        if l in (b"\r\n", b"\n", b""):
            break
        k, _, v = l.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        body = await reader.read()
    return status, headers, body

def contact_body(tag):
    return urllib.parse.urlencode({
        "name": "Jan Benchmark", "email": "jan.bench@example.pl", "office": "",
        "subject": "bench %s" % tag,
        "message": "Dzień dobry, pytanie o kurs (wiadomość testowa).", "strona": "",
    }).encode()

# rate HOST PORT PATH RATE SECONDS CONNS: contact POSTs at a fixed rate,
# open loop: request i is due at start + i/RATE on connection i % CONNS;
# latency counts from when it was due (like wrk2) and from when it was sent
async def rate(host, port, path, rps, seconds, conns):
    total = int(rps * seconds)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.3
    due_lat, sent_lat, statuses = [], [], {}
    errors = 0
    async def one(c):
        nonlocal errors
        reader = writer = None
        for i in range(c, total, conns):
            due = start + i / rps
            d = due - loop.time()
            if d > 0:
                await asyncio.sleep(d)
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                sent = loop.time()
                writer.write(request("POST", "%s:%d" % (host, port), path, contact_body("rate-%d" % i)))
                st, _, _ = await read_response(reader)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                writer = None
                continue
            now = loop.time()
            statuses[st] = statuses.get(st, 0) + 1
            due_lat.append((now - due) * 1000)
            sent_lat.append((now - sent) * 1000)
        if writer is not None:
            writer.close()
    t0, cpu0 = time.monotonic(), time.process_time()
    await asyncio.gather(*(one(c) for c in range(conns)))
    took = time.monotonic() - t0 - 0.3
    print("rate_cpu=%.0f" % (100 * (time.process_time() - cpu0) / (took + 0.3)))
    due_lat.sort(); sent_lat.sort()
    print("rate_target=%.0f" % rps)
    print("rate_done=%.0f" % (len(due_lat) / took if took > 0 else 0))
    print("rate_p50=%.2f" % pct(due_lat, 50))
    print("rate_p99=%.2f" % pct(due_lat, 99))
    print("rate_max=%.2f" % (due_lat[-1] if due_lat else float("nan")))
    print("rate_p99_sent=%.2f" % pct(sent_lat, 99))
    print("rate_303=%d" % statuses.get(303, 0))
    print("rate_other=%d" % (sum(statuses.values()) - statuses.get(303, 0)))
    print("rate_errors=%d" % errors)

# flood HOST PORT SECONDS CONNS RATE MODE: failed logins (a wrong password,
# a new e-mail address each time) at up to RATE per second over CONNS
# connections. MODE one: all from 127.0.0.2; many: each connection takes a
# new source address in 127.77.0.0/16 every 20 attempts (formd's free tries
# per address), as a flood from many machines would.
async def flood(host, port, seconds, conns, rps, mode):
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + seconds
    counts, lat = {}, []
    state = {"slot": 0, "source": 0, "errors": 0}
    def new_source():
        k = state["source"]; state["source"] += 1
        return "127.77.%d.%d" % ((k // 254) % 254, k % 254 + 1)
    async def one(c):
        reader = writer = None
        used = 0
        i = 0
        while True:
            slot = state["slot"]; state["slot"] += 1
            due = start + slot / rps
            if due >= end or loop.time() >= end:
                break
            d = due - loop.time()
            if d > 0:
                await asyncio.sleep(d)
            if mode == "many" and used >= 20 and writer is not None:
                writer.close(); writer = None
            try:
                if writer is None:
                    src = "127.0.0.2" if mode == "one" else new_source()
                    used = 0
                    reader, writer = await asyncio.open_connection(host, port, local_addr=(src, 0))
                i += 1; used += 1
                body = urllib.parse.urlencode({"email": "flood%d-%d-%s@example.pl" % (c, i, mode),
                                               "password": "zle-haslo-%d" % i, "next": ""}).encode()
                sent = loop.time()
                writer.write(request("POST", "%s:%d" % (host, port), "/konto/logowanie", body))
                st, _, _ = await read_response(reader)
                lat.append((loop.time() - sent) * 1000)
                counts[st] = counts.get(st, 0) + 1
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                state["errors"] += 1
                writer = None
                await asyncio.sleep(0.01)
        if writer is not None:
            writer.close()
    tasks = [asyncio.ensure_future(one(c)) for c in range(conns)]
    # the answers still due (hashes queued on formd's pool) are waited for,
    # so that formd is idle again when this returns
    done, pending = await asyncio.wait(tasks, timeout=seconds + 30)
    for t in pending:
        t.cancel()
    lat.sort()
    print("flood_sent=%d" % sum(counts.values()))
    print("flood_422=%d" % counts.get(422, 0))
    print("flood_429=%d" % counts.get(429, 0))
    print("flood_503=%d" % counts.get(503, 0))
    print("flood_other=%d" % (sum(counts.values()) - counts.get(422, 0) - counts.get(429, 0) - counts.get(503, 0)))
    print("flood_errors=%d" % state["errors"])
    print("flood_unanswered=%d" % len(pending))
    print("flood_sources=%d" % (state["source"] if mode == "many" else 1))
    print("flood_p50=%.0f" % pct(lat, 50))

# the forum's helpers: the forms of a page, a session, timed posts
class Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self.cur, self.sel = [], None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.cur = {"action": a.get("action", ""), "fields": []}
            self.forms.append(self.cur)
        elif self.cur is not None and tag in ("input", "textarea") and a.get("name"):
            self.cur["fields"].append((tag if tag == "textarea" else (a.get("type") or "text"), a["name"], a.get("value") or ""))
        elif self.cur is not None and tag == "select" and a.get("name"):
            self.sel = a["name"]
        elif self.sel and tag == "option" and a.get("value"):
            self.cur["fields"].append(("select", self.sel, a["value"]))
            self.sel = None
    def handle_endtag(self, tag):
        if tag == "form":
            self.cur = None
        elif tag == "select":
            self.sel = None

def forum_session(url, site, db):
    """registers (confirming the address through the outbox's link when the
    daemon asks for that) and finds the thread form: (call, forms, course,
    fields, cookie), or an error text"""
    u = urllib.parse.urlparse(url)
    def call(method, path, fields=None, cookie=None):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        h = {"Cookie": cookie} if cookie else {}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h["Origin"] = "%s://%s" % (u.scheme, u.netloc)
        c.request(method, path, body, h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r, data.decode("utf-8", "replace")
    forms = json.load(open(os.path.join(site, "private", "forms.json")))
    pages = json.load(open(os.path.join(site, "private", "pages.json")))
    offices = json.load(open(os.path.join(site, "private", "offices.json")))
    office = next(o["slug"] for o in offices if o.get("kind") != "administrator")
    courses = sorted(p.split("/")[2] for p, v in pages.items() if v.get("layout") == "test")
    if not courses:
        return "no course in pages.json"
    course = courses[0]
    email = "forum-%d@example.pl" % random.randrange(10**9)
    st, r, body = call("POST", forms["register"], {
        "first_name": "Anna", "last_name": "Benchmark", "email": email, "status": "bezrobotna",
        "office": office, "password": "dlugie-haslo-do-testu", "password2": "dlugie-haslo-do-testu",
        "terms": "on", "privacy": "on"})
    cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
    if st == 303 and not cookie:
        # the address is confirmed first: the link is in the outbox (no relay runs here)
        confirm = forms["register"].rstrip("/") + "/potwierdz"
        out = subprocess.run(["./bin/formd", "admin", "--db", db, "outbox"], capture_output=True,
                             text=True).stdout
        links = re.findall(r"https?://[^/\s]+" + re.escape(confirm) + r"\?t=([A-Za-z0-9_-]+)", out)
        if not links:
            return "registration answered 303 without a session and no confirmation link in the outbox"
        st, r, body = call("POST", confirm, {"t": links[-1]})
        cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
    if st != 303 or not cookie:
        return "registration answered %d" % st
    # the thread form, as the forum's index page (or the course page) has it
    fields = None
    for page in ("/kursy/%s/forum/" % course, "/kursy/%s/" % course):
        st, _, body = call("GET", page, cookie=cookie)
        if st != 200:
            continue
        p = Forms(); p.feed(body)
        for f in p.forms:
            if urllib.parse.urlparse(f["action"]).path == forms["forum"]:
                fields = f["fields"]; break
        if fields:
            break
    if not fields:
        fields = [("hidden", "course", course), ("text", "title", ""), ("textarea", "body", "")]
    return call, forms, course, fields, cookie

def forum_fill(fields, i, token, thread=None):
    data = {}
    for kind, name, value in fields:
        if kind in ("hidden", "select"):
            data.setdefault(name, value)
        elif kind == "textarea":
            data[name] = "Pytanie testowe %s.\n\nDruga linijka." % token
        elif kind in ("text", "search"):
            data[name] = "Wątek testowy %d" % i
        elif kind == "checkbox":
            data[name] = value or "on"
    if thread is not None:
        data["thread"] = str(thread)
        data.pop("title", None)
    return data

def forum_post_timed(call, forms, data, token, cookie):
    """one post, then its page (the 303's Location) until it shows the post:
    (ms, location) or an error text"""
    t0 = time.perf_counter()
    st, r, body = call("POST", forms["forum"], data, cookie)
    loc = r.getheader("Location")
    if st != 303 or not loc:
        return "the forum POST answered %d (fields %s)" % (st, ",".join(sorted(data)))
    path = urllib.parse.urlparse(loc).path
    while True:
        st, _, body = call("GET", path, cookie=cookie)
        if st == 200 and token in body:
            break
        if time.perf_counter() - t0 > 5:
            return "%s did not show the post within 5 s (last %d)" % (path, st)
        time.sleep(0.001)
    return (time.perf_counter() - t0) * 1000, loc

# forum URL SITE DB N: register, then N times: a new thread POSTed to the
# forum path, and its page fetched until it shows the post; prints the
# median and the max of those times
def forum(url, site, db, n):
    got = forum_session(url, site, db)
    if isinstance(got, str):
        print('forum_error="%s"' % got); return
    call, forms, course, fields, cookie = got
    times = []
    for i in range(n):
        token = "znacznik-%d-%d" % (i, random.randrange(10**9))
        got = forum_post_timed(call, forms, forum_fill(fields, i, token), token, cookie)
        if isinstance(got, str):
            print('forum_error="%s"' % got); return
        times.append(got[0])
    times.sort()
    print("forum_course=%s" % course)
    print("forum_median=%.1f" % times[len(times) // 2])
    print("forum_max=%.1f" % times[-1])

# forum_long URL SITE DB N: one thread of N posts through HTTP; the last 20
# posts timed (POST -> the page holding the post shows it)
def forum_long(url, site, db, n):
    got = forum_session(url, site, db)
    if isinstance(got, str):
        print('long_error="%s"' % got); return
    call, forms, course, fields, cookie = got
    token = "znacznik-dlugi-%d" % random.randrange(10**9)
    got = forum_post_timed(call, forms, forum_fill(fields, 0, token), token, cookie)
    if isinstance(got, str):
        print('long_error="%s"' % got); return
    thread = re.search(r"/forum/(\d+)/", got[1]).group(1)
    times, last = [], got[1]
    for i in range(1, n):
        token = "znacznik-dlugi-%d-%d" % (i, random.randrange(10**9))
        got = forum_post_timed(call, forms, forum_fill(fields, i, token, thread), token, cookie)
        if isinstance(got, str):
            print('long_error="post %d: %s"' % (i + 1, got)); return
        if i >= n - 20:
            times.append(got[0])
        last = got[1]
    times.sort()
    print("long_course=%s" % course)
    print("long_thread=%s" % thread)
    print("long_last=%s" % urllib.parse.urlparse(last).path)
    print("long_median=%.1f" % times[len(times) // 2])
    print("long_max=%.1f" % times[-1])

def main():
    cmd = sys.argv[1]
    if cmd == "freeport":
        s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
    elif cmd == "up":  # URL: 0 once it answers 200
        import urllib.request
        try:
            urllib.request.urlopen(sys.argv[2], timeout=2).read()
        except Exception:
            sys.exit(1)
    elif cmd == "contacts":  # DB: rows in contacts
        c = sqlite3.connect("file:%s?mode=ro" % sys.argv[2], uri=True)
        print(c.execute("SELECT count(*) FROM contacts").fetchone()[0])
    elif cmd == "rate":
        a = sys.argv[2:]
        asyncio.run(rate(a[0], int(a[1]), a[2], float(a[3]), float(a[4]), int(a[5])))
    elif cmd == "flood":
        a = sys.argv[2:]
        asyncio.run(flood(a[0], int(a[1]), float(a[2]), int(a[3]), float(a[4]), a[5]))
    elif cmd == "forum":
        forum(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif cmd == "forum_long":
        forum_long(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))

main()
PYEOF

# ---- small helpers ----------------------------------------------------------
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
# wrk's output: requests/s, p99 in ms (--latency), errors worth a mention
rps() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$1"; }
p99() {
	awk '$1 == "99%" { v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v) }
		else if (v ~ /m$/) { sub(/m$/, "", v); v = v * 60000 }
		else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
		printf "%.2f", v }' "$1"
}
notes() {
	awk '/Socket errors|Non-2xx/ {sub(/^ +/, ""); printf "  [%s]", $0}' "$1"
}
status_n() { awk -v s="$2" '$1 == "status" && $2 == s {print $3}' "$1" | grep . || echo 0; }
status_other() { awk -v s="$2" '$1 == "status" && $2 != s {n += $3} END {print n + 0}' "$1"; }
# run_wrk OUT ARGS...: wrk --latency, its output kept in OUT
run_wrk() {
	out=$1
	shift
	# a second's pause: the previous run's connections are gone from
	# formd's count per address (32) before the next run opens its own
	sleep 1
	if ! wrk --latency "$@" >"$out" 2>&1 || ! grep -q '^Requests/sec:' "$out"; then
		echo "bench-formd: wrk $* failed:" >&2
		cat "$out" >&2
		exit 1
	fi
}
wait_up() { # URL PID
	i=0
	until python3 "$PY" up "$1"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$2" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
}
row() { printf '%-50s %s\n' "$1" "$2"; }

# ---- the machine -------------------------------------------------------------
echo "bench-formd: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), Linux $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
echo "bench-formd: work folder $W ($(stat -f -c %T "$W/var") for the database), ${D} s per run"

# ---- the site, formd, nginx --------------------------------------------------
# from the work tree, the same sources bin/formd was just built from
./bin/portal build --worktree --out "$W/site" >"$W/portal.log" 2>&1 || {
	cat "$W/portal.log" >&2
	exit 1
}
echo "bench-formd: $(tail -1 "$W/portal.log")"

fport=$(python3 "$PY" freeport)
furl="http://127.0.0.1:$fport"
db="$W/var/formd.sqlite"
set -- --site "$W/site" --db "$db" --listen "127.0.0.1:$fport" --serve-public --dev \
	--contact-rate 1000000000 --register-rate 1000000000
if ./bin/formd --help | grep -q -- '--forum-dir'; then
	mkdir -p "$W/forum"
	set -- "$@" --forum-dir "$W/forum"
fi
raised="--contact-rate 1000000000 --register-rate 1000000000"
if ./bin/formd --help | grep -q -- '--post-rate'; then
	set -- "$@" --post-rate 1000000000
	raised="$raised --post-rate 1000000000"
fi
./bin/formd "$@" 2>"$W/formd.log" &
formd_pid=$!
if ! wait_up "$furl/kontakt/" $formd_pid; then
	echo "bench-formd: formd did not start:" >&2
	cat "$W/formd.log" >&2
	exit 1
fi
sleep 0.5
rss_idle=$(kib $formd_pid VmRSS)
echo "bench-formd: formd $(./bin/formd --version | awk '{print $2}') on $furl, threads and hash workers as formd --help gives them (defaults);"
echo "             rate limits raised for the benchmark: $raised"

nport=$(python3 "$PY" freeport)
nurl="http://127.0.0.1:$nport"
temp_paths="client_body_temp_path $W/nginx/body; proxy_temp_path $W/nginx/proxy; fastcgi_temp_path $W/nginx/fastcgi;"
"$NGINX" -V 2>&1 | grep -q without-http_scgi_module || temp_paths="$temp_paths scgi_temp_path $W/nginx/scgi;"
"$NGINX" -V 2>&1 | grep -q without-http_uwsgi_module || temp_paths="$temp_paths uwsgi_temp_path $W/nginx/uwsgi;"
mime=/etc/nginx/mime.types
[ -f "$mime" ] && mime="include $mime;" || mime=""
cat >"$W/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
	$mime
	default_type application/octet-stream;
	access_log off;
	sendfile on;
	$temp_paths
	server {
		listen 127.0.0.1:$nport;
		root $W/site/public;
		index index.html;
	}
}
EOF
"$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log" 2>>"$W/nginx/error.log" &
nginx_pid=$!
if ! wait_up "$nurl/kontakt/" $nginx_pid; then
	echo "bench-formd: nginx did not start:" >&2
	cat "$W/nginx/error.log" >&2
	exit 1
fi
echo "bench-formd: nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on $nurl (worker_processes auto, sendfile on, access_log off)"
echo "bench-formd: wrk -t2 -c32 -d${D}s unless said; p99 from wrk --latency"
echo

# ---- a. nginx, and formd's own GET -------------------------------------------
run_wrk "$W/a.txt" -t2 -c32 -d"${D}s" "$nurl/kontakt/"
a_rps=$(rps "$W/a.txt") a_p99=$(p99 "$W/a.txt")
row "a. nginx GET /kontakt/" "$a_rps req/s   p99 $a_p99 ms$(notes "$W/a.txt")"
run_wrk "$W/a2.txt" -t2 -c32 -d"${D}s" "$furl/kontakt/"
g_rps=$(rps "$W/a2.txt") g_p99=$(p99 "$W/a2.txt")
row "   formd GET /kontakt/ (--serve-public)" "$g_rps req/s   p99 $g_p99 ms$(notes "$W/a2.txt")"

# ---- b. contact POSTs, every 303 stored --------------------------------------
before=$(python3 "$PY" contacts "$db")
run_wrk "$W/b.txt" -t2 -c32 -d"${D}s" -s "$LUA" "$furl/kontakt/wyslij"
b_rps=$(rps "$W/b.txt") b_p99=$(p99 "$W/b.txt")
b_303=$(status_n "$W/b.txt" 303) b_other=$(status_other "$W/b.txt" 303)
sleep 0.3
after=$(python3 "$PY" contacts "$db")
b_rows=$((after - before))
row "b. formd contact POST /kontakt/wyslij" "$b_rps POST/s   p99 $b_p99 ms$(notes "$W/b.txt")"
if [ "$b_rows" -ge "$b_303" ]; then b_ok="every 303 stored"; else b_ok="MISSING $((b_303 - b_rows)) answered POSTs"; fi
row "   answered 303 / rows stored" "$b_303 / $b_rows ($b_ok; other answers $b_other; rows above 303s: POSTs cut off by wrk's stop)"

# ---- c. half of b's rate -----------------------------------------------------
half=$(awk -v r="$b_rps" 'BEGIN {printf "%.0f", r / 2}')
[ "$half" -ge 1 ] || half=1
out=$(python3 "$PY" rate 127.0.0.1 "$fport" /kontakt/wyslij "$half" "$D" 16) || exit 1
eval "$out"
row "c. contact POST at half of b, open loop, 16 conn" "$rate_done of $rate_target POST/s   p99 $rate_p99 ms (p50 $rate_p50, max $rate_max; from send: p99 $rate_p99_sent; client CPU $rate_cpu%)"
[ "$rate_other" = 0 ] && [ "$rate_errors" = 0 ] || row "" "other answers $rate_other, connection errors $rate_errors"

# ---- d. a flood of failed logins ---------------------------------------------
flood() { # MODE CONNS RATE: GET and contact POST with wrk while it runs
	python3 "$PY" flood 127.0.0.1 "$fport" $((2 * D + 2)) "$2" "$3" "$1" >"$W/flood-$1.txt" &
	flood_pid=$!
	sleep 1
	run_wrk "$W/d-get-$1.txt" -t2 -c32 -d"${D}s" "$furl/kontakt/"
	run_wrk "$W/d-post-$1.txt" -t2 -c32 -d"${D}s" -s "$LUA" "$furl/kontakt/wyslij"
	if ! wait $flood_pid || ! grep -q '^flood_sent=' "$W/flood-$1.txt"; then
		echo "bench-formd: the login flood failed:" >&2
		cat "$W/flood-$1.txt" >&2
		exit 1
	fi
	flood_pid=""
	. "$W/flood-$1.txt"
}
flood one 16 500
d1_get=$(p99 "$W/d-get-one.txt") d1_post=$(p99 "$W/d-post-one.txt")
d1_303=$(status_n "$W/d-post-one.txt" 303)
row "d. login flood from one address (127.0.0.2)" "$flood_sent attempts, 16 conn, up to 500/s: 422 (checked) $flood_422, 429 (slowed) $flood_429, 503 $flood_503, other $flood_other, errors $flood_errors"
row "   GET /kontakt/ during it" "$(rps "$W/d-get-one.txt") req/s   p99 $d1_get ms (without: $g_p99 ms)$(notes "$W/d-get-one.txt")"
row "   contact POST during it" "$(rps "$W/d-post-one.txt") POST/s   p99 $d1_post ms (without: $b_p99 ms)$(notes "$W/d-post-one.txt")"
flood many 64 500
d2_get=$(p99 "$W/d-get-many.txt") d2_post=$(p99 "$W/d-post-many.txt")
d2_303=$(status_n "$W/d-post-many.txt" 303)
row "   login flood from many addresses (127.77.x.y)" "$flood_sent attempts, 64 conn, $flood_sources addresses: 422 $flood_422, 429 $flood_429, 503 $flood_503, other $flood_other, errors $flood_errors, unanswered at the end $flood_unanswered; p50 answer $flood_p50 ms"
row "   GET /kontakt/ during it" "$(rps "$W/d-get-many.txt") req/s   p99 $d2_get ms (without: $g_p99 ms)$(notes "$W/d-get-many.txt")"
row "   contact POST during it" "$(rps "$W/d-post-many.txt") POST/s   p99 $d2_post ms (without: $b_p99 ms)$(notes "$W/d-post-many.txt")"

# ---- e. memory ---------------------------------------------------------------
sleep 1
rss_after=$(kib $formd_pid VmRSS) hwm=$(kib $formd_pid VmHWM)
row "e. formd VmRSS idle, right after start" "$(mib "$rss_idle") MiB ($rss_idle kB)"
row "   formd VmRSS after the runs (idle again)" "$(mib "$rss_after") MiB ($rss_after kB); peak VmHWM $(mib "$hwm") MiB"

# ---- f. the forum ------------------------------------------------------------
forum_median="" forum_max="" forum_error=""
out=$(python3 "$PY" forum "$furl" "$W/site" "$db" 20) || exit 1
eval "$out"
if [ -n "$forum_error" ]; then
	row "f. forum post -> its static page" "could not measure: $forum_error"
	f_val="could not measure"
else
	row "f. forum post -> its static page (20 threads)" "median $forum_median ms, max $forum_max ms (course $forum_course)"
	f_val="median $forum_median ms, max $forum_max ms"
fi
# one thread of 1,000 posts: the last 20 posts timed, and the pages' sizes
long_median="" long_max="" long_error="" long_course="" long_thread="" long_last=""
out=$(python3 "$PY" forum_long "$furl" "$W/site" "$db" 1000) || exit 1
eval "$out"
if [ -n "$long_error" ]; then
	row "   forum at 1,000 posts in one thread" "could not measure: $long_error"
	l_val="could not measure"
else
	tdir="$W/forum/kursy/$long_course/forum/$long_thread"
	largest=$(find "$W/forum" -name index.html -printf '%s %P\n' | sort -n | tail -1)
	row "   forum at 1,000 posts: post -> its page" "median $long_median ms, max $long_max ms (last 20 posts; the last on $long_last)"
	row "   ... the thread's pages" "$(find "$tdir" -name index.html | wc -l) pages, $(du -sk "$tdir" | cut -f1) kB in all"
	row "   ... the largest forum page" "${largest% *} bytes (${largest#* })"
	row "   ... the course's forum index" "$(stat -c %s "$W/forum/kursy/$long_course/forum/index.html") bytes"
	l_val="median $long_median ms, max $long_max ms"
fi

# every contact POST answered 303 in all the runs is in the database
total_303=$((b_303 + rate_303 + d1_303 + d2_303))
rows=$(python3 "$PY" contacts "$db")
if [ "$rows" -ge "$total_303" ]; then all_ok="every 303 stored"; else all_ok="MISSING $((total_303 - rows))"; fi
row "   all contact POSTs: answered 303 / rows" "$total_303 / $rows ($all_ok)"
# formd's log: one line a request
row "   formd's request log" "$(wc -l <"$W/formd.log") lines, $(du -h "$W/formd.log" | cut -f1)"

# ---- summary -----------------------------------------------------------------
verdict() { [ "$1" = 1 ] && echo met || echo "not met"; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 < b + 0) ? 1 : 0}'; }
same() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 <= b * 1.2 || a + 0 <= b + 1) ? 1 : 0}'; }
echo
echo "summary (target: measured)"
printf '  %-44s %s\n' "contact POST/s >= 1/2 nginx GET/s:" "$b_rps vs $((a_rps / 2)) ($(verdict "$(lt "$((a_rps / 2))" "$((b_rps + 1))")"))"
printf '  %-44s %s\n' "p99 < 10 ms at half that load:" "$rate_p99 ms at $rate_done POST/s, half of b ($(verdict "$(lt "$rate_p99" 10)"))"
printf '  %-44s %s\n' "" "(half of nginx's rate, $((a_rps / 2))/s, is more than formd takes)"
printf '  %-44s %s\n' "login flood, one address: GET p99 same:" "$g_p99 -> $d1_get ms ($(verdict "$(same "$d1_get" "$g_p99")"))"
printf '  %-44s %s\n' "login flood, one address: POST p99 same:" "$b_p99 -> $d1_post ms ($(verdict "$(same "$d1_post" "$b_p99")"))"
printf '  %-44s %s\n' "login flood, many addresses: GET p99 same:" "$g_p99 -> $d2_get ms ($(verdict "$(same "$d2_get" "$g_p99")"))"
printf '  %-44s %s\n' "login flood, many addresses: POST p99 same:" "$b_p99 -> $d2_post ms ($(verdict "$(same "$d2_post" "$b_p99")"))"
printf '  %-44s %s\n' "idle memory < 10 MB:" "$(mib "$rss_idle") MiB at start, $(mib "$rss_after") MiB after ($(verdict "$(lt "$(( rss_idle > rss_after ? rss_idle : rss_after ))" 10240)"))"
if [ "$f_val" = "could not measure" ]; then
	printf '  %-44s %s\n' "forum post -> updated page < 20 ms:" "$f_val"
else
	printf '  %-44s %s\n' "forum post -> updated page < 20 ms:" "$f_val ($(verdict "$(lt "$forum_max" 20)"))"
fi
if [ "$l_val" = "could not measure" ]; then
	printf '  %-44s %s\n' "the same at 1,000 posts in one thread:" "$l_val"
else
	printf '  %-44s %s\n' "the same at 1,000 posts in one thread:" "$l_val ($(verdict "$(lt "$long_max" 20)"))"
fi
echo "  (same p99 = within 20% or 1 ms; 1 MiB = 1024 kB of VmRSS)"
echo "  load average $(cut -d' ' -f1-3 /proc/loadavg) after the run: other work on the machine moves the figures"
