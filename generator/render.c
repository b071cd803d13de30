#define _GNU_SOURCE
#include "render.h"

#include "context.h"
#include "escape.h"
#include "fsutil.h"
#include "gzip.h"
#include "json.h"
#include "links.h"
#include "parallel.h"
#include "versions.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct job {
	struct site *s;
	struct val *base; /* the site frame, owned */
	const char *out;  /* NULL: check only */
	int gzip;         /* write .gz copies */
	atomic_long written;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file a page's messages name: its source, or its document's. */
static const char *page_file(const struct page *p)
{
	return p->src ? p->src->path : p->of && p->of->src ? p->of->src->path : p->url;
}

/* Fails when an id appears twice in the page's HTML (content and theme
 * together): fragment links and labels would be ambiguous. Every id is
 * checked, however many; an allocation failure fails the page. */
static int check_ids(const struct page *p, const struct buf *html, struct err *e)
{
	char **ids = NULL;
	const char *q = html->ptr, *end = html->ptr + html->len;
	size_t n = 0, cap = 0, i;
	int ret = 0;

	while ((q = memmem(q, (size_t)(end - q), " id=\"", 5)) != NULL) {
		const char *v = q + 5, *close = memchr(v, '"', (size_t)(end - v));

		if (!close)
			break;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **g = realloc(ids, nc * sizeof *g);

			if (!g) {
				ret = err_oom(e);
				goto out;
			}
			ids = g;
			cap = nc;
		}
		ids[n] = strndup(v, (size_t)(close - v));
		if (!ids[n]) {
			ret = err_oom(e);
			goto out;
		}
		n++;
		q = close;
	}
	if (n > 1)
		qsort(ids, n, sizeof *ids, cmp_str);
	for (i = 1; i < n && ret == 0; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0) {
			size_t k;
			int line = 0;

			for (k = 0; k < p->doc.nheadings; k++)
				if (strcmp(p->doc.headings[k].id, ids[i]) == 0)
					line = p->doc.headings[k].line;
			ret =
			    err_at(e, page_file(p), line, 0,
			           "duplicate id '%s' in the page (a heading and the theme, or two "
			           "elements, use it)",
			           ids[i]);
		}
out:
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return ret;
}

/* Writes public/ or private/ file `rel`; an HTML or CSS file in public/
 * gets its gzip copy beside it (rel + ".gz"). */
static int write_out(struct job *j, const char *rel, const char *data, size_t len, struct err *e)
{
	struct buf path = BUF_INIT, gz = BUF_INIT;
	int r;

	if (!j->out)
		return 0;
	buf_printf(&path, "%s/%s", j->out, rel);
	if (buf_failed(&path))
		return err_oom(e);
	r = fs_write(path.ptr, data, len, 0, e);
	if (r == 0)
		atomic_fetch_add(&j->written, 1);
	if (r == 0 && j->gzip && strncmp(rel, "public/", 7) == 0 && gzip_wanted(rel)) {
		buf_puts(&path, ".gz");
		r = buf_failed(&path) ? err_oom(e) : gzip_file(&gz, data, len, e);
		if (r == 0)
			r = fs_write(path.ptr, gz.ptr, gz.len, 0, e);
		if (r == 0)
			atomic_fetch_add(&j->written, 1);
	}
	buf_free(&path);
	buf_free(&gz);
	return r;
}

/* Fails when the page's HTML (the theme's part too: content links were
 * checked already) links or loads a local URL that the build does not
 * produce. */
static int check_local_links(const struct job *j, const struct page *p, const struct buf *html,
                             struct err *e)
{
	static const char *const attrs[] = {" href=\"/", " src=\""};
	const char *end = html->ptr + html->len;
	size_t k;

	for (k = 0; k < 2; k++) {
		const char *q = html->ptr;
		size_t al = strlen(attrs[k]);

		while ((q = memmem(q, (size_t)(end - q), attrs[k], al)) != NULL) {
			const char *u = q + al - (k == 0 ? 1 : 0), *v = u;

			while (v < end && *v != '"' && *v != '#' && *v != '?')
				v++;
			q = v;
			if (v == u || *u != '/' || (v - u >= 2 && u[1] == '/'))
				continue; /* not a local path (or a relative one) */
			if (site_find_url(j->s, u, (size_t)(v - u)))
				continue;
			return err_at(
			    e, page_file(p), 0, 0,
			    "the page (its layout '%s') links to %.*s, which the site does not "
			    "have",
			    ctx_layout(p), (int)(v - u), u);
		}
	}
	return 0;
}

