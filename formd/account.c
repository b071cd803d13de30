/*
 * account.c - having an account: registration (confirmed by a link sent
 * to the address), the welcome page, login and logout.
 *
 * What an account may do before its address is confirmed: nothing. It
 * cannot log in, so nothing reached by an e-mail address (contact
 * messages, requests) is ever shown to someone who has not proved they
 * hold that address. The confirmation link logs the person in; a password
 * reset link (which also proves the address) confirms it too.
 *
 * Registration answers the same whether the address is free or taken, and
 * does the same work: it hashes the password and writes one message to
 * the outbox. A free address gets its confirmation link; a taken one gets
 * a note that an account exists (the honest way to tell the person, and
 * only them, that the address is taken).
 */
#include "flow.h"
#include "outbox.h"
#include "reply.h"

#include "utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIRM_LINK_TTL (7 * 86400LL) /* a new account's confirmation link */

const char *const flow_statuses[] = {"bezrobotna", "poszukujaca", NULL};

static const struct field register_fields[] = {
    {"first_name", F_LINE, 1, 100, NULL, "Imię"},
    {"last_name", F_LINE, 1, 100, NULL, "Nazwisko"},
    {"email", F_EMAIL, 1, 254, NULL, "Adres e-mail"},
    {"status", F_CHOICE, 1, 32, flow_statuses, "Status"},
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

/* An address in the one form every comparison uses (lower case ASCII:
 * the forms take no other letters in an address). */
static void email_key(char *out, size_t n, const char *email)
{
	size_t i;

	for (i = 0; email[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)email[i]);
	out[i < n ? i : n - 1] = '\0';
}

/* The new password's own rules (both forms that set one use them). */
void flow_check_new_password(struct form *f, const char *email, const char *first, const char *last)
{
	const char *pw = form_get(f, "password"), *pw2 = form_get(f, "password2");

	if (*pw && utf8_count(pw, strlen(pw)) < PASSWORD_MIN)
		form_fail(f, "password",
		          "Hasło musi mieć co najmniej " STR(PASSWORD_MIN) " znaków.");
	else if (*pw &&
	         ((email && strcasecmp(pw, email) == 0) || (first && strcasecmp(pw, first) == 0) ||
	          (last && strcasecmp(pw, last) == 0)))
		form_fail(f, "password",
		          "Hasło nie może być Twoim adresem e-mail, imieniem ani nazwiskiem.");
	if (*pw && *pw2 && strcmp(pw, pw2) != 0)
		form_fail(f, "password2", "Hasła różnią się. Wpisz to samo hasło dwa razy.");
}

/* ---- registration ---- */

/* The two messages registration may send; either is queued with the
 * write, never both. */
static int register_mails(struct form_job *j, const char *token, struct buf *fresh,
                          struct buf *taken)
{
	const struct sitedata *sd = j->ref->sd;
	struct flow_ctx c = {j->a, j->ref, sd, &j->w, NULL, NULL, ""};
	const char *reg = sitedata_form(sd, "register"),
	           *reset = sitedata_form(sd, "password_reset");
	const char *login = flow_form_page(sd, "form-login");
	char where[300];

	flow_join(where, sizeof where, reg, "/potwierdz");
	buf_printf(fresh,
	           "Szanowna Pani / Szanowny Panie,\n\n"
	           "na ten adres założono konto w portalu %s. Aby je aktywować, otwórz ten "
	           "link (działa przez 7 dni):\n\n",
	           flow_portal_name(sd));
	flow_link(fresh, &c, where, token);
	buf_printf(fresh,
	           "\n\nJeśli to nie Ty zakładałeś(-aś) konto, nic nie rób: bez potwierdzenia "
	           "konto nie działa.\n\n-- \n%s\n",
	           flow_portal_name(sd));
	buf_printf(taken,
	           "Szanowna Pani / Szanowny Panie,\n\n"
	           "ktoś (zapewne Ty) próbował założyć w portalu %s konto na ten adres, ale "
	           "konto z tym adresem już istnieje, więc nowego nie założyliśmy.\n\n",
	           flow_portal_name(sd));
	if (login) {
		buf_puts(taken, "Zaloguj się: ");
		flow_link(taken, &c, login, "");
		taken->len -= 3; /* no token: the link without "?t=" */
		taken->ptr[taken->len] = '\0';
		buf_puts(taken, "\n");
	}
	if (reset) {
		buf_puts(taken, "Nie pamiętasz hasła? Ustaw nowe: ");
		flow_link(taken, &c, reset, "");
		taken->len -= 3;
		taken->ptr[taken->len] = '\0';
		buf_puts(taken, "\n");
	}
	buf_printf(taken, "\nJeśli to nie Ty, nic nie rób.\n\n-- \n%s\n", flow_portal_name(sd));
	return buf_failed(fresh) || buf_failed(taken) ? -1 : 0;
}

/* On the pool: the hash, then the account (or the note) in one write. */
static void register_finish(void *arg, struct response *res)
{
	struct form_job *j = arg;
	const struct sitedata *sd = j->ref->sd;
	const char *pw = form_get(&j->f, "password"), *terms, *policy;
	char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT], where[300];
	struct buf fresh = BUF_INIT, taken = BUF_INIT;
	struct mail_out m_new = {"account.confirm", NULL, "Aktywuj konto w portalu", NULL};
	struct mail_out m_taken = {"account.exists", NULL, "Konto z tym adresem już istnieje",
	                           NULL};
	struct user u;
	struct err e = {0};
	int r;

	memset(&u, 0, sizeof u);
	auth_token(token);
	auth_digest(token, strlen(token), digest);
	if (auth_hash_password(pw, strlen(pw), u.pw_hash, &e) < 0 ||
	    (register_mails(j, token, &fresh, &taken) < 0 && err_oom(&e))) {
		reply_unavailable(res, &e);
		goto out;
	}
	snprintf(u.first_name, sizeof u.first_name, "%s", form_get(&j->f, "first_name"));
	snprintf(u.last_name, sizeof u.last_name, "%s", form_get(&j->f, "last_name"));
	snprintf(u.email, sizeof u.email, "%s", form_get(&j->f, "email"));
	u.status = strcmp(form_get(&j->f, "status"), "bezrobotna") == 0 ? STATUS_UNEMPLOYED
	                                                                : STATUS_JOBSEEKER;
	snprintf(u.office, sizeof u.office, "%s", form_get(&j->f, "office"));
	/* the versions accepted: the newest of each document in this build */
	terms = sitedata_document_commit(sd, "regulamin.md");
	policy = sitedata_document_commit(sd, "polityka-prywatnosci.md");
	snprintf(u.terms_commit, sizeof u.terms_commit, "%s", terms ? terms : sd->commit);
	snprintf(u.policy_commit, sizeof u.policy_commit, "%s", policy ? policy : sd->commit);
	u.terms_at = u.policy_at = flow_now();
	m_new.to = m_taken.to = u.email;
	m_new.body = fresh.ptr;
	m_taken.body = taken.ptr;
	r = store_user_register(j->a->st, "web", &u, digest, flow_now() + CONFIRM_LINK_TTL, &m_new,
	                        j->kind ? &m_taken : NULL, &e);
	if (r < 0) {
		reply_unavailable(res, &e);
		goto out;
	}
	outbox_wake(j->a->set.outbox);
	flow_join(where, sizeof where, sitedata_form(sd, "register"), "/wyslano");
	reply_see_other(res, where);
out:
	buf_free(&fresh);
	buf_free(&taken);
	flow_job_free(j);
}

