/*
 * Unit tests of formd/forum.c: a post's text as HTML, the Europe/Warsaw
 * offset of the dates, the pages end to end (pagination, the post URL)
 * and the writer (coalescing, courses apart, stopping with marks
 * pending): a site folder in a mkdtemp dir with the repository's real
 * theme (read from themes/default/ below the working directory:
 * tests/run.sh runs from the repository root), a real store, the pages
 * written and read back.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth.h"
#include "clock.h"
#include "err.h"
#include "forum.h"
#include "fsutil.h"
#include "pages.h"
#include "site_fixture.h"
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* forum.c's test-only Warsaw offset (not in forum.h) */

/* ---- forum_body_html ---- */

static void check_body(const char *text, const char *want)
{
	struct buf b = BUF_INIT;

	forum_body_html(&b, text, strlen(text));
	assert_false(buf_failed(&b));
	if (strcmp(b.ptr, want) != 0)
		fail_msg("forum_body_html(\"%s\")\n got: %s\nwant: %s", text, b.ptr, want);
	buf_free(&b);
}

#define REL "\" rel=\"nofollow ugc noopener\">"

static void test_body_paragraphs(void **state)
{
	(void)state;
	check_body("", "");
	check_body("a", "<p>a</p>\n");
	check_body("a\nb\n\nc", "<p>a<br>\nb</p>\n<p>c</p>\n");
	check_body("a\n  \t\nb", "<p>a</p>\n<p>b</p>\n"); /* spaces between count */
	check_body("\n\n x\n\n\n\n", "<p> x</p>\n");      /* blank lines around */
	check_body("a\r\nb\r\n\r\nc\rd", "<p>a<br>\nb</p>\n<p>c<br>\nd</p>\n"); /* CRLF, CR */
	check_body("a\n\x01 \x02\nb", "<p>a</p>\n<p>b</p>\n"); /* a line of controls is blank */
	check_body("a\x01"
	           "b\x7f",
	           "<p>ab</p>\n"); /* controls left out */
	/* a NUL inside the counted text is a control too */
	{
		struct buf b = BUF_INIT;

		forum_body_html(&b, "a\0b", 3);
		assert_string_equal(b.ptr, "<p>ab</p>\n");
		buf_free(&b);
	}
}

static void test_body_escapes(void **state)
{
	(void)state;
	check_body("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
	check_body("Tom & \"Jerry\" 'x'", "<p>Tom &amp; &quot;Jerry&quot; &#39;x&#39;</p>\n");
	check_body("javascript:alert(1)", "<p>javascript:alert(1)</p>\n");
	check_body("<a href=\"javascript:alert(1)\">x</a>",
	           "<p>&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;</p>\n");
	check_body("data:text/html,<b>x</b> ftp://x.pl mailto:a@b.pl",
	           "<p>data:text/html,&lt;b&gt;x&lt;/b&gt; ftp://x.pl mailto:a@b.pl</p>\n");
}

static void test_body_links(void **state)
{
	(void)state;
	check_body("Zobacz https://example.pl/cv.", "<p>Zobacz <a href=\"https://example.pl/cv" REL
	                                            "https://example.pl/cv</a>.</p>\n");
	check_body("http://a.pl, HTTPS://B.PL!?",
	           "<p><a href=\"http://a.pl" REL "http://a.pl</a>, <a href=\"HTTPS://B.PL" REL
	           "HTTPS://B.PL</a>!?</p>\n");
	check_body("(https://pl.wikipedia.org/wiki/A_(b)).",
	           "<p>(<a href=\"https://pl.wikipedia.org/wiki/A_(b)" REL
	           "https://pl.wikipedia.org/wiki/A_(b)</a>).</p>\n");
	check_body("[https://x.pl/a]",
	           "<p>[<a href=\"https://x.pl/a" REL "https://x.pl/a</a>]</p>\n");
	check_body("\xe2\x80\x9ehttps://x.pl\xe2\x80\x9d",
	           "<p>\xe2\x80\x9e<a href=\"https://x.pl" REL
	           "https://x.pl</a>\xe2\x80\x9d</p>\n");
	check_body("a https://x.pl:8080/p?q=1&r=2#f b",
	           "<p>a <a href=\"https://x.pl:8080/p?q=1&amp;r=2#f" REL
	           "https://x.pl:8080/p?q=1&amp;r=2#f</a> b</p>\n");
	check_body("line https://x.pl\nhttps://y.pl",
	           "<p>line <a href=\"https://x.pl" REL
	           "https://x.pl</a><br>\n<a href=\"https://y.pl" REL "https://y.pl</a></p>\n");
	/* characters the URL standard does not allow are percent-encoded */
	check_body("https://x.pl/a[1]|{b}^#c#d",
	           "<p><a href=\"https://x.pl/a%5B1%5D%7C%7Bb%7D%5E#c%23d" REL
	           "https://x.pl/a[1]|{b}^#c#d</a></p>\n");
	check_body("https://x.pl/za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87",
	           "<p><a href=\"https://x.pl/za%C5%BC%C3%B3%C5%82%C4%87" REL
	           "https://x.pl/za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87</a></p>\n");
	/* no link: no host, an odd host, glued to a word, a scheme alone */
	check_body("http:// https://. https://-x.pl xhttps://a.pl https://",
	           "<p>http:// https://. https://-x.pl xhttps://a.pl https://</p>\n");
	check_body("https://user@x.pl https://x.pl:/ https://[::1]/",
	           "<p>https://user@x.pl https://x.pl:/ https://[::1]/</p>\n");
}

/* A quote or < in a URL stays inside the attribute, percent-encoded; the
 * text is escaped. */
static void test_body_link_breakout(void **state)
{
	(void)state;
	check_body("https://x.pl/a\"onmouseover=\"alert(1)",
	           "<p><a href=\"https://x.pl/a%22onmouseover=%22alert(1)" REL
	           "https://x.pl/a&quot;onmouseover=&quot;alert(1)</a></p>\n");
	check_body("https://x.pl/'><script>x</script>",
	           "<p><a href=\"https://x.pl/%27%3E%3Cscript%3Ex%3C/script%3E" REL
	           "https://x.pl/&#39;&gt;&lt;script&gt;x&lt;/script&gt;</a></p>\n");
	check_body("https://x.pl/<img src=x>", "<p><a href=\"https://x.pl/%3Cimg" REL
	                                       "https://x.pl/&lt;img</a> src=x&gt;</p>\n");
	/* a < right after the host is no URL at all */
	check_body("https://x.pl<b>", "<p>https://x.pl&lt;b&gt;</p>\n");
}

/* ---- the Warsaw offset ---- */

static long long utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (long long)timegm(&tm);
}

