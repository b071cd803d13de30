/*
 * Tests of mail_send() against a real SMTP server: tests/smtp_sink.py
 * (aiosmtpd) on the loopback, started here with posix_spawn, which keeps
 * each message it accepts as DIR/NNNN.eml and its envelope as
 * DIR/NNNN.json. The test reads those bytes itself.
 *
 * Run from the repository's root (tests/run.sh does): the sink's path is
 * relative. The sink runs under Debian's /usr/bin/python3, the one
 * python3-aiosmtpd is installed for; a python3 earlier in PATH (pyenv's,
 * say) may not have it.
 *
 * Every test stops its sink in its teardown, which cmocka runs after a
 * failed assertion too; should this process die, the sink notices its
 * parent is gone and exits.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "mail.h"
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SINK_PYTHON "/usr/bin/python3"
#define SINK "tests/smtp_sink.py"
#define SINK_WAIT_MS 20000
#define FROM "kompetencje@urzad-pracy.example.pl"
#define TO "jan.kowalski@example.com"
#define REFUSED "nikt@example.com"
#define PASSWORD "tajne-haslo-42"
#define POLISH "Potwierdź wniosek – zażółć gęślą jaźń"

static char root[64]; /* this run's mkdtemp folder */

struct sink {
	pid_t pid; /* -1 when not running */
	int port;
	char dir[128];      /* where it keeps messages */
	char portfile[128]; /* where it says its port */
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole file at path into b (reset first); 0, or -1 if it cannot be
 * read. */
static int read_all(const char *path, struct buf *b)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	buf_reset(b);
	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(b, chunk, (size_t)n);
	close(fd);
	return n < 0 || buf_failed(b) ? -1 : 0;
}

/* Starts the sink (port 0: a free one; --fail-rcpt fail_rcpt, --slow
 * slow when not NULL; --stall-data when stall) and waits for its port
 * file. Fails the test when it does not come within SINK_WAIT_MS or the
 * sink exits. */
static void sink_start_args(struct sink *s, int port, const char *fail_rcpt, int stall,
                            const char *slow)
{
	char portarg[16];
	char *argv[12];
	struct buf b = BUF_INIT;
	int i = 0, status, waited;

	unlink(s->portfile);
	snprintf(portarg, sizeof portarg, "%d", port);
	argv[i++] = SINK_PYTHON;
	argv[i++] = SINK;
	argv[i++] = s->dir;
	argv[i++] = s->portfile;
	argv[i++] = "--port";
	argv[i++] = portarg;
	if (fail_rcpt) {
		argv[i++] = "--fail-rcpt";
		argv[i++] = (char *)fail_rcpt;
	}
	if (stall)
		argv[i++] = "--stall-data";
	if (slow) {
		argv[i++] = "--slow";
		argv[i++] = (char *)slow;
	}
	argv[i] = NULL;
	assert_int_equal(posix_spawn(&s->pid, SINK_PYTHON, NULL, NULL, argv, environ), 0);
	for (waited = 0; waited < SINK_WAIT_MS; waited += 20) {
		if (read_all(s->portfile, &b) == 0 && b.len > 0)
			break;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			fail_msg("%s exited (status %d) before saying its port", SINK, status);
		}
		sleep_ms(20);
	}
	if (waited >= SINK_WAIT_MS)
		fail_msg("%s did not say its port within %d ms", SINK, SINK_WAIT_MS);
	s->port = atoi(b.ptr);
	buf_free(&b);
	assert_true(s->port > 0 && s->port < 65536);
	if (port)
		assert_int_equal(s->port, port);
}

static void sink_start(struct sink *s, int port, const char *fail_rcpt)
{
	sink_start_args(s, port, fail_rcpt, 0, NULL);
}

/* Stops the sink, if it runs, and reaps it. */
static void sink_stop(struct sink *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	s->pid = -1;
}

