/*
 * render.h - turns the site model into files: page contexts for the
 * templates, layouts, aliases, sitemap, feed, robots.txt, 404 and the
 * private data the daemon reads.
 */
#ifndef OKIENKO_RENDER_H
#define OKIENKO_RENDER_H

#include "site.h"

/* Builds s->base, the bottom context frame shared by every page: site
 * (config, forms, params, commit), t (UI strings), offices, notice,
 * footer. 0 or -1 with e. */
int render_base(struct site *s, struct err *e);
/* The template context of an office page's [office] table, with derived
 * fields (tel link, kind flags, url). NULL on allocation failure. */
struct val *office_val(const struct site *s, const struct page *p);
/* Appends the tel: URL body of a Polish phone number ("68 456 56 50" ->
 * "+48684565650"). */
void render_tel(struct buf *b, const char *phone, size_t len);
/*
 * Renders every page and writes the site below `out` (public/ and
 * private/), which must be a new empty folder. With out == NULL the pages
 * are rendered and checked but nothing is written (portal check). Returns
 * the number of files written, or -1 with e set.
 */
long render_site(struct site *s, const char *out, struct err *e);

#endif
