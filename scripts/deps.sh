#!/bin/sh
# Installs what Okienko needs from Debian's packages, when it is missing.
#   deps.sh build   what `make` and `make run` need
#   deps.sh test    that, plus what `make test` needs
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu
what=${1:-build}
pkgs="gcc make pkg-config git libcmark-dev libgit2-dev libjansson-dev libmicrohttpd-dev libsqlite3-dev libsodium-dev libcurl4-openssl-dev libqrencode-dev zlib1g-dev python3"
# nginx, openssl and sqlite3: tests/integration/deploy.sh (nginx in front
# of formd over TLS, a backup of the database)
[ "$what" = test ] && pkgs="$pkgs libcmocka-dev chromium default-jre-headless python3-aiosmtpd nginx-light openssl sqlite3"
# node and npm: the browser tests' tools come from npm; a node already on
# the machine (18 or newer) is used as it is
if [ "$what" = test ] && ! command -v npm >/dev/null 2>&1; then
	pkgs="$pkgs nodejs npm"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "deps: installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		# the nginx package starts its service on port 80 unless told not to
		made_policy=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
			chmod 755 /usr/sbin/policy-rc.d
			made_policy=1
		fi
		rc=0
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing || rc=$?
		[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
		[ $rc -eq 0 ] || exit $rc
	else
		echo "deps: missing packages:$missing" >&2
		echo "deps: run: sudo apt-get install -y$missing" >&2
		exit 1
	fi
fi
# a Polish locale, so the TOML test can show that a comma-decimal locale
# does not change how floats are read
if [ "$what" = test ] && ! locale -a 2>/dev/null | grep -qi '^pl_PL\.utf-\?8$'; then
	if [ "$(id -u)" = 0 ]; then
		dpkg-query -W -f='${Status}' locales 2>/dev/null | grep -q "install ok installed" ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends locales
		localedef -i pl_PL -f UTF-8 pl_PL.UTF-8 || echo "deps: could not make the pl_PL.UTF-8 locale" >&2
	else
		echo "deps: the pl_PL.UTF-8 locale is missing (the TOML locale test will skip)" >&2
	fi
fi
# the browser tests' npm packages (axe-core, playwright-core; no browser
# download: they drive Debian's /usr/bin/chromium) and the Nu HTML Checker
# (vnu-jar, run with Debian's Java), pinned by the lock file
if [ "$what" = test ] && { [ ! -d tests/a11y/node_modules/axe-core ] || [ ! -d tests/a11y/node_modules/vnu-jar ]; }; then
	echo "deps: npm ci in tests/a11y"
	(cd tests/a11y && npm ci --no-audit --no-fund --loglevel=error)
fi
