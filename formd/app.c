#include "app.h"
#include "app_int.h"

#include "clock.h"
#include "forms.h"
#include "forum.h"
#include "json.h"
#include "utf8.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct site_ref *site_get(struct app *a)
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

/* ---- answers -------------------------------------------------------------- */

void app_plain(struct response *res, int status, const char *text)
{
	res->status = status;
	res->content_type = "text/plain; charset=utf-8";
	buf_reset(&res->body);
	buf_puts(&res->body, text);
	buf_putc(&res->body, '\n');
}

/* 503 for a failure of ours: nothing was stored. */
void app_unavailable(struct response *res, const struct err *e)
{
	fprintf(stderr, "formd: %s: %s\n", err_kind_name(e->kind), e->msg);
	app_plain(res, 503,
	          "Nie udało się zapisać danych. Nic nie zostało zapisane. Spróbuj ponownie "
	          "za kilka minut.");
	res->retry_after = 30;
}

void app_see_other(struct response *res, const char *where)
{
	res->status = 303;
	snprintf(res->location, sizeof res->location, "%s", where);
	buf_reset(&res->body);
}

/* The person behind the session cookie, if any. -1 on a store failure. */
static int whoami(struct app *a, const struct request *req, struct who *w, struct err *e)
{
	int r;

	memset(w, 0, sizeof *w);
	if (!req->cookie || strlen(req->cookie) != AUTH_TOKEN_TEXT - 1)
		return 0;
	auth_digest(req->cookie, strlen(req->cookie), w->digest);
	r = store_session_user(a->st, w->digest, now_s(), SESSION_IDLE, SESSION_ABSOLUTE,
	                       &w->user_id, e);
	if (r != 0) {
		w->user_id = 0;
		return r < 0 ? -1 : 0;
	}
	r = store_user_by_id(a->st, w->user_id, &w->u, e);
	if (r != 0)
		w->user_id = 0;
	return r < 0 ? -1 : 0;
}

/* The frame on top of a page formd renders: the person (for the account
 * links), the form, the offices with the chosen one selected. Takes
 * ownership of `form` (NULL: none). NULL when out of memory. */
struct val *app_top_frame(const struct sitedata *sd, const struct who *w, struct val *form,
                          const char *office)
{
	struct val *top = val_new(VAL_TABLE), *offices;
	size_t i;
	int r = 0;

	if (!top) {
		val_free(form);
		return NULL;
	}
	if (form)
		r |= val_set(top, "form", form);
	offices = val_dup(val_get(sd->base, "offices"));
	r |= val_set(top, "offices", offices);
	for (i = 0; offices && office && offices->type == VAL_ARRAY && i < offices->u.arr.n; i++)
		if (strcmp(val_get_str(offices->u.arr.items[i], "slug", ""), office) == 0)
			r |= val_set_bool(offices->u.arr.items[i], "selected", 1);
	if (w && w->user_id) {
		struct val *acc = val_new(VAL_TABLE);

		r |= val_set(top, "account", acc);
		r |= val_set_str(acc, "first_name", w->u.first_name);
		r |= val_set_str(acc, "logout", val_get_str(sd->forms, "logout", "/konto/wyloguj"));
		if (sitedata_form(sd, "account"))
			r |= val_set_str(acc, "url", sitedata_form(sd, "account"));
	}
	if (r < 0) {
		val_free(top);
		return NULL;
	}
	return top;
}

/* Answers with the form page at `url` again: status 422, the errors, the
 * values (never a password). */
void app_form_again(const struct sitedata *sd, const struct who *w, const char *url,
                    const struct form *f, const char *summary, struct response *res)
{
	struct val *top = app_top_frame(sd, w, form_frame(f, summary), form_get(f, "office"));
	struct err e = {0};

	buf_reset(&res->body);
	res->no_store = 1;
	if (!top || page_render_url(sd, url, top, &res->body, &e) < 0) {
		if (!top)
			err_oom(&e);
		app_unavailable(res, &e);
	} else {
		res->status = 422;
	}
	val_free(top);
}

/* A page of formd's own with a message (thank-you pages). */
void app_message_page(const struct sitedata *sd, const struct who *w, const char *url,
                      const char *title, const char *text, const char *link, const char *link_text,
                      struct response *res)
{
	struct val *top = app_top_frame(sd, w, NULL, NULL), *m = val_new(VAL_TABLE);
	struct err e = {0};

