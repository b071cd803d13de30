/*
 * formd - the portal's only dynamic part: takes the forms' POSTs, renders
 * the few personal pages, and gives staff a command line (formd admin).
 * This file parses options, starts the parts, waits for signals and stops
 * the parts in order; it alone prints usage and exits.
 */
#define _GNU_SOURCE
#include "admin.h"
#include "app.h"
#include "auth.h"
#include "escape.h"
#include "forum.h"
#include "http.h"
#include "mail.h"
#include "outbox.h"
#include "sandbox.h"
#include "session.h"
#include "store.h"

#include <getopt.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VERSION "0.1.0"

static const char usage[] =
    "usage: formd --site DIR --db FILE [--forum-dir DIR] [--listen HOST:PORT] [--serve-public]\n"
    "             [--dev]"
    " [--threads N] [--hash-workers N] [--max-body BYTES]\n"
    "             [--contact-rate N] [--register-rate N]\n"
    "             [--trusted-proxy ADDR]... [--require-sandbox]\n"
    "             [--max-connections N] [--request-deadline SECONDS]\n"
    "       formd admin --db FILE [--site DIR --forum-dir DIR] COMMAND ...\n"
    "                                  (formd admin --help: the commands)\n"
    "       formd --help | --version\n"
    "\n"
    "  --site DIR        the generator's output (reads DIR/private/ only)\n"
    "  --db FILE         the sqlite database (created and migrated on start)\n"
    "  --forum-dir DIR   where the forum pages are written (default: forum/ beside\n"
    "                    the database); kept apart from DIR, which builds replace\n"
    "  --listen A:P      address to listen on (default 127.0.0.1:8080)\n"
    "  --serve-public    also serve the static site from DIR/public/\n"
    "  --dev             development: the session cookie is sent without Secure,\n"
    "                    so logging in works over plain http on this machine\n"
    "  --threads N       connection threads (default 8)\n"
    "  --hash-workers N  password hashes at once, 64 MiB each (default: half the\n"
    "                    processors, at least 1)\n"
    "  --max-body BYTES  largest POST body (default 65536; more gets 413)\n"
    "  --contact-rate N  contact messages per address per 10 minutes (default 10)\n"
    "  --register-rate N registrations per address per hour (default 20)\n"
    "  --post-rate N     forum posts per person per 10 minutes (default 20)\n"
    "  --trusted-proxy ADDR  a reverse proxy (nginx) whose X-Real-IP header is the\n"
    "                    client's address, for rate limits; repeatable (up to 16)\n"
    "  --max-connections N  connections at once, in all (default 256, at least\n"
    "                    --threads); more wait to be accepted\n"
    "  --request-deadline SECONDS  a request's headers and body must arrive\n"
    "                    within this of its connection's start (default 10)\n"
    "  --require-sandbox refuse to start when the kernel cannot confine formd's file\n"
    "                    access (Landlock); without it formd says so and goes on\n"
    "\n"
    "e-mail (the outbox; without --smtp messages wait, see formd admin outbox):\n"
    "  --smtp URL        the relay: smtp://HOST:PORT (STARTTLS required) or\n"
    "                    smtps://HOST:PORT\n"
    "  --smtp-plain      no TLS on smtp:// (a relay on this machine only)\n"
    "  --smtp-credentials FILE  the relay's user (line 1) and password (line 2);\n"
    "                    the file must be readable by formd's user only\n"
    "  --mail-from ADDR  the sender address (required with --smtp)\n"
    "  --mail-from-name TEXT  the sender's name (default: none)\n"
    "  --mail-retry N    seconds before a failed e-mail is tried again, doubling\n"
    "                    up to an hour (default 60)\n"
    "  --mail-poll N     seconds between looks for e-mails queued by formd admin\n"
    "                    (default 30)\n"
    "  --public-url URL  the portal's address in e-mails' links (default: base_url\n"
    "                    of site.toml)\n"
    "\n"
    "signals: HUP reads DIR/private/ again (a failure keeps the old site),\n"
    "TERM and INT stop: no new connections, every request taken is answered\n"
    "(work still queued after 10 s may get 503), then formd exits.\n"
    "exit status: 0 stopped cleanly, 1 could not start (the message says why),\n"
    "2 wrong usage; formd admin: 0 done, 1 failed, 2 wrong usage.\n";