static void test_warsaw_offset(void **state)
{
	struct buf b = BUF_INIT;
	long long t;

	(void)state;
	/* 2026: summer time from 29 March to 25 October, at 01:00 UTC */
	assert_int_equal(clock_warsaw_offset(utc(2026, 1, 15, 12, 0, 0)), 60);
	assert_int_equal(clock_warsaw_offset(utc(2026, 3, 29, 0, 59, 59)), 60);
	assert_int_equal(clock_warsaw_offset(utc(2026, 3, 29, 1, 0, 0)), 120);
	assert_int_equal(clock_warsaw_offset(utc(2026, 3, 22, 1, 0, 0)),
	                 60); /* a Sunday, not the last */
	assert_int_equal(clock_warsaw_offset(utc(2026, 7, 1, 0, 0, 0)), 120);
	assert_int_equal(clock_warsaw_offset(utc(2026, 10, 25, 0, 59, 59)), 120);
	assert_int_equal(clock_warsaw_offset(utc(2026, 10, 25, 1, 0, 0)), 60);
	assert_int_equal(clock_warsaw_offset(utc(2026, 10, 18, 1, 0, 0)), 120);
	assert_int_equal(clock_warsaw_offset(utc(2026, 12, 31, 23, 59, 59)), 60);
	/* 2024: 31 March and 27 October are the last Sundays themselves */
	assert_int_equal(clock_warsaw_offset(utc(2024, 3, 31, 0, 59, 59)), 60);
	assert_int_equal(clock_warsaw_offset(utc(2024, 3, 31, 1, 0, 0)), 120);
	assert_int_equal(clock_warsaw_offset(utc(2024, 10, 27, 0, 59, 59)), 120);
	assert_int_equal(clock_warsaw_offset(utc(2024, 10, 27, 1, 0, 0)), 60);
	/* 2025: 30 March and 26 October */
	assert_int_equal(clock_warsaw_offset(utc(2025, 3, 30, 1, 0, 0)), 120);
	assert_int_equal(clock_warsaw_offset(utc(2025, 3, 29, 23, 0, 0)), 60);
	assert_int_equal(clock_warsaw_offset(utc(2025, 10, 26, 1, 0, 0)), 60);
	assert_int_equal(clock_warsaw_offset(utc(2025, 10, 26, 0, 0, 0)), 120);
	/* before 1970 too (the day arithmetic of negative times) */
	assert_int_equal(clock_warsaw_offset(utc(1969, 7, 1, 0, 0, 0)), 120);
	assert_int_equal(clock_warsaw_offset(utc(1969, 12, 31, 23, 0, 0)), 60);

	/* what the pages show: late evening UTC is the next day in Warsaw */
	t = utc(2026, 3, 28, 23, 30, 0);
	fmt_date(&b, t, clock_warsaw_offset(t));
	assert_string_equal(b.ptr, "2026-03-29");
	buf_reset(&b);
	t = utc(2026, 6, 30, 22, 30, 0);
	fmt_datetime(&b, t, clock_warsaw_offset(t));
	assert_string_equal(b.ptr, "2026-07-01T00:30:00+02:00");
	buf_free(&b);
}

/* ---- the pages end to end ---- */

struct fx {
	char dir[64];  /* the temp folder */
	char site[96]; /* dir/site: what the generator would have built */
	char out[96];  /* dir/forum: formd's forum folder */
	struct sitedata *sd;
	struct store *st;
	long long user;
};

static const char site_json[] =
    "{\"site\": {\"title\": \"Portal\", \"description\": \"\", \"language\": \"pl\", "
    "\"base_url\": \"https://example.pl\", \"forms\": {\"forum\": \"/forum/wpis\"}, "
    "\"params\": {\"admin\": {\"name\": \"Urząd\", \"street\": \"Ulica 1\", "
    "\"postal_code\": \"00-001\", \"city\": \"Miasto\"}}, "
    "\"commit\": {\"id\": \"x\", \"short\": \"x\", "
    "\"time\": {\"date\": \"2026-01-01\", \"iso\": \"2026-01-01T00:00:00+01:00\"}}}, "
    "\"menu\": [{\"title\": \"Kursy\", \"url\": \"/kursy/\"}], "
    "\"footer\": [{\"title\": \"Polityka prywatności\", \"url\": \"/polityka-prywatnosci/\"}], "
    "\"offices\": []}";

static const char pages_json[] =
    "{\"/kursy/abc/test/\": {\"layout\": \"test\", \"frame\": {\"page\": {"
    "\"title\": \"Test wiedzy: Kurs ABC\", \"url\": \"/kursy/abc/test/\", "
    "\"breadcrumbs\": {\"items\": [{\"title\": \"Start\", \"url\": \"/\"}, "
    "{\"title\": \"Kursy\", \"url\": \"/kursy/\"}, {\"title\": \"Kurs ABC\", \"url\": "
    "\"/kursy/abc/\"}]}, "
    "\"course\": {\"slug\": \"abc\", \"title\": \"Kurs ABC\", \"url\": \"/kursy/abc/\"}}}}, "
    "\"/kursy/pusty/test/\": {\"layout\": \"test\", \"frame\": {\"page\": {"
    "\"title\": \"Test wiedzy: Pusty\", \"url\": \"/kursy/pusty/test/\", "
    "\"course\": {\"slug\": \"pusty\", \"title\": \"Kurs bez wpisów\", \"url\": "
    "\"/kursy/pusty/\"}}}}, "
    "\"/kontakt/\": {\"layout\": \"form-contact\", \"frame\": {\"page\": {\"title\": \"Kontakt\", "
    "\"url\": \"/kontakt/\", \"course\": {\"slug\": \"kontakt\"}}}}}";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = {0};
	struct user u;
	char p[256];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/okienko-forum-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	snprintf(f->site, sizeof f->site, "%s/site", f->dir);
	snprintf(f->out, sizeof f->out, "%s/forum", f->dir);
	fixture_priv(f->site, "site.json", site_json);
	fixture_priv(f->site, "pages.json", pages_json);
	fixture_priv(f->site, "forms.json", "{\"forum\": \"/forum/wpis\"}");
	fixture_priv(f->site, "offices.json", "[]");
	fixture_priv(f->site, "documents.json", "{}");
	fixture_priv(f->site, "build.json", "{\"commit\": \"x\"}");
	fixture_theme(f->site);
	f->sd = sitedata_load(f->site, &e);
	if (!f->sd) {
		fprintf(stderr, "sitedata_load: %s\n", e.msg);
		return -1;
	}
	/* the generator puts the theme's strings into site.json as `t` */
	if (val_set(f->sd->base, "t", val_dup(f->sd->theme->strings)) < 0)
		return -1;
	snprintf(p, sizeof p, "%s/formd.db", f->dir);
	f->st = store_open(p, &e);
	if (!f->st) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		return -1;
	}
	memset(&u, 0, sizeof u);
	snprintf(u.first_name, sizeof u.first_name, "Anna");
	snprintf(u.last_name, sizeof u.last_name, "Nowak");
	snprintf(u.email, sizeof u.email, "anna@example.pl");
	snprintf(u.office, sizeof u.office, "powiat-a");
	snprintf(u.pw_hash, sizeof u.pw_hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
	snprintf(u.terms_commit, sizeof u.terms_commit, "%040d", 1);
	snprintf(u.policy_commit, sizeof u.policy_commit, "%040d", 2);
	u.confirmed = 1;
	if (store_user_add(f->st, "web", &u, &e) != 0) {
		fprintf(stderr, "store_user_add: %s\n", e.msg);
		return -1;
	}
	f->user = u.id;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	int rc;

	store_close(f->st);
	sitedata_free(f->sd);
	rc = fs_rmtree(f->dir, &e);
	free(f);
	return rc;
}

