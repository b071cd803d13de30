/*
 * Unit tests of formd/ratelimit.c (the table, its bound, reserving before
 * a hash) and of http_rate_key (formd/http.c: the key a client's address
 * is limited under).
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define T0 1000000LL

static void hits_in_a_window(void **state)
{
	struct limits *l = limits_new();

	(void)state;
	assert_non_null(l);
	assert_int_equal(limits_hit(l, "contact:a", 2, 600, T0), 0);
	assert_int_equal(limits_hit(l, "contact:a", 2, 600, T0 + 1), 0);
	assert_int_equal(limits_hit(l, "contact:a", 2, 600, T0 + 10), 590);
	assert_int_equal(limits_hit(l, "contact:b", 2, 600, T0 + 10), 0);
	assert_int_equal(limits_hit(l, "contact:a", 2, 600, T0 + 600), 0);
	limits_free(l);
}

/* Regression: a full table dropped its older half, so a flood of other
 * keys reset an account's back-off. 10x the table's size of other keys
 * (each window ending a second later, so the table keeps filling up and
 * making room) leave the penalised key as it was. */
static void penalty_survives_a_flood(void **state)
{
	struct limits *l = limits_new();
	long long now = T0;
	int wait, i, refused = 0;
	char key[64];

	(void)state;
	assert_non_null(l);
	for (i = 0; i < 15; i++)
		limits_fail(l, "login:victim@example.pl", T0);
	wait = limits_wait(l, "login:victim@example.pl", 5, 900, T0);
	assert_int_equal(wait, 512);
	for (i = 0; i < 10 * LIMITS_MAX_KEYS; i++) {
		if (i % 10000 == 0)
			now++;
		snprintf(key, sizeof key, "contact:10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255,
		         i & 255);
		refused += limits_hit(l, key, 10, 1, now) != 0;
	}
	assert_int_equal(refused, 0); /* the flood's own keys expired and made room */
	assert_int_equal(limits_wait(l, "login:victim@example.pl", 5, 900, now),
	                 512 - (int)(now - T0));
	limits_free(l);
}

/* A full table whose every entry still limits refuses a new key rather
 * than forget one; once they expire there is room again. */
static void full_table_refuses(void **state)
{
	struct limits *l = limits_new();
	char key[64];
	int i;

	(void)state;
	assert_non_null(l);
	for (i = 0; i < LIMITS_MAX_KEYS; i++) {
		snprintf(key, sizeof key, "login:%d@example.pl", i);
		limits_fail(l, key, T0);
	}
	assert_true(limits_reserve(l, "login:new@example.pl", 5, 900, T0) > 0);
	assert_true(limits_hit(l, "contact:10.0.0.1", 10, 600, T0 + 5) > 0);
	/* every old key still has its failure */
	for (i = 0; i < LIMITS_MAX_KEYS; i++) {
		snprintf(key, sizeof key, "login:%d@example.pl", i);
		assert_int_equal(limits_wait(l, key, 0, 900, T0), 1);
	}
	/* failures are forgotten LIMITS_FORGET after the last: room again */
	assert_int_equal(limits_hit(l, "contact:10.0.0.1", 10, 600, T0 + LIMITS_FORGET), 0);
	assert_int_equal(limits_reserve(l, "login:new@example.pl", 5, 900, T0 + LIMITS_FORGET), 0);
	limits_free(l);
}

/* Reserving: the free attempts, then waits doubling from 1 s; success
 * clears; unreserve takes one back. */
static void reserve_sequence(void **state)
{
	struct limits *l = limits_new();
	int i;

	(void)state;
	assert_non_null(l);
	for (i = 0; i < 3; i++)
		assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0), 0);
	assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0), 1);
	assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0 + 1), 0);
	assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0 + 1), 2);
	assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0 + 3), 0);
	assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0 + 3), 4);
	limits_unreserve(l, "login:x"); /* the last wait's doubling taken back */
	assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0 + 3), 2);
	assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0 + 5), 0);
	limits_release_success(l, "login:x");
	for (i = 0; i < 3; i++)
		assert_int_equal(limits_reserve(l, "login:x", 3, 900, T0 + 5), 0);
	/* the wait stops at max_wait */
	for (i = 0; i < 40; i++)
		limits_fail(l, "login:y", T0);
	assert_int_equal(limits_reserve(l, "login:y", 3, 900, T0), 900);
	limits_free(l);
}

#define NTHREADS 50

struct race {
	struct limits *l;
	pthread_barrier_t start;
	int went; /* guarded by mu */
	pthread_mutex_t mu;
};

static void *racer(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(&r->start);
	if (limits_reserve(r->l, "login:anna@example.pl", 5, 900, T0) == 0) {
		pthread_mutex_lock(&r->mu);
		r->went++;
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

/* Regression: 50 logins at once all passed limits_wait before any failure
 * was counted, so all 50 hashed. Reserved, exactly the allowance goes. */
static void reserve_under_threads(void **state)
{
	struct race r;
	pthread_t t[NTHREADS];
	int i;

	(void)state;
	memset(&r, 0, sizeof r);
	r.l = limits_new();
	assert_non_null(r.l);
	pthread_mutex_init(&r.mu, NULL);
	pthread_barrier_init(&r.start, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer, &r), 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.went, 5);
	pthread_barrier_destroy(&r.start);
	pthread_mutex_destroy(&r.mu);
	limits_free(r.l);
}

static void rate_key(const char *addr, int rc, const char *want)
{
	char out[64];

	assert_int_equal(http_rate_key(addr, out), rc);
	assert_string_equal(out, want);
}

/* Regression: ten addresses of one IPv6 /64 were ten keys. */
static void rate_keys(void **state)
{
	(void)state;
	rate_key("192.0.2.7", 0, "192.0.2.7");
	rate_key("::ffff:192.0.2.7", 0, "192.0.2.7");
	rate_key("2001:db8:1:2::1", 0, "2001:db8:1:2::/64");
	rate_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 0, "2001:db8:1:2::/64");
	rate_key("2001:0db8:0001:0002:ffff:ffff:ffff:ffff", 0, "2001:db8:1:2::/64");
	rate_key("2001:db8:1:3::1", 0, "2001:db8:1:3::/64");
	rate_key("::1", 0, "::/64");
	rate_key("fe80::1:2:3:4", 0, "fe80::/64");
	rate_key("?", -1, "?");
	rate_key("nie-adres", -1, "nie-adres");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hits_in_a_window),      cmocka_unit_test(penalty_survives_a_flood),
	    cmocka_unit_test(full_table_refuses),    cmocka_unit_test(reserve_sequence),
	    cmocka_unit_test(reserve_under_threads), cmocka_unit_test(rate_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
