#include "site.h"

#include "links.h"
#include "parallel.h"
#include "render.h"
#include "toml.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONTENT "content/"
#define CONTENT_LEN 8
#define MAX_QUESTIONS 200
#define MAX_ANSWERS 8

void site_date(struct buf *out, long long t, int offset)
{
	time_t tt = (time_t)(t + (long long)offset * 60);
	struct tm tm;

	gmtime_r(&tt, &tm);
	buf_printf(out, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void site_datetime(struct buf *out, long long t, int offset)
{
	time_t tt = (time_t)(t + (long long)offset * 60);
	struct tm tm;
	int a = offset < 0 ? -offset : offset;

	gmtime_r(&tt, &tm);
	buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
	           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	           offset < 0 ? '-' : '+', a / 60, a % 60);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void site_phase(struct site *s, const char *name)
{
	double now = mono();

	if (s->nphases < 12) {
		s->phase_name[s->nphases] = name;
		s->phase_sec[s->nphases++] = now - s->phase_start;
	}
	s->phase_start = now;
}

/* ---- pages -------------------------------------------------------------- */

static int valid_name(const char *rel)
{
	const char *p;

	if (strstr(rel, "..") || rel[0] == '/' || strstr(rel, "//"))
		return 0;
	for (p = rel; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == '/'))
			return 0;
		if (c == '.' && (p == rel || p[-1] == '/'))
			return 0;
	}
	return 1;
}

static struct page *new_page(struct site *s, enum page_kind kind, const struct rfile *src,
                             const char *rel, const char *url)
{
	struct page *p = calloc(1, sizeof *p), **v;

	if (!p)
		return NULL;
	p->kind = kind;
	p->src = src;
	p->rel = rel ? strdup(rel) : NULL;
	p->url = strdup(url);
	v = realloc(s->pages, (s->npages + 1) * sizeof *v);
	if ((rel && !p->rel) || !p->url || !v) {
		free(p->rel);
		free(p->url);
		free(p);
		if (v)
			s->pages = v;
		return NULL;
	}
	s->pages = v;
	v[s->npages++] = p;
	buf_init(&p->doc.html);
	return p;
}

/* "kursy/x/_index.md" -> "/kursy/x/", "a/b.md" -> "/a/b/", "_index.md" -> "/" */
static void rel_to_url(struct buf *u, const char *rel)
{
	size_t l = strlen(rel);
	const char *slash = strrchr(rel, '/');
	const char *base = slash ? slash + 1 : rel;

	buf_putc(u, '/');
	if (strcmp(base, "_index.md") == 0) {
		buf_add(u, rel, (size_t)(base - rel));
		return;
	}
	if (l > 3 && strcmp(rel + l - 3, ".md") == 0)
		l -= 3;
	else if (l > 5 && strcmp(rel + l - 5, ".toml") == 0)
		l -= 5;
	buf_add(u, rel, l);
	buf_putc(u, '/');
}

static int is_course_dir(const char *rel)
{
	/* kursy/SLUG/... with exactly one folder below kursy */
	const char *p;

	if (strncmp(rel, "kursy/", 6) != 0)
		return 0;
	p = strchr(rel + 6, '/');
	return p && !strchr(p + 1, '/');
}

