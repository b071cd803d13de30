#include "clock.h"

#include <stdlib.h>
#include <stdio.h>
#include <time.h>

int clock_parse_now(const char *text, long long *t)
{
	long long y, v = 0;
	int m, d, hh, mm, n = 0;
	size_t i;

	if (!text || !*text)
		return -1;
	for (i = 0; text[i] >= '0' && text[i] <= '9' && i < 18; i++)
		v = v * 10 + (text[i] - '0');
	if (text[i] == '\0') {
		*t = v;
		return 0;
	}
	if (sscanf(text, "%4lld-%2d-%2d %2d:%2d%n", &y, &m, &d, &hh, &mm, &n) != 5 ||
	    text[n] != '\0' || m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 ||
	    hh < 0 || mm < 0)
		return -1;
	v = clock_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60;
	/* the Warsaw offset at that local time: the offset of t - 60 min is
	 * right except in the hour a change skips or repeats */
	v -= (long long)clock_warsaw_offset(v - 3600) * 60;
	*t = v;
	return 0;
}

long long clock_now(void)
{
	long long t;

	if (clock_parse_now(getenv("OKIENKO_NOW"), &t) == 0)
		return t;
	return (long long)time(NULL);
}

double clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void phases_start(struct phases *ph)
{
	ph->n = 0;
	ph->start = clock_mono();
}

void phases_mark(struct phases *ph, const char *name)
{
	double now;

	if (!ph)
		return;
	now = clock_mono();
	if (ph->n < PHASES_MAX) {
		ph->name[ph->n] = name;
		ph->sec[ph->n++] = now - ph->start;
	} else {
		ph->sec[PHASES_MAX - 1] += now - ph->start;
	}
	ph->start = now;
}

/* The broken-down time of `t` in the zone `offset` minutes east of UTC. */
static void local_tm(struct tm *tm, long long t, int offset)
{
	time_t tt = (time_t)(t + (long long)offset * 60);

	gmtime_r(&tt, tm);
}

void fmt_date(struct buf *out, long long t, int offset)
{
	struct tm tm;

	local_tm(&tm, t, offset);
	buf_printf(out, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void fmt_datetime(struct buf *out, long long t, int offset)
{
	struct tm tm;
	int a = offset < 0 ? -offset : offset;

	local_tm(&tm, t, offset);
	buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
	           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	           offset < 0 ? '-' : '+', a / 60, a % 60);
}

long long clock_days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Howard Hinnant's civil_from_days. */
void clock_civil_from_days(long long days, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Seconds since the epoch of 01:00 UTC on the last Sunday of `month`
 * (March or October: both have 31 days) of `year`. */
static long long last_sunday_0100(long long year, int month)
{
	long long d = clock_days_from_civil(year, month, 31);
	long long wd = ((d + 4) % 7 + 7) % 7; /* 0 Sunday: 1970-01-01 was a Thursday */

	return (d - wd) * 86400 + 3600;
}

int clock_warsaw_offset(long long t)
{
	long long days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), y;
	int m, d;

	clock_civil_from_days(days, &y, &m, &d);
	return t >= last_sunday_0100(y, 3) && t < last_sunday_0100(y, 10) ? 120 : 60;
}

void fmt_date_pl(struct buf *out, long long t)
{
	struct buf iso = BUF_INIT;

	fmt_date(&iso, t, clock_warsaw_offset(t));
	if (iso.len == 10) /* YYYY-MM-DD */
		buf_printf(out, "%.2s.%.2s.%.4s", iso.ptr + 8, iso.ptr + 5, iso.ptr);
	else
		buf_add(out, iso.ptr, iso.len);
	buf_free(&iso);
}
