#include "ratelimit.h"

#include "strmap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char key[LIMITS_KEY];
	long long window_start; /* limits_hit: when the current window began */
	int count;              /* uses in the window, or failures */
	long long last;         /* the last failure (limits_fail) or use */
	long long seq;          /* insertion order, for dropping the oldest */
};

struct limits {
	pthread_mutex_t lock;
	struct strmap map; /* key -> entry (keys live in the entries) */
	struct entry **all;
	size_t n;
	long long seq;
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

/* Rebuilds the map with the newer half of the entries (the table is full). */
static void drop_oldest(struct limits *l)
{
	size_t i, keep = 0, half = l->n / 2;

	/* entries are appended, so the oldest come first */
	for (i = 0; i < half; i++)
		free(l->all[i]);
	for (i = half; i < l->n; i++)
		l->all[keep++] = l->all[i];
	l->n = keep;
	strmap_free(&l->map);
	memset(&l->map, 0, sizeof l->map);
	for (i = 0; i < l->n; i++)
		if (strmap_put(&l->map, l->all[i]->key, l->all[i]) < 0)
			break;
}

/* The entry for `key`, created when missing; NULL when no memory (the
 * caller then lets the request through: a limit is no reason to fail). */
static struct entry *get(struct limits *l, const char *key, long long now)
{
	struct entry *en = strmap_get(&l->map, key);

	if (en)
		return en;
	if (l->n == LIMITS_MAX_KEYS)
		drop_oldest(l);
	en = calloc(1, sizeof *en);
	if (!en)
		return NULL;
	strncpy(en->key, key, LIMITS_KEY - 1);
	en->window_start = now;
	en->seq = l->seq++;
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
	int wait = 0;

	pthread_mutex_lock(&l->lock);
	en = get(l, key, now);
	if (en) {
		if (now - en->window_start >= window) {
			en->window_start = now;
			en->count = 0;
		}
		if (en->count >= max)
			wait = (int)(en->window_start + window - now);
		else
			en->count++;
		if (wait < 0)
			wait = 0;
	}
	pthread_mutex_unlock(&l->lock);
	return wait;
}

int limits_wait(struct limits *l, const char *key, int free_tries, int max_wait, long long now)
{
	struct entry *en;
	long long wait = 0;

	pthread_mutex_lock(&l->lock);
	en = strmap_get(&l->map, key);
	if (en && en->count > free_tries) {
		int shift = en->count - free_tries - 1;
		long long w = shift >= 20 ? max_wait : 1LL << shift;

		if (w > max_wait)
			w = max_wait;
		wait = en->last + w - now;
		if (wait < 0)
			wait = 0;
	}
	pthread_mutex_unlock(&l->lock);
	return (int)wait;
}

void limits_fail(struct limits *l, const char *key, long long now)
{
	struct entry *en;

	pthread_mutex_lock(&l->lock);
	en = get(l, key, now);
	if (en) {
		en->count++;
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
		en->count = 0;
	pthread_mutex_unlock(&l->lock);
}
