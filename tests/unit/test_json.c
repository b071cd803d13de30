/*
 * test_json.c - unit tests for common/json.c (JSON through libjansson):
 * round trips of every type, key order, UTF-8 and NUL in strings, the
 * <script>-safe output, error places, invalid UTF-8, nesting limits,
 * duplicate keys, NaN, deterministic output, datetimes and files.
 * Every text is parsed from an exact-size heap copy without a NUL, so
 * AddressSanitizer sees any read past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "value.h"

#define NAME "doc.json"

/* ---- helpers ---- */

/* Parses `len` bytes of `text` from an exact-size heap copy. Returns the
 * tree or NULL with `e` set. */
static struct val *parse_n(const char *text, size_t len, struct err *e)
{
	char *copy = malloc(len ? len : 1);
	struct val *v;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(e, 0, sizeof *e);
	v = json_parse(copy, len, NAME, e);
	free(copy);
	return v;
}

/* Parses NUL-terminated `text`, which must be valid; fails the test
 * otherwise. The caller frees the tree. */
static struct val *ok(const char *text)
{
	struct err e;
	struct val *v = parse_n(text, strlen(text), &e);

	if (!v)
		fail_msg("unexpected error: %s\nin: %s", e.msg, text);
	return v;
}

/* Parses `len` bytes of `text`, which must fail with an ERR_INPUT message
 * starting with `prefix` and containing `phrase`. */
static void bad_n(const char *text, size_t len, const char *prefix, const char *phrase)
{
	struct err e;
	struct val *v = parse_n(text, len, &e);

	if (v) {
		val_free(v);
		fail_msg("parsed but should fail: %.*s", (int)len, text);
	}
	if (e.kind != ERR_INPUT || strncmp(e.msg, prefix, strlen(prefix)) != 0 ||
	    !strstr(e.msg, phrase))
		fail_msg("input %.*s\n  expected: %s...%s\n  got:      %s (%s)", (int)len, text,
		         prefix, phrase, e.msg, err_kind_name(e.kind));
}

static void bad(const char *text, const char *prefix, const char *phrase)
{
	bad_n(text, strlen(text), prefix, phrase);
}

/* Dumps `v`, which must succeed; returns the text (caller frees) and checks
 * that the length matches strlen when the text holds no NUL. */
static char *dump(const struct val *v, unsigned flags, size_t *len)
{
	struct err e = {0};
	size_t n = 0;
	char *s = json_dump(v, flags, &n, &e);

	if (!s)
		fail_msg("json_dump failed: %s", e.msg);
	assert_int_equal(n, strlen(s)); /* JSON text never holds a raw NUL */
	if (len)
		*len = n;
	return s;
}

/* Dumps `v`, which must fail with an ERR_INPUT message equal to `want`. */
static void dump_fails(const struct val *v, unsigned flags, const char *want)
{
	struct err e = {0};
	size_t n = 77;
	char *s = json_dump(v, flags, &n, &e);

	if (s) {
		fail_msg("dumped but should fail: %s", s);
		free(s);
	}
	assert_int_equal(e.kind, ERR_INPUT);
	assert_string_equal(e.msg, want);
}

/* 1 if the trees are equal: types, values (floats bit for bit, so -0.0 and
 * 0.0 differ), string bytes and lengths, table keys in order. */
