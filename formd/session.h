/*
 * session.h - who is asking: the session behind the cookie, starting and
 * ending sessions, the cookie itself (its name and attributes written in
 * one place), and password checks that take as long whether the account
 * exists or not. Speaks to the store and to auth.h; knows nothing of the
 * flows.
 */
#ifndef OKIENKO_SESSION_H
#define OKIENKO_SESSION_H

#include "accounts.h"
#include "auth.h"
#include "http.h"
#include "store.h"

/* The cookie's name: SESSION_COOKIE in production (Secure, Path=/, no
 * Domain: no other host or path can set one that shadows it),
 * SESSION_COOKIE_DEV with --dev (plain http, where a __Host- cookie is
 * refused); both, and the sessions' lifetimes, in common/accounts.h. */
const char *session_cookie_name(int dev);

/* Who is asking: the person behind the session cookie, if any. */
struct who {
	long long user_id; /* 0: nobody logged in */
	struct user u;
	char digest[AUTH_DIGEST_TEXT]; /* the session's digest ("" with no session) */
	char actor[32];                /* "user:ID" or "web": the audit log's actor */
};

/* The person behind `req`'s cookie: an open account with a live session
 * (a closed account's sessions count for nothing). 0 (w->user_id 0 for
 * nobody), or -1 with e when the store failed. */
int session_whoami(struct store *st, const struct request *req, struct who *w, struct err *e);

/* A new session for user `user_id`, stored only while the account is open
 * and its password hash is still `pw_hash` (what the caller checked; NULL:
 * no check, a new account): the cookie on res. 0; 1 when the account
 * closed or its password changed meanwhile (nothing stored); -1 with e. */
int session_start(struct store *st, int dev, long long user_id, const char *pw_hash,
                  struct response *res, struct err *e);
/* The cookie that ends the session in the browser, on res. */
void session_clear_cookie(int dev, struct response *res);

/* Checks a password against a hash, taking as long when there is no hash
 * (hash NULL or ""): 1 matches, 0 not, -1 with e. Hashes: run it on the
 * hashing pool, after every cheap check. */
int session_check_password(const char *pw, const char *hash, struct err *e);

#endif
