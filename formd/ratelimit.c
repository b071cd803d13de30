#include "ratelimit.h"

#include "strmap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char key[LIMITS_KEY];
	long long window_start; /* limits_hit: when the current window began */
	int window;             /* ... its length in seconds (0: never hit) */
	int hits;               /* uses in the window */
	int fails;              /* failures (and reservations) not yet forgiven */
	long long last;         /* the last failure or reservation */
};

struct limits {
	pthread_mutex_t lock;
	struct strmap map; /* key -> entry (keys live in the entries) */
	struct entry **all;
	size_t n;
	/* the table is full and every entry limits until at least then: new
	 * keys are refused without looking again */
	long long full_until;
};

struct limits *limits_new(void)
{
	struct limits *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->all = calloc(LIMITS_MAX_KEYS, sizeof *l->all);
	if (!l->all) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void limits_free(struct limits *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		free(l->all[i]);
	free(l->all);
	strmap_free(&l->map);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static int hits_live(const struct entry *en, long long now)
{
	return en->hits > 0 && now - en->window_start < en->window;
}

static int fails_live(const struct entry *en, long long now)
{
	return en->fails > 0 && now - en->last < LIMITS_FORGET;
}

/* When the entry stops limiting anyone (then it may be dropped). */
static long long expiry(const struct entry *en, long long now)
{
	long long t = now;

	if (hits_live(en, now))
		t = en->window_start + en->window;
	if (fails_live(en, now) && en->last + LIMITS_FORGET > t)
		t = en->last + LIMITS_FORGET;
	return t;
}

/* Drops the entries that limit no one any more; the live ones all stay.
 * With no memory for the new map nothing is dropped. Sets full_until to
 * the earliest expiry of what stays when the table is still full. */
static void sweep(struct limits *l, long long now)
{
	struct strmap m = STRMAP_INIT;
	long long soonest = 0;
	size_t i, keep = 0;

	for (i = 0; i < l->n; i++) {
		long long t = expiry(l->all[i], now);

		if (t <= now)
			continue;
		if (strmap_put(&m, l->all[i]->key, l->all[i]) < 0) {
			strmap_free(&m);
			l->full_until = now + 1;
			return;
		}
		if (!soonest || t < soonest)
			soonest = t;
	}
	for (i = 0; i < l->n; i++) {
		if (expiry(l->all[i], now) <= now)
			free(l->all[i]);
		else
			l->all[keep++] = l->all[i];
	}
	l->n = keep;
	strmap_free(&l->map);
	l->map = m;
	l->full_until = l->n == LIMITS_MAX_KEYS ? soonest : 0;
}

/* The entry for `key`, created when missing. NULL with *wait 0 when there
 * is no memory (the caller then lets the request through: a limit is no
 * reason to fail); NULL with *wait > 0 when the table is full of entries
 * that still limit (the caller refuses: forgetting one would forgive it). */
static struct entry *get(struct limits *l, const char *key, long long now, int *wait)
{
	struct entry *en = strmap_get(&l->map, key);

	*wait = 0;
	if (en)
		return en;
	if (l->n == LIMITS_MAX_KEYS && now >= l->full_until)
		sweep(l, now);
	if (l->n == LIMITS_MAX_KEYS) {
		long long w = l->full_until - now;

		*wait = w < 1 ? 1 : w > 86400 ? 86400 : (int)w;
		return NULL;
	}
	en = calloc(1, sizeof *en);
	if (!en)
		return NULL;
	strncpy(en->key, key, LIMITS_KEY - 1);
	en->window_start = now;
	if (strmap_put(&l->map, en->key, en) < 0) {
		free(en);
		return NULL;
	}
	l->all[l->n++] = en;
	return en;
}

int limits_hit(struct limits *l, const char *key, int max, int window, long long now)
{
	struct entry *en;
	int wait;

	pthread_mutex_lock(&l->lock);
	en = get(l, key, now, &wait);
	if (en) {
		en->window = window;
		if (now - en->window_start >= window) {
			en->window_start = now;
			en->hits = 0;
		}
		if (en->hits >= max)
			wait = (int)(en->window_start + window - now);
		else
			en->hits++;
		if (wait < 0)
			wait = 0;
	}
	pthread_mutex_unlock(&l->lock);
	return wait;
}

/* The wait doubling from 1 s for the `over`th attempt past the free ones
 * (0: 1 s), at most max_wait, counted from the last failure. */
static long long backoff(const struct entry *en, int over, int max_wait, long long now)
{
	long long w = over >= 20 ? max_wait : 1LL << over;

	if (w > max_wait)
		w = max_wait;
	w = en->last + w - now;
	return w < 0 ? 0 : w;
}

int limits_wait(struct limits *l, const char *key, int free_tries, int max_wait, long long now)
{
	struct entry *en;
	long long wait = 0;

	pthread_mutex_lock(&l->lock);
	en = strmap_get(&l->map, key);
	if (en && fails_live(en, now) && en->fails > free_tries)
		wait = backoff(en, en->fails - free_tries - 1, max_wait, now);
	pthread_mutex_unlock(&l->lock);
	return (int)wait;
}

void limits_fail(struct limits *l, const char *key, long long now)
{
	struct entry *en;
	int wait;

	pthread_mutex_lock(&l->lock);
	en = get(l, key, now, &wait);
	if (en) {
		if (!fails_live(en, now))
			en->fails = 0;
		en->fails++;
		en->last = now;
	}
	pthread_mutex_unlock(&l->lock);
}

void limits_clear(struct limits *l, const char *key)
{
	struct entry *en;

	pthread_mutex_lock(&l->lock);
	en = strmap_get(&l->map, key);
	if (en)
		en->fails = 0;
	pthread_mutex_unlock(&l->lock);
}

int limits_reserve(struct limits *l, const char *key, int free_tries, int max_wait, long long now)
{
	struct entry *en;
	long long wait = 0;
	int refused;

	pthread_mutex_lock(&l->lock);
	en = get(l, key, now, &refused);
	if (!en) {
		pthread_mutex_unlock(&l->lock);
		return refused;
	}
	if (!fails_live(en, now))
		en->fails = 0;
	if (en->fails >= free_tries)
		wait = backoff(en, en->fails - free_tries, max_wait, now);
	if (wait == 0) {
		en->fails++;
		en->last = now;
	}
	pthread_mutex_unlock(&l->lock);
	return (int)wait;
}

void limits_release_success(struct limits *l, const char *key)
{
	limits_clear(l, key);
}

void limits_unreserve(struct limits *l, const char *key)
{
	struct entry *en;

	pthread_mutex_lock(&l->lock);
	en = strmap_get(&l->map, key);
	if (en && en->fails > 0)
		en->fails--;
	pthread_mutex_unlock(&l->lock);
}
