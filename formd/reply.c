/*
 * reply.c - the answers formd gives (reply.h). Knows the theme's pages
 * (pages.h) and the response type (http.h), nothing of the flows.
 */
#include "reply.h"

#include "forms.h"
#include "session.h"

#include <stdio.h>
#include <string.h>

int reply_failed(const struct response *res)
{
	return res->status >= 500;
}

void reply_plain(struct response *res, int status, const char *text)
{
	if (reply_failed(res) && status < 500)
		return;
	res->status = status;
	res->content_type = "text/plain; charset=utf-8";
	buf_reset(&res->body);
	buf_puts(&res->body, text);
	buf_putc(&res->body, '\n');
}

void reply_unavailable(struct response *res, const struct err *e)
{
	fprintf(stderr, "formd: %s: %s\n", err_kind_name(e->kind), e->msg);
	reply_plain(res, 503,
	            "Nie udało się zapisać danych. Nic nie zostało zapisane. Spróbuj ponownie "
	            "za kilka minut.");
	res->retry_after = 30;
}

void reply_broken(struct response *res, const char *why)
{
	fprintf(stderr, "formd: internal: %s\n", why);
	reply_plain(res, 500,
	            "Wystąpił błąd portalu. Nic nie zostało zapisane. Spróbuj ponownie później "
	            "albo napisz do nas.");
}

void reply_see_other(struct response *res, const char *where)
{
	if (reply_failed(res))
		return;
	res->status = 303;
	snprintf(res->location, sizeof res->location, "%s", where);
	buf_reset(&res->body);
}

struct val *reply_frame(const struct sitedata *sd, const struct who *w, struct val *form,
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
		const char *logout = sitedata_form(sd, "logout");

		r |= val_set(top, "account", acc);
		r |= val_set_str(acc, "first_name", w->u.first_name);
		if (logout)
			r |= val_set_str(acc, "logout", logout);
		if (sitedata_form(sd, "account"))
			r |= val_set_str(acc, "url", sitedata_form(sd, "account"));
	}
	if (r < 0) {
		val_free(top);
		return NULL;
	}
	return top;
}

void reply_page(const struct sitedata *sd, const char *layout, const char *url, const char *title,
                struct val *top, int status, struct response *res)
{
	struct err e = {0};

	res->no_store = 1;
	if (reply_failed(res)) {
		val_free(top);
		return;
	}
	buf_reset(&res->body);
	if (!top) {
		err_oom(&e);
		reply_unavailable(res, &e);
		return;
	}
	if (page_render(sd, layout, url, title, top, &res->body, &e) < 0)
		reply_unavailable(res, &e);
	else
		res->status = status;
	val_free(top);
}

void reply_form_again(const struct sitedata *sd, const struct who *w, const char *url,
                      const struct form *f, const char *summary, int status, struct response *res)
{
	struct val *top;
	struct err e = {0};

	res->no_store = 1;
	if (reply_failed(res))
		return;
	if (!url) {
		reply_broken(res, "the site has no page for this form");
		return;
	}
	top = reply_frame(sd, w, form_frame(f, summary), form_get(f, "office"));
	buf_reset(&res->body);
	if (!top || page_render_url(sd, url, top, &res->body, &e) < 0) {
		if (!top)
			err_oom(&e);
		reply_unavailable(res, &e);
	} else {
		res->status = status;
	}
	val_free(top);
}

void reply_page_again(const struct sitedata *sd, const char *url, struct val *frame,
                      struct val *top, int status, struct response *res)
{
	struct err e = {0};

	res->no_store = 1;
	if (!reply_failed(res)) {
		buf_reset(&res->body);
		if (!frame || !top)
			err_oom(&e);
		if (!frame || !top ||
		    page_render_url_frame(sd, url, frame, top, &res->body, &e) < 0)
			reply_unavailable(res, &e);
		else
			res->status = status;
	}
	val_free(frame);
	val_free(top);
}

void reply_message(const struct sitedata *sd, const struct who *w, const char *url,
                   const char *title, const char *text, const char *link, const char *link_text,
                   int status, struct response *res)
{
	struct val *top = reply_frame(sd, w, NULL, NULL), *m = val_new(VAL_TABLE);

	if (!top || !m || val_set(top, "message", m) < 0 || val_set_str(m, "text", text) < 0 ||
	    (link && (val_set_str(m, "link", link) | val_set_str(m, "link_text", link_text)) < 0)) {
		if (top && !val_get(top, "message"))
			val_free(m);
		val_free(top);
		top = NULL;
	}
	reply_page(sd, "message", url, title, top, status, res);
}
