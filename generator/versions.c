#include "versions.h"

#include "compare.h"
#include "escape.h"
#include "links.h"
#include "toml.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* site.toml as it was in a version's commit (blob `oid`), and its
 * retention periods, for the shortcodes that show them: the version as its
 * readers saw it. A site.toml today's build would refuse shows nothing
 * (lenient, as links are); only a failure to read is an error. */
static int read_config(struct site *s, const char *oid, struct page *p, struct err *e)
{
	struct err ignore = {0};
	size_t len;
	char *text;

	if (!oid[0])
		return 0;
	if (!(text = repo_read_blob(s->repo, oid, &len, e)))
		return -1;
	p->vconfig = toml_parse(text, len, "site.toml", 0, &ignore);
	free(text);
	if (!p->vconfig) {
		p->vconfig = val_new(VAL_TABLE);
		return p->vconfig ? 0 : err_oom(e);
	}
	if (site_read_retention(p->vconfig, &p->vretention, &ignore) < 0) {
		free(p->vretention);
		p->vretention = calloc(retention_kinds_n, sizeof *p->vretention);
		if (!p->vretention)
			return err_oom(e);
	}
	return 0;
}

int versions_read(struct site *s, struct err *e)
{
	size_t i;

	for (i = 0; i < s->npages; i++) {
		struct page *p = s->pages[i];
		const struct rhist *h;

		if (p->kind != PK_VERSION)
			continue;
		h = &p->of->src->hist[p->ver];
		p->vsrc = repo_read_blob(s->repo, h->oid, &p->vsrc_len, e);
		if (!p->vsrc)
			return -1;
		if (read_config(s, s->repo->commits[h->commit].config, p, e) < 0)
			return -1;
	}
	return 0;
}

/* An archived version is history: what no longer resolves is not an error
 * of today's build. */
static int lenient_link(void *ctx, const char *dest, int is_image, int line, int col,
                        struct buf *out, struct err *e)
{
	struct err ignore = {0};
	size_t len = out->len;

	(void)e;
	if (link_resolve(ctx, dest, is_image, line, col, out, &ignore) < 0)
		buf_truncate(out, len); /* keep the destination as written */
	return 0;
}

static int lenient_sc(void *ctx, const struct md_sc *sc, struct buf *out, struct err *e)
{
	struct err ignore = {0};
	size_t len = out->len;

	(void)e;
	if (shortcode_render(ctx, sc, out, &ignore) < 0)
		buf_truncate(out, len);
	return 0;
}

/* Renders version `v` (a PK_VERSION page) of its document into html. */
static int render_version(const struct site *s, const struct val *base, const struct page *v,
                          struct buf *html, struct err *e)
{
	struct link_ctx lc = {s, v->of, base, 1, v->vconfig, v->vretention};
	struct md_opts o;
	struct md_doc doc;
	const char *fm, *body;
	size_t fmlen, bodylen;
	int body_line;
	struct err ignore = {0};

	memset(&o, 0, sizeof o);
	o.file = v->of->src->path;
	o.unsafe = s->unsafe;
	o.link = lenient_link;
	o.link_ctx = &lc;
	o.shortcode = lenient_sc;
	o.sc_ctx = &lc;
	if (md_split(v->vsrc, v->vsrc_len, o.file, &fm, &fmlen, &body, &bodylen, &body_line,
	             &ignore) == 0) {
		o.line_offset = body_line;
		if (md_render(body, bodylen, &o, &doc, &ignore) == 0) {
			buf_add(html, doc.html.ptr, doc.html.len);
			md_doc_free(&doc);
			return buf_failed(html) ? err_oom(e) : 0;
		}
	} else {
		body = v->vsrc;
		bodylen = v->vsrc_len;
	}
	/* a version today's renderer refuses (a rule added since): its text */
	buf_puts(html, "<pre class=\"archived-source\">");
	esc_html(html, body, bodylen);
	buf_puts(html, "</pre>\n");
	return buf_failed(html) ? err_oom(e) : 0;
}

