/*
 * fuzz_forms.c - libFuzzer harness for the form daemon's body parser,
 * field validation and `form` frame (formd/forms.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon -Iformd \
 *       tests/fuzz/fuzz_forms.c formd/forms.c common/value.c common/buf.c \
 *       common/err.c common/utf8.c -o /tmp/fuzz_forms
 *   /tmp/fuzz_forms -max_len=65536 tests/fuzz/forms
 *
 * Every input must either fail to parse with ERR_INPUT, or parse into at
 * most FORM_MAX_PAIRS pairs that check against a table holding each field
 * type and give a frame that matches the check (an `errors` list exactly
 * when a field is in error); everything frees cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "forms.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const choices[] = {"bezrobotna", "poszukujaca", NULL};

static const struct field table[] = {
    {"first_name", F_LINE, 1, 100, NULL, NULL},
    {"message", F_TEXT, 0, 2000, NULL, NULL},
    {"email", F_EMAIL, 1, 254, NULL, NULL},
    {"password", F_PASSWORD, 1, 200, NULL, NULL},
    {"status", F_CHOICE, 1, 20, choices, NULL},
    {"office", F_CHOICE, 0, 50, NULL, NULL},
    {"terms", F_CHECKBOX, 1, 0, NULL, NULL},
    {"website", F_HONEYPOT, 0, 0, NULL, NULL},
    {"a", F_LINE, 0, 8, NULL, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pairs p;
	struct form f;
	struct err e;
	struct val *frame;
	char *copy;
	size_t i;
	int n, inerror = 0;

	/* an exact-size heap copy lets AddressSanitizer catch any overread */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	memset(&p, 0, sizeof p);
	e.msg[0] = '\0';
	e.kind = ERR_NONE;
	if (form_parse(copy, size, &p, &e) < 0) {
		if (e.kind != ERR_INPUT || !e.msg[0])
			abort();
		goto out;
	}
	if (p.n > FORM_MAX_PAIRS)
		abort();
	for (i = 0; i < p.n; i++)
		if (strlen(p.v[i].name) > FORM_MAX_NAME || p.v[i].value[p.v[i].len] != '\0')
			abort();
	n = form_check(&f, table, sizeof table / sizeof table[0], &p);
	for (i = 0; i < f.nfields; i++)
		inerror += f.v[i].error != NULL;
	if (n != f.nerrors || n != inerror)
		abort();
	(void)form_get(&f, "first_name");
	frame = form_frame(&f, n ? "Popraw błędy." : NULL);
	if (!frame || (val_get(frame, "errors") != NULL) != (n > 0) ||
	    val_path(frame, "values.password") || val_path(frame, "values.website"))
		abort();
	val_free(frame);
	/* checking the same pairs again gives the same result */
	if (form_check(&f, table, sizeof table / sizeof table[0], &p) != n)
		abort();
out:
	pairs_free(&p);
	free(copy);
	return 0;
}
