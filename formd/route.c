/*
 * route.c - the one table of formd's paths (route.h). Every path is a
 * [forms] path of site.toml plus a fixed tail; nothing else is formd's.
 */
#include "route.h"

#include "flow.h"
#include "reply.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { M_GET = 1, M_POST = 2 };

struct route {
	const char *key;  /* the [forms] key of the base path */
	const char *tail; /* after the base: "" the base itself; each "*" one non-empty segment */
	int methods;
	void (*fn)(struct flow_ctx *c);
};

static const struct route routes[] = {
    {"contact", "", M_POST, contact_post},
    {"contact", "/dziekujemy", M_GET, contact_thanks},
    {"register", "", M_POST, account_register},
    {"register", "/wyslano", M_GET, account_register_sent},
    {"register", "/potwierdz", M_GET | M_POST, account_confirm},
    {"welcome", "", M_GET, account_welcome},
    {"login", "", M_POST, account_login},
    {"logout", "", M_POST, account_logout},
    {"test", "", M_POST, learning_test},
    {"test", "/wynik/*", M_GET, learning_result},
    {"certificate", "", M_GET, learning_certificate},
    {"certificate", "/*", M_GET, learning_certificate},
    {"certificate", "/*/wydruk", M_GET, learning_certificate},
    {"forum", "", M_POST, learning_post},
    {"account", "", M_GET, mydata_page},
    {"account", "/wydruk", M_GET, mydata_page},
    {"account", "/dane.json", M_GET, mydata_page},
    {"account", "/sesje", M_POST, mydata_end_session},
    {"account", "/popraw", M_GET | M_POST, mydata_action},
    {"account", "/email", M_GET | M_POST, mydata_action},
    {"account", "/ograniczenie", M_GET | M_POST, mydata_action},
    {"account", "/sprzeciw", M_GET | M_POST, mydata_action},
    {"account", "/usun", M_GET | M_POST, mydata_action},
    {"account", "/email/potwierdz", M_GET | M_POST, mydata_email_confirm},
    {"rights", "", M_POST, requests_form},
    {"rights", "/wyslano", M_GET, requests_thanks},
    {"rights", "/potwierdz", M_GET | M_POST, requests_confirm},
    {"password_reset", "", M_GET | M_POST, requests_reset},
    {"password_reset", "/nowe", M_GET | M_POST, requests_reset_new},
};

/* 1 when the tail `t` has the shape `pat`, where "*" stands for one
 * non-empty path segment (no slash). */
static int tail_match(const char *pat, const char *t)
{
	for (; *pat; pat++) {
		if (*pat == '*') {
			size_t n = strcspn(t, "/");

			if (n == 0)
				return 0;
			t += n;
		} else if (*t++ != *pat) {
			return 0;
		}
	}
	return *t == '\0';
}

/* The route of `path`, its tail into *rest; NULL when none. */
static const struct route *find(const struct sitedata *sd, const char *path, const char **rest)
{
	size_t i, l;

	for (i = 0; i < NF(routes); i++) {
		const char *base = sitedata_form(sd, routes[i].key), *t;

		if (!base || strncmp(path, base, (l = strlen(base))) != 0)
			continue;
		t = path + l;
		if (tail_match(routes[i].tail, t)) {
			*rest = t;
			return &routes[i];
		}
	}
	return NULL;
}

/* The scheme and host of an origin-like text ("https://host[:port]"),
 * compared with base_url's or with the Host the request came to; `prefix`
 * allows a path after it (a Referer). */
static int ours(const struct sitedata *sd, const struct request *req, const char *o, int prefix)
{
	const char *base = val_get_str(val_get(sd->base, "site"), "base_url", "");
	size_t bl = strlen(base), n;
	const char *rest;

	while (bl && base[bl - 1] == '/')
		bl--;
	if (bl && strncmp(o, base, bl) == 0 && (o[bl] == '\0' || (prefix && o[bl] == '/')))
		return 1;
	if (strncasecmp(o, "http://", 7) == 0)
		rest = o + 7;
	else if (strncasecmp(o, "https://", 8) == 0)
		rest = o + 8;
	else
		return 0; /* ftp://, null, ... are no origin of ours */
	if (!req->host || !*req->host)
		return 0;
	n = strlen(req->host);
	return strncasecmp(rest, req->host, n) == 0 &&
	       (rest[n] == '\0' || (prefix && rest[n] == '/'));
}

int route_same_origin(const struct sitedata *sd, const struct request *req)
{
	if (req->fetch_site)
		return strcmp(req->fetch_site, "same-origin") == 0 &&
		       (!req->origin || ours(sd, req, req->origin, 0));
	if (req->origin)
		return ours(sd, req, req->origin, 0);
	return req->referer && ours(sd, req, req->referer, 1);
}

static int is_form_body(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof want - 1;

	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* 405 with the methods the route takes. */
static void wrong_method(const struct route *r, struct response *res)
{
	if (r->methods == M_POST) {
		res->allow = "POST";
		reply_plain(res, 405, "Ten adres przyjmuje tylko formularze (POST).");
	} else if (r->methods == M_GET) {
		res->allow = "GET, HEAD";
		reply_plain(res, 405, "Ta strona przyjmuje tylko GET.");
	} else {
		res->allow = "GET, HEAD, POST";
		reply_plain(res, 405, "Ta strona przyjmuje tylko GET i POST.");
	}
}

int route_handle(struct flow_ctx *c, struct who *w)
{
	const struct request *req = c->req;
	const struct route *r = find(c->sd, req->path, &c->rest);
	int m = strcmp(req->method, "POST") == 0                                      ? M_POST
	        : strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ? M_GET
	                                                                              : 0;
	struct err e = {0};

	if (!r)
		return 0;
	if (!(r->methods & m)) {
		wrong_method(r, c->res);
		return 1;
	}
	if (m == M_POST && !route_same_origin(c->sd, req)) {
		reply_plain(c->res, 403,
		            "Formularz wysłano z innej strony. Wyślij go z naszej strony.");
		return 1;
	}
	if (m == M_POST && !is_form_body(req->content_type)) {
		reply_plain(c->res, 415,
		            "Oczekiwano danych formularza (application/x-www-form-urlencoded).");
		return 1;
	}
	if (session_whoami(c->a->st, req, w, &e) < 0) {
		reply_unavailable(c->res, &e);
		return 1;
	}
	c->w = w;
	r->fn(c);
	return 1;
}
