/*
 * utf8.h - UTF-8 validation and decoding.
 */
#ifndef OKIENKO_UTF8_H
#define OKIENKO_UTF8_H

#include <stddef.h>

/* Returns the byte offset of the first invalid sequence (overlong forms,
 * surrogates and code points above U+10FFFF are invalid), or `len` if the
 * whole text is valid. */
size_t utf8_check(const char *s, size_t len);
/* Decodes one code point at s[0..len). Sets *cp and returns its length in
 * bytes (1-4), or 0 if the sequence is invalid or truncated. */
int utf8_decode(const char *s, size_t len, unsigned *cp);
/* 1-based line and column (in code points) of byte offset `off`. */
/* The number of code points in valid UTF-8 text (continuation bytes are
 * not counted). */
size_t utf8_count(const char *s, size_t len);
void utf8_linecol(const char *s, size_t off, int *line, int *col);

#endif
