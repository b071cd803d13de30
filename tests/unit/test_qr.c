/*
 * Unit tests of formd/qr.c: a QR code drawn as inline SVG. The drawing is
 * checked against what every QR code has (ISO/IEC 18004): three 7x7
 * finder patterns, top left, top right and bottom left, here inside the
 * 4-module quiet zone, each starting with a row of 7 dark modules.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "qr.h"

#include <stdio.h>
#include <string.h>

static void test_draws_finders(void **state)
{
	struct buf out = BUF_INIT;
	struct err e = {0};
	char run[64];
	int size = 0, w;

	(void)state;
	assert_int_equal(qr_svg("https://kompetencjedlapracy.pl/certyfikat/ABCD-EFGH-JKMN-PQRS",
	                        "Kod QR", &out, &e),
	                 0);
	assert_true(
	    strncmp(out.ptr, "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\"", 50) == 0);
	assert_int_equal(sscanf(strstr(out.ptr, "viewBox=\"0 0 "), "viewBox=\"0 0 %d", &size), 1);
	w = size - 8;
	assert_true(w >= 21 && (w - 21) % 4 == 0);        /* a QR version's width: 21, 25, ... */
	assert_non_null(strstr(out.ptr, "M4 4h7v1h-7z")); /* top left */
	snprintf(run, sizeof run, "M%d 4h7v1h-7z", 4 + w - 7); /* top right */
	assert_non_null(strstr(out.ptr, run));
	snprintf(run, sizeof run, "M4 %dh7v1h-7z", 4 + w - 7); /* bottom left */
	assert_non_null(strstr(out.ptr, run));
	assert_non_null(strstr(out.ptr, "role=\"img\" aria-label=\"Kod QR\""));
	assert_null(strstr(out.ptr, "<script"));
	assert_null(strstr(out.ptr, "href"));
	assert_string_equal(out.ptr + out.len - 6, "</svg>");
	buf_free(&out);
}

/* The label is the element's accessible name: escaped for the attribute. */
static void test_label_escaped(void **state)
{
	struct buf out = BUF_INIT;
	struct err e = {0};

	(void)state;
	assert_int_equal(qr_svg("x", "a\"><script>&", &out, &e), 0);
	assert_null(strstr(out.ptr, "<script"));
	assert_non_null(strstr(out.ptr, "aria-label=\"a&quot;&gt;&lt;script&gt;&amp;\""));
	buf_free(&out);
}

/* An empty text and one over the limit are refused, the buffer as it was. */
static void test_limits(void **state)
{
	struct buf out = BUF_INIT;
	struct err e = {0};
	char big[QR_TEXT_MAX + 2];

	(void)state;
	buf_puts(&out, "before");
	assert_int_equal(qr_svg("", "l", &out, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(qr_svg(big, "l", &out, &e), -1);
	assert_string_equal(e.msg, "a QR code's text must have 1 to 512 bytes, not 513");
	assert_string_equal(out.ptr, "before");
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_draws_finders),
	    cmocka_unit_test(test_label_escaped),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
