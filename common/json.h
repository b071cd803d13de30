/*
 * json.h - JSON text to and from the value tree (value.h), through
 * libjansson. json.c is the only file of the project that includes
 * <jansson.h>: every JSON the project reads or writes goes through here.
 *
 * Reading (RFC 8259, strict):
 *  - any value may stand at the top level, not only an object or array;
 *  - objects become VAL_TABLE (keys in document order), arrays VAL_ARRAY,
 *    strings VAL_STRING (escapes decoded; "\u0000" is kept, so use `len`),
 *    integers (no fraction, no exponent) VAL_INT, other numbers VAL_FLOAT,
 *    true/false VAL_BOOL, null VAL_NULL; values carry no line/col (0);
 *  - refused, as bad input: invalid UTF-8, a repeated key in one object, a
 *    NUL byte (\u0000) in a key, an integer outside long long, a number
 *    too large for a double, anything but whitespace after the value, more
 *    than JSON_MAX_SIZE bytes, nesting deeper than JSON_MAX_DEPTH.
 *  - errors read "name:line:col: message", where line and col (in
 *    characters, 1-based) are jansson's: the last character of the token
 *    where the problem was seen; for nesting, the first '[' or '{' too deep.
 *
 * Writing (json_dump):
 *  - tables become objects (insertion order), arrays arrays, strings and
 *    datetimes (their text) strings, ints integers, bools and null;
 *  - UTF-8 is written as it is (not \u-escaped); control characters, '"'
 *    and '\\' are escaped, NUL as \u0000;
 *  - floats are written with 17 significant digits (%.17g, jansson's
 *    JSON_REAL_PRECISION(17)) so they read back to the same double; 0.1 is
 *    written 0.10000000000000001. A float with an integral value keeps a
 *    ".0" (1.0, -0.0) so it reads back as a float;
 *  - refused, as bad input, with the place in the tree ("items[2].x: ..."):
 *    NaN and infinities, invalid UTF-8 in a string or key, a NUL byte in a
 *    key, a key twice in one table, nesting deeper than JSON_MAX_DEPTH, so
 *    whatever is written can be read back;
 *  - the same tree always gives the same bytes.
 */
#ifndef OKIENKO_JSON_H
#define OKIENKO_JSON_H

#include <stddef.h>

#include "err.h"
#include "value.h"

#define JSON_MAX_SIZE (64u << 20) /* bytes of JSON text accepted */
#define JSON_MAX_DEPTH 64         /* nesting of arrays/objects accepted (and written) */

/* Parses `len` bytes of JSON text (no NUL terminator needed). `name` (a file
 * name; NULL means "json") prefixes error messages as "name:line:col:
 * message". Returns a tree the caller frees with val_free(), or NULL with
 * `e` set: ERR_INPUT for bad JSON or a limit, ERR_NOMEM. */
struct val *json_parse(const char *text, size_t len, const char *name, struct err *e);

/* Reads the file at `path` (at most JSON_MAX_SIZE bytes, fs_read) and parses
 * it, errors prefixed with `path`. Returns a tree the caller frees with
 * val_free(), or NULL with `e` set. */
struct val *json_read_file(const char *path, struct err *e);

enum {
	/* One value per line, nested values indented by 2 spaces, ": " after
	 * keys, "[]" and "{}" when empty, and a final "\n". Without it the
	 * output is compact: no whitespace at all, no final newline. */
	JSON_OUT_PRETTY = 1,
	/* Safe inside an HTML <script> element: '/' '<' '>' '&' are written as
	 * \/ \u003c \u003e \u0026 (so neither "</script" nor "<!--" can
	 * appear), and U+2028 U+2029 as \u2028 \u2029 (line breaks to
	 * JavaScript engines older than ES2019). */
	JSON_OUT_SCRIPT = 2,
};

/* Serialises the tree `v` (see above) as JSON text, `flags` a combination
 * of JSON_OUT_*. Returns malloc'd NUL-terminated text the caller frees, its
 * length in *len when len != NULL; or NULL with `e` set (ERR_INPUT for a
 * tree JSON cannot hold or unknown flags, ERR_NOMEM). */
char *json_dump(const struct val *v, unsigned flags, size_t *len, struct err *e);

#endif
