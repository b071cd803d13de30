/*
 * Unit tests of formd/auth.c: password hashes, the hashing pool, tokens,
 * digests, certificate codes and the constant-time comparison.
 *
 * A real hash costs 64 MiB and about 0.1 s, so the group setup makes one
 * that most tests share, and the few other real ones are counted in
 * comments (7 in all). Hashes with other limits are made here with
 * libsodium's minimum limits (8 KiB), which is why this file, unlike
 * formd/, includes <sodium.h>.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth.h"
#include "err.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PASSWORD "correct horse battery staple"

static char fresh[AUTH_HASH_MAX]; /* auth_hash_password(PASSWORD), made once */

/* Real hash 1. */
static int group_setup(void **state)
{
	struct err e = {0};

	(void)state;
	if (auth_init(&e) < 0 || auth_hash_password(PASSWORD, strlen(PASSWORD), fresh, &e) < 0) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A hash of pw made with libsodium's minimum limits: cheap, and never
 * today's limits. */
static void weak_hash(char out[AUTH_HASH_MAX], const char *pw, size_t len, int alg)
{
	unsigned long long ops = alg == crypto_pwhash_ALG_ARGON2I13
	                             ? crypto_pwhash_argon2i_OPSLIMIT_MIN
	                             : crypto_pwhash_argon2id_OPSLIMIT_MIN;
	size_t mem = alg == crypto_pwhash_ALG_ARGON2I13 ? crypto_pwhash_argon2i_MEMLIMIT_MIN
	                                                : crypto_pwhash_argon2id_MEMLIMIT_MIN;

	assert_int_equal(crypto_pwhash_str_alg(out, pw, len, ops, mem, alg), 0);
}

/* Replaces the first `from` in s by `to` (same length), in place. */
static void replace(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from);

	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
}

/* ---- password hashes ---- */

