/*
 * fuzz_retention.c - libFuzzer harness for the retention period parser.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
 *       tests/fuzz/fuzz_retention.c common/retention.c common/clock.c \
 *       common/buf.c common/err.c -o /tmp/fuzz_retention
 *   /tmp/fuzz_retention -max_len=256 tests/fuzz/retention
 *
 * The input, up to its first NUL, is a period as written in site.toml.
 * Every input either is "" (not set), or parses into 1..1000 of a unit
 * whose text (retention_text) parses back to the same period, or fails
 * with a message that ends with the accepted forms. The eight bytes after
 * the NUL, if any, are a time to move by the period: add and sub must not
 * overflow (UBSan) and add(sub(t)) must not pass t.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "retention.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	size_t len = nul ? (size_t)(nul - (const char *)data) : size;
	struct retention r = {0, RETENTION_DAYS}, back = {0, RETENTION_DAYS};
	struct err e;
	struct buf b = BUF_INIT;
	char *text = malloc(len + 1); /* exact size: ASan catches an overread */
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	e.msg[0] = '\0';
	rc = retention_parse(text, &r, &e);
	if (rc == 1 && len != 0)
		abort();
	if (rc == -1 && !strstr(e.msg, "(write e.g. \"30 dni\", \"6 miesięcy\", \"5 lat\")"))
		abort();
	if (rc == 0) {
		if (r.n < 1 || r.n > RETENTION_MAX_N)
			abort();
		retention_text(&r, &b);
		if (buf_failed(&b) || retention_parse(b.ptr, &back, NULL) != 0 || back.n != r.n ||
		    back.unit != r.unit)
			abort();
		if (nul && size - len > 8) {
			long long t;

			memcpy(&t, nul + 1, sizeof t);
			if (t > LLONG_MIN / 2 && t < LLONG_MAX / 2 &&
			    retention_add(&r, retention_sub(&r, t)) > t)
				abort();
			(void)retention_add(&r, t);
		}
	}
	buf_free(&b);
	free(text);
	return 0;
}