static int same(const struct val *a, const struct val *b)
{
	size_t i;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case VAL_NULL:
		return 1;
	case VAL_BOOL:
		return !a->u.b == !b->u.b;
	case VAL_INT:
		return a->u.i == b->u.i;
	case VAL_FLOAT:
		return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
	case VAL_STRING:
	case VAL_DATETIME:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case VAL_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return 0;
		for (i = 0; i < a->u.arr.n; i++)
			if (!same(a->u.arr.items[i], b->u.arr.items[i]))
				return 0;
		return 1;
	case VAL_TABLE:
		if (a->u.tab.n != b->u.tab.n)
			return 0;
		for (i = 0; i < a->u.tab.n; i++) {
			const struct val_kv *x = &a->u.tab.kv[i], *y = &b->u.tab.kv[i];

			if (x->klen != y->klen || memcmp(x->key, y->key, x->klen) != 0 ||
			    !same(x->v, y->v))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* Dumps `v` with `flags`, parses the text back and checks the tree is the
 * same; returns the text (caller frees). */
static char *round_trip(const struct val *v, unsigned flags)
{
	size_t len;
	char *s = dump(v, flags, &len);
	struct val *back = parse_n(s, len, &(struct err){0});

	if (!back)
		fail_msg("output does not parse back: %s", s);
	if (!same(v, back))
		fail_msg("tree differs after a round trip through %s", s);
	val_free(back);
	return s;
}

/* Adds `v` (owned) to table `t` under `key`; fails the test on error. */
static void put(struct val *t, const char *key, struct val *v)
{
	assert_non_null(v);
	assert_int_equal(val_set(t, key, v), 0);
}

/* `depth` nested arrays (or objects {"a": ...} when `obj`) around 1. */
static char *nested_text(int depth, int obj)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < depth; i++)
		buf_puts(&b, obj ? "{\"a\":" : "[");
	buf_puts(&b, "1");
	for (i = 0; i < depth; i++)
		buf_putc(&b, obj ? '}' : ']');
	assert_false(buf_failed(&b));
	return buf_detach(&b, NULL);
}

/* A tree of `depth` nested arrays around an int. */
static struct val *nested_tree(int depth)
{
	struct val *v = val_int(1);
	int i;

	for (i = 0; i < depth; i++) {
		struct val *a = val_new(VAL_ARRAY);

		assert_non_null(a);
		assert_int_equal(val_push(a, v), 0);
		v = a;
	}
	return v;
}

/* ---- tests ---- */

static void test_types(void **state)
{
	const char *text =
	    "{\"n\":null,\"t\":true,\"f\":false,\"i\":-42,\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808,\"r\":1.5,\"e\":1e21,\"z\":-0.0,\"s\":\"x\\\"\\\\\\n\","
	    "\"a\":[1,[2,{}],[]],\"o\":{\"k\":\"v\"}}";
	struct val *v = ok(text);
	const struct val *x;
	char *out;

	(void)state;
	assert_int_equal(v->type, VAL_TABLE);
	assert_int_equal(v->u.tab.n, 12);
	assert_int_equal(val_get(v, "n")->type, VAL_NULL);
	assert_int_equal(val_get(v, "t")->type, VAL_BOOL);
	assert_true(val_get(v, "t")->u.b);
	assert_int_equal(val_get(v, "f")->type, VAL_BOOL);
	assert_false(val_get(v, "f")->u.b);
	assert_int_equal(val_get(v, "i")->type, VAL_INT);
	assert_true(val_get(v, "i")->u.i == -42);
	assert_true(val_get(v, "max")->u.i == INT64_MAX);
	assert_true(val_get(v, "min")->u.i == INT64_MIN);
	assert_int_equal(val_get(v, "r")->type, VAL_FLOAT);
	assert_true(val_get(v, "r")->u.f == 1.5);
	assert_int_equal(val_get(v, "e")->type, VAL_FLOAT);
	assert_true(val_get(v, "e")->u.f == 1e21);
	x = val_get(v, "z");
	assert_int_equal(x->type, VAL_FLOAT);
	assert_true(x->u.f == 0.0 && signbit(x->u.f));
	x = val_get(v, "s");
	assert_int_equal(x->type, VAL_STRING);
	assert_int_equal(x->u.str.len, 4);
	assert_string_equal(x->u.str.s, "x\"\\\n");
	x = val_get(v, "a");
	assert_int_equal(x->type, VAL_ARRAY);
	assert_int_equal(x->u.arr.n, 3);
	assert_int_equal(x->u.arr.items[1]->type, VAL_ARRAY);
	assert_int_equal(x->u.arr.items[1]->u.arr.items[1]->type, VAL_TABLE);
	assert_int_equal(x->u.arr.items[1]->u.arr.items[1]->u.tab.n, 0);
	assert_int_equal(x->u.arr.items[2]->u.arr.n, 0);
	assert_string_equal(val_get_str(val_get(v, "o"), "k", ""), "v");
	/* compact output is the input itself (it has no whitespace) */
	out = round_trip(v, 0);
	assert_string_equal(out, text);
	free(out);
	val_free(v);
	/* scalars at the top level, both ways */
	v = ok(" \"s\" ");
	assert_int_equal(v->type, VAL_STRING);
	out = round_trip(v, JSON_OUT_PRETTY);
	assert_string_equal(out, "\"s\"\n");
	free(out);
	val_free(v);
	v = ok("null");
	out = round_trip(v, 0);
	assert_string_equal(out, "null");
	free(out);
	val_free(v);
}

