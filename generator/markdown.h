/*
 * markdown.h - the only module that speaks to cmark. Turns a page's
 * Markdown body into HTML with heading ids, rewritten links and shortcodes,
 * and reports what the build checks need.
 */
#ifndef OKIENKO_MARKDOWN_H
#define OKIENKO_MARKDOWN_H

#include "buf.h"
#include "err.h"

#include <stddef.h>

#define MD_MAX_SIZE (4u << 20) /* bytes of one page */
#define MD_MAX_HEADINGS 1000
#define MD_MAX_SHORTCODES 256
#define MD_MAX_SC_ARGS 8

struct md_heading {
	int level;  /* 2..6 */
	char *id;   /* owned */
	char *text; /* plain text, owned */
	int line;
};

/* A shortcode call: {{< name "arg" key="value" >}} */
struct md_sc {
	char name[32];
	int nargs;
	struct {
		char key[32]; /* "" for a positional argument */
		char *value;  /* owned */
	} args[MD_MAX_SC_ARGS];
	int block; /* alone on its line */
	int line, col;
};

/*
 * Link hook: called for every link and image destination. Writes the URL
 * to use into `out` (left empty: keep the destination as it is). Returns 0,
 * or -1 with e set to fail the page (a broken link).
 */
typedef int (*md_link_fn)(void *ctx, const char *dest, int is_image, int line, int col,
                          struct buf *out, struct err *e);
/* Shortcode hook: appends the call's HTML to `out`; 0 or -1 with e. */
typedef int (*md_sc_fn)(void *ctx, const struct md_sc *sc, struct buf *out, struct err *e);

struct md_opts {
	const char *file; /* for messages */
	int line_offset;  /* lines before the body (front matter) */
	int unsafe;       /* keep raw HTML and any URL scheme */
	int utf8_checked; /* the caller has validated the text already */
	md_link_fn link;
	void *link_ctx;
	md_sc_fn shortcode;
	void *sc_ctx;
};

struct md_doc {
	struct buf html;
	struct md_heading *headings;
	size_t nheadings;
};

/*
 * Renders Markdown `text` (len bytes, valid UTF-8 expected: invalid UTF-8
 * is reported with its line and column). Checks that headings start at
 * level 2 and never skip a level, that heading ids are unique, that every
 * image has alt text. On success fills `doc` (free with md_doc_free) and
 * returns 0; otherwise -1 with e = "file:line:col: message".
 */
int md_render(const char *text, size_t len, const struct md_opts *o, struct md_doc *doc,
              struct err *e);
void md_doc_free(struct md_doc *doc);

/*
 * Splits "+++\nTOML\n+++\nbody" into its parts (no copies: pointers into
 * text). Without front matter, fm is NULL. Returns 0, or -1 with e when the
 * opening +++ has no closing line.
 */
int md_split(const char *text, size_t len, const char *file, const char **fm, size_t *fmlen,
             const char **body, size_t *bodylen, int *body_line, struct err *e);

#endif