/* Adds a post (a thread when thread is 0); fills *posted when not NULL.
 * Safe on any thread (no cmocka asserts): the id, or -1. */
static long long post_add(struct store *st, long long user, const char *course, long long thread,
                          const char *author, const char *title, const char *body,
                          long long *posted)
{
	struct post p;
	struct err e = {0};

	memset(&p, 0, sizeof p);
	p.thread_id = thread;
	snprintf(p.course, sizeof p.course, "%s", course);
	p.user_id = user;
	snprintf(p.author, sizeof p.author, "%s", author);
	snprintf(p.title, sizeof p.title, "%s", title);
	p.body = (char *)body;
	if (store_post_add(st, "user:1", &p, &e) != 0)
		return -1;
	if (posted)
		*posted = p.posted;
	return p.id;
}

static long long add(struct fx *f, long long thread, const char *title, const char *body,
                     long long *posted)
{
	long long id = post_add(f->st, f->user, "abc", thread, "Anna N.", title, body, posted);

	assert_true(id > 0);
	return id;
}

/* The file below the forum folder, malloc'd (fails the test when missing). */
static char *page(struct fx *f, const char *rel)
{
	char p[256];
	struct err e = {0};
	char *s;

	snprintf(p, sizeof p, "%s/%s", f->out, rel);
	s = fs_read(p, 1 << 24, NULL, &e);
	if (!s)
		fail_msg("%s", e.msg);
	return s;
}

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;
	size_t l = strlen(needle);

	for (const char *p = hay; (p = strstr(p, needle)); p += l)
		n++;
	return n;
}

/* Asserts that the needles appear in `s` in this order (NULL ends). */
static void in_order(const char *s, ...)
{
	va_list ap;
	const char *needle, *at = s;

	va_start(ap, s);
	while ((needle = va_arg(ap, const char *))) {
		const char *p = strstr(at, needle);

		if (!p)
			fail_msg("'%s' not found (in order) in the page", needle);
		at = p + strlen(needle);
	}
	va_end(ap);
}

static void test_pages(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char rel[128], want[256], course[STORE_SLUG];
	long long t1, r1, r2, r3, t2, t2r, t3, t3r, t4, posted;
	struct buf date = BUF_INIT, iso = BUF_INIT;
	char *s;

	t1 = add(f, 0, "Jak napisać CV?", "Pierwszy wpis.\n\nDrugi akapit.", &posted);
	r1 = add(f, t1, "", "<script>alert(1)</script>", NULL);
	r2 = add(f, t1, "", "Zobacz https://example.pl/cv.", NULL);
	r3 = add(f, t1, "", "UKRYTA odpowiedź", NULL);
	t2 = add(f, 0, "Ukryty wątek", "UKRYTY pierwszy wpis", NULL);
	t2r = add(f, t2, "", "Odpowiedź w ukrytym wątku", NULL);
	t3 = add(f, 0, "Rozmowa kwalifikacyjna", "Jak się przygotować?", NULL);
	t3r = add(f, t3, "", "Ćwicz odpowiedzi na głos.", NULL);
	t4 = add(f, 0, "Bez odpowiedzi", "Czy ktoś tu jest?", NULL);
	assert_int_equal(store_post_hide(f->st, "admin:anna", r3, 1, course, &e), 0);
	assert_int_equal(store_post_hide(f->st, "admin:anna", t2, 1, course, &e), 0);
	/* a reply in the other thread after the hidden one: t1 is the most recent */
	(void)add(f, t1, "", "Dziękuję!", NULL);

	if (forum_write_all(f->sd, f->st, f->out, &e) < 0)
		fail_msg("forum_write_all: %s", e.msg);

	/* the index: threads by activity, reply counts, the hidden thread absent */
	s = page(f, "kursy/abc/forum/index.html");
	assert_int_equal(occurrences(s, "<h1>"), 1);
	assert_non_null(strstr(s, "<h1>Forum kursu: Kurs ABC</h1>"));
	snprintf(want, sizeof want,
	         "<a class=\"forum-thread-title\" href=\"/kursy/abc/forum/%lld/\">", t1);
	in_order(s, want, "Jak napisać CV?", "3 odpowiedzi", NULL);
	snprintf(want, sizeof want, "href=\"/kursy/abc/forum/%lld/\"", t3);
	in_order(s, "Jak napisać CV?", "Bez odpowiedzi", "0 odpowiedzi.", want,
	         "Rozmowa kwalifikacyjna", "1 odpowiedź,", NULL);
	snprintf(want, sizeof want, "href=\"/kursy/abc/forum/%lld/\"", t4);
	assert_non_null(strstr(s, want));
	assert_null(strstr(s, "Ukryty wątek"));
	snprintf(want, sizeof want, "/kursy/abc/forum/%lld/", t2);
	assert_null(strstr(s, want));
	fmt_date(&date, posted, clock_warsaw_offset(posted));
	fmt_datetime(&iso, posted, clock_warsaw_offset(posted));
	snprintf(want, sizeof want, "<time datetime=\"%s\">%s</time>", iso.ptr, date.ptr);
	assert_non_null(strstr(s, want));
	/* the new-thread form: action, fields, no thread, the rules, the links */
	assert_non_null(strstr(s, "<form method=\"post\" action=\"/forum/wpis\""));
	assert_non_null(strstr(s, "<input type=\"hidden\" name=\"course\" value=\"abc\">"));
	assert_non_null(strstr(s, "name=\"title\" required maxlength=\"150\""));
	assert_non_null(strstr(s, "name=\"body\" rows=\"8\" maxlength=\"5000\""));
	assert_null(strstr(s, "name=\"thread\""));
	assert_non_null(strstr(s, "dane osobowe innych osób (w tym ich imię i nazwisko, adres, "
	                          "numer telefonu lub adres e-mail)"));
	assert_non_null(strstr(s, "href=\"/konto/logowanie/\""));
	assert_non_null(strstr(s, "href=\"/konto/rejestracja/\""));
	assert_non_null(strstr(s, "<li><a href=\"/kursy/abc/\">Kurs ABC</a></li>"));
	assert_null(strstr(s, "<script"));
	free(s);

	/* the thread: posts in order, hidden one absent, escaped, linked */
	snprintf(rel, sizeof rel, "kursy/abc/forum/%lld/index.html", t1);
	s = page(f, rel);
	assert_int_equal(occurrences(s, "<h1>"), 1);
	assert_non_null(strstr(s, "<h1>Jak napisać CV?</h1>"));
	assert_non_null(strstr(s, "<title>Jak napisać CV? – Forum: Kurs ABC – Portal</title>"));
	snprintf(want, sizeof want, "<article class=\"post post-first\" id=\"wpis-%lld\"", t1);
	in_order(s, want, "<p>Pierwszy wpis.</p>\n<p>Drugi akapit.</p>", NULL);
	snprintf(want, sizeof want, "id=\"wpis-%lld\"", r1);
	in_order(s, "Drugi akapit.", want, "&lt;script&gt;alert(1)&lt;/script&gt;", NULL);
	snprintf(want, sizeof want, "id=\"wpis-%lld\"", r2);
	in_order(s, "&lt;/script&gt;", want,
	         "<a href=\"https://example.pl/cv\" rel=\"nofollow ugc noopener\">"
	         "https://example.pl/cv</a>.",
	         "Dziękuję!", NULL);
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "UKRYTA"));
	snprintf(want, sizeof want, "wpis-%lld", r3);
	assert_null(strstr(s, want));
	assert_int_equal(occurrences(s, "<article "), 4);
	assert_non_null(strstr(s, "<h2 class=\"post-head\" id=\"wpis-"));
	snprintf(want, sizeof want, "<input type=\"hidden\" name=\"thread\" value=\"%lld\">", t1);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "<input type=\"hidden\" name=\"course\" value=\"abc\">"));
	assert_non_null(strstr(s, "<a href=\"/kursy/abc/forum/\">Wróć do listy wątków</a>"));
	assert_non_null(strstr(s, "<a href=\"/kursy/abc/\">Wróć do strony kursu</a>"));
	assert_non_null(strstr(s, "za ich zgodą."));
	free(s);

	/* the thread whose first post is hidden: removed, nothing of it shown */
	snprintf(rel, sizeof rel, "kursy/abc/forum/%lld/index.html", t2);
	s = page(f, rel);
	assert_non_null(strstr(s, "Wątek usunięty przez moderatora."));
	assert_null(strstr(s, "Ukryty wątek"));
	assert_null(strstr(s, "UKRYTY"));
	assert_null(strstr(s, "Odpowiedź w ukrytym wątku"));
	assert_null(strstr(s, "<form method=\"post\" action=\"/forum/wpis\""));
	(void)t2r;
	free(s);
	snprintf(rel, sizeof rel, "kursy/abc/forum/%lld/index.html", t3);
	s = page(f, rel);
	snprintf(want, sizeof want, "id=\"wpis-%lld\"", t3r);
	in_order(s, "Jak się przygotować?", want, "Ćwicz odpowiedzi na głos.", NULL);
	free(s);

	/* a course without posts: an index that says so */
	s = page(f, "kursy/pusty/forum/index.html");
	assert_non_null(strstr(s, "<h1>Forum kursu: Kurs bez wpisów</h1>"));
	assert_non_null(strstr(s, "nie ma jeszcze żadnego wątku"));
	assert_null(strstr(s, "forum-threads"));
	/* no breadcrumbs in its frame: the course alone */
	assert_non_null(strstr(s, "<li><a href=\"/kursy/pusty/\">Kurs bez wpisów</a></li>"));
	free(s);
	/* the contact page names no course of a test page */
	{
		struct stat sb;
		char p[256];

		snprintf(p, sizeof p, "%s/kursy/kontakt", f->out);
		assert_int_not_equal(stat(p, &sb), 0);
	}

	/* hiding a reply and writing again takes it off its page */
	assert_int_equal(store_post_hide(f->st, "admin:anna", r2, 1, course, &e), 0);
	if (forum_write(f->sd, f->st, f->out, "abc", &e) < 0)
		fail_msg("forum_write: %s", e.msg);
	snprintf(rel, sizeof rel, "kursy/abc/forum/%lld/index.html", t1);
	s = page(f, rel);
	assert_null(strstr(s, "example.pl/cv"));
	assert_non_null(strstr(s, "Dziękuję!"));
	free(s);
	s = page(f, "kursy/abc/forum/index.html");
	assert_non_null(strstr(s, "2 odpowiedzi"));
	free(s);
	buf_free(&date);
	buf_free(&iso);
}

