#define _GNU_SOURCE
#include "markdown.h"

#include "escape.h"
#include "slug.h"
#include "utf8.h"

#include <cmark.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Placeholders stand for shortcodes while cmark parses: plain letters and
 * digits, so cmark leaves them alone, then replaced in the HTML. */
#define SC_MARK "okscz"

/* ---- a per-page arena for cmark's allocations ------------------------
 * cmark makes thousands of small allocations per page (nodes, buffers);
 * from an arena they cost a pointer bump, and the whole page's memory goes
 * back in a few free() calls when the page is done. cmark's allocator
 * hooks take no context, so the arena is per thread. */

#define ARENA_CHUNK (256u << 10)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

static _Thread_local struct chunk *arena_head;
static _Thread_local int arena_failed;

/* each block is preceded by its size, so realloc can copy */
struct blk {
	size_t size;
	size_t pad;
};

static void *arena_alloc(size_t size)
{
	struct chunk *c = arena_head;
	size_t need = (sizeof(struct blk) + size + 15) & ~(size_t)15;
	struct blk *b;

	if (size > MD_MAX_SIZE * 16u) {
		arena_failed = 1;
		return NULL;
	}
	if (!c || c->cap - c->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		c = malloc(sizeof *c + cap);
		if (!c) {
			arena_failed = 1;
			return NULL;
		}
		c->next = arena_head;
		c->used = 0;
		c->cap = cap;
		arena_head = c;
	}
	b = (struct blk *)(void *)(c->data + c->used);
	c->used += need;
	b->size = size;
	return b + 1;
}

static void *arena_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		arena_failed = 1;
		return NULL;
	}
	p = arena_alloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static void *arena_realloc(void *old, size_t size)
{
	struct blk *b;
	void *p;

	if (!old)
		return arena_alloc(size);
	b = (struct blk *)old - 1;
	if (size <= b->size)
		return old;
	p = arena_alloc(size);
	if (p)
		memcpy(p, old, b->size);
	return p;
}

static void arena_free(void *p)
{
	(void)p;
}

static void arena_release(void)
{
	while (arena_head) {
		struct chunk *next = arena_head->next;

		free(arena_head);
		arena_head = next;
	}
	arena_failed = 0;
}

static cmark_mem arena_mem = {arena_calloc, arena_realloc, arena_free};

struct sc_list {
	struct md_sc *v;
	size_t n;
};

struct ctx {
	const struct md_opts *o;
	struct md_doc *doc;
	struct err *e;
	struct buf tmp;
	int last_level;
	int failed;
};

