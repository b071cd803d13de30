/*
 * Unit tests of the generator's pieces: slugs, escaping, UTF-8, path
 * joining and link rewriting, the Markdown module, the history walk.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "escape.h"
#include "links.h"
#include "markdown.h"
#include "repo.h"
#include "retention.h"
#include "slug.h"
#include "strmap.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *slug(const char *s)
{
	static char out[256];
	struct buf b = BUF_INIT;

	slugify(&b, s, strlen(s));
	snprintf(out, sizeof out, "%s", b.ptr);
	buf_free(&b);
	return out;
}

static void test_slugs(void **state)
{
	(void)state;
	assert_string_equal(slug("Prawo do usunięcia danych"), "prawo-do-usuniecia-danych");
	assert_string_equal(slug("ZAŻÓŁĆ GĘŚLĄ JAŹŃ"), "zazolc-gesla-jazn");
	assert_string_equal(slug("Źdźbło, ćma i łódź!"), "zdzblo-cma-i-lodz");
	assert_string_equal(slug("  2.5. Usunięcie (art. 17 RODO)  "), "2-5-usuniecie-art-17-rodo");
	assert_string_equal(slug("Müller & Søn — café"), "muller-son-cafe");
	assert_string_equal(slug("„Cytat” – myślnik"), "cytat-myslnik");
	assert_string_equal(slug("!!!"), "");
	assert_string_equal(slug("a\xff"
	                         "b"),
	                    "a-b"); /* invalid byte: a separator */
}