static void test_courses(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct stat sb;
	char p[256];

	assert_true(forum_course_exists(f->sd, "abc"));
	assert_true(forum_course_exists(f->sd, "pusty"));
	assert_false(forum_course_exists(f->sd, "xyz"));
	assert_false(forum_course_exists(f->sd, ""));
	assert_false(forum_course_exists(f->sd, "kontakt")); /* not a test page */
	assert_false(forum_course_exists(f->sd, NULL));
	assert_int_equal(forum_write(f->sd, f->st, f->out, "xyz", &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_string_equal(e.msg, "course 'xyz': the site has no such course");
	assert_int_equal(forum_write(f->sd, f->st, f->out, "../abc", &e), -1);
	snprintf(p, sizeof p, "%s/kursy/xyz", f->out);
	assert_int_not_equal(stat(p, &sb), 0);
	assert_int_equal(forum_write(f->sd, f->st, f->out, "abc", &e), 0);
	snprintf(p, sizeof p, "%s/kursy/abc/forum/index.html", f->out);
	assert_int_equal(stat(p, &sb), 0);
}

/* A course whose slug cannot name a folder fails, naming it, and the
 * other courses' pages are written all the same. */
static void test_bad_course(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct val *pages = val_new(VAL_TABLE), *bad = val_new(VAL_TABLE);
	struct val *frame = val_new(VAL_TABLE), *pg = val_new(VAL_TABLE), *co = val_new(VAL_TABLE);
	struct stat sb;
	char p[256];
	size_t i;
	int r = 0;

	r |= val_set_str(bad, "layout", "test") | val_set(bad, "frame", frame);
	r |= val_set(frame, "page", pg) | val_set(pg, "course", co);
	r |= val_set_str(co, "slug", "../x") | val_set_str(co, "title", "Zły");
	r |= val_set(pages, "/kursy/zly/test/", bad);
	for (i = 0; i < f->sd->pages->u.tab.n; i++)
		r |= val_set(pages, f->sd->pages->u.tab.kv[i].key,
		             val_dup(f->sd->pages->u.tab.kv[i].v));
	assert_int_equal(r, 0);
	val_free(f->sd->pages);
	f->sd->pages = pages;

	assert_true(forum_course_exists(f->sd, "../x"));
	assert_int_equal(forum_write(f->sd, f->st, f->out, "../x", &e), -1);
	assert_string_equal(e.msg, "course '../x': not a slug that can name a folder");
	memset(&e, 0, sizeof e);
	assert_int_equal(forum_write_all(f->sd, f->st, f->out, &e), -1);
	assert_string_equal(e.msg, "course '../x': not a slug that can name a folder");
	snprintf(p, sizeof p, "%s/kursy/abc/forum/index.html", f->out);
	assert_int_equal(stat(p, &sb), 0);
	snprintf(p, sizeof p, "%s/kursy/pusty/forum/index.html", f->out);
	assert_int_equal(stat(p, &sb), 0);
	snprintf(p, sizeof p, "%s/x", f->dir);
	assert_int_not_equal(stat(p, &sb), 0);
}

/* A write that changes nothing leaves the file as it was (same inode: no
 * rename); one that changes it replaces it. */
static void test_unchanged_kept(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct stat a, b;
	char p[256];

	add(f, 0, "Wątek", "Treść", NULL);
	assert_int_equal(forum_write(f->sd, f->st, f->out, "abc", &e), 0);
	snprintf(p, sizeof p, "%s/kursy/abc/forum/index.html", f->out);
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(forum_write(f->sd, f->st, f->out, "abc", &e), 0);
	assert_int_equal(stat(p, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	add(f, 0, "Drugi wątek", "Treść", NULL);
	assert_int_equal(forum_write(f->sd, f->st, f->out, "abc", &e), 0);
	assert_int_equal(stat(p, &b), 0);
	assert_true(a.st_ino != b.st_ino);
}

/* ---- pagination ---- */

static void test_page_urls(void **state)
{
	char u[FORUM_URL_MAX];

	(void)state;
	assert_int_equal(forum_page_of(0), 1);
	assert_int_equal(forum_page_of(49), 1);
	assert_int_equal(forum_page_of(50), 2);
	assert_int_equal(forum_page_of(99), 2);
	assert_int_equal(forum_page_of(100), 3);
	assert_int_equal(forum_page_of(999), 20);
	assert_int_equal(forum_page_url("abc", 0, 1, u, sizeof u), 0);
	assert_string_equal(u, "/kursy/abc/forum/");
	assert_int_equal(forum_page_url("abc", 0, 3, u, sizeof u), 0);
	assert_string_equal(u, "/kursy/abc/forum/strona-3/");
	assert_int_equal(forum_page_url("abc", 7, 1, u, sizeof u), 0);
	assert_string_equal(u, "/kursy/abc/forum/7/");
	assert_int_equal(forum_page_url("abc", 7, 2, u, sizeof u), 0);
	assert_string_equal(u, "/kursy/abc/forum/7/strona-2/");
	assert_int_equal(forum_page_url("abc", 7, 2, u, 20), -1); /* does not fit */
}

/* A thread of n posts (the first included): ids into ids[0..n). */
static long long thread_of(struct fx *f, int n, long long *ids)
{
	char body[32];
	int i;

	ids[0] = add(f, 0, "Długi wątek", "Wpis 0", NULL);
	for (i = 1; i < n; i++) {
		snprintf(body, sizeof body, "Wpis %d", i);
		ids[i] = add(f, ids[0], "", body, NULL);
	}
	return ids[0];
}

static char *thread_page(struct fx *f, long long thread, int k)
{
	char rel[128];

	if (k == 1)
		snprintf(rel, sizeof rel, "kursy/abc/forum/%lld/index.html", thread);
	else
		snprintf(rel, sizeof rel, "kursy/abc/forum/%lld/strona-%d/index.html", thread, k);
	return page(f, rel);
}

static int exists(struct fx *f, const char *fmt, long long id, int k)
{
	char rel[128], p[256];
	struct stat sb;

	snprintf(rel, sizeof rel, fmt, id, k);
	snprintf(p, sizeof p, "%s/%s", f->out, rel);
	return stat(p, &sb) == 0;
}

static void check_post_url(struct fx *f, long long thread, long long post, const char *want)
{
	char u[FORUM_URL_MAX];
	struct err e = {0};

	if (forum_post_url(f->st, "abc", thread, post, u, sizeof u, &e) < 0)
		fail_msg("forum_post_url: %s", e.msg);
	assert_string_equal(u, want);
}

/* 50 posts are one page, without a pager. */
static void test_pages_50(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	long long ids[50];
	char want[128];
	long long t = thread_of(f, 50, ids);
	char *s;

	assert_int_equal(forum_write(f->sd, f->st, f->out, "abc", &e), 0);
	s = thread_page(f, t, 1);
	assert_int_equal(occurrences(s, "<article "), 50);
	assert_null(strstr(s, "Strony wątku"));
	assert_non_null(strstr(s, "<form method=\"post\" action=\"/forum/wpis\""));
	free(s);
	assert_false(exists(f, "kursy/abc/forum/%lld/strona-%d/index.html", t, 2));
	snprintf(want, sizeof want, "/kursy/abc/forum/%lld/#wpis-%lld", t, ids[49]);
	check_post_url(f, t, ids[49], want);
}

/* 51 posts: page 1 with 50, page 2 with the last one, a pager on both,
 * the reply form on the last; hiding one post takes page 2 away. */
static void test_pages_51(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char want[256], course[STORE_SLUG];
	long long ids[51];
	long long t = thread_of(f, 51, ids);
	char *s;

	assert_int_equal(forum_write(f->sd, f->st, f->out, "abc", &e), 0);
	s = thread_page(f, t, 1);
	assert_int_equal(occurrences(s, "<article "), 50);
	assert_int_equal(occurrences(s, "<nav class=\"pager\" aria-label=\"Strony wątku\">"), 1);
	snprintf(want, sizeof want,
	         "<li><a href=\"/kursy/abc/forum/%lld/\" aria-current=\"page\"><span "
	         "class=\"visually-hidden\">Strona </span>1</a></li>\n<li><a "
	         "href=\"/kursy/abc/forum/%lld/strona-2/\"><span class=\"visually-hidden\">Strona "
	         "</span>2</a></li>",
	         t, t);
	assert_non_null(strstr(s, want));
	snprintf(want, sizeof want, "href=\"/kursy/abc/forum/%lld/strona-2/\" rel=\"next\"", t);
	assert_non_null(strstr(s, want));
	assert_null(strstr(s, "rel=\"prev\""));
	assert_null(strstr(s, "<form method=\"post\""));
	snprintf(want, sizeof want, "<a href=\"/kursy/abc/forum/%lld/strona-2/#odpowiedz\">", t);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "<h1>Długi wątek</h1>"));
	free(s);
	s = thread_page(f, t, 2);
	assert_int_equal(occurrences(s, "<article "), 1);
	snprintf(want, sizeof want, "id=\"wpis-%lld\"", ids[50]);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "<h1>Długi wątek (strona 2 z 2)</h1>"));
	assert_non_null(strstr(s, "<title>Długi wątek (strona 2 z 2) – Forum: Kurs ABC"));
	snprintf(want, sizeof want,
	         "<a href=\"/kursy/abc/forum/%lld/strona-2/\" aria-current=\"page\">", t);
	assert_non_null(strstr(s, want));
	snprintf(want, sizeof want, "href=\"/kursy/abc/forum/%lld/\" rel=\"prev\"", t);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "<form method=\"post\" action=\"/forum/wpis\""));
	free(s);
	snprintf(want, sizeof want, "/kursy/abc/forum/%lld/strona-2/#wpis-%lld", t, ids[50]);
	check_post_url(f, t, ids[50], want);
	snprintf(want, sizeof want, "/kursy/abc/forum/%lld/#wpis-%lld", t, ids[49]);
	check_post_url(f, t, ids[49], want);
	/* the index links the thread's first page */
	s = page(f, "kursy/abc/forum/index.html");
	assert_non_null(strstr(s, "50 odpowiedzi"));
	assert_null(strstr(s, "aria-label=\"Strony"));
	free(s);

	/* one post hidden: 50 visible, one page again, page 2 gone */
	assert_int_equal(store_post_hide(f->st, "admin:anna", ids[3], 1, course, &e), 0);
	assert_int_equal(forum_write(f->sd, f->st, f->out, "abc", &e), 0);
	assert_false(exists(f, "kursy/abc/forum/%lld/strona-%d/index.html", t, 2));
	s = thread_page(f, t, 1);
	assert_int_equal(occurrences(s, "<article "), 50);
	assert_null(strstr(s, "Strony wątku"));
	free(s);
	snprintf(want, sizeof want, "/kursy/abc/forum/%lld/#wpis-%lld", t, ids[50]);
	check_post_url(f, t, ids[50], want);
}

