#include "site.h"

#include "clock.h"
#include "parallel.h"
#include "toml.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTENT "content/"
#define CONTENT_LEN 8
#define MAX_QUESTIONS 200
#define MAX_ANSWERS 8
#define OFFICES "urzedy/"

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

/* 1 if the content file `rel` is a page's source (Markdown, or a course's
 * test.toml), 0 if it is published as it is. */
static int is_page_source(const char *rel)
{
	size_t l = strlen(rel);
	const char *base = strrchr(rel, '/');

	base = base ? base + 1 : rel;
	return (l > 3 && strcmp(rel + l - 3, ".md") == 0) ||
	       (strcmp(base, "test.toml") == 0 && is_course_dir(rel));
}

/* Sorts the snapshot's content files into pages and files published as
 * they are (left for list_outputs). */
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
			continue; /* a file published as it is */
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
	    bool_field(p, "notice", &p->notice, e) < 0 ||
	    bool_field(p, "versions", &p->versions, e) < 0)
		return -1;
	/* a document whose changes are announced keeps its past versions readable */
	p->versions |= p->notice;
	v = val_get(p->fm, "weight");
	if (v && v->type != VAL_INT)
		return err_at(e, f->path, v->line, v->col, "'weight' must be a whole number");
	p->weight = v ? v->u.i : 0;
	v = val_get(p->fm, "date");
	if (v && v->type != VAL_DATETIME)
		return err_at(e, f->path, v->line, v->col,
		              "'date' must be a TOML date, like 2026-11-22 (no quotes)");
	p->date = v ? v->u.str.s : NULL;
	if ((v = val_get(p->fm, "office")) != NULL) {
		/* an office's slug (its file name) is how forms and the office
		 * shortcode name it: offices live in content/urzedy/, one file each */
		const char *slug = p->rel + strlen(OFFICES);

		if (p->kind != PK_PAGE || strncmp(p->rel, OFFICES, strlen(OFFICES)) != 0 ||
		    strchr(slug, '/'))
			return err_at(e, f->path, v->line ? v->line : 1, v->line ? v->col : 1,
			              "an office page must be a file directly in content/%s "
			              "(content/%sSLUG.md)",
			              OFFICES, OFFICES);
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
	if (s->noffices > 1) /* qsort must not be given NULL, even for no items */
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
		p->lastmod = r->commits[f->hist[0].commit].time;
		p->lastmod_off = r->commits[f->hist[0].commit].offset;
		p->created = r->commits[f->hist[f->nhist - 1].commit].time;
		p->created_off = r->commits[f->hist[f->nhist - 1].commit].offset;
	}
}

/* A page generated for document `of`, at of->url + `suffix`. */
static struct page *derived(struct site *s, enum page_kind kind, struct page *of,
                            const char *suffix)
{
	struct buf url = BUF_INIT;
	struct page *h = NULL;

	buf_puts(&url, of->url);
	buf_puts(&url, suffix);
	if (!buf_failed(&url))
		h = new_page(s, kind, NULL, NULL, url.ptr);
	buf_free(&url);
	if (!h)
		return NULL;
	h->of = of;
	h->title = of->title;
	h->parent = of->parent;
	h->created = of->created;
	h->created_off = of->created_off;
	h->lastmod = of->lastmod;
	h->lastmod_off = of->lastmod_off;
	return h;
}

/* The folder name of version `i` of f: the commit's date and short id
 * ("wersje/2026-11-22-abc1234/"), stable for as long as history is. */
static void version_suffix(struct buf *b, const struct repo *r, const struct rfile *f, size_t i)
{
	const struct rcommit *c = &r->commits[f->hist[i].commit];

	buf_puts(b, "wersje/");
	fmt_date(b, c->time, c->offset);
	buf_printf(b, "-%.7s/", c->id);
}

/* Every committed version of a document, newest first, each with the
 * comparison with the one before it (the oldest has none). */
