/*
 * mydata.c - a person's own data and their rights on it (GDPR art. 15 to
 * 21), for a logged-in account: the account page with everything held,
 * its printable copy and JSON export, ending a session elsewhere, and the
 * actions that ask for the password again: correct the data (art. 16), a
 * new address (confirmed by a link sent to it), restrict processing
 * (art. 18), object (art. 21), delete the account (art. 17).
 */
#include "flow.h"
#include "forum.h"
#include "outbox.h"
#include "reply.h"
#include "rights.h"

#include "clock.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EMAIL_LINK_TTL 86400LL /* a new address's confirmation link */

/* ---- the account page: what is held about the person (art. 15, 20) ---- */

/* Nobody logged in: to the login page. 1 when so answered. */
static int not_logged_in(struct flow_ctx *c)
{
	const char *login = flow_form_page(c->sd, "form-login");

	if (c->w->user_id)
		return 0;
	reply_see_other(c->res, login ? login : "/");
	return 1;
}

static void export_json(struct flow_ctx *c, struct val *data)
{
	struct err e = {0};
	size_t len;
	char *json = json_dump(data, JSON_OUT_PRETTY, &len, &e);

	val_free(data);
	if (!json) {
		reply_unavailable(c->res, &e);
		return;
	}
	buf_reset(&c->res->body);
	buf_add(&c->res->body, json, len);
	free(json);
	c->res->status = 200;
	c->res->content_type = "application/json; charset=utf-8";
	c->res->disposition = "attachment; filename=\"moje-dane.json\"";
}

/* The page's links: base + tail for each. */
static int add_links(struct val *top, const char *base)
{
	static const char *const links[][2] = {
	    {"sessions_action", "/sesje"}, {"copy_url", "/wydruk"}, {"json_url", "/dane.json"}};
	char url[300];
	size_t i;
	int r = 0;

	for (i = 0; i < NF(links); i++)
		r |= flow_join(url, sizeof url, base, links[i][1]) < 0
		         ? -1
		         : val_set_str(top, links[i][0], url);
	return r;
}

/* GET account (the page), account/wydruk (a printable copy) and
 * account/dane.json (the export). */
void mydata_page(struct flow_ctx *c)
{
	struct val *data = NULL, *top = NULL;
	struct err e = {0};
	int r, copy = strcmp(c->rest, "/wydruk") == 0;

	if (not_logged_in(c))
		return;
	c->res->no_store = 1;
	r = store_user_data(c->a->st, c->w->actor, c->w->user_id, c->w->digest, &data, &e);
	if (r != 0) {
		if (r == 1)
			err_kind_set(&e, ERR_IO, "user %lld has no data", c->w->user_id);
		reply_unavailable(c->res, &e);
		return;
	}
	if (strcmp(c->rest, "/dane.json") == 0) {
		export_json(c, data);
		return;
	}
	if (pages_user_data(c->sd, data) < 0 || !(top = reply_frame(c->sd, c->w, NULL, NULL)) ||
	    val_set(top, "data", data) < 0 || (copy && val_set_bool(top, "copy", 1) < 0) ||
	    add_links(top, sitedata_form(c->sd, "account")) < 0) {
		if (!top || !val_get(top, "data"))
			val_free(data);
		val_free(top);
		top = NULL;
	}
	reply_page(c->sd, "account", c->req->path, copy ? "Kopia moich danych" : "Moje dane", top,
	           200, c->res);
}

/* POST account/sesje: ends one of the person's sessions. */
void mydata_end_session(struct flow_ctx *c)
{
	static const struct field end_fields[] = {{"sesja", F_LINE, 1, 12, NULL, NULL}};
	struct pairs p;
	struct form f;
	struct err e = {0};
	int r;

	if (not_logged_in(c))
		return;
	memset(&p, 0, sizeof p);
	if (flow_read_form(c, &p, &f, end_fields, 1) < 0)
		return;
	r = f.nerrors ? 1 : store_session_end(c->a->st, c->w->user_id, form_get(&f, "sesja"), &e);
	pairs_free(&p);
	if (r < 0 && e.kind != ERR_INPUT)
		reply_unavailable(c->res, &e);
	else if (r != 0) /* nothing ended: say so, never a silent success */
		reply_message(
		    c->sd, c->w, c->req->path, "Nie ma takiej sesji",
		    "Nie zakończyliśmy żadnej sesji: tej sesji już nie ma albo nie należy "
		    "do Twojego konta.",
		    sitedata_form(c->sd, "account"), "Wróć do swoich danych", 404, c->res);
	else
		reply_see_other(c->res, sitedata_form(c->sd, "account"));
}

/* ---- the account's actions ---- */

