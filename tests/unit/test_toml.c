/*
 * test_toml.c - unit tests for the TOML reader (common/toml.c).
 *
 * Three groups:
 *  - toml_valid: documents covering every feature, checking types, exact
 *    bytes, values, table structure, flags and line/col of values;
 *  - toml_invalid: one test per bad document (table bad_cases), each
 *    checking that parsing fails, the "doc.toml:line:col:" prefix and a
 *    phrase of the message;
 *  - toml_fixtures: every tests/toml/valid/NAME.toml must parse into the
 *    tagged JSON in NAME.json; every tests/toml/invalid/NAME.toml must fail
 *    with the place and phrase on its first line ("# expect: L:C: phrase").
 * Run from the repository root. Every document is parsed from an exact-size
 * heap copy without a NUL, so AddressSanitizer sees any read past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "toml.h"
#include "value.h"

#define NAME "doc.toml"

/* Parses `len` bytes of doc from an exact-size heap copy. */
static struct val *parse_n(const char *doc, size_t len, int line_offset, struct err *e)
{
	char *copy = malloc(len ? len : 1);
	struct val *v;

	assert_non_null(copy);
	memcpy(copy, doc, len);
	e->msg[0] = '\0';
	v = toml_parse(copy, len, NAME, line_offset, e);
	free(copy);
	return v;
}

/* Parses a NUL-terminated doc that must be valid; fails the test otherwise. */
static struct val *ok(const char *doc)
{
	struct err e;
	struct val *v = parse_n(doc, strlen(doc), 0, &e);

	if (!v)
		fail_msg("unexpected error: %s\nin document:\n%s", e.msg, doc);
	assert_int_equal(v->type, VAL_TABLE);
	return v;
}

/* Asserts that doc fails with message "doc.toml:<where>: ...<phrase>...". */
static void bad_n(const char *doc, size_t len, int line_offset, const char *where,
                  const char *phrase)
{
	struct err e;
	struct val *v = parse_n(doc, len, line_offset, &e);
	char prefix[64];

	if (v) {
		val_free(v);
		fail_msg("document parsed but should fail with %s: %s", where, phrase);
	}
	snprintf(prefix, sizeof prefix, "%s:%s: ", NAME, where);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0 || !strstr(e.msg, phrase))
		fail_msg("got message \"%s\"\nwanted \"%s...%s...\"", e.msg, prefix, phrase);
}

static void bad(const char *doc, const char *where, const char *phrase)
{
	bad_n(doc, strlen(doc), 0, where, phrase);
}

/* Follows a dotted path of plain key parts. */
static const struct val *at(const struct val *root, const char *path)
{
	const struct val *v = val_path(root, path);

	if (!v)
		fail_msg("no value at '%s'", path);
	return v;
}

static void str_is(const struct val *root, const char *path, const char *s, size_t len)
{
	const struct val *v = at(root, path);

	assert_int_equal(v->type, VAL_STRING);
	assert_int_equal(v->u.str.len, len);
	assert_memory_equal(v->u.str.s, s, len);
	assert_int_equal(v->u.str.s[len], '\0');
}

#define STR_IS(root, path, lit) str_is(root, path, lit, sizeof(lit) - 1)

static void int_is(const struct val *root, const char *path, long long i)
{
	const struct val *v = at(root, path);

	assert_int_equal(v->type, VAL_INT);
	if (v->u.i != i)
		fail_msg("%s: %lld, wanted %lld", path, v->u.i, i);
}

static void float_is(const struct val *root, const char *path, double f)
{
	const struct val *v = at(root, path);

	assert_int_equal(v->type, VAL_FLOAT);
	if (!(v->u.f == f) || signbit(v->u.f) != signbit(f))
		fail_msg("%s: %.17g, wanted %.17g", path, v->u.f, f);
}

static void dt_is(const struct val *root, const char *path, enum val_dt dt, const char *s)
{
	const struct val *v = at(root, path);

	assert_int_equal(v->type, VAL_DATETIME);
	assert_int_equal(v->dt, dt);
	assert_string_equal(v->u.str.s, s);
	assert_int_equal(v->u.str.len, strlen(s));
}

static void pos_is(const struct val *v, int line, int col)
{
	if (v->line != line || v->col != col)
		fail_msg("value at %d:%d, wanted %d:%d", v->line, v->col, line, col);
}

static const struct val *item(const struct val *arr, size_t i)
{
	assert_int_equal(arr->type, VAL_ARRAY);
	assert_true(i < arr->u.arr.n);
	return arr->u.arr.items[i];
}

/* ---- valid documents ---- */

static void test_empty_and_comments(void **state)
{
	static const char *docs[] = {"",
	                             "\n",
	                             "\r\n",
	                             "# only a comment",
	                             "  \t# c\n\n   \n",
	                             "\xef\xbb\xbf",
	                             "# é ünïcödé ✓ \t in comments\n"};
	struct err e;
	struct val *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		v = ok(docs[i]);
		assert_int_equal(v->u.tab.n, 0);
		val_free(v);
	}
	/* no text at all; no struct err */
	v = toml_parse(NULL, 0, NAME, 0, &e);
	assert_non_null(v);
	pos_is(v, 1, 1);
	val_free(v);
	assert_null(toml_parse("a = ", 4, NAME, 0, NULL));
	assert_null(toml_parse("a", 1, NULL, 0, &e));
	assert_string_equal(e.msg, "<toml>:1:2: expected '=' after key, found end of file");
}

static void test_keys(void **state)
{
	struct val *v;
	const struct val *t;

	(void)state;
	v = ok("bare_key-1 = 1\n"
	       "\"quoted key\" = 2\n"
	       "'literal \\ key' = 3\n"
	       "\"\" = 4\n"
	       "1234 = 5\n"
	       "3.14159 = 6\n"
	       "physical.color = \"orange\"\n"
	       "physical . shape\t=\t\"round\"\n"
	       "site.\"google.com\" = true\n"
	       "\"\\u0041\\t\" = 7\n"
	       "Key = 8\n"
	       "key = 9\n"
	       "true = 10\n"
	       "\"ą\" = 11\n");
	int_is(v, "bare_key-1", 1);
	int_is(v, "quoted key", 2);
	assert_non_null(val_get(v, "literal \\ key"));
	assert_non_null(val_getn(v, "", 0));
	int_is(v, "1234", 5);
	int_is(v, "3.14159", 6); /* dotted: 3 -> 14159 */
	assert_int_equal(at(v, "3")->type, VAL_TABLE);
	STR_IS(v, "physical.color", "orange");
	STR_IS(v, "physical.shape", "round");
	t = at(v, "site");
	assert_non_null(val_get(t, "google.com"));
	assert_non_null(val_getn(v, "A\t", 2));
	int_is(v, "Key", 8);
	int_is(v, "key", 9);
	int_is(v, "true", 10);
	int_is(v, "ą", 11);
	/* document order is kept */
	assert_string_equal(v->u.tab.kv[0].key, "bare_key-1");
	assert_string_equal(v->u.tab.kv[6].key, "physical");
	assert_string_equal(v->u.tab.kv[v->u.tab.n - 1].key, "ą");
	val_free(v);
}

static void test_basic_strings(void **state)
{
	struct val *v;

	(void)state;
	v = ok(
	    "a = \"I'm a string. \\\"You can quote me\\\". Name\\tJos\\u00E9\\nLocation\\tSF.\"\n"
	    "b = \"\\b\\t\\n\\f\\r\\\"\\\\\"\n"
	    "c = \"\\u0000x\\u0000\"\n"
	    "d = \"\\U0001F600 \\u20AC \\U0000007a \\u007F\"\n"
	    "e = \"\"\n"
	    "f = \"tab\there é # not a comment\"\n"
	    "g = \"\\uFFFF\\U0010FFFF\"\n");
	STR_IS(v, "a", "I'm a string. \"You can quote me\". Name\tJos\xc3\xa9\nLocation\tSF.");
	STR_IS(v, "b", "\b\t\n\f\r\"\\");
	STR_IS(v, "c", "\0x\0");
	STR_IS(v, "d", "\xf0\x9f\x98\x80 \xe2\x82\xac z \x7f");
	STR_IS(v, "e", "");
	STR_IS(v, "f", "tab\there \xc3\xa9 # not a comment");
	STR_IS(v, "g", "\xef\xbf\xbf\xf4\x8f\xbf\xbf");
	val_free(v);
}