void account_register(struct flow_ctx *c)
{
	struct form_job *j = flow_job_new(c, register_fields, NF(register_fields));
	char key[LIMITS_KEY], mail[STORE_EMAIL];
	int wait;

	if (!j)
		return;
	if (*form_get(&j->f, "office") && !flow_office_ok(c->sd, form_get(&j->f, "office")))
		form_fail(&j->f, "office", "Wybierz urząd lub filię z listy.");
	flow_check_new_password(&j->f, form_get(&j->f, "email"), form_get(&j->f, "first_name"),
	                        form_get(&j->f, "last_name"));
	if (j->f.nerrors) {
		reply_form_again(c->sd, c->w, flow_form_page(c->sd, "form-register"), &j->f, NULL,
		                 422, c->res);
		flow_job_free(j);
		return;
	}
	snprintf(key, sizeof key, "register:%s", flow_client_key(c));
	wait = limits_hit(c->a->lim, key, c->a->set.form_rate, 3600, flow_now());
	if (wait) {
		c->res->retry_after = wait;
		reply_plain(c->res, 429,
		            "Z tego adresu założono zbyt wiele kont. Spróbuj później.");
		flow_job_free(j);
		return;
	}
	/* nobody floods a person's mailbox: past 3 an hour to one address,
	 * the note that an account exists is no longer sent */
	email_key(mail, sizeof mail, form_get(&j->f, "email"));
	snprintf(key, sizeof key, "register-mail:%.200s", mail);
	j->kind = limits_hit(c->a->lim, key, 3, 3600, flow_now()) == 0;
	flow_job_defer(c, j, register_finish);
}

