/*
 * session.c - who is asking, sessions, the cookie, password checks
 * (session.h).
 */
#include "session.h"

#include "clock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

const char *session_cookie_name(int dev)
{
	return dev ? SESSION_COOKIE_DEV : SESSION_COOKIE;
}

int session_whoami(struct store *st, const struct request *req, struct who *w, struct err *e)
{
	int r;

	memset(w, 0, sizeof *w);
	snprintf(w->actor, sizeof w->actor, "web");
	if (!req->cookie || strlen(req->cookie) != AUTH_TOKEN_TEXT - 1)
		return 0;
	auth_digest(req->cookie, strlen(req->cookie), w->digest);
	r = store_session_user(st, w->digest, clock_now(), SESSION_IDLE, SESSION_ABSOLUTE,
	                       &w->user_id, e);
	if (r == 0)
		r = store_user_by_id(st, w->user_id, &w->u, e);
	if (r == 0 && w->u.closed)
		r = 1; /* a closed account is nobody */
	if (r != 0) {
		w->user_id = 0;
		w->digest[0] = '\0';
		memset(&w->u, 0, sizeof w->u);
		return r < 0 ? -1 : 0;
	}
	snprintf(w->actor, sizeof w->actor, "user:%lld", w->user_id);
	return 0;
}

/* The one place the cookie is written: its value (empty: cleared). */
static void set_cookie(int dev, struct response *res, const char *token)
{
	snprintf(res->set_cookie, sizeof res->set_cookie, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s",
	         session_cookie_name(dev), token, *token ? "" : "; Max-Age=0",
	         dev ? "" : "; Secure");
}

int session_start(struct store *st, int dev, long long user_id, const char *pw_hash,
                  struct response *res, struct err *e)
{
	char token[AUTH_TOKEN_TEXT], digest[AUTH_DIGEST_TEXT];
	int r;

	auth_token(token);
	auth_digest(token, strlen(token), digest);
	r = store_session_add(st, digest, user_id, pw_hash, clock_now(), e);
	if (r == 0)
		set_cookie(dev, res, token);
	return r;
}

void session_clear_cookie(int dev, struct response *res)
{
	set_cookie(dev, res, "");
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

int session_check_password(const char *pw, const char *hash, struct err *e)
{
	struct err ignore;

	if (hash && *hash)
		return auth_check_password(pw, strlen(pw), hash, e);
	pthread_once(&dummy_once, make_dummy);
	if (dummy_hash[0])
		auth_check_password(pw, strlen(pw), dummy_hash, &ignore);
	return 0;
}