static void test_floats(void **state)
{
	static const double fs[] = {0.1,
	                            1.0,
	                            -0.0,
	                            0.30000000000000004,
	                            1e300,
	                            5e-324,
	                            2.5e-10,
	                            123.0,
	                            1e21,
	                            -123456.789,
	                            1e16,
	                            DBL_MAX,
	                            3.141592653589793,
	                            0.0,
	                            1.0 / 3,
	                            9007199254740993.0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof fs / sizeof fs[0]; i++) {
		struct val *v = val_float(fs[i]);
		char *out;

		assert_non_null(v);
		out = round_trip(v, 0); /* parses back as VAL_FLOAT, bit for bit */
		val_free(v);
		free(out);
	}
	/* %.17g; integral values keep ".0" */
	{
		struct val *v = val_new(VAL_ARRAY);
		char *out;

		assert_non_null(v);
		assert_int_equal(val_push(v, val_float(0.1)), 0);
		assert_int_equal(val_push(v, val_float(2.0)), 0);
		assert_int_equal(val_push(v, val_float(-0.0)), 0);
		assert_int_equal(val_push(v, val_float(1e21)), 0);
		assert_int_equal(val_push(v, val_int(2)), 0);
		out = dump(v, 0, NULL);
		assert_string_equal(out, "[0.10000000000000001,2.0,-0.0,1e21,2]");
		free(out);
		val_free(v);
	}
}

static void test_key_order(void **state)
{
	struct val *v = ok("{\"z\": 1, \"a\": {\"y\": 1, \"b\": 2, \"x\": 3}, \"m\": 3}"), *t;
	char *out;

	(void)state;
	assert_string_equal(v->u.tab.kv[0].key, "z");
	assert_string_equal(v->u.tab.kv[1].key, "a");
	assert_string_equal(v->u.tab.kv[2].key, "m");
	out = dump(v, 0, NULL);
	assert_string_equal(out, "{\"z\":1,\"a\":{\"y\":1,\"b\":2,\"x\":3},\"m\":3}");
	free(out);
	val_free(v);
	/* a tree built in code: insertion order, not sorted */
	t = val_new(VAL_TABLE);
	assert_non_null(t);
	put(t, "ż", val_int(1));
	put(t, "b", val_int(2));
	put(t, "", val_int(3));
	put(t, "a", val_int(4));
	put(t, "b", val_int(5)); /* replaced in place */
	out = round_trip(t, 0);
	assert_string_equal(out, "{\"ż\":1,\"b\":5,\"\":3,\"a\":4}");
	free(out);
	val_free(t);
}

