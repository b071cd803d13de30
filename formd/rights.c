/*
 * rights.c - the data-protection rights as working features (the privacy
 * policy's section V, the rights instructions' sections 3 to 5):
 *
 *  - the request form, for anyone: stored unconfirmed with a single-use
 *    link sent to the address given; it counts (received, due in a month)
 *    once the link is used;
 *  - on the account: correcting the data (art. 16; a new e-mail address
 *    is confirmed by a link sent to it), restricting processing (art. 18),
 *    objecting (art. 21), deleting the account (art. 17); each asks for
 *    the password again (compared on the hashing pool);
 *  - a forgotten password: a single-use link valid for an hour.
 *
 * Every message is put in the outbox in the same transaction as what it
 * is about (store.h); the sender thread (outbox.c) delivers it. A link's
 * token is never stored, only its digest.
 */
#include "rights.h"

#include "app_int.h"

#include "clock.h"
#include "forum.h"
#include "outbox.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_LINK_TTL (7 * 86400LL) /* a request's confirmation link */
#define RESET_LINK_TTL 3600LL          /* a password reset link */
#define EMAIL_LINK_TTL 86400LL         /* a new address's confirmation link */

/* The rights of the request form, by its values (form-rights.mustache),
 * with what staff and e-mails call them. */
static const char *const rights[] = {"informacja",
                                     "dostep",
                                     "sprostowanie",
                                     "usuniecie",
                                     "ograniczenie",
                                     "powiadomienie",
                                     "przenoszenie",
                                     "sprzeciw",
                                     "decyzje",
                                     "cofniecie-zgody",
                                     NULL};
static const char *const right_names[] = {
    "informacja o przetwarzaniu danych (art. 13 i 14 RODO)",
    "dostęp do danych (art. 15 RODO)",
    "sprostowanie danych (art. 16 RODO)",
    "usunięcie danych (art. 17 RODO)",
    "ograniczenie przetwarzania (art. 18 RODO)",
    "informacja o odbiorcach (art. 19 RODO)",
    "przeniesienie danych (art. 20 RODO)",
    "sprzeciw (art. 21 RODO)",
    "decyzje zautomatyzowane (art. 22 RODO)",
    "cofnięcie zgody (art. 7 ust. 3 RODO)",
};
static const char *const channels[] = {"email", "poczta", "telefon", "osobiscie", NULL};

const char *rights_right_name(const char *value)
{
	size_t i;

	for (i = 0; rights[i]; i++)
		if (strcmp(rights[i], value) == 0)
			return right_names[i];
	return value;
}

const char *rights_status_name(const char *status)
{
	static const char *const names[][2] = {
	    {"unconfirmed", "czeka na potwierdzenie e-mailem"},
	    {"received", "przyjęty"},
	    {"identity", "weryfikacja tożsamości"},
	    {"progress", "w realizacji"},
	    {"extended", "w realizacji, termin przedłużony"},
	    {"done", "zrealizowany"},
	    {"refused", "odmowa"},
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(status, names[i][0]) == 0)
			return names[i][1];
	return status;
}

/* ---- paths ---- */

/* `base` + `tail` into out (n bytes); 0, or -1 when it does not fit. */
static int join(char *out, size_t n, const char *base, const char *tail)
{
	return snprintf(out, n, "%s%s", base ? base : "", tail) < (int)n && base ? 0 : -1;
}

/* 1 when path is base + tail. */
static int is(const char *path, const char *base, const char *tail)
{
	size_t l = base ? strlen(base) : 0;

	return base && strncmp(path, base, l) == 0 && strcmp(path + l, tail) == 0;
}

static const char *const actions[] = {"/popraw",   "/email", "/ograniczenie",
                                      "/sprzeciw", "/usun",  NULL};

enum rights_route rights_route(const struct sitedata *sd, const char *path)
{
	const char *rq = sitedata_form(sd, "rights"), *acc = sitedata_form(sd, "account");
	const char *reset = sitedata_form(sd, "password_reset");
	size_t i;

	if (rq && strcmp(path, rq) == 0)
		return RR_REQUEST;
	if (is(path, rq, "/wyslano"))
		return RR_REQUEST_THANKS;
	if (is(path, rq, "/potwierdz"))
		return RR_REQUEST_CONFIRM;
	if (reset && strcmp(path, reset) == 0)
		return RR_RESET;
	if (is(path, reset, "/nowe"))
		return RR_RESET_NEW;
	if (is(path, acc, "/email/potwierdz"))
		return RR_EMAIL_CONFIRM;
	for (i = 0; acc && actions[i]; i++)
		if (is(path, acc, actions[i]))
			return RR_ACCOUNT_ACTION;
	return RR_NONE;
}

int rights_allows(enum rights_route r, int is_post)
{
	switch (r) {
	case RR_REQUEST:
		return is_post;
	case RR_REQUEST_THANKS:
		return !is_post;
	default:
		return 1; /* a page (GET) and its form (POST) */
	}
}

/* ---- e-mail ---- */

/* The address people reach the portal at, for links in e-mails. */
static const char *public_url(const struct app *a, const struct sitedata *sd)
{
	const char *u = a->set.public_url;

	if (!u || !*u)
		u = val_get_str(val_get(sd->base, "site"), "base_url", "");
	return u;
}