/* Renders `p` with layout `t` and `extra` keys on its frame into html. */
static int render_frame(struct job *j, const struct mst *t, const struct page *p,
                        const char *redirect, struct buf *html, struct err *e)
{
	struct val *frame = ctx_page(j->s, j->base, p);
	int r;

	if (!frame || (redirect && val_set_str(frame, "redirect_url", redirect) < 0)) {
		val_free(frame);
		return err_oom(e);
	}
	{
		const struct val *stack[2] = {j->base, frame};

		r = mst_render(t, stack, 2, &j->s->theme->env, html, e);
	}
	val_free(frame);
	if (r == 0 && buf_failed(html))
		r = err_oom(e);
	return r;
}

/* One page from Markdown to file, so that only the pages in flight hold
 * their HTML and source in memory. */
static int render_page(size_t i, int worker, void *arg, struct err *e)
{
	struct job *j = arg;
	struct site *s = j->s;
	struct page *p = s->pages[i];
	const char *ln = ctx_layout(p);
	const struct mst *t = theme_layout(s->theme, ln);
	struct buf html = BUF_INIT, rel = BUF_INIT;
	int ret = -1;

	(void)worker;
	if (p->kind == PK_VERSION || p->kind == PK_COMPARE) {
		if (versions_render(s, j->base, p, e) < 0)
			return -1;
	} else if (links_markdown(s, j->base, p, e) < 0) {
		return -1;
	}
	if (p->src && p->kind != PK_TEST)
		repo_drop_data(s->repo, p->src);
	if (!t)
		return err_at(e, page_file(p), 0, 0,
		              "layout '%s' not found (%slayouts/%s.mustache)", ln, s->theme->dir,
		              ln);
	if (render_frame(j, t, p, NULL, &html, e) < 0)
		goto out;
	if (check_ids(p, &html, e) < 0 || check_local_links(j, p, &html, e) < 0)
		goto out;
	buf_printf(&rel, "public%sindex.html", p->url);
	ret = buf_failed(&rel) ? err_oom(e) : write_out(j, rel.ptr, html.ptr, html.len, e);
	/* the body is in the page now: give its memory back */
	buf_free(&p->doc.html);
out:
	buf_free(&html);
	buf_free(&rel);
	return ret;
}

/* Redirect pages for old URLs, and the static files, as listed in the
 * model's outputs. */
static int write_listed(struct job *j, struct err *e)
{
	struct site *s = j->s;
	const struct mst *t = theme_layout(s->theme, "redirect");
	struct buf html = BUF_INIT, rel = BUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < s->noutputs && r == 0; i++) {
		const struct output *o = &s->outputs[i];

		buf_reset(&rel);
		buf_printf(&rel, "public%s", o->path);
		if (buf_failed(&rel))
			return err_oom(e);
		if (o->kind == OUT_ALIAS) {
			if (!t) {
				r = err_at(e, o->source, o->line, o->col,
				           "aliases need %slayouts/redirect.mustache",
				           s->theme->dir);
				break;
			}
			buf_reset(&html);
			r = render_frame(j, t, o->page, o->page->url, &html, e);
			if (r == 0)
				r = write_out(j, rel.ptr, html.ptr, html.len, e);
		} else if (o->kind == OUT_THEME_STATIC || o->kind == OUT_CONTENT_STATIC) {
			r = write_out(j, rel.ptr, o->file->data, o->file->len, e);
		}
	}
	buf_free(&html);
	buf_free(&rel);
	return r;
}

/* The 404 page: no content file stands for it. */
static int write_404(struct job *j, struct err *e)
{
	struct site *s = j->s;
	const struct mst *t = theme_layout(s->theme, "404");
	struct page fake;
	char url[] = "/404.html";
	struct buf html = BUF_INIT;
	int r;

	if (!t)
		return err_set(e, "%slayouts/404.mustache: missing (needed for public/404.html)",
		               s->theme->dir);
	memset(&fake, 0, sizeof fake);
	fake.kind = PK_PAGE;
	fake.title = val_get_str(s->theme->strings, "not_found_title", "404");
	fake.url = url;
	fake.created = fake.lastmod = s->repo->head.time;
	fake.created_off = fake.lastmod_off = s->repo->head.offset;
	r = render_frame(j, t, &fake, NULL, &html, e);
	if (r == 0)
		r = write_out(j, "public/404.html", html.ptr, html.len, e);
	buf_free(&html);
	return r;
}