static void test_utf8(void **state)
{
	const char *pl = "Zażółć gęślą jaźń — ZAŻÓŁĆ GĘŚLĄ JAŹŃ";
	struct val *t = val_new(VAL_TABLE), *v;
	char *out;

	(void)state;
	assert_non_null(t);
	put(t, "miejscowość", val_str(pl));
	out = round_trip(t, 0);
	/* written as UTF-8, not \u-escaped */
	assert_string_equal(out, "{\"miejscowość\":\"Zażółć gęślą jaźń — ZAŻÓŁĆ GĘŚLĄ JAŹŃ\"}");
	assert_null(strstr(out, "\\u"));
	free(out);
	val_free(t);
	/* \u escapes (a surrogate pair too) are read as UTF-8 */
	v = ok("\"\\u017c\\u00f3\\u0142w \\ud83d\\ude00\"");
	assert_string_equal(v->u.str.s, "żółw \xf0\x9f\x98\x80");
	out = dump(v, 0, NULL);
	assert_string_equal(out, "\"żółw \xf0\x9f\x98\x80\"");
	free(out);
	val_free(v);
	/* control characters are escaped on output */
	v = val_str("a\tb\x01\x1f\x7f");
	assert_non_null(v);
	out = round_trip(v, 0);
	assert_string_equal(out, "\"a\\tb\\u0001\\u001F\x7f\"");
	free(out);
	val_free(v);
}

static void test_nul(void **state)
{
	struct val *v = ok("[\"a\\u0000b\", \"\\u0000\"]"), *s;
	char *out;

	(void)state;
	s = v->u.arr.items[0];
	assert_int_equal(s->type, VAL_STRING);
	assert_int_equal(s->u.str.len, 3);
	assert_memory_equal(s->u.str.s, "a\0b", 4); /* and NUL-terminated */
	assert_int_equal(v->u.arr.items[1]->u.str.len, 1);
	out = round_trip(v, 0);
	assert_string_equal(out, "[\"a\\u0000b\",\"\\u0000\"]");
	free(out);
	val_free(v);
	/* built in code */
	v = val_strn("x\0y\0", 4);
	assert_non_null(v);
	out = round_trip(v, JSON_OUT_SCRIPT);
	assert_string_equal(out, "\"x\\u0000y\\u0000\"");
	free(out);
	val_free(v);
	/* never in a key */
	bad("{\"a\\u0000b\": 1}", NAME ":1:11: ", "NUL byte in object key");
	v = val_new(VAL_TABLE);
	assert_non_null(v);
	assert_int_equal(val_setn(v, "k\0ey", 4, val_int(1)), 0);
	dump_fails(v, 0, "top level: NUL byte in a key");
	val_free(v);
}

/* Collects every string (keys too) of a tree into `b`, one per line. */
static void strings_of(const struct val *v, struct buf *b)
{
	size_t i;

	if (v->type == VAL_STRING) {
		buf_add(b, v->u.str.s, v->u.str.len);
		buf_putc(b, '\n');
	} else if (v->type == VAL_ARRAY) {
		for (i = 0; i < v->u.arr.n; i++)
			strings_of(v->u.arr.items[i], b);
	} else if (v->type == VAL_TABLE) {
		for (i = 0; i < v->u.tab.n; i++) {
			buf_add(b, v->u.tab.kv[i].key, v->u.tab.kv[i].klen);
			buf_putc(b, '\n');
			strings_of(v->u.tab.kv[i].v, b);
		}
	}
}

