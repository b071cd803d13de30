#include "retention.h"

#include "clock.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define RANGE "the number must be a whole number from 1 to " STR(RETENTION_MAX_N)
#define HINT "(write e.g. \"30 dni\", \"6 miesięcy\", \"5 lat\")"
/* How much of the editor's text a message quotes, in bytes. */
#define QUOTE_MAX 60

const struct retention_kind retention_kinds[] = {
    {"accounts",
     "Dane osobowe z konta usuniętego przez Użytkownika, jeśli na koncie były wyniki testów "
     "wiedzy lub certyfikaty (dokumentacja Projektu)",
     "od usunięcia konta"},
    {"attempts", "Wyniki testów wiedzy i certyfikaty",
     "od rozwiązania testu lub wydania certyfikatu"},
    {"posts", "Wpisy na forach kursów", "od ostatniego wpisu w danym wątku"},
    {"contacts", "Wiadomości wysłane formularzem kontaktowym", "od otrzymania wiadomości"},
    {"requests", "Wnioski w sprawie ochrony danych osobowych i przebieg ich rozpatrywania",
     "od zrealizowania wniosku lub odmowy jego realizacji"},
    {"sessions", "Dane sesji logowania do konta", "od ostatniego użycia sesji"},
    {"outbox", "Wiadomości e-mail wysłane przez Portal", "od wysłania wiadomości"},
    {"audit", "Rejestr operacji na danych osobowych", "od dokonania wpisu w rejestrze"},
};
const size_t retention_kinds_n = sizeof retention_kinds / sizeof retention_kinds[0];

/* Every form of each unit (any of them is read for any n). */
static const struct {
	const char *word;
	enum retention_unit unit;
} units[] = {
    {"dzień", RETENTION_DAYS},      {"dni", RETENTION_DAYS},        {"miesiąc", RETENTION_MONTHS},
    {"miesiące", RETENTION_MONTHS}, {"miesięcy", RETENTION_MONTHS}, {"rok", RETENTION_YEARS},
    {"lata", RETENTION_YEARS},      {"lat", RETENTION_YEARS},
};

int retention_kind_find(const char *key)
{
	size_t i;

	for (i = 0; i < retention_kinds_n; i++)
		if (strcmp(retention_kinds[i].key, key) == 0)
			return (int)i;
	return -1;
}

const char *retention_unit_name(enum retention_unit unit)
{
	switch (unit) {
	case RETENTION_DAYS:
		return "days";
	case RETENTION_MONTHS:
		return "months";
	case RETENTION_YEARS:
		return "years";
	}
	return "?";
}

/* The length of the blank at p: a space, a tab or a no-break space
 * (U+00A0, which word processors put between a number and its unit). */
static size_t blank(const char *p)
{
	if (*p == ' ' || *p == '\t')
		return 1;
	if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
		return 2;
	return 0;
}

static const char *skip_blanks(const char *p)
{
	size_t n;

	while ((n = blank(p)) > 0)
		p += n;
	return p;
}

/* How many bytes of `s` (len bytes) a message quotes: at most QUOTE_MAX,
 * not cutting a UTF-8 sequence. */
static int quote_len(const char *s, size_t len)
{
	if (len <= QUOTE_MAX)
		return (int)len;
	len = QUOTE_MAX;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return (int)len;
}

/* Sets e to `"TEXT": problem HINT`, the text cut to QUOTE_MAX bytes. */
static int fail(struct err *e, const char *text, const char *problem)
{
	size_t len = strlen(text);
	int q = quote_len(text, len);

	return err_set(e, "\"%.*s%s\": %s " HINT, q, text, (size_t)q < len ? "…" : "", problem);
}

