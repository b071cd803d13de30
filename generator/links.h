/*
 * links.h - the hooks the Markdown renderer calls for one page: link
 * resolution (content files -> URLs, checks) and shortcodes.
 */
#ifndef OKIENKO_LINKS_H
#define OKIENKO_LINKS_H

#include "markdown.h"
#include "site.h"

struct link_ctx {
	struct site *site;
	struct page *page;
};

/* md_link_fn: a link to a content file ("../a/b.md#x") becomes its page's
 * URL; a relative or root-relative URL must name a page or a published
 * file; anchors are queued for checking once all pages are rendered;
 * images must come from this site. */
int link_resolve(void *ctx, const char *dest, int is_image, int line, int col, struct buf *out,
                 struct err *e);
/* md_sc_fn: param, date, office, offices (docs/content-format.md). */
int shortcode_render(void *ctx, const struct md_sc *sc, struct buf *out, struct err *e);

/* Resolves `rel` against folder `base` (both without a leading '/'),
 * folding "." and ".."; appends to out. -1 when it climbs above the root. */
int path_join(struct buf *out, const char *base, size_t baselen, const char *rel, size_t rellen);

#endif
