/*
 * pages.h - what formd knows of the built site, read from OUT/private/
 * only (the generator writes it; docs/theme.md "What formd reads"), and
 * the pages it renders with the same theme and the same context the
 * generator used: form pages with errors, thank-you pages, results.
 */
#ifndef OKIENKO_PAGES_H
#define OKIENKO_PAGES_H

#include "buf.h"
#include "err.h"
#include "theme.h"
#include "value.h"

struct sitedata {
	char *dir;        /* OUT, owned */
	char *public_dir; /* OUT/public, owned */
	struct theme *theme;
	struct val *base;      /* site.json: the site frame */
	struct val *pages;     /* pages.json: URL -> {layout, frame} */
	struct val *forms;     /* forms.json: key -> path */
	struct val *offices;   /* offices.json */
	struct val *documents; /* documents.json */
	struct val *tests;     /* course slug -> its answer key (tests/COURSE.json) */
	char commit[41];       /* the commit built (build.json) */
};

/* Reads OUT/private/ (theme, frames, forms, offices, documents, build);
 * checks that the layouts formd needs are there and that each of the
 * forms contact, register, login and rights given a path in forms.json
 * has a page with its layout (form-contact, ...) in pages.json, where
 * formd shows the form again with its errors. NULL with e: the file and
 * what is wrong (ERR_IO for a missing or unreadable file). The caller
 * frees the result with sitedata_free(). */
struct sitedata *sitedata_load(const char *out_dir, struct err *e);
void sitedata_free(struct sitedata *sd);
/* The path site.toml [forms] gives `key` ("contact" -> "/kontakt/wyslij"),
 * or NULL. */
const char *sitedata_form(const struct sitedata *sd, const char *key);
/* The office with slug `slug` from offices.json, or NULL. */
const struct val *sitedata_office(const struct sitedata *sd, const char *slug);
/* A course's answer key (course, title, test_url, pass_mark, attempts,
 * questions [{name, type, answers, correct}]), or NULL. */
const struct val *sitedata_test(const struct sitedata *sd, const char *course);
/* The newest version of the document at `rel` ("regulamin.md") from
 * documents.json: its commit id, or NULL when it has none. */
const char *sitedata_document_commit(const struct sitedata *sd, const char *rel);

/* {date: YYYY-MM-DD, iso: RFC 3339} of a time (seconds since the epoch)
 * in Warsaw, for templates. NULL on allocation failure. */
struct val *pages_time(long long t);

/* Renders the page the generator built at `url` (a form or test page,
 * from pages.json) again, with `extra` as the innermost frame (form,
 * offices with `selected`, account). 0, or -1 with e (ERR_INPUT: no such
 * page). */
int page_render_url(const struct sitedata *sd, const char *url, const struct val *extra,
                    struct buf *out, struct err *e);
/* The frame the generator gave the page at `url` (pages.json), or NULL:
 * for a copy to render again with marks of formd's (a test's answers). */
const struct val *page_frame(const struct sitedata *sd, const char *url);
/* As page_render_url, with `frame` in place of the page's own. */
int page_render_url_frame(const struct sitedata *sd, const char *url, const struct val *frame,
                          const struct val *extra, struct buf *out, struct err *e);
/* Renders `layout` for a page of formd's own (thank-you, result,
 * certificate) at `url` with `title`; `extra` is the innermost frame.
 * 0, or -1 with e. */
int page_render(const struct sitedata *sd, const char *layout, const char *url, const char *title,
                const struct val *extra, struct buf *out, struct err *e);

/* Adds to a person's data (store_user_data's tree) what the account page
 * shows beside it: KEY_t = {date, iso} beside each time, the status, the
 * office's and courses' names, the documents' titles, the requests'
 * words. 0, or -1 (allocation failed). */
int pages_user_data(const struct sitedata *sd, struct val *data);
/* The printable copy of a person's data, as the account page's
 * "wydruk" gives it (layout account with `copy`), into out. Takes
 * `data` (store_user_data's tree, freed here whatever happens). 0, or -1
 * with e. */
int pages_user_copy(const struct sitedata *sd, struct val *data, struct buf *out, struct err *e);

#endif
