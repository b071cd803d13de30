#include "links.h"

#include "accounts.h"
#include "clock.h"
#include "context.h"
#include "escape.h"

#include <stdlib.h>
#include <string.h>

int path_join(struct buf *out, const char *base, size_t baselen, const char *rel, size_t rellen)
{
	size_t start = out->len;
	const char *parts[2] = {base, rel};
	size_t lens[2] = {baselen, rellen};
	int k;

	for (k = 0; k < 2; k++) {
		const char *p = parts[k], *end = p + lens[k];

		while (p < end) {
			const char *slash = memchr(p, '/', (size_t)(end - p));
			size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);

			if (n == 0 || (n == 1 && p[0] == '.')) {
				/* skip */
			} else if (n == 2 && p[0] == '.' && p[1] == '.') {
				size_t l = out->len;

				if (l == start)
					return -1;
				l--; /* the '/' ending the last segment */
				while (l > start && out->ptr[l - 1] != '/')
					l--;
				buf_truncate(out, l);
			} else {
				buf_add(out, p, n);
				if (slash || k == 0)
					buf_putc(out, '/');
			}
			p += n + (slash ? 1 : 0);
		}
	}
	return 0;
}

static int add_anchor(struct page *from, struct page *target, const char *a, size_t n, int line,
                      int col, struct err *e)
{
	struct anchor_ref *v = realloc(from->anchors, (from->nanchors + 1) * sizeof *v);

	if (!v)
		return err_oom(e);
	from->anchors = v;
	v[from->nanchors].target = target;
	v[from->nanchors].anchor = strndup(a, n);
	v[from->nanchors].line = line;
	v[from->nanchors].col = col;
	if (!v[from->nanchors].anchor)
		return err_oom(e);
	from->nanchors++;
	return 0;
}

static int has_scheme(const char *s)
{
	const char *p = s;

	while (*p && *p != ':' && *p != '/' && *p != '?' && *p != '#')
		p++;
	return *p == ':' && p > s;
}

/* Writes the URL for output `o` found at `url` (n bytes): a page's (or an
 * alias's page's) canonical URL, so "/a/b" needs no redirect to "/a/b/";
 * a file's URL as it is. Sets *page to the page, if any. */
static void put_target(struct buf *out, const struct output *o, const char *url, size_t n,
                       struct page **page)
{
	*page = o->page;
	if (o->page)
		buf_puts(out, o->page->url);
	else
		buf_add(out, url, n);
}

int link_resolve(void *ctx, const char *dest, int is_image, int line, int col, struct buf *out,
                 struct err *e)
{
	struct link_ctx *lc = ctx;
	const struct site *s = lc->site;
	struct page *p = lc->page, *target = NULL;
	const struct output *o;
	const char *file = p->src->path, *hash, *q;
	size_t pathlen, dl = strlen(dest);
	struct buf b = BUF_INIT;
	int ret = -1;