static void test_literal_strings(void **state)
{
	struct val *v;

	(void)state;
	v = ok("winpath  = 'C:\\Users\\nodejs\\templates'\n"
	       "winpath2 = '\\\\ServerX\\admin$\\system32\\'\n"
	       "quoted   = 'Tom \"Dubs\" Preston-Werner'\n"
	       "regex    = '<\\i\\c*\\s*>'\n"
	       "empty = ''\n"
	       "tab = 'a\tb'\n");
	STR_IS(v, "winpath", "C:\\Users\\nodejs\\templates");
	STR_IS(v, "winpath2", "\\\\ServerX\\admin$\\system32\\");
	STR_IS(v, "quoted", "Tom \"Dubs\" Preston-Werner");
	STR_IS(v, "regex", "<\\i\\c*\\s*>");
	STR_IS(v, "empty", "");
	STR_IS(v, "tab", "a\tb");
	val_free(v);
}

static void test_multiline_basic(void **state)
{
	struct val *v;

	(void)state;
	v = ok("str1 = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n"
	       "str2 = \"\"\"\r\nCRLF\r\nlines\"\"\"\n"
	       "str3 = \"\"\"\\\n       The quick brown \\\n\n\n       fox jumps over \\\n"
	       "       the lazy dog.\\\n       \"\"\"\n"
	       "str4 = \"\"\"trailing ws after backslash \\   \t\n   kept\"\"\"\n"
	       "str5 = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n"
	       "str6 = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
	       "str7 = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\"\n"
	       "str8 = \"\"\"one quote at the end\"\"\"\"\n"
	       "str9 = \"\"\"\"\"\"\n"
	       "str10 = \"\"\"\n\nsecond newline kept\"\"\"\n"
	       "str11 = \"\"\"esc \\u00e9 \\t # no comment\"\"\"\n"
	       "after = 1\n");
	STR_IS(v, "str1", "Roses are red\nViolets are blue");
	STR_IS(v, "str2", "CRLF\nlines");
	STR_IS(v, "str3", "The quick brown fox jumps over the lazy dog.");
	STR_IS(v, "str4", "trailing ws after backslash kept");
	STR_IS(v, "str5", "Here are two quotation marks: \"\". Simple enough.");
	STR_IS(v, "str6", "Here are three quotation marks: \"\"\".");
	STR_IS(v, "str7", "\"This,\" she said, \"is just a pointless statement.\"\"");
	STR_IS(v, "str8", "one quote at the end\"");
	STR_IS(v, "str9", "");
	STR_IS(v, "str10", "\nsecond newline kept");
	STR_IS(v, "str11", "esc \xc3\xa9 \t # no comment");
	/* line counting went on through the multi-line strings */
	pos_is(at(v, "after"), 25, 9);
	val_free(v);
}

static void test_multiline_literal(void **state)
{
	struct val *v;

	(void)state;
	v = ok("regex2 = '''I [dw]on't need \\d{2} apples'''\n"
	       "lines  = '''\nThe first newline is\ntrimmed in raw strings.\n   All other "
	       "whitespace\n   is preserved.\n'''\n"
	       "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\n"
	       "apos = ''''That,' she said, 'is still pointless.''''\n"
	       "two = '''x'''''\n"
	       "bs = '''no \\\n trimming'''\n"
	       "crlf = '''\r\na\r\nb'''\n");
	STR_IS(v, "regex2", "I [dw]on't need \\d{2} apples");
	STR_IS(v, "lines",
	       "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is "
	       "preserved.\n");
	STR_IS(v, "quot15", "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"");
	STR_IS(v, "apos", "'That,' she said, 'is still pointless.'");
	STR_IS(v, "two", "x''");
	STR_IS(v, "bs", "no \\\n trimming");
	STR_IS(v, "crlf", "a\nb");
	val_free(v);
}

static void test_integers(void **state)
{
	struct val *v;

	(void)state;
	v = ok("int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\n"
	       "int6 = 5_349_221\nint7 = 53_49_221\nint8 = 1_2_3_4_5\n"
	       "zp = +0\nzm = -0\n"
	       "max = 9223372036854775807\nmin = -9223372036854775808\n"
	       "hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\nhex4 = 0x00ff\n"
	       "hexmax = 0x7FFFFFFFFFFFFFFF\n"
	       "oct1 = 0o01234567\noct2 = 0o755\noctmax = 0o777777777777777777777\n"
	       "bin1 = 0b11010110\nbin2 = 0b0000_0001\n"
	       "binmax = "
	       "0b111111111111111111111111111111111111111111111111111111111111111\n");
	int_is(v, "int1", 99);
	int_is(v, "int2", 42);
	int_is(v, "int3", 0);
	int_is(v, "int4", -17);
	int_is(v, "int5", 1000);
	int_is(v, "int6", 5349221);
	int_is(v, "int7", 5349221);
	int_is(v, "int8", 12345);
	int_is(v, "zp", 0);
	int_is(v, "zm", 0);
	int_is(v, "max", LLONG_MAX);
	int_is(v, "min", LLONG_MIN);
	int_is(v, "hex1", 0xDEADBEEF);
	int_is(v, "hex2", 0xDEADBEEF);
	int_is(v, "hex3", 0xDEADBEEF);
	int_is(v, "hex4", 255);
	int_is(v, "hexmax", LLONG_MAX);
	int_is(v, "oct1", 01234567);
	int_is(v, "oct2", 0755);
	int_is(v, "octmax", LLONG_MAX);
	int_is(v, "bin1", 214);
	int_is(v, "bin2", 1);
	int_is(v, "binmax", LLONG_MAX);
	val_free(v);
}

static void test_floats(void **state)
{
	struct val *v;

	(void)state;
	v = ok("flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\n"
	       "flt6 = -2E-2\nflt7 = 6.626e-34\nflt8 = 224_617.445_991_228\n"
	       "flt9 = 1e1_0\nflt10 = 0.1\nflt11 = 1.7976931348623157e308\n"
	       "flt12 = 4.9406564584124654e-324\nflt13 = 1e-400\nflt14 = 0e0\n"
	       "flt15 = 0.000000000000000000000000000000000000000000000001\n"
	       "flt16 = 123456789012345678901234567890.5e-10\n"
	       "pz = +0.0\nmz = -0.0\nmz2 = -0e5\n"
	       "sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\nsf6 = -nan\n");
	float_is(v, "flt1", 1.0);
	float_is(v, "flt2", 3.1415);
	float_is(v, "flt3", -0.01);
	float_is(v, "flt4", 5e22);
	float_is(v, "flt5", 1e6);
	float_is(v, "flt6", -2e-2);
	float_is(v, "flt7", 6.626e-34);
	float_is(v, "flt8", 224617.445991228);
	float_is(v, "flt9", 1e10);
	float_is(v, "flt10", 0.1);
	float_is(v, "flt11", 1.7976931348623157e308);
	float_is(v, "flt12", 4.9406564584124654e-324);
	float_is(v, "flt13", 0.0);
	float_is(v, "flt14", 0.0);
	float_is(v, "flt15", 1e-48);
	float_is(v, "flt16", 123456789012345678901234567890.5e-10);
	float_is(v, "pz", 0.0);
	float_is(v, "mz", -0.0);
	assert_true(signbit(at(v, "mz")->u.f));
	assert_false(signbit(at(v, "pz")->u.f));
	float_is(v, "mz2", -0.0);
	float_is(v, "sf1", INFINITY);
	float_is(v, "sf2", INFINITY);
	float_is(v, "sf3", -INFINITY);
	assert_true(isnan(at(v, "sf4")->u.f));
	assert_true(isnan(at(v, "sf5")->u.f));
	assert_true(isnan(at(v, "sf6")->u.f));
	assert_int_equal(at(v, "sf6")->type, VAL_FLOAT);
	val_free(v);
}

/* A long mantissa (beyond what a double can hold) still rounds correctly. */
static void test_float_long_mantissa(void **state)
{
	struct buf b = BUF_INIT;
	struct val *v;
	int i;

	(void)state;
	/* 0.1 followed by 2000 zeros then 1: just above 0.1 by far less than an ulp */
	buf_puts(&b, "a = 0.1");
	for (i = 0; i < 2000; i++)
		buf_putc(&b, '0');
	buf_puts(&b, "1\nb = 1");
	for (i = 0; i < 1000; i++)
		buf_putc(&b, '0');
	buf_puts(&b, ".0e-1000\n");
	assert_false(buf_failed(&b));
	v = ok(b.ptr);
	float_is(v, "a", 0.1);
	float_is(v, "b", 1.0);
	val_free(v);
	buf_free(&b);
}

/* strtod() and friends read ',' as the decimal point under a Polish
 * locale; the reader must not care. Skipped where no such locale exists. */
static void test_float_locale(void **state)
{
	static const char *names[] = {"pl_PL.UTF-8", "pl_PL.utf8",  "pl_PL",      "de_DE.UTF-8",
	                              "de_DE.utf8",  "fr_FR.UTF-8", "ru_RU.UTF-8"};
	const char *doc = "a = 3.14\nb = 1.5e3\nc = 2_000.25\nd = -0.5\n";
	struct val *v;
	size_t i;
	int found = 0;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0] && !found; i++)
		found = setlocale(LC_NUMERIC, names[i]) &&
		        strcmp(localeconv()->decimal_point, ",") == 0;
	if (!found) {
		setlocale(LC_NUMERIC, "C");
		skip();
	}
	v = toml_parse(doc, strlen(doc), NAME, 0, NULL);
	setlocale(LC_NUMERIC, "C");
	assert_non_null(v);
	float_is(v, "a", 3.14);
	float_is(v, "b", 1500.0);
	float_is(v, "c", 2000.25);
	float_is(v, "d", -0.5);
	val_free(v);
}

