/*
 * context.h - the template contexts: what a theme's templates see. The
 * site frame (the same for every page: site, t, menu, footer, offices,
 * notice) and each page's frame, built from the site model. Reads the
 * model, writes nothing.
 */
#ifndef OKIENKO_CONTEXT_H
#define OKIENKO_CONTEXT_H

#include "site.h"

/* By enum page_kind: the page's kind in templates (page.kind, is_KIND)
 * and the layout it uses unless its front matter names another. */
extern const char *const ctx_kind_names[PK_NKINDS];

/* The layout a page renders with. */
const char *ctx_layout(const struct page *p);
/* The site frame every page's context starts from. A tree the caller frees
 * with val_free(), or NULL with e ("site.toml:line:col: ..." for a bad
 * menu entry; ERR_NOMEM). */
struct val *ctx_base(const struct site *s, struct err *e);
/* A page's frame: { page: {...}, menu: [...] } with the current menu entry
 * marked; `base` is the site frame. The caller frees it; NULL when an
 * allocation failed. */
struct val *ctx_page(const struct site *s, const struct val *base, const struct page *p);
/* The template context of an office page's [office] table, with derived
 * fields (tel link, kind flags, url, slug, json_ld). NULL on allocation
 * failure. */
struct val *ctx_office(const struct site *s, const struct page *p);
/* Appends the tel: URL body of a Polish phone number ("68 456 56 50" ->
 * "+48684565650"). */
void ctx_tel(struct buf *b, const char *phone, size_t len);
/* The office's slug: its file name without ".md" ("urzedy/x.md" -> "x").
 * The site model guarantees offices are content/urzedy/SLUG.md. */
void ctx_office_slug(struct buf *b, const struct page *p);
/* The course's slug ("kursy/x/_index.md" -> "x"). */
void ctx_course_slug(struct buf *b, const struct page *course);

#endif