/* Archived versions and their comparisons are not the site's pages: they
 * stay out of the sitemap (their pages say noindex). */
static int in_sitemap(const struct page *p)
{
	return p->kind != PK_VERSION && p->kind != PK_COMPARE;
}

static int write_sitemap(struct job *j, struct err *e)
{
	struct site *s = j->s;
	struct buf b = BUF_INIT;
	size_t i;
	int r;

	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	             "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
	for (i = 0; i < s->npages; i++) {
		const struct page *p = s->pages[i];

		if (!in_sitemap(p))
			continue;
		buf_puts(&b, "<url><loc>");
		esc_xml(&b, s->base_url, strlen(s->base_url));
		esc_xml(&b, p->url, strlen(p->url));
		buf_puts(&b, "</loc><lastmod>");
		fmt_date(&b, p->lastmod, p->lastmod_off);
		buf_puts(&b, "</lastmod></url>\n");
	}
	buf_puts(&b, "</urlset>\n");
	r = buf_failed(&b) ? err_oom(e) : write_out(j, "public/sitemap.xml", b.ptr, b.len, e);
	buf_reset(&b);
	buf_puts(&b, "User-agent: *\n");
	{
		const struct val *forms = val_get(s->config, "forms");

		for (i = 0; forms && forms->type == VAL_TABLE && i < forms->u.tab.n; i++)
			if (forms->u.tab.kv[i].v->type == VAL_STRING)
				buf_printf(&b, "Disallow: %s\n", forms->u.tab.kv[i].v->u.str.s);
	}
	buf_printf(&b, "Allow: /\n\nSitemap: %s/sitemap.xml\n", s->base_url);
	if (r == 0)
		r = buf_failed(&b) ? err_oom(e)
		                   : write_out(j, "public/robots.txt", b.ptr, b.len, e);
	buf_free(&b);
	return r;
}

static int cmp_lastmod(const void *a_, const void *b_)
{
	const struct page *a = *(struct page *const *)a_, *b = *(struct page *const *)b_;

	if (a->lastmod != b->lastmod)
		return a->lastmod > b->lastmod ? -1 : 1;
	return strcmp(a->url, b->url);
}

/* An Atom feed of the documents that keep a change history. */
static int write_feed(struct job *j, struct err *e)
{
	struct site *s = j->s;
	struct page **docs = NULL;
	struct buf b = BUF_INIT;
	const char *title = val_get_str(s->config, "title", "");
	size_t i, n = 0;
	int r;

	for (i = 0; i < s->npages; i++)
		if (s->pages[i]->history_page) {
			struct page **d = realloc(docs, (n + 1) * sizeof *d);

			if (!d) {
				free(docs);
				return err_oom(e);
			}
			docs = d;
			docs[n++] = s->pages[i];
		}
	if (n)
		qsort(docs, n, sizeof *docs, cmp_lastmod);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	             "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"pl\">\n<title>");
	esc_xml(&b, title, strlen(title));
	buf_puts(&b, " – zmiany w dokumentach</title>\n<id>");
	esc_xml(&b, s->base_url, strlen(s->base_url));
	buf_puts(&b, "/zmiany.xml</id>\n<link rel=\"self\" href=\"");
	esc_xml(&b, s->base_url, strlen(s->base_url));
	buf_puts(&b, "/zmiany.xml\"/>\n<updated>");
	fmt_datetime(&b, n ? docs[0]->lastmod : s->repo->head.time,
	             n ? docs[0]->lastmod_off : s->repo->head.offset);
	buf_puts(&b, "</updated>\n");
	for (i = 0; i < n; i++) {
		const struct page *p = docs[i];
		const struct rfile *f = p->src;
		const struct rcommit *last = f->nhist ? &s->repo->commits[f->hist[0].commit] : NULL;
		const char *summary = last && last->note
		                          ? last->note
		                          : val_get_str(s->theme->strings, "history_no_note",
		                                        "Zmiana treści dokumentu.");

		buf_puts(&b, "<entry><title>");
		esc_xml(&b, p->title, strlen(p->title));
		buf_puts(&b, "</title><id>");
		esc_xml(&b, s->base_url, strlen(s->base_url));
		esc_xml(&b, p->history_page->url, strlen(p->history_page->url));
		buf_putc(&b, '#');
		if (f->nhist)
			buf_puts(&b, s->repo->commits[f->hist[0].commit].id);
		buf_puts(&b, "</id><link href=\"");
		esc_xml(&b, s->base_url, strlen(s->base_url));
		esc_xml(&b, p->url, strlen(p->url));
		buf_puts(&b, "\"/><updated>");
		fmt_datetime(&b, p->lastmod, p->lastmod_off);
		buf_puts(&b, "</updated><author><name>");
		esc_xml(&b, title, strlen(title));
		buf_puts(&b, "</name></author><summary>");
		esc_xml(&b, summary, strlen(summary));
		buf_puts(&b, "</summary></entry>\n");
	}
	buf_puts(&b, "</feed>\n");
	free(docs);
	r = buf_failed(&b) ? err_oom(e) : write_out(j, "public/zmiany.xml", b.ptr, b.len, e);
	buf_free(&b);
	return r;
}