static int sink_setup(void **state)
{
	static int n;
	struct sink *s = calloc(1, sizeof *s);

	if (!s)
		return -1;
	s->pid = -1;
	snprintf(s->dir, sizeof s->dir, "%s/t%d", root, ++n);
	snprintf(s->portfile, sizeof s->portfile, "%s/t%d.port", root, n);
	if (mkdir(s->dir, 0700) < 0) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int sink_teardown(void **state)
{
	sink_stop(*state);
	free(*state);
	return 0;
}

static int group_setup(void **state)
{
	struct err e = {0};

	(void)state;
	signal(SIGPIPE, SIG_IGN); /* as formd's main does: mail.h asks for it */
	strcpy(root, "/tmp/test_mail_smtp.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	if (mail_init(&e) < 0) {
		fprintf(stderr, "mail_init: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mail_cleanup();
	return fs_rmtree(root, NULL);
}

static struct mail_relay relay_to(const struct sink *s)
{
	struct mail_relay r = {0};

	snprintf(r.url, sizeof r.url, "smtp://127.0.0.1:%d", s->port);
	strcpy(r.from, FROM);
	strcpy(r.from_name, "Kompetencje dla pracy");
	r.timeout_s = 10;
	return r;
}

/* A Polish message whose body has the lines SMTP's dot-stuffing is for:
 * one that begins with ".", one that is only "." (which, unstuffed, would
 * end the data early), "..", and a line of 200 characters. */
static void polish_message(struct buf *out, const struct mail_relay *r, const char *to,
                           const char *id)
{
	struct buf body = BUF_INIT;
	struct err e = {0};
	int i;

	buf_puts(&body, "Dzień dobry,\n\n.kropka na początku\n.\n..\n...\n");
	for (i = 0; i < 20; i++)
		buf_puts(&body, i % 2 ? "ąęóśłżźćń " : "abcdefghij");
	buf_puts(&body, "\nspacja na końcu \nPozdrawiamy\n");
	if (mail_format(out, r, to, POLISH, body.ptr, 1700000000LL, id, &e) < 0)
		fail_msg("mail_format: %s", e.msg);
	buf_free(&body);
	assert_non_null(strstr(out->ptr, "\r\n.\r\n"));
	assert_non_null(strstr(out->ptr, "\r\n.kropka"));
}

/* The sink's message n holds exactly msg, and its envelope is from FROM
 * to `to`. */
static void check_delivered(const struct sink *s, int n, const struct buf *msg, const char *to)
{
	char path[160];
	struct buf got = BUF_INIT;
	struct err e = {0};
	const struct val *rcpts;
	struct val *env;

	snprintf(path, sizeof path, "%s/%04d.eml", s->dir, n);
	if (read_all(path, &got) < 0)
		fail_msg("%s: not there", path);
	assert_int_equal(got.len, msg->len);
	assert_memory_equal(got.ptr, msg->ptr, msg->len);
	snprintf(path, sizeof path, "%s/%04d.json", s->dir, n);
	env = json_read_file(path, &e);
	if (!env)
		fail_msg("%s", e.msg);
	assert_string_equal(val_get_str(env, "mail_from", ""), FROM);
	rcpts = val_get(env, "rcpt_tos");
	assert_non_null(rcpts);
	assert_int_equal(rcpts->type, VAL_ARRAY);
	assert_int_equal(rcpts->u.arr.n, 1);
	assert_string_equal(rcpts->u.arr.items[0]->u.str.s, to);
	val_free(env);
	buf_free(&got);
}

static int delivered_count(const struct sink *s)
{
	char path[160];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof path, "%s/%04d.eml", s->dir, n + 1);
		if (access(path, F_OK) < 0)
			return n;
		n++;
	}
}

/* ---- tests ---- */

static void test_send(void **state)
{
	struct sink *s = *state;
	struct mail_relay r;
	struct buf msg = BUF_INIT;
	struct err e = {0};
	long reply = -1;

	sink_start(s, 0, NULL);
	r = relay_to(s);
	polish_message(&msg, &r, TO, "wniosek-1");
	if (mail_send(&r, TO, msg.ptr, msg.len, &reply, &e) < 0)
		fail_msg("mail_send: %s", e.msg);
	assert_int_equal(reply, 250);
	/* the sink writes before it answers 250 */
	assert_int_equal(delivered_count(s), 1);
	check_delivered(s, 1, &msg, TO);
	buf_free(&msg);
}

static void test_rcpt_refused(void **state)
{
	struct sink *s = *state;
	struct mail_relay r;
	struct buf msg = BUF_INIT;
	struct err e = {0};
	char name[64];
	long reply = -1;

	sink_start(s, 0, REFUSED);
	r = relay_to(s);
	polish_message(&msg, &r, REFUSED, "wniosek-2");
	assert_int_equal(mail_send(&r, REFUSED, msg.ptr, msg.len, &reply, &e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_int_equal(reply, 550);
	snprintf(name, sizeof name, "mail relay smtp://127.0.0.1:%d: ", s->port);
	if (strncmp(e.msg, name, strlen(name)) != 0 || !strstr(e.msg, "550"))
		fail_msg("unexpected message: %s", e.msg);
	assert_int_equal(delivered_count(s), 0);
	/* the same relay takes another recipient */
	assert_int_equal(mail_send(&r, TO, msg.ptr, msg.len, NULL, &e), 0);
	assert_int_equal(delivered_count(s), 1);
	buf_free(&msg);
}

/* The relay goes away (connection refused), then comes back on the same
 * port: the next attempt goes through. */
static void test_relay_down_then_back(void **state)
{
	struct sink *s = *state;
	struct mail_relay r;
	struct buf one = BUF_INIT, two = BUF_INIT;
	struct err e = {0};
	char name[64];
	long reply = -1;
	int port;

	sink_start(s, 0, NULL);
	port = s->port;
	r = relay_to(s);
	polish_message(&one, &r, TO, "wniosek-3");
	polish_message(&two, &r, TO, "wniosek-4");
	assert_int_equal(mail_send(&r, TO, one.ptr, one.len, NULL, &e), 0);

	sink_stop(s);
	assert_int_equal(mail_send(&r, TO, two.ptr, two.len, &reply, &e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_int_equal(reply, 0);
	snprintf(name, sizeof name, "mail relay smtp://127.0.0.1:%d: ", port);
	if (strncmp(e.msg, name, strlen(name)) != 0)
		fail_msg("the message does not name the relay: %s", e.msg);

	sink_start(s, port, NULL);
	assert_int_equal(mail_send(&r, TO, two.ptr, two.len, &reply, &e), 0);
	assert_int_equal(reply, 250);
	assert_int_equal(delivered_count(s), 2);
	check_delivered(s, 1, &one, TO);
	check_delivered(s, 2, &two, TO);
	buf_free(&one);
	buf_free(&two);
}

/* The password is nowhere in the errors: not when it would go over plain
 * text (refused before connecting), not when TLS fails, not when the
 * configuration put it in the URL. And STARTTLS, when required, is
 * required: the sink does not offer it, so nothing is sent. */
static void test_errors_keep_secrets(void **state)
{
	struct sink *s = *state;
	struct mail_relay r;
	struct buf msg = BUF_INIT;
	struct err e = {0};
	char url[64];
	long reply = -1;

	sink_start(s, 0, NULL);
	r = relay_to(s);
	polish_message(&msg, &r, TO, "wniosek-5");
	strcpy(r.user, "smtp-user");
	strcpy(r.password, PASSWORD);

	assert_int_equal(mail_send(&r, TO, msg.ptr, msg.len, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_non_null(strstr(e.msg, "need TLS"));
	assert_null(strstr(e.msg, PASSWORD));

	snprintf(r.url, sizeof r.url, "smtps://127.0.0.1:%d", s->port);
	assert_int_equal(mail_send(&r, TO, msg.ptr, msg.len, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_non_null(strstr(e.msg, r.url));
	assert_null(strstr(e.msg, PASSWORD));

	snprintf(r.url, sizeof r.url, "smtp://127.0.0.1:%d", s->port);
	r.starttls = 1;
	assert_int_equal(mail_send(&r, TO, msg.ptr, msg.len, &reply, &e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_non_null(strstr(e.msg, "STARTTLS"));
	assert_int_equal(reply, 0); /* the last reply was EHLO's 250: no refusal */
	assert_null(strstr(e.msg, PASSWORD));

	r = relay_to(s);
	snprintf(r.url, sizeof r.url, "smtp://smtp-user:" PASSWORD "@127.0.0.1:%d", s->port);
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", s->port);
	sink_stop(s);
	assert_int_equal(mail_send(&r, TO, msg.ptr, msg.len, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_non_null(strstr(e.msg, url));
	assert_null(strstr(e.msg, PASSWORD));
	assert_int_equal(delivered_count(s), 0);
	buf_free(&msg);
}

/* A relay that answers each command in time, but is too slow for the
 * whole transfer (1.2 s for each of MAIL, RCPT and the data against a
 * timeout of 2 s): the whole-transfer timeout ends it. */
static void test_timeout_slow(void **state)
{
	struct sink *s = *state;
	struct mail_relay r;
	struct buf msg = BUF_INIT;
	struct err e = {0};
	double t0;

	sink_start_args(s, 0, NULL, 0, "1.2");
	r = relay_to(s);
	r.timeout_s = 2;
	polish_message(&msg, &r, TO, "wniosek-7");
	t0 = now();
	assert_int_equal(mail_send(&r, TO, msg.ptr, msg.len, NULL, &e), -1);
	assert_true(now() - t0 < 6);
	assert_int_equal(e.kind, ERR_IO);
	if (!strstr(e.msg, "timed out") && !strstr(e.msg, "timeout"))
		fail_msg("unexpected message: %s", e.msg);
	assert_int_equal(delivered_count(s), 0);
	buf_free(&msg);
}

/* A relay that takes the connection and never greets: the timeout ends
 * the attempt (libcurl counts the greeting and EHLO as connecting, so
 * here the connect timeout, min(timeout_s, MAIL_CONNECT_TIMEOUT), is the
 * one that fires). The listening socket's backlog completes the
 * handshake; nothing ever accepts it. */
static void test_timeout_greeting(void **state)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof a;
	struct mail_relay r = {0};
	struct err e = {0};
	double t0;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(r.url, sizeof r.url, "smtp://127.0.0.1:%d", ntohs(a.sin_port));
	strcpy(r.from, FROM);
	r.timeout_s = 1;
	t0 = now();
	assert_int_equal(mail_send(&r, TO, "x\r\n", 3, NULL, &e), -1);
	close(fd);
	assert_true(now() - t0 < 5);
	assert_int_equal(e.kind, ERR_IO);
	if (!strstr(e.msg, r.url) || !strstr(e.msg, "timed out"))
		fail_msg("unexpected message: %s", e.msg);
}

/* A relay that takes the data and never answers (the sink waits 30 s,
 * then says 451): the timeout ends the attempt, and mail_send returns
 * without waiting for the relay's answer to QUIT longer than the timeout
 * (libcurl's default for that is 120 s). */
static void test_timeout_data(void **state)
{
	struct sink *s = *state;
	struct mail_relay r;
	struct buf msg = BUF_INIT;
	struct err e = {0};
	long reply = -1;
	double t0;

	sink_start_args(s, 0, NULL, 1, NULL);
	r = relay_to(s);
	r.timeout_s = 2;
	polish_message(&msg, &r, TO, "wniosek-6");
	t0 = now();
	assert_int_equal(mail_send(&r, TO, msg.ptr, msg.len, &reply, &e), -1);
	assert_true(now() - t0 < 10);
	assert_int_equal(e.kind, ERR_IO);
	assert_int_equal(reply, 0); /* the last reply was 354: no refusal */
	if (!strstr(e.msg, r.url) || !strstr(e.msg, "timeout"))
		fail_msg("unexpected message: %s", e.msg);
	assert_int_equal(delivered_count(s), 0);
	buf_free(&msg);
}

static void test_no_relay(void **state)
{
	struct mail_relay r = {0};
	struct err e = {0};

	(void)state;
	strcpy(r.from, FROM);
	assert_int_equal(mail_send(&r, TO, "x\r\n", 3, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_string_equal(e.msg, "no mail relay configured");
	strcpy(r.url, "http://127.0.0.1:1/");
	assert_int_equal(mail_send(&r, TO, "x\r\n", 3, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_non_null(strstr(e.msg, "not an smtp:// or smtps:// URL"));
	strcpy(r.url, "smtp://127.0.0.1:1");
	assert_int_equal(mail_send(&r, "a\r\nRCPT TO:<b@example.com>", "x\r\n", 3, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_non_null(strstr(e.msg, "recipient: a line break"));
}

/* ---- threads ---- */

#define THREADS 4
#define PER_THREAD 3

struct sender {
	pthread_t t;
	const struct mail_relay *r;
	struct buf msgs[PER_THREAD];
	int failed;
	struct err e;
};

static void *send_all(void *arg)
{
	struct sender *s = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		if (mail_send(s->r, TO, s->msgs[i].ptr, s->msgs[i].len, NULL, &s->e) < 0)
			s->failed++;
	return NULL;
}

/* Senders in parallel, each with its own handle: every message arrives
 * whole (found by its Message-ID). */
static void test_parallel(void **state)
{
	struct sink *s = *state;
	struct sender senders[THREADS];
	struct mail_relay r;
	struct buf got = BUF_INIT;
	char id[32], path[160];
	int i, j, n, found;

	sink_start(s, 0, NULL);
	r = relay_to(s);
	memset(senders, 0, sizeof senders);
	for (i = 0; i < THREADS; i++) {
		senders[i].r = &r;
		for (j = 0; j < PER_THREAD; j++) {
			buf_init(&senders[i].msgs[j]);
			snprintf(id, sizeof id, "rownolegle-%d-%d", i, j);
			polish_message(&senders[i].msgs[j], &r, TO, id);
		}
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&senders[i].t, NULL, send_all, &senders[i]), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(senders[i].t, NULL);
	for (i = 0; i < THREADS; i++)
		if (senders[i].failed)
			fail_msg("sender %d: %s", i, senders[i].e.msg);
	assert_int_equal(delivered_count(s), THREADS * PER_THREAD);
	for (i = 0; i < THREADS; i++) {
		for (j = 0; j < PER_THREAD; j++) {
			snprintf(id, sizeof id, "<rownolegle-%d-%d@", i, j);
			found = 0;
			for (n = 1; n <= THREADS * PER_THREAD; n++) {
				snprintf(path, sizeof path, "%s/%04d.eml", s->dir, n);
				assert_int_equal(read_all(path, &got), 0);
				if (strstr(got.ptr, id)) {
					assert_int_equal(got.len, senders[i].msgs[j].len);
					assert_memory_equal(got.ptr, senders[i].msgs[j].ptr,
					                    got.len);
					found++;
				}
			}
			assert_int_equal(found, 1);
			buf_free(&senders[i].msgs[j]);
		}
	}
	buf_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_send, sink_setup, sink_teardown),
	    cmocka_unit_test_setup_teardown(test_rcpt_refused, sink_setup, sink_teardown),
	    cmocka_unit_test_setup_teardown(test_relay_down_then_back, sink_setup, sink_teardown),
	    cmocka_unit_test_setup_teardown(test_errors_keep_secrets, sink_setup, sink_teardown),
	    cmocka_unit_test(test_timeout_greeting),
	    cmocka_unit_test_setup_teardown(test_timeout_data, sink_setup, sink_teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_slow, sink_setup, sink_teardown),
	    cmocka_unit_test(test_no_relay),
	    cmocka_unit_test_setup_teardown(test_parallel, sink_setup, sink_teardown),
	};

	return cmocka_run_group_tests_name("mail_smtp", tests, group_setup, group_teardown);
}
