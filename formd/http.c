#define _GNU_SOURCE
#include "http.h"

#include "clock.h"
#include "escape.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRUSTED 16   /* --trusted-proxy addresses */
#define SEND_GRACE 2.0   /* seconds the last answers have to go out at a stop */
#define WATCH_PERIOD 0.2 /* seconds between the deadline watchdog's looks */
#define BUSY_TEXT "Serwer jest zajęty. Spróbuj ponownie za chwilę.\n"
#define STOPPING_TEXT "Serwer jest właśnie zatrzymywany. Spróbuj ponownie za chwilę.\n"

/* Where the daemon is in its life; only ever goes up. */
enum http_state {
	HTTP_RUNNING,
	HTTP_STOPPING, /* http_quiesce: no new connections, answers close theirs */
	HTTP_DRAINED,  /* http_drain has returned: nothing may be suspended any more */
};

/* One connection (MHD's socket context), for the request deadline. */
struct sock {
	struct sock *prev, *next;
	int fd;
	double start; /* when the current request began to be awaited */
	int busy;     /* its request has arrived in full: no deadline */
	int cut;      /* the watchdog shut it down */
};

struct http {
	struct MHD_Daemon *d;
	struct http_opts o;
	http_handler handler;
	http_submit submit;
	void *app;
	atomic_int active; /* connections with a request in progress */
	/* the trusted proxies, as inet_ntop writes them (compared as text) */
	char trusted[MAX_TRUSTED][INET6_ADDRSTRLEN];
	size_t ntrusted;

	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;  /* on the monotonic clock: suspended or ready changed */
	struct sock *socks;   /* every open connection */
	int suspended;        /* requests suspended for deferred work */
	atomic_int state;     /* enum http_state, written under lock */
	atomic_int cancel;    /* the stop's grace is over: cancel what can be */
	int quit;             /* the watchdog is to end */
	int watching;         /* the watchdog thread was started */
	pthread_t watchdog;
};

/* One request's state, kept across the calls MHD makes for it. */
struct conn {
	struct http *h;
	struct MHD_Connection *c;
	struct buf body;
	int too_big;
	int deferred;     /* the pool is working on it, or has finished */
	atomic_int ready; /* the deferred work is done */
	struct request req;
	struct response res;
	double t0;
};

static const char *header(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	return v && strlen(v) <= HTTP_MAX_HEADER_VALUE ? v : NULL;
}

/* An IP address in canonical text (what inet_ntop writes) into out, or
 * -1 when s is not one. */
static int canonical_ip(const char *s, char *out, size_t n)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)n) ? 0 : -1;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)n) ? 0 : -1;
	return -1;
}

int http_rate_key(const char *addr, char out[64])
{
	unsigned char a[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, addr, a) == 1 && inet_ntop(AF_INET, a, out, 64))
		return 0;
	if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(a, mapped, sizeof mapped) == 0 && inet_ntop(AF_INET, a + 12, out, 64))
			return 0;
		memset(a + 8, 0, 8);
		if (inet_ntop(AF_INET6, a, text, sizeof text)) {
			snprintf(out, 64, "%s/64", text);
			return 0;
		}
	}
	snprintf(out, 64, "%s", addr);
	return -1;
}

/* The client's address: the peer's; but when the peer is a trusted proxy
 * and its X-Real-IP is an IP address, that one (nginx sets it from the
 * connection it took, so a visitor cannot choose it). */
static void client_address(const struct http *h, struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const char *real;
	size_t i;

	snprintf(out, n, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          out, (socklen_t)n);
	for (i = 0; i < h->ntrusted; i++)
		if (strcmp(out, h->trusted[i]) == 0)
			break;
	if (i == h->ntrusted)
		return;
	real = header(c, "X-Real-IP");
	if (real && strlen(real) < INET6_ADDRSTRLEN) {
		char ip[INET6_ADDRSTRLEN];

		if (canonical_ip(real, ip, sizeof ip) == 0)
			snprintf(out, n, "%s", ip);
	}
}

const char *http_query_arg(const struct request *req, const char *name)
{
	const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);

	return v && strlen(v) <= HTTP_MAX_HEADER_VALUE ? v : NULL;
}

