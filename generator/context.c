#include "context.h"

#include "accounts.h"
#include "clock.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	fmt_date(&b, time, off);
	r = val_set_str(d, "date", b.ptr);
	buf_reset(&b);
	fmt_datetime(&b, time, off);
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

void ctx_tel(struct buf *b, const char *phone, size_t len)
{
	size_t i;

	buf_puts(b, "+48");
	for (i = 0; i < len; i++)
		if (phone[i] >= '0' && phone[i] <= '9')
			buf_putc(b, phone[i]);
}

void ctx_office_slug(struct buf *b, const struct page *p)
{
	const char *slug = p->rel + strlen("urzedy/");

	buf_add(b, slug, strlen(slug) - strlen(".md"));
}

void ctx_course_slug(struct buf *b, const struct page *course)
{
	const char *slug = course->rel + strlen("kursy/"), *sl = strchr(slug, '/');

	buf_add(b, slug, sl ? (size_t)(sl - slug) : strlen(slug));
}

/* schema.org JSON-LD for an office, safe inside a <script> element. NULL
 * when an allocation failed. */
static char *office_json_ld(const struct site *s, const struct page *p, const char *tel)
{
	const struct val *o = val_get(p->fm, "office"), *h = val_get(o, "hours");
	struct val *ld = val_new(VAL_TABLE), *addr = val_new(VAL_TABLE);
	struct buf url = BUF_INIT;
	struct err e;
	char *text = NULL;
	int r = 0;
	size_t i;

	buf_puts(&url, s->base_url);
	buf_puts(&url, p->url);
	r |= val_set_str(ld, "@context", "https://schema.org");
	r |= val_set_str(ld, "@type", "GovernmentOffice");
	r |= val_set_str(ld, "name", val_get_str(o, "name", ""));
	r |= buf_failed(&url) ? -1 : val_set_str(ld, "url", url.ptr);
	r |= val_set(ld, "address", addr);
	r |= val_set_str(addr, "@type", "PostalAddress");
	r |= val_set_str(addr, "streetAddress", val_get_str(o, "street", ""));
	r |= val_set_str(addr, "postalCode", val_get_str(o, "postal_code", ""));
	r |= val_set_str(addr, "addressLocality", val_get_str(o, "city", ""));
	r |= val_set_str(addr, "addressCountry", "PL");
	if (val_get_str(o, "email", NULL))
		r |= val_set_str(ld, "email", val_get_str(o, "email", ""));
	if (tel)
		r |= val_set_str(ld, "telephone", tel);
	if (h && h->type == VAL_ARRAY && h->u.arr.n) {
		struct val *hours = val_new(VAL_ARRAY);

		r |= val_set(ld, "openingHours", hours);
		for (i = 0; hours && i < h->u.arr.n; i++)
			if (h->u.arr.items[i]->type == VAL_STRING)
				r |= val_push(hours, val_dup(h->u.arr.items[i]));
	}
	if (r == 0 && ld)
		text = json_dump(ld, JSON_OUT_SCRIPT, NULL, &e);
	val_free(ld);
	buf_free(&url);
	return text;
}

struct val *ctx_office(const struct site *s, const struct page *p)
{
	const struct val *o = val_get(p->fm, "office"), *h = val_get(o, "hours");
	struct val *v = val_dup(o);
	struct buf b = BUF_INIT, slug = BUF_INIT;
	const char *kind = val_get_str(o, "kind", ""), *phone = val_get_str(o, "phone", NULL);
	char *ld;
	int r = 0;

	if (!v)
		return NULL;
	r |= val_set_str(v, "url", p->url);
	r |= val_set_str(v, "title", p->title);
	ctx_office_slug(&slug, p);
	r |= buf_failed(&slug) ? -1 : val_set_str(v, "slug", slug.ptr);
	r |= val_set_bool(v, "is_siedziba", strcmp(kind, "siedziba") == 0);
	r |= val_set_bool(v, "is_filia", strcmp(kind, "filia") == 0);
	r |= val_set_bool(v, "is_administrator", strcmp(kind, "administrator") == 0);
	if (h && h->type == VAL_ARRAY && h->u.arr.n)
		r |= val_set_bool(v, "has_hours", 1);
	if (phone) {
		ctx_tel(&b, phone, strlen(phone));
		r |= buf_failed(&b) ? -1 : val_set_str(v, "tel", b.ptr);
	}
	ld = office_json_ld(s, p, phone && !buf_failed(&b) ? b.ptr : NULL);
	r |= ld ? val_set_str(v, "json_ld", ld) : -1;
	free(ld);
	buf_free(&b);
	buf_free(&slug);
	if (r < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

/* ---- the shared frame --------------------------------------------------- */

static int menu_items(const struct site *s, struct val *base, struct err *e)
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
			/* guest = true: only for who is not logged in (the pages
			 * formd renders for a person leave it out) */
			if (val_get_bool(it, "guest", 0) && val_set_bool(v, "guest", 1) < 0)
				return err_oom(e);
		}
	}
	return 0;
}

