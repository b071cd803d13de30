/*
 * links.h - the hooks the Markdown renderer calls for one page: link
 * resolution (content files -> URLs, checks) and shortcodes, and the
 * anchor check that follows once every page is rendered.
 */
#ifndef OKIENKO_LINKS_H
#define OKIENKO_LINKS_H

#include "markdown.h"
#include "site.h"

struct link_ctx {
	const struct site *site;
	struct page *page;
	const struct val *base; /* the site frame, for shortcodes' partials */
	int lenient;            /* an archived version: no anchor checks */
	/* an archived version: site.toml as it was in its commit, and its
	 * retention periods (the shortcodes show those); NULL: the site's */
	const struct val *config;
	const struct retention *retention;
};

/*
 * md_link_fn. The rule, the same for links and images:
 *  - "#x" is an anchor in this page;
 *  - a relative path not ending in '/' names a file relative to this
 *    Markdown file's folder in content/, as the editor's git host shows
 *    it: a page's .md (or a course's test.toml) becomes the page's URL,
 *    another file must be published (a content or theme static file);
 *  - a path ending in '/' is an address, relative to this page's URL as a
 *    browser reads it; a path starting with '/' is an address on this site
 *    (pages, aliases, content and theme static files, generated files);
 *  - other hosts are fine for links, never for images.
 * Anchors are queued on the page for links_check_anchors().
 */
int link_resolve(void *ctx, const char *dest, int is_image, int line, int col, struct buf *out,
                 struct err *e);
/* md_sc_fn: param, date, office, offices, retention (docs/content-format.md). */
int shortcode_render(void *ctx, const struct md_sc *sc, struct buf *out, struct err *e);

/* Renders one page's Markdown into p->doc, resolving and checking its
 * links (anchors are queued in p->anchors) and shortcodes; `base` is the
 * site frame. Pages without Markdown (tests, generated pages) are left
 * alone. Safe for different pages on different threads. 0, or -1 with e. */
int links_markdown(const struct site *s, const struct val *base, struct page *p, struct err *e);
/* Checks the queued anchors against every page's headings, once all
 * pages' Markdown is rendered. 0, or -1 with e naming the first bad link
 * (pages in model order). */
int links_check_anchors(const struct site *s, struct err *e);

/* Resolves `rel` against folder `base` (both without a leading '/'),
 * folding "." and ".."; appends to out. -1 when it climbs above the root. */
int path_join(struct buf *out, const char *base, size_t baselen, const char *rel, size_t rellen);

#endif
