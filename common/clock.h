/*
 * clock.h - time as the build sees it: one monotonic clock for timings,
 * the phases of a run, and commit times written as text.
 */
#ifndef OKIENKO_CLOCK_H
#define OKIENKO_CLOCK_H

#include "buf.h"

#define PHASES_MAX 16

/* Seconds since the epoch now: the wall clock, or the time the
 * environment variable OKIENKO_NOW pins (seconds since the epoch, or
 * "YYYY-MM-DD HH:MM" in Warsaw time), so that staff and tests can try
 * deadlines, overdue lists and purges on a chosen day. A value that cannot
 * be read is ignored (the wall clock). Read once per call; thread-safe as
 * getenv is while nobody sets the environment. */
long long clock_now(void);
/* The time OKIENKO_NOW's text means (as above): 0, or -1 when it is no
 * such time. */
int clock_parse_now(const char *text, long long *t);

/* Seconds on the monotonic clock (for durations only). */
double clock_mono(void);

/* Wall-clock seconds per phase of a run, for --timings. */
struct phases {
	const char *name[PHASES_MAX]; /* borrowed: string literals */
	double sec[PHASES_MAX];
	int n;
	double start; /* when the current phase began */
};

/* Starts timing: the first phase begins now. */
void phases_start(struct phases *ph);
/* Ends the current phase under `name` and begins the next one. Past
 * PHASES_MAX phases the time is added to the last one. NULL ph is fine. */
void phases_mark(struct phases *ph, const char *name);

/* Appends a commit time (seconds since the epoch, its zone `offset` in
 * minutes east of UTC) as YYYY-MM-DD in that zone. */
void fmt_date(struct buf *out, long long t, int offset);
/* ...and as RFC 3339: 2026-11-22T18:20:00+01:00. */
void fmt_datetime(struct buf *out, long long t, int offset);
/* The date of t in Warsaw as Polish letters write it: "28.11.2026". */
void fmt_date_pl(struct buf *out, long long t);

/* The offset of Europe/Warsaw from UTC in minutes at `t` (seconds since
 * the epoch), by the EU rule: summer time (+120) from 01:00 UTC on the last
 * Sunday of March to 01:00 UTC on the last Sunday of October, +60 else.
 * The process's TZ is neither read nor changed. */
int clock_warsaw_offset(long long t);

/* Days from 1970-01-01 to the date y-m-d (m 1..12, d 1..31) of the
 * proleptic Gregorian calendar, negative before it (Howard Hinnant's
 * days_from_civil); and back: the date of day `days`. Exact for |y| up
 * to 10^15 and |days| up to 10^17, which covers every date a long long of
 * seconds reaches. */
long long clock_days_from_civil(long long y, int m, int d);
void clock_civil_from_days(long long days, long long *y, int *m, int *d);

#endif
