#include "forum.h"

#include "clock.h"
#include "escape.h"
#include "fsutil.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A course as pages.json names it; every pointer borrowed from sd. */
struct course {
	const char *slug;
	const char *title;
	const char *url;
	const struct val *breadcrumbs; /* the test page's breadcrumbs.items, or NULL */
};

/* Sets tab[key] = {date: YYYY-MM-DD, iso: RFC 3339 with the offset}, both
 * in Warsaw time. 0 or -1 (allocation). */
static int set_time(struct val *tab, const char *key, long long t)
{
	return val_set(tab, key, pages_time(t));
}

/* ---- a post's text as HTML ---- */

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The length of "http://" or "https://" (any case) at s, or 0. */
static size_t scheme_len(const char *s, size_t n)
{
	if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		return 7;
	if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		return 8;
	return 0;
}

/* Counts byte `c` in s[0..n). */
static size_t count(const char *s, size_t n, char c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/* The length of the URL starting at s (which starts with a scheme of
 * scheme_len() bytes), or 0 when it is no URL to link: the run of
 * non-space bytes, less trailing punctuation (. , ; : ! ? ' " and the
 * closing quotes ” »; a ) or ] only when it closes nothing opened inside
 * the URL), whose host is a plain one: ASCII letters, digits, dots and
 * hyphens, starting and ending with a letter or digit, an optional :port,
 * then nothing or / ? #. Anything else stays text. */
static size_t url_len(const char *s, size_t n, size_t scheme)
{
	size_t end = scheme, h;

	while (end < n && !is_space((unsigned char)s[end]))
		end++;
	for (;;) {
		unsigned char c = (unsigned char)s[end - 1];

		if (c && strchr(".,;:!?'\"", c))
			end--;
		else if (c == ')' && count(s, end, ')') > count(s, end, '('))
			end--;
		else if (c == ']' && count(s, end, ']') > count(s, end, '['))
			end--;
		else if (end >= scheme + 3 && memcmp(s + end - 3, "\xe2\x80\x9d", 3) == 0)
			end -= 3; /* ” */
		else if (end >= scheme + 2 && memcmp(s + end - 2, "\xc2\xbb", 2) == 0)
			end -= 2; /* » */
		else
			break;
		if (end <= scheme)
			return 0;
	}
	for (h = scheme; h < end && (is_alnum((unsigned char)s[h]) || s[h] == '.' || s[h] == '-');
	     h++)
		;
	if (h == scheme || !is_alnum((unsigned char)s[scheme]) ||
	    !is_alnum((unsigned char)s[h - 1]))
		return 0;
	if (h < end && s[h] == ':') {
		size_t p = ++h;

		while (h < end && s[h] >= '0' && s[h] <= '9')
			h++;
		if (h == p)
			return 0;
	}
	if (h < end && s[h] != '/' && s[h] != '?' && s[h] != '#')
		return 0;
	return end;
}

/* Appends the URL as an href value: bytes that browsers take but that the
 * URL standard (and the HTML checker) calls invalid -- [ ] { } | ^ and a
 * second # -- are percent-encoded here, esc_url does the rest (quotes, <,
 * >, spaces, non-ASCII, &). None of them is a hex digit, so cutting the
 * URL at them never splits a %XX that esc_url keeps. */
static void put_href(struct buf *out, const char *s, size_t n)
{
	size_t i, start = 0;
	int hash = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c && strchr("[]{}|^", c)) || (c == '#' && hash++)))
			continue;
		esc_url(out, s + start, i - start);
		buf_printf(out, "%%%02X", (unsigned)(unsigned char)c);
		start = i + 1;
	}
	esc_url(out, s + start, n - start);
}

/* Appends text without control bytes: escaped, URLs as links. */
static void put_text(struct buf *out, const char *s, size_t n)
{
	size_t i = 0, start = 0;

	while (i < n) {
		size_t sl = 0, ul = 0;

		if ((s[i] == 'h' || s[i] == 'H') && (i == 0 || !is_alnum((unsigned char)s[i - 1])))
			sl = scheme_len(s + i, n - i);
		if (sl)
			ul = url_len(s + i, n - i, sl);
		if (!ul) {
			i++;
			continue;
		}
		esc_html(out, s + start, i - start);
		buf_puts(out, "<a href=\"");
		put_href(out, s + i, ul);
		buf_puts(out, "\" rel=\"nofollow ugc noopener\">");
		esc_html(out, s + i, ul);
		buf_puts(out, "</a>");
		i += ul;
		start = i;
	}
	esc_html(out, s + start, n - start);
}

/* Control bytes other than tab (and the line ends, gone by now) are not
 * allowed in HTML text: they are left out. */
static int is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Appends one line of a post: the runs between control bytes. */
static void put_line(struct buf *out, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i <= n; i++)
		if (i == n || is_control((unsigned char)s[i])) {
			put_text(out, s + start, i - start);
			start = i + 1;
		}
}

/* 1 if s[0..n) has nothing but spaces, tabs and control bytes. */
static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && !is_control((unsigned char)s[i]) && s[i] != '\t')
			return 0;
	return 1;
}