static int collect(struct site *s, struct err *e)
{
	struct repo *r = s->repo;
	struct buf url = BUF_INIT;
	size_t i;
	int ret = -1;

	for (i = 0; i < r->nfiles; i++) {
		const struct rfile *f = &r->files[i];
		const char *rel = f->path + CONTENT_LEN, *base;
		enum page_kind kind;
		struct page *p;
		size_t l;

		if (strncmp(f->path, CONTENT, CONTENT_LEN) != 0)
			continue;
		if (!valid_name(rel)) {
			err_at(e, f->path, 0, 0,
			       "bad file name: use lowercase letters, digits, '-', '_' and '.' "
			       "(no '..', no hidden files)");
			goto out;
		}
		l = strlen(rel);
		base = strrchr(rel, '/');
		base = base ? base + 1 : rel;
		buf_reset(&url);
		if (l > 3 && strcmp(rel + l - 3, ".md") == 0) {
			if (strcmp(rel, "_index.md") == 0)
				kind = PK_HOME;
			else if (strcmp(base, "_index.md") == 0)
				kind = is_course_dir(rel) ? PK_COURSE : PK_SECTION;
			else
				kind = is_course_dir(rel) ? PK_LESSON : PK_PAGE;
		} else if (strcmp(base, "test.toml") == 0 && is_course_dir(rel)) {
			kind = PK_TEST;
		} else {
			/* anything else is a file published as it is */
			buf_putc(&url, '/');
			buf_puts(&url, rel);
			if (buf_failed(&url) ||
			    strmap_put(&s->statics, f->path + CONTENT_LEN - 1, (void *)f) < 0)
				goto oom;
			continue;
		}
		rel_to_url(&url, rel);
		if (buf_failed(&url) || !(p = new_page(s, kind, f, rel, url.ptr)))
			goto oom;
		if (kind == PK_HOME)
			s->home = p;
	}
	if (!s->home) {
		err_set(e, "content/_index.md: missing (the home page)");
		goto out;
	}
	ret = 0;
	goto out;
oom:
	err_oom(e);
out:
	buf_free(&url);
	return ret;
}

static int str_field(struct page *p, const char *key, const char **dst, int required, struct err *e)
{
	const struct val *v = val_get(p->fm, key);

	if (!v) {
		if (required)
			return err_at(e, p->src->path, 1, 1, "missing '%s' in front matter", key);
		return 0;
	}
	if (v->type != VAL_STRING)
		return err_at(e, p->src->path, v->line, v->col, "'%s' must be a string, not %s",
		              key, val_type_name(v->type));
	if (required && v->u.str.len == 0)
		return err_at(e, p->src->path, v->line, v->col, "'%s' is empty", key);
	*dst = v->u.str.s;
	return 0;
}

static int bool_field(struct page *p, const char *key, int *dst, struct err *e)
{
	const struct val *v = val_get(p->fm, key);

	if (!v)
		return 0;
	if (v->type != VAL_BOOL)
		return err_at(e, p->src->path, v->line, v->col, "'%s' must be true or false", key);
	*dst = v->u.b;
	return 0;
}

static int check_test(struct page *p, struct err *e)
{
	const char *f = p->src->path;
	const struct val *qs = val_get(p->fm, "questions"), *v;
	size_t i, j;

	v = val_get(p->fm, "pass_mark");
	if (!v || v->type != VAL_INT || v->u.i < 1 || v->u.i > 100)
		return err_at(e, f, v ? v->line : 1, v ? v->col : 1,
		              "'pass_mark' must be a whole percentage from 1 to 100");
	v = val_get(p->fm, "attempts");
	if (!v || v->type != VAL_INT || v->u.i < 1 || v->u.i > 100)
		return err_at(e, f, v ? v->line : 1, v ? v->col : 1,
		              "'attempts' must be a whole number from 1 to 100");
	if (!qs || qs->type != VAL_ARRAY || qs->u.arr.n == 0)
		return err_at(e, f, 1, 1, "a test needs [[questions]]");
	if (qs->u.arr.n > MAX_QUESTIONS)
		return err_at(e, f, qs->line, qs->col, "too many questions (limit %d)",
		              MAX_QUESTIONS);
	for (i = 0; i < qs->u.arr.n; i++) {
		const struct val *q = qs->u.arr.items[i], *as;
		const char *type = val_get_str(q, "type", NULL);
		int line = q->line ? q->line : 1, col = q->line ? q->col : 1;
		size_t correct = 0;

		if (q->type != VAL_TABLE || !val_get_str(q, "text", NULL) ||
		    !*val_get_str(q, "text", ""))
			return err_at(e, f, line, col, "question %zu has no 'text'", i + 1);
		if (!type || (strcmp(type, "single") != 0 && strcmp(type, "multiple") != 0))
			return err_at(e, f, line, col,
			              "question %zu: 'type' must be \"single\" or \"multiple\"",
			              i + 1);
		as = val_get(q, "answers");
		if (!as || as->type != VAL_ARRAY || as->u.arr.n < 2 || as->u.arr.n > MAX_ANSWERS)
			return err_at(e, f, as ? as->line : line, as ? as->col : col,
			              "question %zu needs 2 to %d 'answers'", i + 1, MAX_ANSWERS);
		for (j = 0; j < as->u.arr.n; j++) {
			const struct val *a = as->u.arr.items[j], *c;

			if (a->type != VAL_TABLE || !val_get_str(a, "text", NULL) ||
			    !*val_get_str(a, "text", ""))
				return err_at(e, f, a->line, a->col,
				              "question %zu, answer %zu: needs { text = \"...\" }",
				              i + 1, j + 1);
			c = val_get(a, "correct");
			if (c && c->type != VAL_BOOL)
				return err_at(e, f, c->line, c->col,
				              "'correct' must be true or false");
			correct += c && c->u.b;
		}
		if (strcmp(type, "single") == 0 && correct != 1)
			return err_at(
			    e, f, line, col,
			    "question %zu is \"single\" but has %zu correct answers (needs 1)",
			    i + 1, correct);
		if (correct == 0)
			return err_at(e, f, line, col, "question %zu has no correct answer", i + 1);
	}
	return 0;
}

