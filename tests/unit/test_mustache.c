/*
 * test_mustache.c - the Mustache engine against the official spec files
 * (../shared/spec/mustache/<name>.json, relative to the repository root, where
 * the tests run) plus the project's own cases: error positions, escaping,
 * number formatting, falsey values, render limits, partial references.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "mustache.h"
#include "value.h"

#define SPEC_DIR "../shared/spec/mustache"

/* ---- helpers ---- */

/* A set of named templates for mst_env lookups. */
struct tset {
	struct mst *t[32];
	const char *name[32];
	size_t n;
	unsigned long lookups; /* counted; over `limit` every lookup misses */
	unsigned long limit;
};

static const struct mst *tset_lookup(void *ctx, const char *name, size_t len)
{
	struct tset *s = ctx;
	size_t i;

	if (s->limit && ++s->lookups > s->limit)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (strlen(s->name[i]) == len && memcmp(s->name[i], name, len) == 0)
			return s->t[i];
	return NULL;
}

static void tset_free(struct tset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		mst_free(s->t[i]);
	s->n = 0;
}

/* Compiles `src` under `name` into the set; fails the test on error. */
static struct mst *tset_add(struct tset *s, const char *name, const char *src)
{
	struct err e = {0};
	struct mst *t = mst_compile(src, strlen(src), name, &e);

	if (!t)
		fail_msg("compile %s: %s", name, e.msg);
	assert_true(s->n < 32);
	s->t[s->n] = t;
	s->name[s->n++] = name;
	return t;
}

/* Prints s with C escapes so whitespace differences are visible. */
static void print_quoted(FILE *f, const char *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Renders `src` with a one-frame context given as JSON and partials given
 * as name/template pairs (NULL-terminated); returns the malloc'd output, or
 * NULL if rendering failed (the message is then in *e). */
static char *render_json(const char *src, const char *json, const char *const *partials,
                         struct err *e)
{
	struct tset ps = {0};
	struct mst *t;
	struct val *data = NULL;
	struct buf out = BUF_INIT;
	struct mst_env env = {tset_lookup, &ps};
	const struct val *stack[1];
	char *res = NULL;

	for (; partials && partials[0]; partials += 2)
		tset_add(&ps, partials[0], partials[1]);
	data = json_parse(json, strlen(json), "data", e);
	if (!data)
		fail_msg("bad test data: %s", e->msg);
	t = mst_compile(src, strlen(src), "t", e);
	if (!t)
		fail_msg("compile: %s", e->msg);
	stack[0] = data;
	if (mst_render(t, stack, 1, &env, &out, e) == 0)
		res = buf_detach(&out, NULL);
	buf_free(&out);
	mst_free(t);
	val_free(data);
	tset_free(&ps);
	return res;
}

static void check_render(const char *src, const char *json, const char *const *partials,
                         const char *want)
{
	struct err e = {0};
	char *got = render_json(src, json, partials, &e);

	if (!got)
		fail_msg("render of %s failed: %s", src, e.msg);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "template: ");
		print_quoted(stderr, src, strlen(src));
		fprintf(stderr, "\nexpected: ");
		print_quoted(stderr, want, strlen(want));
		fprintf(stderr, "\ngot:      ");
		print_quoted(stderr, got, strlen(got));
		fputc('\n', stderr);
		free(got);
		fail_msg("unexpected output");
	}
	free(got);
}

/* ---- the official spec ---- */

static int spec_dir_present(void)
{
	struct stat stbuf;

	if (stat(SPEC_DIR, &stbuf) == 0 && S_ISDIR(stbuf.st_mode))
		return 1;
	fprintf(stderr, "%s not found: the Mustache spec cases were NOT run\n", SPEC_DIR);
	return 0;
}

/* Without ../shared beside the repository the spec cases cannot run: a
 * developer's `make test` skips them and says so; CI (CI=true) fails. */
static void need_spec(void)
{
	if (spec_dir_present())
		return;
	if (getenv("CI"))
		fail_msg("%s not found (CI must have shared/ beside the repository)", SPEC_DIR);
	skip();
}