	if (dl == 0)
		return err_at(e, file, line, col, "empty link");
	if (dest[0] == '#')
		return lc->lenient ? 0 : add_anchor(p, p, dest + 1, dl - 1, line, col, e);
	if (has_scheme(dest) || (dest[0] == '/' && dest[1] == '/')) {
		if (is_image)
			return err_at(e, file, line, col,
			              "image from another host '%s': pages load nothing from other "
			              "hosts, put the file in content/",
			              dest);
		return 0;
	}
	hash = strchr(dest, '#');
	q = strchr(dest, '?');
	pathlen = (size_t)((q && (!hash || q < hash)) ? q - dest : hash ? hash - dest : (long)dl);
	if (dest[0] != '/' && pathlen > 0 && dest[pathlen - 1] != '/') {
		/* a file, relative to this Markdown file's folder in content/,
		 * as the editor's git host shows it: a page's .md (or a test's
		 * .toml), or a file published as it is */
		const char *slash = strrchr(p->rel, '/');
		size_t base = slash ? (size_t)(slash - p->rel) : 0;

		buf_putc(&b, '/');
		if (path_join(&b, p->rel, base, dest, pathlen) < 0) {
			err_at(e, file, line, col, "link '%s' leaves content/", dest);
			goto out;
		}
		if (buf_failed(&b))
			goto oom;
		if ((pathlen > 3 && memcmp(dest + pathlen - 3, ".md", 3) == 0) ||
		    (pathlen > 5 && memcmp(dest + pathlen - 5, ".toml", 5) == 0)) {
			target = strmap_get(&s->by_rel, b.ptr + 1);
			if (!target) {
				err_at(e, file, line, col,
				       "link to a missing page '%s' (no content%s)", dest, b.ptr);
				goto out;
			}
			buf_puts(out, target->url);
		} else {
			o = site_find_url(s, b.ptr, b.len);
			if (!o || (o->kind != OUT_CONTENT_STATIC && o->kind != OUT_THEME_STATIC)) {
				err_at(e, file, line, col,
				       "link to a missing file '%s' (no content%s; a link to a "
				       "page's address ends in '/')",
				       dest, b.ptr);
				goto out;
			}
			buf_add(out, b.ptr, b.len);
		}
	} else {
		/* an address: root-relative, or relative to this page's URL as
		 * a browser reads it ("../inna-strona/") */
		buf_putc(&b, '/');
		if (dest[0] == '/') {
			if (path_join(&b, "", 0, dest + 1, pathlen - 1) < 0)
				goto leaves;
		} else if (path_join(&b, p->url + 1, strlen(p->url + 1), dest, pathlen) < 0)
			goto leaves;
		if (pathlen > 0 && dest[pathlen - 1] == '/' && b.len > 1 && b.ptr[b.len - 1] != '/')
			buf_putc(&b, '/');
		if (buf_failed(&b))
			goto oom;
		o = site_find_url(s, b.ptr, b.len);
		if (!o) {
			err_at(e, file, line, col, "link to a missing page or file '%s' (%s)", dest,
			       b.ptr);
			goto out;
		}
		put_target(out, o, b.ptr, b.len, &target);
	}
	if (hash) {
		if (target && hash[1] && !lc->lenient &&
		    add_anchor(p, target, hash + 1, strlen(hash + 1), line, col, e) < 0)
			goto out;
		buf_puts(out, hash);
	}
	ret = buf_failed(out) ? err_oom(e) : 0;
	goto out;
leaves:
	err_at(e, file, line, col, "link '%s' leaves the site", dest);
	goto out;
oom:
	err_oom(e);
out:
	buf_free(&b);
	return ret;
}

static const char *arg(const struct md_sc *sc, const char *key, int pos)
{
	int i, n = 0;

	for (i = 0; i < sc->nargs; i++) {
		if (key && strcmp(sc->args[i].key, key) == 0)
			return sc->args[i].value;
		if (!key && sc->args[i].key[0] == '\0' && n++ == pos)
			return sc->args[i].value;
	}
	return NULL;
}

static void open_id(struct buf *out, const char *tag, const char *id)
{
	buf_printf(out, "<%s", tag);
	if (id) {
		buf_puts(out, " id=\"");
		esc_html(out, id, strlen(id));
		buf_putc(out, '"');
	}
}

