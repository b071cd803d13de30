/*
 * theme.h - a theme read from the snapshot: themes/NAME/layouts/NAME.mustache
 * (page layouts), partials/NAME.mustache (partials and parents, by file name
 * without the extension), static/ (copied to the web root) and
 * strings.toml (the UI strings, given to templates as `t`).
 */
#ifndef OKIENKO_THEME_H
#define OKIENKO_THEME_H

#include "err.h"
#include "mustache.h"
#include "repo.h"
#include "strmap.h"
#include "value.h"

struct theme {
	char *name;
	char *dir;             /* "themes/default/" */
	struct strmap layouts; /* "page" -> struct mst */
	struct strmap partials;
	struct mst **all; /* owned templates */
	size_t nall;
	struct val *strings; /* strings.toml, owned (empty table when none) */
	const struct rfile **statics;
	size_t nstatics;
	struct mst_env env; /* resolves partials by name */
};

/* Loads theme `name` from the snapshot; compiles every template and checks
 * that every partial a template names exists (file:line otherwise).
 * Returns NULL with e set. */
struct theme *theme_load(const struct repo *r, const char *name, struct err *e);
void theme_free(struct theme *t);
/* The layout named `name`, or NULL. */
const struct mst *theme_layout(const struct theme *t, const char *name);
const struct mst *theme_partial(const struct theme *t, const char *name);

#endif