static void test_booleans(void **state)
{
	struct val *v;

	(void)state;
	v = ok("t = true\nf = false\narr = [true,false]\ninl = {x=true}\n");
	assert_int_equal(at(v, "t")->type, VAL_BOOL);
	assert_int_equal(at(v, "t")->u.b, 1);
	assert_int_equal(at(v, "f")->type, VAL_BOOL);
	assert_int_equal(at(v, "f")->u.b, 0);
	assert_int_equal(item(at(v, "arr"), 0)->u.b, 1);
	assert_int_equal(item(at(v, "arr"), 1)->u.b, 0);
	assert_int_equal(at(v, "inl.x")->u.b, 1);
	val_free(v);
}

static void test_datetimes(void **state)
{
	struct val *v;

	(void)state;
	v = ok("odt1 = 1979-05-27T07:32:00Z\n"
	       "odt2 = 1979-05-27T00:32:00-07:00\n"
	       "odt3 = 1979-05-27T00:32:00.999999-07:00\n"
	       "odt4 = 1979-05-27 07:32:00Z\n"
	       "odt5 = 1979-05-27t07:32:00z\n"
	       "odt6 = 1979-05-27 07:32:00.5+05:30\n"
	       "ldt1 = 1979-05-27T07:32:00\n"
	       "ldt2 = 1979-05-27 00:32:00.999999999\n"
	       "ld1 = 1979-05-27\n"
	       "lt1 = 07:32:00\n"
	       "lt2 = 00:32:00.999999\n"
	       "leap1 = 2024-02-29\n"
	       "leap2 = 2000-02-29\n"
	       "dec31 = 1999-12-31T23:59:60Z\n"
	       "arr = [1979-05-27 07:32:00, 1979-05-27, 23:59:59]\n"
	       "d_then_comment = 1979-05-27 # comment\n");
	dt_is(v, "odt1", DT_OFFSET, "1979-05-27T07:32:00Z");
	dt_is(v, "odt2", DT_OFFSET, "1979-05-27T00:32:00-07:00");
	dt_is(v, "odt3", DT_OFFSET, "1979-05-27T00:32:00.999999-07:00");
	dt_is(v, "odt4", DT_OFFSET, "1979-05-27T07:32:00Z");
	dt_is(v, "odt5", DT_OFFSET, "1979-05-27T07:32:00Z");
	dt_is(v, "odt6", DT_OFFSET, "1979-05-27T07:32:00.5+05:30");
	dt_is(v, "ldt1", DT_LOCAL, "1979-05-27T07:32:00");
	dt_is(v, "ldt2", DT_LOCAL, "1979-05-27T00:32:00.999999999");
	dt_is(v, "ld1", DT_DATE, "1979-05-27");
	dt_is(v, "lt1", DT_TIME, "07:32:00");
	dt_is(v, "lt2", DT_TIME, "00:32:00.999999");
	dt_is(v, "leap1", DT_DATE, "2024-02-29");
	dt_is(v, "leap2", DT_DATE, "2000-02-29");
	dt_is(v, "dec31", DT_OFFSET, "1999-12-31T23:59:60Z");
	assert_int_equal(item(at(v, "arr"), 0)->dt, DT_LOCAL);
	assert_string_equal(item(at(v, "arr"), 0)->u.str.s, "1979-05-27T07:32:00");
	assert_int_equal(item(at(v, "arr"), 1)->dt, DT_DATE);
	assert_int_equal(item(at(v, "arr"), 2)->dt, DT_TIME);
	dt_is(v, "d_then_comment", DT_DATE, "1979-05-27");
	val_free(v);
}

static void test_arrays(void **state)
{
	struct val *v;
	const struct val *a;

	(void)state;
	v = ok("integers = [ 1, 2, 3 ]\n"
	       "nested = [ [ 1, 2 ], [\"a\", 'b', \"\"\"c\"\"\"] ]\n"
	       "mixed = [ 0.1, \"two\", 3, { four = 4 }, [], 1979-05-27 ]\n"
	       "multi = [\n"
	       "  1, # one\n"
	       "  # a whole comment line\n"
	       "\n"
	       "  2,\n"
	       "]\n"
	       "empty = []\n"
	       "empty2 = [ # c\n  # c\n]\n"
	       "crlf = [\r\n 1,\r\n 2\r\n]\r\n"
	       "tables = [ {a = 1}, {b = {c = 2}} ]\n");
	a = at(v, "integers");
	assert_int_equal(a->u.arr.n, 3);
	assert_int_equal(item(a, 2)->u.i, 3);
	assert_true(a->flags & TOML_F_INLINE);
	assert_false(a->flags & TOML_F_AOT);
	a = at(v, "nested");
	assert_int_equal(item(item(a, 0), 1)->u.i, 2);
	assert_string_equal(item(item(a, 1), 2)->u.str.s, "c");
	a = at(v, "mixed");
	assert_int_equal(a->u.arr.n, 6);
	assert_int_equal(item(a, 0)->type, VAL_FLOAT);
	assert_int_equal(item(a, 1)->type, VAL_STRING);
	assert_int_equal(item(a, 2)->type, VAL_INT);
	assert_int_equal(item(a, 3)->type, VAL_TABLE);
	assert_int_equal(item(a, 4)->type, VAL_ARRAY);
	assert_int_equal(item(a, 5)->type, VAL_DATETIME);
	a = at(v, "multi");
	assert_int_equal(a->u.arr.n, 2);
	assert_int_equal(item(a, 1)->u.i, 2);
	pos_is(item(a, 1), 8, 3);
	assert_int_equal(at(v, "empty")->u.arr.n, 0);
	assert_int_equal(at(v, "empty2")->u.arr.n, 0);
	assert_int_equal(at(v, "crlf")->u.arr.n, 2);
	a = at(v, "tables");
	assert_true(item(a, 0)->flags & TOML_F_INLINE);
	int_is(item(a, 1), "b.c", 2);
	val_free(v);
}

static void test_inline_tables(void **state)
{
	struct val *v;
	const struct val *t;

	(void)state;
	v = ok("name = { first = \"Tom\", last = \"Preston-Werner\" }\n"
	       "point = {x=1,y=2}\n"
	       "animal = { type.name = \"pug\", type.age = 3 }\n"
	       "empty = {}\n"
	       "empty2 = {  }\n"
	       "nested = { a = { b = { c = [1, { d = 2 }] } } }\n"
	       "quoted = { \"a b\" = 1, 'c' = 2 }\n");
	t = at(v, "name");
	assert_int_equal(t->type, VAL_TABLE);
	assert_true(t->flags & TOML_F_INLINE);
	assert_int_equal(t->u.tab.n, 2);
	STR_IS(v, "name.first", "Tom");
	STR_IS(v, "name.last", "Preston-Werner");
	int_is(v, "point.x", 1);
	int_is(v, "point.y", 2);
	STR_IS(v, "animal.type.name", "pug");
	int_is(v, "animal.type.age", 3);
	assert_true(at(v, "animal.type")->flags & TOML_F_DOTTED);
	assert_int_equal(at(v, "empty")->u.tab.n, 0);
	assert_int_equal(at(v, "empty2")->u.tab.n, 0);
	int_is(item(at(v, "nested.a.b.c"), 1), "d", 2);
	assert_non_null(val_get(at(v, "quoted"), "a b"));
	val_free(v);
}