struct site_count {
	atomic_int refs;
	atomic_int retains;
};

static void count_retain(void *ref)
{
	struct site_count *c = ref;

	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&c->retains, 1);
}

static void count_release(void *ref)
{
	struct site_count *c = ref;

	atomic_fetch_sub(&c->refs, 1);
}

/* A site for the writer: the fixture's, counting references. */
static struct forum_site site_of(struct fx *f, struct site_count *c)
{
	struct forum_site s = {f->sd, c, count_retain, count_release};

	return s;
}

/* 1000 posts: 20 pages of 50, the largest page small; a reply through the
 * writer rewrites the last page only (and the index). */
static void test_pages_1000(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct site_count sc = {0};
	struct forum_site site = site_of(f, &sc);
	struct forum_writer *fw;
	struct stat before[21], after;
	char want[256], p[256];
	long long *ids = calloc(1001, sizeof *ids), t, largest = 0;
	int k;
	char *s;

	assert_non_null(ids);
	t = thread_of(f, 1000, ids);
	fw = forum_writer_new(f->st, f->out, &e);
	assert_non_null(fw);
	assert_int_equal(forum_writer_write_all(fw, &site, &e), 0);
	for (k = 1; k <= 20; k++) {
		s = thread_page(f, t, k);
		assert_int_equal(occurrences(s, "<article "), 50);
		snprintf(want, sizeof want, "id=\"wpis-%lld\"", ids[(k - 1) * 50]);
		assert_non_null(strstr(s, want));
		snprintf(want, sizeof want, "<span class=\"visually-hidden\">Strona </span>%d</a>",
		         k);
		in_order(s, "aria-current=\"page\"", want, NULL);
		assert_int_equal(occurrences(s, "aria-current=\"page\""),
		                 2); /* breadcrumb, pager */
		if ((long long)strlen(s) > largest)
			largest = (long long)strlen(s);
		free(s);
		if (k == 1)
			snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/index.html", f->out, t);
		else
			snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/strona-%d/index.html",
			         f->out, t, k);
		assert_int_equal(stat(p, &before[k]), 0);
	}
	assert_false(exists(f, "kursy/abc/forum/%lld/strona-%d/index.html", t, 21));
	print_message("1000 posts: the largest thread page %lld bytes\n", largest);
	assert_true(largest < 100 * 1024);
	snprintf(want, sizeof want, "/kursy/abc/forum/%lld/strona-20/#wpis-%lld", t, ids[999]);
	check_post_url(f, t, ids[999], want);

	/* the 1001st post: page 21, and every page's pager changes */
	ids[1000] = add(f, t, "", "Wpis 1000", NULL);
	assert_int_equal(forum_writer_write_all(fw, &site, &e), 0);
	s = thread_page(f, t, 21);
	assert_int_equal(occurrences(s, "<article "), 1);
	free(s);
	/* one more reply: only the last page changes */
	for (k = 1; k <= 20; k++) {
		if (k == 1)
			snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/index.html", f->out, t);
		else
			snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/strona-%d/index.html",
			         f->out, t, k);
		assert_int_equal(stat(p, &before[k]), 0);
	}
	(void)add(f, t, "", "Wpis 1001", NULL);
	assert_int_equal(forum_writer_write_all(fw, &site, &e), 0);
	for (k = 1; k <= 20; k++) {
		if (k == 1)
			snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/index.html", f->out, t);
		else
			snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/strona-%d/index.html",
			         f->out, t, k);
		assert_int_equal(stat(p, &after), 0);
		assert_true(after.st_ino == before[k].st_ino);
	}
	s = thread_page(f, t, 21);
	assert_int_equal(occurrences(s, "<article "), 2);
	free(s);
	forum_writer_free(fw);
	assert_int_equal(atomic_load(&sc.refs), 0);
	free(ids);
}

