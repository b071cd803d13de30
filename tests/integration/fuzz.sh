#!/bin/sh
# Fuzz smoke test: each libFuzzer harness of tests/fuzz/ runs its corpus and
# a fixed number of deterministic mutations (tests/fuzz/driver.c). Under
# `make SANITIZE=1 test` a memory error or undefined behaviour fails it.
. tests/lib.sh
OBJ=${OBJ:-build/obj}
n=${FUZZ_ITERATIONS:-20000}
mkdir -p "$TMP/md" "$TMP/mst"
find content tests/golden -name '*.md' 2>/dev/null | head -200 | while read -r f; do cp "$f" "$TMP/md/$(echo "$f" | tr / _)"; done
find themes -name '*.mustache' | while read -r f; do cp "$f" "$TMP/mst/$(echo "$f" | tr / _)"; done
ok "fuzz: the TOML reader survives its corpus and $n mutations" "$OBJ/fuzz/fuzz_toml" "$n" tests/toml/valid tests/toml/invalid
ok "fuzz: the Mustache engine survives the theme and $n mutations" "$OBJ/fuzz/fuzz_mustache" "$n" "$TMP/mst"
ok "fuzz: pages (front matter + Markdown) survive the content and $n mutations" "$OBJ/fuzz/fuzz_markdown" "$n" "$TMP/md"
ok "fuzz: form bodies survive their corpus and $n mutations" "$OBJ/fuzz/fuzz_forms" "$n" tests/fuzz/forms
ok "fuzz: retention periods survive their corpus and $n mutations" "$OBJ/fuzz/fuzz_retention" "$n" tests/fuzz/retention