static int version_pages(struct site *s, struct page *p, struct err *e)
{
	const struct rfile *f = p->src;
	struct buf suffix = BUF_INIT;
	size_t i;

	if (!f->nhist)
		return 0;
	p->version_pages = calloc(f->nhist, sizeof *p->version_pages);
	if (!p->version_pages)
		return err_oom(e);
	p->nversions = f->nhist;
	for (i = 0; i < f->nhist; i++) {
		const struct rcommit *c = &s->repo->commits[f->hist[i].commit];
		struct page *v;

		buf_reset(&suffix);
		version_suffix(&suffix, s->repo, f, i);
		if (buf_failed(&suffix) || !(v = derived(s, PK_VERSION, p, suffix.ptr)))
			goto oom;
		v->ver = i;
		v->lastmod = c->time;
		v->lastmod_off = c->offset;
		p->version_pages[i] = v;
		if (i + 1 < f->nhist) {
			buf_puts(&suffix, "zmiany/");
			if (buf_failed(&suffix) ||
			    !(v->compare = derived(s, PK_COMPARE, p, suffix.ptr)))
				goto oom;
			v->compare->ver = i;
			v->compare->lastmod = c->time;
			v->compare->lastmod_off = c->offset;
		}
	}
	buf_free(&suffix);
	return 0;
oom:
	buf_free(&suffix);
	return err_oom(e);
}

/* Change histories and versions of the documents that keep them, and the
 * document whose recent change every page announces. */
static int history_pages(struct site *s, struct err *e)
{
	size_t i, n = s->npages;
	long long days = val_get_int(s->config, "change_notice_days", 30);

	for (i = 0; i < n; i++) {
		struct page *p = s->pages[i];

		if (p->notice && s->repo->head.time - p->lastmod <= days * 86400 &&
		    (!s->notice || p->lastmod > s->notice->lastmod))
			s->notice = p;
		if (!p->history && !p->versions)
			continue;
		if (!(p->history_page = derived(s, PK_HISTORY, p, "historia/")))
			return err_oom(e);
		if (p->versions && version_pages(s, p, e) < 0)
			return -1;
	}
	return 0;
}

/* ---- outputs ------------------------------------------------------------ */

/* Records that `source` writes public/`path` (`plen` bytes), failing when
 * something else writes it already: the message names both. */
static int add_output(struct site *s, const char *path, size_t plen, enum out_kind kind,
                      const char *source, int line, int col, struct page *page,
                      const struct rfile *file, struct err *e)
{
	struct output *o;
	const struct output *old = strmap_getn(&s->by_path, path, plen);

	if (old) {
		if (old->line)
			return err_at(e, source, line, col,
			              "public%.*s would be written twice: here and by %s:%d:%d",
			              (int)plen, path, old->source, old->line, old->col);
		return err_at(e, source, line, col,
		              "public%.*s would be written twice: here and by %s", (int)plen, path,
		              old->source);
	}
	o = &s->outputs[s->noutputs];
	memset(o, 0, sizeof *o);
	o->path = strndup(path, plen);
	if (!o->path)
		return err_oom(e);
	s->noutputs++;
	o->kind = kind;
	o->source = source;
	o->line = line;
	o->col = col;
	o->page = page;
	o->file = file;
	return strmap_putn(&s->by_path, o->path, plen, o) < 0 ? err_oom(e) : 0;
}

/* A stylesheet of the theme ("/css/a.css") is also published under a name
 * that carries its content's hash ("/css/a.3f2a9c1e.css": the start of
 * its git blob id), which the pages link, so that it can be cached for
 * ever and a new version is a new URL. Other files: nothing. */
static int add_fingerprinted(struct site *s, const struct rfile *f, const char *path, struct buf *b,
                             struct err *e)
{
	size_t n = strlen(path), i;
	struct output *o;
	char *key;