int md_split(const char *text, size_t len, const char *file, const char **fm, size_t *fmlen,
             const char **body, size_t *bodylen, int *body_line, struct err *e)
{
	size_t i, line_start;
	int line = 1;

	*fm = NULL;
	*fmlen = 0;
	*body = text;
	*bodylen = len;
	*body_line = 0;
	if (len < 3 || memcmp(text, "+++", 3) != 0)
		return 0;
	i = 3;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
		i++;
	if (i < len && text[i] != '\n')
		return 0;
	i++;
	line = 2;
	*fm = text + i;
	while (i < len) {
		line_start = i;
		while (i < len && text[i] != '\n')
			i++;
		if (i - line_start >= 3 && memcmp(text + line_start, "+++", 3) == 0) {
			size_t k = line_start + 3;

			while (k < i && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'))
				k++;
			if (k == i) {
				*fmlen = (size_t)(text + line_start - *fm);
				if (i < len)
					i++;
				*body = text + i;
				*bodylen = len - i;
				*body_line = line;
				return 0;
			}
		}
		if (i < len)
			i++;
		line++;
	}
	return err_at(e, file, 1, 1, "front matter opened with '+++' is never closed");
}

static void sc_free(struct sc_list *l)
{
	size_t i;
	int k;

	for (i = 0; i < l->n; i++)
		for (k = 0; k < l->v[i].nargs; k++)
			free(l->v[i].args[k].value);
	free(l->v);
}

/* Parses one call starting after "{{<" at p; returns the end (after ">}}")
 * or NULL with e set. */
static const char *sc_parse(const char *p, const char *end, struct md_sc *sc, const char *file,
                            int line, int col, struct err *e)
{
	size_t n = 0;

	while (p < end && *p == ' ')
		p++;
	while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '_')) {
		if (n + 1 >= sizeof sc->name)
			return err_at(e, file, line, col, "shortcode name too long"), NULL;
		sc->name[n++] = *p++;
	}
	sc->name[n] = '\0';
	if (n == 0)
		return err_at(e, file, line, col, "shortcode without a name"), NULL;
	for (;;) {
		const char *q;
		size_t kl = 0;
		char key[32] = "";

		while (p < end && *p == ' ')
			p++;
		if (end - p >= 3 && memcmp(p, ">}}", 3) == 0)
			return p + 3;
		if (p < end && isalpha((unsigned char)*p)) {
			while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '-')) {
				if (kl + 1 >= sizeof key)
					return err_at(e, file, line, col,
					              "shortcode argument name too long"),
					       NULL;
				key[kl++] = *p++;
			}
			key[kl] = '\0';
			if (p >= end || *p != '=')
				return err_at(e, file, line, col,
				              "expected '=' after '%s' in shortcode", key),
				       NULL;
			p++;
		}
		if (p >= end || *p != '"')
			return err_at(e, file, line, col,
			              "expected a \"quoted\" argument or '>}}' in shortcode '%s'",
			              sc->name),
			       NULL;
		q = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (!q)
			return err_at(e, file, line, col, "unterminated string in shortcode '%s'",
			              sc->name),
			       NULL;
		if (sc->nargs == MD_MAX_SC_ARGS)
			return err_at(e, file, line, col, "too many arguments in shortcode '%s'",
			              sc->name),
			       NULL;
		memcpy(sc->args[sc->nargs].key, key, kl + 1);
		sc->args[sc->nargs].value = strndup(p + 1, (size_t)(q - p - 1));
		if (!sc->args[sc->nargs].value)
			return err_oom(e), NULL;
		sc->nargs++;
		p = q + 1;
	}
}

/* Copies text to out with each shortcode call replaced by a placeholder. */
static int sc_extract(const char *text, size_t len, const char *file, int line_offset,
                      struct buf *out, struct sc_list *l, struct err *e)
{
	const char *p = text, *end = text + len, *s;

	while ((s = memmem(p, (size_t)(end - p), "{{<", 3)) != NULL) {
		struct md_sc *sc;
		const char *ls = s, *after, *le;
		int line, col;

		utf8_linecol(text, (size_t)(s - text), &line, &col);
		line += line_offset;
		if (l->n == MD_MAX_SHORTCODES)
			return err_at(e, file, line, col, "too many shortcodes (limit %d)",
			              MD_MAX_SHORTCODES);
		sc = realloc(l->v, (l->n + 1) * sizeof *sc);
		if (!sc)
			return err_oom(e);
		l->v = sc;
		sc = &l->v[l->n++];
		memset(sc, 0, sizeof *sc);
		sc->line = line;
		sc->col = col;
		after = sc_parse(s + 3, end, sc, file, line, col, e);
		if (!after)
			return -1;
		while (ls > text && ls[-1] != '\n')
			ls--;
		le = after;
		while (le < end && (*le == ' ' || *le == '\t' || *le == '\r'))
			le++;
		sc->block = ls == s && (le == end || *le == '\n');
		buf_add(out, p, (size_t)(s - p));
		buf_printf(out,
		           SC_MARK "%zu"
		                   "x",
		           l->n - 1);
		p = after;
	}
	buf_add(out, p, (size_t)(end - p));
	return buf_failed(out) ? err_oom(e) : 0;
}