/* Runs one test case; returns 1 if it passed, 0 (after printing why) if
 * not. */
static int run_case(const char *file, const struct val *tc)
{
	const struct val *name = val_get(tc, "name"), *tpl = val_get(tc, "template"),
	                 *data = val_get(tc, "data"), *want = val_get(tc, "expected"),
	                 *parts = val_get(tc, "partials");
	const char *tname = name && name->type == VAL_STRING ? name->u.str.s : "?";
	struct tset ps = {0};
	struct mst_env env = {tset_lookup, &ps};
	struct mst *t = NULL;
	struct buf out = BUF_INIT;
	struct err e = {0};
	const struct val *stack[1];
	int ok = 0;
	size_t i;

	if (!tpl || tpl->type != VAL_STRING || !want || want->type != VAL_STRING) {
		fprintf(stderr, "FAIL %s: \"%s\": malformed test case\n", file, tname);
		goto out;
	}
	if (parts && parts->type == VAL_TABLE) {
		for (i = 0; i < parts->u.tab.n; i++) {
			const struct val_kv *kv = &parts->u.tab.kv[i];

			if (kv->v->type != VAL_STRING || ps.n == 32) {
				fprintf(stderr, "FAIL %s: \"%s\": bad partial %s\n", file, tname,
				        kv->key);
				goto out;
			}
			ps.t[ps.n] = mst_compile(kv->v->u.str.s, kv->v->u.str.len, kv->key, &e);
			if (!ps.t[ps.n]) {
				fprintf(stderr, "FAIL %s: \"%s\": partial: %s\n", file, tname,
				        e.msg);
				goto out;
			}
			ps.name[ps.n++] = kv->key;
		}
	}
	t = mst_compile(tpl->u.str.s, tpl->u.str.len, tname, &e);
	if (!t) {
		fprintf(stderr, "FAIL %s: \"%s\": %s\n", file, tname, e.msg);
		goto out;
	}
	stack[0] = data;
	if (mst_render(t, stack, data ? 1 : 0, &env, &out, &e) < 0) {
		fprintf(stderr, "FAIL %s: \"%s\": %s\n", file, tname, e.msg);
		goto out;
	}
	if (out.len != want->u.str.len || memcmp(out.ptr, want->u.str.s, out.len) != 0) {
		fprintf(stderr, "FAIL %s: \"%s\"\n  template: ", file, tname);
		print_quoted(stderr, tpl->u.str.s, tpl->u.str.len);
		fprintf(stderr, "\n  expected: ");
		print_quoted(stderr, want->u.str.s, want->u.str.len);
		fprintf(stderr, "\n  got:      ");
		print_quoted(stderr, out.ptr, out.len);
		fputc('\n', stderr);
		goto out;
	}
	ok = 1;
out:
	buf_free(&out);
	mst_free(t);
	tset_free(&ps);
	return ok;
}

static void run_spec(const char *file)
{
	char path[512];
	struct err e = {0};
	struct val *doc;
	const struct val *tests;
	size_t i, pass = 0, n = 0;

	need_spec();
	snprintf(path, sizeof path, "%s/%s", SPEC_DIR, file);
	doc = json_read_file(path, &e);
	if (!doc)
		fail_msg("%s", e.msg);
	tests = val_get(doc, "tests");
	if (!tests || tests->type != VAL_ARRAY) {
		val_free(doc);
		fail_msg("%s: no \"tests\" array", path);
	}
	for (i = 0; i < tests->u.arr.n; i++) {
		n++;
		pass += (size_t)run_case(file, tests->u.arr.items[i]);
	}
	val_free(doc);
	printf("spec %s: %zu/%zu passed\n", file, pass, n);
	if (n == 0)
		fail_msg("%s: no test cases", path);
	if (pass != n)
		fail_msg("%s: %zu of %zu cases failed", file, n - pass, n);
}

static void test_spec_present(void **state)
{
	(void)state;
	need_spec();
}

static void test_spec_comments(void **state)
{
	(void)state;
	run_spec("comments.json");
}

static void test_spec_delimiters(void **state)
{
	(void)state;
	run_spec("delimiters.json");
}

