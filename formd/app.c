/*
 * app.c - the application's state (app.h): the loaded site, swapped on a
 * reload while the requests that use the old one finish with it, and the
 * one entry from http.c, which hands each request to route.c.
 */
#include "app.h"

#include "flow.h"
#include "forum.h"
#include "reply.h"
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct site_ref *app_site_get(struct app *a)
{
	struct site_ref *r;

	pthread_mutex_lock(&a->lock);
	r = a->cur;
	atomic_fetch_add(&r->refs, 1);
	pthread_mutex_unlock(&a->lock);
	return r;
}

void app_site_put(struct site_ref *r)
{
	if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
		sitedata_free(r->sd);
		free(r);
	}
}

static void site_retain(void *ref)
{
	atomic_fetch_add(&((struct site_ref *)ref)->refs, 1);
}

static void site_release(void *ref)
{
	app_site_put(ref);
}

struct forum_site app_forum_site(struct site_ref *r)
{
	struct forum_site s = {r->sd, r, site_retain, site_release};

	return s;
}

int app_forum_write(struct app *a, struct site_ref *ref, const char *course, struct err *e)
{
	struct forum_site site = app_forum_site(ref);

	return a->set.forum ? forum_writer_write(a->set.forum, &site, course, e)
	                    : forum_write(ref->sd, a->st, a->set.forum_dir, course, e);
}

static struct site_ref *site_new(const char *dir, struct err *e)
{
	struct site_ref *r = calloc(1, sizeof *r);

	if (!r) {
		err_oom(e);
		return NULL;
	}
	r->sd = sitedata_load(dir, e);
	if (!r->sd) {
		free(r);
		return NULL;
	}
	atomic_init(&r->refs, 1); /* the app's own reference */
	return r;
}

struct app *app_new(const char *site_dir, struct store *st, struct auth_pool *pool,
                    const struct app_settings *set, struct err *e)
{
	struct app *a = calloc(1, sizeof *a);

	if (!a || !(a->site_dir = strdup(site_dir)) || !(a->lim = limits_new())) {
		if (a) {
			free(a->site_dir);
			free(a);
		}
		err_oom(e);
		return NULL;
	}
	a->cur = site_new(site_dir, e);
	if (!a->cur) {
		limits_free(a->lim);
		free(a->site_dir);
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->st = st;
	a->pool = pool;
	a->set = *set;
	return a;
}

int app_reload(struct app *a, struct err *e)
{
	struct site_ref *fresh = site_new(a->site_dir, e), *old;

	if (!fresh)
		return -1;
	pthread_mutex_lock(&a->lock);
	old = a->cur;
	a->cur = fresh;
	pthread_mutex_unlock(&a->lock);
	app_site_put(old);
	/* a new theme: the forum pages again */
	return app_forums(a, e);
}

void app_free(struct app *a)
{
	if (!a)
		return;
	app_site_put(a->cur);
	limits_free(a->lim);
	pthread_mutex_destroy(&a->lock);
	free(a->site_dir);
	free(a);
}

int app_submit(void *app, void (*run)(void *token), void *token)
{
	struct app *a = app;

	return auth_pool_submit(a->pool, run, NULL, token);
}

int app_forums(struct app *a, struct err *e)
{
	struct site_ref *ref = app_site_get(a);
	struct forum_site site = app_forum_site(ref);
	int r = a->set.forum ? forum_writer_write_all(a->set.forum, &site, e)
	                     : forum_write_all(ref->sd, a->st, a->set.forum_dir, e);

	app_site_put(ref);
	return r;
}

void app_handle(void *app, const struct request *req, struct response *res)
{
	struct app *a = app;
	struct site_ref *ref = app_site_get(a);
	struct who w;
	struct flow_ctx c = {a, ref, ref->sd, NULL, req, res, ""};

	route_handle(&c, &w);
	app_site_put(ref);
}