static void plain_text(cmark_node *n, struct buf *out)
{
	cmark_node *c;

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_TEXT:
	case CMARK_NODE_CODE:
		buf_puts(out, cmark_node_get_literal(n));
		return;
	case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK:
		buf_putc(out, ' ');
		return;
	default:
		break;
	}
	for (c = cmark_node_first_child(n); c; c = cmark_node_next(c))
		plain_text(c, out);
}

static int node_line(cmark_node *n, const struct md_opts *o)
{
	while (n && cmark_node_get_start_line(n) == 0)
		n = cmark_node_parent(n);
	return (n ? cmark_node_get_start_line(n) : 1) + o->line_offset;
}

static int node_col(cmark_node *n)
{
	while (n && cmark_node_get_start_line(n) == 0)
		n = cmark_node_parent(n);
	return n ? cmark_node_get_start_column(n) : 1;
}

/* Takes a trailing "{#id}" off the heading's last text node. */
static int explicit_id(cmark_node *h, struct buf *id)
{
	cmark_node *last = cmark_node_last_child(h);
	const char *lit, *open;
	size_t len;

	if (!last || cmark_node_get_type(last) != CMARK_NODE_TEXT)
		return 0;
	lit = cmark_node_get_literal(last);
	len = strlen(lit);
	while (len > 0 && lit[len - 1] == ' ')
		len--;
	if (len < 4 || lit[len - 1] != '}')
		return 0;
	open = NULL;
	for (const char *q = lit + len - 1; q >= lit; q--)
		if (*q == '{') {
			open = q;
			break;
		}
	if (!open || open[1] != '#' || open + 2 >= lit + len - 1)
		return 0;
	for (const char *q = open + 2; q < lit + len - 1; q++)
		if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_')
			return 0;
	buf_add(id, open + 2, (size_t)(lit + len - 1 - open - 2));
	{
		char *trim = strndup(lit, (size_t)(open - lit));

		if (!trim)
			return -1;
		len = strlen(trim);
		while (len > 0 && trim[len - 1] == ' ')
			trim[--len] = '\0';
		cmark_node_set_literal(last, trim);
		free(trim);
	}
	return 1;
}

static int add_heading(struct ctx *c, cmark_node *n)
{
	struct md_doc *d = c->doc;
	struct md_heading *h;
	struct buf id = BUF_INIT, text = BUF_INIT;
	int level = cmark_node_get_heading_level(n), line = node_line(n, c->o);
	size_t i;

	if (level < 2)
		return err_at(
		    c->e, c->o->file, line, 1,
		    "level-1 heading in the body; the page title is the only h1, start at '##'");
	if (level > c->last_level + 1)
		return err_at(c->e, c->o->file, line, 1,
		              "heading level %d follows level %d; levels must not be skipped",
		              level, c->last_level);
	c->last_level = level;
	if (d->nheadings == MD_MAX_HEADINGS)
		return err_at(c->e, c->o->file, line, 1, "too many headings (limit %d)",
		              MD_MAX_HEADINGS);
	if (explicit_id(n, &id) < 0)
		return err_oom(c->e);
	plain_text(n, &text);
	if (id.len == 0) {
		slugify(&id, text.ptr, text.len);
		if (id.len == 0)
			buf_printf(&id, "sekcja-%zu", d->nheadings + 1);
	}
	for (i = 0; i < d->nheadings; i++)
		if (strcmp(d->headings[i].id, id.ptr) == 0) {
			err_at(c->e, c->o->file, line, 1,
			       "duplicate id '%s' (heading at line %d has the same)", id.ptr,
			       d->headings[i].line);
			goto fail;
		}
	h = realloc(d->headings, (d->nheadings + 1) * sizeof *h);
	if (!h)
		goto oom;
	d->headings = h;
	h = &d->headings[d->nheadings];
	h->level = level;
	h->line = line;
	h->id = buf_detach(&id, NULL);
	h->text = buf_detach(&text, NULL);
	if (!h->id || !h->text) {
		free(h->id);
		free(h->text);
		goto oom;
	}
	d->nheadings++;
	return 0;
oom:
	err_oom(c->e);
fail:
	buf_free(&id);
	buf_free(&text);
	return -1;
}