void forum_body_html(struct buf *out, const char *text, size_t len)
{
	size_t i = 0;
	int in_para = 0;

	while (i < len) {
		size_t start = i, n;

		/* a line ends at \n, \r\n or a lone \r */
		while (i < len && text[i] != '\n' && text[i] != '\r')
			i++;
		n = i - start;
		if (i < len && text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			i++;
		if (i < len)
			i++;
		if (blank(text + start, n)) {
			if (in_para)
				buf_puts(out, "</p>\n");
			in_para = 0;
			continue;
		}
		buf_puts(out, in_para ? "<br>\n" : "<p>");
		in_para = 1;
		put_line(out, text + start, n);
	}
	if (in_para)
		buf_puts(out, "</p>\n");
}

/* ---- the courses ---- */

/* 1 if slug is safe as one folder name and fits the store: [a-z0-9-]. */
static int slug_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= STORE_SLUG)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* The course of the i-th page of pages.json: 1 and *c filled when that
 * page is a test page naming a course, 0 otherwise. */
static int page_course(const struct sitedata *sd, size_t i, struct course *c)
{
	const struct val *pg = sd->pages->u.tab.kv[i].v;
	const struct val *page = val_get(val_get(pg, "frame"), "page");
	const struct val *co = val_get(page, "course");
	const struct val *bc = val_get(val_get(page, "breadcrumbs"), "items");

	if (strcmp(val_get_str(pg, "layout", ""), "test") != 0 || !co)
		return 0;
	c->slug = val_get_str(co, "slug", "");
	c->title = val_get_str(co, "title", c->slug);
	c->url = val_get_str(co, "url", "/");
	c->breadcrumbs = bc && bc->type == VAL_ARRAY ? bc : NULL;
	return c->slug[0] != '\0';
}

/* Finds `slug` among the site's courses: 1 and *c filled, or 0. */
static int find_course(const struct sitedata *sd, const char *slug, struct course *c)
{
	size_t i;

	for (i = 0; sd->pages && sd->pages->type == VAL_TABLE && i < sd->pages->u.tab.n; i++)
		if (page_course(sd, i, c) && strcmp(c->slug, slug) == 0)
			return 1;
	return 0;
}

int forum_course_exists(const struct sitedata *sd, const char *course)
{
	struct course c;

	return course && find_course(sd, course, &c);
}

/* ---- URLs ---- */

long long forum_page_of(long long pos)
{
	return pos < 0 ? 1 : pos / FORUM_PAGE_POSTS + 1;
}

int forum_page_url(const char *course, long long thread_id, long long page, char *out, size_t n)
{
	char t[32] = "", p[40] = "";
	int k;

	if (thread_id > 0)
		snprintf(t, sizeof t, "%lld/", thread_id);
	if (page > 1)
		snprintf(p, sizeof p, "strona-%lld/", page);
	k = snprintf(out, n, "/kursy/%s/forum/%s%s", course, t, p);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

int forum_post_url(struct store *st, const char *course, long long thread_id, long long post_id,
                   char *out, size_t n, struct err *e)
{
	long long before = 0;
	int removed = 0, k;
	size_t l;

	if (!course || !slug_ok(course))
		return err_set(e, "course '%s': not a slug that can name a folder",
		               course ? course : "");
	if (store_post_position(st, course, thread_id, post_id, &before, &removed, e) < 0)
		return -1;
	if (forum_page_url(course, thread_id, removed ? 1 : forum_page_of(before), out, n) < 0)
		return err_set(e, "post %lld: its URL is longer than %zu bytes", post_id, n);
	l = strlen(out);
	k = snprintf(out + l, n - l, "#wpis-%lld", post_id);
	if (k < 0 || (size_t)k >= n - l)
		return err_set(e, "post %lld: its URL is longer than %zu bytes", post_id, n);
	return 0;
}

/* ---- what a page was made from ---- */

/* A page's inputs as a 64-bit FNV-1a hash: the writer keeps the hashes
 * of its last rebuild of a course and does not render a page again whose
 * inputs hash the same with the same site (its bytes would be the same:
 * a page depends on nothing but the site and its posts). */
struct pagehash {
	long long thread; /* 0: the index */
	long long page;
	uint64_t h;
};

struct pcache {
	struct pagehash *k; /* sorted by (thread, page) once a rebuild ends */
	size_t n, cap;
};

#define MIX_INIT 14695981039346656037ULL

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	return mix(h, s, strlen(s) + 1);
}

static uint64_t mix_ll(uint64_t h, long long v)
{
	return mix(h, &v, sizeof v);
}

static int by_key(const void *a, const void *b)
{
	const struct pagehash *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return x->page < y->page ? -1 : x->page > y->page ? 1 : 0;
}

static int cache_add(struct pcache *c, long long thread, long long page, uint64_t h)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct pagehash *k = realloc(c->k, cap * sizeof *k);

		if (!k)
			return -1;
		c->k = k;
		c->cap = cap;
	}
	c->k[c->n].thread = thread;
	c->k[c->n].page = page;
	c->k[c->n].h = h;
	c->n++;
	return 0;
}

static int cache_has(const struct pcache *c, long long thread, long long page, uint64_t h)
{
	struct pagehash key = {thread, page, 0};
	const struct pagehash *f;

	if (!c->n)
		return 0;
	f = bsearch(&key, c->k, c->n, sizeof key, by_key);
	return f && f->h == h;
}

static void cache_clear(struct pcache *c)
{
	free(c->k);
	memset(c, 0, sizeof *c);
}

/* ---- the pages ---- */

/* A post of the thread being gathered (owned copies). */
struct fpost {
	long long id;
	long long posted;
	char *author;
	char *body;
};

/* A thread as the index shows it. */
struct fthread {
	long long id;
	char *title;
	char *author;
	long long posted;
	long long replies;              /* visible replies */
	long long last_id, last_posted; /* the newest visible post */
};