static void test_script(void **state)
{
	static const char *const strs[] = {
	    "</script><!--", "<script>alert(1)</script>", "a & b > c < d", "x/y</",
	    "&amp;",         "\xe2\x80\xa8|\xe2\x80\xa9", "<\\/",          "ż</SCRIPT>",
	};
	const unsigned modes[] = {JSON_OUT_SCRIPT, JSON_OUT_SCRIPT | JSON_OUT_PRETTY};
	struct val *t = val_new(VAL_TABLE), *arr = val_new(VAL_ARRAY), *v;
	size_t i, m;
	char *out;

	(void)state;
	assert_non_null(t);
	assert_non_null(arr);
	for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
		assert_int_equal(val_push(arr, val_str(strs[i])), 0);
	put(t, "</script>", arr);
	put(t, "<!--&-->", val_str("</script>"));
	for (m = 0; m < 2; m++) {
		struct buf want = BUF_INIT, got = BUF_INIT;

		out = round_trip(t, modes[m]); /* the same strings back */
		assert_null(strchr(out, '<'));
		assert_null(strchr(out, '>'));
		assert_null(strchr(out, '&'));
		assert_null(strstr(out, "</"));
		assert_null(strstr(out, "\xe2\x80\xa8"));
		assert_null(strstr(out, "\xe2\x80\xa9"));
		v = parse_n(out, strlen(out), &(struct err){0});
		assert_non_null(v);
		strings_of(t, &want);
		strings_of(v, &got);
		assert_string_equal(got.ptr, want.ptr);
		buf_free(&want);
		buf_free(&got);
		val_free(v);
		free(out);
	}
	/* the exact escapes */
	v = val_str("</script><!-- & \xe2\x80\xa8");
	assert_non_null(v);
	out = dump(v, JSON_OUT_SCRIPT, NULL);
	assert_string_equal(out, "\"\\u003c\\/script\\u003e\\u003c!-- \\u0026 \\u2028\"");
	free(out);
	/* without the flag nothing is escaped */
	out = dump(v, 0, NULL);
	assert_string_equal(out, "\"</script><!-- & \xe2\x80\xa8\"");
	free(out);
	val_free(v);
	val_free(t);
}

static void test_errors(void **state)
{
	struct err e;

	(void)state;
	bad("{\n  \"a\": 1,\n  \"b\": }\n", NAME ":3:8: ", "unexpected token near '}'");
	bad("[1,\n\n  2,,3]", NAME ":3:5: ", "unexpected token near ','");
	bad("{\"a\": 1} x", NAME ":1:10: ", "end of file expected");
	bad("{\"a\": 1,}", NAME ":1:9: ", "string or '}' expected near '}'");
	bad("[1, 2", NAME ":1:5: ", "']' expected near end of file");
	bad("\"abc", NAME ":1:4: ", "premature end of input");
	bad("[\"a\nb\"]", NAME ":1:3: ", "unexpected newline");
	bad("[01]", NAME ":1:2: ", "invalid token near '0'");
	bad("// c\n[]", NAME ":1:1: ", "invalid token near '/'");
	bad("{'a': 1}", NAME ":1:2: ", "string or '}' expected");
	bad("[NaN]", NAME ":1:4: ", "invalid token near 'NaN'");
	bad("[1.]", NAME ":1:3: ", "invalid token near '1.'");
	bad("[true false]", NAME ":1:11: ", "']' expected near 'false'");
	bad("[1e400]", NAME ":1:6: ", "real number overflow");
	bad("[9223372036854775808]", NAME ":1:20: ", "too big integer");
	bad("", NAME ":1: ", "unexpected token near end of file");
	bad("  \n ", NAME ":2:1: ", "unexpected token near end of file");
	/* a column counts characters, not bytes */
	bad("[\"żółw\", x]", NAME ":1:10: ", "invalid token near 'x'");
	/* no name given */
	memset(&e, 0, sizeof e);
	assert_null(json_parse("[", 1, NULL, &e));
	assert_int_equal(strncmp(e.msg, "json:1:", 7), 0);
	/* a NULL text is an empty one */
	memset(&e, 0, sizeof e);
	assert_null(json_parse(NULL, 0, NAME, &e));
	assert_int_equal(e.kind, ERR_INPUT);
	/* nothing beyond `len` is read: "[1]" followed by garbage */
	{
		struct val *v = json_parse("[1]xyz", 3, NAME, &e);

		assert_non_null(v);
		assert_int_equal(v->u.arr.n, 1);
		val_free(v);
	}
}