void account_register_sent(struct flow_ctx *c)
{
	reply_message(c->sd, c->w, c->req->path, "Sprawdź skrzynkę e-mail",
	              "Wysłaliśmy wiadomość na podany adres e-mail. Aby aktywować konto, otwórz "
	              "link z tej wiadomości (działa przez 7 dni). Jeśli na ten adres jest już "
	              "konto, wiadomość powie, jak się zalogować.",
	              "/", "Wróć na stronę główną", 200, c->res);
}

void account_confirm(struct flow_ctx *c)
{
	char digest[AUTH_DIGEST_TEXT];
	struct user u;
	struct err e = {0};
	long long uid = 0;
	int rc;

	if (!flow_token_step(c, TOKEN_CONFIRM, "Aktywuj konto",
	                     "Potwierdź, że to Twój adres e-mail: konto zacznie działać, a Ty "
	                     "zostaniesz zalogowany(-a).",
	                     "Aktywuję konto", digest))
		return;
	rc = store_account_confirm(c->a->st, digest, flow_now(), &uid, &e);
	if (rc < 0) {
		reply_unavailable(c->res, &e);
		return;
	}
	if (rc == 1) {
		flow_link_dead(c);
		return;
	}
	/* the account is active now: a failure to log in says so, never that
	 * nothing was stored */
	rc = store_user_by_id(c->a->st, uid, &u, &e);
	if (rc == 0)
		rc = session_start(c->a->st, c->a->set.dev, uid, u.pw_hash, c->res, &e);
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "formd: %s: %s\n", err_kind_name(e.kind), e.msg);
		reply_message(c->sd, c->w, c->req->path, "Konto jest aktywne",
		              "Konto zostało aktywowane, ale nie udało się Cię zalogować. Zaloguj "
		              "się adresem e-mail i hasłem.",
		              flow_form_page(c->sd, "form-login"), "Zaloguj się", 200, c->res);
		return;
	}
	reply_see_other(c->res,
	                sitedata_form(c->sd, "welcome") ? sitedata_form(c->sd, "welcome") : "/");
}

/* ---- the welcome page, login, logout ---- */

void account_welcome(struct flow_ctx *c)
{
	const char *login = flow_form_page(c->sd, "form-login");

	if (!c->w->user_id) {
		reply_see_other(c->res, login ? login : "/");
		return;
	}
	reply_message(c->sd, c->w, c->req->path, "Witamy w portalu",
	              "Jesteś zalogowany(-a). Możesz teraz rozwiązywać testy i pisać na forach "
	              "kursów.",
	              "/kursy/", "Przejdź do kursów", 200, c->res);
}

/* Where to go after logging in: a path on this site, else the home page. */
static const char *safe_next(const char *next)
{
	if (next[0] != '/' || next[1] == '/' || next[1] == '\\' || strpbrk(next, "\r\n\t") ||
	    strstr(next, ".."))
		return "/";
	return next;
}

static void login_wrong(struct form_job *j, struct response *res)
{
	form_fail(&j->f, "email", "Nieprawidłowy adres e-mail lub hasło.");
	/* no login page (j->page ""): 500, as for every form without its page */
	reply_form_again(j->ref->sd, &j->w, j->page[0] ? j->page : NULL, &j->f,
	                 "Nie udało się zalogować.", 422, res);
}

