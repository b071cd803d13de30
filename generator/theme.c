#include "theme.h"

#include "buf.h"
#include "toml.h"

#include <stdlib.h>
#include <string.h>

static const struct mst *lookup(void *ctx, const char *name, size_t len)
{
	const struct theme *t = ctx;

	return strmap_getn(&t->partials, name, len);
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

struct refcheck {
	const struct theme *t;
	const char *file;
	struct err *e;
};

static int check_ref(void *ctx, const char *name, int line)
{
	struct refcheck *rc = ctx;

	if (strmap_get(&rc->t->partials, name))
		return 0;
	err_at(rc->e, rc->file, line, 0, "partial '%s' not found (expected %spartials/%s.mustache)",
	       name, rc->t->dir, name);
	return -1;
}

struct theme *theme_load(const struct repo *r, const char *name, struct err *e)
{
	struct theme *t = calloc(1, sizeof *t);
	struct buf dir = BUF_INIT;
	size_t i, dl;

	if (!t)
		goto oom;
	buf_printf(&dir, "themes/%s/", name);
	if (buf_failed(&dir))
		goto oom;
	dl = dir.len;
	t->name = strdup(name);
	t->dir = strdup(dir.ptr);
	if (!t->name || !t->dir)
		goto oom;
	t->env.lookup = lookup;
	t->env.lookup_ctx = t;
	for (i = 0; i < r->nfiles; i++) {
		const struct rfile *f = &r->files[i];
		const char *rest;
		struct strmap *map = NULL;

		if (strncmp(f->path, dir.ptr, dl) != 0)
			continue;
		rest = f->path + dl;
		if (strncmp(rest, "layouts/", 8) == 0 && ends_with(rest, ".mustache"))
			map = &t->layouts, rest += 8;
		else if (strncmp(rest, "partials/", 9) == 0 && ends_with(rest, ".mustache"))
			map = &t->partials, rest += 9;
		else if (strncmp(rest, "static/", 7) == 0) {
			const struct rfile **s = realloc(t->statics, (t->nstatics + 1) * sizeof *s);

			if (!s)
				goto oom;
			t->statics = s;
			s[t->nstatics++] = f;
			continue;
		} else if (strcmp(rest, "strings.toml") == 0) {
			t->strings = toml_parse(f->data, f->len, f->path, 0, e);
			if (!t->strings)
				goto fail;
			continue;
		} else
			continue;
		{
			struct mst *m = mst_compile(f->data, f->len, f->path, e);
			struct mst **all;
			size_t kl = strlen(rest) - strlen(".mustache");
			char *key;

			if (!m)
				goto fail;
			all = realloc(t->all, (t->nall + 1) * sizeof *all);
			if (!all) {
				mst_free(m);
				goto oom;
			}
			t->all = all;
			all[t->nall++] = m;
			/* the key points into the file path, which outlives the theme */
			key = (char *)rest;
			if (strmap_putn(map, key, kl, m) < 0)
				goto oom;
		}
	}
	if (t->layouts.n == 0) {
		err_set(e, "%slayouts/: theme '%s' has no layouts (is the theme in the commit?)",
		        dir.ptr, name);
		goto fail;
	}
	if (!t->strings && !(t->strings = val_new(VAL_TABLE)))
		goto oom;
	for (i = 0; i < t->nall; i++) {
		struct refcheck rc = {t, mst_name(t->all[i]), e};

		if (mst_each_ref(t->all[i], check_ref, &rc) != 0)
			goto fail;
	}
	buf_free(&dir);
	return t;
oom:
	err_oom(e);
fail:
	buf_free(&dir);
	theme_free(t);
	return NULL;
}

void theme_free(struct theme *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nall; i++)
		mst_free(t->all[i]);
	free(t->all);
	strmap_free(&t->layouts);
	strmap_free(&t->partials);
	val_free(t->strings);
	free(t->statics);
	free(t->name);
	free(t->dir);
	free(t);
}

const struct mst *theme_layout(const struct theme *t, const char *name)
{
	return strmap_get(&t->layouts, name);
}

const struct mst *theme_partial(const struct theme *t, const char *name)
{
	return strmap_get(&t->partials, name);
}
