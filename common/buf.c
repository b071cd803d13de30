#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char buf_empty_[1];

void buf_init(struct buf *b)
{
	b->ptr = buf_empty_;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return -1;
	if (extra > SIZE_MAX - b->len - 1)
		goto fail;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->cap ? b->ptr : NULL, cap);
	if (!p)
		goto fail;
	if (!b->cap)
		p[0] = '\0';
	b->ptr = p;
	b->cap = cap;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	if (len == 0 || buf_grow(b, len) < 0)
		return;
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	if (buf_grow(b, 1) < 0)
		return;
	b->ptr[b->len++] = c;
	b->ptr[b->len] = '\0';
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (b->failed)
		return;
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (b->cap && (size_t)n < b->cap - b->len) {
		b->len += (size_t)n;
		return;
	}
	if (buf_grow(b, (size_t)n) < 0)
		return;
	vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len > b->len)
		return;
	b->len = len;
	if (b->cap)
		b->ptr[len] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (b->failed) {
		buf_free(b);
		if (len)
			*len = 0;
		return NULL;
	}
	p = b->cap ? b->ptr : calloc(1, 1);
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

void buf_free(struct buf *b)
{
	if (b->cap)
		free(b->ptr);
	buf_init(b);
}