/* The link PUBLIC + path + "?t=" + token into out. */
static void link_to(struct buf *out, const struct app *a, const struct sitedata *sd,
                    const char *path, const char *token)
{
	const char *u = public_url(a, sd);
	size_t l = strlen(u);

	while (l && u[l - 1] == '/')
		l--;
	buf_add(out, u, l);
	buf_printf(out, "%s?t=%s", path, token);
}

/* The portal's name, for e-mails' greeting and signature. */
static const char *portal_name(const struct sitedata *sd)
{
	return val_get_str(val_get(sd->base, "site"), "title", "Portal");
}

/* ---- pages ---- */

/* A page with `layout` and `title`, with `top` (taken) as its frame. */
static void render(const struct sitedata *sd, const char *layout, const char *url,
                   const char *title, struct val *top, int status, struct response *res)
{
	struct err e = {0};

	buf_reset(&res->body);
	res->no_store = 1;
	if (!top) {
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	if (page_render(sd, layout, url, title, top, &res->body, &e) < 0)
		app_unavailable(res, &e);
	else
		res->status = status;
	val_free(top);
}

/* The "confirm" layout: a text and one button posting `token` to `url`. */
static void confirm_page(const struct sitedata *sd, const struct who *w, const char *url,
                         const char *title, const char *text, const char *button, const char *token,
                         struct response *res)
{
	struct val *top = app_top_frame(sd, w, NULL, NULL), *c = val_new(VAL_TABLE);

	if (!top || !c || val_set(top, "confirm", c) < 0) {
		val_free(c);
		val_free(top);
		render(sd, "confirm", url, title, NULL, 200, res);
		return;
	}
	if ((val_set_str(c, "text", text) | val_set_str(c, "action", url) |
	     val_set_str(c, "button", button) | val_set_str(c, "token", token)) < 0) {
		val_free(top);
		top = NULL;
	}
	render(sd, "confirm", url, title, top, 200, res);
}

static void link_dead(const struct sitedata *sd, const struct who *w, const char *url,
                      struct response *res)
{
	app_message_page(sd, w, url, "Link nie działa",
	                 "Ten link wygasł albo został już użyty. Każdy link z naszych wiadomości "
	                 "działa tylko raz i przez ograniczony czas.",
	                 "/", "Wróć na stronę główną", res);
	res->status = res->status == 200 ? 410 : res->status;
}

/* A token from the query (GET) or the form (POST): 64 hex-ish characters
 * as auth_token makes them; its digest into digest. 0, or -1 when there
 * is none of that shape. */
static int token_digest(const char *t, char digest[AUTH_DIGEST_TEXT])
{
	size_t i;

	if (!t || strlen(t) != AUTH_TOKEN_TEXT - 1)
		return -1;
	for (i = 0; t[i]; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'z') ||
		      (t[i] >= 'A' && t[i] <= 'Z') || t[i] == '-' || t[i] == '_'))
			return -1;
	auth_digest(t, strlen(t), digest);
	return 0;
}

void rights_restricted(const struct sitedata *sd, const struct who *w, const char *url,
                       struct response *res)
{
	app_message_page(sd, w, url, "Przetwarzanie danych jest ograniczone",
	                 "Na Twoje żądanie ograniczyliśmy przetwarzanie Twoich danych (art. 18 "
	                 "RODO): dane są tylko przechowywane, więc nie możesz teraz rozwiązywać "
	                 "testów ani pisać na forum. Ograniczenie zniesie administrator po "
	                 "rozpatrzeniu sprawy; napisz do nas, jeśli chcesz je zakończyć.",
	                 "/konto/moje-dane", "Przejdź do swoich danych", res);
	if (res->status == 200)
		res->status = 403;
}

/* ---- the request form ---- */

static const struct field request_fields[] = {
    {"name", F_LINE, 1, 200, NULL, "Imię i nazwisko"},
    {"email", F_EMAIL, 1, 254, NULL, "Adres e-mail"},
    {"right", F_CHOICE, 1, 32, rights, "Prawo"},
    {"scope", F_TEXT, 1, 5000, NULL, "Zakres żądania"},
    {"channel", F_CHOICE, 1, 16, channels, "Sposób odpowiedzi"},
    {"address", F_TEXT, 0, 300, NULL, "Adres korespondencyjny"},
    {"phone", F_LINE, 0, 30, NULL, "Telefon"},
    {"office", F_CHOICE, 0, 64, NULL, "Urząd"},
    {"token", F_LINE, 0, 100, NULL, NULL},
};

