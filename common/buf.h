/*
 * buf.h - growable byte buffer (after git's strbuf).
 *
 * Rules:
 *  - `ptr` is never NULL and always NUL-terminated; a fresh buffer points at
 *    a shared empty string, so BUF_INIT needs no allocation.
 *  - Growth is overflow-checked. On allocation failure or overflow the buffer
 *    becomes "failed": `failed` is set, every later append is a no-op and the
 *    contents stay valid (possibly truncated). Callers check buf_failed()
 *    once, after a series of appends, instead of after each one.
 *  - buf_detach() hands the memory to the caller (free() it); the buffer is
 *    reset to empty. buf_free() releases it.
 */
#ifndef OKIENKO_BUF_H
#define OKIENKO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *ptr;  /* contents, NUL-terminated, never NULL */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated; 0 while ptr is the shared empty string */
	int failed; /* sticky: an allocation failed, appends are dropped */
};

extern char buf_empty_[1];
#define BUF_INIT                                                                                   \
	{                                                                                          \
		buf_empty_, 0, 0, 0                                                                \
	}

void buf_init(struct buf *b);
/* Make room for `extra` more bytes (plus the NUL). Returns 0 or -1. */
int buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void buf_printf(struct buf *b, const char *fmt, ...);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Shorten to `len` bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
static inline void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}
static inline int buf_failed(const struct buf *b)
{
	return b->failed;
}
/* Returns the malloc'd contents (caller frees) and resets the buffer; NULL
 * if the buffer had failed (its memory is released then). */
char *buf_detach(struct buf *b, size_t *len);
void buf_free(struct buf *b);

#endif