/* The walk over a course's posts: store_posts hands the posts thread by
 * thread; each thread's pages are written when the next thread starts (and
 * after the last), so only one thread's posts are in memory at a time. */
struct walk {
	const struct sitedata *sd;
	const char *dir;
	const struct course *c;
	const struct pcache *old; /* the last rebuild's hashes, or NULL */
	struct pcache *fresh;     /* this rebuild's, or NULL */
	struct val *extra;        /* {forum, post_form}: every page's; `thread` set per page */
	long long cur;            /* the thread being gathered, 0 before the first */
	int removed;              /* its first post is hidden (or missing) */
	char *title;              /* its title */
	struct fpost *posts;
	size_t n, cap;
	struct fthread *threads; /* the visible threads, for the index */
	size_t nt, capt;
	int failed; /* e is set; the walk stops */
	struct err *e;
};

static void free_posts(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->posts[i].author);
		free(w->posts[i].body);
	}
	w->n = 0;
}

/* Writes a page unless the file holds exactly these bytes already (most
 * writes change one thread; the others' pages stay as they are, without
 * an fsync each). 0 or -1 with e. */
static int write_page(const char *path, const struct buf *html, struct err *e)
{
	struct err ignored = {0};
	size_t olen = 0;
	char *old = fs_read(path, html->len + 1, &olen, &ignored);
	int same = old && olen == html->len && memcmp(old, html->ptr, olen) == 0;

	free(old);
	return same ? 0 : fs_write(path, html->ptr, html->len, 1, e);
}

/* The URL of page `page` of thread (0: the index) into url, its file into
 * path. 0 or -1 with e. */
static int page_where(const struct walk *w, long long thread, long long page, char *url, size_t n,
                      struct buf *path)
{
	if (forum_page_url(w->c->slug, thread, page, url, n) < 0)
		return err_set(w->e, "course '%s': a page's URL is too long", w->c->slug);
	buf_printf(path, "%s%sindex.html", w->dir, url);
	return buf_failed(path) ? err_oom(w->e) : 0;
}

/* 1 when the page at path needs no rendering: the last rebuild rendered
 * it from inputs hashing to h and the file is there; 0 otherwise; -1
 * (allocation). Notes h for the next rebuild either way. */
static int unchanged(struct walk *w, long long thread, long long page, uint64_t h, const char *path)
{
	if (w->fresh && cache_add(w->fresh, thread, page, h) < 0)
		return -1;
	return w->old && cache_has(w->old, thread, page, h) && access(path, F_OK) == 0;
}

/* Removes the pages from, from + 1, ... of thread (0: the index) that a
 * longer version of it left, up to the first that is not there. A page
 * left behind is harmless (no link leads to it), so this is best effort. */
static void remove_pages_from(const struct walk *w, long long thread, long long from)
{
	long long k;

	for (k = from;; k++) {
		char url[FORUM_URL_MAX];
		struct buf p = BUF_INIT, d = BUF_INIT;
		int gone;

		if (forum_page_url(w->c->slug, thread, k, url, sizeof url) < 0)
			return;
		buf_printf(&p, "%s%sindex.html", w->dir, url);
		buf_printf(&d, "%s%s", w->dir, url);
		gone = !buf_failed(&p) && !buf_failed(&d) && unlink(p.ptr) == 0;
		if (gone)
			(void)rmdir(d.ptr);
		buf_free(&p);
		buf_free(&d);
		if (!gone)
			return;
	}
}

/* Renders `layout` at `url` with w->extra and writes it to `path`. */
static int render_write(struct walk *w, const char *layout, const char *url, const char *path,
                        const char *title, struct err *e)
{
	struct buf html = BUF_INIT;
	int r = -1;

	if (page_render(w->sd, layout, url, title, w->extra, &html, e) == 0)
		r = write_page(path, &html, e);
	buf_free(&html);
	return r;
}

/* `title`, and for a page after the first " (strona K z N)". */
static void page_title(const struct sitedata *sd, const char *title, long long k, long long n,
                       struct buf *out)
{
	buf_puts(out, title);
	if (k > 1)
		buf_printf(out, " (%s %lld %s %lld)",
		           val_get_str(sd->theme->strings, "forum_page_word", "strona"), k,
		           val_get_str(sd->theme->strings, "forum_page_of", "z"), n);
}

/* Sets tab[key] = {url} of page k of thread (0: the index). */
static int set_link(struct val *tab, const char *key, const char *slug, long long thread,
                    long long k)
{
	struct val *v = val_new(VAL_TABLE);
	char url[FORUM_URL_MAX];
	int r = forum_page_url(slug, thread, k, url, sizeof url);

	r |= val_set_str(v, "url", url);
	r |= val_set(tab, key, v);
	return r;
}

/* The pager of page `page` of `npages` of thread (0: the index): {label, pages:
 * [{number, url, current}], prev: {url}, next: {url}} (prev and next only
 * where there is one); null for a single page. NULL on allocation
 * failure. */
