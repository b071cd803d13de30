/*
 * gzip.h - the gzip copies of the pages and stylesheets (nginx's
 * gzip_static serves them to browsers that accept gzip). The only zlib
 * user.
 */
#ifndef OKIENKO_GZIP_H
#define OKIENKO_GZIP_H

#include "buf.h"
#include "err.h"

#include <stddef.h>

/* Appends the gzip file (RFC 1952) of data[0..len) to out: no file name,
 * modification time 0, one fixed compression level, so the same bytes
 * always give the same file. 0, or -1 with e (ERR_NOMEM; out is then
 * failed or unchanged). Thread-safe. */
int gzip_file(struct buf *out, const void *data, size_t len, struct err *e);

/* 1 when public/`path` gets a .gz copy beside it (HTML and CSS). */
int gzip_wanted(const char *path);

#endif