static const struct field correct_fields[] = {
    {"first_name", F_LINE, 1, 100, NULL, "Imię"},
    {"last_name", F_LINE, 1, 100, NULL, "Nazwisko"},
    {"status", F_CHOICE, 1, 32, flow_statuses, "Status"},
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
	const char *tail, *key, *title;
	const struct field *fields;
	size_t n;
} action_def[] = {
    {"/popraw", "correct", "Popraw swoje dane", correct_fields, NF(correct_fields)},
    {"/email", "email", "Zmień adres e-mail", email_fields, NF(email_fields)},
    {"/ograniczenie", "restrict", "Ogranicz przetwarzanie danych", restrict_fields,
     NF(restrict_fields)},
    {"/sprzeciw", "object", "Wnieś sprzeciw", object_fields, NF(object_fields)},
    {"/usun", "delete", "Usuń konto", delete_fields, NF(delete_fields)},
};

/* The values the account holds, as the correction form's frame. */
static struct val *current_values(const struct who *w)
{
	struct val *form = val_new(VAL_TABLE), *values = val_new(VAL_TABLE),
	           *checked = val_new(VAL_TABLE);
	char name[48];
	int r;

	if (!form) {
		val_free(values);
		val_free(checked);
		return NULL;
	}
	r = val_set(form, "values", values) | val_set(form, "checked", checked);
	snprintf(name, sizeof name, "status_%s",
	         w->u.status == STATUS_JOBSEEKER ? "poszukujaca" : "bezrobotna");
	if (r == 0)
		r = val_set_str(values, "first_name", w->u.first_name) |
		    val_set_str(values, "last_name", w->u.last_name) |
		    val_set_bool(checked, name, 1);
	if (r < 0) {
		val_free(form);
		return NULL;
	}
	return form;
}

/* The account-action layout for action `ac` with `form` (taken; NULL: the
 * values the account holds). */
static void action_page(const struct sitedata *sd, const struct who *w, const char *url,
                        enum action ac, struct val *form, int status, struct response *res)
{
	struct val *top, *v;
	const char *office = w->u.office;

	if (!form)
		form = ac == A_CORRECT ? current_values(w) : val_new(VAL_TABLE);
	if (form && val_get(form, "values") && *val_get_str(val_get(form, "values"), "office", ""))
		office = val_get_str(val_get(form, "values"), "office", "");
	top = reply_frame(sd, w, form, office);
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
	reply_page(sd, "account-action", url, action_def[ac].title, top, status, res);
}

/* The messages of a new address: the link to `to`, or, when another
 * account has it, a note to it (the same work, the same answer). */
static int email_change(struct form_job *j, struct flow_ctx *c, struct err *e)
{
	char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT], where[300];
	const char *to = form_get(&j->f, "email"), *portal = flow_portal_name(c->sd);
	struct mail_out m = {"email.confirm", to, "Potwierdź nowy adres e-mail", NULL};
	struct buf text = BUF_INIT;
	struct user other;
	int rc = store_user_by_email(c->a->st, to, &other, e);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		m.kind = "email.taken";
		m.subject = "Prośba o zmianę adresu e-mail";
		buf_printf(&text,
		           "Szanowna Pani / Szanowny Panie,\n\nw portalu %s ktoś poprosił o "
		           "przeniesienie innego konta na ten adres, ale ten adres ma już konto, "
		           "więc nic się nie zmieniło. Nic nie musisz robić.\n\n-- \n%s\n",
		           portal, portal);
		m.body = text.ptr;
		rc = buf_failed(&text) ? err_oom(e) : store_outbox_add(c->a->st, j->w.actor, &m, e);
		buf_free(&text);
		return rc;
	}
	auth_token(token);
	auth_digest(token, strlen(token), digest);
	flow_join(where, sizeof where, sitedata_form(c->sd, "account"), "/email/potwierdz");
	buf_printf(&text,
	           "Szanowna Pani / Szanowny Panie,\n\nw portalu %s poproszono o zmianę adresu "
	           "e-mail konta na ten adres.\n\nPotwierdź go, otwierając ten link (działa raz, "
	           "przez 24 godziny):\n\n",
	           portal);
	flow_link(&text, c, where, token);
	buf_printf(&text,
	           "\n\nDo chwili potwierdzenia konto ma dotychczasowy adres. Jeśli to nie Ty, "
	           "nic nie rób.\n\n-- \n%s\n",
	           portal);
	m.body = text.ptr;
	rc = buf_failed(&text)
	         ? err_oom(e)
	         : store_token_add(c->a->st, j->w.actor, digest, TOKEN_EMAIL, j->w.user_id, to,
	                           flow_now() + EMAIL_LINK_TTL, &m, e);
	buf_free(&text);
	return rc;
}

