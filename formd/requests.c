/*
 * requests.c - requests about personal data from anyone, and the links
 * that prove an address:
 *
 *  - the request form (the privacy policy's section V, the rights
 *    instructions' sections 3 to 5): stored with a single-use link sent to
 *    the address given, which confirms the request;
 *  - a forgotten password: a single-use link valid for an hour; using it
 *    ends every other reset link of the account and every session.
 *
 * Every message is put in the outbox in the same transaction as what it
 * is about (store.h); the sender thread (outbox.c) delivers it. A link's
 * token is never stored, only its digest.
 */
#include "flow.h"
#include "outbox.h"
#include "reply.h"
#include "rights.h"

#include "clock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_LINK_TTL (7 * 86400LL) /* a request's confirmation link */
#define RESET_LINK_TTL 3600LL          /* a password reset link */

static const char *const channels[] = {"email", "poczta", "telefon", "osobiscie", NULL};

static const struct field request_fields[] = {
    {"name", F_LINE, 1, 200, NULL, "Imię i nazwisko"},
    {"email", F_EMAIL, 1, 254, NULL, "Adres e-mail"},
    {"right", F_CHOICE, 1, 32, rights_values, "Prawo"},
    {"scope", F_TEXT, 1, 5000, NULL, "Zakres żądania"},
    {"channel", F_CHOICE, 1, 16, channels, "Sposób odpowiedzi"},
    {"address", F_TEXT, 0, 300, NULL, "Adres korespondencyjny"},
    {"phone", F_LINE, 0, 30, NULL, "Telefon"},
    {"office", F_CHOICE, 0, 64, NULL, "Urząd"},
    {"token", F_LINE, 0, 100, NULL, NULL},
};

/* The checks the table cannot make; the form again when any fails. */
static int request_check(struct flow_ctx *c, struct form *f)
{
	const char *ch = form_get(f, "channel");

	if (*form_get(f, "office") && !flow_office_ok(c->sd, form_get(f, "office")))
		form_fail(f, "office", "Wybierz urząd z listy.");
	if (strcmp(ch, "poczta") == 0 && !*form_get(f, "address"))
		form_fail(f, "address",
		          "Podaj adres korespondencyjny – wyślemy na niego odpowiedź.");
	if (strcmp(ch, "telefon") == 0 && !*form_get(f, "phone"))
		form_fail(f, "phone", "Podaj numer telefonu – zadzwonimy pod niego.");
	if (f->nerrors)
		reply_form_again(c->sd, c->w, flow_form_page(c->sd, "form-rights"), f, NULL, 422,
		                 c->res);
	return f->nerrors;
}

/* The confirmation message with its link into body. */
static int request_mail(struct flow_ctx *c, const char *right, const char *token, struct buf *body)
{
	char where[300];

	buf_printf(body,
	           "Szanowna Pani / Szanowny Panie,\n\n"
	           "w portalu %s złożono wniosek dotyczący danych osobowych: %s.\n\n"
	           "Jeśli to Ty, potwierdź swój adres e-mail, otwierając ten link (działa "
	           "przez 7 dni):\n\n",
	           flow_portal_name(c->sd), rights_right_name(right));
	flow_join(where, sizeof where, sitedata_form(c->sd, "rights"), "/potwierdz");
	flow_link(body, c, where, token);
	buf_printf(body,
	           "\n\nMiesięczny termin odpowiedzi liczy się od otrzymania wniosku, czyli "
	           "od dziś; odpowiemy bez zbędnej zwłoki. Link potwierdza tylko, że adres "
	           "należy do Ciebie.\n\n"
	           "Jeśli to nie Ty, nie otwieraj linku. Dopóki adres nie jest potwierdzony, "
	           "możemy poprosić o dodatkowe informacje pozwalające ustalić, kto złożył "
	           "wniosek.\n\n"
	           "-- \n%s\n",
	           flow_portal_name(c->sd));
	return buf_failed(body) ? -1 : 0;
}

