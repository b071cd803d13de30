/*
 * flow.h - what the flows (contact.c, account.c, mydata.c, learning.c,
 * requests.c) share: the application's state, who is asking, one
 * request's context, and the few helpers every flow needs (reading a form,
 * the deferred form job, links in e-mails). Not for other modules: main.c
 * uses app.h, route.c dispatches to the handlers declared at the end.
 *
 * Data flows one way: route.c -> a flow -> store.h -> reply.h. A flow
 * never calls route.c, and flows do not call each other.
 */
#ifndef OKIENKO_FLOW_H
#define OKIENKO_FLOW_H

#include "app.h"
#include "forms.h"
#include "forum.h"
#include "session.h"

#include <pthread.h>
#include <stdatomic.h>

struct forum_writer; /* forum.h */

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

/* One request on its way through a flow. */
struct flow_ctx {
	struct app *a;
	struct site_ref *ref;
	const struct sitedata *sd; /* ref->sd */
	const struct who *w;
	const struct request *req;
	struct response *res;
	const char *rest; /* the path after the route's [forms] base ("" at the base) */
};

#define NF(t) (sizeof(t) / sizeof(t)[0])
/* A number as a string literal, for static messages (form_fail keeps the
 * pointer) */
#define STR_(x) #x
#define STR(x) STR_(x)

/* The clock every flow reads (clock.h's, so tests may pin it). */
long long flow_now(void);

/* Takes and lets go of a site for work that outlives the request. */
struct site_ref *app_site_get(struct app *a);
void app_site_put(struct site_ref *r);
/* The site as the forum writer holds it (forum.h), reference counted. */
struct forum_site app_forum_site(struct site_ref *r);
/* Rewrites `course`'s forum pages with ref's site and waits for them:
 * through the forum writer when there is one. 0, or -1 with e. */
int app_forum_write(struct app *a, struct site_ref *ref, const char *course, struct err *e);

/* Parses and checks the request's form body against `table` into f (p
 * zeroed by the caller). 0, or -1 when the answer is set (400 for a broken
 * body, 503 out of memory) and p freed. */
int flow_read_form(struct flow_ctx *c, struct pairs *p, struct form *f, const struct field *table,
                   size_t n);
/* An office a person may choose (not the administrator). */
int flow_office_ok(const struct sitedata *sd, const char *slug);
/* The URL of the page the generator built with layout `layout`, or NULL
 * (the build refuses a site without its form pages; a flow that still
 * meets NULL answers 500). */
const char *flow_form_page(const struct sitedata *sd, const char *layout);
/* `base` + `tail` into out (n bytes); 0, or -1 when it does not fit or
 * base is NULL. */
int flow_join(char *out, size_t n, const char *base, const char *tail);
/* The link PUBLIC_URL + path + "?t=" + token appended to out. */
void flow_link(struct buf *out, const struct flow_ctx *c, const char *path, const char *token);
/* The portal's name, for e-mails' greeting and signature. */
const char *flow_portal_name(const struct sitedata *sd);
/* A token from a link (auth_token's shape); its digest into digest. 0, or
 * -1 when it has not that shape. */
int flow_token_digest(const char *t, char digest[AUTH_DIGEST_TEXT]);
/* The client as the rate limits key it (an IPv6 client by its /64). */
const char *flow_client_key(const struct flow_ctx *c);
/* "user:ID", the audit actor for user `id`. */
void flow_actor(char out[32], long long id);

/* A form whose work goes on off the connection thread (a password hash on
 * the pool): the parsed form and what the finishing step needs. Made by
 * flow_job_new, handed over by flow_job_defer, freed by flow_job_free
 * (which the finishing step calls once). */
struct form_job {
	struct app *a;
	struct site_ref *ref; /* a reference of the job's own */
	struct who w;
	struct pairs p;
	struct form f;
	char url[256];  /* the request's path */
	char page[256]; /* the form page to show again */
	char client[64];
	char key[2][LIMITS_KEY]; /* rate-limit keys reserved for it */
	int kind;                /* the flow's own (an action) */
	char digest[AUTH_DIGEST_TEXT];
};
/* A job with the request's form parsed and checked against `table`. NULL
 * when the answer is set (broken body, out of memory). */
struct form_job *flow_job_new(struct flow_ctx *c, const struct field *table, size_t n);
/* Hands the job to the pool: finish(job, res) runs there, and must call
 * flow_job_free. */
void flow_job_defer(struct flow_ctx *c, struct form_job *j,
                    void (*finish)(void *job, struct response *res));
void flow_job_free(struct form_job *j);

/* A link from an e-mail, for a token of `kind`: a GET shows a page with
 * one button (title, text, button) when the token works, else says the
 * link is dead; a POST reads the token sent back into `digest`. 1 when
 * the caller goes on with that digest, 0 when the answer is set. */
int flow_token_step(struct flow_ctx *c, enum token_kind kind, const char *title, const char *text,
                    const char *button, char digest[AUTH_DIGEST_TEXT]);
/* The answer to a link that expired or was used (410). */
void flow_link_dead(struct flow_ctx *c);
/* A new password's rules (length, not the address or a name, typed twice
 * the same), as messages on fields "password" and "password2". */
void flow_check_new_password(struct form *f, const char *email, const char *first,
                             const char *last);
/* The statuses a person may have, for F_CHOICE. */
extern const char *const flow_statuses[];

/* ---- the flows (route.c's table names them) ---- */

void contact_post(struct flow_ctx *c);   /* forms.contact */
void contact_thanks(struct flow_ctx *c); /* forms.contact + /dziekujemy */

void account_register(struct flow_ctx *c);      /* forms.register */
void account_register_sent(struct flow_ctx *c); /* forms.register + /wyslano */
void account_confirm(struct flow_ctx *c);       /* forms.register + /potwierdz */
void account_welcome(struct flow_ctx *c);       /* forms.welcome */
void account_login(struct flow_ctx *c);         /* forms.login */
void account_logout(struct flow_ctx *c);        /* forms.logout */

void mydata_page(struct flow_ctx *c);          /* forms.account, /wydruk, /dane.json */
void mydata_end_session(struct flow_ctx *c);   /* forms.account + /sesje */
void mydata_action(struct flow_ctx *c);        /* forms.account + /popraw ... /usun */
void mydata_email_confirm(struct flow_ctx *c); /* forms.account + /email/potwierdz */

void learning_test(struct flow_ctx *c);        /* forms.test */
void learning_result(struct flow_ctx *c);      /* forms.test + /wynik/ID */
void learning_certificate(struct flow_ctx *c); /* forms.certificate[/CODE[/wydruk]] */
void learning_post(struct flow_ctx *c);        /* forms.forum */

void requests_form(struct flow_ctx *c);      /* forms.rights */
void requests_thanks(struct flow_ctx *c);    /* forms.rights + /wyslano */
void requests_confirm(struct flow_ctx *c);   /* forms.rights + /potwierdz */
void requests_reset(struct flow_ctx *c);     /* forms.password_reset */
void requests_reset_new(struct flow_ctx *c); /* forms.password_reset + /nowe */

/* The answer to a restricted person (art. 18) trying what restriction
 * stops (403). */
void flow_restricted(struct flow_ctx *c);

#endif