static void test_escape(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	esc_html(&b, "<a href=\"x\">'&'</a>", strlen("<a href=\"x\">'&'</a>"));
	assert_string_equal(b.ptr, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	buf_reset(&b);
	esc_url(&b, "/a b/ż?x=1&y=\"2\"%41", strlen("/a b/ż?x=1&y=\"2\"%41"));
	assert_string_equal(b.ptr, "/a%20b/%C5%BC?x=1&amp;y=%222%22%41");
	assert_true(url_is_safe("https://x.pl/"));
	assert_true(url_is_safe("mailto:a@b.pl"));
	assert_true(url_is_safe("../a/b/"));
	assert_true(url_is_safe("/a:b/"));
	assert_false(url_is_safe("javascript:alert(1)"));
	assert_false(url_is_safe("JaVaScRiPt:alert(1)"));
	assert_false(url_is_safe("data:text/html,x"));
	assert_false(url_is_safe("vbscript:x"));
	buf_free(&b);
}

static void test_utf8(void **state)
{
	int line, col;
	const char *s = "ab\nżó\xc0\x80x";

	(void)state;
	assert_int_equal(utf8_check("zażółć", strlen("zażółć")), strlen("zażółć"));
	assert_int_equal(utf8_check(s, strlen(s)), 7); /* overlong NUL */
	utf8_linecol(s, 7, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 3);
	assert_int_equal(utf8_check("\xed\xa0\x80", 3), 0);     /* surrogate */
	assert_int_equal(utf8_check("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	assert_int_equal(utf8_check("\xe2\x82", 2), 0);         /* truncated */
}

static void test_path_join(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(path_join(&b, "kursy/x", 7, "../y/lekcja-1.md", 16), 0);
	assert_string_equal(b.ptr, "kursy/y/lekcja-1.md");
	buf_reset(&b);
	assert_int_equal(path_join(&b, "a/b", 3, "./c/../d.md", 11), 0);
	assert_string_equal(b.ptr, "a/b/d.md");
	buf_reset(&b);
	assert_int_equal(path_join(&b, "", 0, "x.md", 4), 0);
	assert_string_equal(b.ptr, "x.md");
	buf_reset(&b);
	assert_int_equal(path_join(&b, "a", 1, "../../etc/passwd", 16), -1);
	buf_reset(&b);
	assert_int_equal(path_join(&b, "a/b/", 4, "../c/", 5), 0);
	assert_string_equal(b.ptr, "a/c/");
	buf_free(&b);
}

/* Registers an output of the hand-made site below (the model's table). */
static void put_output(struct site *s, struct output *o, const char *path, enum out_kind kind,
                       struct page *p)
{
	o->path = (char *)path; /* the test's string literals; never freed */
	o->kind = kind;
	o->page = p;
	assert_int_equal(strmap_put(&s->by_path, path, o), 0);
}

/* link_resolve against a small hand-made site */
static void test_link_resolve(void **state)
{
	struct site s;
	struct page pa = {0}, pb = {0}, pc = {0};
	struct rfile fa = {0};
	struct output outs[5];
	struct link_ctx lc = {&s, &pa, NULL, 0, NULL, NULL};
	struct buf out = BUF_INIT;
	struct err e = {0};
	size_t i;

	(void)state;
	memset(&s, 0, sizeof s);
	memset(outs, 0, sizeof outs);
	fa.path = "content/a/c.md";
	pa.src = &fa;
	pa.rel = "a/c.md";
	pa.url = "/a/c/";
	pb.rel = "a/b.md";
	pb.url = "/a/b/";
	pc.rel = "kursy/x/_index.md";
	pc.url = "/kursy/x/";
	assert_int_equal(strmap_put(&s.by_rel, pa.rel, &pa) | strmap_put(&s.by_rel, pb.rel, &pb) |
	                     strmap_put(&s.by_rel, pc.rel, &pc),
	                 0);
	put_output(&s, &outs[0], "/a/c/index.html", OUT_PAGE, &pa);
	put_output(&s, &outs[1], "/a/b/index.html", OUT_PAGE, &pb);
	put_output(&s, &outs[2], "/kursy/x/index.html", OUT_PAGE, &pc);
	put_output(&s, &outs[3], "/a/obraz.png", OUT_CONTENT_STATIC, NULL);
	put_output(&s, &outs[4], "/logo.png", OUT_THEME_STATIC, NULL);
	/* a file beside the Markdown file, as the editor's git host shows it
	 * (content/a/c.md's page is /a/c/, yet obraz.png is content/a/obraz.png) */
	assert_int_equal(link_resolve(&lc, "obraz.png", 1, 3, 5, &out, &e), 0);
	assert_string_equal(out.ptr, "/a/obraz.png");
	buf_reset(&out);
	assert_int_equal(link_resolve(&lc, "./obraz.png", 1, 3, 5, &out, &e), 0);
	assert_string_equal(out.ptr, "/a/obraz.png");
	buf_reset(&out);
	/* ...so one folder up is content/, where there is no such file */
	assert_int_equal(link_resolve(&lc, "../obraz.png", 1, 3, 5, &out, &e), -1);
	assert_string_equal(e.msg, "content/a/c.md:3:5: link to a missing file '../obraz.png' (no "
	                           "content/obraz.png; a link to a page's address ends in '/')");
	buf_reset(&out);
	/* the theme's static files are the site's too */
	assert_int_equal(link_resolve(&lc, "/logo.png", 1, 3, 5, &out, &e), 0);
	assert_string_equal(out.ptr, "/logo.png");
	buf_reset(&out);
	/* a content file, with an anchor queued for the later check */
	assert_int_equal(link_resolve(&lc, "../kursy/x/_index.md#cel", 0, 3, 5, &out, &e), 0);
	assert_string_equal(out.ptr, "/kursy/x/#cel");
	assert_int_equal(pa.nanchors, 1);
	assert_ptr_equal(pa.anchors[0].target, &pc);
	assert_string_equal(pa.anchors[0].anchor, "cel");
	buf_reset(&out);
	assert_int_equal(link_resolve(&lc, "b.md", 0, 3, 5, &out, &e), 0);
	assert_string_equal(out.ptr, "/a/b/");
	buf_reset(&out);
	/* URLs relative to the page's own URL, as a browser reads them */
	assert_int_equal(link_resolve(&lc, "../b/", 0, 3, 5, &out, &e), 0);
	assert_string_equal(out.ptr, "/a/b/");
	buf_reset(&out);
	assert_int_equal(link_resolve(&lc, "/a/b", 0, 3, 5, &out, &e), 0);
	assert_string_equal(out.ptr, "/a/b/");
	buf_reset(&out);
	/* other hosts: links stay, images are refused */
	assert_int_equal(link_resolve(&lc, "https://example.org/x", 0, 3, 5, &out, &e), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(link_resolve(&lc, "//example.org/x.png", 1, 4, 2, &out, &e), -1);
	assert_non_null(strstr(e.msg, "content/a/c.md:4:2: image from another host"));
	/* broken and escaping links */
	assert_int_equal(link_resolve(&lc, "nie-ma.md", 0, 7, 9, &out, &e), -1);
	assert_string_equal(e.msg, "content/a/c.md:7:9: link to a missing page 'nie-ma.md' "
	                           "(no content/a/nie-ma.md)");
	assert_int_equal(link_resolve(&lc, "../../../etc/passwd.md", 0, 8, 1, &out, &e), -1);
	assert_string_equal(e.msg,
	                    "content/a/c.md:8:1: link '../../../etc/passwd.md' leaves content/");
	assert_int_equal(link_resolve(&lc, "../nie-ma/", 0, 9, 1, &out, &e), -1);
	assert_non_null(strstr(e.msg, "content/a/c.md:9:1: link to a missing page or file"));
	assert_int_equal(link_resolve(&lc, "", 0, 9, 1, &out, &e), -1);
	assert_string_equal(e.msg, "content/a/c.md:9:1: empty link");
	/* a fragment alone points into this page */
	assert_int_equal(link_resolve(&lc, "#tu", 0, 10, 1, &out, &e), 0);
	assert_ptr_equal(pa.anchors[1].target, &pa);
	for (i = 0; i < pa.nanchors; i++)
		free(pa.anchors[i].anchor);
	free(pa.anchors);
	strmap_free(&s.by_rel);
	strmap_free(&s.by_path);
	buf_free(&out);
}

/* a stub link hook that records calls and rewrites .md links */
struct seen {
	char dest[8][128];
	int line[8];
	int n;
};

static int rec_link(void *ctx, const char *dest, int is_image, int line, int col, struct buf *out,
                    struct err *e)
{
	struct seen *s = ctx;

	(void)is_image;
	(void)col;
	if (strstr(dest, "broken"))
		return err_at(e, "t.md", line, col, "link to a missing page '%s'", dest);
	if (s->n < 8) {
		snprintf(s->dest[s->n], sizeof s->dest[0], "%s", dest);
		s->line[s->n++] = line;
	}
	if (strstr(dest, ".md")) {
		buf_puts(out, "/rewritten/");
		if (strchr(dest, '#'))
			buf_puts(out, strchr(dest, '#'));
	}
	return 0;
}

static int md(const char *src, struct md_doc *d, struct err *e, struct seen *s, int unsafe)
{
	struct md_opts o;

	memset(&o, 0, sizeof o);
	o.file = "t.md";
	o.line_offset = 3;
	o.unsafe = unsafe;
	o.link = rec_link;
	o.link_ctx = s;
	return md_render(src, strlen(src), &o, d, e);
}

static void test_markdown_headings(void **state)
{
	struct md_doc d;
	struct err e = {0};
	struct seen s = {0};

	(void)state;
	assert_int_equal(
	    md("## Prawo do usunięcia danych\n\n### Kiedy?\n\n## Status {#a11y-status}\n", &d, &e,
	       &s, 0),
	    0);
	assert_int_equal(d.nheadings, 3);
	assert_string_equal(d.headings[0].id, "prawo-do-usuniecia-danych");
	assert_string_equal(d.headings[1].id, "kiedy");
	assert_string_equal(d.headings[2].id, "a11y-status");
	assert_string_equal(d.headings[2].text, "Status");
	assert_int_equal(d.headings[1].line, 6); /* 3 + line 3 of the body */
	assert_non_null(strstr(
	    d.html.ptr, "<h2 id=\"prawo-do-usuniecia-danych\">Prawo do usunięcia danych</h2>"));
	assert_non_null(strstr(d.html.ptr, "<h2 id=\"a11y-status\">Status</h2>"));
	md_doc_free(&d);

	assert_int_equal(md("## A\n\n#### B\n", &d, &e, &s, 0), -1);
	assert_string_equal(
	    e.msg, "t.md:6:1: heading level 4 follows level 2; levels must not be skipped");
	assert_int_equal(md("# Tytuł\n", &d, &e, &s, 0), -1);
	assert_non_null(strstr(e.msg, "t.md:4:1: level-1 heading"));
	assert_int_equal(md("## Sekcja\n\n## Sekcja\n", &d, &e, &s, 0), -1);
	assert_non_null(strstr(e.msg, "t.md:6:1: duplicate id 'sekcja'"));
}

static void test_markdown_safety(void **state)
{
	struct md_doc d;
	struct err e = {0};
	struct seen s = {0};

	(void)state;
	assert_int_equal(
	    md("<script>alert(1)</script>\n\n[x](javascript:alert(1)) <b>hi</b>\n", &d, &e, &s, 0),
	    0);
	assert_null(strstr(d.html.ptr, "<script>"));
	assert_null(strstr(d.html.ptr, "<b>"));
	assert_null(strstr(d.html.ptr, "javascript:"));
	assert_non_null(strstr(d.html.ptr, "<a href=\"\">x</a>"));
	md_doc_free(&d);
	/* the site owner can turn safe mode off on purpose */
	assert_int_equal(md("<b>hi</b>\n", &d, &e, &s, 1), 0);
	assert_non_null(strstr(d.html.ptr, "<b>hi</b>"));
	md_doc_free(&d);
	assert_int_equal(md("![](a.png)\n", &d, &e, &s, 0), -1);
	assert_non_null(strstr(e.msg, "t.md:4:1: image 'a.png' has no alt text"));
	assert_int_equal(md("ok\n\nb\xc3(d\n", &d, &e, &s, 0), -1);
	assert_string_equal(e.msg, "t.md:6:2: invalid UTF-8");
}

static void test_markdown_links(void **state)
{
	struct md_doc d;
	struct err e = {0};
	struct seen s = {0};

	(void)state;
	assert_int_equal(md("Tekst [a](../prawa/instrukcja.md#sprzeciw) i [b](https://x.pl/).\n\n"
	                    "Dalej [c](#gora).\n",
	                    &d, &e, &s, 0),
	                 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.dest[0], "../prawa/instrukcja.md#sprzeciw");
	assert_int_equal(s.line[0], 4);
	assert_int_equal(s.line[2], 6);
	assert_non_null(strstr(d.html.ptr, "<a href=\"/rewritten/#sprzeciw\">a</a>"));
	assert_non_null(strstr(d.html.ptr, "<a href=\"https://x.pl/\">b</a>"));
	md_doc_free(&d);
	assert_int_equal(md("\n\nZobacz [x](broken.md).\n", &d, &e, &s, 0), -1);
	assert_string_equal(e.msg, "t.md:6:8: link to a missing page 'broken.md'");
}

static int sc_hook(void *ctx, const struct md_sc *sc, struct buf *out, struct err *e)
{
	(void)ctx;
	if (strcmp(sc->name, "bad") == 0)
		return err_at(e, "t.md", sc->line, sc->col, "unknown shortcode '%s'", sc->name);
	buf_printf(out, "%s[%s|%s=%s|%d]", sc->block ? "<div>B</div>" : "I", sc->name,
	           sc->nargs > 1 ? sc->args[1].key : "",
	           sc->nargs > 1 ? sc->args[1].value : (sc->nargs ? sc->args[0].value : ""),
	           sc->block);
	return 0;
}

static void test_markdown_shortcodes(void **state)
{
	struct md_doc d;
	struct err e = {0};
	struct md_opts o;
	const char *src = "Adres: {{< param \"admin.city\" >}} koniec.\n\n{{< offices >}}\n\n"
	                  "{{< param \"a\" id=\"x-y\" >}}\n";

	(void)state;
	memset(&o, 0, sizeof o);
	o.file = "t.md";
	o.shortcode = sc_hook;
	assert_int_equal(md_render(src, strlen(src), &o, &d, &e), 0);
	assert_non_null(strstr(d.html.ptr, "<p>Adres: I[param|=admin.city|0] koniec.</p>"));
	assert_non_null(strstr(d.html.ptr, "<div>B</div>[offices|=|1]"));
	assert_null(strstr(d.html.ptr, "<p><div>"));
	assert_non_null(strstr(d.html.ptr, "[param|id=x-y|1]"));
	md_doc_free(&d);
	src = "ok\n\nx {{< bad >}}\n";
	assert_int_equal(md_render(src, strlen(src), &o, &d, &e), -1);
	assert_string_equal(e.msg, "t.md:3:3: unknown shortcode 'bad'");
	src = "x {{< param \"a >}}\n";
	assert_int_equal(md_render(src, strlen(src), &o, &d, &e), -1);
	assert_non_null(strstr(e.msg, "t.md:1:3: unterminated string"));
}

/* {{< filled >}}: nothing while the office's value is "", its heading
 * and paragraphs (escaped) once it is written. */
static void test_shortcode_filled(void **state)
{
	struct site s;
	struct page p = {0};
	struct rfile f = {0};
	struct val *config = val_new(VAL_TABLE), *params = val_new(VAL_TABLE),
	           *a11y = val_new(VAL_TABLE);
	struct link_ctx lc = {&s, &p, NULL, 0, NULL, NULL};
	struct md_sc sc;
	struct buf out = BUF_INIT;
	struct err e = {0};

	(void)state;
	assert_non_null(config);
	assert_int_equal(val_set_str(a11y, "architecture", ""), 0);
	assert_int_equal(val_set(params, "a11y", a11y), 0);
	assert_int_equal(val_set(config, "params", params), 0);
	memset(&s, 0, sizeof s);
	memset(&sc, 0, sizeof sc);
	lc.config = config;
	f.path = "content/deklaracja.md";
	p.src = &f;
	snprintf(sc.name, sizeof sc.name, "filled");
	sc.block = 1;
	sc.line = 3;
	sc.col = 1;
	sc.nargs = 2;
	sc.args[0].value = "a11y.architecture";
	snprintf(sc.args[1].key, sizeof sc.args[1].key, "heading");
	sc.args[1].value = "Dostępność architektoniczna";
	assert_int_equal(shortcode_render(&lc, &sc, &out, &e), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(val_set_str(a11y, "architecture", "Wejście od ul. A & B.\n\nWinda <tak>."),
	                 0);
	assert_int_equal(shortcode_render(&lc, &sc, &out, &e), 0);
	assert_string_equal(out.ptr,
	                    "<h2>Dostępność architektoniczna</h2>\n<p>Wejście od ul. A &amp; "
	                    "B.</p>\n<p>Winda &lt;tak&gt;.</p>\n");
	buf_reset(&out);
	sc.args[0].value = "a11y.nic";
	assert_int_equal(shortcode_render(&lc, &sc, &out, &e), -1);
	assert_string_equal(e.msg,
	                    "content/deklaracja.md:3:1: param 'a11y.nic' is not in site.toml "
	                    "[params]");
	buf_free(&out);
	val_free(config);
}

/* {{< retention >}} against a hand-made site: the periods set, in the
 * policy's order, in correct Polish; nothing when none is set. */
static void test_shortcode_retention(void **state)
{
	struct site s;
	struct page p = {0};
	struct rfile f = {0};
	struct retention periods[8];
	struct link_ctx lc = {&s, &p, NULL, 0, NULL, NULL};
	struct md_sc sc;
	struct buf out = BUF_INIT;
	struct err e = {0};

	(void)state;
	assert_int_equal(retention_kinds_n, 8);
	memset(&s, 0, sizeof s);
	memset(periods, 0, sizeof periods);
	memset(&sc, 0, sizeof sc);
	s.retention = periods;
	f.path = "content/polityka.md";
	p.src = &f;
	snprintf(sc.name, sizeof sc.name, "retention");
	sc.block = 1;
	sc.line = 12;
	sc.col = 1;
	/* none set: nothing at all, not even the introduction */
	assert_int_equal(shortcode_render(&lc, &sc, &out, &e), 0);
	assert_int_equal(out.len, 0);
	/* contacts and (before it in the policy) attempts; "2 lat" reads "2 lata" */
	periods[3].n = 30;
	periods[3].unit = RETENTION_DAYS;
	periods[1].n = 2;
	periods[1].unit = RETENTION_YEARS;
	assert_int_equal(shortcode_render(&lc, &sc, &out, &e), 0);
	assert_string_equal(out.ptr,
	                    "<p>Poszczególne rodzaje danych Administrator przechowuje przez "
	                    "następujące okresy:</p>\n"
	                    "<ul class=\"retention\">\n"
	                    "<li><strong>Wyniki testów wiedzy i certyfikaty</strong>: 2 lata, od "
	                    "rozwiązania testu lub wydania certyfikatu.</li>\n"
	                    "<li><strong>Wiadomości wysłane formularzem kontaktowym</strong>: 30 "
	                    "dni, od otrzymania wiadomości.</li>\n"
	                    "</ul>\n");
	buf_reset(&out);
	/* a list cannot stand inside a paragraph; it takes no arguments */
	sc.block = 0;
	assert_int_equal(shortcode_render(&lc, &sc, &out, &e), -1);
	assert_string_equal(e.msg, "content/polityka.md:12:1: retention makes a list: put {{< "
	                           "retention >}} on a line of its own");
	sc.block = 1;
	sc.nargs = 1;
	sc.args[0].key[0] = '\0';
	sc.args[0].value = "contacts";
	assert_int_equal(shortcode_render(&lc, &sc, &out, &e), -1);
	assert_string_equal(e.msg, "content/polityka.md:12:1: retention takes no arguments: {{< "
	                           "retention >}}");
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_front_matter_split(void **state)
{
	const char *src = "+++\ntitle = \"x\"\n+++\nbody\n", *fm, *body;
	size_t fl, bl;
	int line;
	struct err e = {0};

	(void)state;
	assert_int_equal(md_split(src, strlen(src), "p.md", &fm, &fl, &body, &bl, &line, &e), 0);
	assert_int_equal(fl, strlen("title = \"x\"\n"));
	assert_string_equal(body, "body\n");
	assert_int_equal(line, 3);
	src = "+++\ntitle = \"x\"\nbody\n";
	assert_int_equal(md_split(src, strlen(src), "p.md", &fm, &fl, &body, &bl, &line, &e), -1);
	assert_string_equal(e.msg, "p.md:1:1: front matter opened with '+++' is never closed");
	src = "no front matter\n";
	assert_int_equal(md_split(src, strlen(src), "p.md", &fm, &fl, &body, &bl, &line, &e), 0);
	assert_null(fm);
}

static void test_strmap(void **state)
{
	struct strmap m = STRMAP_INIT;
	static char keys[2000][16];
	int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		snprintf(keys[i], sizeof keys[i], "k%d", i);
		assert_int_equal(strmap_put(&m, keys[i], &keys[i]), 0);
	}
	for (i = 0; i < 2000; i++)
		assert_ptr_equal(strmap_get(&m, keys[i]), &keys[i]);
	assert_null(strmap_get(&m, "k2000"));
	assert_int_equal(m.n, 2000);
	strmap_free(&m);
}

/* ---- history ---------------------------------------------------------- */

static char repo_dir[256];

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void commit(const char *date, const char *msg)
{
	sh("cd %s && git add -A && GIT_AUTHOR_DATE='%s' GIT_COMMITTER_DATE='%s' "
	   "git -c user.name=Redaktor -c user.email=r@example.invalid commit -qm '%s'",
	   repo_dir, date, date, msg);
}

static int history_setup(void **state)
{
	(void)state;
	snprintf(repo_dir, sizeof repo_dir, "/tmp/okienko-hist-%ld", (long)getpid());
	sh("rm -rf %s && mkdir -p %s/content/a && git init -q %s", repo_dir, repo_dir, repo_dir);
	sh("printf 'title = \"x\"\\n' > %s/site.toml && printf one > %s/content/a/p.md && "
	   "printf two > %s/content/q.md",
	   repo_dir, repo_dir, repo_dir);
	commit("2026-01-01T10:00:00+01:00", "first");
	sh("printf changed > %s/content/q.md", repo_dir);
	commit("2026-02-01T10:00:00+01:00", "change q");
	sh("printf unrelated > %s/README", repo_dir);
	commit("2026-03-01T10:00:00+01:00", "outside content");
	sh("printf again > %s/content/a/p.md && printf new > %s/content/a/r.md", repo_dir,
	   repo_dir);
	commit("2026-04-01T10:00:00+02:00", "change p, add r");
	return 0;
}

static int history_teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", repo_dir);
	return 0;
}

static void test_history(void **state)
{
	struct err e = {0};
	struct repo *r = repo_open(repo_dir, NULL, 0, 2, &e);
	const struct rfile *p, *q, *rr;

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->nfiles, 4); /* site.toml and three content files */
	p = repo_file(r, "content/a/p.md");
	q = repo_file(r, "content/q.md");
	rr = repo_file(r, "content/a/r.md");
	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(rr);
	assert_null(repo_file(r, "README"));
	assert_int_equal(p->len, 5);
	assert_memory_equal(p->data, "again", 5);
	/* the commit outside content/ is no page's change */
	assert_int_equal(r->ncommits, 3);
	assert_int_equal(p->nhist, 2);
	assert_string_equal(r->commits[p->hist[0].commit].summary, "change p, add r");
	assert_string_equal(r->commits[p->hist[1].commit].summary, "first");
	assert_int_equal(r->commits[p->hist[0].commit].offset, 120);
	assert_string_equal(r->commits[p->hist[0].commit].author, "Redaktor");
	assert_int_equal(q->nhist, 2);
	assert_string_equal(r->commits[q->hist[0].commit].summary, "change q");
	assert_int_equal(rr->nhist, 1);
	assert_true(rr->created_found);
	assert_true(p->created_found);
	assert_int_equal(r->commits[q->hist[1].commit].time, 1767258000); /* 2026-01-01T09:00Z */
	assert_string_equal(r->head.summary, "change p, add r");
	repo_close(r);

	/* an older ref sees older contents and history */
	r = repo_open(repo_dir, "HEAD~2", 0, 1, &e);
	assert_non_null(r);
	q = repo_file(r, "content/q.md");
	assert_int_equal(q->nhist, 2);
	assert_null(repo_file(r, "content/a/r.md"));
	repo_close(r);
}

static void test_history_merge(void **state)
{
	struct err e = {0};
	struct repo *r;
	const struct rfile *q;

	(void)state;
	/* a change made on a branch reaches main through a merge commit: on
	 * the first-parent line the merge is the commit that changed it */
	sh("cd %s && git checkout -q -b side && printf side > content/q.md", repo_dir);
	commit("2026-05-01T10:00:00+02:00", "edit q on a branch");
	sh("cd %s && git checkout -q - && GIT_AUTHOR_DATE=2026-05-02T10:00:00+02:00 "
	   "GIT_COMMITTER_DATE=2026-05-02T10:00:00+02:00 git -c user.name=R -c "
	   "user.email=r@example.invalid merge -q --no-ff -m 'merge side' side",
	   repo_dir);
	r = repo_open(repo_dir, NULL, 0, 1, &e);
	assert_non_null(r);
	q = repo_file(r, "content/q.md");
	assert_memory_equal(q->data, "side", 4);
	assert_int_equal(q->nhist, 3);
	assert_string_equal(r->commits[q->hist[0].commit].summary, "merge side");
	assert_string_equal(r->commits[q->hist[1].commit].summary, "change q");
	repo_close(r);
}

static void test_history_shallow(void **state)
{
	struct err e = {0};
	struct repo *r;
	char shallow[300];

	(void)state;
	snprintf(shallow, sizeof shallow, "%s-shallow", repo_dir);
	sh("rm -rf %s && git clone -q --depth 1 file://%s %s", shallow, repo_dir, shallow);
	r = repo_open(shallow, NULL, 0, 1, &e);
	assert_null(r);
	assert_non_null(strstr(e.msg, "shallow clone refused"));
	sh("rm -rf %s", shallow);
	r = repo_open("/nonexistent/okienko", NULL, 0, 1, &e);
	assert_null(r);
	assert_non_null(strstr(e.msg, "/nonexistent/okienko"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slugs),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_path_join),
	    cmocka_unit_test(test_markdown_headings),
	    cmocka_unit_test(test_markdown_safety),
	    cmocka_unit_test(test_markdown_links),
	    cmocka_unit_test(test_link_resolve),
	    cmocka_unit_test(test_markdown_shortcodes),
	    cmocka_unit_test(test_shortcode_retention),
	    cmocka_unit_test(test_shortcode_filled),
	    cmocka_unit_test(test_front_matter_split),
	    cmocka_unit_test(test_strmap),
	    cmocka_unit_test_setup_teardown(test_history, history_setup, history_teardown),
	    cmocka_unit_test_setup_teardown(test_history_merge, history_setup, history_teardown),
	    cmocka_unit_test_setup_teardown(test_history_shallow, history_setup, history_teardown),
	};

	return cmocka_run_group_tests_name("generator", tests, NULL, NULL);
}
