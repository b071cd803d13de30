#include "forum.h"

#include "clock.h"
#include "escape.h"
#include "fsutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One lock for every write of forum pages: a write reads the posts and
 * renames its files while holding it, so two writes never interleave and
 * the last one shows every post stored before it started. */
static pthread_mutex_t forum_lock = PTHREAD_MUTEX_INITIALIZER;

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
 * thread; each thread's page is written when the next thread starts (and
 * after the last), so only one thread's posts are in memory at a time. */
struct walk {
	const struct sitedata *sd;
	const char *dir;
	const struct course *c;
	struct val *extra; /* {forum, post_form}: every page's; `thread` set per page */
	long long cur;     /* the thread being gathered, 0 before the first */
	int removed;       /* its first post is hidden (or missing) */
	char *title;       /* its title */
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

/* Renders `layout` at `url` with w->extra and writes it to
 * DIR/kursy/COURSE/forum/[ID/]index.html (id 0: the index). */
static int render_write(struct walk *w, const char *layout, long long id, const char *title,
                        struct err *e)
{
	struct buf url = BUF_INIT, path = BUF_INIT, html = BUF_INIT;
	int r = -1;

	buf_printf(&url, "/kursy/%s/forum/", w->c->slug);
	if (id)
		buf_printf(&url, "%lld/", id);
	buf_printf(&path, "%s%s%s", w->dir, url.ptr, "index.html");
	if (buf_failed(&url) || buf_failed(&path)) {
		err_oom(e);
		goto out;
	}
	if (page_render(w->sd, layout, url.ptr, title, w->extra, &html, e) < 0)
		goto out;
	r = write_page(path.ptr, &html, e);
out:
	buf_free(&url);
	buf_free(&path);
	buf_free(&html);
	return r;
}

/* The thread frame of a thread page: {id, url, title, removed, posts:
 * [{id, anchor, author, posted, body_html}]}. NULL on allocation failure. */
static struct val *thread_frame(const struct walk *w)
{
	struct val *t = val_new(VAL_TABLE), *posts = val_new(VAL_ARRAY);
	struct buf b = BUF_INIT;
	size_t i;
	int r = 0;

	buf_printf(&b, "/kursy/%s/forum/%lld/", w->c->slug, w->cur);
	r |= val_set_int(t, "id", w->cur);
	r |= buf_failed(&b) ? -1 : val_set_str(t, "url", b.ptr);
	r |= val_set_str(t, "title", w->removed ? "" : w->title);
	r |= val_set_bool(t, "removed", w->removed);
	r |= val_set(t, "posts", posts);
	for (i = 0; r == 0 && i < w->n; i++) {
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

/* Writes the page of the thread gathered so far and adds it to the index
 * (unless removed); forgets its posts. 0 or -1 with w->e. */
static int flush_thread(struct walk *w)
{
	struct val *t;
	const char *title = w->title;
	int r;

	if (!w->cur)
		return 0;
	if (w->removed)
		title = val_get_str(w->sd->theme->strings, "forum_removed_title", "Wątek usunięty");
	t = thread_frame(w);
	if (!t || val_set(w->extra, "thread", t) < 0) {
		free_posts(w);
		return err_oom(w->e);
	}
	r = render_write(w, "forum-thread", w->cur, title, w->e);
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

/* Adds forum.threads and forum.has_threads to w->extra from w->threads
 * (sorted here). 0 or -1 (allocation). */
static int set_threads(struct walk *w)
{
	struct val *forum = val_get_mut(w->extra, "forum"), *arr = val_new(VAL_ARRAY);
	struct buf b = BUF_INIT;
	size_t i;
	int r = 0;

	if (w->nt > 1)
		qsort(w->threads, w->nt, sizeof *w->threads, by_activity);
	r |= val_set_bool(forum, "has_threads", w->nt > 0);
	r |= val_set(forum, "threads", arr);
	for (i = 0; r == 0 && i < w->nt; i++) {
		const struct fthread *t = &w->threads[i];
		struct val *v = val_new(VAL_TABLE);

		buf_reset(&b);
		buf_printf(&b, "/kursy/%s/forum/%lld/", w->c->slug, t->id);
		r |= val_set_int(v, "id", t->id);
		r |= val_set_str(v, "title", t->title);
		r |= buf_failed(&b) ? -1 : val_set_str(v, "url", b.ptr);
		r |= val_set_str(v, "author", t->author);
		r |= set_time(v, "posted", t->posted);
		r |= val_set_int(v, "replies", t->replies);
		r |= val_set_bool(v, "replies_one", t->replies == 1);
		r |= val_set_bool(v, "has_replies", t->replies > 0);
		r |= set_time(v, "last", t->last_posted);
		r |= val_push(arr, v);
	}
	buf_free(&b);
	return r < 0 ? -1 : 0;
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

/* Writes every page of course c; the caller holds forum_lock. */
static int write_course(const struct sitedata *sd, struct store *st, const char *dir,
                        const struct course *c, struct err *e)
{
	struct walk w;
	struct buf title = BUF_INIT;
	size_t i;
	int r = -1;

	memset(&w, 0, sizeof w);
	w.sd = sd;
	w.dir = dir;
	w.c = c;
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
	if (set_threads(&w) < 0) {
		err_oom(e);
		goto out;
	}
	buf_printf(&title, "%s: %s",
	           val_get_str(sd->theme->strings, "forum_index_title", "Forum kursu"), c->title);
	if (buf_failed(&title)) {
		err_oom(e);
		goto out;
	}
	r = render_write(&w, "forum-index", 0, title.ptr, e);
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
	int r;

	if (!course || !find_course(sd, course, &c))
		return err_set(e, "course '%s': the site has no such course", course ? course : "");
	pthread_mutex_lock(&forum_lock);
	r = write_course(sd, st, dir, &c, e);
	pthread_mutex_unlock(&forum_lock);
	return r;
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
		pthread_mutex_lock(&forum_lock);
		if (write_course(sd, st, dir, &c, r == 0 ? e : &later) < 0)
			r = -1;
		pthread_mutex_unlock(&forum_lock);
	}
	return r;
}