int versions_render(const struct site *s, const struct val *base, struct page *p, struct err *e)
{
	const struct page *doc = p->of, *v = doc->version_pages[p->ver];
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct vblocks ba = {NULL, NULL, 0, 0}, bb = {NULL, NULL, 0, 0};
	struct cmp_labels labels;
	struct cmp_stats st;
	int ret = -1;

	if (p->kind == PK_VERSION)
		return render_version(s, base, p, &p->doc.html, e);
	/* a comparison: the version before (older) against this one */
	if (render_version(s, base, doc->version_pages[p->ver + 1], &a, e) < 0 ||
	    render_version(s, base, v, &b, e) < 0 || versions_blocks(a.ptr, a.len, &ba, e) < 0 ||
	    versions_blocks(b.ptr, b.len, &bb, e) < 0)
		goto out;
	buf_reset(&b); /* the blocks hold copies: b now takes the comparison */
	labels.deleted = val_get_str(s->theme->strings, "compare_deleted", "usunięto: ");
	labels.inserted = val_get_str(s->theme->strings, "compare_inserted", "dodano: ");
	ret = cmp_render(ba.v, ba.n, bb.v, bb.n, &labels, &b, &st, e);
	if (ret == 0 && st.added + st.removed + st.changed == 0) {
		/* a commit that changed only the front matter, say */
		const char *none = val_get_str(s->theme->strings, "compare_none",
		                               "Treść dokumentu nie zmieniła się w tej wersji.");

		buf_puts(&p->doc.html, "<p class=\"cmp-none\"><strong>");
		esc_html(&p->doc.html, none, strlen(none));
		buf_puts(&p->doc.html, "</strong></p>\n");
	}
	if (ret == 0)
		buf_add(&p->doc.html, b.ptr, b.len);
	if (ret == 0 && buf_failed(&p->doc.html))
		ret = err_oom(e);
out:
	versions_blocks_free(&ba);
	versions_blocks_free(&bb);
	buf_free(&a);
	buf_free(&b);
	return ret;
}

/* Tags whose start or end ends a block of text. */
static int is_block_tag(const char *name, size_t n)
{
	static const char *const tags[] = {
	    "p",       "li",         "dt",         "dd",      "td",     "th", "pre", "div",
	    "ul",      "ol",         "dl",         "table",   "tr",     "br", "hr",  "section",
	    "nav",     "blockquote", "h1",         "h2",      "h3",     "h4", "h5",  "h6",
	    "address", "figure",     "figcaption", "details", "summary"};
	size_t i;

	for (i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (strlen(tags[i]) == n && strncmp(tags[i], name, n) == 0)
			return 1;
	return 0;
}

/* Ends the block collected in `t` (whitespace folded already), if any. */
static int end_block(struct buf *t, int heading, struct vblocks *b)
{
	char *text;
	size_t len;

	while (t->len && t->ptr[t->len - 1] == ' ')
		buf_truncate(t, t->len - 1);
	if (t->len == 0)
		return 0;
	if (b->n == b->cap) {
		size_t c = b->cap ? b->cap * 2 : 32;
		struct cmp_block *nv = realloc(b->v, c * sizeof *nv);
		char **nt;

		if (!nv)
			return -1;
		b->v = nv;
		nt = realloc(b->text, c * sizeof *nt);
		if (!nt)
			return -1;
		b->text = nt;
		b->cap = c;
	}
	text = buf_detach(t, &len);
	if (!text)
		return -1;
	b->text[b->n] = text;
	b->v[b->n].heading = heading;
	b->v[b->n].text = text;
	b->v[b->n++].len = len;
	return 0;
}

int versions_blocks(const char *html, size_t len, struct vblocks *b, struct err *e)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
	const char *p = html, *end = html + len;
	struct buf t = BUF_INIT;
	int heading = 0;

	while (p < end) {
		if (*p == '<') {
			const char *gt = memchr(p, '>', (size_t)(end - p)), *name = p + 1;
			size_t nl = 0;

			if (!gt)
				break;
			if (*name == '/')
				name++;
			while (name + nl < gt && isalnum((unsigned char)name[nl]))
				nl++;
			if (is_block_tag(name, nl)) {
				if (end_block(&t, heading, b) < 0)
					goto oom;
				heading = 0;
				if (p[1] != '/' && nl == 2 && name[0] == 'h' && name[1] >= '1' &&
				    name[1] <= '6')
					heading = name[1] - '0';
			}
			p = gt + 1;
			continue;
		}
		if (*p == '&') {
			size_t k;

			for (k = 0; k < sizeof ents / sizeof ents[0]; k++)
				if ((size_t)(end - p) >= strlen(ents[k].ent) &&
				    strncmp(p, ents[k].ent, strlen(ents[k].ent)) == 0)
					break;
			if (k < sizeof ents / sizeof ents[0]) {
				buf_putc(&t, ents[k].c);
				p += strlen(ents[k].ent);
				continue;
			}
		}
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			if (t.len && t.ptr[t.len - 1] != ' ')
				buf_putc(&t, ' ');
		} else {
			buf_putc(&t, *p);
		}
		p++;
	}
	if (end_block(&t, heading, b) < 0 || buf_failed(&t))
		goto oom;
	buf_free(&t);
	return 0;
oom:
	buf_free(&t);
	return err_oom(e);
}

void versions_blocks_free(struct vblocks *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->text[i]);
	free(b->text);
	free(b->v);
	memset(b, 0, sizeof *b);
}