/* Writes `v` as pretty JSON to private/`name`; takes ownership of v
 * (NULL v: an allocation failed). */
static int write_json(struct job *j, const char *rel, struct val *v, struct err *e)
{
	char *text;
	size_t len;
	int r;

	if (!v)
		return err_oom(e);
	text = json_dump(v, JSON_OUT_PRETTY, &len, e);
	val_free(v);
	if (!text)
		return -1;
	r = write_out(j, rel, text, len, e);
	free(text);
	return r;
}

/* A test's answer key: which answers are right, for formd to grade. */
static struct val *answer_key(const struct page *p)
{
	const struct val *qs = val_get(p->fm, "questions");
	struct val *k = val_new(VAL_TABLE), *list = val_new(VAL_ARRAY);
	struct buf slug = BUF_INIT;
	size_t q, a;
	int r = 0;

	ctx_course_slug(&slug, p->course);
	r |= buf_failed(&slug) ? -1 : val_set_str(k, "course", slug.ptr);
	r |= val_set_str(k, "title", p->course->title);
	r |= val_set_str(k, "test_url", p->url);
	r |= val_set_int(k, "pass_mark", val_get_int(p->fm, "pass_mark", 0));
	r |= val_set_int(k, "attempts", val_get_int(p->fm, "attempts", 0));
	r |= val_set(k, "questions", list);
	for (q = 0; list && q < qs->u.arr.n; q++) {
		const struct val *qq = qs->u.arr.items[q], *as = val_get(qq, "answers");
		struct val *qv = val_new(VAL_TABLE), *correct = val_new(VAL_ARRAY);
		char name[32];

		r |= val_push(list, qv);
		snprintf(name, sizeof name, "q%zu", q + 1);
		r |= val_set_str(qv, "name", name);
		r |= val_set_str(qv, "type", val_get_str(qq, "type", ""));
		r |= val_set_int(qv, "answers", (long long)as->u.arr.n);
		r |= val_set(qv, "correct", correct);
		for (a = 0; correct && a < as->u.arr.n; a++)
			if (val_get_bool(as->u.arr.items[a], "correct", 0)) {
				snprintf(name, sizeof name, "a%zu", a + 1);
				r |= val_push(correct, val_str(name));
			}
	}
	buf_free(&slug);
	if (r < 0 || !list) {
		val_free(k);
		return NULL;
	}
	return k;
}

/* The offices, for the registration form's branch choice. */
static struct val *offices_json(const struct site *s)
{
	static const char *const keys[] = {"kind", "name",  "street", "postal_code",
	                                   "city", "email", "phone"};
	struct val *list = val_new(VAL_ARRAY);
	size_t i, k;
	int r = 0;

	for (i = 0; list && i < s->noffices; i++) {
		const struct page *p = s->offices[i];
		const struct val *o = val_get(p->fm, "office");
		struct val *ov = val_new(VAL_TABLE);
		struct buf slug = BUF_INIT;

		r |= val_push(list, ov);
		ctx_office_slug(&slug, p);
		r |= buf_failed(&slug) ? -1 : val_set_str(ov, "slug", slug.ptr);
		buf_free(&slug);
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (val_get_str(o, keys[k], NULL))
				r |= val_set_str(ov, keys[k], val_get_str(o, keys[k], ""));
	}
	if (r < 0) {
		val_free(list);
		return NULL;
	}
	return list;
}

/* The form paths of site.toml [forms]. */
static struct val *forms_json(const struct site *s)
{
	const struct val *forms = val_get(s->config, "forms");
	struct val *v = val_new(VAL_TABLE);
	size_t i;
	int r = 0;

