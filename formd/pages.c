#include "pages.h"
#include "rights.h"

#include "clock.h"
#include "json.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the frame of every page formd renders takes from private/site.json. */
static const char *const frame_keys[] = {"menu", "offices"};

/* The layouts formd renders; a build without them cannot be served. */
static const char *const needed[] = {
    "form-register",  "form-login",     "form-contact", "message",          "test-result",
    "certificate",    "forum-index",    "forum-thread", "forum-post",       "account",
    "account-action", "password-reset", "confirm",      "certificate-print"};

/* The [forms] keys whose form formd shows again, with its errors, on the
 * page of the site that has the layout (app_form_page); the login page
 * also asks a visitor of a test or forum to log in first. The generator
 * refuses such a site (generator/site.c form_layouts); a build made
 * otherwise must not be served either. */
static const char *const form_layouts[][2] = {
    {"contact", "form-contact"},
    {"register", "form-register"},
    {"login", "form-login"},
    {"rights", "form-rights"},
};

/* Each form of form_layouts that forms.json gives a path needs a page
 * with its layout in pages.json. 0, or -1 with e naming forms.json. */
static int check_form_pages(const struct sitedata *sd, struct err *e)
{
	size_t i, k;

	for (k = 0; k < sizeof form_layouts / sizeof form_layouts[0]; k++) {
		const char *path = sitedata_form(sd, form_layouts[k][0]);
		int found = 0;

		if (!path || !*path)
			continue;
		for (i = 0; sd->pages->type == VAL_TABLE && i < sd->pages->u.tab.n && !found; i++)
			found = strcmp(val_get_str(sd->pages->u.tab.kv[i].v, "layout", ""),
			               form_layouts[k][1]) == 0;
		if (!found)
			return err_set(e,
			               "%s/private/forms.json: forms.%s = \"%s\" needs a page with "
			               "layout %s in pages.json, and none has it",
			               sd->dir, form_layouts[k][0], path, form_layouts[k][1]);
	}
	return 0;
}

/* Reads OUT/private/NAME as JSON into *v. */
static int read_json(const char *dir, const char *name, struct val **v, struct err *e)
{
	struct buf p = BUF_INIT;

	buf_printf(&p, "%s/private/%s", dir, name);
	if (buf_failed(&p))
		return err_oom(e);
	*v = json_read_file(p.ptr, e);
	buf_free(&p);
	return *v ? 0 : -1;
}

/* Reads every private/tests/COURSE.json into a table by course. */
static int read_tests(const char *dir, struct sitedata *sd, struct err *e)
{
	struct buf p = BUF_INIT;
	struct dirent **names = NULL;
	int i, n, ret = 0;

	sd->tests = val_new(VAL_TABLE);
	buf_printf(&p, "%s/private/tests", dir);
	if (!sd->tests || buf_failed(&p)) {
		buf_free(&p);
		return err_oom(e);
	}
	n = scandir(p.ptr, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t l = strlen(name);

		if (ret == 0 && name[0] != '.' && l > 5 && strcmp(name + l - 5, ".json") == 0) {
			struct buf f = BUF_INIT;
			struct val *key;

			buf_printf(&f, "%s/%s", p.ptr, name);
			key = buf_failed(&f) ? NULL : json_read_file(f.ptr, e);
			if (!key)
				ret = -1;
			else if (val_setn(sd->tests, name, l - 5, key) < 0)
				ret = err_oom(e);
			buf_free(&f);
		}
		free(names[i]);
	}
	free(names);
	buf_free(&p);
	return ret;
}

struct sitedata *sitedata_load(const char *out_dir, struct err *e)
{
	struct sitedata *sd = calloc(1, sizeof *sd);
	struct buf p = BUF_INIT;
	struct val *build = NULL;
	size_t i;

	if (!sd) {
		err_oom(e);
		return NULL;
	}
	buf_printf(&p, "%s/public", out_dir);
	sd->dir = strdup(out_dir);
	sd->public_dir = buf_detach(&p, NULL);
	if (!sd->dir || !sd->public_dir) {
		err_oom(e);
		goto fail;
	}
	if (read_json(out_dir, "site.json", &sd->base, e) < 0 ||
	    read_json(out_dir, "pages.json", &sd->pages, e) < 0 ||
	    read_json(out_dir, "forms.json", &sd->forms, e) < 0 ||
	    read_json(out_dir, "offices.json", &sd->offices, e) < 0 ||
	    read_json(out_dir, "documents.json", &sd->documents, e) < 0 ||
	    read_json(out_dir, "build.json", &build, e) < 0 || read_tests(out_dir, sd, e) < 0 ||
	    check_form_pages(sd, e) < 0)
		goto fail;
	/* what every page's frame takes from site.json */
	for (i = 0; i < sizeof frame_keys / sizeof frame_keys[0]; i++)
		if (!val_get(sd->base, frame_keys[i])) {
			err_kind_set(
			    e, ERR_INPUT,
			    "%s/private/site.json: no \"%s\" (a build of another version?)",
			    out_dir, frame_keys[i]);
			goto fail;
		}
	snprintf(sd->commit, sizeof sd->commit, "%s", val_get_str(build, "commit", ""));
	val_free(build);
	build = NULL;
	buf_printf(&p, "%s/private/theme", out_dir);
	if (buf_failed(&p)) {
		err_oom(e);
		goto fail;
	}
	sd->theme = theme_load_dir(p.ptr, e);
	if (!sd->theme)
		goto fail;
	for (i = 0; i < sizeof needed / sizeof needed[0]; i++)
		if (!theme_layout(sd->theme, needed[i])) {
			err_set(e, "%s: the theme has no layouts/%s.mustache, which formd renders",
			        p.ptr, needed[i]);
			goto fail;
		}
	buf_free(&p);
	return sd;
fail:
	val_free(build);
	buf_free(&p);
	sitedata_free(sd);
	return NULL;
}