static void request_form(struct app *a, struct site_ref *ref, const struct who *w,
                         const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	const char *page = app_form_page(sd, "form-rights"), *rq = sitedata_form(sd, "rights");
	struct rights_request r;
	struct mail_out m = {"request.confirm", NULL, NULL, NULL};
	struct buf body = BUF_INIT;
	char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT], key[LIMITS_KEY], where[300];
	char actor[32];
	struct pairs p;
	struct form f;
	struct err e = {0};
	const char *ch;
	int wait, rc;

	memset(&p, 0, sizeof p);
	if (app_read_form(req, &p, &f, request_fields, NF(request_fields), res) < 0)
		return;
	ch = form_get(&f, "channel");
	if (*form_get(&f, "office") && !app_office_ok(sd, form_get(&f, "office")))
		form_fail(&f, "office", "Wybierz urząd z listy.");
	if (strcmp(ch, "poczta") == 0 && !*form_get(&f, "address"))
		form_fail(&f, "address", "Podaj adres, skoro odpowiedź ma przyjść listem.");
	if (strcmp(ch, "telefon") == 0 && !*form_get(&f, "phone"))
		form_fail(&f, "phone", "Podaj numer telefonu, skoro mamy zadzwonić.");
	if (f.nerrors) {
		app_form_again(sd, w, page ? page : "/", &f, NULL, res);
		goto out;
	}
	snprintf(key, sizeof key, "rights:%s", req->client);
	wait = limits_hit(a->lim, key, a->set.form_rate, 3600, now_s());
	if (wait) {
		res->retry_after = wait;
		app_plain(res, 429, "Z tego adresu wysłano zbyt wiele wniosków. Spróbuj później.");
		goto out;
	}
	memset(&r, 0, sizeof r);
	r.user_id = w->user_id;
	snprintf(r.name, sizeof r.name, "%s", form_get(&f, "name"));
	snprintf(r.email, sizeof r.email, "%s", form_get(&f, "email"));
	snprintf(r.phone, sizeof r.phone, "%s", form_get(&f, "phone"));
	snprintf(r.office, sizeof r.office, "%s", form_get(&f, "office"));
	snprintf(r.right, sizeof r.right, "%s", form_get(&f, "right"));
	snprintf(r.channel, sizeof r.channel, "%s", ch);
	r.address = (char *)form_get(&f, "address");
	r.scope = (char *)form_get(&f, "scope");
	auth_token(token);
	auth_digest(token, strlen(token), digest);
	buf_printf(&body,
	           "Dzień dobry,\n\n"
	           "w portalu %s złożono wniosek dotyczący danych osobowych: %s.\n\n"
	           "Jeśli to Ty, potwierdź go, otwierając ten link (działa przez 7 dni):\n\n",
	           portal_name(sd), rights_right_name(r.right));
	join(where, sizeof where, rq, "/potwierdz");
	link_to(&body, a, sd, where, token);
	buf_printf(&body,
	           "\n\nWniosek liczy się od chwili potwierdzenia; odpowiemy bez zbędnej "
	           "zwłoki, nie później niż w ciągu miesiąca.\n\n"
	           "Jeśli to nie Ty, nic nie rób: niepotwierdzony wniosek usuniemy.\n\n"
	           "-- \n%s\n",
	           portal_name(sd));
	if (buf_failed(&body)) {
		err_oom(&e);
		app_unavailable(res, &e);
		goto out;
	}
	m.to = r.email;
	m.subject = "Potwierdź wniosek dotyczący danych osobowych";
	m.body = body.ptr;
	snprintf(actor, sizeof actor, "user:%lld", w->user_id);
	rc = store_request_add(a->st, w->user_id ? actor : "web", &r, digest,
	                       now_s() + REQUEST_LINK_TTL, &m, &e);
	if (rc != 0) {
		if (rc == 1)
			err_kind_set(&e, ERR_IO, "request not stored");
		app_unavailable(res, &e);
		goto out;
	}
	outbox_wake(a->set.outbox);
	join(where, sizeof where, rq, "/wyslano");
	app_see_other(res, where);
out:
	buf_free(&body);
	pairs_free(&p);
}

/* A link from an e-mail, for a token of `kind`: a GET shows a page with
 * one button (title, text, button) when the token works, else says the
 * link is dead; a POST reads the token sent back into `digest`. 1 when
 * the caller goes on with that digest, 0 when the answer is set. */
static int token_step(struct app *a, const struct sitedata *sd, const struct who *w,
                      const struct request *req, enum token_kind kind, const char *title,
                      const char *text, const char *button, char digest[AUTH_DIGEST_TEXT],
                      struct response *res)
{
	static const struct field t_field[] = {{"t", F_LINE, 1, 100, NULL, NULL}};
	struct err e = {0};
	struct pairs p;
	struct form f;
	int rc;

	if (strcmp(req->method, "POST") != 0) {
		const char *t = http_query_arg(req, "t");

		if (token_digest(t, digest) < 0 ||
		    (rc = store_token_peek(a->st, digest, kind, now_s(), NULL, NULL, &e)) == 1)
			link_dead(sd, w, req->path, res);
		else if (rc < 0)
			app_unavailable(res, &e);
		else
			confirm_page(sd, w, req->path, title, text, button, t, res);
		return 0;
	}
	memset(&p, 0, sizeof p);
	if (app_read_form(req, &p, &f, t_field, 1, res) < 0)
		return 0;
	rc = token_digest(form_get(&f, "t"), digest);
	pairs_free(&p);
	if (rc < 0) {
		link_dead(sd, w, req->path, res);
		return 0;
	}
	return 1;
}