static struct val *pager_frame(const struct sitedata *sd, const char *slug, long long thread,
                               long long page, long long npages)
{
	struct val *p, *arr;
	char url[FORUM_URL_MAX];
	long long k;
	int r = 0;

	if (npages <= 1)
		return val_new(VAL_NULL);
	p = val_new(VAL_TABLE);
	arr = val_new(VAL_ARRAY);
	r |= val_set_str(p, "label",
	                 thread
	                     ? val_get_str(sd->theme->strings, "forum_pager_label", "Strony wątku")
	                     : val_get_str(sd->theme->strings, "forum_index_pager_label",
	                                   "Strony listy wątków"));
	r |= val_set(p, "pages", arr);
	for (k = 1; r == 0 && k <= npages; k++) {
		struct val *v = val_new(VAL_TABLE);

		r |= forum_page_url(slug, thread, k, url, sizeof url);
		r |= val_set_int(v, "number", k);
		r |= val_set_str(v, "url", url);
		r |= val_set_bool(v, "current", k == page);
		r |= val_push(arr, v);
	}
	if (page > 1)
		r |= set_link(p, "prev", slug, thread, page - 1);
	if (page < npages)
		r |= set_link(p, "next", slug, thread, page + 1);
	if (r < 0 || !p) {
		val_free(p);
		return NULL;
	}
	return p;
}

/* The thread frame of page k of npages of a thread: {id, url, title,
 * removed, page, pages, last, last_url, pager, posts: [{id, anchor,
 * author, first, posted, body_html}]} with posts [from, to). NULL on
 * allocation failure. */
static struct val *thread_frame(const struct walk *w, size_t from, size_t to, long long k,
                                long long npages)
{
	struct val *t = val_new(VAL_TABLE), *posts = val_new(VAL_ARRAY);
	struct buf b = BUF_INIT;
	char url[FORUM_URL_MAX];
	size_t i;
	int r = 0;

	r |= forum_page_url(w->c->slug, w->cur, 1, url, sizeof url);
	r |= val_set_int(t, "id", w->cur);
	r |= val_set_str(t, "url", url);
	r |= val_set_str(t, "title", w->removed ? "" : w->title);
	r |= val_set_bool(t, "removed", w->removed);
	r |= val_set_int(t, "page", k);
	r |= val_set_int(t, "pages", npages);
	r |= val_set_bool(t, "last", k == npages);
	r |= forum_page_url(w->c->slug, w->cur, npages, url, sizeof url);
	r |= val_set_str(t, "last_url", url);
	r |= val_set(t, "pager", pager_frame(w->sd, w->c->slug, w->cur, k, npages));
	r |= val_set(t, "posts", posts);
	for (i = from; r == 0 && i < to; i++) {
		const struct fpost *p = &w->posts[i];
		struct val *v = val_new(VAL_TABLE);

		buf_reset(&b);
		buf_printf(&b, "wpis-%lld", p->id);
		r |= val_set_int(v, "id", p->id);
		r |= buf_failed(&b) ? -1 : val_set_str(v, "anchor", b.ptr);
		r |= val_set_str(v, "author", p->author);
		r |= val_set_bool(v, "first", i == 0);
		r |= set_time(v, "posted", p->posted);
		buf_reset(&b);
		forum_body_html(&b, p->body, strlen(p->body));
		r |= buf_failed(&b) ? -1 : val_set_str(v, "body_html", b.ptr);
		r |= val_push(posts, v);
	}
	buf_free(&b);
	if (r < 0 || !t) {
		val_free(t);
		return NULL;
	}
	return t;
}

/* Writes page k of npages of the thread gathered (unless unchanged);
 * *rendered = 1 when it was rendered. 0 or -1 with w->e. */
static int write_thread_page(struct walk *w, const char *title, long long k, long long npages,
                             int *rendered)
{
	size_t from = (size_t)(k - 1) * FORUM_PAGE_POSTS, to = from + FORUM_PAGE_POSTS, i;
	char url[FORUM_URL_MAX];
	struct buf path = BUF_INIT, t = BUF_INIT;
	uint64_t h = MIX_INIT;
	struct val *frame;
	int r = -1, same;

	if (to > w->n)
		to = w->n;
	if (from > to)
		from = to;
	h = mix_str(h, title);
	h = mix_ll(mix_ll(mix_ll(h, w->removed), k), npages);
	for (i = from; i < to; i++) {
		h = mix_ll(mix_ll(h, w->posts[i].id), w->posts[i].posted);
		h = mix_str(mix_str(h, w->posts[i].author), w->posts[i].body);
	}
	if (page_where(w, w->cur, k, url, sizeof url, &path) < 0)
		goto out;
	same = unchanged(w, w->cur, k, h, path.ptr);
	if (same) {
		r = same < 0 ? err_oom(w->e) : 0;
		goto out;
	}
	*rendered = 1;
	frame = thread_frame(w, from, to, k, npages);
	page_title(w->sd, title, k, npages, &t);
	if (!frame || val_set(w->extra, "thread", frame) < 0 || buf_failed(&t)) {
		err_oom(w->e);
		goto out;
	}
	r = render_write(w, "forum-thread", url, path.ptr, t.ptr, w->e);
out:
	buf_free(&path);
	buf_free(&t);
	return r;
}

/* Writes the pages of the thread gathered so far and adds it to the index
 * (unless removed); forgets its posts. 0 or -1 with w->e. */
