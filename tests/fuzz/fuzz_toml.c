/*
 * fuzz_toml.c - libFuzzer harness for the TOML reader.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
 *       tests/fuzz/fuzz_toml.c common/toml.c common/value.c common/buf.c \
 *       common/err.c -lm -o /tmp/fuzz_toml
 *   /tmp/fuzz_toml -max_len=65536 tests/toml/valid tests/toml/invalid
 *
 * Every input must either parse into a tree that frees cleanly or fail
 * with a message carrying the "fuzz:" place prefix.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "toml.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	struct val *v;
	char *copy;

	/* an exact-size heap copy lets AddressSanitizer catch any overread */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	e.msg[0] = '\0';
	v = toml_parse(copy, size, "fuzz", 0, &e);
	if (!v && strncmp(e.msg, "fuzz:", 5) != 0)
		abort();
	if (v && v->type != VAL_TABLE)
		abort();
	val_free(v);
	free(copy);
	return 0;
}