void sitedata_free(struct sitedata *sd)
{
	if (!sd)
		return;
	theme_free(sd->theme);
	val_free(sd->base);
	val_free(sd->pages);
	val_free(sd->forms);
	val_free(sd->offices);
	val_free(sd->documents);
	val_free(sd->tests);
	free(sd->dir);
	free(sd->public_dir);
	free(sd);
}

const char *sitedata_form(const struct sitedata *sd, const char *key)
{
	return val_get_str(sd->forms, key, NULL);
}

const struct val *sitedata_office(const struct sitedata *sd, const char *slug)
{
	size_t i;

	for (i = 0; sd->offices->type == VAL_ARRAY && i < sd->offices->u.arr.n; i++)
		if (strcmp(val_get_str(sd->offices->u.arr.items[i], "slug", ""), slug) == 0)
			return sd->offices->u.arr.items[i];
	return NULL;
}

const struct val *sitedata_test(const struct sitedata *sd, const char *course)
{
	return val_get(sd->tests, course);
}

const char *sitedata_document_commit(const struct sitedata *sd, const char *rel)
{
	const struct val *vs = val_get(val_get(sd->documents, rel), "versions");

	if (!vs || vs->type != VAL_ARRAY || vs->u.arr.n == 0)
		return NULL;
	return val_get_str(vs->u.arr.items[0], "commit", NULL);
}

static int render(const struct sitedata *sd, const char *layout, const struct val *frame,
                  const struct val *extra, struct buf *out, struct err *e)
{
	const struct mst *t = theme_layout(sd->theme, layout);
	const struct val *stack[3] = {sd->base, frame, extra};

	if (!t)
		return err_set(e, "layout '%s' is not in the theme", layout);
	if (mst_render(t, stack, 3, &sd->theme->env, out, e) < 0)
		return -1;
	return buf_failed(out) ? err_oom(e) : 0;
}

int page_render_url(const struct sitedata *sd, const char *url, const struct val *extra,
                    struct buf *out, struct err *e)
{
	const struct val *pg = val_get(sd->pages, url);

	if (!pg)
		return err_set(e, "%s: no such page in pages.json", url);
	return render(sd, val_get_str(pg, "layout", "page"), val_get(pg, "frame"), extra, out, e);
}

const struct val *page_frame(const struct sitedata *sd, const char *url)
{
	return val_get(val_get(sd->pages, url), "frame");
}

int page_render_url_frame(const struct sitedata *sd, const char *url, const struct val *frame,
                          const struct val *extra, struct buf *out, struct err *e)
{
	const struct val *pg = val_get(sd->pages, url);

	if (!pg)
		return err_set(e, "%s: no such page in pages.json", url);
	return render(sd, val_get_str(pg, "layout", "page"), frame, extra, out, e);
}

int page_render(const struct sitedata *sd, const char *layout, const char *url, const char *title,
                const struct val *extra, struct buf *out, struct err *e)
{
	struct val *frame = val_new(VAL_TABLE), *page = val_new(VAL_TABLE);
	struct buf perm = BUF_INIT;
	int r = 0;

	buf_puts(&perm, val_get_str(val_get(sd->base, "site"), "base_url", ""));
	buf_puts(&perm, url);
	r |= val_set(frame, "page", page);
	r |= val_set_str(page, "title", title) | val_set_str(page, "url", url);
	r |= buf_failed(&perm) ? -1 : val_set_str(page, "permalink", perm.ptr);
	r |= val_set(frame, "menu", val_dup(val_get(sd->base, "menu")));
	buf_free(&perm);
	if (r < 0 || !frame) {
		val_free(frame);
		return err_oom(e);
	}
	r = render(sd, layout, frame, extra, out, e);
	val_free(frame);
	return r;
}

struct val *pages_time(long long t)
{
	struct val *d = val_new(VAL_TABLE);
	struct buf b = BUF_INIT;
	int off = clock_warsaw_offset(t), r = 0;

	fmt_date(&b, t, off);
	r |= buf_failed(&b) ? -1 : val_set_str(d, "date", b.ptr);
	buf_reset(&b);
	fmt_datetime(&b, t, off);
	r |= buf_failed(&b) ? -1 : val_set_str(d, "iso", b.ptr);
	buf_free(&b);
	if (r < 0 || !d) {
		val_free(d);
		return NULL;
	}
	return d;
}

