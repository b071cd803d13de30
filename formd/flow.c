/*
 * flow.c - what every flow needs (flow.h): the form reader, the deferred
 * form job, links for e-mails, the restricted-account answer.
 */
#include "flow.h"

#include "clock.h"
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long long flow_now(void)
{
	return clock_now();
}

int flow_read_form(struct flow_ctx *c, struct pairs *p, struct form *f, const struct field *table,
                   size_t n)
{
	struct err e = {0};

	if (form_parse(c->req->body, c->req->body_len, p, &e) < 0) {
		pairs_free(p);
		if (e.kind == ERR_NOMEM)
			reply_unavailable(c->res, &e);
		else
			reply_plain(c->res, 400,
			            "Formularz przyszedł uszkodzony. Wróć i wyślij go ponownie.");
		return -1;
	}
	form_check(f, table, n, p);
	return 0;
}

int flow_office_ok(const struct sitedata *sd, const char *slug)
{
	const struct val *o = sitedata_office(sd, slug);

	return o && strcmp(val_get_str(o, "kind", ""), "administrator") != 0;
}

const char *flow_form_page(const struct sitedata *sd, const char *layout)
{
	size_t i;

	for (i = 0; sd->pages->type == VAL_TABLE && i < sd->pages->u.tab.n; i++)
		if (strcmp(val_get_str(sd->pages->u.tab.kv[i].v, "layout", ""), layout) == 0)
			return sd->pages->u.tab.kv[i].key;
	return NULL;
}

int flow_join(char *out, size_t n, const char *base, const char *tail)
{
	if (!base) {
		if (n)
			out[0] = '\0';
		return -1;
	}
	return snprintf(out, n, "%s%s", base, tail) < (int)n ? 0 : -1;
}

void flow_link(struct buf *out, const struct flow_ctx *c, const char *path, const char *token)
{
	const char *u = c->a->set.public_url;
	size_t l;

	if (!u || !*u)
		u = val_get_str(val_get(c->sd->base, "site"), "base_url", "");
	l = strlen(u);
	while (l && u[l - 1] == '/')
		l--;
	buf_add(out, u, l);
	buf_printf(out, "%s?t=%s", path, token);
}

const char *flow_portal_name(const struct sitedata *sd)
{
	return val_get_str(val_get(sd->base, "site"), "title", "Portal");
}

int flow_token_digest(const char *t, char digest[AUTH_DIGEST_TEXT])
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

const char *flow_client_key(const struct flow_ctx *c)
{
	return c->req->rate_key;
}

void flow_actor(char out[32], long long id)
{
	snprintf(out, 32, "user:%lld", id);
}

struct form_job *flow_job_new(struct flow_ctx *c, const struct field *table, size_t n)
{
	struct form_job *j = calloc(1, sizeof *j);
	struct err e = {0};

	if (!j) {
		err_oom(&e);
		reply_unavailable(c->res, &e);
		return NULL;
	}
	if (flow_read_form(c, &j->p, &j->f, table, n) < 0) {
		free(j);
		return NULL;
	}
	j->a = c->a;
	j->w = *c->w;
	snprintf(j->url, sizeof j->url, "%s", c->req->path);
	snprintf(j->client, sizeof j->client, "%s", c->req->client);
	return j;
}

void flow_job_defer(struct flow_ctx *c, struct form_job *j,
                    void (*finish)(void *job, struct response *res))
{
	j->ref = c->ref;
	atomic_fetch_add(&c->ref->refs, 1);
	c->res->defer = finish;
	c->res->defer_arg = j;
}

void flow_job_free(struct form_job *j)
{
	if (!j)
		return;
	pairs_free(&j->p);
	app_site_put(j->ref);
	free(j);
}

/* The "confirm" layout: a text and one button posting `token` back. */
static void confirm_page(struct flow_ctx *c, const char *title, const char *text,
                         const char *button, const char *token)
{
	struct val *top = reply_frame(c->sd, c->w, NULL, NULL), *v = val_new(VAL_TABLE);

	if (!top || !v || val_set(top, "confirm", v) < 0 ||
	    (val_set_str(v, "text", text) | val_set_str(v, "action", c->req->path) |
	     val_set_str(v, "button", button) | val_set_str(v, "token", token)) < 0) {
		if (top && !val_get(top, "confirm"))
			val_free(v);
		val_free(top);
		top = NULL;
	}
	reply_page(c->sd, "confirm", c->req->path, title, top, 200, c->res);
}

void flow_link_dead(struct flow_ctx *c)
{
	reply_message(c->sd, c->w, c->req->path, "Link nie działa",
	              "Ten link wygasł albo został już użyty. Każdy link z naszych wiadomości "
	              "działa tylko raz i przez ograniczony czas.",
	              "/", "Wróć na stronę główną", 410, c->res);
}

int flow_token_step(struct flow_ctx *c, enum token_kind kind, const char *title, const char *text,
                    const char *button, char digest[AUTH_DIGEST_TEXT])
{
	static const struct field t_field[] = {{"t", F_LINE, 1, 100, NULL, NULL}};
	struct err e = {0};
	struct pairs p;
	struct form f;
	int rc;

	if (strcmp(c->req->method, "POST") != 0) {
		const char *t = http_query_arg(c->req, "t");

		if (flow_token_digest(t, digest) < 0 ||
		    (rc = store_token_peek(c->a->st, digest, kind, flow_now(), NULL, NULL, &e)) ==
		        1)
			flow_link_dead(c);
		else if (rc < 0)
			reply_unavailable(c->res, &e);
		else
			confirm_page(c, title, text, button, t);
		return 0;
	}
	memset(&p, 0, sizeof p);
	if (flow_read_form(c, &p, &f, t_field, 1) < 0)
		return 0;
	rc = flow_token_digest(form_get(&f, "t"), digest);
	pairs_free(&p);
	if (rc < 0) {
		flow_link_dead(c);
		return 0;
	}
	return 1;
}

void flow_restricted(struct flow_ctx *c)
{
	reply_message(c->sd, c->w, c->req->path, "Przetwarzanie danych jest ograniczone",
	              "Na Twoje żądanie ograniczyliśmy przetwarzanie Twoich danych (art. 18 "
	              "RODO): dane są tylko przechowywane, więc nie możesz teraz rozwiązywać "
	              "testów ani pisać na forum. Ograniczenie zniesie administrator po "
	              "rozpatrzeniu sprawy; napisz do nas, jeśli chcesz je zakończyć.",
	              sitedata_form(c->sd, "account"), "Przejdź do swoich danych", 403, c->res);
}
