/*
 * err.h - error reports passed from library code to main().
 *
 * Library functions never print and never exit: they fill a struct err and
 * return -1. Messages are lowercase, without a full stop, the problem first,
 * prefixed with the place when there is one: "file:line:col: message".
 *
 * Each error also carries a kind, so that a caller can act on it without
 * reading the message: bad input is the sender's to fix (formd answers 4xx),
 * running out of memory or failing to read or write a file is not (5xx).
 */
#ifndef OKIENKO_ERR_H
#define OKIENKO_ERR_H

#include <stddef.h>

enum err_kind {
	ERR_NONE,  /* no error recorded */
	ERR_INPUT, /* the input is wrong: a file, a form, an option */
	ERR_NOMEM, /* an allocation failed (or a size overflowed) */
	ERR_IO,    /* the system failed: reading, writing, a thread */
};

struct err {
	char msg[1024];
	enum err_kind kind;
};

/* Formats into e->msg, sets the kind to ERR_INPUT and returns -1, so
 * `return err_set(e, ...)` reads like git's `return error(...)`. A NULL `e`
 * is allowed (for every function here). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int err_set(struct err *e, const char *fmt, ...);
/* Like err_set with a "file:line:col: " prefix (line/col 0 are left out);
 * ERR_INPUT. */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
int err_at(struct err *e, const char *file, int line, int col, const char *fmt, ...);
/* Like err_set with the kind given. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int err_kind_set(struct err *e, enum err_kind kind, const char *fmt, ...);
/* "out of memory", ERR_NOMEM; returns -1. */
int err_oom(struct err *e);
/* The kind's name: "none", "bad input", "out of memory", "i/o error". */
const char *err_kind_name(enum err_kind kind);

#endif