static int flush_thread(struct walk *w)
{
	const char *title = w->title;
	long long npages, k;
	int r = 0, rendered = 0;

	if (!w->cur)
		return 0;
	if (w->removed)
		title = val_get_str(w->sd->theme->strings, "forum_removed_title", "Wątek usunięty");
	npages = w->removed || w->n == 0
	             ? 1
	             : ((long long)w->n + FORUM_PAGE_POSTS - 1) / FORUM_PAGE_POSTS;
	for (k = 1; r == 0 && k <= npages; k++)
		r = write_thread_page(w, title, k, npages, &rendered);
	if (r == 0 && rendered)
		remove_pages_from(w, w->cur, npages + 1);
	if (r == 0 && !w->removed && w->n > 0) {
		struct fthread *ft;

		if (w->nt == w->capt) {
			size_t cap = w->capt ? w->capt * 2 : 16;
			struct fthread *p = realloc(w->threads, cap * sizeof *p);

			if (!p) {
				free_posts(w);
				return err_oom(w->e);
			}
			w->threads = p;
			w->capt = cap;
		}
		ft = &w->threads[w->nt];
		memset(ft, 0, sizeof *ft);
		ft->id = w->cur;
		ft->title = strdup(w->title);
		ft->author = strdup(w->posts[0].author);
		ft->posted = w->posts[0].posted;
		ft->replies = (long long)w->n - 1;
		ft->last_id = w->posts[w->n - 1].id;
		ft->last_posted = w->posts[w->n - 1].posted;
		w->nt++;
		if (!ft->title || !ft->author)
			r = err_oom(w->e);
	}
	free_posts(w);
	return r;
}

/* Copies the visible post p into w->posts. 0 or -1 (allocation). */
static int keep_post(struct walk *w, const struct post *p)
{
	struct fpost *fp;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct fpost *np = realloc(w->posts, cap * sizeof *np);

		if (!np)
			return -1;
		w->posts = np;
		w->cap = cap;
	}
	fp = &w->posts[w->n];
	fp->id = p->id;
	fp->posted = p->posted;
	fp->author = strdup(p->author);
	fp->body = strdup(p->body ? p->body : "");
	w->n++;
	return fp->author && fp->body ? 0 : -1;
}

/* store_posts' callback: posts come thread by thread, each thread's first
 * post first. 0 to go on; 1 (with w->failed and w->e) to stop. */
static int on_post(void *ctx, const struct post *p)
{
	struct walk *w = ctx;

	if (p->thread_id != w->cur) {
		if (flush_thread(w) < 0)
			goto fail;
		w->cur = p->thread_id;
		w->removed = p->id != p->thread_id || p->hidden;
		free(w->title);
		w->title = strdup(p->title);
		if (!w->title) {
			err_oom(w->e);
			goto fail;
		}
	}
	if (w->removed || p->hidden)
		return 0;
	if (keep_post(w, p) < 0) {
		err_oom(w->e);
		goto fail;
	}
	return 0;
fail:
	w->failed = 1;
	return 1;
}

/* The index's order: the most recently active thread first (post ids grow
 * with time and, unlike seconds, never tie). */
static int by_activity(const void *a, const void *b)
{
	const struct fthread *x = a, *y = b;

	return x->last_id < y->last_id ? 1 : x->last_id > y->last_id ? -1 : 0;
}

/* Sets forum.{threads, has_threads, page, pages, first, pager} in
 * w->extra for page k of npages of the index: threads [from, to) of the
 * sorted w->threads. 0 or -1 (allocation). */
static int set_threads(struct walk *w, size_t from, size_t to, long long k, long long npages)
{
	struct val *forum = val_get_mut(w->extra, "forum"), *arr = val_new(VAL_ARRAY);
	char url[FORUM_URL_MAX];
	size_t i;
	int r = 0;

	r |= val_set_bool(forum, "has_threads", w->nt > 0);
	r |= val_set_int(forum, "page", k);
	r |= val_set_int(forum, "pages", npages);
	r |= val_set_bool(forum, "first", k == 1);
	r |= val_set(forum, "pager", pager_frame(w->sd, w->c->slug, 0, k, npages));
	r |= val_set(forum, "threads", arr);
	for (i = from; r == 0 && i < to; i++) {
		const struct fthread *t = &w->threads[i];
		struct val *v = val_new(VAL_TABLE);

		r |= forum_page_url(w->c->slug, t->id, 1, url, sizeof url);
		r |= val_set_int(v, "id", t->id);
		r |= val_set_str(v, "title", t->title);
		r |= val_set_str(v, "url", url);
		r |= val_set_str(v, "author", t->author);
		r |= set_time(v, "posted", t->posted);
		r |= val_set_int(v, "replies", t->replies);
		r |= val_set_bool(v, "replies_one", t->replies == 1);
		r |= val_set_bool(v, "has_replies", t->replies > 0);
		r |= set_time(v, "last", t->last_posted);
		r |= val_push(arr, v);
	}
	return r < 0 ? -1 : 0;
}

/* Writes the pages of the index from w->threads (sorted here). 0 or -1
 * with e. */
static int write_index(struct walk *w, const char *title, struct err *e)
{
	long long npages =
	    w->nt ? ((long long)w->nt + FORUM_PAGE_THREADS - 1) / FORUM_PAGE_THREADS : 1;
	long long k;
	int r = 0, rendered = 0;

	if (w->nt > 1)
		qsort(w->threads, w->nt, sizeof *w->threads, by_activity);
	for (k = 1; r == 0 && k <= npages; k++) {
		size_t from = (size_t)(k - 1) * FORUM_PAGE_THREADS, to = from + FORUM_PAGE_THREADS,
		       i;
		char url[FORUM_URL_MAX];
		struct buf path = BUF_INIT, t = BUF_INIT;
		uint64_t h = MIX_INIT;
		int same;

		if (to > w->nt)
			to = w->nt;
		if (from > to)
			from = to;
		h = mix_ll(mix_ll(mix_str(h, title), k), npages);
		for (i = from; i < to; i++) {
			const struct fthread *ft = &w->threads[i];

			h = mix_ll(mix_str(mix_str(mix_ll(h, ft->id), ft->title), ft->author),
			           ft->posted);
			h = mix_ll(mix_ll(h, ft->replies), ft->last_posted);
		}
		r = page_where(w, 0, k, url, sizeof url, &path);
		if (r == 0 && (same = unchanged(w, 0, k, h, path.ptr)) != 0) {
			r = same < 0 ? err_oom(e) : 0;
		} else if (r == 0) {
			rendered = 1;
			page_title(w->sd, title, k, npages, &t);
			if (set_threads(w, from, to, k, npages) < 0 || buf_failed(&t))
				r = err_oom(e);
			else
				r = render_write(w, "forum-index", url, path.ptr, t.ptr, e);
		}
		buf_free(&path);
		buf_free(&t);
	}
	if (r == 0 && rendered)
		remove_pages_from(w, 0, npages + 1);
	return r;
}