static void test_tables(void **state)
{
	struct val *v;
	const struct val *t;

	(void)state;
	v = ok("top = 0\n"
	       "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n"
	       "[table-2]\nkey1 = \"another string\"\n\n"
	       "[dog.\"tater.man\"]\ntype.name = \"pug\"\n"
	       "[ j . \"ʞ\" . 'l' ]\nx = 1\n"
	       "[x.y.z.w]\n"
	       "[x]\nv = 2\n"
	       "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
	       "[fruit.apple.texture]\nsmooth = true\n"
	       "[empty]\n");
	int_is(v, "top", 0);
	STR_IS(v, "table-1.key1", "some string");
	int_is(v, "table-1.key2", 123);
	STR_IS(v, "table-2.key1", "another string");
	t = at(v, "dog");
	assert_int_equal(t->flags, TOML_F_IMPLICIT);
	t = val_get(t, "tater.man");
	assert_non_null(t);
	assert_int_equal(t->flags, TOML_F_DEFINED);
	STR_IS(t, "type.name", "pug");
	int_is(v, "j.ʞ.l.x", 1);
	assert_non_null(val_path(v, "x.y.z.w"));
	assert_int_equal(at(v, "x.y")->flags, TOML_F_IMPLICIT);
	/* [x] came after [x.y.z.w] and defined the implicit table */
	t = at(v, "x");
	assert_int_equal(t->flags, TOML_F_DEFINED);
	pos_is(t, 14, 1);
	int_is(v, "x.v", 2);
	assert_true(at(v, "fruit.apple")->flags & TOML_F_DOTTED);
	assert_int_equal(at(v, "fruit.apple.texture")->flags, TOML_F_DEFINED);
	assert_int_equal(at(v, "fruit.apple.texture.smooth")->u.b, 1);
	assert_int_equal(at(v, "empty")->u.tab.n, 0);
	/* key order of the root: first definition wins */
	assert_string_equal(v->u.tab.kv[0].key, "top");
	assert_string_equal(v->u.tab.kv[1].key, "table-1");
	val_free(v);
}

static void test_arrays_of_tables(void **state)
{
	struct val *v;
	const struct val *a, *el;

	(void)state;
	v = ok("[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n"
	       "[[products]]  # empty table within the array\n\n"
	       "[[products]]\nname = \"Nail\"\nsku = 284758393\ncolor = \"gray\"\n"
	       "[[fruits]]\nname = \"apple\"\n"
	       "[fruits.physical]  # subtable\ncolor = \"red\"\n"
	       "[[fruits.varieties]]  # nested array of tables\nname = \"red delicious\"\n"
	       "[[fruits.varieties]]\nname = \"granny smith\"\n"
	       "[[fruits]]\nname = \"banana\"\n"
	       "[[fruits.varieties]]\nname = \"plantain\"\n"
	       "[fruits.physical]\ncolor = \"yellow\"\n"
	       "[[a.b.c]]\nx = 1\n"
	       "[a]\ny = 2\n"
	       "[[a.b.c]]\nx = 3\n");
	a = at(v, "products");
	assert_int_equal(a->type, VAL_ARRAY);
	assert_true(a->flags & TOML_F_AOT);
	assert_int_equal(a->u.arr.n, 3);
	STR_IS(item(a, 0), "name", "Hammer");
	assert_int_equal(item(a, 1)->u.tab.n, 0);
	assert_int_equal(item(a, 1)->flags, TOML_F_DEFINED);
	pos_is(item(a, 1), 5, 1);
	STR_IS(item(a, 2), "color", "gray");
	a = at(v, "fruits");
	assert_int_equal(a->u.arr.n, 2);
	el = item(a, 0);
	STR_IS(el, "name", "apple");
	STR_IS(el, "physical.color", "red");
	assert_int_equal(at(el, "varieties")->u.arr.n, 2);
	STR_IS(item(at(el, "varieties"), 1), "name", "granny smith");
	el = item(a, 1);
	STR_IS(el, "name", "banana");
	assert_int_equal(at(el, "varieties")->u.arr.n, 1);
	STR_IS(item(at(el, "varieties"), 0), "name", "plantain");
	STR_IS(el, "physical.color", "yellow");
	a = at(v, "a.b.c");
	assert_int_equal(a->u.arr.n, 2);
	int_is(item(a, 1), "x", 3);
	int_is(v, "a.y", 2);
	val_free(v);
}

static void test_dotted_keys(void **state)
{
	struct val *v;

	(void)state;
	v = ok("a.b.c = 1\n"
	       "a.b.d = 2\n"
	       "a.e = 3\n"
	       "[t]\n"
	       "x.y = 1\n"
	       "x.z = 2\n"
	       "[t.x.w]\n"
	       "k = 1\n"
	       "[[arr]]\n"
	       "a.b.c = 1\n"
	       "[[arr]]\n"
	       "a.b.c = 2\n"
	       "[p.q.r]\n"
	       "[p]\n"
	       "q.s = 1\n");
	int_is(v, "a.b.c", 1);
	int_is(v, "a.b.d", 2);
	int_is(v, "a.e", 3);
	assert_int_equal(at(v, "a")->flags, TOML_F_DOTTED);
	assert_int_equal(at(v, "a.b")->flags, TOML_F_DOTTED);
	pos_is(at(v, "a.b"), 1, 3);
	int_is(v, "t.x.y", 1);
	int_is(v, "t.x.w.k", 1);
	int_is(item(at(v, "arr"), 1), "a.b.c", 2);
	/* an implicit table taken over by dotted keys */
	assert_int_equal(at(v, "p.q")->flags, TOML_F_DOTTED);
	int_is(v, "p.q.s", 1);
	assert_non_null(val_path(v, "p.q.r"));
	val_free(v);
}

static void test_positions(void **state)
{
	struct val *v;
	const struct val *a;

	(void)state;
	v = ok("title = \"x\"\n"         /* 1 */
	       "[a.b]\n"                 /* 2 */
	       "n = [\n"                 /* 3 */
	       "  1,\n"                  /* 4 */
	       "  { k = 2 },\n"          /* 5 */
	       "]\n"                     /* 6 */
	       "\"ą\" = 'ę'\n"           /* 7: columns count characters */
	       "s = \"\"\"\nx\n\"\"\"\n" /* 8-10 */
	       "after = 1979-05-27\n"    /* 11 */
	       "\t  f =  -1.5e3 # c\n"   /* 12 */
	       "[[arr]]\n");             /* 13 */
	pos_is(v, 1, 1);
	pos_is(at(v, "title"), 1, 9);
	pos_is(at(v, "a"), 2, 2);
	pos_is(at(v, "a.b"), 2, 1);
	a = at(v, "a.b.n");
	pos_is(a, 3, 5);
	pos_is(item(a, 0), 4, 3);
	pos_is(item(a, 1), 5, 3);
	pos_is(val_get(item(a, 1), "k"), 5, 9);
	pos_is(at(v, "a.b.ą"), 7, 7);
	pos_is(at(v, "a.b.s"), 8, 5);
	pos_is(at(v, "a.b.after"), 11, 9);
	pos_is(at(v, "a.b.f"), 12, 9);
	pos_is(at(v, "arr"), 13, 1);
	pos_is(item(at(v, "arr"), 0), 13, 1);
	val_free(v);
}

static void test_line_offset(void **state)
{
	struct err e;
	struct val *v;
	const char *doc = "a = 1\nb = [\n  2]\n";

	(void)state;
	v = parse_n(doc, strlen(doc), 1, &e);
	assert_non_null(v);
	pos_is(v, 2, 1);
	pos_is(at(v, "a"), 2, 5);
	pos_is(item(at(v, "b"), 0), 4, 3);
	val_free(v);
	bad_n("a = 1\na = 2\n", 12, 1, "3:1", "duplicate key 'a' (first defined at 2:1)");
	bad_n("x = \"\n", 6, 41, "42:6", "unterminated string");
	bad_n("\n\xff", 2, 1, "3:1", "invalid utf-8");
}