void http_log(const struct request *req, int status, double ms)
{
	struct buf b = BUF_INIT;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(&b, "%s %s ", when, req->method);
	/* the path only (a query may carry what someone typed), escaped */
	esc_term(&b, req->path, strnlen(req->path, 600), NULL);
	buf_printf(&b, " %d %.1fms\n", status, ms);
	if (!buf_failed(&b))
		fputs(b.ptr, stderr);
	buf_free(&b);
}

static const char *mime(const char *path)
{
	static const char *const types[][2] = {
	    {".html", "text/html; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".xml", "application/xml; charset=utf-8"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".png", "image/png"},
	    {".jpg", "image/jpeg"},
	    {".jpeg", "image/jpeg"},
	    {".svg", "image/svg+xml"},
	    {".pdf", "application/pdf"},
	    {".webp", "image/webp"},
	    {".ico", "image/x-icon"},
	    {".woff2", "font/woff2"},
	    {".json", "application/json"},
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

/* The security headers of every answer. */
static void common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'self'; img-src 'self'; style-src 'self'; "
	                        "script-src 'none'; object-src 'none'; frame-ancestors 'none'; "
	                        "base-uri 'self'; form-action 'self'");
}

/* Opens public_dir + path as a regular file (a folder: its index.html),
 * refusing "..", hidden names and symbolic links. -1 when not found. */
static int open_static(const char *dir, const char *path, struct buf *full, struct stat *st)
{
	int fd;

	if (path[0] != '/' || strstr(path, "/.") || strstr(path, "//") || strchr(path, '\\'))
		return -1;
	buf_reset(full);
	buf_puts(full, dir);
	buf_puts(full, path);
	if (full->len && full->ptr[full->len - 1] == '/')
		buf_puts(full, "index.html");
	if (buf_failed(full))
		return -1;
	fd = open(full->ptr, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Serves a static file (GET or HEAD), its folder's index.html, or a
 * redirect to the folder's URL; 404.html when there is nothing. */
static enum MHD_Result serve_static(struct conn *k)
{
	struct http *h = k->h;
	struct buf full = BUF_INIT;
	struct stat st;
	struct MHD_Response *r;
	int fd, status = MHD_HTTP_OK;
	enum MHD_Result ret;

	fd = h->o.overlay_dir ? open_static(h->o.overlay_dir, k->req.path, &full, &st) : -1;
	if (fd < 0)
		fd = open_static(h->o.public_dir, k->req.path, &full, &st);
	if (fd < 0 && k->req.path[strlen(k->req.path) - 1] != '/') {
		/* "/kursy" -> "/kursy/" when that is a folder with a page */
		buf_reset(&full);
		buf_printf(&full, "%s/index.html", k->req.path);
		{
			struct buf rel = BUF_INIT;

			buf_puts(&rel, full.ptr);
			fd = h->o.overlay_dir ? open_static(h->o.overlay_dir, rel.ptr, &full, &st)
			                      : -1;
			if (fd < 0)
				fd = open_static(h->o.public_dir, rel.ptr, &full, &st);
			buf_free(&rel);
		}
		if (fd >= 0) {
			close(fd);
			snprintf(k->res.location, sizeof k->res.location, "%s/", k->req.path);
			k->res.status = MHD_HTTP_MOVED_PERMANENTLY;
			buf_free(&full);
			return MHD_NO; /* the caller sends the redirect */
		}
	}
	if (fd < 0) {
		status = MHD_HTTP_NOT_FOUND;
		fd = open_static(h->o.public_dir, "/404.html", &full, &st);
	}
	if (fd < 0) {
		buf_free(&full);
		k->res.status = MHD_HTTP_NOT_FOUND;
		buf_puts(&k->res.body, "Nie znaleziono.\n");
		k->res.content_type = "text/plain; charset=utf-8";
		return MHD_NO;
	}
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		buf_free(&full);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", mime(full.ptr));
	common_headers(r);
	if (atomic_load(&h->state) != HTTP_RUNNING)
		MHD_add_response_header(r, "Connection", "close");
	ret = MHD_queue_response(k->c, (unsigned)status, r);
	MHD_destroy_response(r);
	k->res.status = status;
	buf_free(&full);
	return ret == MHD_YES ? MHD_YES : MHD_NO;
}

static enum MHD_Result send_response(struct conn *k)
{
	struct response *res = &k->res;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char ra[16];

	if (buf_failed(&res->body)) {
		buf_reset(&res->body);
		res->body.failed = 0;
		res->status = MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	r = MHD_create_response_from_buffer(res->body.len, res->body.ptr, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type",
	                        res->content_type ? res->content_type : "text/html; charset=utf-8");
	common_headers(r);
	if (res->no_store)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	if (res->location[0])
		MHD_add_response_header(r, "Location", res->location);
	if (res->set_cookie[0])
		MHD_add_response_header(r, "Set-Cookie", res->set_cookie);
	if (res->retry_after > 0) {
		snprintf(ra, sizeof ra, "%d", res->retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (res->allow)
		MHD_add_response_header(r, "Allow", res->allow);
	if (res->disposition)
		MHD_add_response_header(r, "Content-Disposition", res->disposition);
	if (atomic_load(&k->h->state) != HTTP_RUNNING)
		MHD_add_response_header(r, "Connection", "close");
	ret = MHD_queue_response(k->c, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void fill_request(struct conn *k, const char *url, const char *method)
{
	struct request *q = &k->req;

	q->method = method;
	q->path = url; /* MHD has split the query off */
	q->conn = k->c;
	q->body = k->body.ptr;
	q->body_len = k->body.len;
	q->content_type = header(k->c, "Content-Type");
	q->cookie = MHD_lookup_connection_value(
	    k->c, MHD_COOKIE_KIND, k->h->o.cookie_name ? k->h->o.cookie_name : "sesja");
	if (q->cookie && strlen(q->cookie) > 128)
		q->cookie = NULL;
	q->origin = header(k->c, "Origin");
	q->fetch_site = header(k->c, "Sec-Fetch-Site");
	q->host = header(k->c, "Host");
	q->referer = header(k->c, "Referer");
	client_address(k->h, k->c, q->client, sizeof q->client);
	http_rate_key(q->client, q->rate_key);
}

/* The answer when deferred work is not done: 503 with Retry-After. */
static void unavailable(struct response *res, const char *text)
{
	res->defer = NULL;
	buf_reset(&res->body);
	res->body.failed = 0;
	res->status = MHD_HTTP_SERVICE_UNAVAILABLE;
	res->retry_after = 5;
	res->content_type = "text/plain; charset=utf-8";
	buf_puts(&res->body, text);
}

/* Deferred work that may be cancelled instead of done (see defer_cancel). */
static int cancellable(const struct response *res)
{
	return res->defer_cancel && !res->defer_submit;
}

/* Runs on the pool (or the store's writer): the deferred work, or its
 * cancellation once the stop's grace is over, then wakes the connection.
 * k may be gone once the connection is resumed; h lives until http_free,
 * which comes after http_drain has seen this request's count go. */
static void deferred_run(void *token)
{
	struct conn *k = token;
	struct http *h = k->h;

	if (atomic_load(&h->cancel) && cancellable(&k->res)) {
		k->res.defer_cancel(k->res.defer_arg);
		unavailable(&k->res, STOPPING_TEXT);
	} else {
		k->res.defer(k->res.defer_arg, &k->res);
		k->res.defer = NULL;
	}
	atomic_store(&k->ready, 1);
	MHD_resume_connection(k->c);
	pthread_mutex_lock(&h->lock);
	h->suspended--;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* After http_drain nothing may be suspended: deferred work handed to a
 * defer_submit is waited for on this thread instead. */
static void inline_run(void *token)
{
	struct conn *k = token;

	k->res.defer(k->res.defer_arg, &k->res);
	k->res.defer = NULL;
	pthread_mutex_lock(&k->h->lock);
	atomic_store(&k->ready, 1);
	pthread_cond_broadcast(&k->h->cond);
	pthread_mutex_unlock(&k->h->lock);
}

/* Deferred work the handler asked for: queued while the connection is
 * suspended; refused (503) when it can be and the daemon is stopping or
 * the queue is full; done on this thread once the daemon is drained. */
static enum MHD_Result defer_work(struct conn *k)
{
	struct http *h = k->h;
	struct response *res = &k->res;
	int state, rc;

	pthread_mutex_lock(&h->lock);
	state = atomic_load(&h->state);
	if (state == HTTP_RUNNING || (state == HTTP_STOPPING && !cancellable(res)))
		h->suspended++;
	pthread_mutex_unlock(&h->lock);
	if (state != HTTP_RUNNING && cancellable(res)) {
		res->defer_cancel(res->defer_arg);
		unavailable(res, STOPPING_TEXT);
		return send_response(k);
	}
	if (state == HTTP_DRAINED) {
		if (!res->defer_submit) {
			res->defer(res->defer_arg, res);
			res->defer = NULL;
		} else if (res->defer_submit(res->defer_arg, inline_run, k) < 0) {
			unavailable(res, BUSY_TEXT);
		} else {
			pthread_mutex_lock(&h->lock);
			while (!atomic_load(&k->ready))
				pthread_cond_wait(&h->cond, &h->lock);
			pthread_mutex_unlock(&h->lock);
		}
		return send_response(k);
	}
	k->deferred = 1;
	MHD_suspend_connection(k->c);
	rc = res->defer_submit ? res->defer_submit(res->defer_arg, deferred_run, k)
	                       : h->submit(h->app, deferred_run, k);
	if (rc < 0) {
		if (cancellable(res))
			res->defer_cancel(res->defer_arg);
		unavailable(res, BUSY_TEXT);
		atomic_store(&k->ready, 1);
		MHD_resume_connection(k->c);
		pthread_mutex_lock(&h->lock);
		h->suspended--;
		pthread_cond_broadcast(&h->cond);
		pthread_mutex_unlock(&h->lock);
	}
	return MHD_YES;
}

/* This connection's deadline record (NULL when there was no memory). */
static struct sock *sock_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The request has arrived in full: its deadline no longer applies. -1
 * when the watchdog has already cut the connection. */
static int arrived(struct http *h, struct MHD_Connection *c)
{
	struct sock *s = sock_of(c);
	int cut = 0;

	pthread_mutex_lock(&h->lock);
	if (s) {
		cut = s->cut;
		s->busy = 1;
	}
	pthread_mutex_unlock(&h->lock);
	return cut ? -1 : 0;
}

/* Expect: 100-continue (the client waits before sending its body). */
static int expects_continue(struct MHD_Connection *c)
{
	const char *v = header(c, "Expect");

	return v && strcasecmp(v, "100-continue") == 0;
}

static enum MHD_Result too_large(struct conn *k)
{
	k->res.status = MHD_HTTP_CONTENT_TOO_LARGE;
	buf_puts(&k->res.body, "Przesłane dane są za duże.\n");
	k->res.content_type = "text/plain; charset=utf-8";
	return send_response(k);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct conn *k = *con_cls;

	(void)version;
	if (!k) {
		const char *cl;

		k = calloc(1, sizeof *k);
		if (!k)
			return MHD_NO;
		k->h = h;
		k->c = c;
		buf_init(&k->body);
		buf_init(&k->res.body);
		k->t0 = clock_mono();
		*con_cls = k;
		atomic_fetch_add(&h->active, 1);
		/* a declared size over the limit is refused before reading it;
		 * a client waiting for 100 Continue is answered 413 at once,
		 * without one (others are read to the end, then answered, so
		 * that they are not reset while still sending) */
		cl = header(c, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > h->o.max_body) {
			k->too_big = 1;
			if (expects_continue(c)) {
				fill_request(k, url, method);
				return too_large(k);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* the body, counted as it arrives and cut at the limit */
		if (!k->too_big && k->body.len + *upload_data_size <= h->o.max_body)
			buf_add(&k->body, upload_data, *upload_data_size);
		else
			k->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (k->deferred) {
		if (!atomic_load(&k->ready))
			return MHD_YES; /* a spurious call while the pool works */
		return send_response(k);
	}
	if (arrived(h, c) < 0)
		return MHD_NO;
	fill_request(k, url, method);
	k->res.status = 0;
	if (k->too_big || buf_failed(&k->body))
		return too_large(k);
	h->handler(h->app, &k->req, &k->res);
	if (k->res.defer)
		return defer_work(k);
	if (k->res.status == 0) {
		if (h->o.public_dir &&
		    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
			if (serve_static(k) == MHD_YES)
				return MHD_YES;
			if (k->res.status == 0)
				return MHD_NO;
		} else {
			k->res.status = MHD_HTTP_NOT_FOUND;
			k->res.content_type = "text/plain; charset=utf-8";
			buf_puts(&k->res.body, "Nie znaleziono.\n");
		}
	}
	return send_response(k);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct conn *k = *con_cls;
	struct sock *s = sock_of(c);

	(void)toe;
	if (s) {
		/* kept alive: the next request has the deadline from now */
		pthread_mutex_lock(&h->lock);
		s->busy = 0;
		s->start = clock_mono();
		pthread_mutex_unlock(&h->lock);
	}
	if (!k)
		return;
	if (k->req.method)
		http_log(&k->req, k->res.status, (clock_mono() - k->t0) * 1000.0);
	buf_free(&k->body);
	buf_free(&k->res.body);
	free(k);
	*con_cls = NULL;
	atomic_fetch_sub(&h->active, 1);
}

/* A connection opens or closes: its deadline record. MHD calls CLOSED
 * before it closes the socket, so the watchdog (under the lock) never
 * shuts down a descriptor that has been reused. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	struct sock *s = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		s = calloc(1, sizeof *s);
		*socket_context = s;
		if (!s || !ci) {
			/* no deadline could be kept: not served */
			if (ci)
				shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		s->fd = ci->connect_fd;
		s->start = clock_mono();
		pthread_mutex_lock(&h->lock);
		s->next = h->socks;
		if (h->socks)
			h->socks->prev = s;
		h->socks = s;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	if (!s)
		return;
	pthread_mutex_lock(&h->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		h->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&h->lock);
	free(s);
	*socket_context = NULL;
}

/* An absolute time `sec` seconds from now on the monotonic clock. */
static struct timespec after(double sec)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)sec;
	ts.tv_nsec += (long)((sec - (double)(time_t)sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* The deadline: a connection whose request has not arrived in full
 * within o.deadline seconds is shut down (MHD then sees it end and closes
 * it). libmicrohttpd's own timeout restarts with every byte, so a client
 * sending one byte a second would keep its place for ever. */
static void *watchdog_main(void *arg)
{
	struct http *h = arg;

	pthread_mutex_lock(&h->lock);
	while (!h->quit) {
		struct timespec until = after(WATCH_PERIOD);
		double now = clock_mono();
		struct sock *s;

		for (s = h->socks; s; s = s->next)
			if (!s->busy && !s->cut && now - s->start >= h->o.deadline) {
				s->cut = 1;
				shutdown(s->fd, SHUT_RDWR);
			}
		pthread_cond_timedwait(&h->cond, &h->lock, &until);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* "127.0.0.1:8080", "[::1]:8080" or ":8080" (all IPv4 addresses). */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	long port;
	char *end;

	memset(ss, 0, sizeof *ss);
	if (!colon || (size_t)(colon - s) >= sizeof host)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)ss;
		size_t l = strlen(host);

		if (l < 3 || host[l - 1] != ']')
			return -1;
		host[l - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		*len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)(void *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)port);
		if (host[0] == '\0')
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		*len = sizeof *a;
	}
	return 0;
}

/* The lock, the condition variable (on the monotonic clock) and the
 * watchdog thread, which blocks every signal (they are the main
 * thread's). 0, or -1 with nothing left to undo. */
static int start_watch(struct http *h)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (pthread_mutex_init(&h->lock, NULL) != 0)
		return -1;
	if (pthread_condattr_init(&ca) != 0) {
		pthread_mutex_destroy(&h->lock);
		return -1;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0) {
		pthread_mutex_destroy(&h->lock);
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->watchdog, NULL, watchdog_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->lock);
		return -1;
	}
	h->watching = 1;
	return 0;
}

static void stop_watch(struct http *h)
{
	if (!h->watching)
		return;
	pthread_mutex_lock(&h->lock);
	h->quit = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->watchdog, NULL);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	h->watching = 0;
}

/* h's fields from o, the trusted proxies checked: 0 or -1 with e. */
static int set_opts(struct http *h, const struct http_opts *o, struct err *e)
{
	h->o = *o;
	if (o->ntrusted > MAX_TRUSTED)
		return err_set(e, "--trusted-proxy: at most %d addresses", MAX_TRUSTED);
	for (h->ntrusted = 0; h->ntrusted < o->ntrusted; h->ntrusted++)
		if (canonical_ip(o->trusted[h->ntrusted], h->trusted[h->ntrusted],
		                 sizeof h->trusted[0]) < 0)
			return err_set(
			    e, "--trusted-proxy %s: give an IP address, like 127.0.0.1 or ::1",
			    o->trusted[h->ntrusted]);
	if (o->threads < 1 || o->max_conn < o->threads)
		return err_set(e, "--max-connections %u: give at least --threads (%u)", o->max_conn,
		               o->threads);
	if (o->deadline < 1)
		return err_set(e, "--request-deadline: give at least 1 second");
	return 0;
}

struct http *http_start(const struct http_opts *o, http_handler handler, http_submit submit,
                        void *app, struct err *e)
{
	struct http *h = calloc(1, sizeof *h);
	struct sockaddr_storage ss;
	socklen_t sl;
	/* poll, not epoll: libmicrohttpd 0.9.75 can abort when
	 * MHD_quiesce_daemon races a thread pool's epoll loop */
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;

	if (!h) {
		err_oom(e);
		return NULL;
	}
	h->handler = handler;
	h->submit = submit;
	h->app = app;
	atomic_init(&h->active, 0);
	atomic_init(&h->state, HTTP_RUNNING);
	atomic_init(&h->cancel, 0);
	if (set_opts(h, o, e) < 0) {
		free(h);
		return NULL;
	}
	if (parse_listen(o->listen, &ss, &sl) < 0) {
		free(h);
		err_set(e, "--listen %s: give HOST:PORT, like 127.0.0.1:8080 or [::1]:8080",
		        o->listen);
		return NULL;
	}
	if (start_watch(h) < 0) {
		free(h);
		err_kind_set(e, ERR_IO, "cannot start the request deadline's thread");
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* behind a trusted proxy every connection comes from the proxy: a
	 * limit per peer would cap the whole site (the proxy limits visitors) */
	h->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, o->threads, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->ntrusted ? 0u : o->per_ip,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->conn_memory, MHD_OPTION_CONNECTION_LIMIT,
	    o->max_conn, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, h, MHD_OPTION_END);
	if (!h->d) {
		stop_watch(h);
		free(h);
		err_kind_set(e, ERR_IO, "cannot listen on %s (in use, or not allowed)", o->listen);
		return NULL;
	}
	return h;
}

void http_quiesce(struct http *h)
{
	MHD_socket fd;
	unsigned n;
	int s;

	if (!h || atomic_load(&h->state) != HTTP_RUNNING)
		return;
	pthread_mutex_lock(&h->lock);
	atomic_store(&h->state, HTTP_STOPPING);
	pthread_mutex_unlock(&h->lock);
	fd = MHD_quiesce_daemon(h->d);
	if (fd == MHD_INVALID_SOCKET)
		return;
	/* connections the kernel has already accepted are served, not reset */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (n = 0; n < h->o.max_conn; n++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;

		s = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		MHD_add_connection(h->d, s, (struct sockaddr *)&ss, sl); /* closes s on failure */
	}
	close(fd);
}

void http_drain(struct http *h, unsigned grace)
{
	struct timespec until;
	double end;

	if (!h)
		return;
	http_quiesce(h);
	end = clock_mono() + grace;
	until = after(grace);
	pthread_mutex_lock(&h->lock);
	while (h->suspended > 0 && !atomic_load(&h->cancel))
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) == ETIMEDOUT)
			atomic_store(&h->cancel, 1);
	/* what is still queued is now cancelled, or done, quickly or not:
	 * libmicrohttpd must not be stopped with a connection suspended */
	while (h->suspended > 0)
		pthread_cond_wait(&h->cond, &h->lock);
	atomic_store(&h->state, HTTP_DRAINED);
	pthread_mutex_unlock(&h->lock);
	/* the answers resumed ones are sending, and requests still arriving:
	 * until the grace ends, and at least a while after the last resume
	 * (the wait above may have outlasted the grace) */
	if (end < clock_mono() + SEND_GRACE)
		end = clock_mono() + SEND_GRACE;
	while (atomic_load(&h->active) > 0 && clock_mono() < end) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
}

void http_free(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	stop_watch(h);
	free(h);
}