/* The frames every page of the course shares: forum {course {slug,
 * title, url}, url, breadcrumbs} and post_form {action, course,
 * title_max, body_max}. NULL on allocation failure. */
static struct val *base_extra(const struct sitedata *sd, const struct course *c)
{
	struct val *x = val_new(VAL_TABLE), *forum = val_new(VAL_TABLE);
	struct val *co = val_new(VAL_TABLE), *pf = val_new(VAL_TABLE), *bc = val_new(VAL_ARRAY);
	struct buf url = BUF_INIT;
	size_t i;
	int r = 0;

	buf_printf(&url, "/kursy/%s/forum/", c->slug);
	r |= val_set(x, "forum", forum);
	r |= val_set(forum, "course", co);
	r |= val_set_str(co, "slug", c->slug) | val_set_str(co, "title", c->title);
	r |= val_set_str(co, "url", c->url);
	r |= buf_failed(&url) ? -1 : val_set_str(forum, "url", url.ptr);
	r |= val_set(forum, "breadcrumbs", bc);
	for (i = 0; r == 0 && c->breadcrumbs && i < c->breadcrumbs->u.arr.n; i++) {
		const struct val *it = c->breadcrumbs->u.arr.items[i];
		struct val *v = val_new(VAL_TABLE);

		r |= val_set_str(v, "title", val_get_str(it, "title", ""));
		r |= val_set_str(v, "url", val_get_str(it, "url", "/"));
		r |= val_push(bc, v);
	}
	r |= val_set(x, "post_form", pf);
	r |=
	    val_set_str(pf, "action", sitedata_form(sd, "forum") ? sitedata_form(sd, "forum") : "");
	r |= val_set_str(pf, "course", c->slug);
	r |= val_set_int(pf, "title_max", FORUM_TITLE_MAX);
	r |= val_set_int(pf, "body_max", FORUM_BODY_MAX);
	buf_free(&url);
	if (r < 0 || !x) {
		val_free(x);
		return NULL;
	}
	return x;
}

/* Writes every page of course c: with `old`, the pages whose inputs hash
 * as there are not rendered; the hashes of this rebuild go to `fresh`
 * (both may be NULL). No two calls for one course at once. */
static int write_course(const struct sitedata *sd, struct store *st, const char *dir,
                        const struct course *c, const struct pcache *old, struct pcache *fresh,
                        struct err *e)
{
	struct walk w;
	struct buf title = BUF_INIT;
	size_t i;
	int r = -1;

	memset(&w, 0, sizeof w);
	w.sd = sd;
	w.dir = dir;
	w.c = c;
	w.old = old;
	w.fresh = fresh;
	w.e = e;
	if (!slug_ok(c->slug))
		return err_set(e, "course '%s': not a slug that can name a folder", c->slug);
	if (!sitedata_form(sd, "forum"))
		return err_set(e, "forms.json: no 'forum' path (site.toml [forms] forum)");
	w.extra = base_extra(sd, c);
	if (!w.extra)
		return err_oom(e);
	if (store_posts(st, c->slug, on_post, &w, e) < 0 || w.failed)
		goto out;
	if (flush_thread(&w) < 0)
		goto out;
	/* the index has no thread: a null hides the last thread page's frame */
	if (w.cur && val_set(w.extra, "thread", val_new(VAL_NULL)) < 0) {
		err_oom(e);
		goto out;
	}
	buf_printf(&title, "%s: %s",
	           val_get_str(sd->theme->strings, "forum_index_title", "Forum kursu"), c->title);
	if (buf_failed(&title)) {
		err_oom(e);
		goto out;
	}
	r = write_index(&w, title.ptr, e);
	if (r == 0 && fresh && fresh->n > 1)
		qsort(fresh->k, fresh->n, sizeof *fresh->k, by_key);
out:
	free_posts(&w);
	free(w.posts);
	for (i = 0; i < w.nt; i++) {
		free(w.threads[i].title);
		free(w.threads[i].author);
	}
	free(w.threads);
	free(w.title);
	val_free(w.extra);
	buf_free(&title);
	return r;
}

int forum_write(const struct sitedata *sd, struct store *st, const char *dir, const char *course,
                struct err *e)
{
	struct course c;

	if (!course || !find_course(sd, course, &c))
		return err_set(e, "course '%s': the site has no such course", course ? course : "");
	return write_course(sd, st, dir, &c, NULL, NULL, e);
}

