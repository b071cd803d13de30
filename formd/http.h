/*
 * http.h - the only module that speaks to libmicrohttpd: connections and
 * their limits (a total, per address, an idle timeout and a deadline for
 * the whole request), request bodies counted as they arrive and cut at the
 * limit, the static files under --serve-public, one call per request into
 * the application (app.c) with the project's own request and response
 * types, suspending a request while deferred work runs, and an orderly
 * stop (http_quiesce, http_drain, http_free).
 */
#ifndef OKIENKO_HTTP_H
#define OKIENKO_HTTP_H

#include "buf.h"
#include "err.h"

#include <stddef.h>

#define HTTP_MAX_HEADER_VALUE 4096

struct request {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* the URL path, without the query (never logged with it) */
	const char *body;   /* POST body (not NUL-terminated), len bytes */
	size_t body_len;
	const char *content_type; /* NULL when absent */
	const char *cookie;       /* the session cookie's value (http_opts.cookie_name), or NULL */
	const char *origin;       /* Origin, or NULL */
	const char *fetch_site;   /* Sec-Fetch-Site, or NULL */
	const char *host;         /* Host, or NULL */
	const char *referer;      /* Referer, or NULL */
	char client[64];          /* the client's address as text: the peer's, or
	                             X-Real-IP when the peer is a trusted proxy */
	char rate_key[64];        /* what rate limits count `client` under
	                             (http_rate_key): the IPv4 address, or the
	                             IPv6 /64 ("2001:db8:1:2::/64") */
	void *conn;               /* http.c's own (for http_query_arg) */
};

struct response {
	int status;
	const char *content_type; /* default "text/html; charset=utf-8" */
	struct buf body;
	char location[512];      /* Location, for 303 */
	char set_cookie[256];    /* one Set-Cookie value, or "" */
	int retry_after;         /* seconds, for 429/503; 0: none */
	int no_store;            /* Cache-Control: no-store (personal pages) */
	const char *allow;       /* Allow, for 405 */
	const char *disposition; /* Content-Disposition (a download), or NULL */
	/* Work to do off the HTTP thread (a password hash): when set by the
	 * handler, the connection is suspended, defer(arg, res) runs on the
	 * hashing pool, and the response is sent when it returns. */
	void (*defer)(void *arg, struct response *res);
	void *defer_arg;
	/* Where the deferred work runs: NULL for the app's pool
	 * (http_submit); else this, which must arrange for run(token) to be
	 * called once (from any thread), or return -1 (503). */
	int (*defer_submit)(void *arg, void (*run)(void *token), void *token);
	/* Optional, with defer and without defer_submit: frees what defer_arg
	 * holds without doing the work. Called instead of defer (the request
	 * gets 503 with Retry-After) when the work cannot be queued (the pool
	 * is full), when a request asks for it while the daemon is stopping,
	 * or when it still waits in the queue once the stop's grace is over.
	 * Without it such work is queued and run as usual, and a full pool
	 * leaks defer_arg. */
	void (*defer_cancel)(void *arg);
};

struct http_opts {
	const char *listen;      /* "127.0.0.1:8080" or "[::1]:8080" */
	const char *public_dir;  /* serve static files from here, or NULL */
	const char *overlay_dir; /* looked in first (formd's forum pages), or NULL */
	size_t max_body;         /* bytes of a POST body: more gets 413 */
	unsigned threads;        /* the connection thread pool */
	unsigned timeout;        /* seconds a connection may idle */
	unsigned per_ip;         /* connections per client address (none with `trusted`) */
	size_t conn_memory;      /* bytes of memory per connection */
	/* Peers (a reverse proxy: nginx) whose X-Real-IP header is taken as the
	 * client's address; from any other peer the header is ignored. Text
	 * addresses ("127.0.0.1", "::1"), checked by http_start; borrowed. */
	const char *const *trusted;
	size_t ntrusted;
	unsigned max_conn; /* connections at once, in all (at least `threads`) */
	/* seconds from a connection's start (or the end of its previous
	 * request) within which a request's headers and body must have
	 * arrived; then the connection is cut (a trickling client) */
	unsigned deadline;
	const char *cookie_name; /* the session cookie's name (session.h); NULL: "sesja" */
};

/* The application: called once per request with the whole body read. */
typedef void (*http_handler)(void *app, const struct request *req, struct response *res);
/* Runs deferred work on the pool: returns -1 when the pool is full (the
 * request gets 503 with Retry-After). `run` must call the defer function
 * and then `done(token)`. */
typedef int (*http_submit)(void *app, void (*run)(void *token), void *token);

struct http;
/* Starts serving. NULL with e (ERR_INPUT for a bad --listen or a trusted
 * proxy that is not an IP address, ERR_IO when the address cannot be
 * bound). */
struct http *http_start(const struct http_opts *o, http_handler h, http_submit submit, void *app,
                        struct err *e);
/*
 * The orderly stop, in this order:
 *
 * http_quiesce: no new connections (the listening socket is closed; those
 * already waiting in its queue are taken), every later answer closes its
 * connection, and new deferred work with a defer_cancel gets 503.
 *
 * http_drain: waits until every suspended request has been resumed and
 * answered. Deferred work already queued runs; once `grace` seconds have
 * passed, what still waits in a queue and has a defer_cancel is answered
 * 503 instead. It returns only when no request is suspended (so the pool
 * and the store, whose callbacks resume them, may then be stopped); a
 * request still reading its body or sending its answer gets until the
 * grace ends.
 *
 * http_free: stops libmicrohttpd (closing the connections left, idle
 * ones) and frees h. Call it after http_drain, and after the pool that
 * runs deferred work has been drained: nothing may resume a connection
 * after. NULL is a no-op for all three.
 */
void http_quiesce(struct http *h);
void http_drain(struct http *h, unsigned grace);
void http_free(struct http *h);

/* The rate-limit key of a client address (text): an IPv4 address as
 * itself, an IPv4-mapped IPv6 address as its IPv4 address, any other IPv6
 * address as its /64 in canonical text ("2001:db8:1:2::/64"): one
 * household or host gets a /64, so its addresses are one client. 0, or
 * -1 when addr is not an IP address (out then gets addr, cut to fit). */
int http_rate_key(const char *addr, char out[64]);

/* The value of query argument `name` ("?kod=..."), or NULL; at most
 * HTTP_MAX_HEADER_VALUE bytes. */
const char *http_query_arg(const struct request *req, const char *name);

/* Appends a line to the log (stderr) for one request: no personal data,
 * control characters escaped. */
void http_log(const struct request *req, int status, double ms);

#endif