static void test_crlf(void **state)
{
	struct val *v;

	(void)state;
	v = ok("# comment\r\n"
	       "a = 1\r\n"
	       "[t]\r\n"
	       "s = \"\"\"\r\nx\r\ny\"\"\"\r\n"
	       "l = '''\\\r\n'''\r\n"
	       "b = \"\"\"a \\\r\n   b\"\"\"\r\n"
	       "c = 2 # trailing\r\n");
	int_is(v, "a", 1);
	STR_IS(v, "t.s", "x\ny");
	STR_IS(v, "t.l", "\\\n");
	STR_IS(v, "t.b", "a b");
	int_is(v, "t.c", 2);
	pos_is(at(v, "t.c"), 11, 5);
	val_free(v);
	bad("a = 1\r\nb = 2\r\na = 3\r\n", "3:1", "duplicate key 'a' (first defined at 1:1)");
	bad("a = 1\rb = 2\n", "1:6", "carriage return not followed by a newline");
	bad("a = \"x\r\n\"\n", "1:7", "unterminated string");
}

/* The reader stops at len: nothing after it is read, no NUL is needed. */
static void test_length_bound(void **state)
{
	struct err e;
	struct val *v;
	const char doc[] = "a = 123\nb = 2";

	(void)state;
	v = parse_n(doc, 5, 0, &e);
	assert_non_null(v);
	int_is(v, "a", 1);
	assert_null(val_get(v, "b"));
	val_free(v);
	v = parse_n(doc, 8, 0, &e);
	assert_non_null(v);
	int_is(v, "a", 123);
	val_free(v);
	bad_n("a = \"xyz\"", 7, 0, "1:8", "unterminated string");
	bad_n("a = tru", 6, 0, "1:5", "invalid value 'tr'");
	bad_n("a = 1979-05-27", 12, 0, "1:13", "invalid date: expected YYYY-MM-DD");
	bad_n("a = 'x\0y'", 9, 0, "1:7", "control character 0x00");
}

static void test_depth_limit(void **state)
{
	struct buf b = BUF_INIT;
	struct val *v;
	const struct val *a;
	int i;

	(void)state;
	/* 64 nested arrays are fine */
	buf_puts(&b, "a = ");
	for (i = 0; i < TOML_MAX_DEPTH; i++)
		buf_putc(&b, '[');
	for (i = 0; i < TOML_MAX_DEPTH; i++)
		buf_putc(&b, ']');
	v = ok(b.ptr);
	for (a = at(v, "a"), i = 1; i < TOML_MAX_DEPTH; i++)
		a = item(a, 0);
	assert_int_equal(a->u.arr.n, 0);
	val_free(v);
	/* 65 are not */
	buf_reset(&b);
	buf_puts(&b, "a = ");
	for (i = 0; i <= TOML_MAX_DEPTH; i++)
		buf_putc(&b, '[');
	for (i = 0; i <= TOML_MAX_DEPTH; i++)
		buf_putc(&b, ']');
	bad(b.ptr, "1:69", "nesting too deep (the limit is 64 levels)");
	/* 200,000 open brackets fail at the limit, without deep recursion */
	buf_reset(&b);
	buf_puts(&b, "a = ");
	for (i = 0; i < 200000; i++)
		buf_putc(&b, '[');
	bad(b.ptr, "1:69", "nesting too deep");
	buf_reset(&b);
	buf_puts(&b, "a = ");
	for (i = 0; i < 200000; i++)
		buf_puts(&b, "{b=");
	bad(b.ptr, "1:197", "nesting too deep");
	/* inline tables: 64 deep fine, 65 not */
	buf_reset(&b);
	buf_puts(&b, "a = ");
	for (i = 0; i < TOML_MAX_DEPTH; i++)
		buf_puts(&b, "{b=");
	buf_puts(&b, "1");
	for (i = 0; i < TOML_MAX_DEPTH; i++)
		buf_putc(&b, '}');
	v = ok(b.ptr);
	val_free(v);
	buf_reset(&b);
	buf_puts(&b, "a = ");
	for (i = 0; i <= TOML_MAX_DEPTH; i++)
		buf_puts(&b, "{b=");
	buf_puts(&b, "1");
	for (i = 0; i <= TOML_MAX_DEPTH; i++)
		buf_putc(&b, '}');
	bad(b.ptr, "1:197", "nesting too deep");
	/* table headers: 64 parts fine, 65 not */
	buf_reset(&b);
	buf_puts(&b, "[k");
	for (i = 1; i < TOML_MAX_DEPTH; i++)
		buf_puts(&b, ".k");
	buf_puts(&b, "]\nx = 1\n");
	v = ok(b.ptr);
	val_free(v);
	buf_truncate(&b, b.len - 8);
	buf_puts(&b, ".k]\n");
	bad(b.ptr, "1:130", "nesting too deep");
	/* a 64-part header leaves no room for a container below it */
	buf_truncate(&b, b.len - 4);
	buf_puts(&b, "]\nx = []\n");
	bad(b.ptr, "2:5", "nesting too deep");
	/* dotted keys: 65 parts (64 tables and a scalar) fine, 66 not */
	buf_reset(&b);
	buf_puts(&b, "k");
	for (i = 1; i <= TOML_MAX_DEPTH; i++)
		buf_puts(&b, ".k");
	buf_puts(&b, " = 1\n");
	v = ok(b.ptr);
	val_free(v);
	buf_reset(&b);
	buf_puts(&b, "k");
	for (i = 1; i <= TOML_MAX_DEPTH + 1; i++)
		buf_puts(&b, ".k");
	buf_puts(&b, " = 1\n");
	bad(b.ptr, "1:129", "nesting too deep");
	assert_false(buf_failed(&b));
	buf_free(&b);
}

static void test_size_limit(void **state)
{
	size_t n = TOML_MAX_SIZE, i;
	char *doc = malloc(n + 1);
	struct err e;
	struct val *v;

	(void)state;
	assert_non_null(doc);
	/* "a = 1", then 64-byte comment lines up to exactly the limit */
	for (i = 0; i < n; i += 64) {
		memset(doc + i, 'x', 63);
		doc[i] = '#';
		doc[i + 63] = '\n';
	}
	memcpy(doc, "a = 1\n#", 7);
	v = toml_parse(doc, n, NAME, 0, &e);
	assert_non_null(v);
	int_is(v, "a", 1);
	val_free(v);
	doc[n] = '#';
	assert_null(toml_parse(doc, n + 1, NAME, 0, &e));
	assert_string_equal(e.msg, NAME ":262146:1: document too large (16777217 bytes, the limit "
	                                "is 16777216)");
	free(doc);
}

/* Keys are found through a hash index: many keys in one table stay fast. */
static void test_many_keys_fast(void **state)
{
	struct buf b = BUF_INIT;
	struct val *v;
	clock_t t0;
	double secs;
	int i;

	(void)state;
	for (i = 0; i < 100000; i++)
		buf_printf(&b, "key%d = %d\n", i, i);
	buf_puts(&b, "[t]\n");
	for (i = 0; i < 50000; i++)
		buf_printf(&b, "s%d.x = %d\n", i, i);
	buf_puts(&b, "[[aot]]\n[[aot]]\narr = [");
	for (i = 0; i < 100000; i++)
		buf_puts(&b, "1,");
	buf_puts(&b, "]\n");
	assert_false(buf_failed(&b));
	t0 = clock();
	v = ok(b.ptr);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_int_equal(v->u.tab.n, 100002);
	int_is(v, "key99999", 99999);
	int_is(v, "t.s49999.x", 49999);
	assert_int_equal(item(at(v, "aot"), 1)->type, VAL_TABLE);
	val_free(v);
	b.ptr[b.len - 2] = '\0';
	bad(b.ptr, "150004:200008", "unterminated array (opened at 150004:7)");
	buf_free(&b);
	/* quadratic lookups would take minutes here, even without sanitizers */
	if (secs > 10.0)
		fail_msg("parsing 250,000 values took %.1f s", secs);
}

/* ---- invalid documents ---- */

struct bad_case {
	const char *name;
	const char *doc;
	size_t len;
	const char *where; /* "line:col" */
	const char *phrase;
};

#define BAD(name, doc, where, phrase)                                                              \
	{                                                                                          \
		name, doc, sizeof(doc) - 1, where, phrase                                          \
	}

