/*
 * err.h - error reports passed from library code to main().
 *
 * Library functions never print and never exit: they fill a struct err and
 * return -1. Messages are lowercase, without a full stop, the problem first,
 * prefixed with the place when there is one: "file:line:col: message".
 */
#ifndef OKIENKO_ERR_H
#define OKIENKO_ERR_H

#include <stddef.h>

struct err {
	char msg[1024];
};

/* Formats into e->msg and returns -1, so `return err_set(e, ...)` reads
 * like git's `return error(...)`. A NULL `e` is allowed. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int err_set(struct err *e, const char *fmt, ...);
/* Like err_set with a "file:line:col: " prefix (line/col 0 are left out). */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
int err_at(struct err *e, const char *file, int line, int col, const char *fmt, ...);

#endif
