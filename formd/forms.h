/*
 * forms.h - the daemon's forms: each declared as a table of fields (after
 * kcgi's struct kvalid), an application/x-www-form-urlencoded body parsed
 * into name/value pairs, each field validated into a value or a message
 * for the person (in Polish), and the `form` frame the theme's form
 * layouts read (docs/theme.md, "Forms").
 *
 * Input is hostile: the parser caps the number of pairs (FORM_MAX_PAIRS)
 * and the length of names (FORM_MAX_NAME); a field caps its value at its
 * own `max` (characters); every value must be valid UTF-8 without control
 * characters (a multi-line field allows \n, \r\n becoming \n, and \t).
 * Unknown fields are ignored. No third-party library.
 */
#ifndef OKIENKO_FORMS_H
#define OKIENKO_FORMS_H

#include "accounts.h" /* PASSWORD_MIN */
#include "buf.h"
#include "err.h"
#include "value.h"

#include <stddef.h>

#define FORM_MAX_PAIRS 64 /* name=value pairs in one body */
#define FORM_MAX_NAME 64  /* bytes of one field name */
#define FORM_MAX_FIELDS 32

enum field_type {
	F_LINE,     /* one line of text */
	F_TEXT,     /* several lines */
	F_EMAIL,    /* an e-mail address: local@domain.tld, no spaces */
	F_PASSWORD, /* kept out of the form frame's values */
	F_CHOICE,   /* one of `choices` */
	F_CHECKBOX, /* present ("1", "on", "tak") or absent; required means must be checked */
	F_HONEYPOT, /* must be absent or empty; not shown back */
};

struct field {
	const char *name;
	enum field_type type;
	int required;
	size_t max; /* characters (code points); 0: no limit of its own */
	/* F_CHOICE: NULL-terminated list, or NULL (checked by the caller) */
	const char *const *choices;
	const char *label; /* the field's name for people (the error summary), or NULL */
};

/* One name=value pair of a body: percent-decoded, '+' as space; both
 * NUL-terminated (a value may contain NUL bytes before validation: len). */
struct pair {
	char *name;
	char *value;
	size_t len;
};

struct pairs {
	struct pair v[FORM_MAX_PAIRS];
	size_t n;
};

/* A field after validation. */
struct field_value {
	const char *value; /* borrowed from the pairs (NULL when absent) */
	size_t len;
	const char *error; /* a message for the person (static Polish text), or NULL */
};

struct form {
	const struct field *fields; /* the table */
	size_t nfields;
	struct field_value v[FORM_MAX_FIELDS];
	int nerrors;
	int spam; /* the honeypot was filled */
};

/* Parses a urlencoded body of `len` bytes into `p` (zero it first; free
 * with pairs_free, also after a failure). Repeated names keep their first
 * value. 0, or -1 with e (ERR_INPUT: bad %-escape, too many pairs, a name
 * too long; ERR_NOMEM). */
int form_parse(const char *body, size_t len, struct pairs *p, struct err *e);
void pairs_free(struct pairs *p);

/* A test's answers: the test form's radio buttons and check boxes are
 * named q1..qN with values a1..a8 (the generator numbers them so), and a
 * hidden `course`. */
#define FORM_MAX_QUESTIONS 200
#define FORM_MAX_ANSWERS 8
struct test_answers {
	char course[65];                              /* "" when absent or not a slug */
	unsigned char chosen[FORM_MAX_QUESTIONS + 1]; /* by question: bit k-1 = ak chosen */
	int nchosen;
	int confirmed; /* confirm=1: sent on purpose with questions unanswered */
};
/* Parses a test form's body into t (repeated names are the point here:
 * a multiple-choice question sends one pair per ticked box), and
 * confirm=1 (the "send anyway" button). Pairs that
 * are no question or answer of that shape are ignored. 0, or -1 with e
 * (ERR_INPUT: a bad %-escape, more than (FORM_MAX_QUESTIONS *
 * FORM_MAX_ANSWERS + 16) pairs). */
int form_parse_answers(const char *body, size_t len, struct test_answers *t, struct err *e);

/* Validates the pairs against the table (nfields <= FORM_MAX_FIELDS),
 * filling f; trimmed values are cut in place in the pairs (a NUL after
 * the text), so form_get gives exactly what was checked. Returns the
 * number of fields in error. */
int form_check(struct form *f, const struct field *fields, size_t nfields, struct pairs *p);
/* Sets a message on field `name` (a check the table cannot express:
 * "the passwords differ", "this e-mail is taken"). */
void form_fail(struct form *f, const char *name, const char *message);
/* The field's value after form_check ("" when absent). */
const char *form_get(const struct form *f, const char *name);

/* The `form` frame for the theme's form layouts:
 *   values.NAME (never passwords or the honeypot), field.NAME {id, message},
 *   errors.items [{field, message, label}] in table order, checked.NAME_VALUE for
 *   radio buttons, select options and checkboxes, message (a summary for
 *   the page, `summary` when given).
 * NULL on allocation failure. */
struct val *form_frame(const struct form *f, const char *summary);

#endif