/* Prints a message with control characters escaped (esc_term). */
static void fail(const char *what, const char *msg)
{
	struct buf b = BUF_INIT;

	esc_term(&b, msg, strlen(msg), NULL);
	fprintf(stderr, "formd: %s%s%s\n", what ? what : "", what ? ": " : "", b.ptr);
	buf_free(&b);
}

/* The folder of FILE must exist and be writable (sqlite needs to create
 * its journal beside it). */
static int check_db_dir(const char *db)
{
	char *dir = strdup(db), *slash;
	int ok;

	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	ok = access(dir, W_OK | X_OK) == 0;
	if (!ok)
		fprintf(stderr, "formd: %s: the database's folder is missing or not writable\n",
		        dir);
	free(dir);
	return ok ? 0 : -1;
}

/* forum/ beside the database: formd's own folder. malloc'd. */
static char *default_forum_dir(const char *db)
{
	const char *slash = strrchr(db, '/');
	size_t n = slash ? (size_t)(slash - db) + 1 : 0;
	char *d = malloc(n + sizeof "forum");

	if (d) {
		memcpy(d, db, n);
		memcpy(d + n, "forum", sizeof "forum");
	}
	return d;
}

static int admin(int argc, char **argv)
{
	const char *db = NULL, *login, *site = NULL, *forum = NULL;
	struct sitedata *sd = NULL;
	char *forum_default = NULL;
	struct passwd *pw = getpwuid(getuid());
	struct store *st;
	struct err e = {0};
	int i = 2, rc;

	while (i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-') {
		if (strcmp(argv[i], "--db") == 0)
			db = argv[i + 1];
		else if (strcmp(argv[i], "--site") == 0)
			site = argv[i + 1];
		else if (strcmp(argv[i], "--forum-dir") == 0)
			forum = argv[i + 1];
		else
			break;
		i += 2;
	}
	/* the help needs no database */
	if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
	                 strcmp(argv[i], "help") == 0))
		return admin_main(NULL, NULL, "help", 1, argv + i, stdout, stderr);
	if (!db) {
		fputs("usage: formd admin --db FILE [--site DIR --forum-dir DIR] COMMAND ...\n"
		      "       formd admin --help (the commands)\n",
		      stderr);
		return 2;
	}
	if (access(db, R_OK | W_OK) != 0) {
		fprintf(stderr, "formd: %s: no such database, or not readable and writable\n", db);
		return 1;
	}
	if (auth_init(&e) < 0) {
		fail(NULL, e.msg);
		return 1;
	}
	st = store_open(db, &e);
	if (!st) {
		fail(NULL, e.msg);
		return 1;
	}
	login = pw && pw->pw_name ? pw->pw_name : "unknown";
	if (site && !(sd = sitedata_load(site, &e))) {
		fail(site, e.msg);
		store_close(st);
		return 1;
	}
	rc = admin_main(st, sd, login, argc - i, argv + i, stdout, stderr);
	/* a post hidden or shown again, or posts purged: the forum pages are
	 * rewritten */
	if (rc == 0 && argc - i >= 1 &&
	    ((argc - i >= 2 && strcmp(argv[i], "posts") == 0) ||
	     (argc - i == 1 && strcmp(argv[i], "purge") == 0))) {
		if (!forum)
			forum = forum_default = default_forum_dir(db);
		if (!site) {
			fputs("formd: give --site DIR (and --forum-dir DIR) so the forum pages are "
			      "rewritten; they were not\n",
			      stderr);
			rc = 1;
		} else if (!forum || forum_write_all(sd, st, forum, &e) < 0) {
			fail("the forum pages were not rewritten", e.msg);
			rc = 1;
		}
	}
	sitedata_free(sd);
	store_close(st);
	free(forum_default);
	return rc;
}

/* What the options say. */
struct options {
	const char *site, *db;
	struct http_opts ho;
	struct app_settings set;
	int workers, serve, require_sandbox;
	const char *trusted[16];
	struct mail_relay relay;
	const char *credentials;
	int smtp_plain, mail_retry, mail_poll;
};

