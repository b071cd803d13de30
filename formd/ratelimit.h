/*
 * ratelimit.h - rate limits kept in memory: how often a client address may
 * post a form, and how failed logins slow down per account and per
 * address. A restart forgets them, which is fine: they only slow down.
 * Thread-safe. The table is bounded (LIMITS_MAX_KEYS): when full, the
 * oldest entries are dropped first.
 */
#ifndef OKIENKO_RATELIMIT_H
#define OKIENKO_RATELIMIT_H

#define LIMITS_MAX_KEYS 65536
#define LIMITS_KEY 300 /* bytes of a key, with its NUL (longer keys are cut) */

struct limits;

struct limits *limits_new(void);
void limits_free(struct limits *l);

/* Counts one use of `key` ("contact:127.0.0.1") in a window of `window`
 * seconds: 0 while at most `max` uses fall in the current window,
 * otherwise the seconds until the window ends (answer 429 with
 * Retry-After). */
int limits_hit(struct limits *l, const char *key, int max, int window, long long now);

/* Failed logins: 0 when `key` may try now, otherwise the seconds to wait.
 * After `free_tries` failures each further failure doubles the wait (1 s,
 * 2 s, 4 s, ... up to `max_wait`). */
int limits_wait(struct limits *l, const char *key, int free_tries, int max_wait, long long now);
void limits_fail(struct limits *l, const char *key, long long now);
/* A successful login clears the key's failures. */
void limits_clear(struct limits *l, const char *key);

#endif
