/*
 * toml.h - a TOML 1.0.0 reader producing a value tree (value.h).
 *
 * Used for site.toml and for the "+++" front matter of every content file.
 * The whole of TOML 1.0.0 is read: comments, bare, quoted and dotted keys,
 * the four kinds of strings with every escape, integers (decimal with
 * underscores, 0x/0o/0b), floats (inf, nan), booleans, the four kinds of
 * date-time, arrays, inline tables, [tables] and [[arrays of tables]], and
 * every rule against defining something twice. Input is hostile: the
 * document must be valid UTF-8, its size and nesting are capped (below),
 * and no input makes the reader crash, leak or run in more than linear time
 * (keys are found through a hash index, not by scanning tables).
 *
 * Mapping to values:
 *  - strings are VAL_STRING (they may hold NUL bytes from \u0000: use len);
 *    newlines in multi-line strings are returned as "\n", also for CRLF input;
 *  - integers are VAL_INT (64-bit), floats VAL_FLOAT, booleans VAL_BOOL;
 *  - date-times are VAL_DATETIME with the kind in `dt` and the text in
 *    u.str, normalised: 'T' and 'Z' upper-case, a space separator replaced
 *    by 'T', everything else (fraction digits, offset) as written;
 *  - arrays are VAL_ARRAY, tables, inline tables and the elements of
 *    arrays of tables are VAL_TABLE, keys in document order.
 * Every value carries `line` and `col` (1-based, col in characters, a tab
 * counts as one) of where it starts: a string's opening quote, an array's
 * '[', an inline table's '{', a [table] or [[table]] element's '[' (an
 * array of tables: its first [[header]]), and for a table that no header
 * defines, the key that created it (the `a` of [a.b]) or took it over (the
 * `a` of a.b = 1). `flags` tells how a table or array came to be (TOML_F_*).
 */
#ifndef OKIENKO_TOML_H
#define OKIENKO_TOML_H

#include <stddef.h>

#include "err.h"
#include "value.h"

/* Tables and arrays may be nested at most this deep: the root table is
 * level 0, the value of a top-level key level 1. Every part of a dotted key
 * or of a [table.name] counts as one level, and so does every array and
 * inline table. Deeper input fails cleanly (no recursion past the limit). */
#define TOML_MAX_DEPTH 64
/* Largest document, in bytes. */
#define TOML_MAX_SIZE (16u << 20)

/* Bits the reader leaves in val.flags. */
#define TOML_F_IMPLICIT 0x01u /* table created as the parent in a [a.b] header */
#define TOML_F_DEFINED 0x02u  /* table defined by a [header] or a [[header]] element */
#define TOML_F_DOTTED 0x04u   /* table created (or taken over) by dotted keys */
#define TOML_F_INLINE 0x08u   /* inline table or array value: immutable */
#define TOML_F_AOT 0x10u      /* array created by [[header]]s */

/*
 * Parses a TOML 1.0 document of `len` bytes (need not be NUL-terminated;
 * `text` may be NULL when len is 0; a leading UTF-8 byte order mark is
 * skipped). `name` names the source in errors (NULL reads "<toml>");
 * `line_offset` is added to every line number, in errors and in the values'
 * `line` (front matter that starts after a "+++" line passes 1).
 *
 * Returns a VAL_TABLE the caller frees with val_free(), or NULL with
 * e->msg = "name:line:col: message" (lowercase, no full stop), where
 * line:col is the offending character. Redefinitions name the place of the
 * first definition, e.g. "duplicate key 'title' (first defined at 3:1)".
 * Allocation failure is reported as "name: out of memory". `e` may be NULL.
 * Thread-safe: no global state, independent of the locale.
 */
struct val *toml_parse(const char *text, size_t len, const char *name, int line_offset,
                       struct err *e);

#endif
