/*
 * Unit tests of common/retention.c (retention periods: parsing the Polish
 * text, writing it back with the right plural, calendar arithmetic) and of
 * the civil-date conversions of common/clock.c it stands on.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "retention.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define HINT "(write e.g. \"30 dni\", \"6 miesięcy\", \"5 lat\")"

/* Seconds since the epoch of a UTC time, by libc (not by the code under
 * test). */
static long long utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (long long)timegm(&tm);
}

static struct retention period(int n, enum retention_unit unit)
{
	struct retention r;

	r.n = n;
	r.unit = unit;
	return r;
}

/* ---- clock.c: civil dates ---- */

static void test_civil_days(void **state)
{
	long long days, y;
	int m, d;

	(void)state;
	assert_int_equal(clock_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(clock_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(clock_days_from_civil(2000, 3, 1), 11017);
	/* every day from 1600 to 2400 against libc, and back */
	for (days = -135140; days <= 157000; days += 1) {
		struct tm tm;
		time_t t = (time_t)(days * 86400);

		clock_civil_from_days(days, &y, &m, &d);
		gmtime_r(&t, &tm);
		if (y != tm.tm_year + 1900 || m != tm.tm_mon + 1 || d != tm.tm_mday)
			fail_msg("day %lld: %lld-%d-%d, libc says %d-%d-%d", days, y, m, d,
			         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		if (clock_days_from_civil(y, m, d) != days)
			fail_msg("day %lld does not come back", days);
	}
}

/* ---- parsing ---- */

static void parses(const char *text, int n, enum retention_unit unit)
{
	struct retention r = {0, RETENTION_DAYS};
	struct err e = {{0}, ERR_NONE};

	if (retention_parse(text, &r, &e) != 0)
		fail_msg("\"%s\" refused: %s", text, e.msg);
	if (r.n != n || r.unit != unit)
		fail_msg("\"%s\" read as %d %s", text, r.n, retention_unit_name(r.unit));
}

static void refuses(const char *text, const char *msg)
{
	struct retention r = {7, RETENTION_MONTHS};
	struct err e = {{0}, ERR_NONE};

	if (retention_parse(text, &r, &e) != -1)
		fail_msg("\"%s\" accepted as %d %s", text, r.n, retention_unit_name(r.unit));
	assert_string_equal(e.msg, msg);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_int_equal(r.n, 7); /* left alone */
}

static void test_parse_every_form(void **state)
{
	static const struct {
		const char *word;
		enum retention_unit unit;
	} forms[] = {
	    {"dzień", RETENTION_DAYS},      {"dni", RETENTION_DAYS},
	    {"miesiąc", RETENTION_MONTHS},  {"miesiące", RETENTION_MONTHS},
	    {"miesięcy", RETENTION_MONTHS}, {"rok", RETENTION_YEARS},
	    {"lata", RETENTION_YEARS},      {"lat", RETENTION_YEARS},
	};
	static const int ns[] = {1, 2, 4, 5, 12, 22, 100, 1000};
	char text[64];
	size_t i, k;

	(void)state;
	/* any form of the unit, whatever the number */
	for (i = 0; i < sizeof forms / sizeof forms[0]; i++)
		for (k = 0; k < sizeof ns / sizeof ns[0]; k++) {
			snprintf(text, sizeof text, "%d %s", ns[k], forms[i].word);
			parses(text, ns[k], forms[i].unit);
		}
	/* blanks around and between: spaces, tabs, a no-break space */
	parses("  5 lat  ", 5, RETENTION_YEARS);
	parses("30\tdni", 30, RETENTION_DAYS);
	parses("6\xc2\xa0miesięcy", 6, RETENTION_MONTHS);
	parses("2   lata", 2, RETENTION_YEARS);
	parses("010 lat", 10, RETENTION_YEARS);
}

static void test_parse_unset(void **state)
{
	struct retention r = {7, RETENTION_MONTHS};
	struct err e = {{0}, ERR_NONE};

	(void)state;
	assert_int_equal(retention_parse("", &r, &e), 1);
	assert_int_equal(r.n, 7);
	assert_int_equal(r.unit, RETENTION_MONTHS);
	assert_int_equal(e.kind, ERR_NONE);
}

static void test_parse_refuses(void **state)
{
	(void)state;
	refuses("3 tygodnie", "\"3 tygodnie\": unknown unit \"tygodnie\" " HINT);
	refuses("5 tygodni", "\"5 tygodni\": unknown unit \"tygodni\" " HINT);
	refuses("0 dni", "\"0 dni\": the number must be a whole number from 1 to 1000 " HINT);
	refuses("-1 lat", "\"-1 lat\": the number must be a whole number from 1 to 1000 " HINT);
	refuses("1001 lat", "\"1001 lat\": the number must be a whole number from 1 to 1000 " HINT);
	refuses("99999999999999999999999 lat",
	        "\"99999999999999999999999 lat\": the number must be a whole number from 1 to "
	        "1000 " HINT);
	refuses("1,5 roku", "\"1,5 roku\": the number must be a whole number from 1 to 1000 " HINT);
	refuses("5", "\"5\": missing unit " HINT);
	refuses("5 ", "\"5 \": missing unit " HINT);
	refuses("5lat", "\"5lat\": put a space between the number and the unit " HINT);
	refuses("5 lat extra", "\"5 lat extra\": unexpected \"extra\" after the unit " HINT);
	refuses("5 lat.", "\"5 lat.\": unknown unit \"lat.\" " HINT);
	refuses("lat 5", "\"lat 5\": expected a number first " HINT);
	refuses("pięć lat", "\"pięć lat\": expected a number first " HINT);
	refuses("5 Lat", "\"5 Lat\": unknown unit \"Lat\" " HINT);
	refuses("  ", "\"  \": has no period (leave it \"\" when there is none) " HINT);
}

/* A long text is quoted cut (at a character boundary), never overflowing
 * the message. */
static void test_parse_long_text(void **state)
{
	char text[5000];
	struct retention r;
	struct err e = {{0}, ERR_NONE};

	(void)state;
	memcpy(text, "5 ", 2);
	memset(text + 2, 'x', sizeof text - 3);
	text[sizeof text - 1] = '\0';
	assert_int_equal(retention_parse(text, &r, &e), -1);
	assert_non_null(strstr(e.msg, "…\": unknown unit \"xxx"));
	assert_non_null(strstr(e.msg, HINT));
	/* 'ą' is two bytes: a cut may not fall inside one (the 60th byte of
	 * both the text and the unit would) */
	memcpy(text, "5 x", 3);
	for (size_t i = 3; i + 2 < sizeof text; i += 2)
		memcpy(text + i, "ą", 2);
	text[sizeof text - 1] = '\0';
	assert_int_equal(retention_parse(text, &r, &e), -1);
	assert_non_null(strstr(e.msg, "ąą…\": unknown unit \"xąą"));
	assert_non_null(strstr(e.msg, "ąą…\" " HINT));
}

/* ---- text ---- */

static void says(int n, enum retention_unit unit, const char *want)
{
	struct retention r = period(n, unit);
	struct buf b = BUF_INIT;

	retention_text(&r, &b);
	assert_string_equal(b.ptr, want);
	buf_free(&b);
}

static void test_text_plurals(void **state)
{
	static const struct {
		int n;
		const char *days, *months, *years;
	} want[] = {
	    {1, "1 dzień", "1 miesiąc", "1 rok"},
	    {2, "2 dni", "2 miesiące", "2 lata"},
	    {4, "4 dni", "4 miesiące", "4 lata"},
	    {5, "5 dni", "5 miesięcy", "5 lat"},
	    {11, "11 dni", "11 miesięcy", "11 lat"},
	    {12, "12 dni", "12 miesięcy", "12 lat"},
	    {14, "14 dni", "14 miesięcy", "14 lat"},
	    {21, "21 dni", "21 miesięcy", "21 lat"},
	    {22, "22 dni", "22 miesiące", "22 lata"},
	    {25, "25 dni", "25 miesięcy", "25 lat"},
	    {100, "100 dni", "100 miesięcy", "100 lat"},
	    {101, "101 dni", "101 miesięcy", "101 lat"},
	    {102, "102 dni", "102 miesiące", "102 lata"},
	    {112, "112 dni", "112 miesięcy", "112 lat"},
	    {1000, "1000 dni", "1000 miesięcy", "1000 lat"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		says(want[i].n, RETENTION_DAYS, want[i].days);
		says(want[i].n, RETENTION_MONTHS, want[i].months);
		says(want[i].n, RETENTION_YEARS, want[i].years);
	}
}

/* What retention_text writes, retention_parse reads back the same. */
static void test_text_round_trip(void **state)
{
	struct buf b = BUF_INIT;
	int n, u;

	(void)state;
	for (u = RETENTION_DAYS; u <= RETENTION_YEARS; u++)
		for (n = 1; n <= RETENTION_MAX_N; n++) {
			struct retention r = period(n, (enum retention_unit)u), back;

			buf_reset(&b);
			retention_text(&r, &b);
			parses(b.ptr, n, r.unit);
			assert_int_equal(retention_parse(b.ptr, &back, NULL), 0);
		}
	buf_free(&b);
	/* "2 lat", as an editor may write it, is shown as "2 lata" */
	{
		struct retention r;

		assert_int_equal(retention_parse("2 lat", &r, NULL), 0);
		retention_text(&r, &b);
		assert_string_equal(b.ptr, "2 lata");
		buf_free(&b);
	}
}

/* ---- arithmetic ---- */

static void test_add_months(void **state)
{
	struct retention m1 = period(1, RETENTION_MONTHS), m2 = period(2, RETENTION_MONTHS),
	                 m13 = period(13, RETENTION_MONTHS), y1 = period(1, RETENTION_YEARS),
	                 y4 = period(4, RETENTION_YEARS), y5 = period(5, RETENTION_YEARS);

	(void)state;
	/* the last day of February, leap years or not, the time of day kept */
	assert_int_equal(retention_add(&m1, utc(2025, 1, 31, 14, 30, 5)),
	                 utc(2025, 2, 28, 14, 30, 5));
	assert_int_equal(retention_add(&m1, utc(2024, 1, 31, 14, 30, 5)),
	                 utc(2024, 2, 29, 14, 30, 5));
	assert_int_equal(retention_add(&m1, utc(2100, 1, 29, 0, 0, 0)), utc(2100, 2, 28, 0, 0, 0));
	assert_int_equal(retention_add(&m1, utc(2000, 1, 30, 0, 0, 0)), utc(2000, 2, 29, 0, 0, 0));
	assert_int_equal(retention_add(&m1, utc(2026, 3, 31, 23, 59, 59)),
	                 utc(2026, 4, 30, 23, 59, 59));
	assert_int_equal(retention_add(&m1, utc(2026, 1, 15, 10, 0, 0)),
	                 utc(2026, 2, 15, 10, 0, 0));
	/* across the year */
	assert_int_equal(retention_add(&m2, utc(2025, 12, 31, 8, 0, 0)), utc(2026, 2, 28, 8, 0, 0));
	assert_int_equal(retention_add(&m13, utc(2026, 11, 30, 0, 0, 0)),
	                 utc(2027, 12, 30, 0, 0, 0));
	assert_int_equal(retention_add(&y1, utc(2024, 2, 29, 12, 0, 0)),
	                 utc(2025, 2, 28, 12, 0, 0));
	assert_int_equal(retention_add(&y4, utc(2024, 2, 29, 12, 0, 0)),
	                 utc(2028, 2, 29, 12, 0, 0));
	assert_int_equal(retention_add(&y5, utc(2026, 1, 15, 10, 0, 0)),
	                 utc(2031, 1, 15, 10, 0, 0));
	/* before 1970: the time of day is still kept */
	assert_int_equal(retention_add(&m1, utc(1969, 12, 31, 23, 0, 0)),
	                 utc(1970, 1, 31, 23, 0, 0));
	assert_int_equal(retention_add(&m1, utc(1969, 1, 31, 0, 0, 1)), utc(1969, 2, 28, 0, 0, 1));
	assert_int_equal(retention_add(&m1, utc(1968, 1, 30, 23, 0, 0)),
	                 utc(1968, 2, 29, 23, 0, 0));
}

static void test_sub_months(void **state)
{
	struct retention m1 = period(1, RETENTION_MONTHS), m6 = period(6, RETENTION_MONTHS),
	                 y1 = period(1, RETENTION_YEARS), y5 = period(5, RETENTION_YEARS);

	(void)state;
	assert_int_equal(retention_sub(&m1, utc(2025, 3, 31, 9, 15, 0)),
	                 utc(2025, 2, 28, 9, 15, 0));
	assert_int_equal(retention_sub(&m1, utc(2024, 3, 31, 9, 15, 0)),
	                 utc(2024, 2, 29, 9, 15, 0));
	assert_int_equal(retention_sub(&m1, utc(2026, 1, 15, 10, 0, 0)),
	                 utc(2025, 12, 15, 10, 0, 0));
	assert_int_equal(retention_sub(&m6, utc(2026, 8, 31, 0, 0, 0)), utc(2026, 2, 28, 0, 0, 0));
	assert_int_equal(retention_sub(&y1, utc(2028, 2, 29, 6, 0, 0)), utc(2027, 2, 28, 6, 0, 0));
	assert_int_equal(retention_sub(&y5, utc(2031, 1, 15, 10, 0, 0)),
	                 utc(2026, 1, 15, 10, 0, 0));
	assert_int_equal(retention_sub(&m1, utc(1970, 1, 31, 0, 0, 0)), utc(1969, 12, 31, 0, 0, 0));
}

static void test_days(void **state)
{
	struct retention d1 = period(1, RETENTION_DAYS), d30 = period(30, RETENTION_DAYS);
	long long t = utc(2026, 3, 29, 0, 30, 0); /* the night summer time starts: UTC has no gap */

	(void)state;
	assert_int_equal(retention_add(&d1, t), t + 86400);
	assert_int_equal(retention_sub(&d1, t), t - 86400);
	assert_int_equal(retention_add(&d30, utc(2026, 1, 15, 10, 0, 0)),
	                 utc(2026, 2, 14, 10, 0, 0));
	assert_int_equal(retention_sub(&d30, utc(2024, 3, 1, 0, 0, 0)), utc(2024, 1, 31, 0, 0, 0));
}

/* add(sub(x)) never passes x (equal unless a month end was clamped), and
 * sub(now) as a cutoff never takes an item whose period has not passed. */
static void test_add_sub_sanity(void **state)
{
	static const int ns[] = {1, 2, 5, 11, 12, 13, 30, 1000};
	long long start = utc(2023, 1, 1, 0, 0, 0), x;
	int u, k;

	(void)state;
	for (u = RETENTION_DAYS; u <= RETENTION_YEARS; u++)
		for (k = 0; k < (int)(sizeof ns / sizeof ns[0]); k++) {
			struct retention r = period(ns[k], (enum retention_unit)u);

			for (x = start; x < start + 6LL * 366 * 86400; x += 86400 / 2 + 3607) {
				long long back = retention_add(&r, retention_sub(&r, x));
				long long cut = retention_sub(&r, x);
				time_t tt = (time_t)x;
				struct tm tm;

				gmtime_r(&tt, &tm);
				if (back > x)
					fail_msg("%d %s: add(sub(%lld)) = %lld", r.n,
					         retention_unit_name(r.unit), x, back);
				if (tm.tm_mday <= 28 && back != x)
					fail_msg("%d %s: add(sub(%lld)) = %lld, not equal", r.n,
					         retention_unit_name(r.unit), x, back);
				if (u == RETENTION_DAYS &&
				    retention_sub(&r, retention_add(&r, x)) != x)
					fail_msg("days: sub(add(%lld)) differs", x);
				/* just before the cutoff is past the period */
				if (retention_add(&r, cut - 1) > x)
					fail_msg("%d %s: the cutoff for %lld takes %lld too early",
					         r.n, retention_unit_name(r.unit), x, cut - 1);
			}
		}
}

static void test_saturates(void **state)
{
	struct retention y = period(1000, RETENTION_YEARS), d = period(1000, RETENTION_DAYS);

	(void)state;
	assert_true(retention_add(&y, LLONG_MAX) == LLONG_MAX);
	assert_true(retention_add(&d, LLONG_MAX) == LLONG_MAX);
	assert_true(retention_sub(&y, LLONG_MIN) == LLONG_MIN);
	assert_true(retention_sub(&d, LLONG_MIN) == LLONG_MIN);
	assert_true(retention_sub(&y, LLONG_MAX) < LLONG_MAX);
	assert_true(retention_add(&y, LLONG_MIN) > LLONG_MIN);
}

/* ---- kinds ---- */

static void test_kinds(void **state)
{
	static const char *const keys[] = {"accounts", "attempts", "posts",  "contacts",
	                                   "requests", "sessions", "outbox", "audit"};
	size_t i;

	(void)state;
	assert_int_equal(retention_kinds_n, sizeof keys / sizeof keys[0]);
	for (i = 0; i < retention_kinds_n; i++) {
		assert_string_equal(retention_kinds[i].key, keys[i]);
		assert_int_equal(retention_kind_find(keys[i]), (int)i);
		assert_true(retention_kinds[i].label[0] != '\0');
		assert_true(strncmp(retention_kinds[i].since, "od ", 3) == 0);
	}
	assert_string_equal(retention_kinds[3].label, "Wiadomości wysłane formularzem kontaktowym");
	assert_string_equal(retention_kinds[3].since, "od otrzymania wiadomości");
	assert_int_equal(retention_kind_find("forum"), -1);
	assert_int_equal(retention_kind_find(""), -1);
	assert_string_equal(retention_unit_name(RETENTION_DAYS), "days");
	assert_string_equal(retention_unit_name(RETENTION_MONTHS), "months");
	assert_string_equal(retention_unit_name(RETENTION_YEARS), "years");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_civil_days),      cmocka_unit_test(test_parse_every_form),
	    cmocka_unit_test(test_parse_unset),     cmocka_unit_test(test_parse_refuses),
	    cmocka_unit_test(test_parse_long_text), cmocka_unit_test(test_text_plurals),
	    cmocka_unit_test(test_text_round_trip), cmocka_unit_test(test_add_months),
	    cmocka_unit_test(test_sub_months),      cmocka_unit_test(test_days),
	    cmocka_unit_test(test_add_sub_sanity),  cmocka_unit_test(test_saturates),
	    cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests_name("retention", tests, NULL, NULL);
}