static int check_office(struct page *p, struct err *e)
{
	const struct val *o = val_get(p->fm, "office");
	static const char *const req[] = {"kind", "name", "street", "postal_code", "city"};
	const char *kind, *pc;
	size_t i;

	if (o->type != VAL_TABLE)
		return err_at(e, p->src->path, o->line, o->col, "'office' must be a table");
	for (i = 0; i < sizeof req / sizeof req[0]; i++)
		if (!val_get_str(o, req[i], NULL) || !*val_get_str(o, req[i], ""))
			return err_at(e, p->src->path, o->line, o->col,
			              "office needs a '%s' string", req[i]);
	kind = val_get_str(o, "kind", "");
	if (strcmp(kind, "siedziba") && strcmp(kind, "filia") && strcmp(kind, "administrator"))
		return err_at(e, p->src->path, val_get(o, "kind")->line, val_get(o, "kind")->col,
		              "office kind must be \"siedziba\", \"filia\" or \"administrator\"");
	pc = val_get_str(o, "postal_code", "");
	if (strlen(pc) != 6 || pc[2] != '-' || strspn(pc, "0123456789") != 2 ||
	    strspn(pc + 3, "0123456789") != 3)
		return err_at(e, p->src->path, val_get(o, "postal_code")->line,
		              val_get(o, "postal_code")->col, "postal code must look like 65-735");
	return 0;
}

/* Parses one page's front matter (or test) and reads its fields. */
static int parse_one(size_t i, int worker, void *arg, struct err *e)
{
	struct site *s = arg;
	struct page *p = s->pages[i];
	const struct rfile *f = p->src;
	const char *fm, *body;

	(void)worker;
	size_t fmlen, bodylen, bad;
	const struct val *v;

	if (!f)
		return 0;
	bad = utf8_check(f->data, f->len);
	if (bad < f->len) {
		int line, col;

		utf8_linecol(f->data, bad, &line, &col);
		return err_at(e, f->path, line, col, "invalid UTF-8");
	}
	if (p->kind == PK_TEST) {
		p->fm = toml_parse(f->data, f->len, f->path, 0, e);
		if (!p->fm)
			return -1;
		if (str_field(p, "title", &p->title, 1, e) < 0)
			return -1;
		return check_test(p, e);
	}
	if (md_split(f->data, f->len, f->path, &fm, &fmlen, &body, &bodylen, &p->body_line, e) < 0)
		return -1;
	p->body_off = (size_t)(body - f->data);
	p->body_len = bodylen;
	if (!fm)
		return err_at(e, f->path, 1, 1,
		              "missing front matter: start the file with '+++', "
		              "a title = \"...\" line and '+++'");
	p->fm = toml_parse(fm, fmlen, f->path, 1, e);
	if (!p->fm)
		return -1;
	if (str_field(p, "title", &p->title, 1, e) < 0 ||
	    str_field(p, "description", &p->description, 0, e) < 0 ||
	    str_field(p, "layout", &p->layout, 0, e) < 0 ||
	    bool_field(p, "draft", &p->draft, e) < 0 || bool_field(p, "toc", &p->toc, e) < 0 ||
	    bool_field(p, "history", &p->history, e) < 0 ||
	    bool_field(p, "notice", &p->notice, e) < 0)
		return -1;
	v = val_get(p->fm, "weight");
	if (v && v->type != VAL_INT)
		return err_at(e, f->path, v->line, v->col, "'weight' must be a whole number");
	p->weight = v ? v->u.i : 0;
	v = val_get(p->fm, "date");
	if (v && v->type != VAL_DATETIME)
		return err_at(e, f->path, v->line, v->col,
		              "'date' must be a TOML date, like 2026-11-22 (no quotes)");
	p->date = v ? v->u.str.s : NULL;
	if (val_get(p->fm, "office")) {
		if (p->kind != PK_PAGE)
			return err_at(e, f->path, 1, 1, "an office must be a page, not a section");
		p->kind = PK_OFFICE;
		if (check_office(p, e) < 0)
			return -1;
	}
	return 0;
}