static void request_confirm(struct app *a, struct site_ref *ref, const struct who *w,
                            const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	char digest[AUTH_DIGEST_TEXT];
	struct buf text = BUF_INIT;
	struct rights_request r;
	struct err e = {0};
	long long id = 0;
	int rc;

	if (!token_step(a, sd, w, req, TOKEN_REQUEST, "Potwierdź wniosek",
	                "Potwierdź, że to Ty złożyłeś(-aś) wniosek dotyczący danych osobowych. "
	                "Od chwili potwierdzenia biegnie miesięczny termin odpowiedzi.",
	                "Potwierdzam wniosek", digest, res))
		return;
	rc = store_request_confirm(a->st, digest, now_s(), &id, &e);
	if (rc == 1) {
		link_dead(sd, w, req->path, res);
		return;
	}
	if (rc < 0 || (rc = store_request_get(a->st, id, &r, &e)) != 0) {
		if (rc == 1)
			err_kind_set(&e, ERR_IO, "request %lld vanished", id);
		app_unavailable(res, &e);
		return;
	}
	buf_printf(&text,
	           "Dziękujemy. Wniosek nr %lld (%s) został przyjęty. Odpowiemy bez "
	           "zbędnej zwłoki, nie później niż do ",
	           r.id, rights_right_name(r.right));
	fmt_date_pl(&text, r.due);
	buf_puts(&text, ". Jeśli sprawa okaże się skomplikowana, termin może zostać przedłużony o "
	                "kolejne dwa miesiące – poinformujemy Cię o tym przed upływem pierwszego "
	                "miesiąca, podając przyczyny.");
	store_request_free(&r);
	if (buf_failed(&text)) {
		err_oom(&e);
		app_unavailable(res, &e);
	} else {
		app_message_page(sd, w, req->path, "Wniosek przyjęty", text.ptr, "/",
		                 "Wróć na stronę główną", res);
	}
	buf_free(&text);
}

/* ---- a forgotten password ---- */

static const struct field reset_ask_fields[] = {
    {"email", F_EMAIL, 1, 254, NULL, "Adres e-mail"},
};
static const struct field reset_new_fields[] = {
    {"password", F_PASSWORD, 1, 200, NULL, "Nowe hasło"},
    {"password2", F_PASSWORD, 1, 200, NULL, "Powtórzone hasło"},
    {"t", F_LINE, 1, 100, NULL, NULL},
};

/* The password-reset layout: `mode` "ask" or "new", the form frame. */
static void reset_page(const struct sitedata *sd, const struct who *w, const char *url,
                       const char *mode, struct val *form, const char *token, int status,
                       struct response *res)
{
	struct val *top = app_top_frame(sd, w, form, NULL);

	if (top && ((val_set_bool(top, mode, 1) | val_set_str(top, "action", url) |
	             (token ? val_set_str(top, "token", token) : 0)) < 0)) {
		val_free(top);
		top = NULL;
	}
	render(sd, "password-reset", url,
	       strcmp(mode, "ask") == 0 ? "Nie pamiętasz hasła?" : "Ustaw nowe hasło", top, status,
	       res);
}

static void reset_ask(struct app *a, struct site_ref *ref, const struct who *w,
                      const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	const char *reset = sitedata_form(sd, "password_reset");
	char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT], key[LIMITS_KEY], where[300];
	struct mail_out m = {"password.reset", NULL, "Ustaw nowe hasło", NULL};
	struct buf body = BUF_INIT;
	struct pairs p;
	struct form f;
	struct user u;
	struct err e = {0};
	int rc, wait;

	if (strcmp(req->method, "POST") != 0) {
		reset_page(sd, w, req->path, "ask", NULL, NULL, 200, res);
		return;
	}
	memset(&p, 0, sizeof p);
	if (app_read_form(req, &p, &f, reset_ask_fields, NF(reset_ask_fields), res) < 0)
		return;
	if (f.nerrors) {
		reset_page(sd, w, req->path, "ask", form_frame(&f, NULL), NULL, 422, res);
		goto out;
	}
	/* per address and per e-mail: nobody floods a person's mailbox */
	snprintf(key, sizeof key, "reset:%s", req->client);
	wait = limits_hit(a->lim, key, a->set.form_rate, 3600, now_s());
	snprintf(key, sizeof key, "reset-mail:%.200s", form_get(&f, "email"));
	if (!wait)
		wait = limits_hit(a->lim, key, 3, 3600, now_s());
	if (wait) {
		res->retry_after = wait;
		app_plain(res, 429, "Zbyt wiele próśb o nowe hasło. Spróbuj później.");
		goto out;
	}
	rc = store_user_by_email(a->st, form_get(&f, "email"), &u, &e);
	if (rc < 0) {
		app_unavailable(res, &e);
		goto out;
	}
	if (rc == 0) {
		auth_token(token);
		auth_digest(token, strlen(token), digest);
		join(where, sizeof where, reset, "/nowe");
		buf_printf(&body,
		           "Dzień dobry,\n\nktoś (zapewne Ty) poprosił o nowe hasło do konta w "
		           "portalu %s.\n\nNowe hasło ustawisz pod tym adresem (działa raz, przez "
		           "godzinę):\n\n",
		           portal_name(sd));
		link_to(&body, a, sd, where, token);
		buf_printf(
		    &body,
		    "\n\nJeśli to nie Ty, nic nie rób: Twoje hasło się nie zmieni.\n\n-- \n%s\n",
		    portal_name(sd));
		m.to = u.email;
		m.body = body.ptr;
		if (buf_failed(&body)) {
			err_oom(&e);
			rc = -1;
		} else {
			char actor[32];

			snprintf(actor, sizeof actor, "user:%lld", u.id);
			rc = store_token_add(a->st, actor, digest, TOKEN_RESET, u.id, NULL,
			                     now_s() + RESET_LINK_TTL, &m, &e);
		}
		if (rc < 0) {
			app_unavailable(res, &e);
			goto out;
		}
		outbox_wake(a->set.outbox);
	}
	/* the same answer whether the account exists or not */
	app_message_page(sd, w, req->path, "Sprawdź skrzynkę e-mail",
	                 "Jeśli w portalu jest konto z tym adresem, wysłaliśmy na niego link do "
	                 "ustawienia nowego hasła. Link działa raz, przez godzinę.",
	                 "/", "Wróć na stronę główną", res);
