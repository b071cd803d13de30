#include "clock.h"

#include <time.h>

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