/* Lower weight first (0: unweighted, after the weighted), then newer date,
 * then title, then path: a total order, so output never depends on qsort. */
static int cmp_pages(const void *a_, const void *b_)
{
	const struct page *a = *(struct page *const *)a_, *b = *(struct page *const *)b_;
	int c;

	if (a->weight != b->weight) {
		if (!a->weight || !b->weight)
			return a->weight ? -1 : 1;
		return a->weight < b->weight ? -1 : 1;
	}
	if (a->date || b->date) {
		if (!a->date || !b->date)
			return a->date ? -1 : 1;
		c = strcmp(b->date, a->date);
		if (c)
			return c;
	}
	c = strcmp(a->title ? a->title : "", b->title ? b->title : "");
	if (c)
		return c;
	return strcmp(a->url, b->url);
}

static int add_child(struct page *parent, struct page *child)
{
	struct page **c = realloc(parent->children, (parent->nchildren + 1) * sizeof *c);

	if (!c)
		return -1;
	parent->children = c;
	c[parent->nchildren++] = child;
	child->parent = parent;
	return 0;
}

/* The section a page belongs to: the nearest _index.md above it. */
static struct page *find_parent(struct site *s, const struct page *p)
{
	struct buf b = BUF_INIT;
	struct page *found = NULL;
	const char *rel = p->rel;
	size_t end = strlen(rel);

	if (p->kind == PK_HOME)
		return NULL;
	/* a section's own folder is not its parent: start above it */
	if (p->kind == PK_SECTION || p->kind == PK_COURSE)
		end -= strlen("/_index.md");
	while (!found) {
		while (end > 0 && rel[end - 1] != '/')
			end--;
		buf_reset(&b);
		buf_add(&b, rel, end);
		buf_puts(&b, "_index.md");
		if (buf_failed(&b))
			break;
		found = strmap_get(&s->by_rel, b.ptr);
		if (end == 0)
			break;
		end--;
	}
	buf_free(&b);
	return found ? found : s->home;
}

