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

#endif