	if (n < 5 || strcmp(path + n - 4, ".css") != 0 || strlen(f->oid) < 8)
		return 0;
	buf_reset(b);
	buf_printf(b, "%.*s.%.8s.css", (int)(n - 4), path, f->oid);
	key = strdup(path + 1);
	if (buf_failed(b) || !key) {
		free(key);
		return err_oom(e);
	}
	for (i = 0; key[i]; i++)
		if (key[i] == '.' || key[i] == '/' || key[i] == '-')
			key[i] = '_';
	if (add_output(s, b->ptr, b->len, OUT_THEME_STATIC, f->path, 0, 0, NULL, f, e) < 0) {
		free(key);
		return -1;
	}
	o = &s->outputs[s->noutputs - 1];
	o->asset = key;
	return 0;
}

/* The file a page writes: its URL + "index.html". */
static int add_page_output(struct site *s, struct page *p, struct buf *b, struct err *e)
{
	buf_reset(b);
	buf_puts(b, p->url);
	buf_puts(b, "index.html");
	if (buf_failed(b))
		return err_oom(e);
	return add_output(s, b->ptr, b->len, OUT_PAGE, p->src ? p->src->path : p->of->src->path, 0,
	                  0, p, NULL, e);
}

/* Old URLs (front matter `aliases`) become redirect pages: "/stary" and
 * "/stary/" both write public/stary/index.html. */
static int add_aliases(struct site *s, struct page *p, struct buf *b, struct err *e)
{
	const struct val *al = p->fm ? val_get(p->fm, "aliases") : NULL;
	size_t k;

	if (!al)
		return 0;
	if (al->type != VAL_ARRAY)
		return err_at(e, p->src->path, al->line, al->col,
		              "'aliases' must be an array of \"/old/url/\" strings");
	for (k = 0; k < al->u.arr.n; k++) {
		const struct val *a = al->u.arr.items[k];

		if (a->type != VAL_STRING || a->u.str.s[0] != '/' || strstr(a->u.str.s, "..") ||
		    strstr(a->u.str.s, "//") || strpbrk(a->u.str.s, "?#\"<>\\ ") ||
		    strlen(a->u.str.s) != a->u.str.len)
			return err_at(e, p->src->path, a->line, a->col,
			              "alias must be a path like \"/stary/adres/\" (no '..', '?', "
			              "'#')");
		buf_reset(b);
		buf_puts(b, a->u.str.s);
		if (b->ptr[b->len - 1] != '/')
			buf_putc(b, '/');
		buf_puts(b, "index.html");
		if (buf_failed(b))
			return err_oom(e);
		if (add_output(s, b->ptr, b->len, OUT_ALIAS, p->src->path, a->line, a->col, p, NULL,
		               e) < 0)
			return -1;
	}
	return 0;
}

/* Fills s->outputs with every file the build writes below public/, in a
 * fixed order (so the same commit always reports the same clash). */
