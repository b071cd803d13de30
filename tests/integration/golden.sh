#!/bin/sh
# Golden tests: each tests/golden/CASE/input/ becomes a git repository
# (fixed author and dates, so commit ids are fixed too), is built, and the
# output must equal tests/golden/CASE/expected/ byte for byte. A case with
# a commits.sh makes its own commits (sourced, with $repo and $dir set).
# The .gz copies are not kept in expected/ (their bytes are zlib's to
# choose): each must unpack to the file beside it.
# UPDATE=1 rewrites expected/ from the current output (review the diff!).
. tests/lib.sh

for dir in tests/golden/*/; do
	case_name=$(basename "$dir")
	repo="$TMP/$case_name"
	cp -r "$dir/input" "$repo"
	git -C "$repo" init -q
	if [ -f "$dir/commits.sh" ]; then
		# the case makes its own history
		. "$dir/commits.sh"
	else
		# two commits, so that history and dates are exercised
		mv "$repo/content/dzial/b.md" "$TMP/b.md" 2>/dev/null
		commit_all "$repo" "first version" 2025-06-01T12:00:00+02:00
		[ -f "$TMP/b.md" ] && mv "$TMP/b.md" "$repo/content/dzial/b.md"
		[ -f "$repo/content/dzial/strona.md" ] && printf '\nDopisek.\n' >>"$repo/content/dzial/strona.md"
		commit_all "$repo" "second version" 2025-07-01T12:00:00+02:00
	fi
	out="$TMP/$case_name-out"
	ok "golden $case_name: builds" "$PORTAL" build --repo "$repo" --out "$out" --jobs 2
	if [ "${UPDATE:-}" = 1 ]; then
		rm -rf "$dir/expected"
		cp -r "$out" "$dir/expected"
		find "$dir/expected" -name '*.gz' -delete
	fi
	ok "golden $case_name: output equals expected/" diff -r -x '*.gz' "$dir/expected" "$out"
	ok "golden $case_name: each .gz unpacks to the file beside it" sh -c "
		n=0; for z in \$(find '$out' -name '*.gz'); do zcat \"\$z\" | cmp -s - \"\${z%.gz}\" || exit 1; n=\$((n+1)); done; test \$n -gt 0"
done
