/*
 * http.h - the only module that speaks to libmicrohttpd: connections and
 * their limits, request bodies counted as they arrive and cut at the
 * limit, the static files under --serve-public, and one call per request
 * into the application (app.c) with the project's own request and
 * response types.
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
/* Stops taking new connections, waits up to `grace` seconds for the
 * requests in flight, then stops. */
void http_stop(struct http *h, unsigned grace);

/* The value of query argument `name` ("?kod=..."), or NULL; at most
 * HTTP_MAX_HEADER_VALUE bytes. */
const char *http_query_arg(const struct request *req, const char *name);

/* Appends a line to the log (stderr) for one request: no personal data,
 * control characters escaped. */
void http_log(const struct request *req, int status, double ms);

#endif
