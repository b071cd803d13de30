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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRUSTED 16 /* --trusted-proxy addresses */

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
	ret = MHD_queue_response(k->c, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Runs on the pool: the deferred work, then wakes the connection. */
static void deferred_run(void *token)
{
	struct conn *k = token;

	k->res.defer(k->res.defer_arg, &k->res);
	k->res.defer = NULL;
	atomic_store(&k->ready, 1);
	MHD_resume_connection(k->c);
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
	q->cookie = MHD_lookup_connection_value(k->c, MHD_COOKIE_KIND,
	                                        k->h->o.cookie_name ? k->h->o.cookie_name : "sesja");
	if (q->cookie && strlen(q->cookie) > 128)
		q->cookie = NULL;
	q->origin = header(k->c, "Origin");
	q->fetch_site = header(k->c, "Sec-Fetch-Site");
	q->host = header(k->c, "Host");
	q->referer = header(k->c, "Referer");
	client_address(k->h, k->c, q->client, sizeof q->client);
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
		/* a declared size over the limit is refused before reading it */
		cl = header(c, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > h->o.max_body)
			k->too_big = 1;
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
	fill_request(k, url, method);
	k->res.status = 0;
	if (k->too_big || buf_failed(&k->body)) {
		k->res.status = MHD_HTTP_CONTENT_TOO_LARGE;
		buf_puts(&k->res.body, "Przesłane dane są za duże.\n");
		k->res.content_type = "text/plain; charset=utf-8";
		return send_response(k);
	}
	h->handler(h->app, &k->req, &k->res);
	if (k->res.defer) {
		k->deferred = 1;
		MHD_suspend_connection(c);
		if ((k->res.defer_submit ? k->res.defer_submit(k->res.defer_arg, deferred_run, k)
		                         : h->submit(h->app, deferred_run, k)) < 0) {
			k->res.defer = NULL;
			buf_reset(&k->res.body);
			k->res.status = MHD_HTTP_SERVICE_UNAVAILABLE;
			k->res.retry_after = 5;
			k->res.content_type = "text/plain; charset=utf-8";
			buf_puts(&k->res.body, "Serwer jest zajęty. Spróbuj ponownie za chwilę.\n");
			atomic_store(&k->ready, 1);
			MHD_resume_connection(c);
		}
		return MHD_YES;
	}
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

	(void)c;
	(void)toe;
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

struct http *http_start(const struct http_opts *o, http_handler handler, http_submit submit,
                        void *app, struct err *e)
{
	struct http *h = calloc(1, sizeof *h);
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;

	if (!h) {
		err_oom(e);
		return NULL;
	}
	h->o = *o;
	h->handler = handler;
	h->submit = submit;
	h->app = app;
	atomic_init(&h->active, 0);
	if (o->ntrusted > MAX_TRUSTED) {
		free(h);
		err_set(e, "--trusted-proxy: at most %d addresses", MAX_TRUSTED);
		return NULL;
	}
	for (h->ntrusted = 0; h->ntrusted < o->ntrusted; h->ntrusted++)
		if (canonical_ip(o->trusted[h->ntrusted], h->trusted[h->ntrusted],
		                 sizeof h->trusted[0]) < 0) {
			err_set(e, "--trusted-proxy %s: give an IP address, like 127.0.0.1 or ::1",
			        o->trusted[h->ntrusted]);
			free(h);
			return NULL;
		}
	if (parse_listen(o->listen, &ss, &sl) < 0) {
		free(h);
		err_set(e, "--listen %s: give HOST:PORT, like 127.0.0.1:8080 or [::1]:8080",
		        o->listen);
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
	    (unsigned)1000, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
	if (!h->d) {
		free(h);
		err_kind_set(e, ERR_IO, "cannot listen on %s (in use, or not allowed)", o->listen);
		return NULL;
	}
	return h;
}

void http_stop(struct http *h, unsigned grace)
{
	double until = clock_mono() + grace;

	if (!h)
		return;
	MHD_quiesce_daemon(h->d); /* no new connections */
	while (atomic_load(&h->active) > 0 && clock_mono() < until) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(h->d);
	free(h);
}