static void test_spec_interpolation(void **state)
{
	(void)state;
	run_spec("interpolation.json");
}

static void test_spec_inverted(void **state)
{
	(void)state;
	run_spec("inverted.json");
}

static void test_spec_partials(void **state)
{
	(void)state;
	run_spec("partials.json");
}

static void test_spec_sections(void **state)
{
	(void)state;
	run_spec("sections.json");
}

static void test_spec_inheritance(void **state)
{
	(void)state;
	run_spec("~inheritance.json");
}

static void test_spec_dynamic_names(void **state)
{
	(void)state;
	run_spec("~dynamic-names.json");
}

/* ---- our own cases ---- */

static void expect_compile_error(const char *src, const char *want)
{
	struct err e = {0};
	struct mst *t = mst_compile(src, strlen(src), "layouts/page.mustache", &e);

	if (t) {
		mst_free(t);
		fail_msg("compiled without error: %s", src);
	}
	if (strcmp(e.msg, want) != 0)
		fail_msg("template %s\n  expected error: %s\n  got error:      %s", src, want,
		         e.msg);
}

static void test_compile_errors(void **state)
{
	char deep[64 * 10 + 16];
	size_t i, n = 0;

	(void)state;
	expect_compile_error("a\n  {{#items}}b\n",
	                     "layouts/page.mustache:2:3: unclosed section \"items\"");
	expect_compile_error("{{#a}}\n{{^b}}\n  {{/a}}\n",
	                     "layouts/page.mustache:3:3: mismatched closing tag \"a\": inverted "
	                     "section \"b\" opened at 2:1 is still open");
	expect_compile_error("x\ny {{title", "layouts/page.mustache:2:3: unclosed tag (no \"}}\")");
	expect_compile_error("{{{x}}", "layouts/page.mustache:1:1: unclosed tag (no \"}}}\")");
	expect_compile_error("{{!\n\n}} {{/a}}",
	                     "layouts/page.mustache:3:4: unexpected closing tag \"a\"");
	expect_compile_error("{{<base}}\n", "layouts/page.mustache:1:1: unclosed parent \"base\"");
	expect_compile_error("{{$b}}\n", "layouts/page.mustache:1:1: unclosed block \"b\"");
	expect_compile_error("  {{=<%%>=}}",
	                     "layouts/page.mustache:1:3: bad delimiter change: expected two "
	                     "delimiters separated by space");
	expect_compile_error("{{= a b c =}}",
	                     "layouts/page.mustache:1:1: bad delimiter change: expected two "
	                     "delimiters separated by space");
	expect_compile_error("{{=<% %>=}} <%x",
	                     "layouts/page.mustache:1:13: unclosed tag (no \"%>\")");
	expect_compile_error(
	    "{{a b}}", "layouts/page.mustache:1:1: invalid name \"a b\": contains whitespace");
	expect_compile_error("{{ a..b }}", "layouts/page.mustache:1:1: invalid name \"a..b\"");
	expect_compile_error("{{ }}", "layouts/page.mustache:1:1: empty tag name");
	for (i = 0; i < 65; i++)
		n += (size_t)sprintf(deep + n, "{{#s%zu}}", i % 10);
	expect_compile_error(deep, "layouts/page.mustache:1:449: sections nested too deep (over 64 "
	                           "levels)");
}

static void test_escaping(void **state)
{
	(void)state;
	check_render("{{s}}|{{{s}}}|{{&s}}", "{\"s\": \"<a href='x'>Tom & \\\"Jerry\\\"</a>\"}",
	             NULL,
	             "&lt;a href=&#39;x&#39;&gt;Tom &amp; &quot;Jerry&quot;&lt;/a&gt;|"
	             "<a href='x'>Tom & \"Jerry\"</a>|<a href='x'>Tom & \"Jerry\"</a>");
	check_render("{{s}}", "{\"s\": \"zażółć gęślą jaźń\"}", NULL, "zażółć gęślą jaźń");
}

/* Infinity has no JSON form (2e308 is refused as too large), so its
 * context is built directly. */