out:
	buf_free(&body);
	pairs_free(&p);
}

struct reset_job {
	struct app *a;
	struct site_ref *ref;
	struct who w;
	struct pairs p;
	struct form f;
	char digest[AUTH_DIGEST_TEXT];
	char url[256];
};

static void reset_finish(void *arg, struct response *res)
{
	struct reset_job *j = arg;
	const struct sitedata *sd = j->ref->sd;
	const char *pw = form_get(&j->f, "password");
	char hash[AUTH_HASH_MAX];
	long long uid = 0;
	struct err e = {0};
	int rc;

	if (auth_hash_password(pw, strlen(pw), hash, &e) < 0) {
		app_unavailable(res, &e);
		goto out;
	}
	rc = store_password_reset(j->a->st, j->digest, now_s(), hash, &uid, &e);
	if (rc < 0)
		app_unavailable(res, &e);
	else if (rc == 1)
		link_dead(sd, &j->w, j->url, res);
	else
		app_message_page(sd, NULL, j->url, "Hasło zmienione",
		                 "Twoje hasło zostało zmienione, a wszystkie sesje zakończone. "
		                 "Zaloguj się nowym hasłem.",
		                 sitedata_form(sd, "login") ? "/konto/logowanie/" : "/",
		                 "Przejdź do logowania", res);
out:
	pairs_free(&j->p);
	app_site_put(j->ref);
	free(j);
}

