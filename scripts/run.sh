#!/bin/sh
# make run: generate the demo portal from this repository's HEAD and serve
# it with formd on http://127.0.0.1:8080 (or on $PORT: PORT=8090 make run):
# the static site and the forms in one process (--serve-public), the cookie
# without Secure (--dev: plain http on this machine). The database is
# var/formd.sqlite. scripts/first-run-check.sh checks all this (CI).
set -eu
out=build/site
./bin/portal build --no-gzip --out "$out"
port=${PORT:-8080}
mkdir -p var
echo "run: http://127.0.0.1:$port (Ctrl-C stops); staff: bin/formd admin --db var/formd.sqlite help"
echo "run: no mail relay here: e-mails (links to confirm a request, reset a password) wait;"
echo "     see them with: bin/formd admin --db var/formd.sqlite outbox"
exec ./bin/formd --site "$out" --db var/formd.sqlite --listen "127.0.0.1:$port" --serve-public --dev \
	--public-url "http://127.0.0.1:$port"