/* 51 threads: the index has two pages; the form to start one on page 1. */
static void test_index_pages(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	long long first = 0, last = 0;
	char title[32], want[128];
	int i;
	char *s;

	for (i = 0; i < 51; i++) {
		snprintf(title, sizeof title, "Wątek %d", i);
		last = add(f, 0, title, "Treść", NULL);
		if (!first)
			first = last;
	}
	assert_int_equal(forum_write(f->sd, f->st, f->out, "abc", &e), 0);
	s = page(f, "kursy/abc/forum/index.html");
	assert_int_equal(occurrences(s, "class=\"forum-thread-title\""), 50);
	assert_non_null(strstr(s, "<nav class=\"pager\" aria-label=\"Strony listy wątków\">"));
	assert_non_null(strstr(s, "href=\"/kursy/abc/forum/strona-2/\" rel=\"next\""));
	assert_non_null(strstr(s, "<form method=\"post\" action=\"/forum/wpis\""));
	snprintf(want, sizeof want, "href=\"/kursy/abc/forum/%lld/\"", last); /* newest first */
	assert_non_null(strstr(s, want));
	free(s);
	s = page(f, "kursy/abc/forum/strona-2/index.html");
	assert_int_equal(occurrences(s, "class=\"forum-thread-title\""), 1);
	snprintf(want, sizeof want, "href=\"/kursy/abc/forum/%lld/\"", first);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "<h1>Forum kursu: Kurs ABC (strona 2 z 2)</h1>"));
	assert_null(strstr(s, "<form method=\"post\""));
	assert_non_null(strstr(s, "href=\"/kursy/abc/forum/#nowy-watek\""));
	free(s);
}

/* ---- the writer ---- */

/* What the hook and the dones of a test record, under `m`. */
struct rec {
	pthread_mutex_t m;
	pthread_cond_t c;
	struct fx *f;
	const char *block; /* the course whose rebuilds wait for `open` */
	int open;
	int blocked;       /* a rebuild of `block` is waiting */
	int starts;        /* rebuilds started, every course */
	int starts_abc;    /* of abc */
	int cur_abc;       /* the sequence number (starts) of abc's rebuild running */
	unsigned delay_us; /* every rebuild sleeps this long first */
};

