/*
 * Unit tests of formd/forms.c: the urlencoded parser, validation against a
 * field table (every type and every message, in Polish, exactly) and the
 * `form` frame the theme's form layouts read.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "forms.h"
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_REQUIRED "To pole jest wymagane."
#define MSG_CHECKBOX "Zaznacz to pole, aby kontynuować."
#define MSG_CHOICE "Wybierz jedną z możliwości."
#define MSG_TOO_LONG "Tekst jest za długi."
#define MSG_CHARS "Tekst zawiera niedozwolone znaki."
#define MSG_EMAIL                                                                                  \
	"Podaj poprawny adres e-mail, np. jan.kowalski@example.pl (bez polskich liter i spacji)."

/* Parses `body` from an exact-size heap copy without a NUL terminator, so
 * that AddressSanitizer catches a read past its end. p must be zeroed. */
static int parse(const char *body, struct pairs *p, struct err *e)
{
	size_t len = strlen(body);
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, body, len);
	rc = form_parse(copy, len, p, e);
	free(copy);
	return rc;
}

/* The value of pair `name`, or NULL. */
static const struct pair *pair(const struct pairs *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	return NULL;
}

static void assert_pair(const struct pairs *p, const char *name, const char *value, size_t len)
{
	const struct pair *x = pair(p, name);

	if (!x)
		fail_msg("no pair named \"%s\"", name);
	assert_int_equal(x->len, len);
	assert_memory_equal(x->value, value, len);
	assert_int_equal(x->value[len], '\0');
}

static void assert_parse_fails(const char *body, const char *msg)
{
	struct pairs p = {0};
	struct err e = {0};

	if (parse(body, &p, &e) != -1)
		fail_msg("\"%s\" parsed", body);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_string_equal(e.msg, msg);
	pairs_free(&p);
	assert_int_equal(p.n, 0);
}

/* ---- parsing ---- */