/* What runs, started by start() and stopped by stop() in reverse. */
struct daemon {
	struct store *st;
	struct auth_pool *pool;
	struct app *a;
	struct http *h;
	struct outbox *ob;
	struct forum_writer *fw; /* the forum pages, off the request threads */
	char *public_dir, *forum_default;
};

static const struct option long_opts[] = {
    {"site", required_argument, NULL, 's'},
    {"db", required_argument, NULL, 'd'},
    {"listen", required_argument, NULL, 'l'},
    {"serve-public", no_argument, NULL, 'p'},
    {"dev", no_argument, NULL, 'D'},
    {"threads", required_argument, NULL, 't'},
    {"hash-workers", required_argument, NULL, 'w'},
    {"max-body", required_argument, NULL, 'b'},
    {"contact-rate", required_argument, NULL, 'c'},
    {"register-rate", required_argument, NULL, 'r'},
    {"post-rate", required_argument, NULL, 'P'},
    {"forum-dir", required_argument, NULL, 'F'},
    {"trusted-proxy", required_argument, NULL, 'T'},
    {"require-sandbox", no_argument, NULL, 'S'},
    {"max-connections", required_argument, NULL, 'x'},
    {"request-deadline", required_argument, NULL, 'e'},
    {"smtp", required_argument, NULL, 'Q'},
    {"smtp-plain", no_argument, NULL, 'N'},
    {"smtp-credentials", required_argument, NULL, 'C'},
    {"mail-from", required_argument, NULL, 'M'},
    {"mail-from-name", required_argument, NULL, 'm'},
    {"mail-retry", required_argument, NULL, 'R'},
    {"mail-poll", required_argument, NULL, 'O'},
    {"public-url", required_argument, NULL, 'U'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void defaults(struct options *o)
{
	struct http_opts ho = {"127.0.0.1:8080", NULL, NULL, 65536, 8,  30,  64,
	                       32 * 1024,        NULL, 0,    256,   10, NULL};
	struct app_settings set = {0, 10, 20, 5, 900, 20, NULL, NULL, NULL, NULL};
	/* half the processors hash, so that a flood of logins leaves the
	 * others to everything else */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof *o);
	o->ho = ho;
	o->set = set;
	o->workers = ncpu > 2 ? (int)(ncpu / 2) : 1;
	o->mail_retry = 60;
	o->mail_poll = OUTBOX_POLL;
}

/* n within lo..hi: 0, else -1 (out of range). */
static int in_range(long n, long lo, long hi)
{
	return n >= lo && n <= hi ? 0 : -1;
}

/* One option of the server itself: 0, -1 out of range, 1 not one of them. */
static int server_option(struct options *o, int c, const char *arg)
{
	long n = arg ? strtol(arg, NULL, 10) : 0;

	switch (c) {
	case 's':
		o->site = arg;
		return 0;
	case 'd':
		o->db = arg;
		return 0;
	case 'l':
		o->ho.listen = arg;
		return 0;
	case 'p':
		o->serve = 1;
		return 0;
	case 'D':
		o->set.dev = 1;
		return 0;
	case 'F':
		o->set.forum_dir = arg;
		return 0;
	case 'S':
		o->require_sandbox = 1;
		return 0;
	case 't':
		o->ho.threads = (unsigned)n;
		return in_range(n, 1, 256);
	case 'w':
		o->workers = (int)n;
		return in_range(n, 1, 64);
	case 'b':
		o->ho.max_body = (size_t)n;
		return in_range(n, 1024, 16 * 1024 * 1024);
	case 'c':
		o->set.contact_rate = (int)n;
		return in_range(n, 1, 1000000000);
	case 'r':
		o->set.form_rate = (int)n;
		return in_range(n, 1, 1000000000);
	case 'P':
		o->set.post_rate = (int)n;
		return in_range(n, 1, 1000000000);
	case 'x':
		o->ho.max_conn = (unsigned)n;
		return in_range(n, 1, 100000);
	case 'e':
		o->ho.deadline = (unsigned)n;
		return in_range(n, 1, 600);
	case 'T': /* checked by http_start */
		if (o->ho.ntrusted == sizeof o->trusted / sizeof o->trusted[0])
			return -1;
		o->trusted[o->ho.ntrusted++] = arg;
		o->ho.trusted = o->trusted;
		return 0;
	}
	return 1;
}

/* One option of the e-mail: 0, -1 out of range, 1 not one of them. */
static int mail_option(struct options *o, int c, const char *arg)
{
	long n = arg ? strtol(arg, NULL, 10) : 0;

	switch (c) {
	case 'Q':
		if (strlen(arg) >= sizeof o->relay.url ||
		    (strncmp(arg, "smtp://", 7) != 0 && strncmp(arg, "smtps://", 8) != 0))
			return -1;
		snprintf(o->relay.url, sizeof o->relay.url, "%s", arg);
		return 0;
	case 'N':
		o->smtp_plain = 1;
		return 0;
	case 'C':
		o->credentials = arg;
		return 0;
	case 'M':
		if (strlen(arg) >= sizeof o->relay.from)
			return -1;
		snprintf(o->relay.from, sizeof o->relay.from, "%s", arg);
		return 0;
	case 'm':
		if (strlen(arg) >= sizeof o->relay.from_name)
			return -1;
		snprintf(o->relay.from_name, sizeof o->relay.from_name, "%s", arg);
		return 0;
	case 'R':
		o->mail_retry = (int)n;
		return in_range(n, 1, 86400);
	case 'O':
		o->mail_poll = (int)n;
		return in_range(n, 1, 3600);
	case 'U':
		if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0)
			return -1;
		o->set.public_url = arg;
		return 0;
	}
	return 1;
}

