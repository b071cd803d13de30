/*
 * fuzz_mustache.c - libFuzzer harness for the Mustache engine.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DMST_MAX_WORK=200000UL \
 *       -Icommon tests/fuzz/fuzz_mustache.c common/mustache.c common/value.c \
 *       common/buf.c common/err.c -lm -o /tmp/fuzz_mustache
 *   /tmp/fuzz_mustache -max_len=4096 -timeout=10 CORPUS
 *
 * A good seed corpus is the spec's templates: one file per test case with
 * the template and up to two partials separated by NUL bytes.
 *
 * The input is split at NUL bytes into up to three templates: the page and
 * partials "p" and "q" (all three may include each other, and the page is
 * partial "page", so recursion is exercised). Every template either
 * compiles or fails with a "fuzz-...:" place prefix; every render against
 * a small fixed context either succeeds or fails with a message. The low
 * MST_MAX_WORK and a cap on partial lookups keep exponential templates
 * (self-including partials in loops) fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "mustache.h"
#include "value.h"

#define MAX_LOOKUPS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct set {
	struct mst *t[3];
	unsigned lookups;
};

static const char *const names[3] = {"page", "p", "q"};

static const struct mst *lookup(void *ctx, const char *name, size_t len)
{
	struct set *s = ctx;
	int i;

	if (++s->lookups > MAX_LOOKUPS)
		return NULL;
	for (i = 0; i < 3; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return s->t[i];
	return NULL;
}

/* The fixed context: scalars of every type, a nested table, lists. */
static struct val *context(void)
{
	struct val *root = val_new(VAL_TABLE), *a = val_new(VAL_TABLE), *list = val_new(VAL_ARRAY),
	           *item = val_new(VAL_TABLE);

	if (!root || !a || !list || !item)
		goto fail;
	val_set_str(root, "s", "<b>\"x\" & 'y'</b>\nline2");
	val_set_str(root, "e", "");
	val_set_str(root, "name", "p");
	val_set_str(root, "n2", "q");
	val_set_int(root, "i", -42);
	val_set(root, "f", val_float(1.21));
	val_set_bool(root, "t", 1);
	val_set_bool(root, "b", 0);
	val_set(root, "z", val_new(VAL_NULL));
	val_set(root, "d", val_datetime(DT_DATE, "2025-01-18", 10));
	val_set_str(a, "b", "ab");
	val_set_str(a, "name", "q");
	val_set(root, "a", a);
	a = NULL;
	val_set_str(item, "x", "1");
	val_push(list, item);
	item = NULL;
	val_push(list, val_int(2));
	val_push(list, val_new(VAL_ARRAY));
	val_set(root, "list", list);
	return root;
fail:
	val_free(root);
	val_free(a);
	val_free(list);
	val_free(item);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct val *ctx;
	struct set set;
	struct mst_env env = {lookup, &set};
	struct buf out = BUF_INIT;
	struct err e;
	const struct val *stack[1];
	char tname[16];
	size_t start = 0, end, i;
	int k;

	if (!ctx && !(ctx = context()))
		return 0;
	memset(&set, 0, sizeof set);
	for (k = 0; k < 3 && start <= size; k++) {
		const uint8_t *nul = size > start ? memchr(data + start, 0, size - start) : NULL;
		char *copy;

		end = nul ? (size_t)(nul - data) : size;
		/* an exact-size heap copy lets AddressSanitizer catch any overread */
		copy = malloc(end - start ? end - start : 1);
		if (!copy)
			goto out;
		memcpy(copy, data + start, end - start);
		memcpy(tname, "fuzz-", 5);
		strcpy(tname + 5, names[k]);
		e.msg[0] = '\0';
		set.t[k] = mst_compile(copy, end - start, tname, &e);
		free(copy);
		if (!set.t[k] && strncmp(e.msg, "fuzz-", 5) != 0)
			abort();
		start = end + 1;
	}
	stack[0] = ctx;
	for (i = 0; i < 3; i++) {
		if (!set.t[i])
			continue;
		set.lookups = 0;
		e.msg[0] = '\0';
		if (mst_render(set.t[i], stack, 1, &env, &out, &e) < 0 && e.msg[0] == '\0')
			abort();
		buf_reset(&out);
	}
out:
	buf_free(&out);
	for (k = 0; k < 3; k++)
		mst_free(set.t[k]);
	return 0;
}