static void reset_new(struct app *a, struct site_ref *ref, const struct who *w,
                      const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	struct reset_job *j;
	struct err e = {0};
	const char *pw;
	int rc;

	if (strcmp(req->method, "POST") != 0) {
		const char *t = http_query_arg(req, "t");
		char digest[AUTH_DIGEST_TEXT];

		if (token_digest(t, digest) < 0 ||
		    (rc = store_token_peek(a->st, digest, TOKEN_RESET, now_s(), NULL, NULL, &e)) ==
		        1) {
			link_dead(sd, w, req->path, res);
			return;
		}
		if (rc < 0) {
			app_unavailable(res, &e);
			return;
		}
		reset_page(sd, w, req->path, "new", NULL, t, 200, res);
		return;
	}
	if (!(j = calloc(1, sizeof *j))) {
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	if (app_read_form(req, &j->p, &j->f, reset_new_fields, NF(reset_new_fields), res) < 0) {
		free(j);
		return;
	}
	pw = form_get(&j->f, "password");
	if (token_digest(form_get(&j->f, "t"), j->digest) < 0) {
		link_dead(sd, w, req->path, res);
		goto fail;
	}
	if (*pw && utf8_count(pw, strlen(pw)) < PASSWORD_MIN)
		form_fail(&j->f, "password",
		          "Hasło musi mieć co najmniej " STR(PASSWORD_MIN) " znaków.");
	if (*pw && *form_get(&j->f, "password2") && strcmp(pw, form_get(&j->f, "password2")))
		form_fail(&j->f, "password2", "Hasła różnią się. Wpisz to samo hasło dwa razy.");
	if (j->f.nerrors) {
		reset_page(sd, w, req->path, "new", form_frame(&j->f, NULL), form_get(&j->f, "t"),
		           422, res);
		goto fail;
	}
	j->a = a;
	j->ref = ref;
	atomic_fetch_add(&ref->refs, 1);
	j->w = *w;
	snprintf(j->url, sizeof j->url, "%s", req->path);
	res->defer = reset_finish;
	res->defer_arg = j;
	return;
fail:
	pairs_free(&j->p);
	free(j);
}

/* ---- the account's actions ---- */

static const struct field correct_fields[] = {
    {"first_name", F_LINE, 1, 100, NULL, "Imię"},
    {"last_name", F_LINE, 1, 100, NULL, "Nazwisko"},
    {"status", F_CHOICE, 1, 32, app_statuses, "Status"},
    {"office", F_CHOICE, 1, 64, NULL, "Urząd lub filia"},
    {"password", F_PASSWORD, 1, 200, NULL, "Hasło"},
};
static const struct field email_fields[] = {
    {"email", F_EMAIL, 1, 254, NULL, "Nowy adres e-mail"},
    {"password", F_PASSWORD, 1, 200, NULL, "Hasło"},
};
static const struct field restrict_fields[] = {
    {"reason", F_TEXT, 0, 2000, NULL, "Powód"},
    {"password", F_PASSWORD, 1, 200, NULL, "Hasło"},
};
static const struct field object_fields[] = {
    {"reason", F_TEXT, 1, 5000, NULL, "Twoja szczególna sytuacja"},
    {"password", F_PASSWORD, 1, 200, NULL, "Hasło"},
};
static const struct field delete_fields[] = {
    {"confirm", F_CHECKBOX, 1, 0, NULL, "Potwierdzenie"},
    {"password", F_PASSWORD, 1, 200, NULL, "Hasło"},
};

enum action { A_CORRECT, A_EMAIL, A_RESTRICT, A_OBJECT, A_DELETE };

static const struct {
	const char *key, *title;
	const struct field *fields;
	size_t n;
} action_def[] = {
    {"correct", "Popraw swoje dane", correct_fields, NF(correct_fields)},
    {"email", "Zmień adres e-mail", email_fields, NF(email_fields)},
    {"restrict", "Ogranicz przetwarzanie danych", restrict_fields, NF(restrict_fields)},
    {"object", "Wnieś sprzeciw", object_fields, NF(object_fields)},
    {"delete", "Usuń konto", delete_fields, NF(delete_fields)},
};

/* The account-action layout for action `ac` with `form` (taken; NULL: the
 * values the account holds). */
static void action_page(const struct sitedata *sd, const struct who *w, const char *url,
                        enum action ac, struct val *form, int status, struct response *res)
{
	struct val *top, *v;
	const char *office = w->u.office;

	if (!form && (form = val_new(VAL_TABLE)) && ac == A_CORRECT) {
		struct val *values = val_new(VAL_TABLE), *checked = val_new(VAL_TABLE);
		char name[48];
		int r = val_set(form, "values", values) | val_set(form, "checked", checked);

		if (r == 0) {
			snprintf(name, sizeof name, "status_%s",
			         w->u.status == STATUS_JOBSEEKER ? "poszukujaca" : "bezrobotna");
			r |= val_set_str(values, "first_name", w->u.first_name);
			r |= val_set_str(values, "last_name", w->u.last_name);
			r |= val_set_bool(checked, name, 1);
		}
		if (r < 0) {
			val_free(form);
			form = NULL;
		}
	}
	if (form && val_get(form, "values") && *val_get_str(val_get(form, "values"), "office", ""))
		office = val_get_str(val_get(form, "values"), "office", "");
	top = app_top_frame(sd, w, form, office);
	v = val_new(VAL_TABLE);
	if (!top || !v || val_set(top, "action", v) < 0 ||
	    val_set_bool(v, action_def[ac].key, 1) < 0 || val_set_str(v, "url", url) < 0 ||
	    val_set_str(v, "back", sitedata_form(sd, "account")) < 0 ||
	    (w->u.restricted && val_set_bool(top, "restricted", 1) < 0) ||
	    val_set_str(top, "current_email", w->u.email) < 0) {
		if (top && !val_get(top, "action"))
			val_free(v);
		val_free(top);
		top = NULL;
	}
	render(sd, "account-action", url, action_def[ac].title, top, status, res);
}

struct action_job {
	struct app *a;
	struct site_ref *ref;
	struct who w;
	enum action ac;
	struct pairs p;
	struct form f;
	char url[256];
	char key[LIMITS_KEY];
};

/* Rewrites the forum pages of the courses listed one a line. */
static void rewrite_forums(struct app *a, const struct sitedata *sd, char *courses)
{
	char *line, *save = NULL;
	struct err e = {0};

	for (line = courses ? strtok_r(courses, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (forum_course_exists(sd, line) &&
		    forum_write(sd, a->st, a->set.forum_dir, line, &e) < 0)
			fprintf(stderr, "formd: forum %s: %s\n", line, e.msg);
}

/* After the password matched: the action itself. */
static void action_do(struct action_job *j, struct response *res)
{
	const struct sitedata *sd = j->ref->sd;
	const struct who *w = &j->w;
	struct app *a = j->a;
	const char *acc = sitedata_form(sd, "account");
	char actor[32], where[300];
	struct buf text = BUF_INIT;
	struct err e = {0};
	int rc = 0;

	snprintf(actor, sizeof actor, "user:%lld", w->user_id);
	switch (j->ac) {
	case A_CORRECT:
		rc = store_user_correct(a->st, actor, w->user_id, form_get(&j->f, "first_name"),
		                        form_get(&j->f, "last_name"),
		                        strcmp(form_get(&j->f, "status"), "poszukujaca") == 0
		                            ? STATUS_JOBSEEKER
		                            : STATUS_UNEMPLOYED,
		                        form_get(&j->f, "office"), &e);
		if (rc == 0)
			app_see_other(res, acc);
		break;
	case A_EMAIL: {
		char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT];
		struct mail_out m = {"email.confirm", form_get(&j->f, "email"),
		                     "Potwierdź nowy adres e-mail", NULL};

		auth_token(token);
		auth_digest(token, strlen(token), digest);
		join(where, sizeof where, acc, "/email/potwierdz");
		buf_printf(
		    &text,
		    "Dzień dobry,\n\nw portalu %s poproszono o zmianę adresu e-mail konta na "
		    "ten adres.\n\nPotwierdź go, otwierając ten link (działa raz, przez "
		    "24 godziny):\n\n",
		    portal_name(sd));
		link_to(&text, a, sd, where, token);
		buf_printf(&text,
		           "\n\nDo chwili potwierdzenia konto ma dotychczasowy adres. Jeśli to nie "
		           "Ty, nic nie rób.\n\n-- \n%s\n",
		           portal_name(sd));
		if (buf_failed(&text)) {
			rc = err_oom(&e);
			break;
		}
		m.body = text.ptr;
		rc = store_token_add(a->st, actor, digest, TOKEN_EMAIL, w->user_id,
		                     form_get(&j->f, "email"), now_s() + EMAIL_LINK_TTL, &m, &e);
		if (rc == 0)
			outbox_wake(a->set.outbox);
		if (rc == 0)
			app_message_page(
			    sd, w, j->url, "Sprawdź nową skrzynkę",
			    "Wysłaliśmy link na nowy adres e-mail. Adres konta zmieni się, "
			    "gdy go otworzysz (link działa przez 24 godziny).",
			    acc, "Wróć do swoich danych", res);
		break;
	}
	case A_RESTRICT:
		rc = store_user_restrict(a->st, actor, w->user_id, 1,
		                         *form_get(&j->f, "reason") ? form_get(&j->f, "reason")
		                                                    : "(bez podanego powodu)",
		                         &e);
		if (rc == 0)
			app_message_page(
			    sd, w, j->url, "Przetwarzanie ograniczone",
			    "Od teraz Twoje dane są tylko przechowywane: nie rozwiążesz "
			    "testu ani nie napiszesz na forum, a Twoje konto nie trafia do "
			    "zestawień. Sprawę rozpatrzy administrator i poinformuje Cię, "
			    "gdy ograniczenie zostanie zniesione.",
			    acc, "Wróć do swoich danych", res);
		break;
	case A_OBJECT: {
		struct rights_request r;

		store_request_of(&w->u, "sprzeciw", form_get(&j->f, "reason"), &r);
		rc = store_request_add(a->st, actor, &r, NULL, 0, NULL, &e);
		if (rc != 0)
			break;
		buf_printf(&text,
		           "Twój sprzeciw został zapisany jako wniosek nr %lld. Administrator "
		           "rozpatrzy go i odpowie na adres %s nie później niż do ",
		           r.id, w->u.email);
		fmt_date_pl(&text, r.due);
		buf_puts(&text, ".");
		if (buf_failed(&text))
			rc = err_oom(&e);
		else
			app_message_page(sd, w, j->url, "Sprzeciw przyjęty", text.ptr, acc,
			                 "Wróć do swoich danych", res);
		break;
	}
	case A_DELETE: {
		char *courses = NULL;
		int erased = 0;

		rc = store_user_close(a->st, actor, w->user_id, &erased, &courses, &e);
		if (rc != 0)
			break;
		rewrite_forums(a, sd, courses);
		free(courses);
		snprintf(res->set_cookie, sizeof res->set_cookie,
		         "sesja=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
		         a->set.dev ? "" : "; Secure");
		app_message_page(
		    sd, NULL, j->url, "Konto usunięte",
		    erased
		        ? "Twoje konto zostało usunięte razem z Twoimi danymi osobowymi. Wpisy na "
		          "forum zostały, ale nie są już podpisane."
		        : "Twoje konto zostało zamknięte: nie można się na nie zalogować, a na "
		          "forum i w certyfikatach nie widać już Twojego imienia i nazwiska. "
		          "Wyniki "
		          "testów i certyfikaty są dokumentacją projektu, więc Twoje dane osobowe "
		          "przechowujemy do końca okresu archiwizacji podanego w polityce "
		          "prywatności, a potem je usuwamy (art. 17 ust. 3 RODO).",
		    "/", "Wróć na stronę główną", res);
		break;
	}
	}
	buf_free(&text);
	if (rc < 0)
		app_unavailable(res, &e);
	else if (rc == 1) /* the account closed meanwhile */
		app_see_other(res, "/");
}

static void action_finish(void *arg, struct response *res)
{
	struct action_job *j = arg;
	const char *pw = form_get(&j->f, "password");
	struct err e = {0};
	int ok = app_check_password(pw, j->w.u.pw_hash, &e);

	if (ok < 0) {
		app_unavailable(res, &e);
	} else if (!ok) {
		limits_fail(j->a->lim, j->key, now_s());
		form_fail(&j->f, "password", "Nieprawidłowe hasło.");
		action_page(j->ref->sd, &j->w, j->url, j->ac, form_frame(&j->f, NULL), 422, res);
	} else {
		limits_clear(j->a->lim, j->key);
		action_do(j, res);
	}
	pairs_free(&j->p);
	app_site_put(j->ref);
	free(j);
}

static void account_action(struct app *a, struct site_ref *ref, const struct who *w,
                           const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	const char *acc = sitedata_form(sd, "account");
	const char *rest = req->path + strlen(acc);
	struct action_job *j;
	struct err e = {0};
	struct user other;
	enum action ac;
	int wait;

	if (!w->user_id) {
		app_see_other(res, sitedata_form(sd, "login") ? "/konto/logowanie/" : "/");
		return;
	}
	for (ac = A_CORRECT; ac <= A_DELETE; ac++)
		if (strcmp(rest, actions[ac]) == 0)
			break;
	if (ac > A_DELETE) {
		app_plain(res, 404, "Nie ma takiej strony.");
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		action_page(sd, w, req->path, ac, NULL, 200, res);
		return;
	}
	if (ac == A_RESTRICT && w->u.restricted) {
		app_message_page(sd, w, req->path, "Przetwarzanie już ograniczone",
		                 "Przetwarzanie Twoich danych jest już ograniczone. Administrator "
		                 "rozpatruje sprawę i poinformuje Cię, gdy ograniczenie zniesie.",
		                 acc, "Wróć do swoich danych", res);
		return;
	}
	if (!(j = calloc(1, sizeof *j))) {
		err_oom(&e);
		app_unavailable(res, &e);
		return;
	}
	if (app_read_form(req, &j->p, &j->f, action_def[ac].fields, action_def[ac].n, res) < 0) {
		free(j);
		return;
	}
	if (ac == A_CORRECT && *form_get(&j->f, "office") &&
	    !app_office_ok(sd, form_get(&j->f, "office")))
		form_fail(&j->f, "office", "Wybierz urząd lub filię z listy.");
	if (ac == A_EMAIL && *form_get(&j->f, "email")) {
		int rc = store_user_by_email(a->st, form_get(&j->f, "email"), &other, &e);

		if (rc < 0) {
			app_unavailable(res, &e);
			goto fail;
		}
		if (rc == 0)
			form_fail(&j->f, "email",
			          other.id == w->user_id
			              ? "To jest obecny adres Twojego konta."
			              : "Ten adres ma już inne konto. Podaj inny adres.");
	}
	if (j->f.nerrors) {
		action_page(sd, w, req->path, ac, form_frame(&j->f, NULL), 422, res);
		goto fail;
	}
	/* wrong passwords slow down as at login */
	snprintf(j->key, sizeof j->key, "reauth:%lld", w->user_id);
	wait = limits_wait(a->lim, j->key, a->set.login_free, a->set.login_max_wait, now_s());
	if (wait) {
		res->retry_after = wait;
		app_plain(res, 429,
		          "Zbyt wiele nieudanych prób podania hasła. Odczekaj chwilę i spróbuj "
		          "ponownie.");
		goto fail;
	}
	j->a = a;
	j->ref = ref;
	atomic_fetch_add(&ref->refs, 1);
	j->w = *w;
	j->ac = ac;
	snprintf(j->url, sizeof j->url, "%s", req->path);
	res->defer = action_finish;
	res->defer_arg = j;
	return;
fail:
	pairs_free(&j->p);
	free(j);
}

/* ---- a new e-mail address confirmed ---- */

static void email_confirm(struct app *a, struct site_ref *ref, const struct who *w,
                          const struct request *req, struct response *res)
{
	const struct sitedata *sd = ref->sd;
	char digest[AUTH_DIGEST_TEXT];
	struct err e = {0};
	long long uid = 0;
	int rc;

	if (!token_step(a, sd, w, req, TOKEN_EMAIL, "Potwierdź nowy adres e-mail",
	                "Potwierdź, że to Twój adres: od tej chwili będzie adresem Twojego konta "
	                "i loginem.",
	                "Potwierdzam adres", digest, res))
		return;
	rc = store_email_confirm(a->st, digest, now_s(), &uid, &e);
	if (rc < 0)
		app_unavailable(res, &e);
	else if (rc == 1)
		link_dead(sd, w, req->path, res);
	else if (rc == 2)
		app_message_page(
		    sd, w, req->path, "Adres zajęty",
		    "Tego adresu używa już inne konto, więc nie mogliśmy go przypisać do "
		    "Twojego. Twoje konto ma dotychczasowy adres.",
		    sitedata_form(sd, "account"), "Wróć do swoich danych", res);
	else
		app_message_page(sd, w, req->path, "Adres e-mail zmieniony",
		                 "Nowy adres jest od teraz adresem Twojego konta i loginem.",
		                 sitedata_form(sd, "account"), "Wróć do swoich danych", res);
}

void rights_handle(struct app *a, struct site_ref *ref, const struct who *w, enum rights_route r,
                   const struct request *req, struct response *res)
{
	switch (r) {
	case RR_REQUEST:
		request_form(a, ref, w, req, res);
		break;
	case RR_REQUEST_THANKS:
		app_message_page(
		    ref->sd, w, req->path, "Sprawdź skrzynkę e-mail",
		    "Wniosek został zapisany. Wysłaliśmy na podany adres e-mail link, "
		    "którym go potwierdzisz; wniosek liczy się od chwili potwierdzenia. "
		    "Link działa przez 7 dni.",
		    "/", "Wróć na stronę główną", res);
		break;
	case RR_REQUEST_CONFIRM:
		request_confirm(a, ref, w, req, res);
		break;
	case RR_RESET:
		reset_ask(a, ref, w, req, res);
		break;
	case RR_RESET_NEW:
		reset_new(a, ref, w, req, res);
		break;
	case RR_ACCOUNT_ACTION:
		account_action(a, ref, w, req, res);
		break;
	case RR_EMAIL_CONFIRM:
		email_confirm(a, ref, w, req, res);
		break;
	case RR_NONE:
		break;
	}
}