static const struct bad_case bad_cases[] = {
    /* syntax */
    BAD("missing_equals", "a = 1\nb 2\n", "2:3", "expected '=' after key, found '2'"),
    BAD("missing_key", "= 1\n", "1:1", "expected a key, found '='"),
    BAD("missing_newline", "a = 1 b = 2\n", "1:7",
        "expected a newline after the key/value pair, found 'b'"),
    BAD("missing_newline_after_string", "a = \"\"\"abc\"\"\"x", "1:14",
        "expected a newline after the key/value pair"),
    BAD("missing_value", "a =\n", "1:4", "expected a value, found end of line"),
    BAD("missing_value_eof", "a = ", "1:5", "expected a value, found end of file"),
    BAD("value_is_comment", "a = # x\n", "1:5", "expected a value, found a comment"),
    BAD("empty_dotted_part", "a.= 1", "1:3", "expected a key, found '='"),
    BAD("non_ascii_bare_key", "\xc4\x85 = 1", "1:1", "expected a key, found '\xc4\x85'"),
    BAD("bare_key_bad_char", "a$b = 1", "1:2", "expected '=' after key, found '$'"),
    BAD("multiline_key", "\"\"\"a\"\"\" = 1", "1:1", "multi-line strings cannot be used as keys"),
    BAD("unquoted_string", "title = Kursy\n", "1:9",
        "invalid value 'Kursy' (strings must be quoted)"),
    BAD("true_prefix", "a = true1", "1:5", "invalid value 'true1'"),
    BAD("capital_true", "a = True", "1:5", "invalid value 'True'"),
    BAD("header_trailing", "[a]x\n", "1:4", "expected a newline after the table header, found 'x'"),
    BAD("header_unclosed", "[a\n", "1:3", "expected ']' after the table name"),
    BAD("aot_unclosed", "[[a]\n", "1:5", "expected ']]' after the table name"),
    BAD("header_empty", "[]\n", "1:2", "expected a key, found ']'"),
    BAD("header_spaced_brackets", "[ [a] ]\n", "1:3", "expected a key, found '['"),
    BAD("header_space_in_name", "[a b]\n", "1:4", "expected ']' after the table name, found 'b'"),
    /* redefinitions */
    BAD("duplicate_key", "a = 1\nb = 2\ntitle = \"x\"\ntitle = \"y\"\n", "4:1",
        "duplicate key 'title' (first defined at 3:1)"),
    BAD("duplicate_key_quoted", "\"a\" = 1\na = 2", "2:1",
        "duplicate key 'a' (first defined at 1:1)"),
    BAD("duplicate_key_case", "A = 1\na = 2\nA = 3\n", "3:1",
        "duplicate key 'A' (first defined at 1:1)"),
    BAD("duplicate_empty_key", "\"\" = 1\n'' = 2", "2:1", "duplicate key ''''"),
    BAD("duplicate_in_table", "[t]\nx = 1\n[u]\nx = 1\n[t]\n", "5:2",
        "table 't' defined twice (first defined at 1:1)"),
    BAD("table_twice", "[a]\nx=1\n[a]\n", "3:2", "table 'a' defined twice (first defined at 1:1)"),
    BAD("table_twice_after_sub", "[a]\n[a.b]\n[a]", "3:2", "table 'a' defined twice"),
    BAD("super_table_twice", "[a.b]\n[a]\n[a]\n", "3:2",
        "table 'a' defined twice (first defined at 2:1)"),
    BAD("table_over_value", "a = 1\n[a]\n", "2:2",
        "cannot define table 'a': it is already an integer (first defined at 1:1)"),
    BAD("table_through_value", "a = 1\n\n  [ a . b ] \n", "3:5",
        "cannot use 'a' as a table: it is already an integer (first defined at 1:1)"),
    BAD("aot_after_table", "[a]\n[[a]]\n", "2:3",
        "cannot define array of tables 'a': it is already a table (first defined at 1:2)"),
    BAD("table_after_aot", "[[a]]\n[a]\n", "2:2",
        "cannot define table 'a': it is already an array of tables (first defined at 1:3)"),
    BAD("aot_after_static_array", "a = [1]\n[[a]]\n", "2:3",
        "cannot append to static array 'a' (first defined at 1:1)"),
    BAD("aot_over_value", "a = true\n[[a]]\n", "2:3", "it is already a boolean"),
    BAD("aot_after_implicit", "[[albums.songs]]\n[[albums]]\n", "2:3",
        "cannot define array of tables 'albums': it is already a table"),
    BAD("table_in_static_array", "a = [{}]\n[a.b]", "2:2",
        "cannot use 'a' as a table: it is already an array"),
    BAD("dotted_over_value", "a = 1\na.b = 2\n", "2:1",
        "cannot use 'a' as a table: it is already an integer (first defined at 1:1)"),
    BAD("value_over_dotted", "a.b = 1\na = 2\n", "2:1", "duplicate key 'a' (first defined at 1:1)"),
    BAD("value_over_implicit", "[a.b]\n[a]\nb = 1\n", "3:1",
        "duplicate key 'b' (first defined at 1:4)"),
    BAD("dotted_table_by_header", "[fruit]\napple.color = 1\n[fruit.apple]\n", "3:8",
        "table 'fruit.apple' is already defined by dotted keys (first defined at 2:1)"),
    BAD("dotted_table_by_header_deep", "[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]\n",
        "3:14", "already defined by dotted keys"),
    BAD("dotted_into_header_table", "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", "4:3",
        "cannot add to table 'b.c' with dotted keys: it is defined by a [header] (first defined "
        "at 1:1)"),
    BAD("dotted_takeover_then_header", "[a.b.c]\n[a]\nb.d = 1\n[a.b]", "4:4",
        "table 'a.b' is already defined by dotted keys (first defined at 3:1)"),
    BAD("dotted_into_aot", "[[a.b]]\n[a]\nb.y = 2\n", "3:1",
        "cannot use 'b' as a table: it is already an array of tables"),
    BAD("aot_over_dotted_table", "[fruit]\napple.color = \"red\"\n[[fruit.apple]]\n", "3:9",
        "it is already a table"),
    /* inline tables */
    BAD("inline_extended_by_header", "a = {x = 1}\n[a]\n", "2:2",
        "cannot extend inline table 'a' (first defined at 1:1)"),
    BAD("inline_extended_by_dotted", "[product]\ntype = { name = \"Nail\" }\ntype.edible = false\n",
        "3:1", "cannot extend inline table 'type' (first defined at 2:1)"),
    BAD("inline_extended_by_subtable", "a = {x = 1}\n[a.b]\n", "2:2",
        "cannot extend inline table 'a'"),
    BAD("inline_nested_extended", "t = { a = { b = 1 }, a.c = 2 }", "1:22",
        "cannot extend inline table 'a'"),
    BAD("inline_aot_on_inline", "[t]\ni = { n = {} }\n[[t.i]]\n", "3:5",
        "it is already an inline table"),
    BAD("inline_duplicate", "x = {a = 1, a = 2}", "1:13",
        "duplicate key 'a' (first defined at 1:6)"),
    BAD("inline_trailing_comma", "a = {x = 1,}\n", "1:12",
        "trailing comma is not allowed in an inline table"),
    BAD("inline_newline", "a = {x = 1,\ny = 2}\n", "1:12",
        "newline in inline table (opened at 1:5)"),
    BAD("inline_unterminated", "a = {x = 1", "1:11", "unterminated inline table (opened at 1:5)"),
    BAD("inline_missing_comma", "a = {x = 1 y = 2}", "1:12", "expected ',' or '}' in inline table"),
    BAD("inline_leading_comma", "a = {,x = 1}", "1:6", "expected a key, found ','"),
    /* arrays */
    BAD("array_unterminated", "a = [1, 2", "1:10", "unterminated array (opened at 1:5)"),
    BAD("array_unterminated_lines", "a = [\n1,\n# c\n", "4:1",
        "unterminated array (opened at 1:5)"),
    BAD("array_missing_comma", "a = [1 2]", "1:8", "expected ',' or ']' in array, found '2'"),
    BAD("array_empty_element", "a = [,]", "1:6", "expected a value, found ','"),
    BAD("array_double_comma", "a = [1,,2]", "1:8", "expected a value, found ','"),
    /* strings */
    BAD("string_newline", "a = \"abc\n\"", "1:9",
        "unterminated string: newline before the closing quote"),
    BAD("string_eof", "a = \"abc", "1:9", "unterminated string (opened at 1:5)"),
    BAD("literal_newline", "a = 'abc\n'", "1:9", "unterminated string"),
    BAD("ml_basic_eof", "a = \"\"\"abc\n\n", "3:1",
        "unterminated multi-line string (opened at 1:5)"),
    BAD("ml_literal_eof", "a = '''abc", "1:11", "unterminated multi-line string (opened at 1:5)"),
    BAD("escape_x", "a = \"\\x41\"", "1:6", "invalid escape sequence: backslash followed by 'x'"),
    BAD("escape_e", "a = \"\\e\"", "1:6", "invalid escape sequence"),
    BAD("escape_space", "a = \"a\\ b\"", "1:7",
        "invalid escape sequence: backslash followed by ' '"),
    BAD("escape_in_key", "\"\\q\" = 1", "1:2", "invalid escape sequence"),
    BAD("escape_surrogate", "a = \"\\uD800\"", "1:6",
        "invalid unicode escape: \\uD800 is a surrogate"),
    BAD("escape_surrogate_U", "a = \"\\U0000DFFF\"", "1:6", "is a surrogate"),
    BAD("escape_too_big", "a = \"\\U00110000\"", "1:6", "\\U00110000 is beyond U+10FFFF"),
    BAD("escape_short", "a = \"\\u12G4\"", "1:10", "\\u needs 4 hexadecimal digits"),
    BAD("escape_at_eof", "a = \"\\", "1:7", "unterminated string"),
    BAD("string_control",
        "a = \"a\x01"
        "b\"",
        "1:7", "control character 0x01 in string must be escaped"),
    BAD("string_del",
        "a = \"a\x7f"
        "b\"",
        "1:7", "control character 0x7f"),
    BAD("literal_control", "a = 'a\x1f'", "1:7", "control character 0x1f"),
    BAD("ml_string_control", "a = \"\"\"\na\x08\"\"\"", "2:2", "control character 0x08"),
    BAD("ml_bare_cr", "a = '''a\rb'''", "1:9", "carriage return not followed by a newline"),
    BAD("ml_six_quotes", "a = \"\"\"a\"\"\"\"\"\"\n", "1:14", "too many quotes"),
    BAD("ml_backslash_space_text", "a = \"\"\"\\ x\"\"\"", "1:8", "invalid escape sequence"),
    /* integers */
    BAD("leading_zero", "a = 01\n", "1:5", "leading zeros are not allowed"),
    BAD("leading_zero_neg", "a = -01", "1:6", "leading zeros are not allowed"),
    BAD("leading_zero_underscore", "a = 0_1", "1:5", "leading zeros are not allowed"),
    BAD("leading_zero_float", "a = 03.14", "1:5", "leading zeros are not allowed"),
    BAD("double_underscore", "a = 1__0", "1:6", "underscore in a number must be between digits"),
    BAD("leading_underscore", "a = _1", "1:5", "invalid value '_1'"),
    BAD("trailing_underscore", "a = 1_", "1:6", "underscore in a number must be between digits"),
    BAD("underscore_before_dot", "a = 1_.5", "1:6",
        "underscore in a number must be between digits"),
    BAD("underscore_after_dot", "a = 1._5", "1:7", "expected a digit after '.'"),
    BAD("underscore_in_exp", "a = 1e_5", "1:7", "expected a digit in the exponent"),
    BAD("hex_leading_underscore", "a = 0x_1", "1:7",
        "underscore in a number must be between digits"),
    BAD("hex_trailing_underscore", "a = 0x1_", "1:8",
        "underscore in a number must be between digits"),
    BAD("int_overflow", "a = 9223372036854775808", "1:5", "integer out of range (64-bit signed)"),
    BAD("int_underflow", "a = -9223372036854775809", "1:5", "integer out of range"),
    BAD("int_overflow_long", "a = 99999999999999999999999999", "1:5", "integer out of range"),
    BAD("hex_overflow", "a = 0x8000000000000000", "1:5", "integer out of range"),
    BAD("bin_overflow", "a = 0b1000000000000000000000000000000000000000000000000000000000000000",
        "1:5", "integer out of range"),
    BAD("hex_sign", "a = +0x1", "1:5", "hexadecimal integers cannot have a sign"),
    BAD("octal_sign", "a = -0o7", "1:5", "octal integers cannot have a sign"),
    BAD("hex_empty", "a = 0x", "1:7", "expected a hexadecimal digit after '0x'"),
    BAD("hex_upper_prefix", "a = 0X10", "1:6", "invalid number: unexpected 'X'"),
    BAD("binary_digit", "a = 0b102", "1:9", "invalid digit '2' in binary integer"),
    BAD("octal_digit", "a = 0o8", "1:7", "invalid digit '8' in octal integer"),
    BAD("sign_only", "a = +", "1:6", "invalid number: expected a digit"),
    BAD("double_sign", "a = +-1", "1:6", "invalid number: expected a digit, found '-'"),
    /* floats */
    BAD("float_no_fraction", "a = 1.", "1:7", "invalid float: expected a digit after '.'"),
    BAD("float_no_int", "a = .5", "1:5", "invalid value '.5'"),
    BAD("float_no_exp_digits", "a = 1e", "1:7", "expected a digit in the exponent"),
    BAD("float_exp_dot", "a = 1e2.5", "1:8", "invalid number: unexpected '.'"),
    BAD("float_two_dots", "a = 1.2.3", "1:8", "invalid number: unexpected '.'"),
    BAD("float_overflow", "a = 1e400", "1:5", "float out of range"),
    BAD("float_inf_capital", "a = Inf", "1:5", "invalid value 'Inf' (strings must be quoted)"),
    BAD("float_infinity", "a = infinity", "1:5", "invalid value 'infinity'"),
    BAD("float_nan_sign_twice", "a = --nan", "1:6", "expected a digit"),
    /* dates and times */
    BAD("feb_29_not_leap", "a = 2023-02-29", "1:13", "invalid date: 2023-02 has no day 29"),
    BAD("feb_29_1900", "a = 1900-02-29", "1:13", "1900-02 has no day 29"),
    BAD("feb_30", "a = 2024-02-30", "1:13", "invalid date: 2024-02 has no day 30"),
    BAD("april_31", "a = 2021-04-31T00:00:00", "1:13", "2021-04 has no day 31"),
    BAD("day_zero", "a = 2021-01-00", "1:13", "has no day 00"),
    BAD("month_13", "a = 2021-13-01", "1:10", "invalid date: month 13 out of range"),
    BAD("month_zero", "a = 2021-00-01", "1:10", "month 00 out of range"),
    BAD("hour_24", "a = 24:00:00", "1:5", "invalid time: hour 24 out of range"),
    BAD("minute_60", "a = 12:60:00", "1:8", "minute 60 out of range"),
    BAD("second_61", "a = 1979-05-27T12:00:61Z", "1:22", "second 61 out of range"),
    BAD("no_seconds", "a = 1979-05-27T07:32", "1:21", "invalid time: expected HH:MM:SS"),
    BAD("time_no_seconds", "a = 07:32\n", "1:10", "expected HH:MM:SS"),
    BAD("offset_hour", "a = 1979-05-27T07:32:00+24:00", "1:24", "offset +24:00 out of range"),
    BAD("offset_short", "a = 1979-05-27T07:32:00+07", "1:24", "expected offset as +HH:MM"),
    BAD("bad_separator", "a = 1979-05-27X07:32:00", "1:15", "expected 'T' between date and time"),
    BAD("time_with_offset", "a = 07:32:00Z", "1:13", "invalid time: unexpected 'Z'"),
    BAD("short_month", "a = 1979-5-27", "1:11", "invalid date: expected YYYY-MM-DD"),
    BAD("fraction_empty", "a = 07:32:00.", "1:14", "expected a digit after '.'"),
    BAD("date_trailing", "a = 1979-05-27x", "1:15", "expected 'T' between date and time"),
    /* encoding and control characters */
    BAD("utf8_bad_continuation", "a = \"\xc3\x28\"", "1:6", "invalid utf-8 byte 0xc3"),
    BAD("utf8_stray_byte", "# ok\n\xff = 1", "2:1", "invalid utf-8 byte 0xff"),
    BAD("utf8_overlong", "a = \"\xc0\xaf\"", "1:6", "invalid utf-8"),
    BAD("utf8_overlong_3", "a = \"\xe0\x80\xaf\"", "1:6", "invalid utf-8"),
    BAD("utf8_surrogate", "a = \"\xed\xa0\x80\"", "1:6", "invalid utf-8"),
    BAD("utf8_too_big", "a = \"\xf4\x90\x80\x80\"", "1:6", "invalid utf-8"),
    BAD("utf8_truncated", "a = \"\xe2\x82", "1:6", "invalid utf-8"),
    BAD("utf8_in_comment_after_text", "a = \"\xc4\x85\" # \x80", "1:11", "invalid utf-8 byte 0x80"),
    BAD("comment_control",
        "# a\x01"
        "b\n",
        "1:4", "control character 0x01 in comment"),
    BAD("comment_del", "a = 1 # \x7f", "1:9", "control character 0x7f in comment"),
    BAD("comment_nul", "# a\0b", "1:4", "control character 0x00 in comment"),
    BAD("bare_cr", "a = 1\rb = 2", "1:6", "carriage return not followed by a newline"),
    BAD("comment_bare_cr", "# x\ry\n", "1:4", "carriage return not followed by a newline"),
    BAD("nul_outside", "a = 1\n\0", "2:1", "expected a key, found control character 0x00"),
    BAD("columns_count_characters", "x = \"\xc4\x85\xc4\x99\" y", "1:10",
        "expected a newline after the key/value pair, found 'y'"),
};

