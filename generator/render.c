#define _GNU_SOURCE
#include "render.h"

#include "escape.h"
#include "fsutil.h"
#include "parallel.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_IDS 4096

/* ---- small builders ----------------------------------------------------- */

/* Each helper returns 0/-1; a chain of them ORed together reports any
 * allocation failure once. */
static int set_date(struct val *t, const char *key, long long time, int off)
{
	struct val *d = val_new(VAL_TABLE);
	struct buf b = BUF_INIT;
	int r;

	if (!d)
		return -1;
	site_date(&b, time, off);
	r = val_set_str(d, "date", b.ptr);
	buf_reset(&b);
	site_datetime(&b, time, off);
	r |= val_set_str(d, "iso", b.ptr);
	r |= buf_failed(&b) ? -1 : 0;
	buf_free(&b);
	return val_set(t, key, d) | r;
}

static struct val *link_val(const struct page *p)
{
	struct val *v = val_new(VAL_TABLE);

	if (v && (val_set_str(v, "title", p->title) | val_set_str(v, "url", p->url) |
	          (p->description ? val_set_str(v, "description", p->description) : 0)) < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

void render_tel(struct buf *b, const char *phone, size_t len)
{
	size_t i;

	buf_puts(b, "+48");
	for (i = 0; i < len; i++)
		if (phone[i] >= '0' && phone[i] <= '9')
			buf_putc(b, phone[i]);
}

struct val *office_val(const struct site *s, const struct page *p)
{
	const struct val *o = val_get(p->fm, "office");
	struct val *v = val_dup(o);
	struct buf b = BUF_INIT, j = BUF_INIT;
	const char *kind = val_get_str(o, "kind", ""), *phone = val_get_str(o, "phone", NULL);
	const char *email = val_get_str(o, "email", NULL);
	int r = 0;

	if (!v)
		return NULL;
	r |= val_set_str(v, "url", p->url);
	r |= val_set_str(v, "title", p->title);
	r |= val_set_str(v, "slug", p->rel + strlen("urzedy/"));
	{
		/* "urzedy/x.md" -> "x" */
		struct val *slug = val_get(v, "slug");

		if (slug && slug->u.str.len > 3)
			slug->u.str.s[slug->u.str.len -= 3] = '\0';
	}
	r |= val_set_bool(v, "is_siedziba", strcmp(kind, "siedziba") == 0);
	r |= val_set_bool(v, "is_filia", strcmp(kind, "filia") == 0);
	r |= val_set_bool(v, "is_administrator", strcmp(kind, "administrator") == 0);
	if (phone) {
		render_tel(&b, phone, strlen(phone));
		r |= buf_failed(&b) ? -1 : 0;
		r |= val_set_str(v, "tel", b.ptr);
	}
	/* schema.org JSON-LD, escaped for a <script> element */
	buf_puts(&j,
	         "{\"@context\":\"https://schema.org\",\"@type\":\"GovernmentOffice\",\"name\":\"");
	esc_json(&j, val_get_str(o, "name", ""), strlen(val_get_str(o, "name", "")));
	buf_puts(&j, "\",\"url\":\"");
	esc_json(&j, s->base_url, strlen(s->base_url));
	esc_json(&j, p->url, strlen(p->url));
	buf_puts(&j, "\",\"address\":{\"@type\":\"PostalAddress\",\"streetAddress\":\"");
	esc_json(&j, val_get_str(o, "street", ""), strlen(val_get_str(o, "street", "")));
	buf_puts(&j, "\",\"postalCode\":\"");
	esc_json(&j, val_get_str(o, "postal_code", ""), strlen(val_get_str(o, "postal_code", "")));
	buf_puts(&j, "\",\"addressLocality\":\"");
	esc_json(&j, val_get_str(o, "city", ""), strlen(val_get_str(o, "city", "")));
	buf_puts(&j, "\",\"addressCountry\":\"PL\"}");
	if (email) {
		buf_puts(&j, ",\"email\":\"");
		esc_json(&j, email, strlen(email));
		buf_putc(&j, '"');
	}
	if (phone) {
		buf_puts(&j, ",\"telephone\":\"");
		esc_json(&j, b.ptr, b.len);
		buf_putc(&j, '"');
	}
	{
		const struct val *h = val_get(o, "hours");
		size_t i;

		if (h && h->type == VAL_ARRAY && h->u.arr.n) {
			r |= val_set_bool(v, "has_hours", 1);
			buf_puts(&j, ",\"openingHours\":[");
			for (i = 0; i < h->u.arr.n; i++) {
				const struct val *x = h->u.arr.items[i];

				if (x->type != VAL_STRING)
					continue;
				buf_puts(&j, i ? ",\"" : "\"");
				esc_json(&j, x->u.str.s, x->u.str.len);
				buf_putc(&j, '"');
			}
			buf_putc(&j, ']');
		}
	}
	buf_putc(&j, '}');
	r |= buf_failed(&j) ? -1 : val_set_str(v, "json_ld", j.ptr);
	buf_free(&b);
	buf_free(&j);
	if (r < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

/* ---- the shared frame --------------------------------------------------- */

static int menu_items(struct site *s, struct val *base, struct err *e)
{
	static const char *const lists[] = {"menu", "footer"};
	size_t i, k;

	for (k = 0; k < 2; k++) {
		const struct val *m = val_get(s->config, lists[k]);
		struct val *out = val_new(VAL_ARRAY);

		if (!out || val_set(base, lists[k], out) < 0)
			return err_oom(e);
		if (!m)
			continue;
		if (m->type != VAL_ARRAY)
			return err_at(e, "site.toml", m->line, m->col,
			              "'%s' must be [[%s]] entries", lists[k], lists[k]);
		for (i = 0; i < m->u.arr.n; i++) {
			const struct val *it = m->u.arr.items[i];
			const char *title = val_get_str(it, "title", NULL);
			const char *pg = val_get_str(it, "page", NULL);
			const struct page *p = pg ? strmap_get(&s->by_rel, pg) : NULL;
			struct val *v = val_new(VAL_TABLE);

			if (!v || val_push(out, v) < 0)
				return err_oom(e);
			if (!title || !pg)
				return err_at(e, "site.toml", it->line, it->col,
				              "a [[%s]] entry needs title and page", lists[k]);
			if (!p)
				return err_at(e, "site.toml", it->line, it->col,
				              "[[%s]] page '%s' is not a page (no content/%s)",
				              lists[k], pg, pg);
			if (val_set_str(v, "title", title) | val_set_str(v, "url", p->url))
				return err_oom(e);
		}
	}
	return 0;
}

int render_base(struct site *s, struct err *e)
{
	struct val *base = val_new(VAL_TABLE), *site = val_new(VAL_TABLE), *commit, *offices;
	const struct repo *r = s->repo;
	static const char *const copy[] = {"title",    "description", "base_url",
	                                   "language", "forms",       "params"};
	size_t i;
	int x = 0;

	if (!base || !site || val_set(base, "site", site) < 0) {
		val_free(base);
		return err_oom(e);
	}
	s->base = base;
	for (i = 0; i < sizeof copy / sizeof copy[0]; i++) {
		const struct val *v = val_get(s->config, copy[i]);

		if (v)
			x |= val_set(site, copy[i], val_dup(v));
	}
	if (!val_get_str(site, "language", NULL))
		x |= val_set_str(site, "language", "pl"); /* <html lang> is never empty */
	commit = val_new(VAL_TABLE);
	x |= val_set(site, "commit", commit);
	if (x < 0 || !commit)
		return err_oom(e);
	x |= val_set_str(commit, "id", r->head.id);
	{
		char shortid[13];

		memcpy(shortid, r->head.id, 12);
		shortid[12] = '\0';
		x |= val_set_str(commit, "short", shortid);
	}
	x |= set_date(commit, "time", r->head.time, r->head.offset);
	x |= val_set(base, "t", val_dup(s->theme->strings));
	offices = val_new(VAL_ARRAY);
	x |= val_set(base, "offices", offices);
	for (i = 0; offices && i < s->noffices; i++)
		x |= val_push(offices, office_val(s, s->offices[i]));
	if (s->notice) {
		struct val *n = val_new(VAL_TABLE);

		x |= val_set(base, "notice", n);
		if (n) {
			x |= val_set_str(n, "title", s->notice->title);
			x |= val_set_str(n, "url", s->notice->url);
			x |= set_date(n, "changed", s->notice->lastmod, s->notice->lastmod_off);
			if (s->notice->history_page)
				x |= val_set_str(n, "history_url", s->notice->history_page->url);
		}
	}
	if (x < 0)
		return err_oom(e);
	return menu_items(s, base, e);
}

/* ---- page contexts ------------------------------------------------------ */

static int add_toc(struct val *pv, const struct page *p)
{
	struct val *toc, *last = NULL, *sub;
	size_t i;
	int r = 0;

	if (!p->toc || p->doc.nheadings < 2)
		return 0;
	{
		struct val *wrap = val_new(VAL_TABLE);

		toc = val_new(VAL_ARRAY);
		r |= val_set(pv, "toc", wrap) | val_set(wrap, "items", toc);
	}
	for (i = 0; toc && i < p->doc.nheadings; i++) {
		const struct md_heading *h = &p->doc.headings[i];
		struct val *item;

		if (h->level > 3)
			continue;
		item = val_new(VAL_TABLE);
		if (!item)
			return -1;
		r |= val_set_str(item, "id", h->id) | val_set_str(item, "text", h->text);
		if (h->level == 3 && last) {
			sub = val_path(last, "sub.items");
			if (!sub) {
				struct val *wrap = val_new(VAL_TABLE);

				sub = val_new(VAL_ARRAY);
				r |= val_set(last, "sub", wrap) | val_set(wrap, "items", sub);
				if (!wrap)
					sub = NULL;
			}
			r |= val_push(sub, item);
		} else {
			r |= val_push(toc, item);
			last = item;
		}
	}
	return r;
}

static int add_course(const struct site *s, struct val *pv, const struct page *p)
{
	const struct page *c = p->kind == PK_COURSE ? p : p->course;
	const struct val *info = val_get(c->fm, "course");
	struct val *cv = val_new(VAL_TABLE), *lessons = val_new(VAL_ARRAY);
	size_t i;
	int r = 0;

	(void)s;
	r |= val_set(pv, "course", cv);
	if (!cv || !lessons) {
		val_free(lessons);
		return -1;
	}
	r |= val_set_str(cv, "title", c->title) | val_set_str(cv, "url", c->url);
	r |= val_set_str(cv, "slug", c->rel + 6); /* "kursy/" */
	{
		struct val *slug = val_get(cv, "slug");

		if (slug) { /* "x/_index.md" -> "x" */
			char *sl = strchr(slug->u.str.s, '/');

			if (sl) {
				*sl = '\0';
				slug->u.str.len = (size_t)(sl - slug->u.str.s);
			}
		}
	}
	if (info && info->type == VAL_TABLE)
		for (i = 0; i < info->u.tab.n; i++)
			r |= val_set(cv, info->u.tab.kv[i].key, val_dup(info->u.tab.kv[i].v));
	r |= val_set(cv, "lessons", lessons);
	for (i = 0; i < c->nchildren; i++) {
		const struct page *l = c->children[i];
		struct val *lv;

		if (l->kind != PK_LESSON)
			continue;
		lv = link_val(l);
		if (!lv)
			return -1;
		r |= val_set_int(lv, "n", l->lesson_n) | val_set_bool(lv, "current", l == p);
		r |= val_push(lessons, lv);
	}
	r |= val_set_int(cv, "lesson_count", (long long)c->nlessons);
	if (c->test) {
		r |= val_set_str(cv, "test_url", c->test->url);
		r |= val_set_int(cv, "question_count",
		                 (long long)val_get(c->test->fm, "questions")->u.arr.n);
		r |= val_set_int(cv, "pass_mark", val_get_int(c->test->fm, "pass_mark", 0));
		r |= val_set_int(cv, "attempts", val_get_int(c->test->fm, "attempts", 0));
	}
	if (p->kind == PK_LESSON) {
		r |= val_set_int(cv, "lesson_n", p->lesson_n);
		r |= val_set_bool(cv, "last_lesson", (size_t)p->lesson_n == c->nlessons);
	}
	return r;
}

static int add_test(const struct site *s, struct val *pv, const struct page *p)
{
	const struct val *qs = val_get(p->fm, "questions");
	struct val *tv = val_new(VAL_TABLE), *list = val_new(VAL_ARRAY);
	size_t i, j;
	int r = 0;

	r |= val_set(pv, "test", tv);
	if (!tv || !list) {
		val_free(list);
		return -1;
	}
	r |= val_set(tv, "questions", list);
	r |= val_set_str(tv, "action",
	                 val_get_str(val_get(s->config, "forms"), "test", "/kursy/test"));
	r |= val_set_int(tv, "pass_mark", val_get_int(p->fm, "pass_mark", 0));
	r |= val_set_int(tv, "attempts", val_get_int(p->fm, "attempts", 0));
	r |= val_set_int(tv, "count", (long long)qs->u.arr.n);
	for (i = 0; i < qs->u.arr.n; i++) {
		const struct val *q = qs->u.arr.items[i], *as = val_get(q, "answers");
		struct val *qv = val_new(VAL_TABLE), *al = val_new(VAL_ARRAY);
		char id[32];

		if (!qv || !al || val_push(list, qv) < 0) {
			val_free(al);
			return -1;
		}
		snprintf(id, sizeof id, "q%zu", i + 1);
		r |= val_set_str(qv, "id", id) | val_set_int(qv, "n", (long long)i + 1);
		r |= val_set_str(qv, "text", val_get_str(q, "text", ""));
		r |= val_set_bool(qv, "multiple",
		                  strcmp(val_get_str(q, "type", ""), "multiple") == 0);
		r |= val_set(qv, "answers", al);
		/* only the answers' text: which are correct stays in private/ */
		for (j = 0; j < as->u.arr.n; j++) {
			struct val *av = val_new(VAL_TABLE);
			char aid[48], val[32];

			if (!av || val_push(al, av) < 0)
				return -1;
			snprintf(val, sizeof val, "a%zu", j + 1);
			snprintf(aid, sizeof aid, "q%zu-a%zu", i + 1, j + 1);
			r |= val_set_str(av, "value", val) | val_set_str(av, "id", aid);
			r |= val_set_str(av, "name", id);
			r |= val_set_str(av, "text", val_get_str(as->u.arr.items[j], "text", ""));
		}
	}
	return r;
}

static int add_history(const struct site *s, struct val *pv, const struct page *h)
{
	const struct page *p = h->of;
	const struct rfile *f = p->src;
	struct val *list = val_new(VAL_ARRAY), *of = link_val(p);
	size_t i;
	int r = 0;

	r |= val_set(pv, "of", of) | val_set(pv, "history", list);
	for (i = 0; list && f && i < f->nhist; i++) {
		const struct rcommit *c = &s->repo->commits[f->hist[i]];
		struct val *cv = val_new(VAL_TABLE);
		char shortid[13];

		if (!cv || val_push(list, cv) < 0)
			return -1;
		memcpy(shortid, c->id, 12);
		shortid[12] = '\0';
		r |= set_date(cv, "time", c->time, c->offset);
		r |= val_set_str(cv, "summary", c->summary) | val_set_str(cv, "author", c->author);
		r |= val_set_str(cv, "commit", shortid);
	}
	return r || !list || !of ? -1 : 0;
}

/* By enum page_kind: the page's kind in templates (page.kind, is_KIND)
 * and the layout it uses unless its front matter names another. */
static const char *const kind_names[] = {"home",   "section", "page",   "course",
                                         "lesson", "test",    "office", "history"};

static struct val *page_val(const struct site *s, const struct page *p)
{
	struct val *frame = val_new(VAL_TABLE), *pv = val_new(VAL_TABLE), *bc, *menu, *m;
	const struct page *a;
	struct buf b = BUF_INIT;
	size_t i, depth = 0;
	int r = 0;

	if (!frame || !pv || val_set(frame, "page", pv) < 0) {
		val_free(frame);
		return NULL;
	}
	r |= val_set_str(pv, "title", p->title ? p->title : "");
	if (p->description)
		r |= val_set_str(pv, "description", p->description);
	r |= val_set_str(pv, "url", p->url);
	buf_puts(&b, s->base_url);
	buf_puts(&b, p->url);
	r |= buf_failed(&b) ? -1 : val_set_str(pv, "permalink", b.ptr);
	buf_free(&b);
	r |= val_set_str(pv, "kind", kind_names[p->kind]);
	buf_printf(&b, "is_%s", kind_names[p->kind]);
	r |= val_set_bool(pv, b.ptr, 1);
	buf_free(&b);
	if (p->doc.html.len)
		r |= val_set(pv, "content", val_strn(p->doc.html.ptr, p->doc.html.len));
	r |= set_date(pv, "created", p->created, p->created_off);
	r |= set_date(pv, "lastmod", p->lastmod, p->lastmod_off);
	if (p->history_page)
		r |= val_set_str(pv, "history_url", p->history_page->url);
	r |= add_toc(pv, p);
	/* breadcrumbs: home ... parent */
	{
		const struct page *chain[64];

		for (a = p->parent; a && depth < 64; a = a->parent)
			chain[depth++] = a;
		if (depth > 0) {
			struct val *wrap = val_new(VAL_TABLE);

			bc = val_new(VAL_ARRAY);
			r |= val_set(pv, "breadcrumbs", wrap) | val_set(wrap, "items", bc);
			while (bc && depth > 0)
				r |= val_push(bc, link_val(chain[--depth]));
		}
	}
	if (p->prev)
		r |= val_set(pv, "prev", link_val(p->prev));
	if (p->next)
		r |= val_set(pv, "next", link_val(p->next));
	if (p->nchildren) {
		struct val *ch = val_new(VAL_ARRAY);

		r |= val_set(pv, "children", ch) | val_set_bool(pv, "has_children", 1);
		for (i = 0; ch && i < p->nchildren; i++) {
			const struct page *c = p->children[i];
			struct val *cv;

			if (c->kind == PK_TEST)
				continue;
			cv = link_val(c);
			r |= val_push(ch, cv);
			if (cv && c->kind == PK_COURSE) {
				const struct val *info = val_get(c->fm, "course");

				r |= val_set_bool(cv, "is_course", 1);
				if (val_get_str(info, "duration", NULL))
					r |= val_set_str(cv, "duration",
					                 val_get_str(info, "duration", ""));
			}
		}
	}
	if (p->kind == PK_COURSE || p->kind == PK_LESSON || p->kind == PK_TEST)
		r |= add_course(s, pv, p);
	if (p->kind == PK_TEST)
		r |= add_test(s, pv, p);
	if (p->kind == PK_OFFICE)
		r |= val_set(pv, "office", office_val(s, p));
	if (p->kind == PK_HISTORY)
		r |= add_history(s, pv, p);
	/* the menu, with the current entry marked */
	menu = val_dup(val_get(s->base, "menu"));
	r |= val_set(frame, "menu", menu);
	for (i = 0; menu && i < menu->u.arr.n; i++) {
		m = menu->u.arr.items[i];
		const char *u = val_get_str(m, "url", "");
		size_t ul = strlen(u);

		if (strcmp(u, p->url) == 0)
			r |= val_set_bool(m, "current", 1);
		else if (ul > 1 && strncmp(p->url, u, ul) == 0)
			r |= val_set_bool(m, "active", 1);
	}
	if (r < 0 || !menu) {
		val_free(frame);
		return NULL;
	}
	return frame;
}

/* ---- rendering ----------------------------------------------------------- */

static const char *layout_name(const struct page *p)
{
	return p->layout ? p->layout : kind_names[p->kind];
}

static const char *page_file(const struct page *p)
{
	return p->src ? p->src->path : p->of && p->of->src ? p->of->src->path : p->url;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fails when an id appears twice in the page's HTML (content and theme
 * together): fragment links and labels would be ambiguous. */
static int check_ids(const struct page *p, const struct buf *html, struct err *e)
{
	char *ids[MAX_IDS];
	const char *q = html->ptr, *end = html->ptr + html->len;
	size_t n = 0, i;
	int ret = 0;

	while ((q = memmem(q, (size_t)(end - q), " id=\"", 5)) != NULL && n < MAX_IDS) {
		const char *v = q + 5, *close = memchr(v, '"', (size_t)(end - v));

		if (!close)
			break;
		ids[n] = strndup(v, (size_t)(close - v));
		if (!ids[n])
			break;
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
	for (i = 0; i < n; i++)
		free(ids[i]);
	return ret;
}

struct job {
	struct site *s;
	const char *out; /* NULL: check only */
	atomic_long written;
	struct strmap extra; /* URLs that are no page: theme files, aliases, feeds */
};

static int write_out(struct job *j, const char *rel, const char *data, size_t len, struct err *e)
{
	struct buf path = BUF_INIT;
	int r;

	if (!j->out)
		return 0;
	buf_printf(&path, "%s/%s", j->out, rel);
	if (buf_failed(&path))
		return err_oom(e);
	r = fs_write(path.ptr, data, len, 0, e);
	buf_free(&path);
	if (r == 0)
		atomic_fetch_add(&j->written, 1);
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
			if (strmap_getn(&j->s->by_url, u, (size_t)(v - u)) ||
			    strmap_getn(&j->s->statics, u, (size_t)(v - u)) ||
			    strmap_getn(&j->extra, u, (size_t)(v - u)))
				continue;
			return err_at(
			    e, page_file(p), 0, 0,
			    "the page (its layout '%s') links to %.*s, which the site does not "
			    "have",
			    layout_name(p), (int)(v - u), u);
		}
	}
	return 0;
}

/* One page from Markdown to file, so that only the pages in flight hold
 * their HTML and source in memory. */
static int render_page(size_t i, int worker, void *arg, struct err *e)
{
	struct job *j = arg;
	struct site *s = j->s;
	struct page *p = s->pages[i];
	const char *ln = layout_name(p);
	const struct mst *t = theme_layout(s->theme, ln);
	struct buf html = BUF_INIT, rel = BUF_INIT;
	struct val *frame;
	int ret = -1;

	(void)worker;
	if (site_markdown(s, p, e) < 0)
		return -1;
	if (p->src && p->kind != PK_TEST)
		repo_drop_data(s->repo, p->src);
	if (!t)
		return err_at(e, page_file(p), 0, 0,
		              "layout '%s' not found (%slayouts/%s.mustache)", ln, s->theme->dir,
		              ln);
	frame = page_val(s, p);
	if (!frame)
		return err_oom(e);
	{
		const struct val *stack[2] = {s->base, frame};

		if (mst_render(t, stack, 2, &s->theme->env, &html, e) < 0)
			goto out;
	}
	if (buf_failed(&html)) {
		err_oom(e);
		goto out;
	}
	if (check_ids(p, &html, e) < 0 || check_local_links(j, p, &html, e) < 0)
		goto out;
	buf_printf(&rel, "public%sindex.html", p->url);
	ret = write_out(j, rel.ptr, html.ptr, html.len, e);
	/* the body is in the page now: give its memory back */
	buf_free(&p->doc.html);
out:
	val_free(frame);
	buf_free(&html);
	buf_free(&rel);
	return ret;
}

/* Old URLs (front matter `aliases`) get a page that sends readers on. */
static int write_aliases(struct job *j, struct err *e)
{
	struct site *s = j->s;
	const struct mst *t = theme_layout(s->theme, "redirect");
	struct strmap seen = STRMAP_INIT;
	size_t i, k;
	int ret = -1;

	for (i = 0; i < s->npages; i++) {
		const struct page *p = s->pages[i];
		const struct val *al = p->fm ? val_get(p->fm, "aliases") : NULL;

		if (!al)
			continue;
		if (al->type != VAL_ARRAY)
			return err_at(e, p->src->path, al->line, al->col,
			              "'aliases' must be an array of \"/old/url/\" strings");
		if (!t)
			return err_at(e, p->src->path, al->line, al->col,
			              "aliases need %slayouts/redirect.mustache", s->theme->dir);
		for (k = 0; k < al->u.arr.n; k++) {
			const struct val *a = al->u.arr.items[k];
			struct buf u = BUF_INIT, html = BUF_INIT, rel = BUF_INIT;
			struct val *frame = NULL;
			int r = -1;

			if (a->type != VAL_STRING || a->u.str.s[0] != '/' ||
			    strstr(a->u.str.s, "..") || strpbrk(a->u.str.s, "?#\"<>\\ ")) {
				err_at(e, p->src->path, a->line, a->col,
				       "alias must be a path like \"/stary/adres/\" (no '..', '?', "
				       "'#')");
				goto fail;
			}
			buf_puts(&u, a->u.str.s);
			if (u.ptr[u.len - 1] != '/')
				buf_putc(&u, '/');
			if (strmap_get(&s->by_url, u.ptr) || strmap_get(&seen, a->u.str.s)) {
				err_at(e, p->src->path, a->line, a->col,
				       "alias %s is already the address of a page", u.ptr);
				goto next;
			}
			if (strmap_put(&seen, a->u.str.s, (void *)p) < 0)
				goto next;
			frame = page_val(s, p);
			if (!frame || val_set_str(frame, "redirect_url", p->url) < 0)
				goto next;
			{
				const struct val *stack[2] = {s->base, frame};

				if (mst_render(t, stack, 2, &s->theme->env, &html, e) < 0)
					goto next;
			}
			buf_printf(&rel, "public%sindex.html", u.ptr);
			r = write_out(j, rel.ptr, html.ptr, html.len, e);
		next:
			val_free(frame);
			buf_free(&u);
			buf_free(&html);
			buf_free(&rel);
			if (r < 0) {
				if (!e->msg[0])
					err_oom(e);
				goto fail;
			}
		}
	}
	ret = 0;
fail:
	strmap_free(&seen);
	return ret;
}

/* A page that no content file stands for (the 404 page): `url` is where
 * it is served, `rel` the file written. */
static int render_special(struct job *j, const char *layout, const char *url, const char *rel,
                          const char *title, struct err *e)
{
	struct site *s = j->s;
	const struct mst *t = theme_layout(s->theme, layout);
	struct page fake;
	struct val *frame;
	struct buf html = BUF_INIT;
	int r = -1;

	if (!t)
		return err_set(e, "%slayouts/%s.mustache: missing (needed for %s)", s->theme->dir,
		               layout, rel);
	memset(&fake, 0, sizeof fake);
	fake.kind = PK_PAGE;
	fake.title = title;
	fake.url = (char *)url;
	fake.created = fake.lastmod = s->repo->head.time;
	fake.parent = NULL;
	frame = page_val(s, &fake);
	if (!frame)
		return err_oom(e);
	{
		const struct val *stack[2] = {s->base, frame};

		if (mst_render(t, stack, 2, &s->theme->env, &html, e) == 0)
			r = write_out(j, rel, html.ptr, html.len, e);
	}
	val_free(frame);
	buf_free(&html);
	return r;
}

static int write_statics(struct job *j, struct err *e)
{
	struct site *s = j->s;
	size_t i, dl = strlen(s->theme->dir) + strlen("static/");
	struct buf rel = BUF_INIT;
	int r = 0;

	for (i = 0; i < s->theme->nstatics && r == 0; i++) {
		const struct rfile *f = s->theme->statics[i];

		buf_reset(&rel);
		buf_printf(&rel, "public/%s", f->path + dl);
		if (strmap_get(&s->by_url, rel.ptr + 6))
			r = err_set(e, "%s: clashes with the page %s", f->path, rel.ptr + 6);
		else
			r = write_out(j, rel.ptr, f->data, f->len, e);
	}
	for (i = 0; i < s->repo->nfiles && r == 0; i++) {
		const struct rfile *f = &s->repo->files[i];

		if (strncmp(f->path, "content/", 8) != 0 || !strmap_get(&s->statics, f->path + 7))
			continue;
		buf_reset(&rel);
		buf_printf(&rel, "public/%s", f->path + 8);
		r = write_out(j, rel.ptr, f->data, f->len, e);
	}
	buf_free(&rel);
	return r;
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

		buf_puts(&b, "<url><loc>");
		esc_xml(&b, s->base_url, strlen(s->base_url));
		esc_xml(&b, p->url, strlen(p->url));
		buf_puts(&b, "</loc><lastmod>");
		site_date(&b, p->lastmod, p->lastmod_off);
		buf_puts(&b, "</lastmod></url>\n");
	}
	buf_puts(&b, "</urlset>\n");
	r = buf_failed(&b) ? err_oom(e)
	                   : write_out(j, "public/sitemap.xml", b.ptr, b.len, e);
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
	site_datetime(&b, n ? docs[0]->lastmod : s->repo->head.time,
	              n ? docs[0]->lastmod_off : s->repo->head.offset);
	buf_puts(&b, "</updated>\n");
	for (i = 0; i < n; i++) {
		const struct page *p = docs[i];
		const struct rfile *f = p->src;
		const char *summary = f && f->nhist ? s->repo->commits[f->hist[0]].summary : "";

		buf_puts(&b, "<entry><title>");
		esc_xml(&b, p->title, strlen(p->title));
		buf_puts(&b, "</title><id>");
		esc_xml(&b, s->base_url, strlen(s->base_url));
		esc_xml(&b, p->history_page->url, strlen(p->history_page->url));
		buf_putc(&b, '#');
		if (f && f->nhist)
			buf_puts(&b, s->repo->commits[f->hist[0]].id);
		buf_puts(&b, "</id><link href=\"");
		esc_xml(&b, s->base_url, strlen(s->base_url));
		esc_xml(&b, p->url, strlen(p->url));
		buf_puts(&b, "\"/><updated>");
		site_datetime(&b, p->lastmod, p->lastmod_off);
		buf_puts(&b, "</updated><author><name>");
		esc_xml(&b, title, strlen(title));
		buf_puts(&b, "</name></author><summary>");
		esc_xml(&b, summary, strlen(summary));
		buf_puts(&b, "</summary></entry>\n");
	}
	buf_puts(&b, "</feed>\n");
	free(docs);
	r = buf_failed(&b) ? err_oom(e)
	                   : write_out(j, "public/zmiany.xml", b.ptr, b.len, e);
	buf_free(&b);
	return r;
}

/* JSON string literal with quotes */
static void jstr(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	esc_json(b, s, strlen(s));
	buf_putc(b, '"');
}

/* private/: what only the daemon reads. */
static int write_private(struct job *j, struct err *e)
{
	struct site *s = j->s;
	struct buf b = BUF_INIT, rel = BUF_INIT;
	size_t i, q, a;
	int r = 0;

	/* test answer keys, one file per course */
	for (i = 0; i < s->npages && r == 0; i++) {
		const struct page *p = s->pages[i];
		const struct val *qs;

		if (p->kind != PK_TEST)
			continue;
		qs = val_get(p->fm, "questions");
		buf_reset(&b);
		buf_reset(&rel);
		buf_add(&rel, p->course->url + 7, strlen(p->course->url + 7) - 1); /* "/kursy/x/" */
		buf_puts(&b, "{\n\"course\": ");
		jstr(&b, rel.ptr);
		buf_puts(&b, ",\n\"title\": ");
		jstr(&b, p->course->title);
		buf_puts(&b, ",\n\"test_url\": ");
		jstr(&b, p->url);
		buf_printf(&b, ",\n\"pass_mark\": %lld,\n\"attempts\": %lld,\n\"questions\": [\n",
		           val_get_int(p->fm, "pass_mark", 0), val_get_int(p->fm, "attempts", 0));
		for (q = 0; q < qs->u.arr.n; q++) {
			const struct val *qq = qs->u.arr.items[q], *as = val_get(qq, "answers");
			int first = 1;

			buf_printf(&b, "%s{\"name\": \"q%zu\", \"type\": ", q ? ",\n" : "", q + 1);
			jstr(&b, val_get_str(qq, "type", ""));
			buf_printf(&b, ", \"answers\": %zu, \"correct\": [", as->u.arr.n);
			for (a = 0; a < as->u.arr.n; a++)
				if (val_get_bool(as->u.arr.items[a], "correct", 0)) {
					buf_printf(&b, "%s\"a%zu\"", first ? "" : ", ", a + 1);
					first = 0;
				}
			buf_puts(&b, "]}");
		}
		buf_puts(&b, "\n]\n}\n");
		buf_reset(&rel);
		buf_printf(&rel, "private/tests/%.*s.json", (int)(strlen(p->course->url) - 8),
		           p->course->url + 7);
		r = buf_failed(&b) ? err_oom(e)
		                   : write_out(j, rel.ptr, b.ptr, b.len, e);
	}
	/* offices: the registration form's branch choice is checked against these */
	buf_reset(&b);
	buf_puts(&b, "[\n");
	for (i = 0; i < s->noffices; i++) {
		const struct page *p = s->offices[i];
		const struct val *o = val_get(p->fm, "office");
		const char *keys[] = {"kind", "name",  "street", "postal_code",
		                      "city", "email", "phone"};
		size_t k;

		buf_puts(&b, i ? ",\n{\"slug\": " : "{\"slug\": ");
		buf_reset(&rel);
		buf_add(&rel, p->rel + 7, strlen(p->rel + 7) - 3);
		jstr(&b, rel.ptr);
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (val_get_str(o, keys[k], NULL)) {
				buf_printf(&b, ", \"%s\": ", keys[k]);
				jstr(&b, val_get_str(o, keys[k], ""));
			}
		buf_putc(&b, '}');
	}
	buf_puts(&b, "\n]\n");
	if (r == 0)
		r = buf_failed(&b) ? err_oom(e)
		                   : write_out(j, "private/offices.json", b.ptr, b.len, e);
	/* form settings */
	buf_reset(&b);
	buf_puts(&b, "{");
	{
		const struct val *forms = val_get(s->config, "forms");
		int first = 1;

		for (i = 0; forms && forms->type == VAL_TABLE && i < forms->u.tab.n; i++)
			if (forms->u.tab.kv[i].v->type == VAL_STRING) {
				buf_puts(&b, first ? "\n" : ",\n");
				jstr(&b, forms->u.tab.kv[i].key);
				buf_puts(&b, ": ");
				jstr(&b, forms->u.tab.kv[i].v->u.str.s);
				first = 0;
			}
	}
	buf_puts(&b, "\n}\n");
	if (r == 0)
		r = buf_failed(&b) ? err_oom(e)
		                   : write_out(j, "private/forms.json", b.ptr, b.len, e);
	/* build.json: the commit, and each page's inputs for an incremental
	 * build to compare (source blob ids; the theme's blob ids) */
	buf_reset(&b);
	buf_puts(&b, "{\n\"commit\": ");
	jstr(&b, s->repo->head.id);
	buf_puts(&b, ",\n\"time\": \"");
	site_datetime(&b, s->repo->head.time, s->repo->head.offset);
	buf_printf(&b, "\",\n\"worktree\": %s,\n\"theme\": [",
	           s->repo->worktree ? "true" : "false");
	{
		size_t dl = strlen(s->theme->dir);
		int first = 1;

		for (i = 0; i < s->repo->nfiles; i++) {
			const struct rfile *f = &s->repo->files[i];

			if (strncmp(f->path, s->theme->dir, dl) != 0 &&
			    strcmp(f->path, "site.toml") != 0)
				continue;
			buf_puts(&b, first ? "\n{\"path\": " : ",\n{\"path\": ");
			jstr(&b, f->path);
			buf_puts(&b, ", \"blob\": ");
			jstr(&b, f->oid);
			buf_putc(&b, '}');
			first = 0;
		}
	}
	buf_puts(&b, "\n],\n\"pages\": [");
	for (i = 0; i < s->npages; i++) {
		const struct page *p = s->pages[i];

		buf_puts(&b, i ? ",\n{\"url\": " : "\n{\"url\": ");
		jstr(&b, p->url);
		if (p->src) {
			buf_puts(&b, ", \"source\": ");
			jstr(&b, p->src->path);
			buf_puts(&b, ", \"blob\": ");
			jstr(&b, p->src->oid);
		}
		buf_puts(&b, ", \"layout\": ");
		jstr(&b, layout_name(p));
		buf_putc(&b, '}');
	}
	buf_puts(&b, "\n]\n}\n");
	if (r == 0)
		r = buf_failed(&b) ? err_oom(e)
		                   : write_out(j, "private/build.json", b.ptr, b.len, e);
	buf_free(&b);
	buf_free(&rel);
	return r;
}

/* The local URLs besides pages and content files that pages may link:
 * the theme's static files, the generated files, the aliases. The keys
 * borrow strings that live as long as the site. */
static int known_urls(struct job *j, struct err *e)
{
	static const char *const generated[] = {"/sitemap.xml", "/robots.txt", "/zmiany.xml",
	                                        "/404.html"};
	struct site *s = j->s;
	size_t i, k, dl = strlen(s->theme->dir) + strlen("static");

	memset(&j->extra, 0, sizeof j->extra);
	for (i = 0; i < sizeof generated / sizeof generated[0]; i++)
		if (strmap_put(&j->extra, generated[i], (void *)generated[i]) < 0)
			return err_oom(e);
	for (i = 0; i < s->theme->nstatics; i++) /* "themes/x/static/a.css" -> "/a.css" */
		if (strmap_put(&j->extra, s->theme->statics[i]->path + dl, (void *)s) < 0)
			return err_oom(e);
	for (i = 0; i < s->npages; i++) {
		const struct val *al = s->pages[i]->fm ? val_get(s->pages[i]->fm, "aliases") : NULL;

		for (k = 0; al && al->type == VAL_ARRAY && k < al->u.arr.n; k++)
			if (al->u.arr.items[k]->type == VAL_STRING &&
			    strmap_put(&j->extra, al->u.arr.items[k]->u.str.s, (void *)s) < 0)
				return err_oom(e);
	}
	return 0;
}

static int cmp_url(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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
	qsort(urls, n, sizeof *urls, cmp_url);
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

long render_site(struct site *s, const char *out, struct err *e)
{
	struct job j;

	j.s = s;
	j.out = out;
	atomic_init(&j.written, 0);
	if (known_urls(&j, e) < 0) {
		strmap_free(&j.extra);
		return -1;
	}
	if (out && make_dirs(s, out, e) < 0) {
		strmap_free(&j.extra);
		return -1;
	}
	if (par_run(s->npages, s->jobs, render_page, &j, e) < 0) {
		strmap_free(&j.extra);
		return -1;
	}
	strmap_free(&j.extra);
	if (site_check_anchors(s, e) < 0)
		return -1;
	site_phase(s, "pages");
	if (write_aliases(&j, e) < 0 || write_statics(&j, e) < 0 ||
	    render_special(&j, "404", "/404.html", "public/404.html",
	                   val_get_str(s->theme->strings, "not_found_title", "404"), e) < 0 ||
	    write_sitemap(&j, e) < 0 || write_feed(&j, e) < 0 || write_private(&j, e) < 0)
		return -1;
	site_phase(s, "other files");
	return atomic_load(&j.written);
}
