#!/bin/sh
# make run: generate the demo portal from this repository's HEAD and serve
# it on http://127.0.0.1:8080 (a static preview until formd serves it).
set -eu
out=build/site
./bin/portal build --out "$out"
port=${PORT:-8080}
echo "run: serving $out/public on http://127.0.0.1:$port (Ctrl-C stops)"
if command -v python3 >/dev/null 2>&1; then
	exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$out/public"
fi
echo "run: python3 is needed for the preview server (apt-get install python3)" >&2
exit 1