/* ---- a person's data (the account page, its copy, formd admin's export) ---- */

/* Adds KEY_t = {date, iso} beside every time in the tree (the store gives
 * seconds), for the page; the export keeps the seconds only. */
static int add_dates(struct val *v)
{
	static const char *const times[] = {"created", "accepted",     "at",       "issued",
	                                    "posted",  "received",     "answered", "last_used",
	                                    "due",     "extended_due", "closed",   "restricted"};
	size_t i, k, n;
	int r = 0;

	if (v->type == VAL_ARRAY) {
		for (i = 0; i < v->u.arr.n; i++)
			r |= add_dates(v->u.arr.items[i]);
		return r;
	}
	if (v->type != VAL_TABLE)
		return 0;
	n = v->u.tab.n; /* the keys added below are not visited */
	for (i = 0; i < n; i++) {
		struct val *c = v->u.tab.kv[i].v;
		const char *key = v->u.tab.kv[i].key;

		for (k = 0; k < sizeof times / sizeof times[0]; k++)
			if (strcmp(key, times[k]) == 0 && c->type == VAL_INT && c->u.i > 0) {
				char name[32];

				snprintf(name, sizeof name, "%s_t", key);
				r |= val_set(v, name, pages_time(c->u.i));
				break;
			}
		if (k == sizeof times / sizeof times[0])
			r |= add_dates(v->u.tab.kv[i].v);
	}
	return r;
}

/* The documents' titles and versions, the requests' words. */
static int add_list_names(struct val *data)
{
	struct val *l = val_get_mut(data, "consents");
	size_t i;
	int r = 0;

	for (i = 0; l && l->type == VAL_ARRAY && i < l->u.arr.n; i++) {
		struct val *it = l->u.arr.items[i];
		const char *doc = val_get_str(it, "document", "");
		char short_commit[8];
		int terms = strcmp(doc, "regulamin") == 0;

		snprintf(short_commit, sizeof short_commit, "%s", val_get_str(it, "commit", ""));

		r |= val_set_str(it, "title", terms ? "Regulamin portalu" : "Polityka prywatności");
		/* what the person did: the registration form's box, in its words */
		r |= val_set_str(it, "box",
		                 terms ? "Akceptuję regulamin portalu"
		                       : "Zapoznałem(-am) się z polityką prywatności");
		r |= val_set_str(it, "commit_short", short_commit);
	}
	l = val_get_mut(data, "requests");
	for (i = 0; l && l->type == VAL_ARRAY && i < l->u.arr.n; i++) {
		struct val *it = l->u.arr.items[i];

		r |= val_set_str(it, "right_text", rights_right_name(val_get_str(it, "right", "")));
		r |= val_set_str(it, "status_text",
		                 rights_status_name(val_get_str(it, "status", "")));
	}
	return r;
}

/* Names for the page: the status in words, the office's and courses' names. */
static int add_names(const struct sitedata *sd, struct val *data)
{
	struct val *profile = val_get_mut(data, "profile");
	const struct val *office = sitedata_office(sd, val_get_str(profile, "office", ""));
	static const char *const lists[] = {"attempts", "certificates", "posts"};
	size_t i, k;
	int r = 0;

	r |= val_set_str(profile, "status_text",
	                 strcmp(val_get_str(profile, "status", ""), "bezrobotna") == 0
	                     ? "osoba bezrobotna"
	                     : "osoba poszukująca pracy");
	r |= val_set_str(profile, "office_name", val_get_str(office, "name", ""));
	r |= add_list_names(data);
	for (k = 0; k < sizeof lists / sizeof lists[0]; k++) {
		struct val *l = val_get_mut(data, lists[k]);

		for (i = 0; l && l->type == VAL_ARRAY && i < l->u.arr.n; i++) {
			struct val *it = l->u.arr.items[i];
			const char *slug = val_get_str(it, "course", "");

			r |= val_set_str(it, "course_title",
			                 val_get_str(sitedata_test(sd, slug), "title", slug));
		}
	}
	return r;
}

int pages_user_data(const struct sitedata *sd, struct val *data)
{
	return add_dates(data) < 0 || add_names(sd, data) < 0 ? -1 : 0;
}

int pages_user_copy(const struct sitedata *sd, struct val *data, struct buf *out, struct err *e)
{
	struct val *top = val_new(VAL_TABLE);
	const char *url = sitedata_form(sd, "account");
	char path[300];
	int rc;

	if (!top) {
		val_free(data);
		return err_oom(e);
	}
	snprintf(path, sizeof path, "%s/wydruk", url ? url : "");
	if (val_set(top, "data", data) < 0 || val_set_bool(top, "copy", 1) < 0) {
		val_free(top);
		return err_oom(e);
	}
	if (pages_user_data(sd, val_get_mut(top, "data")) < 0) {
		val_free(top);
		return err_oom(e);
	}
	rc = page_render(sd, "account", path, "Kopia moich danych", top, out, e);
	val_free(top);
	return rc;
}