static void run_bad_case(void **state)
{
	const struct bad_case *c = *state;

	bad_n(c->doc, c->len, 0, c->where, c->phrase);
}

/* ---- fixture files ---- */

static void jstr(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

/* Writes v as toml-test style tagged JSON (no whitespace). */
static void dump(struct buf *b, const struct val *v)
{
	static const char *dts[] = {"datetime", "datetime-local", "date-local", "time-local"};
	size_t i;

	switch (v->type) {
	case VAL_TABLE:
		buf_putc(b, '{');
		for (i = 0; i < v->u.tab.n; i++) {
			if (i)
				buf_putc(b, ',');
			jstr(b, v->u.tab.kv[i].key, v->u.tab.kv[i].klen);
			buf_putc(b, ':');
			dump(b, v->u.tab.kv[i].v);
		}
		buf_putc(b, '}');
		break;
	case VAL_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < v->u.arr.n; i++) {
			if (i)
				buf_putc(b, ',');
			dump(b, v->u.arr.items[i]);
		}
		buf_putc(b, ']');
		break;
	case VAL_STRING:
		buf_puts(b, "{\"type\":\"string\",\"value\":");
		jstr(b, v->u.str.s, v->u.str.len);
		buf_putc(b, '}');
		break;
	case VAL_INT:
		buf_printf(b, "{\"type\":\"integer\",\"value\":\"%lld\"}", v->u.i);
		break;
	case VAL_FLOAT:
		if (isnan(v->u.f))
			buf_puts(b, "{\"type\":\"float\",\"value\":\"nan\"}");
		else if (isinf(v->u.f))
			buf_printf(b, "{\"type\":\"float\",\"value\":\"%sinf\"}",
			           v->u.f < 0 ? "-" : "");
		else
			buf_printf(b, "{\"type\":\"float\",\"value\":\"%.17g\"}", v->u.f);
		break;
	case VAL_BOOL:
		buf_printf(b, "{\"type\":\"bool\",\"value\":\"%s\"}", v->u.b ? "true" : "false");
		break;
	case VAL_DATETIME:
		buf_printf(b, "{\"type\":\"%s\",\"value\":", dts[v->dt]);
		jstr(b, v->u.str.s, v->u.str.len);
		buf_putc(b, '}');
		break;
	default:
		buf_puts(b, "null");
		break;
	}
}