/* Rewrites link/image destinations through the hook; checks image alt. */
static int visit_link(struct ctx *c, cmark_node *n, int is_image)
{
	const char *url = cmark_node_get_url(n);
	int line = node_line(n, c->o), col = node_col(n);

	if (is_image) {
		buf_reset(&c->tmp);
		plain_text(n, &c->tmp);
		if (c->tmp.len == 0 || strspn(c->tmp.ptr, " \t") == c->tmp.len)
			return err_at(c->e, c->o->file, line, col, "image '%s' has no alt text",
			              url ? url : "");
	}
	if (!url || !c->o->link)
		return 0;
	buf_reset(&c->tmp);
	if (c->o->link(c->o->link_ctx, url, is_image, line, col, &c->tmp, c->e) < 0)
		return -1;
	if (c->tmp.len)
		cmark_node_set_url(n, c->tmp.ptr);
	return 0;
}

static void render(struct ctx *c, cmark_node *root, size_t *heading_i);

static void render_children(struct ctx *c, cmark_node *n, size_t *hi)
{
	cmark_node *ch;

	for (ch = cmark_node_first_child(n); ch; ch = cmark_node_next(ch))
		render(c, ch, hi);
}

static int in_tight_list(cmark_node *para)
{
	cmark_node *item = cmark_node_parent(para), *list;

	if (!item || cmark_node_get_type(item) != CMARK_NODE_ITEM)
		return 0;
	list = cmark_node_parent(item);
	return list && cmark_node_get_list_tight(list);
}

static void put_url(struct ctx *c, const char *url)
{
	if (url && (c->o->unsafe || url_is_safe(url)))
		esc_url(&c->doc->html, url, strlen(url));
}

