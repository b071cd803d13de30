/*
 * json.h - a small JSON reader for tests (the Mustache spec files).
 *
 * Produces value trees (value.h): object -> VAL_TABLE (keys in document
 * order; a repeated key replaces the earlier value in place), array ->
 * VAL_ARRAY, string -> VAL_STRING (escapes decoded, \u surrogate pairs
 * joined, UTF-8 output; may contain NUL via \u0000), number -> VAL_INT when
 * it has no fraction or exponent and fits a long long, else VAL_FLOAT,
 * true/false -> VAL_BOOL, null -> VAL_NULL.
 *
 * Strict RFC 8259: no comments, no trailing commas, no leading zeros, no
 * lone surrogates, no raw control characters in strings, nothing after the
 * top-level value but whitespace. Nesting deeper than JSON_MAX_DEPTH is
 * refused.
 */
#ifndef OKIENKO_TEST_JSON_H
#define OKIENKO_TEST_JSON_H

#include <stddef.h>

#include "err.h"
#include "value.h"

#define JSON_MAX_DEPTH 256
#define JSON_MAX_FILE (64u * 1024 * 1024)

/* Parses `len` bytes of `s`. `name` prefixes errors as "name:line:col:
 * message". Returns a tree the caller frees with val_free(), or NULL with
 * `e` set. */
struct val *json_parse(const char *s, size_t len, const char *name, struct err *e);

/* Reads and parses the file at `path` (at most JSON_MAX_FILE bytes).
 * Returns a tree the caller frees with val_free(), or NULL with `e` set. */
struct val *json_load(const char *path, struct err *e);

#endif