int retention_parse(const char *text, struct retention *r, struct err *e)
{
	const char *p = skip_blanks(text), *word, *end;
	size_t wl, i;
	long n = 0;

	if (text[0] == '\0')
		return 1;
	if (*p == '\0')
		return fail(e, text, "has no period (leave it \"\" when there is none)");
	if ((*p == '-' || *p == '+') && p[1] >= '0' && p[1] <= '9')
		return fail(e, text, RANGE);
	if (*p < '0' || *p > '9')
		return fail(e, text, "expected a number first");
	for (; *p >= '0' && *p <= '9'; p++)
		if (n <= RETENTION_MAX_N)
			n = n * 10 + (*p - '0');
	if (*p == ',' || *p == '.')
		return fail(e, text, RANGE);
	if (*p == '\0')
		return fail(e, text, "missing unit");
	if (!blank(p))
		return fail(e, text, "put a space between the number and the unit");
	word = skip_blanks(p);
	for (end = word; *end && !blank(end); end++)
		;
	wl = (size_t)(end - word);
	if (wl == 0)
		return fail(e, text, "missing unit");
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i].word) == wl && memcmp(units[i].word, word, wl) == 0)
			break;
	if (i == sizeof units / sizeof units[0]) {
		char problem[128];
		int q = quote_len(word, wl);

		snprintf(problem, sizeof problem, "unknown unit \"%.*s%s\"", q, word,
		         (size_t)q < wl ? "…" : "");
		return fail(e, text, problem);
	}
	end = skip_blanks(end);
	if (*end) {
		char problem[128];
		size_t rl = strlen(end);
		int q = quote_len(end, rl);

		snprintf(problem, sizeof problem, "unexpected \"%.*s%s\" after the unit", q, end,
		         (size_t)q < rl ? "…" : "");
		return fail(e, text, problem);
	}
	if (n < 1 || n > RETENTION_MAX_N)
		return fail(e, text, RANGE);
	r->n = (int)n;
	r->unit = units[i].unit;
	return 0;
}

void retention_text(const struct retention *r, struct buf *out)
{
	/* by unit: the form for 1, for 2-4 (but 12-14), for the rest */
	static const char *const forms[3][3] = {
	    {"dzień", "dni", "dni"},
	    {"miesiąc", "miesiące", "miesięcy"},
	    {"rok", "lata", "lat"},
	};
	int n = r->n, f;

	if (n == 1)
		f = 0;
	else if (n % 10 >= 2 && n % 10 <= 4 && !(n % 100 >= 12 && n % 100 <= 14))
		f = 1;
	else
		f = 2;
	buf_printf(out, "%d %s", n, forms[r->unit][f]);
}

/* a + b, saturating at the ends of long long. */
static long long sat_add(long long a, long long b)
{
	if (b > 0 && a > LLONG_MAX - b)
		return LLONG_MAX;
	if (b < 0 && a < LLONG_MIN - b)
		return LLONG_MIN;
	return a + b;
}

static int month_days(long long y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* t moved by `months` calendar months (negative: back), on its UTC date,
 * keeping the time of day; the day clamped to the target month's last. */
static long long add_months(long long t, long long months)
{
	long long days = t / 86400, sec = t % 86400, y, mi;
	int m, d;

	if (sec < 0) { /* floor, so that the time of day is 0..86399 */
		sec += 86400;
		days--;
	}
	clock_civil_from_days(days, &y, &m, &d);
	mi = y * 12 + (m - 1) + months;
	y = mi >= 0 ? mi / 12 : -((-mi + 11) / 12);
	m = (int)(mi - y * 12) + 1;
	if (d > month_days(y, m))
		d = month_days(y, m);
	days = clock_days_from_civil(y, m, d);
	/* |days| stays below 2^47: only the seconds can leave the range */
	if (days > LLONG_MAX / 86400 - 1)
		return LLONG_MAX;
	if (days < LLONG_MIN / 86400 + 1)
		return LLONG_MIN;
	return sat_add(days * 86400, sec);
}

static long long move(const struct retention *r, long long t, int sign)
{
	switch (r->unit) {
	case RETENTION_DAYS:
		return sat_add(t, sign * (long long)r->n * 86400);
	case RETENTION_MONTHS:
		return add_months(t, sign * (long long)r->n);
	case RETENTION_YEARS:
		return add_months(t, sign * (long long)r->n * 12);
	}
	return t;
}

long long retention_add(const struct retention *r, long long t)
{
	return move(r, t, 1);
}

long long retention_sub(const struct retention *r, long long t)
{
	return move(r, t, -1);
}