static void test_invalid_utf8(void **state)
{
	struct val *v;

	(void)state;
	bad("[\"\xff\"]", NAME ":1:2: ", "unable to decode byte 0xff");
	bad("[\"abc\xc3\"]", NAME ":1:", "unable to decode byte 0xc3");
	bad("[\"\xc0\xaf\"]", NAME ":1:2: ", "unable to decode byte 0xc0");         /* overlong */
	bad("[\"\xed\xa0\x80\"]", NAME ":1:2: ", "unable to decode byte 0xed");     /* surrogate */
	bad("[\"\xf4\x90\x80\x80\"]", NAME ":1:2: ", "unable to decode byte 0xf4"); /* too high */
	bad("{\"\xe2\x82\": 1}", NAME ":1:2: ", "unable to decode byte 0xe2");      /* truncated */
	bad("\xfe[]", NAME ":1: ", "unable to decode byte 0xfe");
	bad("[\"\\ud800\"]", NAME ":1:9: ", "invalid Unicode '\\uD800'"); /* lone surrogate */
	/* nor written */
	v = val_new(VAL_TABLE);
	assert_non_null(v);
	put(v, "k", val_strn("a\xff", 2));
	dump_fails(v, 0, "k: invalid UTF-8 in a string");
	val_free(v);
	v = val_new(VAL_TABLE);
	assert_non_null(v);
	put(v, "\xc3(", val_int(1));
	dump_fails(v, 0, "top level: invalid UTF-8 in a key");
	val_free(v);
}

static void test_depth(void **state)
{
	char *text;
	struct val *v, *x;
	int i;

	(void)state;
	/* 64 levels: accepted, and written back the same */
	text = nested_text(JSON_MAX_DEPTH, 0);
	v = ok(text);
	for (i = 0, x = v; x->type == VAL_ARRAY; i++)
		x = x->u.arr.items[0];
	assert_int_equal(i, 64);
	assert_true(x->type == VAL_INT && x->u.i == 1);
	free(round_trip(v, 0));
	val_free(v);
	free(text);
	text = nested_text(JSON_MAX_DEPTH, 1);
	v = ok(text);
	val_free(v);
	free(text);
	/* 65: refused at the 65th opening bracket */
	text = nested_text(JSON_MAX_DEPTH + 1, 0);
	bad(text, NAME ":1:65: ", "nesting too deep (over 64 levels)");
	free(text);
	text = nested_text(JSON_MAX_DEPTH + 1, 1);
	bad(text, NAME ":1:321: ", "nesting too deep (over 64 levels)");
	free(text);
	/* deeper than jansson's own limit (2048): the same message */
	text = nested_text(3000, 0);
	bad(text, NAME ":1:65: ", "nesting too deep (over 64 levels)");
	free(text);
	/* the place counts lines, and skips brackets inside strings */
	{
		struct buf b = BUF_INIT;

		buf_puts(&b, "{\"[[[\": [\"{{\\\"[\"],\n \"x\":\n");
		for (i = 0; i < 63; i++)
			buf_puts(&b, "[");
		for (i = 0; i < 63; i++)
			buf_puts(&b, "]");
		buf_puts(&b, ",\n \"ż\": ");
		for (i = 0; i < 64; i++)
			buf_puts(&b, "[");
		for (i = 0; i < 64; i++)
			buf_puts(&b, "]");
		buf_puts(&b, "}");
		assert_false(buf_failed(&b));
		bad(b.ptr, NAME ":4:70: ", "nesting too deep (over 64 levels)");
		buf_free(&b);
	}
	/* and on output */
	v = nested_tree(JSON_MAX_DEPTH);
	text = dump(v, 0, NULL);
	assert_int_equal(strlen(text), 64 * 2 + 1);
	free(text);
	val_free(v);
	v = nested_tree(JSON_MAX_DEPTH + 1);
	dump_fails(v, 0,
	           "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
	           "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
	           "[0][0][0][0][0][0][0][0][0][0][0][0]: nesting too deep (over 64 levels)");
	val_free(v);
}

