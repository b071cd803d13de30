#!/bin/sh
# The one test driver: unit tests (cmocka binaries built by make), then the
# integration suites in tests/integration/*.sh. Ends with the line
# "N passed, N failed" and exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
OBJ=${OBJ:-build/obj}
export LC_ALL=C.UTF-8 TZ=UTC
passed=0
failed=0
skipped=0
failures=""

for t in "$OBJ"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	log=$(mktemp)
	"$t" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	k=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	skipped=$((skipped + k))
	[ "$k" -ne 0 ] && grep -h 'NOT run' "$log"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		cat "$log"
		failures="$failures $name"
	fi
	echo "unit $name: $p passed, $f failed, $k skipped"
	rm -f "$log"
done

for s in tests/integration/*.sh; do
	name=$(basename "$s" .sh)
	counts=$(mktemp)
	COUNTS=$counts sh "$s"
	rc=$?
	p=$(grep -c '^pass' "$counts")
	f=$(grep -c '^fail' "$counts")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "integration $name: exited $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -ne 0 ] && failures="$failures $name"
	echo "integration $name: $p passed, $f failed"
	rm -f "$counts"
done

[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