static void test_parse_basic(void **state)
{
	struct pairs p = {0};
	struct err e = {0};

	(void)state;
	assert_int_equal(parse("first_name=Jan&last_name=Nowak+Kowalski&x=a+b+", &p, &e), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.v[0].name, "first_name");
	assert_string_equal(p.v[1].name, "last_name");
	assert_string_equal(p.v[2].name, "x");
	assert_pair(&p, "first_name", "Jan", 3);
	assert_pair(&p, "last_name", "Nowak Kowalski", 14);
	assert_pair(&p, "x", "a b ", 4);
	pairs_free(&p);
	assert_int_equal(p.n, 0);
	/* the empty body: no pairs */
	assert_int_equal(form_parse(NULL, 0, &p, &e), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(parse("", &p, &e), 0);
	assert_int_equal(p.n, 0);
	pairs_free(&p);
}

static void test_parse_percent(void **state)
{
	struct pairs p = {0};
	struct err e = {0};

	(void)state;
	assert_int_equal(
	    parse("a=%C5%BCaba&b=%3d%26%2B%25&c%3Dd=e%3Df&%41=lower%2fUPPER%2F", &p, &e), 0);
	assert_int_equal(p.n, 4);
	assert_pair(&p, "a",
	            "\xc5\xbc"
	            "aba",
	            5);
	assert_pair(&p, "b", "=&+%", 4);
	/* '=' and '&' split before decoding: escaped ones are data */
	assert_pair(&p, "c=d", "e=f", 3);
	assert_pair(&p, "A", "lower/UPPER/", 12);
	pairs_free(&p);
}

static void test_parse_bad_escapes(void **state)
{
	(void)state;
	assert_parse_fails("a=%G1", "bad %-escape");
	assert_parse_fails("a=%1G", "bad %-escape");
	assert_parse_fails("a=%4", "bad %-escape");
	assert_parse_fails("a=%", "bad %-escape");
	assert_parse_fails("a=%4&b=1", "bad %-escape");
	assert_parse_fails("a=%&b=1", "bad %-escape");
	assert_parse_fails("%zz=1", "bad %-escape");
	assert_parse_fails("b=1&%", "bad %-escape");
	assert_parse_fails("a=%+1", "bad %-escape");
}

/* the pairs decoded before a failure stay in p until pairs_free */
static void test_parse_failure_keeps_earlier_pairs(void **state)
{
	struct pairs p = {0};
	struct err e = {0};

	(void)state;
	assert_int_equal(parse("a=1&b=2&c=%x", &p, &e), -1);
	assert_int_equal(p.n, 2);
	assert_pair(&p, "b", "2", 1);
	pairs_free(&p);
	assert_int_equal(p.n, 0);
}

static void test_parse_empty_pairs_and_no_equals(void **state)
{
	struct pairs p = {0};
	struct err e = {0};

	(void)state;
	assert_int_equal(parse("&&a=1&&b=2&&&flag&=orphan&c=&", &p, &e), 0);
	assert_int_equal(p.n, 5);
	assert_pair(&p, "a", "1", 1);
	assert_pair(&p, "b", "2", 1);
	assert_pair(&p, "flag", "", 0);
	assert_pair(&p, "", "orphan", 6);
	assert_pair(&p, "c", "", 0);
	/* in the body's order */
	assert_string_equal(p.v[2].name, "flag");
	assert_string_equal(p.v[3].name, "");
	pairs_free(&p);
	assert_int_equal(parse("&&&", &p, &e), 0);
	assert_int_equal(p.n, 0);
	/* the value starts after the first '=' */
	assert_int_equal(parse("k==v=", &p, &e), 0);
	assert_pair(&p, "k", "=v=", 3);
	pairs_free(&p);
}

static void test_parse_repeated_name_keeps_first(void **state)
{
	struct pairs p = {0};
	struct err e = {0};

	(void)state;
	assert_int_equal(parse("a=1&b=x&a=2&a%3D=3&%61=4", &p, &e), 0);
	assert_int_equal(p.n, 3);
	assert_pair(&p, "a", "1", 1);
	assert_pair(&p, "a=", "3", 1);
	pairs_free(&p);
}

static void test_parse_too_many_pairs(void **state)
{
	struct pairs p = {0};
	struct err e = {0};
	char body[FORM_MAX_PAIRS * 8 + 16];
	size_t n = 0;
	int i;

	(void)state;
	for (i = 0; i < FORM_MAX_PAIRS; i++)
		n += (size_t)sprintf(body + n, "%sf%d=%d", i ? "&" : "", i, i);
	assert_int_equal(parse(body, &p, &e), 0);
	assert_int_equal(p.n, FORM_MAX_PAIRS);
	assert_pair(&p, "f63", "63", 2);
	pairs_free(&p);
	/* one more */
	strcpy(body + n, "&z=1");
	assert_parse_fails(body, "too many fields (more than 64)");
	/* repeated names count too: they are pairs of the body */
	n = 0;
	for (i = 0; i <= FORM_MAX_PAIRS; i++)
		n += (size_t)sprintf(body + n, "%sa=1", i ? "&" : "");
	assert_parse_fails(body, "too many fields (more than 64)");
	/* empty pieces do not */
	n = 0;
	for (i = 0; i < FORM_MAX_PAIRS; i++)
		n += (size_t)sprintf(body + n, "&&f%d", i);
	assert_int_equal(parse(body, &p, &e), 0);
	assert_int_equal(p.n, FORM_MAX_PAIRS);
	pairs_free(&p);
}

static void test_parse_long_names(void **state)
{
	struct pairs p = {0};
	struct err e = {0};
	char body[4 * FORM_MAX_NAME + 16];
	int i;

	(void)state;
	memset(body, 'n', FORM_MAX_NAME);
	strcpy(body + FORM_MAX_NAME, "=v");
	assert_int_equal(parse(body, &p, &e), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(strlen(p.v[0].name), FORM_MAX_NAME);
	pairs_free(&p);
	memset(body, 'n', FORM_MAX_NAME + 1);
	strcpy(body + FORM_MAX_NAME + 1, "=v");
	assert_parse_fails(body, "field name too long (more than 64 bytes)");
	/* without '=' the whole piece is the name */
	memset(body, 'n', FORM_MAX_NAME + 1);
	body[FORM_MAX_NAME + 1] = '\0';
	assert_parse_fails(body, "field name too long (more than 64 bytes)");
	/* the limit is on the decoded name: 64 escapes are 64 bytes */
	for (i = 0; i < FORM_MAX_NAME; i++)
		memcpy(body + 3 * i, "%41", 3);
	strcpy(body + 3 * FORM_MAX_NAME, "=v");
	assert_int_equal(parse(body, &p, &e), 0);
	assert_int_equal(strlen(p.v[0].name), FORM_MAX_NAME);
	pairs_free(&p);
	for (i = 0; i <= FORM_MAX_NAME; i++)
		memcpy(body + 3 * i, "%41", 3);
	strcpy(body + 3 * (FORM_MAX_NAME + 1), "=v");
	assert_parse_fails(body, "field name too long (more than 64 bytes)");
}

static void test_parse_nul_and_newlines(void **state)
{
	struct pairs p = {0};
	struct err e = {0};

	(void)state;
	assert_int_equal(parse("a=x%00y&b=%00&n%00x=1&t=1%0D%0A2%0D3%0A4&r=%0D%0D%0A", &p, &e), 0);
	assert_int_equal(p.n, 4); /* a name with NUL is dropped */
	assert_pair(&p, "a", "x\0y", 3);
	assert_pair(&p, "b", "\0", 1);
	/* CR LF becomes LF; a lone CR or LF stays */
	assert_pair(&p, "t", "1\n2\r3\n4", 7);
	assert_pair(&p, "r", "\r\n", 2);
	pairs_free(&p);
}

/* bodies cut anywhere: no read past the end (the copy has no NUL) */
static void test_parse_cut_bodies(void **state)
{
	static const char body[] = "first_name=J%C3%B3zef&email=jan%40example.pl&flag&&z=%7e+";
	size_t len = strlen(body), cut;

	(void)state;
	for (cut = 0; cut <= len; cut++) {
		struct pairs p = {0};
		struct err e = {0};
		char *copy = malloc(cut ? cut : 1);
		int rc;

		assert_non_null(copy);
		memcpy(copy, body, cut);
		rc = form_parse(copy, cut, &p, &e);
		/* cuts inside an escape fail, the others succeed */
		if (rc != 0)
			assert_string_equal(e.msg, "bad %-escape");
		assert_true(p.n <= 5);
		pairs_free(&p);
		free(copy);
	}
}

/* ---- validation ---- */

static const char *const statuses[] = {"bezrobotna", "poszukujaca", NULL};

static const struct field reg[] = {
    {"first_name", F_LINE, 1, 10, NULL, "Imię"}, {"bio", F_TEXT, 0, 20, NULL, NULL},
    {"email", F_EMAIL, 1, 254, NULL, NULL},      {"password", F_PASSWORD, 1, 16, NULL, NULL},
    {"status", F_CHOICE, 1, 30, statuses, NULL}, {"terms", F_CHECKBOX, 1, 0, NULL, NULL},
    {"news", F_CHECKBOX, 0, 0, NULL, NULL},      {"website", F_HONEYPOT, 0, 100, NULL, NULL},
};
#define NREG (sizeof reg / sizeof reg[0])

#define VALID_REG                                                                                  \
	"first_name=Jan&email=jan%40example.pl&password=tajne+has%C5%82o&status=bezrobotna&"       \
	"terms=tak"

struct checked {
	struct pairs p;
	struct form f;
};

/* Parses `body` and checks it against fields[0..n); returns nerrors. */
static int check(struct checked *c, const char *body, const struct field *fields, size_t n)
{
	struct err e = {0};

	memset(c, 0, sizeof *c);
	if (parse(body, &c->p, &e) != 0)
		fail_msg("\"%s\": %s", body, e.msg);
	return form_check(&c->f, fields, n, &c->p);
}

/* The message of field `name` (NULL when it has none). */
static const char *msg(const struct checked *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->f.nfields; i++)
		if (strcmp(c->f.fields[i].name, name) == 0)
			return c->f.v[i].error;
	fail_msg("no field %s", name);
	return NULL;
}

static void assert_msg(const struct checked *c, const char *name, const char *want)
{
	const char *got = msg(c, name);

	if (!want && got)
		fail_msg("%s: unexpected message \"%s\"", name, got);
	if (want && !got)
		fail_msg("%s: no message, wanted \"%s\"", name, want);
	if (want)
		assert_string_equal(got, want);
}

/* One field of type `type` checked with the value `enc` (urlencoded):
 * its message or NULL. */
static const char *one(enum field_type type, int required, size_t max, const char *enc)
{
	static struct checked c;
	const struct field fd[] = {
	    {"x", type, required, max, type == F_CHOICE ? statuses : NULL, NULL}};
	char body[512];
	const char *m;

	snprintf(body, sizeof body, "x=%s", enc);
	check(&c, body, fd, 1);
	m = c.f.v[0].error;
	assert_int_equal(c.f.nerrors, m ? 1 : 0);
	pairs_free(&c.p);
	return m;
}

#define assert_ok(type, max, enc)                                                                  \
	do {                                                                                       \
		const char *m_ = one(type, 1, max, enc);                                           \
		if (m_)                                                                            \
			fail_msg("\"%s\" refused: %s", enc, m_);                                   \
	} while (0)
#define assert_refused(type, max, enc, want)                                                       \
	do {                                                                                       \
		const char *m_ = one(type, 1, max, enc);                                           \
		if (!m_)                                                                           \
			fail_msg("\"%s\" accepted", enc);                                          \
		assert_string_equal(m_, want);                                                     \
	} while (0)

static void test_check_valid(void **state)
{
	struct checked c;

	(void)state;
	assert_int_equal(check(&c, VALID_REG "&bio=Lubi%C4%99+ogr%C3%B3d&unknown=1", reg, NREG), 0);
	assert_int_equal(c.f.nerrors, 0);
	assert_int_equal(c.f.spam, 0);
	assert_int_equal(c.f.nfields, NREG);
	assert_string_equal(form_get(&c.f, "first_name"), "Jan");
	assert_string_equal(form_get(&c.f, "email"), "jan@example.pl");
	assert_string_equal(form_get(&c.f, "password"), "tajne hasło");
	assert_string_equal(form_get(&c.f, "status"), "bezrobotna");
	assert_string_equal(form_get(&c.f, "terms"), "tak");
	assert_string_equal(form_get(&c.f, "bio"), "Lubię ogród");
	/* absent: "" from form_get, NULL in the field */
	assert_string_equal(form_get(&c.f, "news"), "");
	assert_null(c.f.v[6].value);
	assert_string_equal(form_get(&c.f, "website"), "");
	/* not in the table */
	assert_string_equal(form_get(&c.f, "unknown"), "");
	/* values are borrowed from the pairs */
	assert_ptr_equal(c.f.v[0].value, pair(&c.p, "first_name")->value);
	pairs_free(&c.p);
}

static void test_check_required_messages(void **state)
{
	struct checked c;

	(void)state;
	assert_int_equal(check(&c, "", reg, NREG), 5);
	assert_msg(&c, "first_name", MSG_REQUIRED);
	assert_msg(&c, "bio", NULL);
	assert_msg(&c, "email", MSG_REQUIRED);
	assert_msg(&c, "password", MSG_REQUIRED);
	assert_msg(&c, "status", MSG_CHOICE);
	assert_msg(&c, "terms", MSG_CHECKBOX);
	assert_msg(&c, "news", NULL);
	assert_msg(&c, "website", NULL);
	pairs_free(&c.p);
	/* present but empty is the same */
	assert_int_equal(
	    check(&c, "first_name=&bio=&email=&password=&status=&terms=&news=&website=", reg, NREG),
	    5);
	assert_msg(&c, "first_name", MSG_REQUIRED);
	assert_msg(&c, "password", MSG_REQUIRED);
	assert_msg(&c, "status", MSG_CHOICE);
	assert_msg(&c, "terms", MSG_CHECKBOX);
	pairs_free(&c.p);
	/* a name without '=' is an empty value: an unchecked box */
	assert_refused(F_CHECKBOX, 0, "", MSG_CHECKBOX);
	assert_int_equal(check(&c, "terms", reg + 5, 1), 1);
	assert_msg(&c, "terms", MSG_CHECKBOX);
	pairs_free(&c.p);
	/* only spaces: empty after trimming (lines, e-mail), blank text */
	assert_refused(F_LINE, 10, "+++", MSG_REQUIRED);
	assert_refused(F_EMAIL, 10, "+%09+", MSG_REQUIRED);
	assert_refused(F_TEXT, 10, "+%0D%0A+", MSG_REQUIRED);
	/* a password is never trimmed: spaces are a password */
	assert_ok(F_PASSWORD, 10, "+++");
	/* not required: empty is fine, whatever the type */
	assert_null(one(F_LINE, 0, 10, ""));
	assert_null(one(F_EMAIL, 0, 10, "++"));
	assert_null(one(F_CHOICE, 0, 10, ""));
	assert_null(one(F_PASSWORD, 0, 10, ""));
	assert_null(one(F_TEXT, 0, 10, "++"));
}

static void test_check_trimming(void **state)
{
	struct checked c;
	const struct pair *pr;

	(void)state;
	assert_int_equal(check(&c,
	                       "first_name=+%09Jan+Maria++&email=%0A+jan%40example.pl+%0D%0A&"
	                       "password=+tajne+has%C5%82o+&status=bezrobotna&terms=tak",
	                       reg, NREG),
	                 0);
	assert_string_equal(form_get(&c.f, "first_name"), "Jan Maria");
	assert_int_equal(c.f.v[0].len, 9);
	assert_string_equal(form_get(&c.f, "email"), "jan@example.pl");
	assert_int_equal(c.f.v[2].len, 14);
	/* the trimmed view points inside the pair */
	pr = pair(&c.p, "first_name");
	assert_ptr_equal(c.f.v[0].value, pr->value + 2);
	assert_string_equal(form_get(&c.f, "password"), " tajne hasło ");
	assert_int_equal(c.f.v[3].len, strlen(" tajne hasło "));
	/* checking the same pairs again gives the same result */
	assert_int_equal(form_check(&c.f, reg, NREG, &c.p), 0);
	assert_string_equal(form_get(&c.f, "first_name"), "Jan Maria");
	assert_int_equal(c.f.v[0].len, 9);
	assert_string_equal(form_get(&c.f, "email"), "jan@example.pl");
	pairs_free(&c.p);
	/* trailing spaces do not count towards the limit */
	assert_ok(F_LINE, 3, "+abc+++");
	/* F_TEXT and F_CHOICE keep their spaces */
	assert_refused(F_TEXT, 3, "+abc", MSG_TOO_LONG);
	assert_refused(F_CHOICE, 30, "bezrobotna+", MSG_CHOICE);
}

static void test_check_max_length(void **state)
{
	(void)state;
	assert_ok(F_LINE, 10, "0123456789");
	assert_refused(F_LINE, 10, "0123456789a", MSG_TOO_LONG);
	assert_ok(F_TEXT, 10, "01234%0A6789");
	assert_refused(F_TEXT, 10, "01234%0A6789a", MSG_TOO_LONG);
	/* CR LF counts as one byte: it becomes LF */
	assert_ok(F_TEXT, 10, "01234%0D%0A6789");
	assert_ok(F_PASSWORD, 10, "0123456789");
	assert_refused(F_PASSWORD, 10, "0123456789a", MSG_TOO_LONG);
	assert_ok(F_EMAIL, 10, "a%40bcde.efg");
	assert_refused(F_EMAIL, 10, "a%40bcdef.efg", MSG_TOO_LONG);
	/* characters, not bytes, as maxlength counts: five Polish letters are
	 * five, though they take ten bytes */
	assert_ok(F_LINE, 5, "%C5%BC%C5%BC%C5%BC%C5%BC%C5%BC");
	assert_refused(F_LINE, 5, "%C5%BC%C5%BC%C5%BC%C5%BC%C5%BCa", MSG_TOO_LONG);
	assert_ok(F_LINE, 10, "%C5%BC%C5%BC%C5%BC%C5%BC%C5%BCabcde");
	assert_ok(F_CHOICE, 10, "bezrobotna");
	assert_refused(F_CHOICE, 9, "bezrobotna", MSG_TOO_LONG);
	/* max 0: no limit of the field's own */
	assert_ok(F_LINE, 0, "0123456789012345678901234567890123456789");
}

static void test_check_invalid_utf8(void **state)
{
	static const char *const bad[] = {
	    "%C5",          /* truncated */
	    "a%C5a",        /* a continuation missing */
	    "%80",          /* a lone continuation byte */
	    "%C0%80",       /* overlong NUL */
	    "%E0%80%AF",    /* overlong '/' */
	    "%ED%A0%80",    /* a surrogate */
	    "%F4%90%80%80", /* above U+10FFFF */
	    "%FF",
	};
	static const enum field_type types[] = {F_LINE, F_TEXT, F_EMAIL, F_PASSWORD, F_CHOICE};
	size_t i, t;

	(void)state;
	for (t = 0; t < sizeof types / sizeof types[0]; t++)
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
			assert_refused(types[t], 100, bad[i], MSG_CHARS);
	assert_refused(F_CHECKBOX, 0, "%FF", MSG_CHARS);
	/* valid multi-byte text passes: 2, 3 and 4 bytes */
	assert_ok(F_LINE, 100, "Za%C5%BC%C3%B3%C5%82%C4%87+%E2%82%AC+%F0%9F%98%80");
}

static void test_check_control_characters(void **state)
{
	static const char *const bad_everywhere[] = {
	    "a%00b", "%01", "a%1Bb", "a%7Fb", "a%0Bb", "a%0Cb", "%C2%80", "a%C2%85b", "%C2%9F",
	};
	static const char *const bad_in_line[] = {"a%09b", "a%0Ab", "a%0D%0Ab", "a%0Db"};
	static const enum field_type types[] = {F_LINE, F_TEXT, F_EMAIL, F_PASSWORD};
	size_t i, t;
	struct checked c;
	struct pairs p = {0};

	(void)state;
	for (t = 0; t < sizeof types / sizeof types[0]; t++)
		for (i = 0; i < sizeof bad_everywhere / sizeof bad_everywhere[0]; i++)
			assert_refused(types[t], 100, bad_everywhere[i], MSG_CHARS);
	for (i = 0; i < sizeof bad_in_line / sizeof bad_in_line[0]; i++) {
		assert_refused(F_LINE, 100, bad_in_line[i], MSG_CHARS);
		assert_refused(F_PASSWORD, 100, bad_in_line[i], MSG_CHARS);
	}
	assert_refused(F_CHOICE, 100, "bezrobotna%00", MSG_CHARS);
	/* a multi-line field takes tab, LF and CR LF (as LF), not a lone CR */
	assert_int_equal(check(&c, "bio=a%09b%0D%0Ac%0Ad", reg + 1, 1), 0);
	assert_int_equal(c.f.v[0].len, 7);
	assert_memory_equal(c.f.v[0].value, "a\tb\nc\nd", 7);
	pairs_free(&c.p);
	assert_refused(F_TEXT, 100, "a%0Db", MSG_CHARS);
	assert_refused(F_TEXT, 100, "a%0D", MSG_CHARS);
	assert_refused(F_TEXT, 100, "a%0D%0Db", MSG_CHARS);
	assert_ok(F_TEXT, 100, "%C2%A0%C2%A0"); /* U+00A0 is no control */
	/* CR LF is allowed in F_TEXT when the pairs did not come from the parser */
	p.v[0].name = strdup("bio");
	p.v[0].value = strdup("a\r\nb");
	p.v[0].len = 4;
	p.n = 1;
	assert_non_null(p.v[0].name);
	assert_non_null(p.v[0].value);
	memset(&c, 0, sizeof c);
	assert_int_equal(form_check(&c.f, reg + 1, 1, &p), 0);
	assert_int_equal(c.f.v[0].len, 4);
	p.v[0].value[2] = 'x'; /* "a\rxb": a lone CR */
	assert_int_equal(form_check(&c.f, reg + 1, 1, &p), 1);
	assert_string_equal(c.f.v[0].error, MSG_CHARS);
	pairs_free(&p);
}

static void test_check_email(void **state)
{
	static const char *const good[] = {
	    "jan.kowalski%40example.pl",
	    "a%40b.c",
	    "jan%2Bpup%40urzad.gov.pl",
	    "JAN_1-2%40Example.COM",
	};
	static const char *const bad[] = {
	    "jan", "%40example.pl", "jan%40", "jan%40localhost", "a%40b%40c.pl",
	    "jan+kowalski%40x.pl", "jan%40x..pl", "jan%40.x.pl", "jan%40x.pl.", "a%2Cb%40x.pl",
	    "%3Cjan%40x.pl%3E", "jan%40x%C2%A0y.pl", "jan%40x%E3%80%80y.pl", "%22jan%22%40x.pl",
	    "jan%40%5B1.2.3.4%5D", "jan%3Ba%40x.pl",
	    /* ASCII only: one canonical form, no look-alikes (issue 12, finding 1) */
	    "za%C5%BC%C3%B3%C5%82%C4%87%40g%C4%99%C5%9Bla.pl",
	    "jan%40ex%D0%B0mple.pl", /* a Cyrillic a */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_ok(F_EMAIL, 254, good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_refused(F_EMAIL, 254, bad[i], MSG_EMAIL);
	/* control characters come first */
	assert_refused(F_EMAIL, 254, "jan%40x.pl%0Abcc%40y.pl", MSG_CHARS);
}

static void test_check_choice(void **state)
{
	const struct field any[] = {{"x", F_CHOICE, 1, 20, NULL, NULL}};
	struct checked c;

	(void)state;
	assert_ok(F_CHOICE, 30, "bezrobotna");
	assert_ok(F_CHOICE, 30, "poszukujaca");
	assert_refused(F_CHOICE, 30, "Bezrobotna", MSG_CHOICE);
	assert_refused(F_CHOICE, 30, "bezrobotn", MSG_CHOICE);
	assert_refused(F_CHOICE, 30, "bezrobotnaa", MSG_CHOICE);
	assert_refused(F_CHOICE, 30, "inna", MSG_CHOICE);
	/* not required: a wrong value is still wrong */
	assert_string_equal(one(F_CHOICE, 0, 30, "inna"), MSG_CHOICE);
	/* without `choices` the caller checks the value */
	assert_int_equal(check(&c, "x=cokolwiek", any, 1), 0);
	assert_string_equal(form_get(&c.f, "x"), "cokolwiek");
	pairs_free(&c.p);
}

static void test_check_checkbox_and_honeypot(void **state)
{
	struct checked c;

	(void)state;
	assert_ok(F_CHECKBOX, 0, "tak");
	assert_ok(F_CHECKBOX, 0, "on");
	assert_ok(F_CHECKBOX, 0, "1");
	assert_refused(F_CHECKBOX, 0, "", MSG_CHECKBOX);
	assert_null(one(F_CHECKBOX, 0, 0, ""));
	/* a filled honeypot marks spam, with no message */
	assert_int_equal(check(&c, VALID_REG "&website=http%3A%2F%2Fspam", reg, NREG), 0);
	assert_int_equal(c.f.spam, 1);
	assert_msg(&c, "website", NULL);
	pairs_free(&c.p);
	assert_int_equal(check(&c, VALID_REG "&website=", reg, NREG), 0);
	assert_int_equal(c.f.spam, 0);
	pairs_free(&c.p);
	assert_int_equal(check(&c, VALID_REG "&website=+", reg, NREG), 0);
	assert_int_equal(c.f.spam, 1);
	pairs_free(&c.p);
	/* any bytes in a honeypot: spam, not a message */
	assert_int_equal(check(&c, VALID_REG "&website=%00%FF", reg, NREG), 0);
	assert_int_equal(c.f.spam, 1);
	pairs_free(&c.p);
}

static void test_check_nerrors_and_repeats(void **state)
{
	struct checked c;

	(void)state;
	/* the first of repeated names is the one checked */
	assert_int_equal(check(&c, VALID_REG "&first_name=Anna&status=inna", reg, NREG), 0);
	assert_string_equal(form_get(&c.f, "first_name"), "Jan");
	pairs_free(&c.p);
	assert_int_equal(
	    check(&c,
	          "first_name=%FF&email=x&password=12345678901234567&status=bezrobotna&"
	          "terms=tak",
	          reg, NREG),
	    3);
	assert_int_equal(c.f.nerrors, 3);
	assert_msg(&c, "first_name", MSG_CHARS);
	assert_msg(&c, "email", MSG_EMAIL);
	assert_msg(&c, "password", MSG_TOO_LONG);
	assert_msg(&c, "status", NULL);
	pairs_free(&c.p);
}

/* a table longer than FORM_MAX_FIELDS never passes */
static void test_check_table_too_long(void **state)
{
	struct field many[FORM_MAX_FIELDS + 1];
	struct checked c;
	size_t i;

	(void)state;
	for (i = 0; i < FORM_MAX_FIELDS + 1; i++) {
		many[i].name = "x";
		many[i].type = F_LINE;
		many[i].required = 0;
		many[i].max = 10;
		many[i].choices = NULL;
	}
	assert_int_equal(check(&c, "x=1", many, FORM_MAX_FIELDS), 0);
	pairs_free(&c.p);
	assert_int_equal(check(&c, "x=1", many, FORM_MAX_FIELDS + 1), 1);
	assert_int_equal(c.f.nfields, FORM_MAX_FIELDS);
	pairs_free(&c.p);
}

static void test_form_fail(void **state)
{
	struct checked c;

	(void)state;
	assert_int_equal(check(&c, VALID_REG, reg, NREG), 0);
	form_fail(&c.f, "password", "Hasła się różnią.");
	assert_int_equal(c.f.nerrors, 1);
	assert_msg(&c, "password", "Hasła się różnią.");
	/* overriding a message does not count the field twice */
	form_fail(&c.f, "password", "Hasło jest za krótkie.");
	assert_int_equal(c.f.nerrors, 1);
	assert_msg(&c, "password", "Hasło jest za krótkie.");
	form_fail(&c.f, "email", "Ten adres jest już zajęty.");
	assert_int_equal(c.f.nerrors, 2);
	/* the value stays */
	assert_string_equal(form_get(&c.f, "email"), "jan@example.pl");
	/* a name the table lacks still makes the form fail */
	form_fail(&c.f, "no_such_field", "x");
	assert_int_equal(c.f.nerrors, 3);
	/* a NULL message gets a generic one */
	form_fail(&c.f, "first_name", NULL);
	assert_int_equal(c.f.nerrors, 4);
	assert_msg(&c, "first_name", "Popraw to pole.");
	pairs_free(&c.p);
	/* overriding a message form_check set */
	assert_int_equal(check(&c, "", reg, NREG), 5);
	form_fail(&c.f, "email", "Inny komunikat.");
	assert_int_equal(c.f.nerrors, 5);
	assert_msg(&c, "email", "Inny komunikat.");
	pairs_free(&c.p);
}

/* ---- the frame ---- */

static const char *str_at(const struct val *root, const char *path)
{
	const struct val *v = val_path(root, path);

	if (!v)
		fail_msg("no %s in the frame", path);
	if (v->type != VAL_STRING)
		fail_msg("%s is a %s", path, val_type_name(v->type));
	return v->u.str.s;
}

static void assert_true_at(const struct val *root, const char *path)
{
	const struct val *v = val_path(root, path);

	if (!v || v->type != VAL_BOOL || !v->u.b)
		fail_msg("%s is not true in the frame", path);
}

static void test_frame_valid(void **state)
{
	struct checked c;
	struct val *fr;

	(void)state;
	assert_int_equal(check(&c, VALID_REG "&news=on&website=", reg, NREG), 0);
	fr = form_frame(&c.f, NULL);
	assert_non_null(fr);
	assert_int_equal(fr->type, VAL_TABLE);
	assert_string_equal(str_at(fr, "values.first_name"), "Jan");
	assert_string_equal(str_at(fr, "values.email"), "jan@example.pl");
	assert_string_equal(str_at(fr, "values.status"), "bezrobotna");
	assert_null(val_path(fr, "values.password"));
	assert_null(val_path(fr, "values.website"));
	assert_null(val_path(fr, "values.bio")); /* absent */
	assert_null(val_get(fr, "errors"));
	assert_null(val_get(fr, "message"));
	assert_null(val_path(fr, "field.first_name"));
	assert_int_equal(val_get(fr, "field")->u.tab.n, 0);
	assert_true_at(fr, "checked.status_bezrobotna");
	assert_null(val_path(fr, "checked.status_poszukujaca"));
	assert_true_at(fr, "checked.terms");
	assert_true_at(fr, "checked.news");
	assert_int_equal(val_get(fr, "checked")->u.tab.n, 3);
	val_free(fr);
	/* a summary */
	fr = form_frame(&c.f, "Zapisaliśmy zmiany.");
	assert_non_null(fr);
	assert_string_equal(str_at(fr, "message"), "Zapisaliśmy zmiany.");
	assert_null(val_get(fr, "errors"));
	val_free(fr);
	pairs_free(&c.p);
}

static void test_frame_errors(void **state)
{
	struct checked c;
	struct val *fr;
	const struct val *items, *it;

	(void)state;
	assert_int_equal(check(&c,
	                       "first_name=Janina+Maria&email=a%3Cb%3E%26%22&password=x&"
	                       "status=inna&bio=%FF&news=",
	                       reg, NREG),
	                 5);
	form_fail(&c.f, "password", "Hasło jest za krótkie.");
	fr = form_frame(&c.f, "Popraw błędy.");
	assert_non_null(fr);
	assert_string_equal(str_at(fr, "message"), "Popraw błędy.");
	/* what was typed comes back, with its exact bytes */
	assert_string_equal(str_at(fr, "values.first_name"), "Janina Maria");
	assert_string_equal(str_at(fr, "values.email"), "a<b>&\"");
	assert_string_equal(str_at(fr, "values.status"), "inna");
	assert_string_equal(str_at(fr, "values.news"), "");
	/* but not a password, nor bytes that are no text */
	assert_null(val_path(fr, "values.password"));
	assert_null(val_path(fr, "values.bio"));
	assert_string_equal(str_at(fr, "field.first_name.id"), "first_name");
	assert_string_equal(str_at(fr, "field.first_name.message"),
	                    "Tekst jest za długi: najwyżej 10 znaków.");
	assert_string_equal(str_at(fr, "field.bio.message"), MSG_CHARS);
	assert_string_equal(str_at(fr, "field.email.id"), "email");
	assert_string_equal(str_at(fr, "field.email.message"), MSG_EMAIL);
	assert_string_equal(str_at(fr, "field.password.message"), "Hasło jest za krótkie.");
	assert_string_equal(str_at(fr, "field.status.message"), MSG_CHOICE);
	assert_string_equal(str_at(fr, "field.terms.message"), MSG_CHECKBOX);
	assert_null(val_path(fr, "field.news"));
	assert_null(val_path(fr, "field.website"));
	/* the summary list, in table order */
	items = val_path(fr, "errors.items");
	assert_non_null(items);
	assert_int_equal(items->type, VAL_ARRAY);
	assert_int_equal(items->u.arr.n, 6);
	{
		static const char *const order[] = {"first_name", "bio",    "email",
		                                    "password",   "status", "terms"};
		char path[64];
		size_t i;

		for (i = 0; i < 6; i++) {
			it = items->u.arr.items[i];
			assert_string_equal(val_get_str(it, "field", "?"), order[i]);
			snprintf(path, sizeof path, "field.%s.message", order[i]);
			assert_string_equal(val_get_str(it, "message", "?"), str_at(fr, path));
			/* the summary names the field where the table gives its label */
			if (i == 0)
				assert_string_equal(val_get_str(it, "label", "?"), "Imię");
			else
				assert_null(val_get(it, "label"));
		}
	}
	/* a wrong choice and an unchecked box check nothing */
	assert_int_equal(val_get(fr, "checked")->u.tab.n, 0);
	val_free(fr);
	pairs_free(&c.p);
}

static void test_frame_too_long_plural(void **state)
{
	static const struct {
		size_t max;
		const char *want;
	} cases[] = {
	    {1, "Tekst jest za długi: najwyżej 1 znak."},
	    {2, "Tekst jest za długi: najwyżej 2 znaki."},
	    {4, "Tekst jest za długi: najwyżej 4 znaki."},
	    {5, "Tekst jest za długi: najwyżej 5 znaków."},
	    {12, "Tekst jest za długi: najwyżej 12 znaków."},
	    {22, "Tekst jest za długi: najwyżej 22 znaki."},
	    {100, "Tekst jest za długi: najwyżej 100 znaków."},
	    {254, "Tekst jest za długi: najwyżej 254 znaki."},
	};
	char body[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct field fd[] = {{"x", F_LINE, 1, cases[i].max, NULL, NULL}};
		struct checked c;
		struct val *fr;

		memset(body, 'a', cases[i].max + 3);
		memcpy(body, "x=", 2);
		body[cases[i].max + 3] = '\0';
		assert_int_equal(check(&c, body, fd, 1), 1);
		assert_string_equal(c.f.v[0].error, MSG_TOO_LONG);
		fr = form_frame(&c.f, NULL);
		assert_non_null(fr);
		assert_string_equal(str_at(fr, "field.x.message"), cases[i].want);
		assert_string_equal(
		    val_get_str(val_path(fr, "errors.items")->u.arr.items[0], "message", "?"),
		    cases[i].want);
		val_free(fr);
		pairs_free(&c.p);
	}
}

/* a choice without `choices` is checked by the caller: its key still
 * names the value; keys are built from the exact bytes */
static void test_frame_checked_keys(void **state)
{
	const struct field fd[] = {
	    {"office", F_CHOICE, 1, 50, NULL, NULL},
	    {"status", F_CHOICE, 1, 50, statuses, NULL},
	};
	struct checked c;
	struct val *fr;

	(void)state;
	assert_int_equal(check(&c, "office=pup-krak%C3%B3w&status=poszukujaca", fd, 2), 0);
	fr = form_frame(&c.f, NULL);
	assert_non_null(fr);
	assert_true_at(fr, "checked.office_pup-kraków");
	assert_true_at(fr, "checked.status_poszukujaca");
	assert_int_equal(val_get(fr, "checked")->u.tab.n, 2);
	val_free(fr);
	pairs_free(&c.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_basic),
	    cmocka_unit_test(test_parse_percent),
	    cmocka_unit_test(test_parse_bad_escapes),
	    cmocka_unit_test(test_parse_failure_keeps_earlier_pairs),
	    cmocka_unit_test(test_parse_empty_pairs_and_no_equals),
	    cmocka_unit_test(test_parse_repeated_name_keeps_first),
	    cmocka_unit_test(test_parse_too_many_pairs),
	    cmocka_unit_test(test_parse_long_names),
	    cmocka_unit_test(test_parse_nul_and_newlines),
	    cmocka_unit_test(test_parse_cut_bodies),
	    cmocka_unit_test(test_check_valid),
	    cmocka_unit_test(test_check_required_messages),
	    cmocka_unit_test(test_check_trimming),
	    cmocka_unit_test(test_check_max_length),
	    cmocka_unit_test(test_check_invalid_utf8),
	    cmocka_unit_test(test_check_control_characters),
	    cmocka_unit_test(test_check_email),
	    cmocka_unit_test(test_check_choice),
	    cmocka_unit_test(test_check_checkbox_and_honeypot),
	    cmocka_unit_test(test_check_nerrors_and_repeats),
	    cmocka_unit_test(test_check_table_too_long),
	    cmocka_unit_test(test_form_fail),
	    cmocka_unit_test(test_frame_valid),
	    cmocka_unit_test(test_frame_errors),
	    cmocka_unit_test(test_frame_too_long_plural),
	    cmocka_unit_test(test_frame_checked_keys),
	};

	return cmocka_run_group_tests_name("forms", tests, NULL, NULL);
}