	buf_reset(&res->body);
	res->no_store = 1;
	if (!top || !m || val_set(top, "message", m) < 0 || val_set_str(m, "text", text) < 0 ||
	    (link && (val_set_str(m, "link", link) | val_set_str(m, "link_text", link_text)) < 0)) {
		if (top && !val_get(top, "message"))
			val_free(m);
		val_free(top);
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	if (page_render(sd, "message", url, title, top, &res->body, &e) < 0)
		app_unavailable(res, &e);
	else
		res->status = 200;
	val_free(top);
}

/* The form page a form's path belongs to: the page whose frame's form
 * action is that path, found by the layout. */
const char *app_form_page(const struct sitedata *sd, const char *layout)
{
	size_t i;

	for (i = 0; sd->pages->type == VAL_TABLE && i < sd->pages->u.tab.n; i++)
		if (strcmp(val_get_str(sd->pages->u.tab.kv[i].v, "layout", ""), layout) == 0)
			return sd->pages->u.tab.kv[i].key;
	return NULL;
}

/* ---- checks every POST passes ---------------------------------------------- */

/* The origin of the site's own pages: base_url's scheme and host, or the
 * Host the request came to (local runs). */
static int same_origin(const struct sitedata *sd, const struct request *req)
{
	const char *base = val_get_str(val_get(sd->base, "site"), "base_url", "");
	const char *o = req->origin;
	size_t bl = strlen(base);

	if (req->fetch_site && strcmp(req->fetch_site, "cross-site") == 0)
		return 0;
	if (!o || strcmp(o, "null") == 0)
		return !o; /* an opaque origin ("null") is no origin of ours */
	while (bl && base[bl - 1] == '/')
		bl--;
	if (bl && strlen(o) == bl && strncmp(o, base, bl) == 0)
		return 1;
	if (req->host) {
		const char *sep = strstr(o, "://");

		if (sep && strcmp(sep + 3, req->host) == 0)
			return 1;
	}
	return 0;
}

static int is_form_body(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof want - 1;

	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* ---- the forms ------------------------------------------------------------- */

/* Parses a form's body and checks it against `table` into f (p zeroed by
 * the caller). 0, or -1 when it is no form (400) or memory ran out (503):
 * the answer is set and p freed. */
int app_read_form(const struct request *req, struct pairs *p, struct form *f,
                  const struct field *table, size_t n, struct response *res)
{
	struct err e = {0};

	if (form_parse(req->body, req->body_len, p, &e) < 0) {
		pairs_free(p);
		if (e.kind == ERR_NOMEM)
			app_unavailable(res, &e);
		else
			app_plain(res, 400,
			          "Formularz przyszedł uszkodzony. Wróć i wyślij go ponownie.");
		return -1;
	}
	form_check(f, table, n, p);
	return 0;
}

const char *const app_statuses[] = {"bezrobotna", "poszukujaca", NULL};

static const struct field contact_fields[] = {
    {"name", F_LINE, 1, 200, NULL, "Imię i nazwisko"},
    {"email", F_EMAIL, 1, 254, NULL, "Adres e-mail"},
    {"office", F_CHOICE, 0, 64, NULL, "Urząd"},
    {"subject", F_LINE, 1, 200, NULL, "Temat"},
    {"message", F_TEXT, 1, 5000, NULL, "Treść wiadomości"},
    {"strona", F_HONEYPOT, 0, 200, NULL, NULL},
};

static const struct field register_fields[] = {
    {"first_name", F_LINE, 1, 100, NULL, "Imię"},
    {"last_name", F_LINE, 1, 100, NULL, "Nazwisko"},
    {"email", F_EMAIL, 1, 254, NULL, "Adres e-mail"},
    {"status", F_CHOICE, 1, 32, app_statuses, "Status"},
    {"office", F_CHOICE, 1, 64, NULL, "Urząd lub filia"},
    {"password", F_PASSWORD, 1, 200, NULL, "Hasło"},
    {"password2", F_PASSWORD, 1, 200, NULL, "Powtórzone hasło"},
    {"terms", F_CHECKBOX, 1, 0, NULL, "Regulamin"},
    {"privacy", F_CHECKBOX, 1, 0, NULL, "Polityka prywatności"},
};

static const struct field login_fields[] = {
    {"email", F_EMAIL, 1, 254, NULL, "Adres e-mail"},
    {"password", F_PASSWORD, 1, 200, NULL, "Hasło"},
    {"next", F_LINE, 0, 300, NULL, NULL},
};

/* An office a person may choose: one of the offices, not the
 * administrator. */
int app_office_ok(const struct sitedata *sd, const char *slug)
{
	const struct val *o = sitedata_office(sd, slug);

	return o && strcmp(val_get_str(o, "kind", ""), "administrator") != 0;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

/* A contact message on its way to the disk: queued by contact_queue,
 * stored (or not) by the writer, answered by contact_answer. */
struct contact_job {
	struct app *a;
	struct contact c;
	char *message; /* owned */
	char actor[32];
	char thanks[300];
	int rc; /* the store's answer */
	struct err e;
	void (*run)(void *token); /* http's: answers the request */
	void *token;
};

/* On the writer thread, once the group holding the message is on disk. */
static void contact_stored(void *arg, int rc, const struct err *e)
{
	struct contact_job *j = arg;

	j->rc = rc;
	if (rc < 0 && e)
		j->e = *e;
	j->run(j->token);
}

/* http's defer_submit: queue the message; the answer comes when it is stored. */
static int contact_queue(void *arg, void (*run)(void *token), void *token)
{
	struct contact_job *j = arg;

	j->run = run;
	j->token = token;
	if (store_contact_add_async(j->a->st, j->actor, &j->c, contact_stored, j, &j->e) < 0) {
		fprintf(stderr, "formd: %s: %s\n", err_kind_name(j->e.kind), j->e.msg);
		free(j->message);
		free(j);
		return -1;
	}
	return 0;
}

/* The answer: the thank-you page (Post/Redirect/Get) when stored, 503 when not. */
static void contact_answer(void *arg, struct response *res)
{
	struct contact_job *j = arg;

	if (j->rc == 0)
		app_see_other(res, j->thanks);
	else
		app_unavailable(res, &j->e);
	free(j->message);
	free(j);
}

static void contact(struct app *a, struct site_ref *ref, const struct who *w,
                    const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	const char *page = app_form_page(sd, "form-contact");
	struct pairs p;
	struct form f;
	struct contact_job *j;
	struct err e = {0};
	char key[LIMITS_KEY];
	int wait;

	memset(&p, 0, sizeof p);
	if (app_read_form(req, &p, &f, contact_fields, NF(contact_fields), res) < 0)
		return;
	if (*form_get(&f, "office") && !app_office_ok(sd, form_get(&f, "office")))
		form_fail(&f, "office", "Wybierz urząd z listy.");
	if (f.spam)
		form_fail(&f, "message",
		          "Nie udało się wysłać wiadomości. Zostaw puste pole "
		          "„Nie wypełniaj”.");
	if (f.nerrors) {
		app_form_again(sd, w, page, &f, NULL, res);
		pairs_free(&p);
		return;
	}
	snprintf(key, sizeof key, "contact:%s", req->client);
	wait = limits_hit(a->lim, key, a->set.contact_rate, 600, now_s());
	if (wait) {
		res->retry_after = wait;
		pairs_free(&p);
		{
			app_plain(res, 429,
			          "Wysłano stąd zbyt wiele wiadomości. Spróbuj ponownie później.");
			return;
		}
	}
	j = calloc(1, sizeof *j);
	if (!j) {
		pairs_free(&p);
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	j->a = a;
	copy(j->c.name, sizeof j->c.name, form_get(&f, "name"));
	copy(j->c.email, sizeof j->c.email, form_get(&f, "email"));
	copy(j->c.office, sizeof j->c.office, form_get(&f, "office"));
	copy(j->c.subject, sizeof j->c.subject, form_get(&f, "subject"));
	j->message = strdup(form_get(&f, "message"));
	pairs_free(&p);
	if (!j->message) {
		free(j);
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	j->c.message = j->message;
	snprintf(j->actor, sizeof j->actor, w->user_id ? "user:%lld" : "web", w->user_id);
	snprintf(j->thanks, sizeof j->thanks, "%s/dziekujemy", req->path);
	/* the request waits for its commit group without holding a thread */
	res->defer = contact_answer;
	res->defer_submit = contact_queue;
	res->defer_arg = j;
}

/* The registration, after the checks: hashing on the pool, then storing. */
struct reg_job {
	struct app *a;
	struct site_ref *ref;
	struct who w;
	struct pairs p;
	struct form f;
	char page[256];
	char client[64];
};

static void set_session_cookie(struct app *a, struct response *res, const char *token)
{
	snprintf(res->set_cookie, sizeof res->set_cookie,
	         "sesja=%s; Path=/; HttpOnly; SameSite=Lax%s", token, a->set.dev ? "" : "; Secure");
}

/* Starts a session for `user_id`: the cookie on `res`. 0 or -1 with e. */
int app_start_session(struct app *a, long long user_id, struct response *res, struct err *e)
{
	char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT];

	auth_token(token);
	auth_digest(token, strlen(token), digest);
	int r = store_session_add(a->st, digest, user_id, now_s(), e);

	if (r == 1) /* a token drawn twice, or the user gone: nothing stored */
		return err_kind_set(e, ERR_IO, "session not stored");
	if (r < 0)
		return -1;
	set_session_cookie(a, res, token);
	return 0;
}

static void register_finish(void *arg, struct response *res)
{
	struct reg_job *j = arg;
	const struct sitedata *sd = j->ref->sd;
	const char *pw = form_get(&j->f, "password");
	struct user u;
	struct err e = {0};
	const char *terms, *policy;
	int r;

	memset(&u, 0, sizeof u);
	if (auth_hash_password(pw, strlen(pw), u.pw_hash, &e) < 0) {
		app_unavailable(res, &e);
		goto out;
	}
	copy(u.first_name, sizeof u.first_name, form_get(&j->f, "first_name"));
	copy(u.last_name, sizeof u.last_name, form_get(&j->f, "last_name"));
	copy(u.email, sizeof u.email, form_get(&j->f, "email"));
	u.status = strcmp(form_get(&j->f, "status"), "bezrobotna") == 0 ? STATUS_UNEMPLOYED
	                                                                : STATUS_JOBSEEKER;
	copy(u.office, sizeof u.office, form_get(&j->f, "office"));
	/* the versions accepted: the newest of each document in this build */
	terms = sitedata_document_commit(sd, "regulamin.md");
	policy = sitedata_document_commit(sd, "polityka-prywatnosci.md");
	copy(u.terms_commit, sizeof u.terms_commit, terms ? terms : sd->commit);
	copy(u.policy_commit, sizeof u.policy_commit, policy ? policy : sd->commit);
	u.terms_at = u.policy_at = now_s();
	r = store_user_add(j->a->st, "web", &u, &e);
	if (r < 0) {
		app_unavailable(res, &e);
	} else if (r == 1) {
		form_fail(&j->f, "email",
		          "Konto z tym adresem e-mail już istnieje. Zaloguj się "
		          "albo użyj innego adresu.");
		app_form_again(sd, &j->w, j->page, &j->f, NULL, res);
	} else if (app_start_session(j->a, u.id, res, &e) < 0) {
		app_unavailable(res, &e);
	} else {
		app_see_other(res, "/konto/witaj");
	}
out:
	pairs_free(&j->p);
	app_site_put(j->ref);
	free(j);
}

/* ASCII case-insensitive equality (for "the password is not the e-mail"). */
static int same_text(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static void registration(struct app *a, struct site_ref *ref, const struct who *w,
                         const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	struct reg_job *j = calloc(1, sizeof *j);
	struct err e = {0};
	struct user existing;
	char key[LIMITS_KEY];
	const char *pw, *page = app_form_page(sd, "form-register");
	int wait, r;

	if (!j) {
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	if (app_read_form(req, &j->p, &j->f, register_fields, NF(register_fields), res) < 0) {
		free(j);
		return;
	}
	pw = form_get(&j->f, "password");
	if (*form_get(&j->f, "office") && !app_office_ok(sd, form_get(&j->f, "office")))
		form_fail(&j->f, "office", "Wybierz urząd lub filię z listy.");
	if (*pw && utf8_count(pw, strlen(pw)) < PASSWORD_MIN) {
		form_fail(&j->f, "password",
		          "Hasło musi mieć co najmniej " STR(PASSWORD_MIN) " znaków.");
	} else if (*pw && (same_text(pw, form_get(&j->f, "email")) ||
	                   same_text(pw, form_get(&j->f, "first_name")) ||
	                   same_text(pw, form_get(&j->f, "last_name")))) {
		form_fail(&j->f, "password",
		          "Hasło nie może być Twoim adresem e-mail, imieniem ani nazwiskiem.");
	}
	if (*pw && *form_get(&j->f, "password2") && strcmp(pw, form_get(&j->f, "password2")))
		form_fail(&j->f, "password2", "Hasła różnią się. Wpisz to samo hasło dwa razy.");
	if (!j->f.nerrors) {
		r = store_user_by_email(a->st, form_get(&j->f, "email"), &existing, &e);
		if (r < 0) {
			pairs_free(&j->p);
			free(j);
			{
				app_unavailable(res, &e);
				return;
			}
		}
		if (r == 0)
			form_fail(&j->f, "email",
			          "Konto z tym adresem e-mail już istnieje. Zaloguj "
			          "się albo użyj innego adresu.");
	}
	if (j->f.nerrors) {
		app_form_again(sd, w, page, &j->f, NULL, res);
		pairs_free(&j->p);
		free(j);
		return;
	}
	snprintf(key, sizeof key, "register:%s", req->client);
	wait = limits_hit(a->lim, key, a->set.form_rate, 3600, now_s());
	if (wait) {
		pairs_free(&j->p);
		free(j);
		res->retry_after = wait;
		{
			app_plain(res, 429,
			          "Z tego adresu założono zbyt wiele kont. Spróbuj później.");
			return;
		}
	}
	j->a = a;
	j->ref = ref;
	atomic_fetch_add(&ref->refs, 1);
	j->w = *w;
	copy(j->page, sizeof j->page, page ? page : "/");
	copy(j->client, sizeof j->client, req->client);
	res->defer = register_finish;
	res->defer_arg = j;
}

/* The login, after the checks: the hash compared on the pool. */
struct login_job {
	struct app *a;
	struct site_ref *ref;
	struct who w;
	struct pairs p;
	struct form f;
	char page[256];
	char key_ip[LIMITS_KEY], key_acct[LIMITS_KEY];
};

/* Where to go after logging in: a path on this site, else the home page. */
static const char *safe_next(const char *next)
{
	if (next[0] != '/' || next[1] == '/' || next[1] == '\\' || strpbrk(next, "\r\n\t") ||
	    strstr(next, ".."))
		return "/";
	return next;
}

/* A hash of a random password nobody knows, compared when the e-mail is
 * unknown, so that an answer takes as long either way. */
static char dummy_hash[AUTH_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	char pw[AUTH_TOKEN_TEXT];
	struct err e;

	auth_token(pw);
	if (auth_hash_password(pw, strlen(pw), dummy_hash, &e) < 0)
		dummy_hash[0] = '\0';
}

int app_check_password(const char *pw, const char *hash, struct err *e)
{
	struct err ignore;

	if (hash && *hash)
		return auth_check_password(pw, strlen(pw), hash, e);
	pthread_once(&dummy_once, make_dummy);
	if (dummy_hash[0])
		auth_check_password(pw, strlen(pw), dummy_hash, &ignore);
	return 0;
}

static void login_finish(void *arg, struct response *res)
{
	struct login_job *j = arg;
	const struct sitedata *sd = j->ref->sd;
	const char *pw = form_get(&j->f, "password");
	const char *next;
	struct user u;
	struct err e = {0};
	int r, ok = 0;

	r = store_user_by_email(j->a->st, form_get(&j->f, "email"), &u, &e);
	if (r < 0) {
		app_unavailable(res, &e);
		goto out;
	}
	ok = app_check_password(pw, r == 0 ? u.pw_hash : NULL, &e);
	if (ok < 0) {
		app_unavailable(res, &e);
		goto out;
	}
	if (!ok) {
		limits_fail(j->a->lim, j->key_ip, now_s());
		limits_fail(j->a->lim, j->key_acct, now_s());
		form_fail(&j->f, "email", "Nieprawidłowy adres e-mail lub hasło.");
		app_form_again(sd, &j->w, j->page, &j->f, "Nie udało się zalogować.", res);
		goto out;
	}
	limits_clear(j->a->lim, j->key_acct);
	if (auth_needs_rehash(u.pw_hash)) {
		char fresh[AUTH_HASH_MAX];

		if (auth_hash_password(pw, strlen(pw), fresh, &e) == 0)
			store_user_set_hash(j->a->st, u.id, fresh,
			                    &e); /* a failure keeps the old */
	}
	if (app_start_session(j->a, u.id, res, &e) < 0) {
		app_unavailable(res, &e);
		goto out;
	}
	/* from the login page itself (no next): the welcome page, which shows
	 * the person is logged in; the static home page cannot */
	next = form_get(&j->f, "next");
	app_see_other(res, *next ? safe_next(next) : "/konto/witaj");
out:
	pairs_free(&j->p);
	app_site_put(j->ref);
	free(j);
}

static void login(struct app *a, struct site_ref *ref, const struct who *w,
                  const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	struct login_job *j = calloc(1, sizeof *j);
	const char *page = app_form_page(sd, "form-login");
	struct err e = {0};
	char email[255];
	size_t i;
	int wait;

	if (!j) {
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	if (app_read_form(req, &j->p, &j->f, login_fields, NF(login_fields), res) < 0) {
		free(j);
		return;
	}
	if (j->f.nerrors) {
		app_form_again(sd, w, page, &j->f, NULL, res);
		pairs_free(&j->p);
		free(j);
		return;
	}
	/* failures slow down per address and per account (the e-mail as
	 * typed, lowercased: whether it exists is not revealed) */
	copy(email, sizeof email, form_get(&j->f, "email"));
	for (i = 0; email[i]; i++)
		email[i] = (char)tolower((unsigned char)email[i]);
	snprintf(j->key_ip, sizeof j->key_ip, "login-ip:%s", req->client);
	snprintf(j->key_acct, sizeof j->key_acct, "login:%s", email);
	wait =
	    limits_wait(a->lim, j->key_ip, a->set.login_free * 4, a->set.login_max_wait, now_s());
	if (!wait)
		wait = limits_wait(a->lim, j->key_acct, a->set.login_free, a->set.login_max_wait,
		                   now_s());
	if (wait) {
		pairs_free(&j->p);
		free(j);
		res->retry_after = wait;
		{
			app_plain(res, 429,
			          "Zbyt wiele nieudanych prób logowania. Odczekaj chwilę i "
			          "spróbuj ponownie.");
			return;
		}
	}
	j->a = a;
	j->ref = ref;
	atomic_fetch_add(&ref->refs, 1);
	j->w = *w;
	copy(j->page, sizeof j->page, page ? page : "/");
	res->defer = login_finish;
	res->defer_arg = j;
}

static void logout(struct app *a, const struct who *w, struct response *res)
{
	struct err e = {0};

	if (w->user_id && store_session_delete(a->st, w->digest, &e) < 0) {
		app_unavailable(res, &e);
		return;
	}
	snprintf(res->set_cookie, sizeof res->set_cookie,
	         "sesja=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
	         a->set.dev ? "" : "; Secure");
	app_see_other(res, "/");
}

/* ---- tests and certificates ------------------------------------------------ */

/* The certificate's frame: who, what, when, the code and its address. */
static struct val *certificate_val(const struct sitedata *sd, const struct certificate *c)
{
	const struct val *key = sitedata_test(sd, c->course);
	struct val *v = val_new(VAL_TABLE);
	struct buf url = BUF_INIT;
	int r = 0;

	buf_printf(&url, "%s/%s", val_get_str(sd->forms, "certificate", "/certyfikat"), c->code);
	r |= val_set_str(v, "code", c->code);
	r |= buf_failed(&url) ? -1 : val_set_str(v, "url", url.ptr);
	r |=
	    val_set_str(v, "first_name", c->first_name) | val_set_str(v, "last_name", c->last_name);
	r |= val_set_str(v, "course", val_get_str(key, "title", c->course));
	r |= val_set_str(v, "course_slug", c->course);
	r |= val_set(v, "issued", pages_time(c->issued));
	buf_free(&url);
	if (r < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

/* The login form again, for someone who sent a test without logging in:
 * after logging in they come back to the test. */
static void login_first(const struct sitedata *sd, const char *back, struct response *res)
{
	static const struct field next_only[] = {{"next", F_LINE, 0, 300, NULL, NULL}};
	struct pairs p;
	struct form f;
	struct err e = {0};
	char body[400];

	memset(&p, 0, sizeof p);
	snprintf(body, sizeof body, "next=%s", back); /* a page URL: no escaping needed */
	if (form_parse(body, strlen(body), &p, &e) < 0) {
		app_unavailable(res, &e);
		return;
	}
	form_check(&f, next_only, 1, &p);
	app_form_again(sd, NULL, app_form_page(sd, "form-login"), &f,
	               "Zaloguj się, aby zapisać wynik testu. Po zalogowaniu wrócisz do testu i "
	               "wyślesz odpowiedzi jeszcze raz.",
	               res);
	res->status = 401;
	pairs_free(&p);
}

/* Grades a test: the share of questions answered fully right (exactly
 * the right answers ticked), in whole percent rounded down; `wrong`
 * lists the numbers of the others. */
static int grade(const struct val *key, const struct test_answers *t, struct buf *wrong,
                 struct val *wrong_list)
{
	const struct val *qs = val_get(key, "questions");
	size_t i, n = qs && qs->type == VAL_ARRAY ? qs->u.arr.n : 0, right = 0;

	for (i = 0; i < n && i < FORM_MAX_QUESTIONS; i++) {
		const struct val *c = val_get(qs->u.arr.items[i], "correct");
		unsigned mask = 0;
		size_t k;

		for (k = 0; c && c->type == VAL_ARRAY && k < c->u.arr.n; k++) {
			const char *a =
			    c->u.arr.items[k]->type == VAL_STRING ? c->u.arr.items[k]->u.str.s : "";

			if (a[0] == 'a' && atoi(a + 1) >= 1 && atoi(a + 1) <= FORM_MAX_ANSWERS)
				mask |= 1u << (atoi(a + 1) - 1);
		}
		if (t->chosen[i + 1] == mask) {
			right++;
		} else {
			struct val *q = val_new(VAL_TABLE);
			char id[16];

			buf_printf(wrong, "%s%zu", wrong->len ? "," : "", i + 1);
			snprintf(id, sizeof id, "q%zu", i + 1);
			if (!q || val_push(wrong_list, q) < 0 ||
			    val_set_int(q, "n", (long long)i + 1) < 0 ||
			    val_set_str(q, "id", id) < 0)
				return -1;
		}
	}
	return n ? (int)(right * 100 / n) : 0;
}

static void test_submit(struct app *a, struct site_ref *ref, const struct who *w,
                        const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	struct test_answers t;
	const struct val *key;
	struct val *top = NULL, *result = NULL, *wrong_list = NULL;
	struct certificate cert;
	struct buf wrong = BUF_INIT;
	struct err e = {0};
	char code[AUTH_CODE_TEXT], actor[32], title[300];
	long long used = 0;
	int score, passed, r, pass_mark, allowed;

	if (form_parse_answers(req->body, req->body_len, &t, &e) < 0) {
		if (e.kind == ERR_NOMEM)
			app_unavailable(res, &e);
		else
			app_plain(res, 400,
			          "Formularz przyszedł uszkodzony. Wróć i wyślij go ponownie.");
		return;
	}
	key = t.course[0] ? sitedata_test(sd, t.course) : NULL;
	if (!key) {
		app_plain(res, 422, "Nie ma takiego testu. Wróć do strony kursu.");
		return;
	}
	if (!w->user_id) {
		login_first(sd, val_get_str(key, "test_url", "/kursy/"), res);
		return;
	}
	if (w->u.restricted) {
		rights_restricted(sd, w, req->path, res);
		return;
	}
	pass_mark = (int)val_get_int(key, "pass_mark", 100);
	allowed = (int)val_get_int(key, "attempts", 1);
	result = val_new(VAL_TABLE);
	wrong_list = val_new(VAL_ARRAY);
	if (!result || !wrong_list) {
		val_free(result);
		val_free(wrong_list);
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	r = store_certificate_of(a->st, w->user_id, t.course, &cert, &e);
	if (r < 0)
		goto fail;
	if (r == 0) {
		/* passed already: the certificate stands, no new attempt */
		val_set_bool(result, "already", 1);
		val_set(result, "certificate", certificate_val(sd, &cert));
		goto show;
	}
	if (store_attempts(a->st, w->user_id, t.course, &used, &e) < 0)
		goto fail;
	if (used >= allowed) {
		val_set_bool(result, "no_attempts", 1);
		val_set_int(result, "attempts", allowed);
		goto show;
	}
	score = grade(key, &t, &wrong, wrong_list);
	if (score < 0 || buf_failed(&wrong)) {
		err_oom(&e);
		goto fail;
	}
	passed = score >= pass_mark;
	auth_code(code);
	snprintf(actor, sizeof actor, "user:%lld", w->user_id);
	r = store_attempt_add(a->st, actor, w->user_id, t.course, score, passed, wrong.ptr,
	                      passed ? code : NULL, &e);
	if (r == 1 && passed) /* a code drawn twice: once more with another */
		r = (auth_code(code), store_attempt_add(a->st, actor, w->user_id, t.course, score,
		                                        passed, wrong.ptr, code, &e));
	if (r != 0) {
		if (r == 1)
			err_kind_set(&e, ERR_IO, "attempt not stored");
		goto fail;
	}
	used++;
	val_set_int(result, "score", score);
	val_set_int(result, "pass_mark", pass_mark);
	val_set_bool(result, "passed", passed);
	val_set_int(result, "attempts_left", allowed - used);
	val_set_int(result, "wrong_count", (long long)wrong_list->u.arr.n);
	if (wrong_list->u.arr.n) {
		val_set(result, "wrong", wrong_list);
		wrong_list = NULL;
	}
	if (passed && store_certificate(a->st, code, &cert, &e) == 0)
		val_set(result, "certificate", certificate_val(sd, &cert));
show:
	val_set_str(result, "course", val_get_str(key, "title", t.course));
	val_set_str(result, "test_url", val_get_str(key, "test_url", "/kursy/"));
	top = app_top_frame(sd, w, NULL, NULL);
	if (!top || val_set(top, "result", result) < 0) {
		result = NULL;
		err_oom(&e);
		goto fail;
	}
	result = NULL;
	snprintf(title, sizeof title, "Wynik testu: %s", val_get_str(key, "title", t.course));
	buf_reset(&res->body);
	res->no_store = 1;
	if (page_render(sd, "test-result", req->path, title, top, &res->body, &e) < 0)
		goto fail;
	res->status = 200;
	goto out;
fail:
	app_unavailable(res, &e);
out:
	val_free(top);
	val_free(result);
	val_free(wrong_list);
	buf_free(&wrong);
}

/* "abcd-efgh-jkmn-pqrs" -> "ABCD-EFGH-JKMN-PQRS"; 0 if it cannot be a
 * code at all (so nothing else reaches the store). */
static int normalise_code(const char *in, char out[AUTH_CODE_TEXT])
{
	size_t i, n = 0;

	for (i = 0; in[i] && n < AUTH_CODE_TEXT - 1; i++) {
		char c = (char)toupper((unsigned char)in[i]);

		if (c == ' ' || (c == '-' && n % 5 != 4))
			continue;
		if (n % 5 == 4) {
			out[n++] = '-';
			if (c == '-')
				continue;
		}
		if (!strchr("23456789ABCDEFGHJKMNPQRSTUVWXYZ", c))
			return 0;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == AUTH_CODE_TEXT - 1 && in[i] == '\0';
}

/* GET /certyfikat?kod=... (the check form) and /certyfikat/CODE. */
static void certificate_page(struct app *a, struct site_ref *ref, const struct who *w,
                             const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	const char *base = val_get_str(sd->forms, "certificate", "/certyfikat");
	size_t bl = strlen(base);
	struct certificate c;
	struct err e = {0};
	char code[AUTH_CODE_TEXT], key[LIMITS_KEY];
	struct val *top;
	int r, wait;

	if (strcmp(req->path, base) == 0) {
		const char *arg = http_query_arg(req, "kod");
		char where[300];

		if (!arg || !normalise_code(arg, code)) {
			app_message_page(
			    sd, w, req->path, "Sprawdzanie certyfikatu",
			    "To nie jest kod certyfikatu. Kod ma 16 znaków, np. "
			    "ABCD-EFGH-JKMN-PQRS. Sprawdź, czy został przepisany bez błędu.",
			    "/certyfikaty/", "Spróbuj jeszcze raz", res);
			res->status = 404;
			return;
		}
		snprintf(where, sizeof where, "%s/%s", base, code);
		app_see_other(res, where);
		return;
	}
	if (!normalise_code(req->path + bl + 1, code) || strcmp(req->path + bl + 1, code) != 0)
		r = 1;
	else
		r = store_certificate(a->st, code, &c, &e);
	if (r < 0) {
		app_unavailable(res, &e);
		return;
	}
	if (r == 1) {
		/* guessing codes is slowed down */
		snprintf(key, sizeof key, "certificate-miss:%s", req->client);
		wait = limits_hit(a->lim, key, 20, 600, now_s());
		if (wait) {
			res->retry_after = wait;
			app_plain(res, 429,
			          "Zbyt wiele prób sprawdzenia nieistniejących kodów. Spróbuj "
			          "później.");
			return;
		}
		app_message_page(
		    sd, w, req->path, "Nie ma takiego certyfikatu",
		    "Portal nie wydał certyfikatu o tym kodzie. Sprawdź, czy kod został "
		    "przepisany bez błędu.",
		    "/certyfikaty/", "Sprawdź inny kod", res);
		res->status = 404;
		return;
	}
	/* a certificate shows a name: who looked is in the audit log */
	{
		char actor[32], record[64];

		snprintf(actor, sizeof actor, w->user_id ? "user:%lld" : "web", w->user_id);
		snprintf(record, sizeof record, "certificate:%s", c.code);
		if (store_audit_read(a->st, actor, "certificate.read", record, &e) < 0) {
			app_unavailable(res, &e);
			return;
		}
	}
	top = app_top_frame(sd, w, NULL, NULL);
	if (!top || val_set(top, "certificate", certificate_val(sd, &c)) < 0) {
		val_free(top);
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	buf_reset(&res->body);
	if (page_render(sd, "certificate", req->path, "Certyfikat ukończenia kursu", top,
	                &res->body, &e) < 0)
		app_unavailable(res, &e);
	else
		res->status = 200;
	val_free(top);
}

/* ---- the course forums ------------------------------------------------------- */

static const struct field post_fields[] = {
    {"course", F_LINE, 1, 64, NULL, "Kurs"},
    {"thread", F_LINE, 0, 20, NULL, "Wątek"},
    {"title", F_LINE, 0, FORUM_TITLE_MAX, NULL, "Tytuł wątku"},
    {"body", F_TEXT, 1, FORUM_BODY_MAX, NULL, "Treść wpisu"},
};

/* The course's {slug, title, url} from its test page, or NULL. */
static const struct val *course_of(const struct sitedata *sd, const char *slug)
{
	size_t i;

	for (i = 0; sd->pages->type == VAL_TABLE && i < sd->pages->u.tab.n; i++) {
		const struct val *c = val_path(sd->pages->u.tab.kv[i].v, "frame.page.course");

		if (c && strcmp(val_get_str(c, "slug", ""), slug) == 0)
			return c;
	}
	return NULL;
}

/* The post form again, as a page of its own, with the errors and what was
 * typed (status 422). */
static void post_again(const struct sitedata *sd, const struct who *w, const struct form *f,
                       const struct request *req, struct response *res)
{
	const struct val *course = course_of(sd, form_get(f, "course"));
	struct val *top = app_top_frame(sd, w, form_frame(f, NULL), NULL), *fv = val_new(VAL_TABLE);
	struct err e = {0};
	struct buf u = BUF_INIT;
	int r = 0;

	r |= val_set(top, "forum", fv);
	if (course) {
		r |= val_set(fv, "course", val_dup(course));
		buf_printf(&u, "%sforum/", val_get_str(course, "url", "/"));
		r |= buf_failed(&u) ? -1 : val_set_str(fv, "url", u.ptr);
	}
	r |= val_set_str(fv, "action", req->path);
	r |= val_set_bool(fv, "reply", *form_get(f, "thread") != '\0');
	buf_free(&u);
	buf_reset(&res->body);
	res->no_store = 1;
	if (!top || r < 0) {
		val_free(top);
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	if (page_render(sd, "forum-post", req->path, "Wpis na forum", top, &res->body, &e) < 0)
		app_unavailable(res, &e);
	else
		res->status = 422;
	val_free(top);
}

static void forum_post(struct app *a, struct site_ref *ref, const struct who *w,
                       const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	struct pairs p;
	struct form f;
	struct post post;
	struct err e = {0};
	const char *course, *thread;
	const struct val *c;
	char actor[32], key[LIMITS_KEY], where[512];
	char *end = NULL;
	int r, wait;

	memset(&p, 0, sizeof p);
	if (app_read_form(req, &p, &f, post_fields, NF(post_fields), res) < 0)
		return;
	course = form_get(&f, "course");
	thread = form_get(&f, "thread");
	c = course_of(sd, course);
	if (!c) {
		pairs_free(&p);
		app_plain(res, 422, "Nie ma takiego kursu. Wróć do strony kursu.");
		return;
	}
	if (!w->user_id) {
		char back[300];

		snprintf(back, sizeof back, "%sforum/", val_get_str(c, "url", "/"));
		pairs_free(&p);
		login_first(sd, back, res);
		return;
	}
	if (w->u.restricted) {
		pairs_free(&p);
		rights_restricted(sd, w, req->path, res);
		return;
	}
	memset(&post, 0, sizeof post);
	if (*thread) {
		post.thread_id = strtoll(thread, &end, 10);
		if (!end || *end || post.thread_id < 1)
			form_fail(&f, "thread", "Nie ma takiego wątku.");
	} else if (!*form_get(&f, "title")) {
		form_fail(&f, "title", "Podaj tytuł wątku.");
	}
	if (f.nerrors) {
		post_again(sd, w, &f, req, res);
		pairs_free(&p);
		return;
	}
	snprintf(key, sizeof key, "post:%lld", w->user_id);
	wait = limits_hit(a->lim, key, a->set.post_rate, 600, now_s());
	if (wait) {
		res->retry_after = wait;
		pairs_free(&p);
		app_plain(res, 429, "Zbyt wiele wpisów w krótkim czasie. Spróbuj za kilka minut.");
		return;
	}
	copy(post.course, sizeof post.course, course);
	post.user_id = w->user_id;
	/* shown as "Imię N." (the policy asks for no more than needed) */
	{
		unsigned cp = 0;
		int n = utf8_decode(w->u.last_name, strlen(w->u.last_name), &cp);

		snprintf(post.author, sizeof post.author, "%s %.*s.", w->u.first_name,
		         n > 0 ? n : 0, w->u.last_name);
	}
	copy(post.title, sizeof post.title, post.thread_id ? "" : form_get(&f, "title"));
	post.body = (char *)form_get(&f, "body"); /* read only by the store */
	snprintf(actor, sizeof actor, "user:%lld", w->user_id);
	r = store_post_add(a->st, actor, &post, &e);
	if (r == 1) {
		form_fail(&f, "thread", "Nie ma takiego wątku w tym kursie.");
		post_again(sd, w, &f, req, res);
		pairs_free(&p);
		return;
	}
	pairs_free(&p);
	if (r < 0) {
		app_unavailable(res, &e);
		return;
	}
	/* the post is stored: a failure to rewrite the page is logged and
	 * mended by the next write or reload, never answered as a failure */
	if (forum_write(sd, a->st, a->set.forum_dir, post.course, &e) < 0)
		fprintf(stderr, "formd: forum %s: %s\n", post.course, e.msg);
	snprintf(where, sizeof where, "%sforum/%lld/#wpis-%lld", val_get_str(c, "url", "/"),
	         post.thread_id ? post.thread_id : post.id, post.id);
	app_see_other(res, where);
}

int app_forums(struct app *a, struct err *e)
{
	struct site_ref *ref = site_get(a);
	int r = forum_write_all(ref->sd, a->st, a->set.forum_dir, e);

	app_site_put(ref);
	return r;
}

/* ---- the account page: what is held about the person (art. 15, 20) ------------ */

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
	{
		struct val *l = val_get_mut(data, "consents");

		for (i = 0; l && l->type == VAL_ARRAY && i < l->u.arr.n; i++) {
			struct val *it = l->u.arr.items[i];
			const char *doc = val_get_str(it, "document", "");
			char short_commit[8];

			snprintf(short_commit, sizeof short_commit, "%s",
			         val_get_str(it, "commit", ""));
			r |= val_set_str(it, "title",
			                 strcmp(doc, "regulamin") == 0 ? "Regulamin portalu"
			                                               : "Polityka prywatności");
			r |= val_set_str(it, "commit_short", short_commit);
		}
		l = val_get_mut(data, "requests");
		for (i = 0; l && l->type == VAL_ARRAY && i < l->u.arr.n; i++) {
			struct val *it = l->u.arr.items[i];

			r |= val_set_str(it, "right_text",
			                 rights_right_name(val_get_str(it, "right", "")));
			r |= val_set_str(it, "status_text",
			                 rights_status_name(val_get_str(it, "status", "")));
		}
	}
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

/* GET account (the page), account/wydruk (a printable copy) and
 * account/dane.json (the export); POST account/sesje ends a session. */
static void account(struct app *a, struct site_ref *ref, const struct who *w,
                    const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	const char *base = sitedata_form(sd, "account");
	const char *rest = req->path + strlen(base);
	struct val *data = NULL, *top = NULL;
	struct err e = {0};
	char actor[32];
	int r;

	if (!w->user_id) {
		app_see_other(res, "/konto/logowanie/");
		return;
	}
	snprintf(actor, sizeof actor, "user:%lld", w->user_id);
	res->no_store = 1;
	if (strcmp(rest, "/sesje") == 0) {
		static const struct field end_fields[] = {{"sesja", F_LINE, 1, 12, NULL, NULL}};
		struct pairs p;
		struct form f;

		memset(&p, 0, sizeof p);
		if (app_read_form(req, &p, &f, end_fields, 1, res) < 0)
			return;
		r = f.nerrors ? 1 : store_session_end(a->st, w->user_id, form_get(&f, "sesja"), &e);
		pairs_free(&p);
		if (r < 0 && e.kind != ERR_INPUT) {
			app_unavailable(res, &e);
			return;
		}
		app_see_other(res, base);
		return;
	}
	r = store_user_data(a->st, actor, w->user_id, w->digest, &data, &e);
	if (r != 0) {
		if (r == 1)
			err_kind_set(&e, ERR_IO, "user %lld has no data", w->user_id);
		app_unavailable(res, &e);
		return;
	}
	if (strcmp(rest, "/dane.json") == 0) {
		size_t len;
		char *json = json_dump(data, JSON_OUT_PRETTY, &len, &e);

		val_free(data);
		if (!json) {
			app_unavailable(res, &e);
			return;
		}
		buf_reset(&res->body);
		buf_add(&res->body, json, len);
		free(json);
		res->status = 200;
		res->content_type = "application/json; charset=utf-8";
		res->disposition = "attachment; filename=\"moje-dane.json\"";
		return;
	}
	if (add_dates(data) < 0 || add_names(sd, data) < 0 ||
	    !(top = app_top_frame(sd, w, NULL, NULL)) || val_set(top, "data", data) < 0) {
		if (!top)
			val_free(data);
		val_free(top);
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	if (strcmp(rest, "/wydruk") == 0)
		val_set_bool(top, "copy", 1);
	{
		struct buf act = BUF_INIT;

		buf_printf(&act, "%s/sesje", base);
		val_set_str(top, "sessions_action", buf_failed(&act) ? base : act.ptr);
		buf_reset(&act);
		buf_printf(&act, "%s/wydruk", base);
		val_set_str(top, "copy_url", buf_failed(&act) ? base : act.ptr);
		buf_reset(&act);
		buf_printf(&act, "%s/dane.json", base);
		val_set_str(top, "json_url", buf_failed(&act) ? base : act.ptr);
		buf_free(&act);
	}
	buf_reset(&res->body);
	if (page_render(sd, "account", req->path,
	                strcmp(rest, "/wydruk") == 0 ? "Kopia moich danych" : "Moje dane", top,
	                &res->body, &e) < 0)
		app_unavailable(res, &e);
	else
		res->status = 200;
	val_free(top);
}

/* ---- routing --------------------------------------------------------------- */

enum route {
	R_NONE,
	R_CONTACT,
	R_CONTACT_THANKS,
	R_REGISTER,
	R_WELCOME,
	R_LOGIN,
	R_LOGOUT,
	R_TEST,
	R_CERTIFICATE,
	R_FORUM,
	R_ACCOUNT,
};

static enum route route(const struct sitedata *sd, const char *path)
{
	static const struct {
		const char *key;
		enum route r;
	} posts[] = {{"contact", R_CONTACT}, {"register", R_REGISTER},
	             {"login", R_LOGIN},     {"logout", R_LOGOUT},
	             {"test", R_TEST},       {"certificate", R_CERTIFICATE},
	             {"forum", R_FORUM}};
	size_t i, l;

	for (i = 0; i < sizeof posts / sizeof posts[0]; i++) {
		const char *p = sitedata_form(sd, posts[i].key);

		if (!p)
			continue;
		if (strcmp(path, p) == 0)
			return posts[i].r;
		l = strlen(p);
		if (posts[i].r == R_CERTIFICATE && strncmp(path, p, l) == 0 && path[l] == '/' &&
		    path[l + 1])
			return R_CERTIFICATE;
		if (posts[i].r == R_CONTACT && strncmp(path, p, l) == 0 &&
		    strcmp(path + l, "/dziekujemy") == 0)
			return R_CONTACT_THANKS;
	}
	if (strcmp(path, "/konto/witaj") == 0)
		return R_WELCOME;
	{
		const char *acc = sitedata_form(sd, "account");

		l = acc ? strlen(acc) : 0;
		if (acc && strncmp(path, acc, l) == 0 &&
		    (path[l] == '\0' || strcmp(path + l, "/wydruk") == 0 ||
		     strcmp(path + l, "/dane.json") == 0 || strcmp(path + l, "/sesje") == 0))
			return R_ACCOUNT;
	}
	return R_NONE;
}

void app_handle(void *app, const struct request *req, struct response *res)
{
	struct app *a = app;
	struct site_ref *ref = site_get(a);
	const struct sitedata *sd = ref->sd;
	enum route r = route(sd, req->path);
	int is_post = strcmp(req->method, "POST") == 0;
	int is_get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	struct who w;
	struct err e = {0};

	if (r == R_NONE) {
		enum rights_route rr = rights_route(sd, req->path);

		if (rr == RR_NONE)
			goto out; /* not formd's: a static file, or 404 */
		if (!is_get && !is_post) {
			res->allow = "GET, HEAD, POST";
			app_plain(res, 405, "Ta strona przyjmuje tylko GET i POST.");
			goto out;
		}
		if (!rights_allows(rr, is_post)) {
			res->allow = is_post ? "GET, HEAD" : "POST";
			app_plain(res, 405,
			          is_post ? "Ta strona przyjmuje tylko GET."
			                  : "Ten adres przyjmuje tylko formularze (POST).");
			goto out;
		}
		if (is_post && !same_origin(sd, req)) {
			app_plain(res, 403,
			          "Formularz wysłano z innej strony. Wyślij go z naszej strony.");
			goto out;
		}
		if (is_post && !is_form_body(req->content_type)) {
			app_plain(
			    res, 415,
			    "Oczekiwano danych formularza (application/x-www-form-urlencoded).");
			goto out;
		}
		if (whoami(a, req, &w, &e) < 0) {
			app_unavailable(res, &e);
			goto out;
		}
		rights_handle(a, ref, &w, rr, req, res);
		goto out;
	}
	if (r == R_ACCOUNT) {
		const char *acc = sitedata_form(sd, "account");
		int post_ok = strcmp(req->path + strlen(acc), "/sesje") == 0;

		if (post_ok ? !is_post : !is_get) {
			res->allow = post_ok ? "POST" : "GET, HEAD";
			app_plain(res, 405,
			          post_ok ? "Ten adres przyjmuje tylko formularze (POST)."
			                  : "Ta strona przyjmuje tylko GET.");
			goto out;
		}
		if (post_ok && (!same_origin(sd, req) || !is_form_body(req->content_type))) {
			app_plain(res, !same_origin(sd, req) ? 403 : 415,
			          "Formularz wysłano z innej strony albo w złym formacie.");
			goto out;
		}
	} else if (r == R_CONTACT_THANKS || r == R_WELCOME || r == R_CERTIFICATE) {
		if (!is_get) {
			res->allow = "GET, HEAD";
			app_plain(res, 405, "Ta strona przyjmuje tylko GET.");
			goto out;
		}
	} else if (!is_post) {
		res->allow = "POST";
		app_plain(res, 405, "Ten adres przyjmuje tylko formularze (POST).");
		goto out;
	} else if (!same_origin(sd, req)) {
		app_plain(res, 403, "Formularz wysłano z innej strony. Wyślij go z naszej strony.");
		goto out;
	} else if (!is_form_body(req->content_type)) {
		app_plain(res, 415,
		          "Oczekiwano danych formularza (application/x-www-form-urlencoded).");
		goto out;
	}
	if (whoami(a, req, &w, &e) < 0) {
		app_unavailable(res, &e);
		goto out;
	}
	switch (r) {
	case R_CONTACT:
		contact(a, ref, &w, req, res);
		break;
	case R_CONTACT_THANKS:
		app_message_page(
		    sd, &w, req->path, "Dziękujemy za wiadomość",
		    "Twoja wiadomość została zapisana. Odpowiemy na adres e-mail podany w "
		    "formularzu.",
		    "/", "Wróć na stronę główną", res);
		break;
	case R_REGISTER:
		registration(a, ref, &w, req, res);
		break;
	case R_WELCOME:
		if (!w.user_id) {
			app_see_other(res, sitedata_form(sd, "login") ? "/konto/logowanie/" : "/");
			break;
		}
		app_message_page(
		    sd, &w, req->path, "Witamy w portalu",
		    "Jesteś zalogowany(-a). Możesz teraz rozwiązywać testy i pisać na forach "
		    "kursów.",
		    "/kursy/", "Przejdź do kursów", res);
		break;
	case R_LOGIN:
		login(a, ref, &w, req, res);
		break;
	case R_LOGOUT:
		logout(a, &w, res);
		break;
	case R_TEST:
		test_submit(a, ref, &w, req, res);
		break;
	case R_CERTIFICATE:
		certificate_page(a, ref, &w, req, res);
		break;
	case R_FORUM:
		forum_post(a, ref, &w, req, res);
		break;
	case R_ACCOUNT:
		account(a, ref, &w, req, res);
		break;
	default:
		break;
	}
out:
	app_site_put(ref);
}