/* Reads a whole file into b; returns 0 or -1. */
static int slurp(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	int rc = 0;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(b, chunk, n);
	if (ferror(f) || buf_failed(b))
		rc = -1;
	fclose(f);
	return rc;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

static void test_fixtures_valid(void **state)
{
	const char *dir = "tests/toml/valid";
	DIR *d = opendir(dir);
	struct dirent *de;
	int count = 0;

	(void)state;
	if (!d)
		fail_msg("cannot open %s (run the tests from the repository root)", dir);
	while ((de = readdir(d)) != NULL) {
		struct buf doc = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
		char path[512];
		struct err e;
		struct val *v;

		if (!has_suffix(de->d_name, ".toml"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		assert_int_equal(slurp(path, &doc), 0);
		v = toml_parse(doc.ptr, doc.len, path, 0, &e);
		if (!v)
			fail_msg("%s", e.msg);
		dump(&got, v);
		val_free(v);
		snprintf(path + strlen(path) - 5, 6, ".json");
		if (slurp(path, &want) < 0)
			fail_msg("missing %s", path);
		while (want.len &&
		       (want.ptr[want.len - 1] == '\n' || want.ptr[want.len - 1] == '\r'))
			buf_truncate(&want, want.len - 1);
		if (strcmp(got.ptr, want.ptr) != 0)
			fail_msg("%s differs:\ngot  %s\nwant %s", path, got.ptr, want.ptr);
		buf_free(&doc);
		buf_free(&want);
		buf_free(&got);
		count++;
	}
	closedir(d);
	assert_true(count > 0);
}

static void test_fixtures_invalid(void **state)
{
	const char *dir = "tests/toml/invalid";
	DIR *d = opendir(dir);
	struct dirent *de;
	int count = 0;

	(void)state;
	if (!d)
		fail_msg("cannot open %s (run the tests from the repository root)", dir);
	while ((de = readdir(d)) != NULL) {
		struct buf doc = BUF_INIT;
		char path[512], where[600], *nl, *sp;
		const char *phrase;
		struct err e;
		struct val *v;

		if (!has_suffix(de->d_name, ".toml"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		assert_int_equal(slurp(path, &doc), 0);
		/* first line: "# expect: L:C: phrase" */
		nl = strncmp(doc.ptr, "# expect: ", 10) == 0 ? strchr(doc.ptr, '\n') : NULL;
		sp = nl ? memchr(doc.ptr + 10, ' ', (size_t)(nl - doc.ptr - 10)) : NULL;
		if (!nl || !sp) {
			fail_msg("%s: first line must be '# expect: L:C: phrase'", path);
			break;
		}
		*nl = '\0';
		phrase = sp + 1;
		snprintf(where, sizeof where, "%s:%.*s", path, (int)(sp - doc.ptr - 10),
		         doc.ptr + 10);
		*nl = '\n';
		v = toml_parse(doc.ptr, doc.len, path, 0, &e);
		if (v) {
			val_free(v);
			fail_msg("%s parsed but should fail", path);
		}
		*nl = '\0';
		if (strncmp(e.msg, where, strlen(where)) != 0 || !strstr(e.msg, phrase))
			fail_msg("%s: got \"%s\", wanted \"%s ...%s...\"", path, e.msg, where,
			         phrase);
		buf_free(&doc);
		count++;
	}
	closedir(d);
	assert_true(count > 0);
}

int main(void)
{
	static const struct CMUnitTest valid[] = {
	    cmocka_unit_test(test_empty_and_comments),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_basic_strings),
	    cmocka_unit_test(test_literal_strings),
	    cmocka_unit_test(test_multiline_basic),
	    cmocka_unit_test(test_multiline_literal),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_floats),
	    cmocka_unit_test(test_float_long_mantissa),
	    cmocka_unit_test(test_float_locale),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_datetimes),
	    cmocka_unit_test(test_arrays),
	    cmocka_unit_test(test_inline_tables),
	    cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_arrays_of_tables),
	    cmocka_unit_test(test_dotted_keys),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_line_offset),
	    cmocka_unit_test(test_crlf),
	    cmocka_unit_test(test_length_bound),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_many_keys_fast),
	};
	static const struct CMUnitTest fixtures[] = {
	    cmocka_unit_test(test_fixtures_valid),
	    cmocka_unit_test(test_fixtures_invalid),
	};
	static struct CMUnitTest invalid[sizeof bad_cases / sizeof bad_cases[0]];
	size_t i;
	int failed = 0;

	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		invalid[i].name = bad_cases[i].name;
		invalid[i].test_func = run_bad_case;
		invalid[i].initial_state = (void *)&bad_cases[i];
	}
	failed += cmocka_run_group_tests_name("toml_valid", valid, NULL, NULL);
	failed += cmocka_run_group_tests_name("toml_invalid", invalid, NULL, NULL);
	failed += cmocka_run_group_tests_name("toml_fixtures", fixtures, NULL, NULL);
	return failed ? 1 : 0;
}
