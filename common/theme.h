/*
 * theme.h - a theme's templates and UI strings, compiled once and shared by
 * both programs: the generator feeds it the files of a commit, formd the
 * copy the generator left in OUT/private/theme/.
 *
 * A theme is a list of files below one folder (its `dir`):
 *   layouts/NAME.mustache   page layouts, by NAME
 *   partials/NAME.mustache  partials and parents ({{>NAME}}, {{<NAME}})
 *   strings.toml            the UI strings, given to templates as `t`
 * Other files (static/) are not the loader's business.
 *
 * Thread safety: a loaded theme is read-only; it may render on several
 * threads at once.
 */
#ifndef OKIENKO_THEME_H
#define OKIENKO_THEME_H

#include "err.h"
#include "mustache.h"
#include "strmap.h"
#include "value.h"

#include <stddef.h>

#define THEME_MAX_FILES 1000 /* templates and strings read by theme_load_dir */

/* One file handed to theme_load: its path (starting with the theme's dir)
 * and contents; both borrowed for the call only. */
struct theme_file {
	const char *path;
	const char *data;
	size_t len;
};

struct theme {
	char *dir;             /* "themes/default/", owned; prefixes messages */
	struct strmap layouts; /* "page" -> struct mst (keys owned by `keys`) */
	struct strmap partials;
	struct mst **all; /* every compiled template, owned */
	char **keys;      /* the maps' keys, owned, one per template */
	size_t nall;
	struct val *strings; /* strings.toml, owned (an empty table when none) */
	struct mst_env env;  /* resolves partials by name */
};

/* Compiles the theme from `files` (paths outside `dir`, and static files,
 * are skipped), checks that every partial a template names exists and that
 * there is at least one layout. Returns a theme to free with theme_free(),
 * or NULL with e ("file:line:col: message" for a template that does not
 * compile or names a missing partial; ERR_NOMEM). */
struct theme *theme_load(const char *dir, const struct theme_file *files, size_t nfiles,
                         struct err *e);
/* Loads a theme from a folder on disk (layouts/, partials/, strings.toml
 * below `dir`), as formd does from OUT/private/theme/. Messages name the
 * files as `dir`/layouts/x.mustache. NULL with e (ERR_IO when a file
 * cannot be read). */
struct theme *theme_load_dir(const char *dir, struct err *e);
void theme_free(struct theme *t);
/* The layout or partial named `name`, or NULL. */
const struct mst *theme_layout(const struct theme *t, const char *name);
const struct mst *theme_partial(const struct theme *t, const char *name);

#endif