/* The periods site.toml [retention] sets, in the policy's order:
 * { KEY: { text: "5 lat", n: 5, unit: "years" } }; kinds without a period
 * are left out, so the table is empty when none is set. NULL on
 * allocation failure. */
static struct val *retention_val(const struct site *s)
{
	struct val *v = val_new(VAL_TABLE);
	struct buf text = BUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; v && i < retention_kinds_n; i++) {
		const struct retention *p = &s->retention[i];
		struct val *kv;

		if (p->n == 0)
			continue;
		kv = val_new(VAL_TABLE);
		r |= val_set(v, retention_kinds[i].key, kv);
		buf_reset(&text);
		retention_text(p, &text);
		r |= buf_failed(&text) ? -1 : val_set_str(kv, "text", text.ptr);
		r |= val_set_int(kv, "n", p->n);
		r |= val_set_str(kv, "unit", retention_unit_name(p->unit));
	}
	buf_free(&text);
	if (r < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

struct val *ctx_base(const struct site *s, struct err *e)
{
	struct val *base = val_new(VAL_TABLE), *site = val_new(VAL_TABLE), *commit, *offices;
	const struct repo *r = s->repo;
	static const char *const copy[] = {"title",    "description", "base_url",
	                                   "language", "forms",       "params"};
	size_t i;
	int x = 0;

	if (!base || !site || val_set(base, "site", site) < 0) {
		val_free(base);
		err_oom(e);
		return NULL;
	}
	for (i = 0; i < sizeof copy / sizeof copy[0]; i++) {
		const struct val *v = val_get(s->config, copy[i]);

		if (v)
			x |= val_set(site, copy[i], val_dup(v));
	}
	/* rules the forms' hints state and formd enforces */
	x |= val_set_int(site, "password_min", PASSWORD_MIN);
	if (!val_get_str(site, "language", NULL))
		x |= val_set_str(site, "language", "pl"); /* <html lang> is never empty */
	commit = val_new(VAL_TABLE);
	x |= val_set(site, "commit", commit);
	if (x < 0 || !commit)
		goto oom;
	x |= val_set_str(commit, "id", r->head.id);
	{
		char shortid[13];

		memcpy(shortid, r->head.id, 12);
		shortid[12] = '\0';
		x |= val_set_str(commit, "short", shortid);
	}
	x |= set_date(commit, "time", r->head.time, r->head.offset);
	{
		/* the stylesheets' fingerprinted URLs: assets.style_css */
		struct val *assets = val_new(VAL_TABLE);

		x |= val_set(base, "assets", assets);
		for (i = 0; assets && i < s->noutputs; i++)
			if (s->outputs[i].asset)
				x |= val_set_str(assets, s->outputs[i].asset, s->outputs[i].path);
	}
	x |= val_set(base, "t", val_dup(s->theme->strings));
	offices = val_new(VAL_ARRAY);
	x |= val_set(base, "offices", offices);
	for (i = 0; offices && i < s->noffices; i++)
		x |= val_push(offices, ctx_office(s, s->offices[i]));
	/* formd's purge reads these from private/site.json */
	x |= val_set(base, "retention", retention_val(s));
	if (s->notice) {
		struct val *n = val_new(VAL_TABLE);

		x |= val_set(base, "notice", n);
		if (n) {
			x |= val_set_str(n, "title", s->notice->title);
			x |= val_set_str(n, "url", s->notice->url);
			x |= set_date(n, "changed", s->notice->lastmod, s->notice->lastmod_off);
			if (s->notice->history_page)
				x |= val_set_str(n, "history_url", s->notice->history_page->url);
			/* "what changed" is best answered by the comparison itself */
			if (s->notice->nversions && s->notice->version_pages[0]->compare)
				x |= val_set_str(n, "compare_url",
				                 s->notice->version_pages[0]->compare->url);
		}
	}
	if (x < 0)
		goto oom;
	if (menu_items(s, base, e) < 0)
		goto fail;
	return base;
oom:
	err_oom(e);
fail:
	val_free(base);
	return NULL;
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
			sub = val_get_mut(val_get_mut(last, "sub"), "items");
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
	{
		struct buf slug = BUF_INIT;

		ctx_course_slug(&slug, c);
		r |= buf_failed(&slug) ? -1 : val_set_str(cv, "slug", slug.ptr);
		buf_free(&slug);
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
	/* formd writes the course's forum there (forum.h); the model lists it */
	{
		struct buf fu = BUF_INIT;

		buf_puts(&fu, c->url);
		buf_puts(&fu, "forum/");
		r |= buf_failed(&fu) ? -1 : val_set_str(cv, "forum_url", fu.ptr);
		buf_free(&fu);
	}
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

/* What the public reads about a change: the commit's "Zmiana:" trailer,
 * or the theme's neutral line (commit messages are for developers). */
static const char *public_note(const struct site *s, const struct rcommit *c)
{
	return c->note
	           ? c->note
	           : val_get_str(s->theme->strings, "history_no_note", "Zmiana treści dokumentu.");
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
		const struct rcommit *c = &s->repo->commits[f->hist[i].commit];
		struct val *cv = val_new(VAL_TABLE);
		char shortid[13];

		if (!cv || val_push(list, cv) < 0)
			return -1;
		memcpy(shortid, c->id, 12);
		shortid[12] = '\0';
		r |= set_date(cv, "time", c->time, c->offset);
		r |= val_set_str(cv, "summary", public_note(s, c)) |
		     val_set_str(cv, "author", c->author);
		r |= val_set_str(cv, "commit", shortid);
		if (i < p->nversions) {
			r |= val_set_str(cv, "version_url", p->version_pages[i]->url);
			if (p->version_pages[i]->compare)
				r |= val_set_str(cv, "compare_url",
				                 p->version_pages[i]->compare->url);
		}
	}
	return r || !list || !of ? -1 : 0;
}

/* page.version for a version or comparison page: which version, its
 * neighbours and the document. */
static int add_version(const struct site *s, struct val *pv, const struct page *v)
{
	const struct page *doc = v->of, *vp = doc->version_pages[v->ver];
	const struct rcommit *c = &s->repo->commits[doc->src->hist[v->ver].commit];
	struct val *vv = val_new(VAL_TABLE);
	char shortid[8];
	int r = 0;

	r |= val_set(pv, "version", vv) | val_set(pv, "of", link_val(doc));
	if (!vv)
		return -1;
	memcpy(shortid, c->id, 7);
	shortid[7] = '\0';
	r |= set_date(vv, "time", c->time, c->offset);
	r |= val_set_str(vv, "commit", c->id) | val_set_str(vv, "short", shortid);
	r |= val_set_str(vv, "summary", public_note(s, c));
	r |= val_set_str(vv, "url", vp->url);
	r |= val_set_bool(vv, "current", v->ver == 0);
	r |= val_set_bool(vv, "archived", v->ver != 0);
	if (vp->compare)
		r |= val_set_str(vv, "compare_url", vp->compare->url);
	if (doc->history_page)
		r |= val_set_str(vv, "history_url", doc->history_page->url);
	if (v->ver + 1 < doc->nversions) {
		const struct page *older = doc->version_pages[v->ver + 1];
		const struct rcommit *oc = &s->repo->commits[doc->src->hist[v->ver + 1].commit];
		struct val *ov = val_new(VAL_TABLE);

		r |= val_set(vv, "previous", ov);
		r |= val_set_str(ov, "url", older->url);
		r |= set_date(ov, "time", oc->time, oc->offset);
	}
	if (v->ver > 0) {
		const struct page *newer = doc->version_pages[v->ver - 1];
		const struct rcommit *nc = &s->repo->commits[doc->src->hist[v->ver - 1].commit];
		struct val *nv = val_new(VAL_TABLE);

		r |= val_set(vv, "next", nv);
		r |= val_set_str(nv, "url", newer->url);
		r |= set_date(nv, "time", nc->time, nc->offset);
	}
	return r;
}

/* By enum page_kind: the page's kind in templates (page.kind, is_KIND)
 * and the layout it uses unless its front matter names another. */
const char *const ctx_kind_names[PK_NKINDS] = {"home", "section", "page",    "course",  "lesson",
                                               "test", "office",  "history", "version", "compare"};

struct val *ctx_page(const struct site *s, const struct val *base, const struct page *p)
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
	r |= val_set_str(pv, "kind", ctx_kind_names[p->kind]);
	buf_printf(&b, "is_%s", ctx_kind_names[p->kind]);
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
		r |= val_set(pv, "office", ctx_office(s, p));
	if (p->kind == PK_HISTORY)
		r |= add_history(s, pv, p);
	if (p->kind == PK_VERSION || p->kind == PK_COMPARE)
		r |= add_version(s, pv, p);
	/* the menu, with the current entry marked */
	menu = val_dup(val_get(base, "menu"));
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
const char *ctx_layout(const struct page *p)
{
	return p->layout ? p->layout : ctx_kind_names[p->kind];
}