static int list_outputs(struct site *s, struct err *e)
{
	static const char *const generated[][2] = {
	    {"/sitemap.xml", "the sitemap"},
	    {"/robots.txt", "robots.txt"},
	    {"/zmiany.xml", "the feed of document changes"},
	    {"/404.html", "the 404 page"},
	};
	/* the [forms] keys whose path formd answers with a page (GET) */
	static const char *const formd_pages[] = {"account", "password_reset", "certificate",
	                                          "welcome"};
	const struct repo *r = s->repo;
	struct buf b = BUF_INIT;
	size_t i, cap, dl = strlen(s->theme->dir) + strlen("static");
	int ret = -1;

	/* pages, forums, theme files and stylesheets' fingerprinted copies,
	 * formd's pages, ... */
	cap = 2 * s->npages + 2 * s->ntheme_statics + r->nfiles + 4 +
	      sizeof formd_pages / sizeof formd_pages[0];
	for (i = 0; i < s->npages; i++) {
		const struct val *al = s->pages[i]->fm ? val_get(s->pages[i]->fm, "aliases") : NULL;

		cap += al && al->type == VAL_ARRAY ? al->u.arr.n : 0;
	}
	s->outputs = calloc(cap, sizeof *s->outputs);
	if (!s->outputs)
		return err_oom(e);
	/* what the build always writes first, so a clash names the content
	 * or theme file that takes its place */
	for (i = 0; i < sizeof generated / sizeof generated[0]; i++)
		if (add_output(s, generated[i][0], strlen(generated[i][0]), OUT_GENERATED,
		               generated[i][1], 0, 0, NULL, NULL, e) < 0)
			goto out;
	for (i = 0; i < s->npages; i++)
		if (add_page_output(s, s->pages[i], &b, e) < 0)
			goto out;
	for (i = 0; i < s->npages; i++)
		if (add_aliases(s, s->pages[i], &b, e) < 0)
			goto out;
	/* each course's forum is formd's (forum.h): the build writes nothing
	 * there, but links to it, and nothing else may take its address */
	for (i = 0; i < s->npages; i++) {
		const struct page *p = s->pages[i];

		if (p->kind != PK_COURSE)
			continue;
		buf_reset(&b);
		buf_printf(&b, "%sforum/index.html", p->url);
		if (buf_failed(&b)) {
			err_oom(e);
			goto out;
		}
		if (add_output(s, b.ptr, b.len, OUT_FORMD, "the course forum (formd)", 0, 0, NULL,
		               NULL, e) < 0)
			goto out;
	}
	/* the pages formd answers at a [forms] path (not the POST-only
	 * ones): pages may link them, nothing else may take them */
	for (i = 0; i < sizeof formd_pages / sizeof formd_pages[0]; i++) {
		const char *url = val_get_str(val_get(s->config, "forms"), formd_pages[i], NULL);

		if (url && *url == '/' &&
		    add_output(s, url, strlen(url), OUT_FORMD, "site.toml [forms] (formd)", 0, 0,
		               NULL, NULL, e) < 0)
			goto out;
	}
	for (i = 0; i < s->ntheme_statics; i++) {
		const struct rfile *f = s->theme_statics[i]; /* "themes/x/static/a.css" */

		if (add_output(s, f->path + dl, strlen(f->path + dl), OUT_THEME_STATIC, f->path, 0,
		               0, NULL, f, e) < 0 ||
		    add_fingerprinted(s, f, f->path + dl, &b, e) < 0)
			goto out;
	}
	for (i = 0; i < r->nfiles; i++) {
		const struct rfile *f = &r->files[i];

		if (strncmp(f->path, CONTENT, CONTENT_LEN) != 0 ||
		    is_page_source(f->path + CONTENT_LEN))
			continue;
		if (add_output(s, f->path + CONTENT_LEN - 1, strlen(f->path + CONTENT_LEN - 1),
		               OUT_CONTENT_STATIC, f->path, 0, 0, NULL, f, e) < 0)
			goto out;
	}
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

const struct output *site_find_url(const struct site *s, const char *url, size_t len)
{
	struct buf b = BUF_INIT;
	const struct output *o = NULL;

	if (len == 0 || url[0] != '/')
		return NULL;
	if (url[len - 1] != '/')
		o = strmap_getn(&s->by_path, url, len);
	if (!o) {
		buf_add(&b, url, len);
		if (url[len - 1] != '/')
			buf_putc(&b, '/');
		buf_puts(&b, "index.html");
		if (!buf_failed(&b))
			o = strmap_getn(&s->by_path, b.ptr, b.len);
		buf_free(&b);
	}
	return o;
}

int site_read_retention(const struct val *config, struct retention **out, struct err *e)
{
	const struct val *t = val_get(config, "retention");
	struct buf known = BUF_INIT;
	size_t i;
	int ret = -1;

	*out = calloc(retention_kinds_n, sizeof **out);
	if (!*out)
		return err_oom(e);
	if (!t)
		return 0;
	if (t->type != VAL_TABLE)
		return err_at(e, "site.toml", t->line, t->col,
		              "'retention' must be a table: [retention] with lines like "
		              "contacts = \"30 dni\"");
	for (i = 0; i < retention_kinds_n; i++)
		buf_printf(&known, "%s%s", i ? ", " : "", retention_kinds[i].key);
	if (buf_failed(&known))
		return err_oom(e);
	for (i = 0; i < t->u.tab.n; i++) {
		const struct val_kv *kv = &t->u.tab.kv[i];
		const struct val *v = kv->v;
		struct err pe = {{0}, ERR_NONE};
		int k = strlen(kv->key) == kv->klen ? retention_kind_find(kv->key) : -1;

		if (k < 0) {
			err_at(e, "site.toml", v->line, v->col,
			       "retention.%s: unknown kind of data (the kinds: %s)", kv->key,
			       known.ptr);
			goto out;
		}
		if (v->type != VAL_STRING) {
			err_at(e, "site.toml", v->line, v->col,
			       "retention.%s: must be a period in quotes, like \"5 lat\", or \"\" "
			       "for none (not %s)",
			       kv->key, val_type_name(v->type));
			goto out;
		}
		if (strlen(v->u.str.s) != v->u.str.len) {
			err_at(e, "site.toml", v->line, v->col,
			       "retention.%s: a NUL character in the period", kv->key);
			goto out;
		}
		if (retention_parse(v->u.str.s, &(*out)[k], &pe) < 0) {
			err_at(e, "site.toml", v->line, v->col, "retention.%s: %s", kv->key,
			       pe.msg);
			goto out;
		}
	}
	ret = 0;
out:
	buf_free(&known);
	return ret;
}

/* The [forms] keys formd answers with a page of the site: when a form's
 * input is wrong formd renders that page again with the errors (and the
 * login page also asks a visitor of a test or forum to log in first). It
 * finds the page by its layout in private/pages.json; formd/pages.c
 * refuses a build without it with the same table. */
static const char *const form_layouts[][2] = {
    {"contact", "form-contact"},
    {"register", "form-register"},
    {"login", "form-login"},
    {"rights", "form-rights"},
};

/* The column (1-based) of the first character on line `line` of `text`
 * that is not a space or a tab: where a "key = value" line's key starts.
 * 1 when the line is not found. */
static int key_col(const char *text, size_t len, int line)
{
	size_t i = 0;
	int l = 1, col = 1;

	while (i < len && l < line)
		if (text[i++] == '\n')
			l++;
	if (l != line)
		return 1;
	while (i < len && (text[i] == ' ' || text[i] == '\t')) {
		i++;
		col++;
	}
	return col;
}

/* Every [forms] key of form_layouts set to a path needs a page with its
 * layout (front matter `layout = "form-..."`; no page kind is named
 * form-*, so the front matter is the only way to have one). The error
 * names the key's line in site.toml. */
static int check_form_pages(const struct site *s, const struct rfile *cfg, struct err *e)
{
	const struct val *forms = val_get(s->config, "forms");
	size_t i, k;

	if (!forms || forms->type != VAL_TABLE)
		return 0;
	for (k = 0; k < sizeof form_layouts / sizeof form_layouts[0]; k++) {
		const struct val *v = val_get(forms, form_layouts[k][0]);
		int found = 0;

		/* formd takes only string paths (forms.json); "" turns a form off */
		if (!v || v->type != VAL_STRING || v->u.str.len == 0)
			continue;
		for (i = 0; i < s->npages && !found; i++)
			found = s->pages[i]->layout &&
			        strcmp(s->pages[i]->layout, form_layouts[k][1]) == 0;
		if (!found)
			return err_at(
			    e, "site.toml", v->line, key_col(cfg->data, cfg->len, v->line),
			    "forms.%s = \"%s\" needs a page with layout %s, and none has it",
			    form_layouts[k][0], v->u.str.s, form_layouts[k][1]);
	}
	return 0;
}

/* The theme named in site.toml, from the snapshot's themes/NAME/. */
static int load_theme(struct site *s, struct err *e)
{
	const char *name = val_get_str(s->config, "theme", "default");
	const struct repo *r = s->repo;
	struct theme_file *files = malloc((r->nfiles + 1) * sizeof *files);
	struct buf dir = BUF_INIT, st = BUF_INIT;
	size_t i, n = 0;
	int ret = -1;

	buf_printf(&dir, "themes/%s/", name);
	buf_printf(&st, "themes/%s/static/", name);
	s->theme_statics = malloc((r->nfiles + 1) * sizeof *s->theme_statics);
	if (!files || !s->theme_statics || buf_failed(&dir) || buf_failed(&st)) {
		err_oom(e);
		goto out;
	}
	if (strchr(name, '/') || name[0] == '.' || !name[0]) {
		err_at(e, "site.toml", 0, 0, "theme '%s' is not a folder name in themes/", name);
		goto out;
	}
	for (i = 0; i < r->nfiles; i++) {
		const struct rfile *f = &r->files[i];

		if (strncmp(f->path, st.ptr, st.len) == 0) {
			s->theme_statics[s->ntheme_statics++] = f;
		} else if (strncmp(f->path, dir.ptr, dir.len) == 0) {
			files[n].path = f->path;
			files[n].data = f->data;
			files[n++].len = f->len;
		}
	}
	s->theme = theme_load(dir.ptr, files, n, e);
	ret = s->theme ? 0 : -1;
out:
	free(files);
	buf_free(&dir);
	buf_free(&st);
	return ret;
}

int site_load(struct site *s, struct repo *r, int jobs, struct phases *ph, struct err *e)
{
	const struct rfile *cfg = repo_file(r, "site.toml");
	const struct val *b;

	memset(s, 0, sizeof *s);
	s->repo = r;
	s->jobs = jobs;
	if (!cfg)
		return err_set(e, "site.toml: not found in the commit");
	if (utf8_check(cfg->data, cfg->len) < cfg->len)
		return err_at(e, "site.toml", 0, 0, "invalid UTF-8");
	s->config = toml_parse(cfg->data, cfg->len, "site.toml", 0, e);
	if (!s->config)
		return -1;
	s->unsafe = val_get_bool(s->config, "unsafe_html", 0);
	/* "https://x.pl/" and "https://x.pl" mean the same: URLs are
	 * base_url + "/path/", so the base keeps no final slash */
	b = val_get(s->config, "base_url");
	if (b && b->type != VAL_STRING)
		return err_at(e, "site.toml", b->line, b->col, "'base_url' must be a string");
	s->base_url = strdup(b ? b->u.str.s : "");
	if (!s->base_url)
		return err_oom(e);
	{
		size_t l = strlen(s->base_url);

		while (l > 0 && s->base_url[l - 1] == '/')
			s->base_url[--l] = '\0';
	}
	if (!val_get_str(s->config, "title", NULL))
		return err_at(e, "site.toml", 1, 1, "missing 'title'");
	if (site_read_retention(s->config, &s->retention, e) < 0)
		return -1;
	if (load_theme(s, e) < 0)
		return -1;
	phases_mark(ph, "config and theme");
	if (collect(s, e) < 0)
		return -1;
	if (par_run(s->npages, jobs, parse_one, s, e) < 0)
		return -1;
	phases_mark(ph, "front matter");
	if (structure(s, e) < 0 || check_form_pages(s, cfg, e) < 0)
		return -1;
	dates(s);
	if (history_pages(s, e) < 0 || list_outputs(s, e) < 0)
		return -1;
	phases_mark(ph, "site model");
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
		free(p->version_pages);
		free(p->vsrc);
		val_free(p->vconfig);
		free(p->vretention);
		md_doc_free(&p->doc);
		for (j = 0; j < p->nanchors; j++)
			free(p->anchors[j].anchor);
		free(p->anchors);
		free(p);
	}
	for (i = 0; i < s->noutputs; i++) {
		free(s->outputs[i].path);
		free(s->outputs[i].asset);
	}
	free(s->outputs);
	free(s->pages);
	free(s->offices);
	free(s->theme_statics);
	strmap_free(&s->by_rel);
	strmap_free(&s->by_path);
	theme_free(s->theme);
	free(s->retention);
	val_free(s->config);
	free(s->base_url);
	memset(s, 0, sizeof *s);
}