static void check_inf(void)
{
	struct err e = {0};
	struct val *data = val_new(VAL_TABLE);
	struct buf out = BUF_INIT;
	const struct val *stack[1];
	struct mst *t = mst_compile("{{c}} {{d}}", 11, "t", &e);

	assert_non_null(t);
	assert_non_null(data);
	assert_int_equal(val_append(data, "c", 1, val_float(HUGE_VAL)), 0);
	assert_int_equal(val_append(data, "d", 1, val_float(-HUGE_VAL)), 0);
	stack[0] = data;
	assert_int_equal(mst_render(t, stack, 1, NULL, &out, &e), 0);
	assert_string_equal(out.ptr, "inf -inf");
	buf_free(&out);
	mst_free(t);
	val_free(data);
}

static void test_numbers(void **state)
{
	(void)state;
	check_render("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}} {{h}}",
	             "{\"a\": 1.210, \"b\": 0.1, \"c\": 1.0, \"d\": 1e21, \"e\": -2.5, "
	             "\"f\": 0.30000000000000004, \"g\": 123456789012345678, \"h\": -0.0}",
	             NULL, "1.21 0.1 1 1e+21 -2.5 0.30000000000000004 123456789012345678 -0");
	check_render("{{a}} {{b}}", "{\"a\": 3.141592653589793, \"b\": 1e-7}", NULL,
	             "3.141592653589793 1e-07");
	check_inf();
	check_render("{{t}} {{f}} {{n}} {{l}} {{o}}",
	             "{\"t\": true, \"f\": false, \"n\": null, \"l\": [1], \"o\": {\"a\": 1}}",
	             NULL, "true false   ");
}

static void test_falsey(void **state)
{
	(void)state;
	/* the empty string is falsey (a deliberate choice) */
	check_render("{{#s}}yes{{/s}}{{^s}}no{{/s}}", "{\"s\": \"\"}", NULL, "no");
	check_render("{{#s}}<{{s}}>{{/s}}{{^s}}no{{/s}}", "{\"s\": \"x\"}", NULL, "<x>");
	/* 0, 0.0 and an empty table are truthy */
	check_render("{{#z}}{{.}}{{/z}}{{#f}}{{.}}{{/f}}{{#t}}T{{/t}}",
	             "{\"z\": 0, \"f\": 0.0, \"t\": {}}", NULL, "00T");
	check_render("{{^n}}N{{/n}}{{^a}}A{{/a}}{{^m}}M{{/m}}{{^b}}B{{/b}}",
	             "{\"n\": null, \"a\": [], \"b\": false}", NULL, "NAMB");
}

static void test_context_stack(void **state)
{
	struct err e = {0};
	const char *js1 = "{\"a\": \"A\", \"b\": \"outer\", \"c\": {\"d\": \"D\"}}";
	const char *js2 = "{\"b\": \"inner\", \"c\": {}}";
	struct val *outer = json_parse(js1, strlen(js1), "outer", &e);
	struct val *inner = json_parse(js2, strlen(js2), "inner", &e);
	const struct val *stack[3];
	struct buf out = BUF_INIT;
	struct mst *t;
	const char *src = "{{a}} {{b}} [{{c.d}}] {{#c}}{{a}}{{/c}}";

	(void)state;
	assert_non_null(outer);
	assert_non_null(inner);
	t = mst_compile(src, strlen(src), "t", &e);
	assert_non_null(t);
	stack[0] = outer;
	stack[1] = NULL; /* skipped */
	stack[2] = inner;
	assert_int_equal(mst_render(t, stack, 3, NULL, &out, &e), 0);
	/* c resolves in the inner frame, and c.d is not searched further out */
	assert_string_equal(out.ptr, "A inner [] A");
	buf_reset(&out);
	assert_int_equal(mst_render(t, NULL, 0, NULL, &out, &e), 0);
	assert_string_equal(out.ptr, "  [] ");
	buf_free(&out);
	mst_free(t);
	val_free(outer);
	val_free(inner);
}