static int sc_param(struct link_ctx *lc, const struct md_sc *sc, struct buf *out, struct err *e)
{
	const char *key = arg(sc, NULL, 0), *id = arg(sc, "id", 0), *link = arg(sc, "link", 0);
	const struct val *params = val_get(lc->config ? lc->config : lc->site->config, "params"),
	                 *v;
	const char *file = lc->page->src->path;
	struct buf text = BUF_INIT;
	int ret = -1;

	if (!key)
		return err_at(e, file, sc->line, sc->col,
		              "param: which? {{< param \"admin.name\" >}}");
	v = params ? val_path(params, key) : NULL;
	if (!v)
		return err_at(e, file, sc->line, sc->col, "param '%s' is not in site.toml [params]",
		              key);
	if (v->type == VAL_STRING || v->type == VAL_DATETIME)
		buf_add(&text, v->u.str.s, v->u.str.len);
	else if (v->type == VAL_INT)
		buf_printf(&text, "%lld", v->u.i);
	else
		return err_at(e, file, sc->line, sc->col, "param '%s' is a %s, not text", key,
		              val_type_name(v->type));
	if (link && strcmp(link, "mailto") != 0 && strcmp(link, "tel") != 0) {
		err_at(e, file, sc->line, sc->col, "param: link must be \"mailto\" or \"tel\"");
		goto out;
	}
	if (link) {
		open_id(out, "a", id);
		buf_printf(out, " href=\"%s:", link);
		if (strcmp(link, "tel") == 0)
			ctx_tel(out, text.ptr, text.len);
		else
			esc_url(out, text.ptr, text.len);
		buf_puts(out, "\">");
		esc_html(out, text.ptr, text.len);
		buf_puts(out, "</a>");
	} else if (id) {
		open_id(out, "span", id);
		buf_putc(out, '>');
		esc_html(out, text.ptr, text.len);
		buf_puts(out, "</span>");
	} else
		esc_html(out, text.ptr, text.len);
	ret = 0;
out:
	buf_free(&text);
	return ret;
}

/* {{< filled "a11y.architecture" heading="Dostępność architektoniczna" >}}:
 * a section the office writes in site.toml [params]: the heading (h2) and
 * the text, its blank lines making paragraphs; nothing at all while the
 * value is "" (what the office has not stated is not guessed). A block. */
static int sc_filled(struct link_ctx *lc, const struct md_sc *sc, struct buf *out, struct err *e)
{
	const char *key = arg(sc, NULL, 0), *heading = arg(sc, "heading", 0);
	const struct val *params = val_get(lc->config ? lc->config : lc->site->config, "params"),
	                 *v;
	const char *file = lc->page->src->path, *p, *end, *cut;

	if (!key || !heading)
		return err_at(
		    e, file, sc->line, sc->col,
		    "filled: give the value and the heading: {{< filled \"a11y.architecture\" "
		    "heading=\"Dostępność architektoniczna\" >}}");
	if (!sc->block)
		return err_at(e, file, sc->line, sc->col,
		              "filled makes a section: put it on a line of its own");
	v = params ? val_path(params, key) : NULL;
	if (!v)
		return err_at(e, file, sc->line, sc->col, "param '%s' is not in site.toml [params]",
		              key);
	if (v->type != VAL_STRING)
		return err_at(e, file, sc->line, sc->col, "param '%s' is a %s, not text", key,
		              val_type_name(v->type));
	p = v->u.str.s;
	end = p + v->u.str.len;
	while (p < end && (*p == ' ' || *p == '\n'))
		p++;
	if (p == end)
		return 0;
	buf_puts(out, "<h2>");
	esc_html(out, heading, strlen(heading));
	buf_puts(out, "</h2>\n");
	while (p < end) {
		cut = strstr(p, "\n\n");
		if (!cut || cut > end)
			cut = end;
		buf_puts(out, "<p>");
		esc_html(out, p, (size_t)(cut - p));
		buf_puts(out, "</p>\n");
		for (p = cut; p < end && (*p == '\n' || *p == ' '); p++)
			;
	}
	return buf_failed(out) ? err_oom(e) : 0;
}

/* "30 minutach", "12 godzinach": n of a unit in the locative after "po"
 * (the same form for every n but 1). */
static void after_n(struct buf *out, long n, const char *one, const char *many)
{
	buf_printf(out, "%ld %s", n, n == 1 ? one : many);
}

/* {{< cookies >}}: the cookies this portal sets, as a table made from the
 * values formd uses (common/accounts.h), so that the policy cannot say
 * other than what the portal does. A block: alone on its line. */