void requests_form(struct flow_ctx *c)
{
	struct rights_request r;
	struct mail_out m = {"request.confirm", NULL,
	                     "Potwierdź wniosek dotyczący danych osobowych", NULL};
	struct buf body = BUF_INIT;
	char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT], key[LIMITS_KEY], where[300];
	struct pairs p;
	struct form f;
	struct err e = {0};
	int wait, rc;

	memset(&p, 0, sizeof p);
	if (flow_read_form(c, &p, &f, request_fields, NF(request_fields)) < 0)
		return;
	if (request_check(c, &f))
		goto out;
	snprintf(key, sizeof key, "rights:%s", flow_client_key(c));
	wait = limits_hit(c->a->lim, key, c->a->set.form_rate, 3600, flow_now());
	if (wait) {
		c->res->retry_after = wait;
		reply_plain(c->res, 429,
		            "Z tego adresu wysłano zbyt wiele wniosków. Spróbuj później.");
		goto out;
	}
	memset(&r, 0, sizeof r);
	r.user_id = c->w->user_id;
	snprintf(r.name, sizeof r.name, "%s", form_get(&f, "name"));
	snprintf(r.email, sizeof r.email, "%s", form_get(&f, "email"));
	snprintf(r.phone, sizeof r.phone, "%s", form_get(&f, "phone"));
	snprintf(r.office, sizeof r.office, "%s", form_get(&f, "office"));
	snprintf(r.right, sizeof r.right, "%s", form_get(&f, "right"));
	snprintf(r.channel, sizeof r.channel, "%s", form_get(&f, "channel"));
	r.address = (char *)form_get(&f, "address");
	r.scope = (char *)form_get(&f, "scope");
	auth_token(token);
	auth_digest(token, strlen(token), digest);
	if (request_mail(c, r.right, token, &body) < 0) {
		err_oom(&e);
		reply_unavailable(c->res, &e);
		goto out;
	}
	m.to = r.email;
	m.body = body.ptr;
	rc = store_request_add(c->a->st, c->w->actor, &r, digest, flow_now() + REQUEST_LINK_TTL, &m,
	                       &e);
	if (rc != 0) {
		if (rc == 1)
			err_kind_set(&e, ERR_IO, "request not stored");
		reply_unavailable(c->res, &e);
		goto out;
	}
	outbox_wake(c->a->set.outbox);
	flow_join(where, sizeof where, sitedata_form(c->sd, "rights"), "/wyslano");
	reply_see_other(c->res, where);
out:
	buf_free(&body);
	pairs_free(&p);
}

void requests_thanks(struct flow_ctx *c)
{
	reply_message(c->sd, c->w, c->req->path, "Sprawdź skrzynkę e-mail",
	              "Wniosek otrzymaliśmy i od dziś liczy się miesięczny termin odpowiedzi. "
	              "Wysłaliśmy na podany adres e-mail link, którym potwierdzisz, że adres "
	              "należy do Ciebie. Link działa przez 7 dni.",
	              "/", "Wróć na stronę główną", 200, c->res);
}