static void test_indentation(void **state)
{
	static const char *const parts[] = {
	    "mid",  "a\n  {{>leaf}}\nb\n",
	    "leaf", "x\n{{#list}}\n- {{.}}\n{{/list}}\ny\n",
	    "base", "<main>\n  {{$content}}\n  default\n  {{/content}}\n</main>\n",
	    NULL,
	};

	(void)state;
	/* indentations of nested standalone partials add up; values are not
	 * indented inside */
	check_render("  {{>mid}}\n", "{\"list\": [\"1\", \"2\\n3\"]}", parts,
	             "  a\n    x\n    - 1\n    - 2\n3\n    y\n  b\n");
	/* a block is re-indented to its place in the parent */
	check_render("{{<base}}\n{{$content}}\n<p>one</p>\n<p>two</p>\n{{/content}}\n{{/base}}\n",
	             "{}", parts, "<main>\n  <p>one</p>\n  <p>two</p>\n</main>\n");
	check_render("{{<base}}{{/base}}", "{}", parts, "<main>\n  default\n</main>\n");
	/* an inline partial is not indented */
	check_render("> {{>leaf}}", "{\"list\": []}", parts, "> x\ny\n");
}

static void test_render_depth(void **state)
{
	static const char *const self[] = {"self", "x{{>self}}", NULL};
	static const char *const loop[] = {"p", "{{$a}}{{/a}}", NULL};
	static const char *const dyn[] = {"node", "{{#n}}{{>*kind}}{{/n}}", NULL};
	const char *deep_parts[] = {"deep", NULL, NULL};
	char deep[1024];
	struct err e = {0};
	size_t i, n = 0;
	char *got;

	(void)state;
	got = render_json("{{>self}}", "{}", self, &e);
	assert_null(got);
	assert_string_equal(e.msg, "self:1:2: partial \"self\" nested too deep (over 64 partials, "
	                           "parents or blocks); recursive template?");
	/* a block overriding itself recurses without any partial */
	got = render_json("{{<p}}{{$a}}[{{$a}}x{{/a}}]{{/a}}{{/p}}", "{}", loop, &e);
	assert_null(got);
	assert_non_null(strstr(e.msg, "block \"a\" nested too deep"));
	/* dynamic names too */
	got = render_json("{{>*kind}}", "{\"kind\": \"node\", \"n\": true}", dyn, &e);
	assert_null(got);
	assert_non_null(strstr(e.msg, "nested too deep"));
	/* worst case for the C stack: the deepest sections in every one of the
	 * deepest partials; MST_MAX_NEST stops it before MST_MAX_DEPTH does */
	for (i = 0; i < 63; i++)
		n += (size_t)sprintf(deep + n, "{{#t}}");
	n += (size_t)sprintf(deep + n, "  {{>deep}}\n");
	for (i = 0; i < 63; i++)
		n += (size_t)sprintf(deep + n, "{{/t}}");
	deep_parts[1] = deep;
	got = render_json("{{>deep}}", "{\"t\": [true]}", deep_parts, &e);
	assert_null(got);
	assert_string_equal(e.msg,
	                    "deep:1:381: partial \"deep\" nested too deep (over 256 sections, "
	                    "partials, parents and blocks at once)");
}

struct refs {
	char buf[512];
	size_t len;
	int stop_at;
	int calls;
};

static int collect_ref(void *ctx, const char *name, int line)
{
	struct refs *r = ctx;

	r->len += (size_t)snprintf(r->buf + r->len, sizeof r->buf - r->len, "%s:%d ", name, line);
	return ++r->calls == r->stop_at ? 42 : 0;
}

static void test_each_ref(void **state)
{
	const char *src = "{{>header}}\n"
	                  "{{<layouts/base}}\n"
	                  "  {{$main}}{{> inner }}{{/main}}\n"
	                  "{{/layouts/base}}\n"
	                  "{{>*dynamic}} {{<*dyn}}{{/*dyn}}\n"
	                  "{{=<% %>=}}\n"
	                  "<%>footer%>\n";
	struct err e = {0};
	struct mst *t = mst_compile(src, strlen(src), "page", &e);
	struct refs r = {{0}, 0, 0, 0};

	(void)state;
	if (!t)
		fail_msg("%s", e.msg);
	assert_string_equal(mst_name(t), "page");
	assert_int_equal(mst_each_ref(t, collect_ref, &r), 0);
	assert_string_equal(r.buf, "header:1 layouts/base:2 inner:3 footer:7 ");
	memset(&r, 0, sizeof r);
	r.stop_at = 2;
	assert_int_equal(mst_each_ref(t, collect_ref, &r), 42);
	assert_string_equal(r.buf, "header:1 layouts/base:2 ");
	mst_free(t);
}