int forum_write_all(const struct sitedata *sd, struct store *st, const char *dir, struct err *e)
{
	struct course c;
	struct err later = {0};
	size_t i;
	int r = 0;

	/* a course that fails does not keep the others' pages old: every
	 * course is written, the first failure reported */
	for (i = 0; sd->pages && sd->pages->type == VAL_TABLE && i < sd->pages->u.tab.n; i++) {
		if (!page_course(sd, i, &c))
			continue;
		if (write_course(sd, st, dir, &c, NULL, NULL, r == 0 ? e : &later) < 0)
			r = -1;
	}
	return r;
}

/* ---- the writer ---- */

/* A done to call after the next rebuild of its course. */
struct waiter {
	forum_done done;
	void *arg;
	struct waiter *next;
};

/* A course the writer has been asked to rebuild. Every field but `cache`
 * is guarded by the writer's lock; `cache` belongs to the thread running
 * the course's rebuild (one at a time). */
struct wcourse {
	char slug[STORE_SLUG];
	struct forum_site site;       /* the newest site given (one reference held) */
	int dirty;                    /* marked since its last rebuild started */
	struct waiter *marks, **tail; /* the dones of those marks, in order */
	int queued;                   /* in the ready queue */
	int running;                  /* a thread is rebuilding it */
	struct wcourse *next_ready;   /* the ready queue */
	struct wcourse *next;         /* every course */
	struct pcache cache;          /* the last rebuild's page hashes */
	const void *cache_ref;        /* the site those are from; NULL: none */
};

struct forum_writer {
	struct store *st;
	char *dir;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a course is ready, or the writer stops */
	pthread_t th[FORUM_WRITER_THREADS];
	int nth;  /* threads started */
	int stop; /* no more marks; the threads end once the queue is empty */
	struct wcourse *courses;
	struct wcourse *ready, **ready_tail;
	void (*hook)(void *arg, const char *course);
	void *hook_arg;
};

/* With the lock held: queues c unless it is queued or running (a running
 * course is queued again by its thread when it ends). */
static void make_ready(struct forum_writer *fw, struct wcourse *c)
{
	if (c->queued || c->running)
		return;
	c->queued = 1;
	c->next_ready = NULL;
	*fw->ready_tail = c;
	fw->ready_tail = &c->next_ready;
	pthread_cond_signal(&fw->work);
}

/* One rebuild of c, on a writer thread, without the lock: the marks it
 * answers were taken by the caller; `site` is a reference of its own. */
static int rebuild(struct forum_writer *fw, struct wcourse *c, const struct forum_site *site,
                   int use_cache, struct pcache *fresh, struct err *e)
{
	struct course co;

	if (fw->hook)
		fw->hook(fw->hook_arg, c->slug);
	if (!find_course(site->sd, c->slug, &co))
		return err_set(e, "course '%s': the site has no such course", c->slug);
	return write_course(site->sd, fw->st, fw->dir, &co, use_cache ? &c->cache : NULL, fresh, e);
}

static void *writer_main(void *arg)
{
	struct forum_writer *fw = arg;

	pthread_mutex_lock(&fw->lock);
	for (;;) {
		struct wcourse *c = fw->ready;
		struct waiter *batch, *next;
		struct forum_site site;
		struct pcache fresh = {0};
		struct err e = {0};
		int use_cache, rc;

		if (!c) {
			if (fw->stop)
				break;
			pthread_cond_wait(&fw->work, &fw->lock);
			continue;
		}
		fw->ready = c->next_ready;
		if (!fw->ready)
			fw->ready_tail = &fw->ready;
		c->queued = 0;
		c->running = 1;
		/* the marks this rebuild answers: those made before it starts */
		c->dirty = 0;
		batch = c->marks;
		c->marks = NULL;
		c->tail = &c->marks;
		site = c->site;
		site.retain(site.ref);
		use_cache = c->cache_ref == site.ref;
		pthread_mutex_unlock(&fw->lock);

		rc = rebuild(fw, c, &site, use_cache, &fresh, &e);
		for (; batch; batch = next) {
			next = batch->next;
			batch->done(batch->arg, rc, rc < 0 ? &e : NULL);
			free(batch);
		}
		site.release(site.ref);

		pthread_mutex_lock(&fw->lock);
		cache_clear(&c->cache);
		if (rc == 0 && c->site.ref == site.ref) {
			c->cache = fresh;
			c->cache_ref = site.ref;
		} else {
			cache_clear(&fresh);
			c->cache_ref = NULL;
		}
		c->running = 0;
		if (c->dirty)
			make_ready(fw, c);
	}
	pthread_mutex_unlock(&fw->lock);
	return NULL;
}

struct forum_writer *forum_writer_new(struct store *st, const char *dir, struct err *e)
{
	struct forum_writer *fw = calloc(1, sizeof *fw);
	int i;

	if (!fw || !(fw->dir = strdup(dir))) {
		free(fw);
		err_oom(e);
		return NULL;
	}
	fw->st = st;
	fw->ready_tail = &fw->ready;
	pthread_mutex_init(&fw->lock, NULL);
	pthread_cond_init(&fw->work, NULL);
	for (i = 0; i < FORUM_WRITER_THREADS; i++) {
		int rc = pthread_create(&fw->th[i], NULL, writer_main, fw);

		if (rc != 0) {
			err_kind_set(e, ERR_IO, "cannot start a forum writer thread: %s",
			             strerror(rc));
			forum_writer_free(fw);
			return NULL;
		}
		fw->nth++;
	}
	return fw;
}

