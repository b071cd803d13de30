/*
 * render.h - turns the site model into files: every page through its
 * layout, the aliases, static files, sitemap, feed, robots.txt, 404, and
 * the private data the daemon reads (answer keys, offices, forms, the
 * theme and the site frame it renders pages with).
 */
#ifndef OKIENKO_RENDER_H
#define OKIENKO_RENDER_H

#include "clock.h"
#include "site.h"

/*
 * Renders every page and writes the site below `out` (public/ and
 * private/), which must be a new empty folder. With out == NULL the pages
 * are rendered and checked but nothing is written (portal check). Phases
 * are timed into `ph` (may be NULL). Every HTML and CSS file in public/
 * gets a gzip copy beside it (for nginx's gzip_static) unless `no_gzip`.
 * Returns the number of files written, or -1 with e set.
 */
long render_site(struct site *s, const char *out, int no_gzip, struct phases *ph, struct err *e);

#endif