/* The command line into o: -1 to go on, else the exit status (usage,
 * --help, --version, a value out of range). */
static int parse_options(int argc, char **argv, struct options *o)
{
	int c, li = 0, r;

	defaults(o);
	while ((c = getopt_long(argc, argv, "", long_opts, &li)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c == 'V') {
			puts("formd " VERSION);
			return 0;
		}
		r = server_option(o, c, optarg);
		if (r == 1)
			r = mail_option(o, c, optarg);
		if (r == 1) {
			fputs(usage, stderr);
			return 2;
		}
		if (r < 0) {
			fprintf(stderr, "formd: --%s %s is out of range (see --help)\n",
			        long_opts[li].name, optarg);
			return 2;
		}
	}
	if (optind < argc || !o->site || !o->db) {
		fputs(usage, stderr);
		return 2;
	}
	return -1;
}

/* What the options name must be there, and fit together: -1 to go on,
 * else the exit status. Fills in the default forum folder (d's). */
static int check_options(struct options *o, struct daemon *d)
{
	struct stat sb;
	struct err e = {0};

	if (stat(o->site, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "formd: %s: no such site folder (build it with bin/portal build)\n",
		        o->site);
		return 1;
	}
	if (check_db_dir(o->db) < 0)
		return 1;
	if (o->relay.url[0]) {
		o->relay.starttls = !o->smtp_plain;
		if (!o->relay.from[0]) {
			fputs("formd: --smtp needs --mail-from ADDR\n", stderr);
			return 2;
		}
		if (mail_init(&e) < 0 ||
		    (o->credentials && mail_relay_credentials(&o->relay, o->credentials, &e) < 0)) {
			fail(NULL, e.msg);
			return 1;
		}
	} else if (o->credentials || o->relay.from[0]) {
		fputs("formd: --smtp-credentials and --mail-from need --smtp URL\n", stderr);
		return 2;
	}
	if (!o->set.forum_dir) {
		d->forum_default = default_forum_dir(o->db);
		if (!d->forum_default) {
			fprintf(stderr, "formd: out of memory\n");
			return 1;
		}
		o->set.forum_dir = d->forum_default;
	}
	return -1;
}

/* Confines the process, then starts the parts in order: the store, the
 * outbox, the hashing pool, the application, the forum pages, HTTP. 0,
 * or -1 after saying why (what started is left in d for stop()). */