static void test_duplicate_keys(void **state)
{
	struct val *v;

	(void)state;
	bad("{\"a\": 1, \"b\": 2, \"a\": 3}", NAME ":1:20: ", "duplicate object key");
	bad("[{}, {\"x\": {\"k\": 1,\n \"k\": 1}}]", NAME ":2:4: ", "duplicate object key");
	/* the same key in different objects is fine */
	v = ok("{\"a\": {\"a\": 1}, \"b\": {\"a\": 2}}");
	val_free(v);
	/* a table with a key twice (val_append does not check) is not written */
	v = val_new(VAL_TABLE);
	assert_non_null(v);
	assert_int_equal(val_append(v, "a", 1, val_int(1)), 0);
	assert_int_equal(val_append(v, "b", 1, val_new(VAL_TABLE)), 0);
	assert_int_equal(val_append(val_get_mut(v, "b"), "c", 1, val_int(1)), 0);
	assert_int_equal(val_append(val_get_mut(v, "b"), "c", 1, val_int(2)), 0);
	dump_fails(v, 0, "b.c: key given twice");
	val_free(v);
}

static void test_nan(void **state)
{
	struct val *v, *a;
	struct err e = {0};

	(void)state;
	v = val_float(NAN);
	assert_non_null(v);
	dump_fails(v, 0, "top level: NaN or infinity has no JSON form");
	val_free(v);
	v = val_new(VAL_TABLE);
	a = val_new(VAL_ARRAY);
	assert_non_null(v);
	assert_non_null(a);
	assert_int_equal(val_push(a, val_float(1.0)), 0);
	assert_int_equal(val_push(a, val_float(-INFINITY)), 0);
	put(v, "ok", val_int(1));
	put(v, "x", a);
	dump_fails(v, JSON_OUT_PRETTY, "x[1]: NaN or infinity has no JSON form");
	a->u.arr.items[1]->u.f = INFINITY;
	dump_fails(v, JSON_OUT_SCRIPT, "x[1]: NaN or infinity has no JSON form");
	a->u.arr.items[1]->u.f = 2.0;
	free(round_trip(v, 0));
	/* unknown flags */
	assert_null(json_dump(v, 4, NULL, &e));
	assert_int_equal(e.kind, ERR_INPUT);
	assert_non_null(strstr(e.msg, "unknown flags"));
	val_free(v);
}

/* A tree with every type, nested. */
static struct val *sample(void)
{
	struct val *t = val_new(VAL_TABLE), *a = val_new(VAL_ARRAY), *o = val_new(VAL_TABLE);

	assert_non_null(t);
	assert_non_null(a);
	assert_non_null(o);
	put(t, "title", val_str("Kursy — „Komunikacja”"));
	put(t, "n", val_int(15));
	put(t, "ratio", val_float(0.75));
	put(t, "on", val_bool(1));
	put(t, "off", val_bool(0));
	put(t, "none", val_new(VAL_NULL));
	put(t, "when", val_datetime(DT_OFFSET, "2026-11-22T10:00:00+01:00", 25));
	assert_int_equal(val_push(a, val_str("a")), 0);
	assert_int_equal(val_push(a, val_new(VAL_ARRAY)), 0);
	assert_int_equal(val_push(a, val_new(VAL_TABLE)), 0);
	put(o, "k", val_str("v"));
	assert_int_equal(val_push(a, o), 0);
	put(t, "list", a);
	return t;
}