static void on_start(void *arg, const char *course)
{
	struct rec *r = arg;

	if (r->delay_us)
		usleep(r->delay_us);
	pthread_mutex_lock(&r->m);
	r->starts++;
	if (strcmp(course, "abc") == 0) {
		r->starts_abc++;
		r->cur_abc = r->starts;
	}
	if (r->block && strcmp(course, r->block) == 0) {
		r->blocked = 1;
		pthread_cond_broadcast(&r->c);
		while (!r->open)
			pthread_cond_wait(&r->c, &r->m);
		r->blocked = 0;
	}
	pthread_mutex_unlock(&r->m);
}

/* One mark and what became of it. */
struct mark {
	struct rec *r;
	long long thread, post;
	int at_mark; /* r->starts just before the mark */
	int calls;   /* dones */
	int rc;
	int seq;   /* the rebuild that called done */
	int shown; /* the thread's page showed the post when done came */
};

static void on_done(void *arg, int rc, const struct err *e)
{
	struct mark *k = arg;
	struct rec *r = k->r;
	char p[256], anchor[64];
	struct err ignored = {0};
	char *s;

	(void)e;
	snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/index.html", r->f->out, k->thread);
	snprintf(anchor, sizeof anchor, "id=\"wpis-%lld\"", k->post);
	s = fs_read(p, 1 << 24, NULL, &ignored);
	pthread_mutex_lock(&r->m);
	k->calls++;
	k->rc = rc;
	k->seq = r->cur_abc;
	k->shown = s && strstr(s, anchor);
	pthread_cond_broadcast(&r->c);
	pthread_mutex_unlock(&r->m);
	free(s);
}

static void rec_init(struct rec *r, struct fx *f)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_init(&r->m, NULL);
	pthread_cond_init(&r->c, NULL);
	r->f = f;
	r->open = 1;
}

static void rec_destroy(struct rec *r)
{
	pthread_cond_destroy(&r->c);
	pthread_mutex_destroy(&r->m);
}

/* Waits up to 10 s for *flag (under r->m) to become nonzero: 1, or 0. */
static int wait_for(struct rec *r, const int *flag)
{
	struct timespec until;
	int ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&r->m);
	while (!*flag && pthread_cond_timedwait(&r->c, &r->m, &until) == 0)
		;
	ok = *flag != 0;
	pthread_mutex_unlock(&r->m);
	return ok;
}

static void do_mark(struct forum_writer *fw, const struct forum_site *site, struct mark *k)
{
	struct err e = {0};

	pthread_mutex_lock(&k->r->m);
	k->at_mark = k->r->starts;
	pthread_mutex_unlock(&k->r->m);
	if (forum_writer_mark(fw, site, "abc", on_done, k, &e) < 0)
		fail_msg("forum_writer_mark: %s", e.msg);
}

#define BURST 16

/* 16 posts while a rebuild runs: one more rebuild, every done once, each
 * after a rebuild that started after its mark, with its post on the page. */
static void test_writer_coalesces(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct site_count sc = {0};
	struct forum_site site = site_of(f, &sc);
	struct forum_writer *fw = forum_writer_new(f->st, f->out, &e);
	struct mark first, k[BURST];
	struct rec r;
	long long t = add(f, 0, "Wątek", "Start", NULL);
	int i;

	assert_non_null(fw);
	rec_init(&r, f);
	r.block = "abc";
	r.open = 0;
	forum_writer_hook(fw, on_start, &r);
	memset(&first, 0, sizeof first);
	first.r = &r;
	first.thread = t;
	first.post = t;
	do_mark(fw, &site, &first);
	assert_true(wait_for(&r, &r.blocked));
	for (i = 0; i < BURST; i++) {
		memset(&k[i], 0, sizeof k[i]);
		k[i].r = &r;
		k[i].thread = t;
		k[i].post = add(f, t, "", "Odpowiedź", NULL);
		do_mark(fw, &site, &k[i]);
	}
	pthread_mutex_lock(&r.m);
	assert_int_equal(first.calls, 0); /* still blocked */
	r.open = 1;
	pthread_cond_broadcast(&r.c);
	pthread_mutex_unlock(&r.m);
	assert_true(wait_for(&r, &k[BURST - 1].calls));
	forum_writer_free(fw);
	assert_int_equal(r.starts_abc, 2);
	assert_int_equal(first.calls, 1);
	assert_int_equal(first.rc, 0);
	assert_true(first.seq > first.at_mark);
	for (i = 0; i < BURST; i++) {
		assert_int_equal(k[i].calls, 1);
		assert_int_equal(k[i].rc, 0);
		assert_true(k[i].seq > k[i].at_mark);
		assert_int_equal(k[i].seq, 2);
		assert_true(k[i].shown);
	}
	assert_int_equal(atomic_load(&sc.refs), 0);
	assert_true(atomic_load(&sc.retains) > 0);
	rec_destroy(&r);
}

static void pusty_done(void *arg, int rc, const struct err *e)
{
	struct mark *k = arg;

	(void)e;
	pthread_mutex_lock(&k->r->m);
	k->calls++;
	k->rc = rc;
	pthread_cond_broadcast(&k->r->c);
	pthread_mutex_unlock(&k->r->m);
}

/* A rebuild of one course that does not end does not hold another's. */
static void test_writer_courses_apart(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct site_count sc = {0};
	struct forum_site site = site_of(f, &sc);
	struct forum_writer *fw = forum_writer_new(f->st, f->out, &e);
	struct mark a, b;
	struct rec r;
	long long t = add(f, 0, "Wątek", "Start", NULL);

	assert_non_null(fw);
	rec_init(&r, f);
	r.block = "abc";
	r.open = 0;
	forum_writer_hook(fw, on_start, &r);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.r = b.r = &r;
	a.thread = a.post = t;
	do_mark(fw, &site, &a);
	assert_true(wait_for(&r, &r.blocked));
	assert_int_equal(forum_writer_mark(fw, &site, "pusty", pusty_done, &b, &e), 0);
	assert_true(wait_for(&r, &b.calls)); /* while abc is blocked */
	pthread_mutex_lock(&r.m);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.rc, 0);
	r.open = 1;
	pthread_cond_broadcast(&r.c);
	pthread_mutex_unlock(&r.m);
	assert_true(wait_for(&r, &a.calls));
	assert_true(a.shown);
	/* an unknown course is refused at once, done never called */
	assert_int_equal(forum_writer_mark(fw, &site, "xyz", pusty_done, &b, &e), -1);
	assert_string_equal(e.msg, "course 'xyz': the site has no such course");
	forum_writer_free(fw);
	assert_int_equal(b.calls, 1);
	assert_int_equal(atomic_load(&sc.refs), 0);
	rec_destroy(&r);
}

/* forum_writer_free with marks pending (slow rebuilds): every done is
 * called, once, with the pages written. */