static int structure(struct site *s, struct err *e)
{
	size_t i, j, kept = 0;

	/* drafts leave the site entirely: links to them are broken links */
	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i];

		if (p->draft) {
			val_free(p->fm);
			free(p->rel);
			free(p->url);
			free(p);
			continue;
		}
		s->pages[kept++] = p;
	}
	s->npages = kept;
	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i];

		if (strmap_put(&s->by_rel, p->rel, p) < 0)
			return err_oom(e);
		if (strmap_get(&s->by_url, p->url))
			return err_at(e, p->src->path, 0, 0,
			              "URL %s is already used by another page", p->url);
		if (strmap_put(&s->by_url, p->url, p) < 0)
			return err_oom(e);
	}
	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i], *parent = find_parent(s, p);

		if (parent && add_child(parent, p) < 0)
			return err_oom(e);
		if ((p->kind == PK_LESSON || p->kind == PK_TEST) && parent &&
		    parent->kind == PK_COURSE)
			p->course = parent;
		else if (p->kind == PK_LESSON)
			p->kind = PK_PAGE; /* a page in kursy/x/ without a course overview */
		if (p->kind == PK_TEST && !p->course)
			return err_at(e, p->src->path, 0, 0,
			              "a test needs the course overview _index.md beside it");
		if (p->kind == PK_TEST)
			p->course->test = p;
	}
	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i];
		struct page *prev = NULL;
		int n = 0;

		if (!p->nchildren)
			continue;
		qsort(p->children, p->nchildren, sizeof *p->children, cmp_pages);
		for (j = 0; j < p->nchildren; j++) {
			struct page *c = p->children[j];

			/* prev/next link pages of one section; subsections and the
			 * test (which follows the last lesson) stay out */
			if (c->kind == PK_TEST || c->kind == PK_SECTION || c->kind == PK_COURSE)
				continue;
			c->prev = prev;
			if (prev)
				prev->next = c;
			prev = c;
			if (c->kind == PK_LESSON)
				c->lesson_n = ++n;
		}
		p->nlessons = (size_t)n;
	}
	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i];

		if (p->kind == PK_LESSON)
			p->nlessons = p->course->nlessons;
		if (p->kind == PK_OFFICE) {
			struct page **o = realloc(s->offices, (s->noffices + 1) * sizeof *o);

			if (!o)
				return err_oom(e);
			s->offices = o;
			o[s->noffices++] = p;
		}
	}
	qsort(s->offices, s->noffices, sizeof *s->offices, cmp_pages);
	return 0;
}

static void dates(struct site *s)
{
	const struct repo *r = s->repo;
	size_t i;

	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i];
		const struct rfile *f = p->src;

		if (!f || f->nhist == 0) {
			/* not committed yet (a --worktree preview): the build's commit */
			p->created = p->lastmod = r->head.time;
			p->created_off = p->lastmod_off = r->head.offset;
			continue;
		}
		p->lastmod = r->commits[f->hist[0]].time;
		p->lastmod_off = r->commits[f->hist[0]].offset;
		p->created = r->commits[f->hist[f->nhist - 1]].time;
		p->created_off = r->commits[f->hist[f->nhist - 1]].offset;
	}
}

static int history_pages(struct site *s, struct err *e)
{
	size_t i, n = s->npages;
	struct buf url = BUF_INIT;
	long long days = val_get_int(s->config, "change_notice_days", 30);

	for (i = 0; i < n; i++) {
		struct page *p = s->pages[i], *h;

		if (p->notice && s->repo->head.time - p->lastmod <= days * 86400 &&
		    (!s->notice || p->lastmod > s->notice->lastmod))
			s->notice = p;
		if (!p->history && !p->notice)
			continue;
		buf_reset(&url);
		buf_puts(&url, p->url);
		buf_puts(&url, "historia/");
		if (buf_failed(&url) || !(h = new_page(s, PK_HISTORY, NULL, NULL, url.ptr)))
			goto oom;
		if (strmap_get(&s->by_url, h->url)) {
			err_at(e, p->src->path, 0, 0, "URL %s of its change history is taken",
			       h->url);
			goto fail;
		}
		if (strmap_put(&s->by_url, h->url, h) < 0)
			goto oom;
		h->of = p;
		h->title = p->title;
		h->parent = p->parent;
		h->created = p->created;
		h->created_off = p->created_off;
		h->lastmod = p->lastmod;
		h->lastmod_off = p->lastmod_off;
		p->history_page = h;
	}
	buf_free(&url);
	return 0;
oom:
	err_oom(e);
fail:
	buf_free(&url);
	return -1;
}

int site_markdown(struct site *s, struct page *p, struct err *e)
{
	struct link_ctx lc = {s, p};
	struct md_opts o;

	if (!p->src || p->kind == PK_TEST)
		return 0;
	memset(&o, 0, sizeof o);
	o.file = p->src->path;
	o.line_offset = p->body_line;
	o.unsafe = s->unsafe;
	o.utf8_checked = 1; /* parse_one did */
	o.link = link_resolve;
	o.link_ctx = &lc;
	o.shortcode = shortcode_render;
	o.sc_ctx = &lc;
	/* parse_one split the file already */
	return md_render(p->src->data + p->body_off, p->body_len, &o, &p->doc, e);
}

