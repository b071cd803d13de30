/*
 * formd - the portal's only dynamic part: takes the forms' POSTs, renders
 * the few personal pages, and gives staff a command line (formd admin).
 * main() parses options, starts and stops the parts, handles signals;
 * it alone prints usage and exits.
 */
#define _GNU_SOURCE
#include "admin.h"
#include "app.h"
#include "session.h"
#include "auth.h"
#include "escape.h"
#include "forum.h"
#include "http.h"
#include "mail.h"
#include "outbox.h"
#include "sandbox.h"
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
    "       formd admin --db FILE [--site DIR --forum-dir DIR] COMMAND ...\n"
    "                                  (formd admin --db FILE help)\n"
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
    "TERM and INT finish the requests in flight and stop.\n"
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
	if (!db) {
		fputs("usage: formd admin --db FILE [--site DIR --forum-dir DIR] COMMAND ...\n",
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
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
	const char *site = NULL, *db = NULL;
	char *public_dir = NULL;
	struct http_opts ho = {"127.0.0.1:8080", NULL, NULL, 65536, 8, 30, 64, 32 * 1024, NULL, 0, NULL};
	struct app_settings set = {0, 10, 20, 5, 900, 20, NULL, NULL, NULL};
	char *forum_default = NULL;
	/* half the processors hash, so that a flood of logins leaves the
	 * others to everything else */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = ncpu > 2 ? (int)(ncpu / 2) : 1, serve = 0, c, sig, rc = 1, li = 0;
	const char *trusted[16];
	int require_sandbox = 0;
	struct err e = {0};
	struct store *st = NULL;
	struct auth_pool *pool = NULL;
	struct app *a = NULL;
	struct http *h = NULL;
	struct outbox *ob = NULL;
	struct mail_relay relay;
	const char *credentials = NULL;
	int smtp_plain = 0, mail_retry = 60, mail_poll = OUTBOX_POLL;
	sigset_t sigs;
	struct stat sb;

	if (argc >= 2 && strcmp(argv[1], "admin") == 0)
		return admin(argc, argv);
	memset(&relay, 0, sizeof relay);
	while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
		long n = optarg ? strtol(optarg, NULL, 10) : 0;

		switch (c) {
		case 's':
			site = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'l':
			ho.listen = optarg;
			break;
		case 'p':
			serve = 1;
			break;
		case 'D':
			set.dev = 1;
			break;
		case 't':
			if (n < 1 || n > 256)
				goto bad;
			ho.threads = (unsigned)n;
			break;
		case 'w':
			if (n < 1 || n > 64)
				goto bad;
			workers = (int)n;
			break;
		case 'b':
			if (n < 1024 || n > 16 * 1024 * 1024)
				goto bad;
			ho.max_body = (size_t)n;
			break;
		case 'c':
			if (n < 1 || n > 1000000000)
				goto bad;
			set.contact_rate = (int)n;
			break;
		case 'r':
			if (n < 1 || n > 1000000000)
				goto bad;
			set.form_rate = (int)n;
			break;
		case 'P':
			if (n < 1 || n > 1000000000)
				goto bad;
			set.post_rate = (int)n;
			break;
		case 'F':
			set.forum_dir = optarg;
			break;
		case 'T': /* checked by http_start */
			if (ho.ntrusted == sizeof trusted / sizeof trusted[0])
				goto bad;
			trusted[ho.ntrusted++] = optarg;
			ho.trusted = trusted;
			break;
		case 'S':
			require_sandbox = 1;
			break;
		case 'Q':
			if (strlen(optarg) >= sizeof relay.url ||
			    (strncmp(optarg, "smtp://", 7) != 0 &&
			     strncmp(optarg, "smtps://", 8) != 0))
				goto bad;
			snprintf(relay.url, sizeof relay.url, "%s", optarg);
			break;
		case 'N':
			smtp_plain = 1;
			break;
		case 'C':
			credentials = optarg;
			break;
		case 'M':
			if (strlen(optarg) >= sizeof relay.from)
				goto bad;
			snprintf(relay.from, sizeof relay.from, "%s", optarg);
			break;
		case 'm':
			if (strlen(optarg) >= sizeof relay.from_name)
				goto bad;
			snprintf(relay.from_name, sizeof relay.from_name, "%s", optarg);
			break;
		case 'R':
			if (n < 1 || n > 86400)
				goto bad;
			mail_retry = (int)n;
			break;
		case 'O':
			if (n < 1 || n > 3600)
				goto bad;
			mail_poll = (int)n;
			break;
		case 'U':
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0)
				goto bad;
			set.public_url = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			puts("formd " VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc || !site || !db) {
		fputs(usage, stderr);
		return 2;
	}
	if (stat(site, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "formd: %s: no such site folder (build it with bin/portal build)\n",
		        site);
		return 1;
	}
	if (check_db_dir(db) < 0)
		return 1;
	if (relay.url[0]) {
		relay.starttls = !smtp_plain;
		if (!relay.from[0]) {
			fputs("formd: --smtp needs --mail-from ADDR\n", stderr);
			return 2;
		}
		if (mail_init(&e) < 0 ||
		    (credentials && mail_relay_credentials(&relay, credentials, &e) < 0)) {
			fail(NULL, e.msg);
			return 1;
		}
	} else if (credentials || relay.from[0]) {
		fputs("formd: --smtp-credentials and --mail-from need --smtp URL\n", stderr);
		return 2;
	}
	if (!set.forum_dir) {
		forum_default = default_forum_dir(db);
		if (!forum_default) {
			fprintf(stderr, "formd: out of memory\n");
			return 1;
		}
		set.forum_dir = forum_default;
	}
	/* signals are taken by sigwait below, on this thread only */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Landlock binds this thread and those it starts later: before any */
	c = sandbox_formd(site, db, set.forum_dir, &e);
	if (c < 0 || (c == SANDBOX_ABSENT && require_sandbox)) {
		fail("the sandbox", e.msg);
		goto out;
	} else if (c == SANDBOX_ABSENT) {
		fail("running without a sandbox", e.msg);
	}
	if (auth_init(&e) < 0 || !(st = store_open(db, &e)) ||
	    (relay.url[0] && !(ob = outbox_start(st, &relay, mail_retry, mail_poll, &e))) ||
	    !(pool = auth_pool_new(workers, 256, &e)) ||
	    ((set.outbox = ob), !(a = app_new(site, st, pool, &set, &e)))) {
		fail(NULL, e.msg);
		goto out;
	}
	if (app_forums(a, &e) < 0) {
		fail("the forum pages", e.msg);
		goto out;
	}
	if (serve) {
		/* the same folder whatever reloads do: a build switches its contents */
		size_t n = strlen(site) + sizeof "/public";

		public_dir = malloc(n);
		if (!public_dir) {
			fail(NULL, "out of memory");
			goto out;
		}
		snprintf(public_dir, n, "%s/public", site);
		ho.public_dir = public_dir;
		ho.overlay_dir = set.forum_dir;
	}
	ho.cookie_name = session_cookie_name(set.dev);
	h = http_start(&ho, app_handle, app_submit, a, &e);
	if (!h) {
		fail(NULL, e.msg);
		goto out;
	}
	fprintf(stderr, "formd: serving %s on http://%s%s\n", site, ho.listen,
	        serve ? " (with the public site)" : "");
	if (!ob)
		fputs("formd: no --smtp relay: e-mails wait in the outbox (formd admin outbox)\n",
		      stderr);
	for (;;) {
		struct timespec tick = {10, 0};

		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig < 0) {
			/* quiet for a while: give the memory a burst took back */
			malloc_trim(0);
			continue;
		}
		if (sig == SIGHUP) {
			if (app_reload(a, &e) < 0)
				fail("reload failed, the old site stays", e.msg);
			else
				fprintf(stderr, "formd: reloaded %s\n", site);
			continue;
		}
		break;
	}
	fprintf(stderr, "formd: stopping\n");
	rc = 0;
out:
	http_stop(h, 10);
	app_free(a);
	auth_pool_free(pool);
	outbox_stop(ob);
	store_close(st);
	if (relay.url[0])
		mail_cleanup();
	memset(&relay, 0, sizeof relay); /* the password */
	free(public_dir);
	free(forum_default);
	return rc;
bad:
	fprintf(stderr, "formd: --%s %s is out of range (see --help)\n", opts[li].name, optarg);
	return 2;
}