void forum_writer_free(struct forum_writer *fw)
{
	struct wcourse *c, *next;
	int i;

	if (!fw)
		return;
	pthread_mutex_lock(&fw->lock);
	fw->stop = 1;
	pthread_cond_broadcast(&fw->work);
	pthread_mutex_unlock(&fw->lock);
	for (i = 0; i < fw->nth; i++)
		pthread_join(fw->th[i], NULL);
	/* the threads emptied the queue: no mark is left */
	for (c = fw->courses; c; c = next) {
		next = c->next;
		c->site.release(c->site.ref);
		cache_clear(&c->cache);
		free(c);
	}
	pthread_cond_destroy(&fw->work);
	pthread_mutex_destroy(&fw->lock);
	free(fw->dir);
	free(fw);
}

void forum_writer_hook(struct forum_writer *fw, void (*fn)(void *arg, const char *course),
                       void *arg)
{
	pthread_mutex_lock(&fw->lock);
	fw->hook = fn;
	fw->hook_arg = arg;
	pthread_mutex_unlock(&fw->lock);
}

int forum_writer_mark(struct forum_writer *fw, const struct forum_site *site, const char *course,
                      forum_done done, void *arg, struct err *e)
{
	struct forum_site old = {0};
	struct waiter *wt = NULL;
	struct wcourse *c;
	struct course co;

	if (!course || !find_course(site->sd, course, &co))
		return err_set(e, "course '%s': the site has no such course", course ? course : "");
	if (!slug_ok(course))
		return err_set(e, "course '%s': not a slug that can name a folder", course);
	if (done) {
		wt = calloc(1, sizeof *wt);
		if (!wt)
			return err_oom(e);
		wt->done = done;
		wt->arg = arg;
	}
	pthread_mutex_lock(&fw->lock);
	if (fw->stop) {
		pthread_mutex_unlock(&fw->lock);
		free(wt);
		return err_set(e, "course '%s': the forum writer is stopping", course);
	}
	for (c = fw->courses; c && strcmp(c->slug, course) != 0; c = c->next)
		;
	if (!c) {
		c = calloc(1, sizeof *c);
		if (!c) {
			pthread_mutex_unlock(&fw->lock);
			free(wt);
			return err_oom(e);
		}
		snprintf(c->slug, sizeof c->slug, "%s", course);
		c->tail = &c->marks;
		c->next = fw->courses;
		fw->courses = c;
	}
	/* a reference held keeps its site alive: the same pointer is the same
	 * site, whose page hashes still hold */
	if (c->site.ref != site->ref) {
		old = c->site;
		site->retain(site->ref);
		c->site = *site;
		c->cache_ref = NULL;
	}
	c->dirty = 1;
	if (wt) {
		*c->tail = wt;
		c->tail = &wt->next;
	}
	make_ready(fw, c);
	pthread_mutex_unlock(&fw->lock);
	if (old.release)
		old.release(old.ref);
	return 0;
}

/* forum_writer_write_all's count of the rebuilds it waits for. */
struct all_wait {
	pthread_mutex_t m;
	pthread_cond_t c;
	int left;
	int failed;
	struct err e; /* the first failure */
};

static void all_done(void *arg, int rc, const struct err *e)
{
	struct all_wait *a = arg;

	pthread_mutex_lock(&a->m);
	if (rc < 0 && !a->failed++ && e)
		a->e = *e;
	if (--a->left == 0)
		pthread_cond_signal(&a->c);
	pthread_mutex_unlock(&a->m);
}

int forum_writer_write(struct forum_writer *fw, const struct forum_site *site, const char *course,
                       struct err *e)
{
	struct all_wait a;
	int r;

	memset(&a, 0, sizeof a);
	pthread_mutex_init(&a.m, NULL);
	pthread_cond_init(&a.c, NULL);
	a.left = 1;
	r = forum_writer_mark(fw, site, course, all_done, &a, e);
	pthread_mutex_lock(&a.m);
	while (r == 0 && a.left > 0)
		pthread_cond_wait(&a.c, &a.m);
	pthread_mutex_unlock(&a.m);
	if (r == 0 && a.failed) {
		*e = a.e;
		r = -1;
	}
	pthread_cond_destroy(&a.c);
	pthread_mutex_destroy(&a.m);
	return r;
}

int forum_writer_write_all(struct forum_writer *fw, const struct forum_site *site, struct err *e)
{
	const struct sitedata *sd = site->sd;
	struct all_wait a;
	struct err later = {0};
	struct course c;
	size_t i;
	int r = 0;

	memset(&a, 0, sizeof a);
	pthread_mutex_init(&a.m, NULL);
	pthread_cond_init(&a.c, NULL);
	for (i = 0; sd->pages && sd->pages->type == VAL_TABLE && i < sd->pages->u.tab.n; i++) {
		if (!page_course(sd, i, &c))
			continue;
		pthread_mutex_lock(&a.m);
		a.left++;
		pthread_mutex_unlock(&a.m);
		if (forum_writer_mark(fw, site, c.slug, all_done, &a, r == 0 ? e : &later) < 0) {
			r = -1;
			pthread_mutex_lock(&a.m);
			a.left--;
			pthread_mutex_unlock(&a.m);
		}
	}
	pthread_mutex_lock(&a.m);
	while (a.left > 0)
		pthread_cond_wait(&a.c, &a.m);
	pthread_mutex_unlock(&a.m);
	if (a.failed && r == 0) {
		*e = a.e;
		r = -1;
	}
	pthread_cond_destroy(&a.c);
	pthread_mutex_destroy(&a.m);
	return r;
}
