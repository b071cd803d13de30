#!/bin/sh
# make bench: the full build against Hugo on a 10,000-page corpus
# (../shared/bench/vs-hugo.sh). Needs hugo, GNU time and python3.
set -eu
bench=../shared/bench/vs-hugo.sh
if [ ! -f "$bench" ]; then
	echo "bench: $bench not found (the shared/ folder must sit beside this repository)" >&2
	exit 2
fi
need=""
command -v hugo >/dev/null 2>&1 || need="$need hugo"
[ -x /usr/bin/time ] || need="$need time"
command -v python3 >/dev/null 2>&1 || need="$need python3"
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
	else
		echo "bench: run: sudo apt-get install -y$need" >&2
		exit 1
	fi
fi
# vs-hugo.sh commits 10,000 files and then runs git gc; a detached
# automatic gc started by that commit would make the explicit one fail
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=gc.auto GIT_CONFIG_VALUE_0=0
echo "bench: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
# PORTAL_FLAGS=--no-gzip measures the build without the .gz copies (Hugo
# writes none): the like-for-like figure
exec bash "$bench" . "bin/portal build ${PORTAL_FLAGS:-} --repo {repo} --out {out}" "${PAGES:-10000}" "${ROUNDS:-5}"
