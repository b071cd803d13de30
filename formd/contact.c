/*
 * contact.c - the contact form: a message stored durably, then the
 * thank-you page (Post/Redirect/Get). The request waits for its commit
 * group without holding a thread (store_contact_add_async).
 */
#include "flow.h"
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct field contact_fields[] = {
    {"name", F_LINE, 1, 200, NULL, "Imię i nazwisko"},
    {"email", F_EMAIL, 1, 254, NULL, "Adres e-mail"},
    {"office", F_CHOICE, 0, 64, NULL, "Urząd"},
    {"subject", F_LINE, 1, 200, NULL, "Temat"},
    {"message", F_TEXT, 1, 5000, NULL, "Treść wiadomości"},
    {"strona", F_HONEYPOT, 0, 200, NULL, NULL},
};

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
		reply_see_other(res, j->thanks);
	else
		reply_unavailable(res, &j->e);
	free(j->message);
	free(j);
}

/* The checks the table cannot make; 0 when the form may be stored. */
static int contact_check(struct flow_ctx *c, struct form *f)
{
	if (*form_get(f, "office") && !flow_office_ok(c->sd, form_get(f, "office")))
		form_fail(f, "office", "Wybierz urząd z listy.");
	if (f->spam)
		form_fail(f, "message",
		          "Nie udało się wysłać wiadomości. Zostaw puste pole "
		          "„Nie wypełniaj”.");
	if (f->nerrors)
		reply_form_again(c->sd, c->w, flow_form_page(c->sd, "form-contact"), f, NULL, 422,
		                 c->res);
	return f->nerrors;
}

void contact_post(struct flow_ctx *c)
{
	struct pairs p;
	struct form f;
	struct contact_job *j;
	struct err e = {0};
	char key[LIMITS_KEY];
	int wait;

	memset(&p, 0, sizeof p);
	if (flow_read_form(c, &p, &f, contact_fields, NF(contact_fields)) < 0)
		return;
	if (contact_check(c, &f))
		goto out;
	snprintf(key, sizeof key, "contact:%s", flow_client_key(c));
	wait = limits_hit(c->a->lim, key, c->a->set.contact_rate, 600, flow_now());
	if (wait) {
		c->res->retry_after = wait;
		reply_plain(c->res, 429, "Wysłano stąd zbyt wiele wiadomości. Spróbuj ponownie później.");
		goto out;
	}
	j = calloc(1, sizeof *j);
	if (!j || !(j->message = strdup(form_get(&f, "message")))) {
		free(j);
		err_oom(&e);
		reply_unavailable(c->res, &e);
		goto out;
	}
	j->a = c->a;
	snprintf(j->c.name, sizeof j->c.name, "%s", form_get(&f, "name"));
	snprintf(j->c.email, sizeof j->c.email, "%s", form_get(&f, "email"));
	snprintf(j->c.office, sizeof j->c.office, "%s", form_get(&f, "office"));
	snprintf(j->c.subject, sizeof j->c.subject, "%s", form_get(&f, "subject"));
	j->c.message = j->message;
	snprintf(j->actor, sizeof j->actor, "%s", c->w->actor);
	snprintf(j->thanks, sizeof j->thanks, "%s/dziekujemy", c->req->path);
	c->res->defer = contact_answer;
	c->res->defer_submit = contact_queue;
	c->res->defer_arg = j;
out:
	pairs_free(&p);
}

void contact_thanks(struct flow_ctx *c)
{
	reply_message(c->sd, c->w, c->req->path, "Dziękujemy za wiadomość",
	              "Twoja wiadomość została zapisana. Odpowiemy na adres e-mail podany w "
	              "formularzu.",
	              "/", "Wróć na stronę główną", 200, c->res);
}