static int sc_cookies(struct link_ctx *lc, const struct md_sc *sc, struct buf *out, struct err *e)
{
	const char *file = lc->page->src->path;
	long idle = SESSION_IDLE, most = SESSION_ABSOLUTE;

	if (sc->nargs)
		return err_at(e, file, sc->line, sc->col,
		              "cookies takes no arguments: {{< cookies >}}");
	if (!sc->block)
		return err_at(e, file, sc->line, sc->col,
		              "cookies makes a table: put {{< cookies >}} on a line of its own");
	buf_puts(out,
	         "<table class=\"cookies\">\n<caption>Pliki cookies, które ustawia ten "
	         "portal</caption>\n<thead><tr><th scope=\"col\">Nazwa</th><th "
	         "scope=\"col\">Do czego służy</th><th scope=\"col\">Jak długo</th><th "
	         "scope=\"col\">Kiedy jest zapisywany</th></tr></thead>\n<tbody>\n<tr><td><code>");
	esc_html(out, SESSION_COOKIE, strlen(SESSION_COOKIE));
	buf_puts(out, "</code></td><td>Utrzymuje zalogowanie: dzięki niemu portal wie, że kolejne "
	              "strony otwiera ta sama zalogowana osoba.</td><td>Do wylogowania albo "
	              "zamknięcia przeglądarki. Sesja kończy się też po ");
	if (idle % 3600 == 0)
		after_n(out, idle / 3600, "godzinie", "godzinach");
	else
		after_n(out, idle / 60, "minucie", "minutach");
	buf_puts(out, " bez aktywności i najpóźniej po ");
	if (most % 3600 == 0)
		after_n(out, most / 3600, "godzinie", "godzinach");
	else
		after_n(out, most / 60, "minucie", "minutach");
	buf_puts(out, " od zalogowania.</td><td>Dopiero po zalogowaniu. Przeglądanie portalu bez "
	              "logowania nie zapisuje żadnego pliku cookie.</td></tr>\n</tbody>\n</table>\n"
	              "<p>Portal nie zapisuje innych plików cookies.</p>\n");
	return buf_failed(out) ? err_oom(e) : 0;
}

/* {{< retention >}}: the periods site.toml [retention] sets, each kind
 * with its label and from when its period counts, after a sentence that
 * introduces them; nothing at all when no period is set. A block: alone on
 * its line. */
static int sc_retention(struct link_ctx *lc, const struct md_sc *sc, struct buf *out, struct err *e)
{
	const struct retention *periods = lc->retention ? lc->retention : lc->site->retention;
	const char *file = lc->page->src->path;
	struct buf text = BUF_INIT;
	size_t i;
	int any = 0, oom;

	if (sc->nargs)
		return err_at(e, file, sc->line, sc->col,
		              "retention takes no arguments: {{< retention >}}");
	if (!sc->block)
		return err_at(e, file, sc->line, sc->col,
		              "retention makes a list: put {{< retention >}} on a line of its own");
	for (i = 0; i < retention_kinds_n; i++) {
		const struct retention_kind *k = &retention_kinds[i];

		if (periods[i].n == 0)
			continue;
		if (!any++)
			buf_puts(out,
			         "<p>Poszczególne rodzaje danych Administrator przechowuje przez "
			         "następujące okresy:</p>\n<ul class=\"retention\">\n");
		buf_reset(&text);
		retention_text(&periods[i], &text);
		buf_puts(out, "<li><strong>");
		esc_html(out, k->label, strlen(k->label));
		buf_puts(out, "</strong>: ");
		esc_html(out, text.ptr, text.len);
		buf_puts(out, ", ");
		esc_html(out, k->since, strlen(k->since));
		buf_puts(out, ".</li>\n");
	}
	if (any)
		buf_puts(out, "</ul>\n");
	oom = buf_failed(&text) || buf_failed(out);
	buf_free(&text);
	return oom ? err_oom(e) : 0;
}

static int sc_date(struct link_ctx *lc, const struct md_sc *sc, struct buf *out, struct err *e)
{
	const char *which = arg(sc, NULL, 0), *id = arg(sc, "id", 0);
	const struct page *p = lc->page;
	struct buf d = BUF_INIT;

	if (!which)
		return err_at(e, p->src->path, sc->line, sc->col,
		              "date: which? \"created\", \"lastmod\" or YYYY-MM-DD");
	if (strcmp(which, "created") == 0)
		fmt_date(&d, p->created, p->created_off);
	else if (strcmp(which, "lastmod") == 0)
		fmt_date(&d, p->lastmod, p->lastmod_off);
	else if (strlen(which) == 10 && which[4] == '-' && which[7] == '-' &&
	         strspn(which, "0123456789-") == 10)
		buf_puts(&d, which);
	else
		return err_at(e, p->src->path, sc->line, sc->col,
		              "date: \"%s\" is not \"created\", \"lastmod\" or YYYY-MM-DD", which);
	open_id(out, "time", id);
	buf_printf(out, " datetime=\"%s\">%s</time>", d.ptr, d.ptr);
	buf_free(&d);
	return 0;
}

