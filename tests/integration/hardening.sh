#!/bin/sh
# formd without a proxy in front, under the outside security test's
# attacks: a body refused before 100 Continue, trickling clients against a
# small connection cap and the request deadline, and SIGTERM during a
# burst of logins with one hashing worker (an orderly stop: exit 0, no
# connection cut, every request answered). Loopback only; each part is
# bounded in time.
. tests/lib.sh

site="$TMP/site"
demo_site "$site"
out="$TMP/out"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$out"
mkdir -p "$TMP/var"
db="$TMP/var/formd.sqlite"

# --- Expect: 100-continue with a body over --max-body: 413 at once
formd_up "$out" "$db" || exit 1
got=$(python3 - "$formd_url" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=5)
s.sendall(b"POST /kontakt/wyslij HTTP/1.1\r\nHost: x\r\n"
          b"Content-Type: application/x-www-form-urlencoded\r\n"
          b"Content-Length: 10000000\r\nExpect: 100-continue\r\n\r\n")
try:
    print(s.recv(12).decode("ascii", "replace"))
except OSError as e:
    print("error", e)
PY
)
ok "a body over --max-body with Expect: 100-continue gets 413, not 100 Continue ($got)" \
	test "$got" = "HTTP/1.1 413"
formd_down

# --- trickling clients: 20 of them fill --max-connections 20, each
# sending a byte a second; a normal GET still gets its answer, and each
# trickler is cut off after the 2 s deadline
: >"$TMP/formd.log"
formd_up "$out" "$db" --serve-public --max-connections 20 --request-deadline 2 || exit 1
python3 - "$formd_url" >"$TMP/slow.log" 2>&1 <<'PY'
import socket, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
N, DEADLINE = 20, 2.0
cut = [None] * N

def trickle(i):
    t0 = time.monotonic()
    try:
        s = socket.create_connection((u.hostname, u.port), timeout=2)
    except OSError:
        cut[i] = -1.0
        return
    msg = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40
    try:
        s.sendall(msg[:16])
        for b in msg[16:]:
            time.sleep(1)
            s.sendall(bytes([b]))
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    break
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
    except OSError:
        pass
    cut[i] = time.monotonic() - t0
    s.close()

ts = [threading.Thread(target=trickle, args=(i,)) for i in range(N)]
for t in ts:
    t.start()
time.sleep(0.5)
t0 = time.monotonic()
status = "none"
try:
    c = socket.create_connection((u.hostname, u.port), timeout=10)
    c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status = c.recv(12).decode("ascii", "replace")
except OSError as e:
    status = "error %s" % e
took = time.monotonic() - t0
for t in ts:
    t.join(20)
print("get", status, "%.1f" % took)
ok = [c for c in cut if c is not None and 0 <= c <= DEADLINE + 2.5]
print("cut", len(ok), "of", N, " ".join("%.1f" % (c or -2) for c in cut))
PY
ok "a normal GET is answered while tricklers fill the connections ($(grep '^get' "$TMP/slow.log"))" \
	grep -q '^get HTTP/1.1 200 ' "$TMP/slow.log"
ok "every trickler is cut off after the request deadline ($(grep '^cut' "$TMP/slow.log" | cut -c1-20))" \
	grep -q '^cut 20 of 20 ' "$TMP/slow.log"
formd_down

# --- SIGTERM while 150 logins wait for one hashing worker: exit 0, no
# "Fatal" from libmicrohttpd, every client gets an HTTP status; a new
# connection during the stop is refused
: >"$TMP/formd.log"
formd_up "$out" "$db" --trusted-proxy 127.0.0.1 || exit 1
rm -f "$TMP/sent"
python3 - "$formd_url" "$TMP/sent" >"$TMP/burst.log" 2>&1 <<'PY' &
import collections, socket, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
N = 150
status = [None] * N
sent = threading.Semaphore(0)

def login(i):
    body = urllib.parse.urlencode({"email": "osoba%d@example.pl" % i,
                                   "password": "złe hasło"}).encode()
    try:
        s = socket.create_connection((u.hostname, u.port), timeout=300)
        s.sendall(b"POST /konto/logowanie HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nConnection: close\r\n"
                  b"X-Real-IP: 10.9.%d.%d\r\n" % (i // 250, i % 250 + 1) +
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
    except OSError as e:
        status[i] = "send: %s" % e
        sent.release()
        return
    sent.release()
    data = b""
    try:
        while len(data) < 12:
            b = s.recv(12 - len(data))
            if not b:
                break
            data += b
    except OSError as e:
        status[i] = "recv: %s" % e
        return
    status[i] = data.decode("ascii", "replace")[9:12] if data.startswith(b"HTTP/1.1 ") else "cut"

ts = [threading.Thread(target=login, args=(i,)) for i in range(N)]
for t in ts:
    t.start()
for _ in range(N):
    sent.acquire()
open(sys.argv[2], "w").write("sent\n")
for t in ts:
    t.join(320)
c = collections.Counter(str(s) for s in status)
print("statuses", " ".join("%s:%d" % kv for kv in sorted(c.items())))
bad = [s for s in status if s not in ("200", "303", "422", "429", "503")]
print("unanswered", len(bad))
PY
burst=$!
i=0
until [ -s "$TMP/sent" ] || [ $i -gt 300 ]; do
	i=$((i + 1))
	sleep 0.1
done
sleep 0.5
kill -TERM "$formd_pid"
sleep 0.3
refused=$(python3 - "$formd_url" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
try:
    socket.create_connection((u.hostname, u.port), timeout=2)
    print("accepted")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print("error", e)
PY
)
wait "$formd_pid"
rc=$?
formd_pid=
wait "$burst"
ok "formd stopped by TERM during the burst exits 0 ($rc)" test "$rc" -eq 0
ok "...libmicrohttpd did not abort (no Fatal in its log)" sh -c "! grep -q 'Fatal' '$TMP/formd.log'"
ok "...and the sanitizers said nothing" sh -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' '$TMP/formd.log'"
ok "...every login got an HTTP status ($(grep '^statuses' "$TMP/burst.log"))" \
	grep -q '^unanswered 0$' "$TMP/burst.log"
ok "...a new connection during the stop is refused ($refused)" test "$refused" = refused
ok "...and it said it stopped" grep -q '^formd: stopped$' "$TMP/formd.log"