void requests_confirm(struct flow_ctx *c)
{
	char digest[AUTH_DIGEST_TEXT];
	struct buf text = BUF_INIT;
	struct rights_request r;
	struct err e = {0};
	long long id = 0;
	int rc;

	if (!flow_token_step(c, TOKEN_REQUEST, "Potwierdź wniosek",
	                     "Potwierdź, że to Ty złożyłeś(-aś) wniosek dotyczący danych osobowych "
	                     "i że adres e-mail należy do Ciebie. Miesięczny termin odpowiedzi "
	                     "biegnie od otrzymania wniosku, nie od potwierdzenia.",
	                     "Potwierdzam wniosek", digest))
		return;
	rc = store_request_confirm(c->a->st, digest, flow_now(), &id, &e);
	if (rc == 1) {
		flow_link_dead(c);
		return;
	}
	if (rc < 0 || (rc = store_request_get(c->a->st, id, &r, &e)) != 0) {
		if (rc == 1)
			err_kind_set(&e, ERR_IO, "request %lld vanished", id);
		reply_unavailable(c->res, &e);
		return;
	}
	buf_printf(&text,
	           "Dziękujemy, adres e-mail jest potwierdzony. Wniosek nr %lld – %s – "
	           "otrzymaliśmy ",
	           r.id, rights_right_name(r.right));
	fmt_date_pl(&text, r.received);
	buf_puts(&text, "; odpowiemy bez zbędnej zwłoki, nie później niż do ");
	fmt_date_pl(&text, r.due);
	buf_puts(&text, ". Jeśli sprawa okaże się skomplikowana, termin może zostać przedłużony o "
	                "kolejne dwa miesiące – poinformujemy Cię o tym przed upływem pierwszego "
	                "miesiąca, podając przyczyny.");
	store_request_free(&r);
	if (buf_failed(&text)) {
		err_oom(&e);
		reply_unavailable(c->res, &e);
	} else {
		reply_message(c->sd, c->w, c->req->path, "Wniosek przyjęty", text.ptr, "/",
		              "Wróć na stronę główną", 200, c->res);
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
static void reset_page(struct flow_ctx *c, const char *mode, struct val *form, const char *token,
                       int status)
{
	struct val *top = reply_frame(c->sd, c->w, form, NULL);

	if (top && ((val_set_bool(top, mode, 1) | val_set_str(top, "action", c->req->path) |
	             (token ? val_set_str(top, "token", token) : 0)) < 0)) {
		val_free(top);
		top = NULL;
	}
	reply_page(c->sd, "password-reset", c->req->path,
	           strcmp(mode, "ask") == 0 ? "Nie pamiętasz hasła?" : "Ustaw nowe hasło", top,
	           status, c->res);
}

/* The reset link for u in the outbox: one write. */
static int reset_send(struct flow_ctx *c, const struct user *u, struct err *e)
{
	char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT], where[300], actor[32];
	struct mail_out m = {"password.reset", u->email, "Ustaw nowe hasło", NULL};
	struct buf body = BUF_INIT;
	int rc;

	auth_token(token);
	auth_digest(token, strlen(token), digest);
	flow_join(where, sizeof where, sitedata_form(c->sd, "password_reset"), "/nowe");
	buf_printf(&body,
	           "Szanowna Pani / Szanowny Panie,\n\nktoś (zapewne Ty) poprosił o nowe hasło "
	           "do konta w portalu %s.\n\nNowe hasło ustawisz pod tym adresem (działa raz, "
	           "przez godzinę):\n\n",
	           flow_portal_name(c->sd));
	flow_link(&body, c, where, token);
	buf_printf(&body,
	           "\n\nJeśli to nie Ty, nic nie rób: Twoje hasło się nie zmieni.\n\n-- \n%s\n",
	           flow_portal_name(c->sd));
	m.body = body.ptr;
	flow_actor(actor, u->id);
	rc = buf_failed(&body) ? err_oom(e)
	                       : store_token_add(c->a->st, actor, digest, TOKEN_RESET, u->id, NULL,
	                                         flow_now() + RESET_LINK_TTL, &m, e);
	buf_free(&body);
	return rc < 0 ? -1 : 0;
}

void requests_reset(struct flow_ctx *c)
{
	char key[LIMITS_KEY], mail[STORE_EMAIL];
	struct pairs p;
	struct form f;
	struct user u;
	struct err e = {0};
	size_t i;
	int rc, wait;

	if (strcmp(c->req->method, "POST") != 0) {
		reset_page(c, "ask", NULL, NULL, 200);
		return;
	}
	memset(&p, 0, sizeof p);
	if (flow_read_form(c, &p, &f, reset_ask_fields, NF(reset_ask_fields)) < 0)
		return;
	if (f.nerrors) {
		reset_page(c, "ask", form_frame(&f, NULL), NULL, 422);
		goto out;
	}
	/* per client and per address (in its one form): nobody floods a
	 * person's mailbox */
	snprintf(mail, sizeof mail, "%s", form_get(&f, "email"));
	for (i = 0; mail[i]; i++)
		mail[i] = (char)tolower((unsigned char)mail[i]);
	snprintf(key, sizeof key, "reset:%s", flow_client_key(c));
	wait = limits_hit(c->a->lim, key, c->a->set.form_rate, 3600, flow_now());
	snprintf(key, sizeof key, "reset-mail:%.200s", mail);
	if (!wait)
		wait = limits_hit(c->a->lim, key, 3, 3600, flow_now());
	if (wait) {
		c->res->retry_after = wait;
		reply_plain(c->res, 429, "Zbyt wiele próśb o nowe hasło. Spróbuj później.");
		goto out;
	}
	rc = store_user_by_email(c->a->st, mail, &u, &e);
	if (rc == 0 && !u.closed)
		rc = reset_send(c, &u, &e);
	else if (rc >= 0) /* the same work without an account: one write */
		rc = store_audit_read(c->a->st, "web", "password.reset-unknown", "", &e);
	if (rc < 0) {
		reply_unavailable(c->res, &e);
		goto out;
	}
	outbox_wake(c->a->set.outbox);
	/* the same answer whether the account exists or not */
	reply_message(c->sd, c->w, c->req->path, "Sprawdź skrzynkę e-mail",
	              "Jeśli w portalu jest konto z tym adresem, wysłaliśmy na niego link do "
	              "ustawienia nowego hasła. Link działa raz, przez godzinę.",
	              "/", "Wróć na stronę główną", 200, c->res);
out:
	pairs_free(&p);
}

/* On the pool: the new hash, then the token used and the password set in
 * one write (which ends the account's other reset links and sessions). */
static void reset_finish(void *arg, struct response *res)
{
	struct form_job *j = arg;
	const struct sitedata *sd = j->ref->sd;
	const char *pw = form_get(&j->f, "password");
	struct flow_ctx c = {j->a, j->ref, sd, &j->w, NULL, res, ""};
	struct request req = {0};
	char hash[AUTH_HASH_MAX];
	long long uid = 0;
	struct err e = {0};
	int rc;

	req.path = j->url;
	req.method = "POST";
	c.req = &req;
	if (auth_hash_password(pw, strlen(pw), hash, &e) < 0) {
		reply_unavailable(res, &e);
		goto out;
	}
	rc = store_password_reset(j->a->st, j->digest, flow_now(), hash, &uid, &e);
	if (rc < 0)
		reply_unavailable(res, &e);
	else if (rc == 1)
		flow_link_dead(&c);
	else
		reply_message(sd, NULL, j->url, "Hasło zmienione",
		              "Twoje hasło zostało zmienione, a wszystkie sesje zakończone. "
		              "Zaloguj się nowym hasłem.",
		              flow_form_page(sd, "form-login") ? flow_form_page(sd, "form-login")
		                                               : "/",
		              "Przejdź do logowania", 200, res);
out:
	flow_job_free(j);
}

/* GET: the form when the link works. */
static void reset_new_page(struct flow_ctx *c)
{
	const char *t = http_query_arg(c->req, "t");
	char digest[AUTH_DIGEST_TEXT];
	struct err e = {0};
	int rc = 1;

	if (flow_token_digest(t, digest) == 0)
		rc = store_token_peek(c->a->st, digest, TOKEN_RESET, flow_now(), NULL, NULL, &e);
	if (rc < 0)
		reply_unavailable(c->res, &e);
	else if (rc == 1)
		flow_link_dead(c);
	else
		reset_page(c, "new", NULL, t, 200);
}

void requests_reset_new(struct flow_ctx *c)
{
	struct form_job *j;
	struct err e = {0};
	char key[LIMITS_KEY];
	int rc = 1, wait;

	if (strcmp(c->req->method, "POST") != 0) {
		reset_new_page(c);
		return;
	}
	if (!(j = flow_job_new(c, reset_new_fields, NF(reset_new_fields))))
		return;
	/* cheap things first, before any hash: a client's tries, then the
	 * token itself (a made-up one is never hashed for) */
	snprintf(key, sizeof key, "reset-new:%s", flow_client_key(c));
	wait = limits_hit(c->a->lim, key, c->a->set.form_rate, 3600, flow_now());
	if (wait) {
		c->res->retry_after = wait;
		reply_plain(c->res, 429, "Zbyt wiele prób ustawienia hasła. Spróbuj później.");
		goto fail;
	}
	if (flow_token_digest(form_get(&j->f, "t"), j->digest) == 0)
		rc = store_token_peek(c->a->st, j->digest, TOKEN_RESET, flow_now(), NULL, NULL, &e);
	if (rc != 0) {
		if (rc < 0)
			reply_unavailable(c->res, &e);
		else
			flow_link_dead(c);
		goto fail;
	}
	flow_check_new_password(&j->f, NULL, NULL, NULL);
	if (j->f.nerrors) {
		reset_page(c, "new", form_frame(&j->f, NULL), form_get(&j->f, "t"), 422);
		goto fail;
	}
	flow_job_defer(c, j, reset_finish);
	return;
fail:
	flow_job_free(j);
}
