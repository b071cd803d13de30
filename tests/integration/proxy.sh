#!/bin/sh
# formd behind a reverse proxy: the client's address (the rate limits'
# key) comes from X-Real-IP only when the peer is a --trusted-proxy; from
# anyone else the header is ignored, so it cannot be spoofed. And formd
# confines itself (Landlock) unless the kernel cannot.
. tests/lib.sh
trap 'formd_down; rm -rf "$TMP"' EXIT

site="$TMP/site"
demo_site "$site"
out="$TMP/out"
ok "the demo portal builds" "$PORTAL" build --repo "$site" --out "$out"
mkdir -p "$TMP/var"
db="$TMP/var/formd.sqlite"

# posts IP...: one contact POST per address given as X-Real-IP; prints the statuses
posts() {
	for ip in "$@"; do
		python3 tests/formd_post.py "$formd_url" /kontakt/wyslij "X-Real-IP=$ip"
	done | tr '\n' ' '
}

formd_up "$out" "$db" --contact-rate 2 || exit 1
got=$(posts 10.0.0.1 10.0.0.2 10.0.0.3)
ok "without --trusted-proxy X-Real-IP is ignored: one key, the third is limited ($got)" test "$got" = "303 303 429 "
formd_down

formd_up "$out" "$db" --contact-rate 2 --trusted-proxy 127.0.0.1 --trusted-proxy ::1 || exit 1
got=$(posts 10.0.1.1 10.0.1.2 10.0.1.3 2001:db8::1)
ok "from a trusted proxy each X-Real-IP is its own key ($got)" test "$got" = "303 303 303 303 "
got=$(posts 10.0.1.9 10.0.1.9 10.0.1.9)
ok "...and one address is limited after its share ($got)" test "$got" = "303 303 429 "
got=$(posts 2001:0db8:0:0::1 2001:db8::1)
ok "...an IPv6 address in another spelling is the same key ($got)" test "$got" = "303 429 "
got=$(posts 'nie-adres' 'nie-adres' '10.0.1.9, 10.0.1.8')
ok "...a header that is no address counts as the proxy's own ($got)" test "$got" = "303 303 429 "
formd_down

formd_up "$out" "$db" --contact-rate 2 --trusted-proxy 192.0.2.1 || exit 1
got=$(posts 10.0.2.1 10.0.2.2 10.0.2.3)
ok "from a peer that is not the trusted proxy the header is ignored ($got)" test "$got" = "303 303 429 "
formd_down

# conns N: opens N connections at once, then asks on each (keeping them
# all open); prints how many answered
conns() {
	python3 - "$formd_url" "$1" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); n = int(sys.argv[2]); ok = 0
socks = [socket.create_connection((u.hostname, u.port), timeout=10) for _ in range(n)]
for s in socks:
    try:
        # keep-alive: an answered connection stays open, so none frees its
        # place for another before all are counted
        s.sendall(b"GET /konto/witaj HTTP/1.1\r\nHost: x\r\n\r\n")
        ok += s.recv(9).startswith(b"HTTP/1.1 ")
    except OSError:
        pass
print(ok)
PY
}
formd_up "$out" "$db" || exit 1
got=$(conns 80)
ok "without a trusted proxy one address gets at most 64 connections ($got of 80 answered)" test "$got" -le 64
formd_down
formd_up "$out" "$db" --trusted-proxy 127.0.0.1 || exit 1
got=$(conns 80)
ok "behind a trusted proxy its connections are not capped per address ($got of 80 answered)" test "$got" -eq 80
formd_down

expect_fail "a trusted proxy that is no IP address is refused" \
	'--trusted-proxy proxy.example: give an IP address' \
	"$ROOT/bin/formd" --site "$out" --db "$db" --listen "127.0.0.1:$(free_port)" --trusted-proxy proxy.example

# the sandbox: on this kernel formd confines itself (the unit test
# test_sandbox shows what it then cannot do); --require-sandbox starts
: >"$TMP/formd.log"
formd_up "$out" "$db" --require-sandbox || exit 1
got=$(posts 10.0.3.1)
ok "formd with --require-sandbox starts and stores a message ($got)" test "$got" = "303 "
ok "...and did not say it runs without a sandbox" sh -c "! grep -q 'without a sandbox' '$TMP/formd.log'"
formd_down