static int do_object(struct form_job *j, struct flow_ctx *c, struct err *e)
{
	struct rights_request r;
	struct buf text = BUF_INIT;
	int rc;

	store_request_of(&j->w.u, "sprzeciw", form_get(&j->f, "reason"), &r);
	rc = store_request_add(c->a->st, j->w.actor, &r, NULL, 0, NULL, e);
	if (rc != 0)
		return rc;
	buf_printf(&text,
	           "Twój sprzeciw został zapisany jako wniosek nr %lld. Administrator "
	           "rozpatrzy go i odpowie na adres %s nie później niż do ",
	           r.id, j->w.u.email);
	fmt_date_pl(&text, r.due);
	buf_puts(&text, ".");
	if (buf_failed(&text))
		rc = err_oom(e);
	else
		reply_message(c->sd, c->w, j->url, "Sprzeciw przyjęty", text.ptr,
		              sitedata_form(c->sd, "account"), "Wróć do swoich danych", 200,
		              c->res);
	buf_free(&text);
	return rc;
}

/* Rewrites the forum pages of the courses listed one a line. */
static void rewrite_forums(struct flow_ctx *c, char *courses)
{
	char *line, *save = NULL;
	struct err e = {0};

	for (line = courses ? strtok_r(courses, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (forum_course_exists(c->sd, line) && app_forum_write(c->a, c->ref, line, &e) < 0)
			fprintf(stderr, "formd: forum %s: %s\n", line, e.msg);
}

static int do_delete(struct form_job *j, struct flow_ctx *c, struct err *e)
{
	char *courses = NULL;
	int erased = 0,
	    rc = store_user_close(c->a->st, j->w.actor, j->w.user_id, &erased, &courses, e);

	if (rc != 0)
		return rc;
	rewrite_forums(c, courses);
	free(courses);
	session_clear_cookie(c->a->set.dev, c->res);
	reply_message(
	    c->sd, NULL, j->url, "Konto usunięte",
	    erased ? "Twoje konto zostało usunięte razem z Twoimi danymi osobowymi. Wpisy na "
	             "forum zostały, ale nie są już podpisane."
	           : "Twoje konto zostało zamknięte: nie można się na nie zalogować, a na "
	             "forum i w certyfikatach nie widać już Twojego imienia i nazwiska. Wyniki "
	             "testów i certyfikaty są dokumentacją projektu, więc Twoje dane osobowe "
	             "przechowujemy do końca okresu archiwizacji podanego w polityce "
	             "prywatności, a potem je usuwamy (art. 17 ust. 3 RODO).",
	    "/", "Wróć na stronę główną", 200, c->res);
	return 0;
}

/* After the password matched: the action itself. */
static void action_do(struct form_job *j, struct flow_ctx *c)
{
	const char *acc = sitedata_form(c->sd, "account");
	struct err e = {0};
	int rc = 0;

	switch ((enum action)j->kind) {
	case A_CORRECT:
		rc = store_user_correct(c->a->st, j->w.actor, j->w.user_id,
		                        form_get(&j->f, "first_name"), form_get(&j->f, "last_name"),
		                        strcmp(form_get(&j->f, "status"), "poszukujaca") == 0
		                            ? STATUS_JOBSEEKER
		                            : STATUS_UNEMPLOYED,
		                        form_get(&j->f, "office"), &e);
		if (rc == 0)
			reply_see_other(c->res, acc);
		break;
	case A_EMAIL:
		rc = email_change(j, c, &e);
		if (rc == 0) {
			outbox_wake(c->a->set.outbox);
			reply_message(
			    c->sd, c->w, j->url, "Sprawdź nową skrzynkę",
			    "Wysłaliśmy wiadomość na nowy adres e-mail. Adres konta zmieni "
			    "się, gdy otworzysz link z tej wiadomości (działa przez 24 "
			    "godziny).",
			    acc, "Wróć do swoich danych", 200, c->res);
		}
		break;
	case A_RESTRICT:
		rc = store_user_restrict(c->a->st, j->w.actor, j->w.user_id, 1,
		                         *form_get(&j->f, "reason") ? form_get(&j->f, "reason")
		                                                    : "(bez podanego powodu)",
		                         &e);
		if (rc == 0)
			reply_message(
			    c->sd, c->w, j->url, "Przetwarzanie ograniczone",
			    "Od teraz Twoje dane są tylko przechowywane: nie rozwiążesz "
			    "testu ani nie napiszesz na forum, a Twoje konto nie trafia do "
			    "zestawień. Sprawę rozpatrzy administrator; przed zniesieniem "
			    "ograniczenia przekaże Ci informację o tym (art. 18 ust. 3 RODO).",
			    acc, "Wróć do swoich danych", 200, c->res);
		break;
	case A_OBJECT:
		rc = do_object(j, c, &e);
		break;
	case A_DELETE:
		rc = do_delete(j, c, &e);
		break;
	}
	if (rc < 0)
		reply_unavailable(c->res, &e);
	else if (rc == 1) /* the account closed meanwhile */
		reply_see_other(c->res, "/");
}

static void action_finish(void *arg, struct response *res)
{
	struct form_job *j = arg;
	struct flow_ctx c = {j->a, j->ref, j->ref->sd, &j->w, NULL, res, ""};
	struct err e = {0};
	int ok = session_check_password(form_get(&j->f, "password"), j->w.u.pw_hash, &e);

	if (ok < 0) {
		reply_unavailable(res, &e);
	} else if (!ok) {
		form_fail(&j->f, "password", "Nieprawidłowe hasło.");
		action_page(c.sd, &j->w, j->url, (enum action)j->kind, form_frame(&j->f, NULL), 422,
		            res);
	} else {
		limits_clear(j->a->lim, j->key[0]);
		action_do(j, &c);
	}
	flow_job_free(j);
}

void mydata_action(struct flow_ctx *c)
{
	const char *acc = sitedata_form(c->sd, "account");
	struct form_job *j;
	size_t ac;
	int wait;

	if (not_logged_in(c))
		return;
	for (ac = 0; ac < NF(action_def) && strcmp(c->rest, action_def[ac].tail) != 0; ac++)
		;
	if (ac == NF(action_def)) {
		reply_plain(c->res, 404, "Nie ma takiej strony.");
		return;
	}
	if (strcmp(c->req->method, "POST") != 0) {
		action_page(c->sd, c->w, c->req->path, (enum action)ac, NULL, 200, c->res);
		return;
	}
	if (ac == A_RESTRICT && c->w->u.restricted) {
		reply_message(c->sd, c->w, c->req->path, "Przetwarzanie już ograniczone",
		              "Przetwarzanie Twoich danych jest już ograniczone. Administrator "
		              "rozpatruje sprawę; przed zniesieniem ograniczenia przekaże Ci "
		              "informację o tym (art. 18 ust. 3 RODO).",
		              acc, "Wróć do swoich danych", 200, c->res);
		return;
	}
	if (!(j = flow_job_new(c, action_def[ac].fields, action_def[ac].n)))
		return;
	j->kind = (int)ac;
	if (ac == A_CORRECT && *form_get(&j->f, "office") &&
	    !flow_office_ok(c->sd, form_get(&j->f, "office")))
		form_fail(&j->f, "office", "Wybierz urząd lub filię z listy.");
	if (ac == A_EMAIL && strcasecmp(form_get(&j->f, "email"), c->w->u.email) == 0)
		form_fail(&j->f, "email", "To jest obecny adres Twojego konta.");
	if (j->f.nerrors) {
		action_page(c->sd, c->w, c->req->path, (enum action)ac, form_frame(&j->f, NULL),
		            422, c->res);
		flow_job_free(j);
		return;
	}
	/* wrong passwords slow down as at login, counted before the hash */
	snprintf(j->key[0], sizeof j->key[0], "reauth:%lld", c->w->user_id);
	wait = limits_reserve(c->a->lim, j->key[0], c->a->set.login_free, c->a->set.login_max_wait,
	                      flow_now());
	if (wait) {
		c->res->retry_after = wait;
		reply_plain(c->res, 429,
		            "Zbyt wiele nieudanych prób podania hasła. Odczekaj chwilę i spróbuj "
		            "ponownie.");
		flow_job_free(j);
		return;
	}
	flow_job_defer(c, j, action_finish);
}

/* ---- a new e-mail address confirmed ---- */

void mydata_email_confirm(struct flow_ctx *c)
{
	const char *acc = sitedata_form(c->sd, "account");
	char digest[AUTH_DIGEST_TEXT];
	struct err e = {0};
	long long uid = 0;
	int rc;

	if (!flow_token_step(c, TOKEN_EMAIL, "Potwierdź nowy adres e-mail",
	                     "Potwierdź, że to Twój adres: od tej chwili będzie adresem Twojego "
	                     "konta i loginem.",
	                     "Potwierdzam adres", digest))
		return;
	rc = store_email_confirm(c->a->st, digest, flow_now(), &uid, &e);
	if (rc < 0)
		reply_unavailable(c->res, &e);
	else if (rc == 1)
		flow_link_dead(c);
	else if (rc == 2)
		reply_message(c->sd, c->w, c->req->path, "Adres zajęty",
		              "Tego adresu używa już inne konto, więc nie mogliśmy go przypisać do "
		              "Twojego. Twoje konto ma dotychczasowy adres.",
		              acc, "Wróć do swoich danych", 200, c->res);
	else
		reply_message(c->sd, c->w, c->req->path, "Adres e-mail zmieniony",
		              "Nowy adres jest od teraz adresem Twojego konta i loginem.", acc,
		              "Wróć do swoich danych", 200, c->res);
}