	for (i = 0; v && forms && forms->type == VAL_TABLE && i < forms->u.tab.n; i++)
		if (forms->u.tab.kv[i].v->type == VAL_STRING)
			r |= val_set_str(v, forms->u.tab.kv[i].key, forms->u.tab.kv[i].v->u.str.s);
	if (r < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

/* build.json: the commit, and each page's inputs for an incremental build
 * to compare (source blob ids; the theme's blob ids). */
static struct val *build_json(const struct site *s)
{
	struct val *v = val_new(VAL_TABLE), *theme = val_new(VAL_ARRAY),
	           *pages = val_new(VAL_ARRAY);
	struct buf t = BUF_INIT;
	size_t i, dl = strlen(s->theme->dir);
	int r = 0;

	r |= val_set_str(v, "commit", s->repo->head.id);
	fmt_datetime(&t, s->repo->head.time, s->repo->head.offset);
	r |= buf_failed(&t) ? -1 : val_set_str(v, "time", t.ptr);
	buf_free(&t);
	r |= val_set_bool(v, "worktree", s->repo->worktree);
	r |= val_set(v, "theme", theme);
	for (i = 0; theme && i < s->repo->nfiles; i++) {
		const struct rfile *f = &s->repo->files[i];
		struct val *fv;

		if (strncmp(f->path, s->theme->dir, dl) != 0 && strcmp(f->path, "site.toml") != 0)
			continue;
		fv = val_new(VAL_TABLE);
		r |= val_push(theme, fv);
		r |= val_set_str(fv, "path", f->path) | val_set_str(fv, "blob", f->oid);
	}
	r |= val_set(v, "pages", pages);
	for (i = 0; pages && i < s->npages; i++) {
		const struct page *p = s->pages[i];
		struct val *pv = val_new(VAL_TABLE);

		r |= val_push(pages, pv);
		r |= val_set_str(pv, "url", p->url);
		if (p->src)
			r |= val_set_str(pv, "source", p->src->path) |
			     val_set_str(pv, "blob", p->src->oid);
		r |= val_set_str(pv, "layout", ctx_layout(p));
	}
	if (r < 0 || !theme || !pages) {
		val_free(v);
		return NULL;
	}
	return v;
}

/* The frames of the pages formd renders again (forms with errors, a
 * test with its result), keyed by URL, each with its layout. */
static struct val *frames_json(struct job *j)
{
	const struct site *s = j->s;
	struct val *v = val_new(VAL_TABLE);
	size_t i;
	int r = 0;

	for (i = 0; v && i < s->npages; i++) {
		const struct page *p = s->pages[i];
		const char *ln = ctx_layout(p);
		struct val *pv;

		if (p->kind != PK_TEST && strncmp(ln, "form-", 5) != 0)
			continue;
		pv = val_new(VAL_TABLE);
		r |= val_set(v, p->url, pv);
		r |= val_set_str(pv, "layout", ln);
		r |= val_set(pv, "frame", ctx_page(s, j->base, p));
		if (pv && !val_get(pv, "frame"))
			r = -1;
	}
	if (r < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

/* The documents with versions: each version's commit, date and URL,
 * newest first, so formd can record (and show) which version a person
 * accepted. */
static struct val *documents_json(const struct site *s)
{
	struct val *v = val_new(VAL_TABLE);
	size_t i, k;
	int r = 0;

	for (i = 0; v && i < s->npages; i++) {
		const struct page *p = s->pages[i];
		struct val *dv, *list;

		if (!p->versions)
			continue;
		dv = val_new(VAL_TABLE);
		list = val_new(VAL_ARRAY);
		r |= val_set(v, p->rel, dv);
		r |= val_set_str(dv, "title", p->title) | val_set_str(dv, "url", p->url);
		r |= val_set(dv, "versions", list);
		for (k = 0; list && k < p->nversions; k++) {
			const struct rcommit *c = &s->repo->commits[p->src->hist[k].commit];
			struct val *cv = val_new(VAL_TABLE);
			struct buf d = BUF_INIT;

			r |= val_push(list, cv);
			r |= val_set_str(cv, "commit", c->id) |
			     val_set_str(cv, "blob", p->src->hist[k].oid);
			fmt_datetime(&d, c->time, c->offset);
			r |= buf_failed(&d) ? -1 : val_set_str(cv, "time", d.ptr);
			buf_free(&d);
			r |= val_set_str(cv, "url", p->version_pages[k]->url);
		}
	}
	if (r < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

/* private/theme/: the theme's templates and strings, for formd. */
static int write_theme(struct job *j, struct err *e)
{
	const struct site *s = j->s;
	struct buf rel = BUF_INIT;
	size_t i, dl = strlen(s->theme->dir);
	int r = 0;

	for (i = 0; i < s->repo->nfiles && r == 0; i++) {
		const struct rfile *f = &s->repo->files[i];
		const char *rest = f->path + dl;

		if (strncmp(f->path, s->theme->dir, dl) != 0 ||
		    (strncmp(rest, "layouts/", 8) != 0 && strncmp(rest, "partials/", 9) != 0 &&
		     strcmp(rest, "strings.toml") != 0))
			continue;
		buf_reset(&rel);
		buf_printf(&rel, "private/theme/%s", rest);
		r = buf_failed(&rel) ? err_oom(e) : write_out(j, rel.ptr, f->data, f->len, e);
	}
	buf_free(&rel);
	return r;
}

/* private/: what only the daemon reads. */
static int write_private(struct job *j, struct err *e)
{
	struct site *s = j->s;
	struct buf rel = BUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < s->npages && r == 0; i++) {
		const struct page *p = s->pages[i];

		if (p->kind != PK_TEST)
			continue;
		buf_reset(&rel);
		buf_puts(&rel, "private/tests/");
		ctx_course_slug(&rel, p->course);
		buf_puts(&rel, ".json");
		r = buf_failed(&rel) ? err_oom(e) : write_json(j, rel.ptr, answer_key(p), e);
	}
	buf_free(&rel);
	if (r == 0)
		r = write_json(j, "private/offices.json", offices_json(s), e);
	if (r == 0)
		r = write_json(j, "private/forms.json", forms_json(s), e);
	/* site.json is the site frame (context.c, ctx_base): site, t, menu,
	 * footer, offices, notice, and `retention`, the periods site.toml
	 * [retention] sets, which formd's purge applies: by kind (a key of
	 * retention_kinds), { "text": "5 lat", "n": 5, "unit": "years" }, unit
	 * one of "days", "months", "years" (retention_unit_name); a kind
	 * without a period is absent and kept ({} when none is set) */
	if (r == 0)
		r = write_json(j, "private/site.json", val_dup(j->base), e);
	if (r == 0)
		r = write_json(j, "private/pages.json", frames_json(j), e);
	if (r == 0)
		r = write_json(j, "private/documents.json", documents_json(s), e);
	if (r == 0)
		r = write_theme(j, e);
	if (r == 0)
		r = write_json(j, "private/build.json", build_json(s), e);
	return r;
}

/* Creates every page's folder up front, parents first, so that the
 * threads writing pages never have to (creating files and folders is what
 * costs most on slow disks; failed opens and mkdir -p retries double it). */
static int make_dirs(struct site *s, const char *out, struct err *e)
{
	char **urls = malloc((s->npages + 1) * sizeof *urls);
	struct buf path = BUF_INIT;
	size_t i, n = 0;
	int r = 0;

	if (!urls)
		return err_oom(e);
	for (i = 0; i < s->npages; i++)
		urls[n++] = s->pages[i]->url;
	qsort(urls, n, sizeof *urls, cmp_str);
	buf_printf(&path, "%s/public", out);
	if (fs_mkdirs(path.ptr, e) < 0)
		r = -1;
	for (i = 0; i < n && r == 0; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/public%s", out, urls[i]);
		if (buf_failed(&path))
			r = err_oom(e);
		else if (mkdir(path.ptr, 0755) < 0 && errno != EEXIST)
			r = fs_mkdirs(path.ptr, e); /* a parent that is no page */
	}
	free(urls);
	buf_free(&path);
	return r;
}

long render_site(struct site *s, const char *out, int no_gzip, struct phases *ph, struct err *e)
{
	struct job j;
	long ret = -1;

	j.s = s;
	j.out = out;
	j.gzip = !no_gzip;
	atomic_init(&j.written, 0);
	j.base = ctx_base(s, e);
	if (!j.base)
		return -1;
	if (versions_read(s, e) < 0)
		goto out;
	if (out && make_dirs(s, out, e) < 0)
		goto out;
	if (par_run(s->npages, s->jobs, render_page, &j, e) < 0)
		goto out;
	if (links_check_anchors(s, e) < 0)
		goto out;
	phases_mark(ph, "pages");
	if (write_listed(&j, e) < 0 || write_404(&j, e) < 0 || write_sitemap(&j, e) < 0 ||
	    write_feed(&j, e) < 0 || write_private(&j, e) < 0)
		goto out;
	phases_mark(ph, "other files");
	ret = atomic_load(&j.written);
out:
	val_free(j.base);
	return ret;
}
