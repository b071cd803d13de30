#include "theme.h"

#include "buf.h"
#include "fsutil.h"
#include "toml.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Compiles one template and files it under `key` (klen bytes) in `map`. */
static int add_template(struct theme *t, struct strmap *map, const struct theme_file *f,
                        const char *key, size_t klen, struct err *e)
{
	struct mst *m = mst_compile(f->data, f->len, f->path, e);
	struct mst **all;
	char **keys, *k;

	if (!m)
		return -1;
	all = realloc(t->all, (t->nall + 1) * sizeof *all);
	if (all)
		t->all = all;
	keys = realloc(t->keys, (t->nall + 1) * sizeof *keys);
	if (keys)
		t->keys = keys;
	k = strndup(key, klen);
	if (!all || !keys || !k) {
		free(k);
		mst_free(m);
		return err_oom(e);
	}
	t->all[t->nall] = m;
	t->keys[t->nall++] = k;
	return strmap_putn(map, k, klen, m) < 0 ? err_oom(e) : 0;
}

struct theme *theme_load(const char *dir, const struct theme_file *files, size_t nfiles,
                         struct err *e)
{
	struct theme *t = calloc(1, sizeof *t);
	size_t i, dl = strlen(dir);

	if (!t || !(t->dir = strdup(dir))) {
		err_oom(e);
		goto fail;
	}
	t->env.lookup = lookup;
	t->env.lookup_ctx = t;
	for (i = 0; i < nfiles; i++) {
		const struct theme_file *f = &files[i];
		const char *rest;

		if (strncmp(f->path, dir, dl) != 0)
			continue;
		rest = f->path + dl;
		if (strncmp(rest, "layouts/", 8) == 0 && ends_with(rest, ".mustache")) {
			if (add_template(t, &t->layouts, f, rest + 8, strlen(rest + 8) - 9, e) < 0)
				goto fail;
		} else if (strncmp(rest, "partials/", 9) == 0 && ends_with(rest, ".mustache")) {
			if (add_template(t, &t->partials, f, rest + 9, strlen(rest + 9) - 9, e) < 0)
				goto fail;
		} else if (strcmp(rest, "strings.toml") == 0) {
			val_free(t->strings);
			t->strings = toml_parse(f->data, f->len, f->path, 0, e);
			if (!t->strings)
				goto fail;
		}
	}
	if (t->layouts.n == 0) {
		err_set(e, "%slayouts/: the theme has no layouts (is the theme in the commit?)",
		        dir);
		goto fail;
	}
	if (!t->strings && !(t->strings = val_new(VAL_TABLE))) {
		err_oom(e);
		goto fail;
	}
	for (i = 0; i < t->nall; i++) {
		struct refcheck rc = {t, mst_name(t->all[i]), e};

		if (mst_each_ref(t->all[i], check_ref, &rc) != 0)
			goto fail;
	}
	return t;
fail:
	theme_free(t);
	return NULL;
}

/* Files read from disk for theme_load_dir: `f` views memory that `own`
 * owns (so nothing is freed through a const pointer). */
struct dir_files {
	struct theme_file *f;
	size_t n;
	char **own;
	size_t nown;
};

/* Keeps `p` to be freed with the list; NULL p (a failed allocation) and
 * a failure to keep it give -1 (p is freed then). */
static int keep(struct dir_files *d, char *p)
{
	char **o;

	if (!p)
		return -1;
	o = realloc(d->own, (d->nown + 1) * sizeof *o);
	if (!o) {
		free(p);
		return -1;
	}
	d->own = o;
	o[d->nown++] = p;
	return 0;
}

/* Reads `path` as the next theme file. 0 or -1 with e. */
static int add_file(struct dir_files *d, const char *path, size_t max, struct err *e)
{
	struct theme_file *f;
	char *p = strdup(path), *data;
	size_t len;

	if (keep(d, p) < 0)
		return err_oom(e);
	if (d->n >= THEME_MAX_FILES)
		return err_set(e, "%s: too many theme files (limit %d)", path, THEME_MAX_FILES);
	f = realloc(d->f, (d->n + 1) * sizeof *f);
	if (!f)
		return err_oom(e);
	d->f = f;
	data = fs_read(p, max, &len, e);
	if (!data)
		return -1;
	if (keep(d, data) < 0)
		return err_oom(e);
	f[d->n].path = p;
	f[d->n].data = data;
	f[d->n].len = len;
	d->n++;
	return 0;
}

/* Reads the *.mustache files of dir/sub/, in name order. 0 or -1 with e;
 * a missing folder is an empty one. */
static int read_templates(struct dir_files *d, const char *dir, const char *sub, struct err *e)
{
	struct buf path = BUF_INIT;
	struct dirent **names = NULL;
	int i, count, ret = 0;

	buf_printf(&path, "%s%s", dir, sub);
	if (buf_failed(&path))
		return err_oom(e);
	count = scandir(path.ptr, &names, NULL, alphasort);
	for (i = 0; i < count; i++) {
		const char *name = names[i]->d_name;

		if (ret == 0 && name[0] != '.' && ends_with(name, ".mustache")) {
			buf_reset(&path);
			buf_printf(&path, "%s%s%s", dir, sub, name);
			ret =
			    buf_failed(&path) ? err_oom(e) : add_file(d, path.ptr, MST_MAX_SIZE, e);
		}
		free(names[i]);
	}
	free(names);
	buf_free(&path);
	return ret;
}

struct theme *theme_load_dir(const char *dir, struct err *e)
{
	struct dir_files d = {NULL, 0, NULL, 0};
	struct theme *t = NULL;
	struct buf b = BUF_INIT;
	size_t i;

	buf_puts(&b, dir);
	if (b.len == 0 || b.ptr[b.len - 1] != '/')
		buf_putc(&b, '/');
	if (buf_failed(&b)) {
		err_oom(e);
		goto out;
	}
	if (read_templates(&d, b.ptr, "layouts/", e) < 0 ||
	    read_templates(&d, b.ptr, "partials/", e) < 0)
		goto out;
	buf_puts(&b, "strings.toml");
	if (buf_failed(&b)) {
		err_oom(e);
		goto out;
	}
	/* a theme without strings has none to copy */
	if (access(b.ptr, F_OK) == 0 && add_file(&d, b.ptr, TOML_MAX_SIZE, e) < 0)
		goto out;
	buf_truncate(&b, b.len - strlen("strings.toml"));
	t = theme_load(b.ptr, d.f, d.n, e);
out:
	for (i = 0; i < d.nown; i++)
		free(d.own[i]);
	free(d.own);
	free(d.f);
	buf_free(&b);
	return t;
}

void theme_free(struct theme *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nall; i++) {
		mst_free(t->all[i]);
		free(t->keys[i]);
	}
	free(t->all);
	free(t->keys);
	strmap_free(&t->layouts);
	strmap_free(&t->partials);
	val_free(t->strings);
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
