/*
 * ratelimit.h - rate limits kept in memory: how often a client address may
 * post a form, and how failed logins slow down per account and per
 * address. A restart forgets them, which is fine: they only slow down.
 * Thread-safe.
 *
 * The table is bounded (LIMITS_MAX_KEYS). A full table never forgives: it
 * makes room only from entries that no longer limit anyone (a window that
 * has ended, failures cleared or older than LIMITS_FORGET); when every
 * entry still limits, a new key is refused (the calls that take a key
 * return a wait) until one of them expires. So a flood of other keys
 * cannot reset an account's back-off; at worst it makes new keys wait.
 */
#ifndef OKIENKO_RATELIMIT_H
#define OKIENKO_RATELIMIT_H

#define LIMITS_MAX_KEYS 65536
#define LIMITS_KEY 300 /* bytes of a key, with its NUL (longer keys are cut) */
/* Seconds after its last failure that a key's failures are forgotten. */
#define LIMITS_FORGET 3600

struct limits;

/* A new table, or NULL when there is no memory. Freed by limits_free. */
struct limits *limits_new(void);
void limits_free(struct limits *l);

/* Counts one use of `key` ("contact:127.0.0.1") in a window of `window`
 * seconds: 0 while at most `max` uses fall in the current window,
 * otherwise the seconds until the window ends (answer 429 with
 * Retry-After). A full table of live entries: the seconds until one
 * expires (at least 1), and nothing is counted. */
int limits_hit(struct limits *l, const char *key, int max, int window, long long now);

/* Failed logins, checked and counted in two steps: 0 when `key` may try
 * now, otherwise the seconds to wait. After `free_tries` failures each
 * further failure doubles the wait (1 s, 2 s, 4 s, ... up to `max_wait`).
 * Two calls at once may both be told 0: for a check that must hold under
 * concurrency (a password hash), use limits_reserve. limits_fail on a
 * key that is not in a full table is not recorded. */
int limits_wait(struct limits *l, const char *key, int free_tries, int max_wait, long long now);
void limits_fail(struct limits *l, const char *key, long long now);
/* A successful login clears the key's failures. */
void limits_clear(struct limits *l, const char *key);

/* Reserve before the work: in one locked step, checks `key` and, when it
 * may try, counts the attempt as a failure at once (failure in progress).
 * 0: go ahead; otherwise the seconds to wait (nothing counted). The first
 * `free_tries` attempts go ahead, then each waits 1 s, 2 s, 4 s, ... (up
 * to `max_wait`) after the last one: so of N calls at once at most
 * `free_tries` go ahead. A full table of live entries refuses a new key
 * (a wait of at least 1 s). Do not mix with limits_wait/limits_fail on
 * one key (they count the same failures, with the threshold one later). */
int limits_reserve(struct limits *l, const char *key, int free_tries, int max_wait, long long now);
/* The attempt reserved succeeded (a correct password): clears the key. A
 * wrong password needs no call: the reservation already counted it. */
void limits_release_success(struct limits *l, const char *key);
/* The attempt reserved did not happen after all (503, another key said
 * wait): takes back one reservation. */
void limits_unreserve(struct limits *l, const char *key);

#endif
