#!/bin/sh
# Each third-party library is spoken to by one file, and common/ (shared by
# both programs) needs none of the generator's: the includes say so.
. tests/lib.sh

only() { # HEADER FILE: FILE is the one C file that includes HEADER
	found=$(grep -l "#include <$1" common/*.[ch] generator/*.[ch] formd/*.[ch] 2>/dev/null | tr '\n' ' ')
	ok "$1 is included by $2 only (found: $found)" test "$found" = "$2 "
}
only_in() { # INCLUDE PATTERN: INCLUDE (<x.h> or "x.h") is included, by files matching the glob PATTERN only
	found=$(grep -l "#include $1" common/*.[ch] generator/*.[ch] formd/*.[ch] 2>/dev/null | tr '\n' ' ')
	ok "$1 is included by $2 only (found: $found)" sh -c 'test -n "$1" || exit 1
		for f in $1; do case $f in $2) ;; *) echo "$f includes it"; exit 1 ;; esac; done' sh "$found" "$2"
}
only git2.h generator/repo.c
only cmark.h generator/markdown.c
only jansson.h common/json.c
only microhttpd.h formd/http.c
only_in '<sqlite3.h>' 'formd/store_*.c'
only_in '"store_int.h"' 'formd/store_*.c'
only sodium.h formd/auth.c
only curl/curl.h formd/mail.c
only qrencode.h formd/qr.c
only zlib.h generator/gzip.c
only linux/landlock.h formd/sandbox.c
ok "formd includes nothing of the generator" sh -c "! grep -l '#include \"\\(site\\|repo\\|markdown\\|links\\|render\\|context\\|versions\\|build\\|compare\\)\\.h\"' formd/*.[ch]"
ok "bin/formd links no libgit2 or cmark" sh -c "! ldd bin/formd | grep -q 'libgit2\\|libcmark'"
ok "common/ includes nothing from generator/" sh -c "! grep -l '#include \"\\(site\\|repo\\|markdown\\|links\\|render\\|context\\|versions\\|build\\|compare\\)\\.h\"' common/*.[ch]"
ok "site.c (the model) does not include the renderer" sh -c "! grep -q '#include \"\\(render\\|context\\|links\\)\\.h\"' generator/site.c"
ok "common/ compiles without the generator's include path" sh -c "for f in common/*.c; do cc -std=c11 -D_DEFAULT_SOURCE -fsyntax-only -Icommon \$(pkg-config --cflags jansson) \"\$f\" || exit 1; done"

# formd's layers: request -> route -> flow -> store -> reply, never back
flows="formd/contact.c formd/account.c formd/mydata.c formd/learning.c formd/requests.c"
ok "the flows exist, one concern each" sh -c "for f in $flows; do test -f \$f || exit 1; done"
only_by() { # INCLUDE FILES...: INCLUDE is included by some of FILES and by no other file
	inc=$1
	shift
	found=$(grep -l "#include $inc" common/*.[ch] generator/*.[ch] formd/*.[ch] 2>/dev/null | tr '\n' ' ')
	ok "$inc is included by $* only (found: $found)" sh -c 'test -n "$1" || exit 1
		f1=$1; shift; for f in $f1; do case " $* " in *" $f "*) ;; *) echo "$f includes it"; exit 1 ;; esac; done' sh "$found" "$@"
}
only_by '"route.h"' formd/app.c formd/route.c
only_by '"flow.h"' formd/flow.c formd/route.c formd/app.c $flows
ok "nothing below the flows calls a flow" sh -c "! grep -En '(^|[^a-z_])(contact_(post|thanks)|account_[a-z_]+|mydata_[a-z_]+|learning_[a-z_]+|requests_[a-z_]+|route_[a-z_]+)\(' formd/reply.c formd/session.c formd/flow.c formd/store*.c formd/pages.c formd/forum.c formd/outbox.c formd/mail.c"
ok "no flow calls another flow or the router" sh -c "for f in $flows; do b=\$(basename \$f .c); grep -En '(^|[^a-z_])(contact_(post|thanks)|account_[a-z_]+|mydata_[a-z_]+|learning_[a-z_]+|requests_[a-z_]+|route_[a-z_]+)\(' \$f | grep -v \"\$b\"_ && exit 1; done; exit 0"
ok "reply.c and session.c know no flow" sh -c "! grep -q '#include \"\\(flow\\|route\\)\\.h\"' formd/reply.c formd/session.c"
ok "the store knows no HTTP, no flow, no reply" sh -c "! grep -l '#include \"\\(http\\|flow\\|route\\|reply\\|session\\|app\\)\\.h\"' formd/store*.c formd/store*.h"
ok "no /konto/ path is written into formd's C: every path comes from [forms]" sh -c "! grep -n '\"/konto/' formd/*.c"
ok "no function in formd's flows is over 80 lines" sh -c "awk 'FNR==1{n=0;inf=0} /^[a-z].*\\(/ && !/;\$/ {name=\$0; start=FNR} /^{/ {inf=1; start=FNR} /^}/ && inf {if (FNR-start>80) {print FILENAME\": \"name\" \"FNR-start; bad=1} inf=0} END{exit bad}' formd/*.c"