/* On the pool: the password compared (the attempt is counted already). */
static void login_finish(void *arg, struct response *res)
{
	struct form_job *j = arg;
	const struct sitedata *sd = j->ref->sd;
	const char *pw = form_get(&j->f, "password"), *next, *welcome;
	struct user u;
	struct err e = {0};
	int r, ok;

	r = store_user_by_email(j->a->st, form_get(&j->f, "email"), &u, &e);
	if (r == 0 && u.closed)
		r = 1;
	ok = r < 0 ? -1 : session_check_password(pw, r == 0 ? u.pw_hash : NULL, &e);
	if (ok < 0) {
		reply_unavailable(res, &e);
		goto out;
	}
	if (!ok) {
		login_wrong(j, res);
		goto out;
	}
	/* right: the attempt reserved is given back */
	limits_clear(j->a->lim, j->key[1]);
	limits_unreserve(j->a->lim, j->key[0]);
	if (!u.confirmed) {
		reply_message(sd, NULL, j->url, "Aktywuj konto",
		              "Konto nie jest jeszcze aktywne: otwórz link z wiadomości, którą "
		              "wysłaliśmy na Twój adres e-mail po rejestracji. Jeśli link wygasł "
		              "albo wiadomość nie dotarła, ustaw nowe hasło („Nie pamiętasz "
		              "hasła?”): link do tego też potwierdza adres.",
		              sitedata_form(sd, "password_reset"), "Ustaw nowe hasło", 403, res);
		goto out;
	}
	if (auth_needs_rehash(u.pw_hash)) {
		char fresh[AUTH_HASH_MAX];

		if (auth_hash_password(pw, strlen(pw), fresh, &e) == 0 &&
		    store_user_set_hash(j->a->st, u.id, u.pw_hash, fresh, &e) == 0)
			memcpy(u.pw_hash, fresh, sizeof fresh); /* a failure keeps the old */
	}
	r = session_start(j->a->st, j->a->set.dev, u.id, u.pw_hash, res, &e);
	if (r < 0) {
		reply_unavailable(res, &e);
	} else if (r == 1) { /* closed or its password changed meanwhile */
		login_wrong(j, res);
	} else {
		/* from the login page itself (no next): the welcome page, which
		 * shows the person is logged in; a static page cannot */
		next = form_get(&j->f, "next");
		welcome = sitedata_form(sd, "welcome");
		reply_see_other(res, *next ? safe_next(next) : welcome ? welcome : "/");
	}
out:
	flow_job_free(j);
}

void account_login(struct flow_ctx *c)
{
	struct form_job *j = flow_job_new(c, login_fields, NF(login_fields));
	struct lim_settings {
		int free, max;
	} s = {c->a->set.login_free, c->a->set.login_max_wait};
	char mail[STORE_EMAIL];
	const char *page = flow_form_page(c->sd, "form-login");
	int wait;

	if (!j)
		return;
	snprintf(j->page, sizeof j->page, "%s", page ? page : "");
	if (j->f.nerrors) {
		reply_form_again(c->sd, c->w, page, &j->f, NULL, 422, c->res);
		flow_job_free(j);
		return;
	}
	/* failures slow down per address and per account (the e-mail as
	 * typed, in its one form: whether it exists is not revealed); the
	 * attempt is counted before the hash, so parallel tries cannot pass
	 * the allowance, and given back when the password is right */
	email_key(mail, sizeof mail, form_get(&j->f, "email"));
	snprintf(j->key[0], sizeof j->key[0], "login-ip:%s", flow_client_key(c));
	snprintf(j->key[1], sizeof j->key[1], "login:%.200s", mail);
	wait = limits_reserve(c->a->lim, j->key[0], s.free * 4, s.max, flow_now());
	if (!wait) {
		wait = limits_reserve(c->a->lim, j->key[1], s.free, s.max, flow_now());
		if (wait)
			limits_unreserve(c->a->lim, j->key[0]);
	}
	if (wait) {
		c->res->retry_after = wait;
		reply_plain(c->res, 429,
		            "Zbyt wiele nieudanych prób logowania. Odczekaj chwilę i spróbuj "
		            "ponownie.");
		flow_job_free(j);
		return;
	}
	flow_job_defer(c, j, login_finish);
}

void account_logout(struct flow_ctx *c)
{
	struct err e = {0};

	if (c->w->user_id && store_session_delete(c->a->st, c->w->digest, &e) < 0) {
		reply_unavailable(c->res, &e);
		return;
	}
	session_clear_cookie(c->a->set.dev, c->res);
	reply_see_other(c->res, "/");
}