static int start(struct options *o, struct daemon *d)
{
	struct err e = {0};
	int c;

	/* Landlock binds this thread and those it starts later: before any */
	c = sandbox_formd(o->site, o->db, o->set.forum_dir, &e);
	if (c < 0 || (c == SANDBOX_ABSENT && o->require_sandbox)) {
		fail("the sandbox", e.msg);
		return -1;
	} else if (c == SANDBOX_ABSENT) {
		fail("running without a sandbox", e.msg);
	}
	if (auth_init(&e) < 0 || !(d->st = store_open(o->db, &e)) ||
	    (o->relay.url[0] &&
	     !(d->ob = outbox_start(d->st, &o->relay, o->mail_retry, o->mail_poll, &e))) ||
	    !(d->pool = auth_pool_new(o->workers, 256, &e)) ||
	    !(o->set.forum = d->fw = forum_writer_new(d->st, o->set.forum_dir, &e)) ||
	    ((o->set.outbox = d->ob), !(d->a = app_new(o->site, d->st, d->pool, &o->set, &e)))) {
		fail(NULL, e.msg);
		return -1;
	}
	if (app_forums(d->a, &e) < 0) {
		fail("the forum pages", e.msg);
		return -1;
	}
	if (o->serve) {
		/* the same folder whatever reloads do: a build switches its contents */
		size_t n = strlen(o->site) + sizeof "/public";

		d->public_dir = malloc(n);
		if (!d->public_dir) {
			fail(NULL, "out of memory");
			return -1;
		}
		snprintf(d->public_dir, n, "%s/public", o->site);
		o->ho.public_dir = d->public_dir;
		o->ho.overlay_dir = o->set.forum_dir;
	}
	o->ho.cookie_name = session_cookie_name(o->set.dev);
	d->h = http_start(&o->ho, app_handle, app_submit, d->a, &e);
	if (!d->h) {
		fail(NULL, e.msg);
		return -1;
	}
	fprintf(stderr, "formd: serving %s on http://%s%s\n", o->site, o->ho.listen,
	        o->serve ? " (with the public site)" : "");
	if (!d->ob)
		fputs("formd: no --smtp relay: e-mails wait in the outbox (formd admin outbox)\n",
		      stderr);
	return 0;
}

/* Until TERM or INT: HUP reads the site again; a quiet while gives back
 * the memory a burst took. */
static void wait_signals(const sigset_t *sigs, struct daemon *d, const char *site)
{
	struct err e = {0};

	for (;;) {
		struct timespec tick = {10, 0};
		int sig = sigtimedwait(sigs, NULL, &tick);

		if (sig < 0) {
			malloc_trim(0);
			continue;
		}
		if (sig != SIGHUP)
			return;
		if (app_reload(d->a, &e) < 0)
			fail("reload failed, the old site stays", e.msg);
		else
			fprintf(stderr, "formd: reloaded %s\n", site);
	}
}

/* The orderly stop (also after a failed start: each part may be NULL).
 * No new connections; every suspended request resumed and answered (the
 * pool and the store's writer, which resume them, still run); the pool
 * drained; then libmicrohttpd stopped; only then the application, the
 * outbox and the store, which the work used, are freed. */
static void stop(struct daemon *d)
{
	http_quiesce(d->h);
	http_drain(d->h, 10);
	/* its last dones answer the last posts, on connections still open */
	forum_writer_free(d->fw);
	auth_pool_free(d->pool);
	http_free(d->h);
	app_free(d->a);
	outbox_stop(d->ob);
	store_close(d->st);
	free(d->public_dir);
	free(d->forum_default);
}

int main(int argc, char **argv)
{
	struct options o;
	struct daemon d;
	sigset_t sigs;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "admin") == 0)
		return admin(argc, argv);
	memset(&d, 0, sizeof d);
	rc = parse_options(argc, argv, &o);
	if (rc < 0)
		rc = check_options(&o, &d);
	if (rc >= 0) {
		free(d.forum_default);
		memset(&o.relay, 0, sizeof o.relay); /* the password */
		return rc;
	}
	/* signals are taken by sigwait, on this thread only: blocked before
	 * any thread starts, so every thread inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = 1;
	if (start(&o, &d) == 0) {
		wait_signals(&sigs, &d, o.site);
		fprintf(stderr, "formd: stopping\n");
		rc = 0;
	}
	stop(&d);
	if (rc == 0)
		fprintf(stderr, "formd: stopped\n");
	if (o.relay.url[0])
		mail_cleanup();
	memset(&o.relay, 0, sizeof o.relay); /* the password */
	return rc;
}
