/*
 * app.h - the daemon's application: which path takes which form, the
 * checks every POST passes (method, content type, origin, rate), and the
 * flows: contact, registration, login, logout. Reads the built site
 * through pages.h, stores through store.h, hashes through auth.h; knows
 * nothing of HTTP libraries (http.h hands it requests).
 */
#ifndef OKIENKO_APP_H
#define OKIENKO_APP_H

#include "auth.h"
#include "http.h"
#include "pages.h"
#include "ratelimit.h"
#include "store.h"

struct app_settings {
	int dev;          /* development: the cookie is not Secure (plain http) */
	int contact_rate; /* contact messages per address per 10 minutes */
	int form_rate;    /* registrations per address per hour */
	int login_free;   /* failed logins before they slow down */
	int login_max_wait;
	int post_rate;          /* forum posts per person per 10 minutes */
	const char *forum_dir;  /* where the forum pages are written (forum.h) */
	const char *public_url; /* the portal's address in e-mails' links; NULL: base_url */
	struct outbox *outbox;  /* woken when a message is queued; NULL: none runs */
	/* rewrites the forum pages off the request threads (forum.h); NULL: on them */
	struct forum_writer *forum;
};

struct app;
struct outbox;       /* outbox.h */
struct forum_writer; /* forum.h */

/* The application over the built site in `site_dir` (its private/ is
 * read now) and an open store and pool (borrowed). NULL with e. */
struct app *app_new(const char *site_dir, struct store *st, struct auth_pool *pool,
                    const struct app_settings *set, struct err *e);
/* Writes every course's forum pages (at start). 0 or -1 with e. */
int app_forums(struct app *a, struct err *e);
/* Reads the site again (SIGHUP) and rewrites the forum pages with its
 * theme: on failure to read, the old one stays, e says why. */
int app_reload(struct app *a, struct err *e);
void app_free(struct app *a);

/* http_handler and http_submit for http_start(). */
void app_handle(void *app, const struct request *req, struct response *res);
int app_submit(void *app, void (*run)(void *token), void *token);

#endif
