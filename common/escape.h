/*
 * escape.h - output escapers, one per context (after lowdown's
 * html_escape.c). Each appends to a buffer; the source is not changed.
 */
#ifndef OKIENKO_ESCAPE_H
#define OKIENKO_ESCAPE_H

#include "buf.h"

/* Element text and quoted attribute values: & < > " ' */
void esc_html(struct buf *out, const char *s, size_t len);
/* A URL placed in an href/src attribute: percent-encodes bytes that are not
 * allowed in URLs (space, controls, non-ASCII, quotes, < >) and HTML-escapes
 * '&'. Existing %XX sequences are kept. */
void esc_url(struct buf *out, const char *s, size_t len);
/* XML text and attributes (sitemap, Atom): the same five characters */
void esc_xml(struct buf *out, const char *s, size_t len);
/* 1 if the URL's scheme is one a page may link to: http, https, mailto,
 * tel, or no scheme at all (relative). javascript:, vbscript:, data:,
 * file: and unknown schemes give 0. */
int url_is_safe(const char *url);

/* Text for a terminal or a log line: C0 controls, DEL, C1 controls, line
 * and paragraph separators, bidirectional overrides and bytes of invalid
 * UTF-8 come out as \xNN and the backslash as \\, so that text from
 * outside cannot move the cursor, recolour or fake a line. With
 * `nl_indent`, newlines are kept, each followed by that text; without, a
 * newline is \x0a too. */
void esc_term(struct buf *out, const char *s, size_t len, const char *nl_indent);

#endif