static void test_missing_partial(void **state)
{
	(void)state;
	check_render("[{{>nope}}][{{<nope}}{{$a}}x{{/a}}{{/nope}}][{{>*name}}]", "{\"name\": 5}",
	             NULL, "[][][]");
}

/* Compiles and renders many random templates built from Mustache
 * fragments: nothing may crash or leak, and every failure has a message. */
static void test_random_templates(void **state)
{
	static const char *const frag[] = {
	    "{{",        "}}",        "{{#a}}",      "{{/a}}", "{{^b}}",      "{{/b}}",
	    "{{>p}}",    "{{<p}}",    "{{/p}}",      "{{$a}}", "{{$b}}",      "{{.}}",
	    "{{{x}}}",   "{{&x}}",    "{{=<% %>=}}", "<%x%>",  "<%={{ }}=%>", "{{!c}}",
	    "\n",        "  ",        "\r\n",        "x",      "{{>*name}}",  "{{a.b}}",
	    "{{#list}}", "{{/list}}",
	};
	const size_t nfrag = sizeof frag / sizeof frag[0];
	struct tset ps = {0};
	struct mst_env env = {tset_lookup, &ps};
	struct val *data;
	struct err e = {0};
	const struct val *stack[1];
	unsigned long seed = 12345;
	char src[512];
	int round, k, nok = 0;

	(void)state;
	const char *js = "{\"a\": {\"b\": \"<&>\"}, \"b\": false, \"x\": 1.5, \"name\": \"p\", "
	                 "\"list\": [1, {\"a\": []}, \"s\"]}";
	data = json_parse(js, strlen(js), "data", &e);
	assert_non_null(data);
	stack[0] = data;
	for (round = 0; round < 20000; round++) {
		size_t len = 0;
		struct mst *t;
		int nf;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		nf = (int)((seed >> 33) % 14);
		for (k = 0; k < nf; k++) {
			const char *f;

			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			f = frag[(seed >> 33) % nfrag];
			memcpy(src + len, f, strlen(f));
			len += strlen(f);
		}
		/* every other template becomes partial "p" of the next ones */
		memset(&e, 0, sizeof e);
		t = mst_compile(src, len, "r", &e);
		if (!t) {
			assert_true(e.msg[0] != '\0');
			continue;
		}
		nok++;
		if (round % 2 == 0) {
			tset_free(&ps);
			ps.t[0] = t;
			ps.name[0] = "p";
			ps.n = 1;
		} else {
			struct buf out = BUF_INIT;

			ps.lookups = 0;
			ps.limit = 100;
			if (mst_render(t, stack, 1, &env, &out, &e) < 0)
				assert_true(e.msg[0] != '\0');
			buf_free(&out);
			mst_free(t);
		}
	}
	tset_free(&ps);
	val_free(data);
	assert_true(nok > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec_present),
	    cmocka_unit_test(test_spec_comments),
	    cmocka_unit_test(test_spec_delimiters),
	    cmocka_unit_test(test_spec_interpolation),
	    cmocka_unit_test(test_spec_inverted),
	    cmocka_unit_test(test_spec_partials),
	    cmocka_unit_test(test_spec_sections),
	    cmocka_unit_test(test_spec_inheritance),
	    cmocka_unit_test(test_spec_dynamic_names),
	    cmocka_unit_test(test_compile_errors),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_falsey),
	    cmocka_unit_test(test_context_stack),
	    cmocka_unit_test(test_indentation),
	    cmocka_unit_test(test_render_depth),
	    cmocka_unit_test(test_each_ref),
	    cmocka_unit_test(test_missing_partial),
	    cmocka_unit_test(test_random_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
