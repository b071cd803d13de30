/*
 * versions.h - the committed versions of the documents that keep them
 * (front matter versions = true, or notice = true): each version as the
 * reader saw it, and what changed from the version before.
 */
#ifndef OKIENKO_VERSIONS_H
#define OKIENKO_VERSIONS_H

#include "compare.h"
#include "site.h"

/* Reads the text of every version of every such document from the
 * repository into its version page (p->vsrc), on the calling thread (the
 * repository handle is not shared between threads). 0 or -1 with e. */
int versions_read(struct site *s, struct err *e);

/* Renders a PK_VERSION page (the document's Markdown as it was, through
 * the same renderer; a link that no longer resolves is kept as it was
 * written, a shortcode that no longer works shows nothing) or a
 * PK_COMPARE page (a comparison of the two versions' text, compare.h)
 * into p->doc.html. `base` is the site frame. Safe for different pages on
 * different threads once versions_read() has run. 0 or -1 with e. */
int versions_render(const struct site *s, const struct val *base, struct page *p, struct err *e);

/* Plain-text blocks of a rendered page, for a comparison: `v` views the
 * texts that `text` owns. */
struct vblocks {
	struct cmp_block *v;
	char **text;
	size_t n, cap;
};

/* Splits rendered HTML into blocks: the text between block-level tags (p,
 * h1-h6, li, dt, dd, td, th, pre, blockquote, div, ...), whitespace folded,
 * the five escapes decoded; headings keep their level. Fills `b` (zero it
 * first; free with versions_blocks_free, also after a failure). 0 or -1
 * (ERR_NOMEM). */
int versions_blocks(const char *html, size_t len, struct vblocks *b, struct err *e);
void versions_blocks_free(struct vblocks *b);

#endif
