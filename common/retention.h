/*
 * retention.h - how long each kind of personal data is kept: the periods
 * site.toml's [retention] table states, as editors write them in Polish
 * ("5 lat", "30 dni", "6 miesięcy"). The generator checks them and shows
 * them in the privacy policy ({{< retention >}}); formd's purge applies the
 * same periods, read from private/site.json. One parser and one table of
 * kinds for both, so the promise and the behaviour cannot drift apart.
 *
 * No state, no allocation but through the caller's buffer: thread-safe.
 */
#ifndef OKIENKO_RETENTION_H
#define OKIENKO_RETENTION_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* The largest number of units a period may have. */
#define RETENTION_MAX_N 1000

enum retention_unit { RETENTION_DAYS, RETENTION_MONTHS, RETENTION_YEARS };

struct retention {
	int n; /* 1..RETENTION_MAX_N */
	enum retention_unit unit;
};

/*
 * Parses a period as editors write it: "<n> <unit>", n a whole number from
 * 1 to RETENTION_MAX_N, the unit any grammatical form of dzień (dzień,
 * dni), miesiąc (miesiąc, miesiące, miesięcy) or rok (rok, lata, lat),
 * whatever n is ("2 lat" is read as "2 lata"). Spaces, tabs and no-break
 * spaces may stand around and between the two; nothing else may follow.
 *
 * Returns 0 with *r set; 1 for "" (no period set: *r is left alone); or -1
 * with e saying what is wrong and showing accepted forms, e.g.
 * `"3 tygodnie": unknown unit "tygodnie" (write e.g. "30 dni", "6 miesięcy",
 * "5 lat")` (ERR_INPUT; no place prefix: the caller adds where the text came
 * from). `text` is NUL-terminated: a caller holding a length-counted string
 * that may contain NUL (TOML's \u0000) must refuse it first.
 */
int retention_parse(const char *text, struct retention *r, struct err *e);

/* Appends the period in correct Polish to out: "1 dzień", "2 dni";
 * "1 miesiąc", "3 miesiące", "12 miesięcy", "22 miesiące"; "1 rok",
 * "2 lata", "5 lat", "22 lata", "112 lat". retention_parse reads it back to
 * the same period. */
void retention_text(const struct retention *r, struct buf *out);

/* The unit's name in private/site.json: "days", "months", "years". */
const char *retention_unit_name(enum retention_unit unit);

/*
 * `t` (seconds since the epoch) plus or minus the period. Days are 86400 s
 * each. Months and years move the UTC calendar date and keep the time of
 * day; a day the target month lacks becomes its last day (31 January plus
 * one month is 28 or 29 February; 29 February 2024 plus one year is 28
 * February 2025). Results beyond the range of long long saturate.
 *
 * An item made at `t` is past its period at `now` when
 * retention_add(r, t) <= now. For a query over many items,
 * cutoff = retention_sub(r, now) and "t < cutoff" never takes an item that
 * is not past its period (add and sub are monotonic and
 * retention_add(r, retention_sub(r, x)) <= x); at the end of a month it may
 * keep an item a few days longer than the exact rule.
 */
long long retention_add(const struct retention *r, long long t);
long long retention_sub(const struct retention *r, long long t);

/* A kind of data with a period of its own. All text is Polish, as the
 * privacy policy shows it. */
struct retention_kind {
	const char *key;   /* the site.toml [retention] key: "contacts" */
	const char *label; /* what the policy names: "Wiadomości wysłane formularzem…" */
	const char *since; /* from when the period counts: "od otrzymania wiadomości" */
};

/* Every kind, in the order the policy lists them: accounts, attempts,
 * posts, contacts, requests, sessions, outbox, audit. */
extern const struct retention_kind retention_kinds[];
extern const size_t retention_kinds_n;

/* The index of `key` in retention_kinds, or -1 when it is no kind. */
int retention_kind_find(const char *key);

#endif
