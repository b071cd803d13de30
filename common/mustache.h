/*
 * mustache.h - Mustache templates: compile once, render many times.
 *
 * Implements the Mustache spec v1.x core modules (comments, set delimiters,
 * interpolation, sections, inverted sections, partials, standalone lines)
 * and the optional modules ~inheritance ({{<parent}}, {{$block}}) and
 * ~dynamic-names ({{>*name}}, {{<*name}}). Lambdas are not supported.
 *
 * Data comes from the value tree (value.h):
 *  - Falsey: a missing key, VAL_NULL, false, an empty array and, as a
 *    deliberate choice for this project, the empty string "" (so that
 *    {{#subtitle}}<h2>{{subtitle}}</h2>{{/subtitle}} works for optional
 *    front-matter fields). Everything else is truthy, including 0, 0.0 and
 *    an empty table.
 *  - Sections iterate arrays (each item pushed as a context frame) and
 *    render once for any other truthy value, pushed as a frame.
 *  - {{x}} escapes & < > " ' as &amp; &lt; &gt; &quot; &#39;; {{{x}}} and
 *    {{&x}} do not escape.
 *  - Integers print with %lld; floats in the shortest of %.15g, %.16g and
 *    %.17g that reads back as the same double (1.210 prints "1.21");
 *    booleans as "true"/"false"; datetimes as their text; null, arrays and
 *    tables print nothing.
 *  - Names: "." is the top of the context stack; "a.b.c" resolves "a" up the
 *    stack (innermost frame first), then "b" and "c" only inside that value.
 *
 * Indentation: a partial or parent tag alone on its line indents every line
 * of the expanded template by the whitespace before the tag (indentations
 * of nested expansions add up); lines inside interpolated values are not
 * indented. Blocks are re-indented as ~inheritance describes: the block's
 * "intrinsic" indentation is removed from the argument's lines and the
 * indentation of the block in the parent is added. An argument's lines do
 * not keep the indentation of the partial they were written in.
 *
 * Limits (every input is hostile until validated):
 *  - MST_MAX_SIZE bytes of template source;
 *  - MST_MAX_DEPTH nested sections/parents/blocks at compile time;
 *  - MST_MAX_DEPTH nested partial, parent and block-override expansions at
 *    render time (stops recursive partials), and MST_MAX_NEST nested
 *    sections, partials, parents and blocks together (bounds the stack);
 *  - MST_MAX_WORK template nodes visited per mst_render() call (stops
 *    runaway templates, such as deeply nested loops over the same list or
 *    blocks that override themselves, in bounded time).
 *
 * Thread safety: a compiled template is read-only during rendering, so one
 * template may be rendered from several threads at once (each with its own
 * output buffer and error).
 */
#ifndef OKIENKO_MUSTACHE_H
#define OKIENKO_MUSTACHE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "value.h"

/* A compiled template: parse once, render many times. Rendering walks a
 * precompiled node array and allocates nothing but the output buffer. */
struct mst;

/* Section nesting at compile time; partial/parent nesting at render time. */
#define MST_MAX_DEPTH 64
/* Largest template source accepted by mst_compile(). */
#define MST_MAX_SIZE (16u * 1024 * 1024)
/* Sections, partials, parents and blocks nested at once while rendering:
 * bounds the C stack mst_render() needs (about 100 KB at -O2). */
#define MST_MAX_NEST 256
/* Node visits allowed per mst_render() call (overridable at build time, e.g.
 * lower for the fuzzer). */
#ifndef MST_MAX_WORK
#define MST_MAX_WORK 100000000UL
#endif

/* Compiles `src` (`len` bytes, need not be NUL-terminated; may be NULL when
 * len is 0). `name` (e.g. "themes/default/layouts/page.mustache") is copied
 * and used in error messages as "name:line:col: message" (1-based; columns
 * count bytes) pointing at the offending tag: unclosed tag,
 * unclosed section "x", mismatched closing tag, unexpected closing tag,
 * bad delimiter change, invalid name, nesting too deep, template too large.
 * Returns a template the caller frees with mst_free(), or NULL with `e` set
 * (also on allocation failure). `src` is not referenced after the call. */
struct mst *mst_compile(const char *src, size_t len, const char *name, struct err *e);

/* Frees a template. NULL is fine. */
void mst_free(struct mst *t);

/* The name given to mst_compile(); owned by the template. */
const char *mst_name(const struct mst *t);

/* Looks up a partial or parent by name (`len` bytes, not NUL-terminated);
 * returns NULL if there is none (per the spec a missing partial or parent
 * renders as nothing). The returned template must stay alive until
 * mst_render() returns. */
typedef const struct mst *(*mst_lookup_fn)(void *ctx, const char *name, size_t len);

struct mst_env {
	mst_lookup_fn lookup; /* NULL: every partial is missing */
	void *lookup_ctx;     /* passed to lookup */
};

/* Renders `t` with a context stack: stack[0] is the outermost frame,
 * stack[n-1] the innermost (lookups go innermost first; sections push more
 * frames on top). `stack` may be NULL when n is 0; NULL frames are skipped.
 * `env` may be NULL (no partials). Appends the output to `out`.
 * Returns 0, or -1 with `e` set: render nesting deeper than MST_MAX_DEPTH
 * (recursive partials, parents or blocks), more than MST_MAX_WORK node
 * visits, or output allocation failure. On failure `out` holds a partial
 * result the caller should discard. */
int mst_render(const struct mst *t, const struct val *const *stack, size_t n,
               const struct mst_env *env, struct buf *out, struct err *e);

/* Calls cb for every partial ({{>name}}) and parent ({{<name}}) referenced
 * statically in t, in source order, with the tag's 1-based line; dynamic
 * names ({{>*name}}) are skipped. `name` is NUL-terminated and owned by the
 * template. Stops and returns cb's value as soon as it is non-zero; returns
 * 0 otherwise. */
int mst_each_ref(const struct mst *t, int (*cb)(void *ctx, const char *name, int line), void *ctx);

#endif