static void render(struct ctx *c, cmark_node *n, size_t *hi)
{
	struct buf *o = &c->doc->html;
	const char *lit;
	char tag[8];

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_DOCUMENT:
		render_children(c, n, hi);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		buf_puts(o, "<blockquote>\n");
		render_children(c, n, hi);
		buf_puts(o, "</blockquote>\n");
		break;
	case CMARK_NODE_LIST:
		if (cmark_node_get_list_type(n) == CMARK_ORDERED_LIST) {
			int start = cmark_node_get_list_start(n);

			if (start != 1)
				buf_printf(o, "<ol start=\"%d\">\n", start);
			else
				buf_puts(o, "<ol>\n");
			render_children(c, n, hi);
			buf_puts(o, "</ol>\n");
		} else {
			buf_puts(o, "<ul>\n");
			render_children(c, n, hi);
			buf_puts(o, "</ul>\n");
		}
		break;
	case CMARK_NODE_ITEM:
		buf_puts(o, "<li>");
		render_children(c, n, hi);
		buf_puts(o, "</li>\n");
		break;
	case CMARK_NODE_HEADING: {
		const struct md_heading *h = &c->doc->headings[(*hi)++];

		snprintf(tag, sizeof tag, "h%d", h->level);
		buf_printf(o, "<%s id=\"", tag);
		esc_html(o, h->id, strlen(h->id));
		buf_puts(o, "\">");
		render_children(c, n, hi);
		buf_printf(o, "</%s>\n", tag);
		break;
	}
	case CMARK_NODE_CODE_BLOCK: {
		const char *info = cmark_node_get_fence_info(n);

		buf_puts(o, "<pre><code");
		if (info && *info) {
			size_t l = strcspn(info, " \t");

			buf_puts(o, " class=\"language-");
			esc_html(o, info, l);
			buf_putc(o, '"');
		}
		buf_putc(o, '>');
		lit = cmark_node_get_literal(n);
		esc_html(o, lit, strlen(lit));
		buf_puts(o, "</code></pre>\n");
		break;
	}
	case CMARK_NODE_HTML_BLOCK:
		if (c->o->unsafe)
			buf_puts(o, cmark_node_get_literal(n));
		else
			buf_puts(o, "<!-- raw HTML omitted -->\n");
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		buf_puts(o, "<hr>\n");
		break;
	case CMARK_NODE_PARAGRAPH:
		if (in_tight_list(n)) {
			render_children(c, n, hi);
			if (cmark_node_next(n))
				buf_putc(o, '\n');
		} else {
			buf_puts(o, "<p>");
			render_children(c, n, hi);
			buf_puts(o, "</p>\n");
		}
		break;
	case CMARK_NODE_TEXT:
		lit = cmark_node_get_literal(n);
		esc_html(o, lit, strlen(lit));
		break;
	case CMARK_NODE_SOFTBREAK:
		buf_putc(o, '\n');
		break;
	case CMARK_NODE_LINEBREAK:
		buf_puts(o, "<br>\n");
		break;
	case CMARK_NODE_CODE:
		lit = cmark_node_get_literal(n);
		buf_puts(o, "<code>");
		esc_html(o, lit, strlen(lit));
		buf_puts(o, "</code>");
		break;
	case CMARK_NODE_HTML_INLINE:
		if (c->o->unsafe)
			buf_puts(o, cmark_node_get_literal(n));
		else
			buf_puts(o, "<!-- raw HTML omitted -->");
		break;
	case CMARK_NODE_EMPH:
		buf_puts(o, "<em>");
		render_children(c, n, hi);
		buf_puts(o, "</em>");
		break;
	case CMARK_NODE_STRONG:
		buf_puts(o, "<strong>");
		render_children(c, n, hi);
		buf_puts(o, "</strong>");
		break;
	case CMARK_NODE_LINK: {
		const char *title = cmark_node_get_title(n);

		buf_puts(o, "<a href=\"");
		put_url(c, cmark_node_get_url(n));
		buf_putc(o, '"');
		if (title && *title) {
			buf_puts(o, " title=\"");
			esc_html(o, title, strlen(title));
			buf_putc(o, '"');
		}
		buf_putc(o, '>');
		render_children(c, n, hi);
		buf_puts(o, "</a>");
		break;
	}
	case CMARK_NODE_IMAGE: {
		const char *title = cmark_node_get_title(n);

		buf_puts(o, "<img src=\"");
		put_url(c, cmark_node_get_url(n));
		buf_puts(o, "\" alt=\"");
		buf_reset(&c->tmp);
		plain_text(n, &c->tmp);
		esc_html(o, c->tmp.ptr, c->tmp.len);
		buf_putc(o, '"');
		if (title && *title) {
			buf_puts(o, " title=\"");
			esc_html(o, title, strlen(title));
			buf_putc(o, '"');
		}
		buf_puts(o, " loading=\"lazy\">");
		break;
	}
	default:
		break;
	}
}

/* Replaces the placeholders in html with the shortcodes' output. */
static int sc_expand(struct ctx *c, const struct sc_list *l)
{
	struct buf out = BUF_INIT, one = BUF_INIT;
	const char *h = c->doc->html.ptr, *end = h + c->doc->html.len, *p = h, *m;
	int ret = -1;

	while ((m = memmem(p, (size_t)(end - p), SC_MARK, sizeof SC_MARK - 1)) != NULL) {
		const char *q = m + sizeof SC_MARK - 1;
		size_t idx = 0;
		const char *s = m, *after;

		if (q >= end || !isdigit((unsigned char)*q)) {
			buf_add(&out, p, (size_t)(q - p));
			p = q;
			continue;
		}
		while (q < end && isdigit((unsigned char)*q))
			idx = idx * 10 + (size_t)(*q++ - '0');
		if (q >= end || *q != 'x' || idx >= l->n) {
			buf_add(&out, p, (size_t)(q - p));
			p = q;
			continue;
		}
		after = q + 1;
		/* a block shortcode drops the paragraph cmark put around it */
		if (l->v[idx].block && s - h >= 3 && memcmp(s - 3, "<p>", 3) == 0 &&
		    end - after >= 5 && memcmp(after, "</p>\n", 5) == 0) {
			s -= 3;
			after += 5;
		}
		buf_add(&out, p, (size_t)(s - p));
		buf_reset(&one);
		if (c->o->shortcode(c->o->sc_ctx, &l->v[idx], &one, c->e) < 0)
			goto out;
		buf_add(&out, one.ptr, one.len);
		p = after;
	}
	buf_add(&out, p, (size_t)(end - p));
	if (buf_failed(&out)) {
		err_oom(c->e);
		goto out;
	}
	buf_free(&c->doc->html);
	c->doc->html = out;
	buf_init(&out);
	ret = 0;
out:
	buf_free(&out);
	buf_free(&one);
	return ret;
}