int site_check_anchors(struct site *s, struct err *e)
{
	size_t i, j, k;

	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i];

		for (j = 0; j < p->nanchors; j++) {
			const struct anchor_ref *a = &p->anchors[j];
			const struct page *t = a->target;
			int found = 0;

			for (k = 0; k < t->doc.nheadings && !found; k++)
				found = strcmp(t->doc.headings[k].id, a->anchor) == 0;
			if (!found && t->kind == PK_TEST) {
				/* a test's anchors are its questions, #q1 .. #qN */
				const struct val *qs = val_get(t->fm, "questions");
				char *end = NULL;
				unsigned long q = a->anchor[0] == 'q' && a->anchor[1] >= '1' &&
				                          a->anchor[1] <= '9'
				                      ? strtoul(a->anchor + 1, &end, 10)
				                      : 0;

				found = q >= 1 && *end == '\0' && q <= qs->u.arr.n;
			}
			if (!found)
				return err_at(e, p->src->path, a->line, a->col,
				              "link to a missing anchor '#%s' in %s", a->anchor,
				              t->src ? t->src->path : t->url);
		}
	}
	return 0;
}

int site_load(struct site *s, struct repo *r, int jobs, struct err *e)
{
	const struct rfile *cfg = repo_file(r, "site.toml");
	const char *theme;

	memset(s, 0, sizeof *s);
	s->repo = r;
	s->jobs = jobs;
	s->phase_start = mono();
	if (!cfg)
		return err_set(e, "site.toml: not found in the commit");
	if (utf8_check(cfg->data, cfg->len) < cfg->len)
		return err_at(e, "site.toml", 0, 0, "invalid UTF-8");
	s->config = toml_parse(cfg->data, cfg->len, "site.toml", 0, e);
	if (!s->config)
		return -1;
	theme = val_get_str(s->config, "theme", "default");
	s->unsafe = val_get_bool(s->config, "unsafe_html", 0);
	{
		/* "https://x.pl/" and "https://x.pl" mean the same: URLs are
		 * base_url + "/path/", so the base keeps no final slash */
		struct val *b = val_get(s->config, "base_url");

		if (b && b->type != VAL_STRING)
			return err_at(e, "site.toml", b->line, b->col,
			              "'base_url' must be a string");
		while (b && b->u.str.len > 0 && b->u.str.s[b->u.str.len - 1] == '/')
			b->u.str.s[--b->u.str.len] = '\0';
		s->base_url = b ? b->u.str.s : "";
	}
	if (!val_get_str(s->config, "title", NULL))
		return err_at(e, "site.toml", 1, 1, "missing 'title'");
	s->theme = theme_load(r, theme, e);
	if (!s->theme)
		return -1;
	site_phase(s, "config and theme");
	if (collect(s, e) < 0)
		return -1;
	if (par_run(s->npages, jobs, parse_one, s, e) < 0)
		return -1;
	site_phase(s, "front matter");
	if (structure(s, e) < 0)
		return -1;
	dates(s);
	if (history_pages(s, e) < 0 || render_base(s, e) < 0)
		return -1;
	site_phase(s, "site model");
	return 0;
}

void site_free(struct site *s)
{
	size_t i, j;

	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i];

		val_free(p->fm);
		free(p->rel);
		free(p->url);
		free(p->children);
		md_doc_free(&p->doc);
		for (j = 0; j < p->nanchors; j++)
			free(p->anchors[j].anchor);
		free(p->anchors);
		free(p);
	}
	free(s->pages);
	free(s->offices);
	strmap_free(&s->by_rel);
	strmap_free(&s->by_url);
	strmap_free(&s->statics);
	theme_free(s->theme);
	val_free(s->base);
	val_free(s->config);
	memset(s, 0, sizeof *s);
}