static void test_hash_format(void **state)
{
	(void)state;
	assert_true(strncmp(fresh, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
	assert_true(strlen(fresh) < AUTH_HASH_MAX);
}

/* Real checks 1 to 4. */
static void test_check_password(void **state)
{
	char changed[AUTH_HASH_MAX];
	struct err e = {0};
	size_t n;

	(void)state;
	assert_int_equal(auth_check_password(PASSWORD, strlen(PASSWORD), fresh, &e), 1);
	assert_int_equal(auth_check_password("wrong", 5, fresh, &e), 0);
	/* one byte of the password changed (the last) */
	assert_int_equal(
	    auth_check_password("correct horse battery staplf", strlen(PASSWORD), fresh, &e), 0);
	/* one character of the stored hash changed, still well formed */
	memcpy(changed, fresh, sizeof changed);
	n = strlen(changed);
	changed[n - 10] = changed[n - 10] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_check_password(PASSWORD, strlen(PASSWORD), changed, &e), 0);
	assert_int_equal(e.kind, ERR_NONE);
}

/* Real hash 2: the salt is random. */
static void test_hash_salted(void **state)
{
	char again[AUTH_HASH_MAX];

	(void)state;
	assert_int_equal(auth_hash_password(PASSWORD, strlen(PASSWORD), again, NULL), 0);
	assert_string_not_equal(again, fresh);
}

static void test_needs_rehash(void **state)
{
	char h[AUTH_HASH_MAX];
	struct err e = {0};

	(void)state;
	assert_int_equal(auth_needs_rehash(fresh), 0);
	/* the same string with another time cost or memory cost */
	memcpy(h, fresh, sizeof h);
	replace(h, ",t=2,", ",t=3,");
	assert_int_equal(auth_needs_rehash(h), 1);
	memcpy(h, fresh, sizeof h);
	replace(h, "m=65536,", "m=32768,");
	assert_int_equal(auth_needs_rehash(h), 1);
	/* made by libsodium with other limits: still checks, needs a rehash */
	weak_hash(h, PASSWORD, strlen(PASSWORD), crypto_pwhash_ALG_ARGON2ID13);
	assert_int_equal(auth_needs_rehash(h), 1);
	assert_int_equal(auth_check_password(PASSWORD, strlen(PASSWORD), h, &e), 1);
	assert_int_equal(auth_check_password("wrong", 5, h, &e), 0);
	/* the older argon2i: checks, always needs a rehash */
	weak_hash(h, PASSWORD, strlen(PASSWORD), crypto_pwhash_ALG_ARGON2I13);
	assert_true(strncmp(h, "$argon2i$", 9) == 0);
	assert_int_equal(auth_needs_rehash(h), 1);
	assert_int_equal(auth_check_password(PASSWORD, strlen(PASSWORD), h, &e), 1);
	assert_int_equal(auth_check_password("wrong", 5, h, &e), 0);
	assert_int_equal(e.kind, ERR_NONE);
}

/* Each is refused by check (-1, ERR_INPUT) and needs a rehash. */
static void test_malformed_hash(void **state)
{
	static const char *const bad[] = {
	    "",
	    "x",
	    "$argon2",
	    "$argon2id$",
	    "$argon2id$v=19$m=65536,t=2,p=1$",
	    ("$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
	     "bWFkZSB1cCBoYXNoIG9mIHRoaXJ0eSB0d28gYnl0ZXMhIQ"),
	    "$2y$10$abcdefghijklmnopqrstuuMp6b6VjWwqnGcYlRHMZgzT0t2HYvWKm",
	    "argon2id$v=19$m=65536,t=2,p=1$",
	};
	char h[AUTH_HASH_MAX + 64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct err e = {0};

		if (auth_check_password(PASSWORD, strlen(PASSWORD), bad[i], &e) != -1)
			fail_msg("check accepted \"%s\"", bad[i]);
		assert_int_equal(e.kind, ERR_INPUT);
		assert_non_null(strstr(e.msg, "malformed password hash"));
		if (auth_needs_rehash(bad[i]) != 1)
			fail_msg("needs_rehash is not 1 for \"%s\"", bad[i]);
	}
	/* the fresh hash damaged: cut short, with a byte more, time cost 0, a
	 * character outside base64, over the length limit */
	for (i = 0; i < 5; i++) {
		struct err e = {0};

		memset(h, 'A', sizeof h);
		memcpy(h, fresh, strlen(fresh) + 1);
		n = strlen(h);
		if (i == 0)
			h[n - 2] = '\0'; /* 41 base64 characters cannot be whole bytes */
		else if (i == 1)
			memcpy(h + n, "$", 2);
		else if (i == 2)
			replace(h, ",t=2,", ",t=0,");
		else if (i == 3)
			h[n - 5] = '!';
		else {
			h[n] = 'A'; /* the 'A's run past AUTH_HASH_MAX */
			h[sizeof h - 1] = '\0';
		}
		if (auth_check_password(PASSWORD, strlen(PASSWORD), h, &e) != -1)
			fail_msg("case %zu: check accepted a damaged hash", i);
		assert_int_equal(e.kind, ERR_INPUT);
		if (auth_needs_rehash(h) != 1)
			fail_msg("case %zu: needs_rehash is not 1 for a damaged hash", i);
	}
	{
		struct err e = {0};

		assert_int_equal(auth_check_password(PASSWORD, strlen(PASSWORD), NULL, &e), -1);
		assert_int_equal(e.kind, ERR_INPUT);
		assert_int_equal(auth_needs_rehash(NULL), 1);
	}
}

/* Real hash 3: the longest password accepted. */
static void test_password_limit(void **state)
{
	static char pw[AUTH_PASSWORD_MAX + 2];
	char h[AUTH_HASH_MAX], weak[AUTH_HASH_MAX];
	struct err e = {0};

	(void)state;
	memset(pw, 'p', AUTH_PASSWORD_MAX + 1);
	memcpy(h, "untouched", 10);
	assert_int_equal(auth_hash_password(pw, AUTH_PASSWORD_MAX + 1, h, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_string_equal(e.msg, "password too long: over 1024 bytes");
	assert_string_equal(h, "");
	e = (struct err){0};
	assert_int_equal(auth_check_password(pw, AUTH_PASSWORD_MAX + 1, fresh, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_string_equal(e.msg, "password too long: over 1024 bytes");
	/* exactly the limit is fine, for both */
	e = (struct err){0};
	assert_int_equal(auth_hash_password(pw, AUTH_PASSWORD_MAX, h, &e), 0);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	weak_hash(weak, pw, AUTH_PASSWORD_MAX, crypto_pwhash_ALG_ARGON2ID13);
	assert_int_equal(auth_check_password(pw, AUTH_PASSWORD_MAX, weak, &e), 1);
	assert_int_equal(auth_check_password(pw, AUTH_PASSWORD_MAX - 1, weak, &e), 0);
	/* an empty password is a password */
	weak_hash(weak, "", 0, crypto_pwhash_ALG_ARGON2ID13);
	assert_int_equal(auth_check_password("", 0, weak, &e), 1);
	assert_int_equal(auth_check_password(NULL, 0, weak, &e), 1);
	assert_int_equal(e.kind, ERR_NONE);
}

/* In a child with its address space capped just above what it uses, the
 * 64 MiB cannot be mapped (no real hash is computed): hashing fails with
 * ERR_NOMEM, checking never matches: -1 with ERR_NOMEM, or 0 with
 * libsodium 1.0.18, which reports a failed allocation as a mismatch. Exit
 * status: 0 right, 1..4 which step was wrong. */
static int nomem_child(void)
{
	struct rlimit rl;
	struct err e = {0};
	char h[AUTH_HASH_MAX];
	unsigned long pages;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 10;
	if (fscanf(f, "%lu", &pages) != 1)
		return 11;
	fclose(f);
	rl.rlim_cur = rl.rlim_max = pages * (unsigned long)sysconf(_SC_PAGESIZE) + (16UL << 20);
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		return 12;
	if (auth_hash_password(PASSWORD, strlen(PASSWORD), h, &e) != -1)
		return 1;
	if (e.kind != ERR_NOMEM || h[0] != '\0')
		return 2;
	e = (struct err){0};
	switch (auth_check_password(PASSWORD, strlen(PASSWORD), fresh, &e)) {
	case -1:
		return e.kind == ERR_NOMEM ? 0 : 3;
	case 0:
		return e.kind == ERR_NONE ? 0 : 3;
	default:
		return 4;
	}
}

static void test_no_memory(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(nomem_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- tokens, digests, codes, comparison ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

#define N_RANDOM 1000

static void test_token(void **state)
{
	static char tokens[N_RANDOM][AUTH_TOKEN_TEXT];
	unsigned char bin[AUTH_TOKEN_BYTES + 1];
	size_t i, j, binlen;

	(void)state;
	for (i = 0; i < N_RANDOM; i++) {
		memset(tokens[i], '#', AUTH_TOKEN_TEXT);
		auth_token(tokens[i]);
		assert_int_equal(strlen(tokens[i]), 43);
		for (j = 0; j < 43; j++)
			if (!strchr(
			        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
			        tokens[i][j]))
				fail_msg("token %s: '%c' is not base64url", tokens[i],
				         tokens[i][j]);
		/* 32 bytes come back out */
		assert_int_equal(sodium_base642bin(bin, sizeof bin, tokens[i], 43, NULL, &binlen,
		                                   NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
		                 0);
		assert_int_equal(binlen, AUTH_TOKEN_BYTES);
	}
	qsort(tokens, N_RANDOM, AUTH_TOKEN_TEXT, cmp_str);
	for (i = 1; i < N_RANDOM; i++)
		if (strcmp(tokens[i - 1], tokens[i]) == 0)
			fail_msg("token %s came twice", tokens[i]);
}

static void test_digest(void **state)
{
	char d[AUTH_DIGEST_TEXT], d2[AUTH_DIGEST_TEXT];
	size_t i;

	(void)state;
	auth_digest("abc", 3, d);
	assert_string_equal(d, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	auth_digest("", 0, d);
	assert_string_equal(d, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	auth_digest(NULL, 0, d2);
	assert_string_equal(d2, d);
	/* the length counts, NULs included */
	auth_digest("abc\0", 4, d);
	assert_int_equal(strlen(d), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", d[i]));
	auth_digest("abc", 3, d2);
	assert_string_not_equal(d, d2);
}

static void test_code(void **state)
{
	static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
	static char codes[N_RANDOM][AUTH_CODE_TEXT];
	int seen[31] = {0};
	size_t i, j;

	(void)state;
	assert_int_equal(strlen(alphabet), 31);
	for (i = 0; i < N_RANDOM; i++) {
		memset(codes[i], '#', AUTH_CODE_TEXT);
		auth_code(codes[i]);
		assert_int_equal(strlen(codes[i]), 19);
		for (j = 0; j < 19; j++) {
			const char *at;

			if (j % 5 == 4) {
				if (codes[i][j] != '-')
					fail_msg("code %s: no '-' at %zu", codes[i], j);
				continue;
			}
			at = strchr(alphabet, codes[i][j]);
			if (!at || codes[i][j] == '\0')
				fail_msg("code %s: '%c' is not in the alphabet", codes[i],
				         codes[i][j]);
			seen[at - alphabet]++;
		}
	}
	/* 16,000 draws, about 516 of each: all 31 come, none far off */
	for (i = 0; i < 31; i++)
		if (seen[i] < 350 || seen[i] > 700)
			fail_msg("'%c' came %d times in 16000", alphabet[i], seen[i]);
	qsort(codes, N_RANDOM, AUTH_CODE_TEXT, cmp_str);
	for (i = 1; i < N_RANDOM; i++)
		if (strcmp(codes[i - 1], codes[i]) == 0)
			fail_msg("code %s came twice", codes[i]);
}

static void test_equal(void **state)
{
	unsigned char a[32], b[32];

	(void)state;
	memset(a, 7, sizeof a);
	memset(b, 7, sizeof b);
	assert_int_equal(auth_equal(a, b, sizeof a), 1);
	b[31] = 8;
	assert_int_equal(auth_equal(a, b, sizeof a), 0);
	assert_int_equal(auth_equal(a, b, 31), 1);
	b[31] = 7;
	b[0] = 6;
	assert_int_equal(auth_equal(a, b, sizeof a), 0);
	assert_int_equal(auth_equal(a, b, 0), 1);
}

/* ---- the pool ---- */

static void test_pool_limits(void **state)
{
	static const int bad[][2] = {{0, 1}, {-1, 1}, {65, 1}, {1, 0}, {1, -5}, {1, 100001}};
	struct auth_pool *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct err e = {0};

		if (auth_pool_new(bad[i][0], bad[i][1], &e) != NULL)
			fail_msg("a pool of %d workers, queue %d", bad[i][0], bad[i][1]);
		assert_int_equal(e.kind, ERR_INPUT);
		assert_non_null(strstr(e.msg, "hashing pool: "));
	}
	p = auth_pool_new(64, 100000, NULL);
	assert_non_null(p);
	auth_pool_free(p);
	p = auth_pool_new(1, 1, NULL);
	assert_non_null(p);
	assert_int_equal(auth_pool_submit(p, NULL, NULL, NULL), -1);
	auth_pool_free(p);
	auth_pool_free(NULL);
}

#define N_JOBS 200

struct many {
	atomic_int fn_runs[N_JOBS];
	atomic_int done_runs[N_JOBS];
	atomic_int done_early; /* done ran before its fn */
	atomic_int running;    /* fn calls under way */
	atomic_int max_running;
	atomic_int on_caller; /* jobs run on the submitting thread */
	pthread_t caller;
};

struct many_job {
	struct many *m;
	int i;
};

static void many_fn(void *arg)
{
	struct many_job *j = arg;
	struct many *m = j->m;
	int cur = atomic_fetch_add(&m->running, 1) + 1;
	int max = atomic_load(&m->max_running);

	while (cur > max && !atomic_compare_exchange_weak(&m->max_running, &max, cur))
		;
	if (pthread_equal(pthread_self(), m->caller))
		atomic_fetch_add(&m->on_caller, 1);
	sleep_ms(2);
	atomic_fetch_add(&m->fn_runs[j->i], 1);
	atomic_fetch_sub(&m->running, 1);
}

static void many_done(void *arg)
{
	struct many_job *j = arg;

	if (atomic_load(&j->m->fn_runs[j->i]) != 1)
		atomic_fetch_add(&j->m->done_early, 1);
	atomic_fetch_add(&j->m->done_runs[j->i], 1);
}

/* 200 jobs on 4 workers: each fn and done exactly once, done after fn, at
 * most 4 at once (and more than 1, or it is no pool). */
static void test_pool_each_once(void **state)
{
	static struct many m;
	static struct many_job jobs[N_JOBS];
	struct auth_pool *p;
	int i;

	(void)state;
	m.caller = pthread_self();
	p = auth_pool_new(4, 256, NULL);
	assert_non_null(p);
	for (i = 0; i < N_JOBS; i++) {
		jobs[i] = (struct many_job){&m, i};
		assert_int_equal(auth_pool_submit(p, many_fn, many_done, &jobs[i]), 0);
	}
	auth_pool_free(p);
	for (i = 0; i < N_JOBS; i++) {
		if (atomic_load(&m.fn_runs[i]) != 1 || atomic_load(&m.done_runs[i]) != 1)
			fail_msg("job %d: fn ran %d times, done %d times", i,
			         atomic_load(&m.fn_runs[i]), atomic_load(&m.done_runs[i]));
	}
	assert_int_equal(atomic_load(&m.done_early), 0);
	assert_int_equal(atomic_load(&m.on_caller), 0);
	assert_true(atomic_load(&m.max_running) <= 4);
	assert_true(atomic_load(&m.max_running) > 1);
}

struct order {
	int seq[100];
	atomic_int n;
};

struct order_job {
	struct order *o;
	int i;
};

static void order_fn(void *arg)
{
	struct order_job *j = arg;

	j->o->seq[atomic_fetch_add(&j->o->n, 1)] = j->i;
}

/* One worker takes the jobs in the order they came. */
static void test_pool_fifo(void **state)
{
	static struct order o;
	static struct order_job jobs[100];
	struct auth_pool *p = auth_pool_new(1, 100, NULL);
	int i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < 100; i++) {
		jobs[i] = (struct order_job){&o, i};
		assert_int_equal(auth_pool_submit(p, order_fn, NULL, &jobs[i]), 0);
	}
	auth_pool_free(p);
	assert_int_equal(atomic_load(&o.n), 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(o.seq[i], i);
}

/* A gate the test opens: the gated job waits on it (5 s at most, so that a
 * submit that blocks shows as slow instead of a hang). */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int open;
	int entered;          /* the gated job is running */
	atomic_int timed_out; /* it gave up waiting */
	atomic_int runs;      /* jobs run, the gated one included */
	atomic_int dones;
	struct auth_pool *pool; /* for late_done */
	atomic_int late_submit; /* what a submit from done returned */
	atomic_int late_ran;    /* jobs submitted from done that ran */
};

static void gate_fn(void *arg)
{
	struct gate *g = arg;
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&g->lock);
	g->entered = 1;
	pthread_cond_broadcast(&g->cond);
	while (!g->open && rc == 0)
		rc = pthread_cond_timedwait(&g->cond, &g->lock, &until);
	if (!g->open)
		atomic_store(&g->timed_out, 1);
	pthread_mutex_unlock(&g->lock);
	atomic_fetch_add(&g->runs, 1);
}

static void count_fn(void *arg)
{
	struct gate *g = arg;

	atomic_fetch_add(&g->runs, 1);
}

static void count_done(void *arg)
{
	struct gate *g = arg;

	atomic_fetch_add(&g->dones, 1);
}

static void late_fn(void *arg)
{
	struct gate *g = arg;

	atomic_fetch_add(&g->late_ran, 1);
}

/* Runs while auth_pool_free is waiting: the pool is stopping. */
static void late_done(void *arg)
{
	struct gate *g = arg;

	atomic_store(&g->late_submit, auth_pool_submit(g->pool, late_fn, NULL, g));
	atomic_fetch_add(&g->dones, 1);
}

static void gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->entered)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = 1;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void gate_init(struct gate *g)
{
	memset(g, 0, sizeof *g);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	atomic_init(&g->late_submit, 99);
}

static void gate_destroy(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

/* One worker held by the gate, a queue of 2: two jobs wait, every further
 * submit fails at once. */
static void test_pool_full_queue(void **state)
{
	static struct gate g;
	struct auth_pool *p;
	double t0, t;
	int i;

	(void)state;
	gate_init(&g);
	p = auth_pool_new(1, 2, NULL);
	assert_non_null(p);
	assert_int_equal(auth_pool_submit(p, gate_fn, count_done, &g), 0);
	gate_wait_entered(&g); /* the worker holds it: the queue is empty */
	assert_int_equal(auth_pool_submit(p, count_fn, count_done, &g), 0);
	assert_int_equal(auth_pool_submit(p, count_fn, count_done, &g), 0);
	t0 = now();
	for (i = 0; i < 10; i++)
		assert_int_equal(auth_pool_submit(p, count_fn, count_done, &g), -1);
	t = now() - t0;
	assert_int_equal(atomic_load(&g.timed_out), 0);
	if (t > 1.0)
		fail_msg("submits to a full queue took %.3f s", t);
	assert_int_equal(atomic_load(&g.runs), 0);
	gate_open(&g);
	auth_pool_free(p);
	assert_int_equal(atomic_load(&g.runs), 3);
	assert_int_equal(atomic_load(&g.dones), 3);
	gate_destroy(&g);
}

static void *open_later(void *arg)
{
	sleep_ms(50);
	gate_open(arg);
	return NULL;
}

/* auth_pool_free while the worker is held and 20 jobs wait: all of them
 * run before it returns, and a job submitted meanwhile is refused. */
static void test_pool_free_drains(void **state)
{
	static struct gate g;
	struct auth_pool *p;
	pthread_t opener;
	int i;

	(void)state;
	gate_init(&g);
	p = auth_pool_new(1, 32, NULL);
	assert_non_null(p);
	g.pool = p;
	assert_int_equal(auth_pool_submit(p, gate_fn, late_done, &g), 0);
	gate_wait_entered(&g);
	for (i = 0; i < 20; i++)
		assert_int_equal(auth_pool_submit(p, count_fn, count_done, &g), 0);
	assert_int_equal(pthread_create(&opener, NULL, open_later, &g), 0);
	auth_pool_free(p);
	assert_int_equal(atomic_load(&g.runs), 21);
	assert_int_equal(atomic_load(&g.dones), 21);
	assert_int_equal(atomic_load(&g.timed_out), 0);
	assert_int_equal(atomic_load(&g.late_submit), -1);
	assert_int_equal(atomic_load(&g.late_ran), 0);
	pthread_join(opener, NULL);
	gate_destroy(&g);
}

static void test_init_again(void **state)
{
	(void)state;
	assert_int_equal(auth_init(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_again),
	    cmocka_unit_test(test_hash_format),
	    cmocka_unit_test(test_check_password),
	    cmocka_unit_test(test_hash_salted),
	    cmocka_unit_test(test_needs_rehash),
	    cmocka_unit_test(test_malformed_hash),
	    cmocka_unit_test(test_password_limit),
	    cmocka_unit_test(test_no_memory),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_digest),
	    cmocka_unit_test(test_code),
	    cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_pool_limits),
	    cmocka_unit_test(test_pool_each_once),
	    cmocka_unit_test(test_pool_fifo),
	    cmocka_unit_test(test_pool_full_queue),
	    cmocka_unit_test(test_pool_free_drains),
	};

	return cmocka_run_group_tests_name("auth", tests, group_setup, NULL);
}