int md_render(const char *text, size_t len, const struct md_opts *o, struct md_doc *doc,
              struct err *e)
{
	struct ctx c = {o, doc, e, BUF_INIT, 1, 0};
	struct buf src = BUF_INIT;
	struct sc_list scs = {NULL, 0};
	cmark_node *root = NULL;
	cmark_iter *it = NULL;
	cmark_event_type ev;
	size_t bad, hi = 0;
	int ret = -1;

	memset(doc, 0, sizeof *doc);
	buf_init(&doc->html);
	if (len > MD_MAX_SIZE)
		return err_at(e, o->file, 0, 0, "page too large (%zu bytes, limit %u)", len,
		              MD_MAX_SIZE);
	bad = o->utf8_checked ? len : utf8_check(text, len);
	if (bad < len) {
		int line, col;

		utf8_linecol(text, bad, &line, &col);
		return err_at(e, o->file, line + o->line_offset, col, "invalid UTF-8");
	}
	if (memchr(text, '\0', len)) {
		int line, col;

		utf8_linecol(text, (size_t)((const char *)memchr(text, '\0', len) - text), &line,
		             &col);
		return err_at(e, o->file, line + o->line_offset, col, "NUL byte in text");
	}
	if (o->shortcode && memmem(text, len, "{{<", 3)) {
		if (sc_extract(text, len, o->file, o->line_offset, &src, &scs, e) < 0)
			goto out;
		text = src.ptr;
		len = src.len;
	}
	{
		cmark_parser *parser = cmark_parser_new_with_mem(CMARK_OPT_DEFAULT, &arena_mem);

		if (parser) {
			cmark_parser_feed(parser, text, len);
			root = cmark_parser_finish(parser);
			cmark_parser_free(parser);
		}
	}
	if (!root || arena_failed) {
		/* cmark does not check its allocations: a failed one may have
		 * left a partial tree, so none of it is used */
		root = NULL;
		err_set(e, "out of memory (page too complex)");
		goto out;
	}
	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_HEADING:
			if (add_heading(&c, n) < 0)
				goto out;
			break;
		case CMARK_NODE_LINK:
			if (visit_link(&c, n, 0) < 0)
				goto out;
			break;
		case CMARK_NODE_IMAGE:
			if (visit_link(&c, n, 1) < 0)
				goto out;
			break;
		default:
			break;
		}
	}
	render(&c, root, &hi);
	if (buf_failed(&doc->html)) {
		err_oom(e);
		goto out;
	}
	if (scs.n && sc_expand(&c, &scs) < 0)
		goto out;
	ret = 0;
out:
	if (it)
		cmark_iter_free(it);
	if (root)
		cmark_node_free(root);
	arena_release();
	buf_free(&c.tmp);
	buf_free(&src);
	sc_free(&scs);
	if (ret < 0)
		md_doc_free(doc);
	return ret;
}

void md_doc_free(struct md_doc *doc)
{
	size_t i;

	buf_free(&doc->html);
	for (i = 0; i < doc->nheadings; i++) {
		free(doc->headings[i].id);
		free(doc->headings[i].text);
	}
	free(doc->headings);
	doc->headings = NULL;
	doc->nheadings = 0;
}