static void test_deterministic(void **state)
{
	struct val *t1 = sample(), *t2 = sample(), *back;
	char *a, *b;
	size_t la, lb;
	unsigned f;

	(void)state;
	for (f = 0; f < 4; f++) {
		a = dump(t1, f, &la);
		b = dump(t2, f, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		free(b);
		/* parsed and written again: the same bytes */
		back = parse_n(a, la, &(struct err){0});
		assert_non_null(back);
		b = dump(back, f, &lb);
		assert_string_equal(a, b);
		assert_true((f & JSON_OUT_PRETTY) ? a[la - 1] == '\n' : a[la - 1] != '\n');
		val_free(back);
		free(a);
		free(b);
	}
	/* the pretty layout */
	a = dump(t1, JSON_OUT_PRETTY, NULL);
	assert_string_equal(a, "{\n"
	                       "  \"title\": \"Kursy — „Komunikacja”\",\n"
	                       "  \"n\": 15,\n"
	                       "  \"ratio\": 0.75,\n"
	                       "  \"on\": true,\n"
	                       "  \"off\": false,\n"
	                       "  \"none\": null,\n"
	                       "  \"when\": \"2026-11-22T10:00:00+01:00\",\n"
	                       "  \"list\": [\n"
	                       "    \"a\",\n"
	                       "    [],\n"
	                       "    {},\n"
	                       "    {\n"
	                       "      \"k\": \"v\"\n"
	                       "    }\n"
	                       "  ]\n"
	                       "}\n");
	free(a);
	val_free(t1);
	val_free(t2);
}

static void test_datetimes(void **state)
{
	struct val *t = val_new(VAL_TABLE), *back;
	char *out;

	(void)state;
	assert_non_null(t);
	put(t, "o", val_datetime(DT_OFFSET, "1979-05-27T00:32:00.999-07:00", 29));
	put(t, "l", val_datetime(DT_LOCAL, "1979-05-27T07:32:00", 19));
	put(t, "d", val_datetime(DT_DATE, "1979-05-27", 10));
	put(t, "t", val_datetime(DT_TIME, "07:32:00", 8));
	out = dump(t, 0, NULL);
	assert_string_equal(
	    out, "{\"o\":\"1979-05-27T00:32:00.999-07:00\",\"l\":\"1979-05-27T07:32:00\","
	         "\"d\":\"1979-05-27\",\"t\":\"07:32:00\"}");
	/* they come back as strings */
	back = ok(out);
	assert_int_equal(val_get(back, "o")->type, VAL_STRING);
	assert_string_equal(val_get_str(back, "t", ""), "07:32:00");
	val_free(back);
	free(out);
	val_free(t);
}

static void test_files(void **state)
{
	char dir[] = "/tmp/test_json.XXXXXX", path[64];
	struct err e = {0};
	struct val *v;
	char *big;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/a.json", dir);
	assert_int_equal(fs_write(path, "{\"a\": [1, 2]}\n", 14, 0, &e), 0);
	v = json_read_file(path, &e);
	if (!v)
		fail_msg("%s", e.msg);
	assert_int_equal(val_get(v, "a")->u.arr.n, 2);
	val_free(v);
	/* errors name the file */
	assert_int_equal(fs_write(path, "{\"a\": [1, 2}\n", 13, 0, &e), 0);
	assert_null(json_read_file(path, &e));
	assert_int_equal(e.kind, ERR_INPUT);
	assert_int_equal(strncmp(e.msg, path, strlen(path)), 0);
	assert_int_equal(strncmp(e.msg + strlen(path), ":1:12: ", 7), 0);
	assert_int_equal(unlink(path), 0);
	memset(&e, 0, sizeof e);
	assert_null(json_read_file(path, &e));
	assert_non_null(strstr(e.msg, "cannot open"));
	assert_int_equal(rmdir(dir), 0);
	/* the size limit */
	big = malloc(JSON_MAX_SIZE + 1);
	assert_non_null(big);
	memset(big, ' ', JSON_MAX_SIZE + 1);
	big[0] = '1';
	memset(&e, 0, sizeof e);
	assert_null(json_parse(big, JSON_MAX_SIZE + 1, NAME, &e));
	assert_int_equal(e.kind, ERR_INPUT);
	assert_string_equal(e.msg, NAME ": JSON text too large (67108865 bytes, limit 67108864)");
	v = json_parse(big, JSON_MAX_SIZE, NAME, &e);
	assert_non_null(v);
	assert_true(v->type == VAL_INT && v->u.i == 1);
	val_free(v);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_types),     cmocka_unit_test(test_floats),
	    cmocka_unit_test(test_key_order), cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_nul),       cmocka_unit_test(test_script),
	    cmocka_unit_test(test_errors),    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_depth),     cmocka_unit_test(test_duplicate_keys),
	    cmocka_unit_test(test_nan),       cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_datetimes), cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