static int office_card(struct link_ctx *lc, const struct page *office, struct buf *out,
                       struct err *e)
{
	const struct mst *t = theme_partial(lc->site->theme, "office-card");
	struct val *v;
	int ret;

	if (!t)
		return err_set(e,
		               "%spartials/office-card.mustache: missing (needed by the office "
		               "shortcodes)",
		               lc->site->theme->dir);
	v = ctx_office(lc->site, office);
	if (!v)
		return err_oom(e);
	{
		const struct val *stack[2] = {lc->base, v};

		ret = mst_render(t, stack, 2, &lc->site->theme->env, out, e);
	}
	val_free(v);
	return ret;
}

int shortcode_render(void *ctx, const struct md_sc *sc, struct buf *out, struct err *e)
{
	struct link_ctx *lc = ctx;
	const char *file = lc->page->src->path;

	if (strcmp(sc->name, "param") == 0)
		return sc_param(lc, sc, out, e);
	if (strcmp(sc->name, "date") == 0)
		return sc_date(lc, sc, out, e);
	if (strcmp(sc->name, "retention") == 0)
		return sc_retention(lc, sc, out, e);
	if (strcmp(sc->name, "cookies") == 0)
		return sc_cookies(lc, sc, out, e);
	if (strcmp(sc->name, "filled") == 0)
		return sc_filled(lc, sc, out, e);
	if (strcmp(sc->name, "office") == 0) {
		const char *slug = arg(sc, NULL, 0);
		struct buf rel = BUF_INIT;
		struct page *o;

		if (!slug)
			return err_at(e, file, sc->line, sc->col,
			              "office: which? {{< office \"slug\" >}}");
		buf_printf(&rel, "urzedy/%s.md", slug);
		o = strmap_get(&lc->site->by_rel, rel.ptr);
		buf_free(&rel);
		if (!o || o->kind != PK_OFFICE)
			return err_at(e, file, sc->line, sc->col,
			              "office '%s': no office at content/urzedy/%s.md", slug, slug);
		return office_card(lc, o, out, e);
	}
	if (strcmp(sc->name, "offices") == 0) {
		size_t i;

		buf_puts(out, "<div class=\"offices\">\n");
		for (i = 0; i < lc->site->noffices; i++) {
			const struct page *o = lc->site->offices[i];

			if (strcmp(val_get_str(val_get(o->fm, "office"), "kind", ""),
			           "administrator") == 0)
				continue;
			if (office_card(lc, o, out, e) < 0)
				return -1;
		}
		buf_puts(out, "</div>\n");
		return 0;
	}
	return err_at(e, file, sc->line, sc->col, "unknown shortcode '%s'", sc->name);
}

int links_markdown(const struct site *s, const struct val *base, struct page *p, struct err *e)
{
	struct link_ctx lc = {s, p, base, 0, NULL, NULL};
	struct md_opts o;

	if (!p->src || p->kind == PK_TEST)
		return 0;
	memset(&o, 0, sizeof o);
	o.file = p->src->path;
	o.line_offset = p->body_line;
	o.unsafe = s->unsafe;
	o.utf8_checked = 1; /* the model's parse checked it */
	o.link = link_resolve;
	o.link_ctx = &lc;
	o.shortcode = shortcode_render;
	o.sc_ctx = &lc;
	/* the model split the file already */
	return md_render(p->src->data + p->body_off, p->body_len, &o, &p->doc, e);
}

int links_check_anchors(const struct site *s, struct err *e)
{
	size_t i, j, k;

	for (i = 0; i < s->npages; i++) {
		const struct page *p = s->pages[i];

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