static void test_writer_free_pending(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct site_count sc = {0};
	struct forum_site site = site_of(f, &sc);
	struct forum_writer *fw = forum_writer_new(f->st, f->out, &e);
	struct mark k[BURST];
	struct rec r;
	long long t = add(f, 0, "Wątek", "Start", NULL);
	int i;

	assert_non_null(fw);
	rec_init(&r, f);
	r.delay_us = 20000;
	forum_writer_hook(fw, on_start, &r);
	for (i = 0; i < BURST; i++) {
		memset(&k[i], 0, sizeof k[i]);
		k[i].r = &r;
		k[i].thread = t;
		k[i].post = add(f, t, "", "Odpowiedź", NULL);
		do_mark(fw, &site, &k[i]);
		if (i % 4 == 0)
			assert_int_equal(forum_writer_mark(fw, &site, "pusty", NULL, NULL, &e), 0);
	}
	forum_writer_free(fw);
	for (i = 0; i < BURST; i++) {
		assert_int_equal(k[i].calls, 1);
		assert_int_equal(k[i].rc, 0);
		assert_true(k[i].seq > k[i].at_mark);
		assert_true(k[i].shown);
	}
	assert_true(r.starts_abc < BURST); /* coalesced */
	assert_int_equal(atomic_load(&sc.refs), 0);
	rec_destroy(&r);
}

/* ---- concurrent posters through the writer ---- */

#define WRITERS 8
#define POSTS 10

struct poster {
	struct fx *f;
	struct forum_writer *fw;
	struct forum_site site;
	long long thread;
	int index;
	long long ids[POSTS];
	int failures;
	char first[256];
};

struct wait1 {
	pthread_mutex_t m;
	pthread_cond_t c;
	int done, rc;
};

static void wait1_done(void *arg, int rc, const struct err *e)
{
	struct wait1 *w = arg;

	(void)e;
	pthread_mutex_lock(&w->m);
	w->done = 1;
	w->rc = rc;
	pthread_cond_signal(&w->c);
	pthread_mutex_unlock(&w->m);
}

/* The thread's pages, one after the other, malloc'd (NULL when missing). */
static char *thread_text(struct fx *f, long long thread)
{
	struct buf all = BUF_INIT;
	int k;

	for (k = 1;; k++) {
		char p[256];
		struct err e = {0};
		char *s;

		if (k == 1)
			snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/index.html", f->out, thread);
		else
			snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/strona-%d/index.html",
			         f->out, thread, k);
		s = fs_read(p, 1 << 24, NULL, &e);
		if (!s)
			break;
		buf_puts(&all, s);
		free(s);
	}
	return buf_detach(&all, NULL);
}

static void *poster_main(void *arg)
{
	struct poster *w = arg;
	int i;

	for (i = 0; i < POSTS; i++) {
		char body[32];
		char anchor[64], u[FORUM_URL_MAX];
		struct err e = {0};
		struct wait1 d = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
		char *s;

		snprintf(body, sizeof body, "w%d-%d", w->index, i);
		w->ids[i] =
		    post_add(w->f->st, w->f->user, "abc", w->thread, "Anna N.", "", body, NULL);
		if (w->ids[i] < 0 ||
		    forum_writer_mark(w->fw, &w->site, "abc", wait1_done, &d, &e) < 0) {
			if (!w->failures++)
				snprintf(w->first, sizeof w->first, "%.200s", e.msg);
			continue;
		}
		pthread_mutex_lock(&d.m);
		while (!d.done)
			pthread_cond_wait(&d.c, &d.m);
		pthread_mutex_unlock(&d.m);
		/* done came: the pages on disk are that rebuild's or a later
		 * one's, and hold this post either way */
		snprintf(anchor, sizeof anchor, "id=\"wpis-%lld\"", w->ids[i]);
		s = thread_text(w->f, w->thread);
		if ((d.rc != 0 || !s || !strstr(s, anchor)) && !w->failures++)
			snprintf(w->first, sizeof w->first, "post %lld not on the page after done",
			         w->ids[i]);
		free(s);
		if (forum_post_url(w->f->st, "abc", w->thread, w->ids[i], u, sizeof u, &e) < 0 &&
		    !w->failures++)
			snprintf(w->first, sizeof w->first, "%.200s", e.msg);
	}
	return NULL;
}

struct ids {
	long long id[WRITERS * POSTS + 1];
	int n;
};

static int collect(void *ctx, const struct post *p)
{
	struct ids *s = ctx;

	if (s->n < WRITERS * POSTS + 1)
		s->id[s->n++] = p->id;
	return 0;
}

static void test_concurrent_writes(void **state)
{
	struct fx *f = *state;
	struct poster w[WRITERS];
	pthread_t th[WRITERS];
	struct err e = {0};
	struct site_count sc = {0};
	struct forum_writer *fw = forum_writer_new(f->st, f->out, &e);
	struct ids all;
	char want[64];
	const char *at;
	char *s;
	long long thread = add(f, 0, "Wspólny wątek", "Start", NULL);
	int i, j;

	assert_non_null(fw);
	for (i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].f = f;
		w[i].fw = fw;
		w[i].site = site_of(f, &sc);
		w[i].thread = thread;
		w[i].index = i;
		assert_int_equal(pthread_create(&th[i], NULL, poster_main, &w[i]), 0);
	}
	for (i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	forum_writer_free(fw);
	for (i = 0; i < WRITERS; i++)
		if (w[i].failures)
			fail_msg("poster %d: %d failures, the first: %s", i, w[i].failures,
			         w[i].first);

	s = thread_text(f, thread);
	assert_non_null(s);
	/* every post exactly once, each poster's in the order written */
	for (i = 0; i < WRITERS; i++) {
		const char *prev = s;

		for (j = 0; j < POSTS; j++) {
			const char *p;

			snprintf(want, sizeof want, "<p>w%d-%d</p>", i, j);
			assert_int_equal(occurrences(s, want), 1);
			p = strstr(s, want);
			assert_true(p > prev);
			prev = p;
		}
	}
	/* and all of them in the store's order */
	memset(&all, 0, sizeof all);
	assert_int_equal(store_posts(f->st, "abc", collect, &all, &e), 0);
	assert_int_equal(all.n, WRITERS * POSTS + 1);
	at = s;
	for (i = 0; i < all.n; i++) {
		snprintf(want, sizeof want, "id=\"wpis-%lld\"", all.id[i]);
		assert_int_equal(occurrences(s, want), 1);
		assert_non_null(at = strstr(at, want));
	}
	free(s);
	s = page(f, "kursy/abc/forum/index.html");
	snprintf(want, sizeof want, "%d odpowiedzi", WRITERS * POSTS);
	assert_non_null(strstr(s, want));
	free(s);
	assert_int_equal(atomic_load(&sc.refs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_body_paragraphs),
	    cmocka_unit_test(test_body_escapes),
	    cmocka_unit_test(test_body_links),
	    cmocka_unit_test(test_body_link_breakout),
	    cmocka_unit_test(test_warsaw_offset),
	    cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_courses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_course, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unchanged_kept, setup, teardown),
	    cmocka_unit_test(test_page_urls),
	    cmocka_unit_test_setup_teardown(test_pages_50, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_51, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_1000, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_coalesces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_courses_apart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_free_pending, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_writes, setup, teardown),
	};
	struct err e = {0};

	if (auth_init(&e) < 0) {
		fprintf(stderr, "auth_init: %s\n", e.msg);
		return 1;
	}
	return cmocka_run_group_tests_name("forum", tests, NULL, NULL);
}
