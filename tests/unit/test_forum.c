/*
 * Unit tests of formd/forum.c: a post's text as HTML, the Europe/Warsaw
 * offset of the dates, and the pages end to end: a site folder in a
 * mkdtemp dir with the repository's real theme (read from themes/default/
 * below the working directory: tests/run.sh runs from the repository
 * root), a real store, the pages written and read back.
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
#include "store.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

static void put(const char *path, const char *text)
{
	struct err e = {0};

	if (fs_write(path, text, strlen(text), 0, &e) < 0)
		fail_msg("%s", e.msg);
}

/* Copies every file of folder `from` ending in `ext` into folder `to`. */
static void copy_dir(const char *from, const char *to, const char *ext)
{
	DIR *d = opendir(from);
	struct dirent *de;
	struct err e = {0};
	int n = 0;

	if (!d)
		fail_msg("%s: cannot open (run from the repository root)", from);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), el = strlen(ext);
		char src[512], dst[512], *data;
		size_t len;

		if (l <= el || strcmp(de->d_name + l - el, ext) != 0)
			continue;
		snprintf(src, sizeof src, "%s/%s", from, de->d_name);
		snprintf(dst, sizeof dst, "%s/%s", to, de->d_name);
		data = fs_read(src, 1 << 20, &len, &e);
		if (!data || fs_write(dst, data, len, 0, &e) < 0)
			fail_msg("%s", e.msg);
		free(data);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
}

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
#define PRIV(name, text)                                                                           \
	do {                                                                                       \
		snprintf(p, sizeof p, "%s/private/%s", f->site, name);                             \
		put(p, text);                                                                      \
	} while (0)
	PRIV("site.json", site_json);
	PRIV("pages.json", pages_json);
	PRIV("forms.json", "{\"forum\": \"/forum/wpis\"}");
	PRIV("offices.json", "[]");
	PRIV("documents.json", "{}");
	PRIV("build.json", "{\"commit\": \"x\"}");
#undef PRIV
	snprintf(p, sizeof p, "%s/private/theme/layouts", f->site);
	if (fs_mkdirs(p, &e) < 0)
		return -1;
	copy_dir("themes/default/layouts", p, ".mustache");
	snprintf(p, sizeof p, "%s/private/theme/partials", f->site);
	if (fs_mkdirs(p, &e) < 0)
		return -1;
	copy_dir("themes/default/partials", p, ".mustache");
	snprintf(p, sizeof p, "%s/private/theme", f->site);
	copy_dir("themes/default", p, ".toml");
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

/* ---- concurrent writers ---- */

#define WRITERS 8
#define POSTS 10

struct writer {
	struct fx *f;
	long long thread;
	int index;
	long long ids[POSTS];
	int failures;
	struct err first;
};

/* 1 if the thread's page holds the post with this id. */
static int shows(const struct writer *w, long long id)
{
	char p[256], anchor[64];
	struct err e = {0};
	char *s;
	int r;

	snprintf(p, sizeof p, "%s/kursy/abc/forum/%lld/index.html", w->f->out, w->thread);
	snprintf(anchor, sizeof anchor, "id=\"wpis-%lld\"", id);
	s = fs_read(p, 1 << 24, NULL, &e);
	r = s && strstr(s, anchor);
	free(s);
	return r;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int i;

	for (i = 0; i < POSTS; i++) {
		char body[32];
		struct err e = {0};

		snprintf(body, sizeof body, "w%d-%d", w->index, i);
		w->ids[i] =
		    post_add(w->f->st, w->f->user, "abc", w->thread, "Anna N.", "", body, NULL);
		if (w->ids[i] < 0 || forum_write(w->f->sd, w->f->st, w->f->out, "abc", &e) < 0) {
			if (!w->failures++)
				w->first = e;
			continue;
		}
		/* the write returned: the page on disk is this write's or a later
		 * one's, and holds this post either way */
		if (!shows(w, w->ids[i]) && !w->failures++)
			snprintf(w->first.msg, sizeof w->first.msg,
			         "post %lld not on the page after its write", w->ids[i]);
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
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	struct err e = {0};
	struct ids all;
	char rel[128], want[64];
	const char *at;
	char *s;
	long long thread = add(f, 0, "Wspólny wątek", "Start", NULL);
	int i, j;

	for (i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].f = f;
		w[i].thread = thread;
		w[i].index = i;
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < WRITERS; i++)
		if (w[i].failures)
			fail_msg("writer %d: %d failures, the first: %s", i, w[i].failures,
			         w[i].first.msg);

	snprintf(rel, sizeof rel, "kursy/abc/forum/%lld/index.html", thread);
	s = page(f, rel);
	/* every post exactly once, each writer's in the order written */
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
	    cmocka_unit_test_setup_teardown(test_concurrent_writes, setup, teardown),
	};
	struct err e = {0};

	if (auth_init(&e) < 0) {
		fprintf(stderr, "auth_init: %s\n", e.msg);
		return 1;
	}
	return cmocka_run_group_tests_name("forum", tests, NULL, NULL);
}
