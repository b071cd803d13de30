/*
 * app_int.h - what the application's files share (app.c: routing and the
 * learner's flows; rights.c: the data-protection rights). Not for other
 * modules: they use app.h.
 */
#ifndef OKIENKO_APP_INT_H
#define OKIENKO_APP_INT_H

#include "app.h"
#include "forms.h"
#include "rights.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* A loaded site, shared by the requests that use it: a reload puts a new
 * one in place and the old one goes when its last request ends. */
struct site_ref {
	struct sitedata *sd;
	atomic_int refs;
};

struct app {
	char *site_dir;
	pthread_mutex_t lock; /* guards `cur` */
	struct site_ref *cur;
	struct store *st;
	struct auth_pool *pool;
	struct limits *lim;
	struct app_settings set;
};

/* Who is asking: the person behind the session cookie, if any. */
struct who {
	long long user_id; /* 0: nobody logged in */
	struct user u;
	char digest[AUTH_DIGEST_TEXT];
};

static inline long long now_s(void)
{
	return (long long)time(NULL);
}

#define NF(t) (sizeof(t) / sizeof(t)[0])
/* A number as a string literal, for static messages (form_fail keeps the
 * pointer) */
#define STR_(x) #x
#define STR(x) STR_(x)

/* Lets go of a site taken by a request (the last one frees it). */
void app_site_put(struct site_ref *r);

/* Answers: a short text; 503 "nothing was stored" (logs e); 303. */
void app_plain(struct response *res, int status, const char *text);
void app_unavailable(struct response *res, const struct err *e);
void app_see_other(struct response *res, const char *where);
/* The frame on top of a page formd renders (the person, the form, the
 * offices with `office` selected). Takes `form`. NULL when out of memory. */
struct val *app_top_frame(const struct sitedata *sd, const struct who *w, struct val *form,
                          const char *office);
/* The form page at `url` again: 422, the errors, the values. */
void app_form_again(const struct sitedata *sd, const struct who *w, const char *url,
                    const struct form *f, const char *summary, struct response *res);
/* A page with a message and a link (thank-you pages). */
void app_message_page(const struct sitedata *sd, const struct who *w, const char *url,
                      const char *title, const char *text, const char *link, const char *link_text,
                      struct response *res);
/* The URL of the page with layout `layout`, or NULL. */
const char *app_form_page(const struct sitedata *sd, const char *layout);
/* Parses and checks a form body; -1 when the answer is set (400/503). */
int app_read_form(const struct request *req, struct pairs *p, struct form *f,
                  const struct field *table, size_t n, struct response *res);
/* An office a person may choose (not the administrator). */
int app_office_ok(const struct sitedata *sd, const char *slug);
/* A new session for user_id: its cookie on res. */
int app_start_session(struct app *a, long long user_id, struct response *res, struct err *e);
/* Checks a password against a hash taking as long when there is no hash
 * (hash NULL or ""): 1 matches, 0 not, -1 with e. On the hashing pool. */
int app_check_password(const char *pw, const char *hash, struct err *e);
/* The statuses a person may have, for F_CHOICE. */
extern const char *const app_statuses[];

/* rights.c: the paths it answers under (all but the request form are
 * under the account's or the request form's path) */
enum rights_route {
	RR_NONE,
	RR_REQUEST,         /* POST rights: the request form */
	RR_REQUEST_THANKS,  /* GET rights/wyslano */
	RR_REQUEST_CONFIRM, /* GET/POST rights/potwierdz?t= */
	RR_RESET,           /* GET/POST password_reset: ask for a link */
	RR_RESET_NEW,       /* GET/POST password_reset/nowe?t= */
	RR_ACCOUNT_ACTION,  /* GET/POST account/{popraw,email,ograniczenie,sprzeciw,usun} */
	RR_EMAIL_CONFIRM,   /* GET/POST account/email/potwierdz?t= */
};
enum rights_route rights_route(const struct sitedata *sd, const char *path);
/* 1 when the route takes POSTs (for this method), 0 GETs; both may. */
int rights_allows(enum rights_route r, int is_post);
void rights_handle(struct app *a, struct site_ref *ref, const struct who *w, enum rights_route r,
                   const struct request *req, struct response *res);
/* A restricted person (art. 18) trying what restriction stops: the answer
 * saying so (403). */
void rights_restricted(const struct sitedata *sd, const struct who *w, const char *url,
                       struct response *res);

#endif
