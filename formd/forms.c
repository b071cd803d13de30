/*
 * forms.c - urlencoded bodies, field tables and the `form` frame (forms.h).
 *
 * Choices made here that forms.h leaves open:
 *  - Parsing follows HTML's application/x-www-form-urlencoded rules except
 *    that a malformed %-escape is an error (HTML keeps it literally). Every
 *    non-empty '&'-separated piece of the body counts towards
 *    FORM_MAX_PAIRS, repeated and ignored ones too. A decoded name holding a
 *    NUL byte is dropped: no table names such a field, and struct pair
 *    cannot carry its length. In values "\r\n" becomes "\n" (what a
 *    browser sends for a textarea's line breaks); a lone CR stays, and only
 *    F_TEXT accepts line breaks at all, so the other types are unaffected.
 *  - A field's `max` of 0 means no limit of its own (the daemon's body cap
 *    still applies); checkboxes use 0.
 *  - `max` counts characters (code points), as the person and the form's
 *    maxlength attribute do; text that is not valid UTF-8 is refused
 *    anyway, so a value has at most 4 * max bytes. The "too long" number
 *    is filled in by form_frame (the message in struct field_value is
 *    static text, so it reads "Tekst jest za długi.").
 *  - Trimming (F_LINE, F_EMAIL) removes ASCII whitespace (space, tab, CR,
 *    LF, FF) at both ends. So that form_get() gives exactly the trimmed
 *    text, form_check writes a NUL after it inside the pair's value (pair
 *    values are the parser's own writable copies). Trailing NUL bytes are
 *    trimmed like spaces, so checking the same pairs again gives the same
 *    result.
 *  - A multi-line field (F_TEXT) holding only whitespace counts as empty
 *    for `required`; its value is kept as sent.
 *  - Control characters are C0 (but tab, LF and CR before LF in F_TEXT),
 *    DEL, the C1 range U+0080-U+009F, and the bidirectional controls
 *    (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), which would
 *    let a name or a title shown to others reorder the text around it.
 *  - An e-mail address is refused with spaces of any kind (Unicode
 *    White_Space), or with any of ( ) < > , ; : \ " [ ], which only quoted
 *    local parts (never used in practice) may hold and which would split a
 *    mail header. Only ASCII is allowed: one canonical form (lower case)
 *    compares addresses everywhere, and no look-alike letter from another
 *    script (a Cyrillic "а" for a Latin "a") can stand for an address.
 *  - form_frame leaves out of `values` (and `checked`) a value that is not
 *    valid UTF-8 or holds control characters: those bytes cannot go back
 *    into a UTF-8 page. The person sees the field empty with its message.
 */
#include "forms.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MSG_REQUIRED[] = "To pole jest wymagane.";
static const char MSG_CHECKBOX[] = "Zaznacz to pole, aby kontynuować.";
static const char MSG_CHOICE[] = "Wybierz jedną z możliwości.";
static const char MSG_TOO_LONG[] = "Tekst jest za długi.";
static const char MSG_CHARS[] = "Tekst zawiera niedozwolone znaki.";
static const char MSG_EMAIL[] = "Podaj poprawny adres e-mail, np. jan.kowalski@example.pl "
                                "(bez polskich liter i spacji).";
static const char MSG_GENERIC[] = "Popraw to pole.";

/* ---- parsing ---- */

enum { DEC_OK = 0, DEC_NOMEM = -1, DEC_BAD = -2 };

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) ('+' as space, %XX escapes; with `crlf`, "\r\n" as
 * "\n") into a new NUL-terminated string in *out (the caller frees it),
 * its length in *outlen. Reads nothing outside s[0..n). Returns DEC_OK,
 * DEC_NOMEM, or DEC_BAD for a malformed or truncated escape (*out is NULL
 * after a failure). */
static int decode(const char *s, size_t n, int crlf, char **out, size_t *outlen)
{
	char *d;
	size_t i, o = 0;

	*out = NULL;
	d = malloc(n + 1);
	if (!d)
		return DEC_NOMEM;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (n - i < 3 || (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0) {
				free(d);
				return DEC_BAD;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (crlf && c == '\n' && o > 0 && d[o - 1] == '\r')
			d[o - 1] = '\n';
		else
			d[o++] = c;
	}
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return DEC_OK;
}

/* 1 if a pair named `name` is already in p. */
static int has_name(const struct pairs *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return 1;
	return 0;
}

/* Parses one piece s[0..n) (no '&' in it, n > 0) and adds it to p unless
 * its name repeats an earlier one or holds a NUL byte. 0, or -1 with e. */
static int parse_pair(const char *s, size_t n, struct pairs *p, struct err *e)
{
	const char *eq = memchr(s, '=', n);
	size_t nraw = eq ? (size_t)(eq - s) : n;
	char *name = NULL, *value = NULL;
	size_t nlen = 0, vlen = 0;
	int rc = -1, d;

	/* each decoded byte takes 1 to 3 encoded ones: refuse before copying */
	if (nraw > 3 * (size_t)FORM_MAX_NAME)
		return err_set(e, "field name too long (more than %d bytes)", FORM_MAX_NAME);
	d = decode(s, nraw, 0, &name, &nlen);
	if (d == DEC_OK && eq)
		d = decode(eq + 1, n - nraw - 1, 1, &value, &vlen);
	else if (d == DEC_OK)
		d = decode("", 0, 1, &value, &vlen);
	if (d == DEC_NOMEM) {
		err_oom(e);
		goto out;
	}
	if (d == DEC_BAD) {
		err_set(e, "bad %%-escape");
		goto out;
	}
	if (nlen > FORM_MAX_NAME) {
		err_set(e, "field name too long (more than %d bytes)", FORM_MAX_NAME);
		goto out;
	}
	rc = 0;
	if (memchr(name, '\0', nlen) || has_name(p, name))
		goto out;
	p->v[p->n].name = name;
	p->v[p->n].value = value;
	p->v[p->n].len = vlen;
	p->n++;
	name = value = NULL;
out:
	free(name);
	free(value);
	return rc;
}

int form_parse(const char *body, size_t len, struct pairs *p, struct err *e)
{
	size_t pos = 0, count = 0;

	while (pos < len) {
		const char *piece = body + pos;
		const char *amp = memchr(piece, '&', len - pos);
		size_t n = amp ? (size_t)(amp - piece) : len - pos;

		pos += n + (amp ? 1 : 0);
		if (n == 0)
			continue;
		if (++count > FORM_MAX_PAIRS || p->n >= FORM_MAX_PAIRS)
			return err_set(e, "too many fields (more than %d)", FORM_MAX_PAIRS);
		if (parse_pair(piece, n, p, e) < 0)
			return -1;
	}
	return 0;
}

/* "q12" -> 12 and "a3" -> 3 (leading letter, 1-3 digits, no leading 0),
 * 0 for anything else. */
static unsigned numbered(const char *s, size_t n, char letter, unsigned max)
{
	unsigned v = 0;
	size_t i;

	if (n < 2 || n > 4 || s[0] != letter || s[1] == '0')
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= max ? v : 0;
}

int form_parse_answers(const char *body, size_t len, struct test_answers *t, struct err *e)
{
	size_t pos = 0, count = 0;

	memset(t, 0, sizeof *t);
	while (pos < len) {
		const char *piece = body + pos, *amp = memchr(piece, '&', len - pos), *eq;
		size_t n = amp ? (size_t)(amp - piece) : len - pos, nl, vl;
		char *name = NULL, *value = NULL;
		unsigned q, a;
		int d;

		pos += n + (amp ? 1 : 0);
		if (n == 0)
			continue;
		if (++count > FORM_MAX_QUESTIONS * FORM_MAX_ANSWERS + 16)
			return err_set(e, "too many fields");
		eq = memchr(piece, '=', n);
		if (!eq || (size_t)(eq - piece) > 3 * (size_t)FORM_MAX_NAME)
			continue;
		d = decode(piece, (size_t)(eq - piece), 0, &name, &nl);
		if (d == DEC_OK)
			d = decode(eq + 1, n - (size_t)(eq - piece) - 1, 1, &value, &vl);
		if (d != DEC_OK) {
			free(name);
			free(value);
			return d == DEC_NOMEM ? err_oom(e) : err_set(e, "bad %%-escape");
		}
		if (strcmp(name, "course") == 0 && vl > 0 && vl < sizeof t->course &&
		    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-_") == vl) {
			memcpy(t->course, value, vl + 1);
		} else if (strcmp(name, "confirm") == 0 && strcmp(value, "1") == 0) {
			t->confirmed = 1;
		} else if ((q = numbered(name, nl, 'q', FORM_MAX_QUESTIONS)) != 0 &&
		           (a = numbered(value, vl, 'a', FORM_MAX_ANSWERS)) != 0) {
			t->chosen[q] |= (unsigned char)(1u << (a - 1));
			t->nchosen++;
		}
		free(name);
		free(value);
	}
	return 0;
}

void pairs_free(struct pairs *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n && i < FORM_MAX_PAIRS; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
		p->v[i].name = p->v[i].value = NULL;
		p->v[i].len = 0;
	}
	p->n = 0;
}

/* ---- validation ---- */

static int is_trim_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* 1 for the bidirectional formatting characters (Unicode Bidi_Control). */
static int is_bidi_control(unsigned cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* 1 if s[0..len) is valid UTF-8 without control characters; `multiline`
 * lets tab, LF and CR followed by LF through. */
static int text_ok(const char *s, size_t len, int multiline)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		unsigned cp;
		int n;

		if (c < 0x80) {
			if (c == 0x7f)
				return 0;
			if (c < 0x20) {
				if (!multiline)
					return 0;
				if (c == '\r' && (i + 1 >= len || s[i + 1] != '\n'))
					return 0;
				if (c != '\r' && c != '\t' && c != '\n')
					return 0;
			}
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 || cp <= 0x9f || is_bidi_control(cp))
			return 0;
		i += (size_t)n;
	}
	return 1;
}

/* 1 if s[0..len) (valid UTF-8 without control characters, checked before)
 * looks like local@domain.tld: one '@', a non-empty local part, a domain
 * with a '.' that neither starts nor ends it nor doubles, no spaces and
 * none of the characters only a quoted local part may hold. */
static int email_ok(const char *s, size_t len)
{
	size_t i = 0, at = len, ats = 0;
	const char *dom;
	size_t dlen;

	while (i < len) {
		unsigned cp;
		int n = utf8_decode(s + i, len - i, &cp);

		if (n == 0 || cp == ' ' || cp >= 0x80 || strchr("()<>,;:\\\"[]", (int)cp))
			return 0;
		if (cp == '@') {
			ats++;
			at = i;
		}
		i += (size_t)n;
	}
	if (ats != 1 || at == 0)
		return 0;
	dom = s + at + 1;
	dlen = len - at - 1;
	if (dlen == 0 || dom[0] == '.' || dom[dlen - 1] == '.' || !memchr(dom, '.', dlen))
		return 0;
	for (i = 0; i + 1 < dlen; i++)
		if (dom[i] == '.' && dom[i + 1] == '.')
			return 0;
	return 1;
}

/* 1 if value[0..len) is exactly one of the NULL-terminated `choices`. */
static int in_choices(const char *const *choices, const char *value, size_t len)
{
	for (; *choices; choices++)
		if (strlen(*choices) == len && memcmp(*choices, value, len) == 0)
			return 1;
	return 0;
}

/* 1 if s[0..len) holds only space, tab, CR and LF (or nothing). */
static int blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

static const struct pair *find_pair(const struct pairs *p, const char *name)
{
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < p->n && i < FORM_MAX_PAIRS; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	return NULL;
}

/* Validates one field whose pair is `pr` (NULL when absent) into *fv:
 * the value (trimmed for F_LINE and F_EMAIL, a NUL written after it) and
 * a message, or NULL. Sets *spam for a filled honeypot. */
static void check_field(const struct field *fd, const struct pair *pr, struct field_value *fv,
                        int *spam)
{
	char *s = pr ? pr->value : NULL;
	size_t len = pr ? pr->len : 0;
	int empty;

	fv->error = NULL;
	if (s && (fd->type == F_LINE || fd->type == F_EMAIL)) {
		while (len > 0 && (is_trim_space(s[len - 1]) || s[len - 1] == '\0'))
			len--;
		while (len > 0 && is_trim_space(*s)) {
			s++;
			len--;
		}
		if (s[len] != '\0')
			s[len] = '\0';
	}
	fv->value = s;
	fv->len = len;
	if (fd->type == F_HONEYPOT) {
		if (len > 0)
			*spam = 1;
		return;
	}
	empty = len == 0 || (fd->type == F_TEXT && blank(s, len));
	if (empty && fd->required) {
		fv->error = fd->type == F_CHECKBOX ? MSG_CHECKBOX
		            : fd->type == F_CHOICE ? MSG_CHOICE
		                                   : MSG_REQUIRED;
		return;
	}
	if (len == 0)
		return;
	if (!text_ok(s, len, fd->type == F_TEXT))
		fv->error = MSG_CHARS;
	else if (fd->max > 0 && utf8_count(s, len) > fd->max)
		fv->error = MSG_TOO_LONG;
	else if (fd->type == F_EMAIL && !email_ok(s, len))
		fv->error = MSG_EMAIL;
	else if (fd->type == F_CHOICE && fd->choices && !in_choices(fd->choices, s, len))
		fv->error = MSG_CHOICE;
}

/*
 * Fills f from the pairs: a table longer than FORM_MAX_FIELDS is cut there
 * and each field left out counts as an error, so such a form never passes.
 * Writes a NUL after each trimmed value inside the pairs (see the top of
 * this file). Returns f->nerrors.
 */
int form_check(struct form *f, const struct field *fields, size_t nfields, struct pairs *p)
{
	size_t i;

	memset(f, 0, sizeof *f);
	f->fields = fields;
	f->nfields = nfields > FORM_MAX_FIELDS ? FORM_MAX_FIELDS : nfields;
	if (nfields > FORM_MAX_FIELDS)
		f->nerrors = (int)(nfields - FORM_MAX_FIELDS);
	for (i = 0; i < f->nfields; i++) {
		check_field(&fields[i], find_pair(p, fields[i].name), &f->v[i], &f->spam);
		if (f->v[i].error)
			f->nerrors++;
	}
	return f->nerrors;
}

static long field_index(const struct form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* A NULL message becomes a generic one; a name the table lacks still
 * counts as an error (a typo in a handler must not let a form through). */
void form_fail(struct form *f, const char *name, const char *message)
{
	long i = field_index(f, name);

	if (!message)
		message = MSG_GENERIC;
	if (i < 0) {
		f->nerrors++;
		return;
	}
	if (!f->v[i].error)
		f->nerrors++;
	f->v[i].error = message;
}

const char *form_get(const struct form *f, const char *name)
{
	long i = field_index(f, name);

	return i >= 0 && f->v[i].value ? f->v[i].value : "";
}

/* ---- the frame ---- */

/* Polish plural of "znak" for n. */
static const char *znaki(size_t n)
{
	if (n == 1)
		return "znak";
	if (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14))
		return "znaki";
	return "znaków";
}

/* Field i's message as a new string value (NULL on allocation failure):
 * the "too long" one gets the field's limit. */
static struct val *message_val(const struct form *f, size_t i)
{
	char text[128];

	if (f->v[i].error != MSG_TOO_LONG)
		return val_str(f->v[i].error);
	snprintf(text, sizeof text, "Tekst jest za długi: najwyżej %zu %s.", f->fields[i].max,
	         znaki(f->fields[i].max));
	return val_str(text);
}

/* An {id, message} or {field, message} table for field i; NULL on
 * allocation failure. */
static struct val *error_val(const struct form *f, size_t i, const char *idkey)
{
	struct val *t = val_new(VAL_TABLE);
	int r = 0;

	if (!t)
		return NULL;
	r |= val_set_str(t, idkey, f->fields[i].name);
	r |= val_set(t, "message", message_val(f, i));
	if (f->fields[i].label)
		r |= val_set_str(t, "label", f->fields[i].label);
	if (r) {
		val_free(t);
		return NULL;
	}
	return t;
}

/* Adds checked.NAME_VALUE = true. 0 or -1. */
static int set_checked_choice(struct val *checked, const char *name, const char *value, size_t len)
{
	struct buf key = BUF_INIT;
	int r;

	buf_puts(&key, name);
	buf_putc(&key, '_');
	buf_add(&key, value, len);
	r = buf_failed(&key) ? -1 : val_setn(checked, key.ptr, key.len, val_bool(1));
	buf_free(&key);
	return r;
}

/*
 * Builds the `form` frame (forms.h): a new table the caller frees with
 * val_free, or NULL on allocation failure (nothing left allocated).
 */
struct val *form_frame(const struct form *f, const char *summary)
{
	struct val *root = val_new(VAL_TABLE);
	struct val *values = val_new(VAL_TABLE), *field = val_new(VAL_TABLE);
	struct val *checked = val_new(VAL_TABLE), *items = NULL, *errors = NULL;
	size_t i;
	int r = 0;

	if (!root || !values || !field || !checked)
		goto fail;
	for (i = 0; i < f->nfields; i++) {
		const struct field *fd = &f->fields[i];
		const struct field_value *fv = &f->v[i];
		int shown = fv->value && text_ok(fv->value, fv->len, fd->type == F_TEXT);

		if (shown && fd->type != F_PASSWORD && fd->type != F_HONEYPOT)
			r |= val_set(values, fd->name, val_strn(fv->value, fv->len));
		if (fv->error) {
			r |= val_set(field, fd->name, error_val(f, i, "id"));
			if (!items && !(items = val_new(VAL_ARRAY)))
				goto fail;
			r |= val_push(items, error_val(f, i, "field"));
		}
		if (shown && fv->len > 0 && fd->type == F_CHECKBOX)
			r |= val_set(checked, fd->name, val_bool(1));
		if (shown && fv->len > 0 && fd->type == F_CHOICE &&
		    (!fd->choices || in_choices(fd->choices, fv->value, fv->len)))
			r |= set_checked_choice(checked, fd->name, fv->value, fv->len);
		if (r)
			goto fail;
	}
	r |= val_set(root, "values", values);
	r |= val_set(root, "field", field);
	values = field = NULL;
	if (items) {
		errors = val_new(VAL_TABLE);
		r |= val_set(errors, "items", items);
		r |= val_set(root, "errors", errors);
		items = errors = NULL;
	}
	r |= val_set(root, "checked", checked);
	checked = NULL;
	if (summary)
		r |= val_set_str(root, "message", summary);
	if (r)
		goto fail;
	return root;
fail:
	val_free(root);
	val_free(values);
	val_free(field);
	val_free(checked);
	val_free(items);
	return NULL;
}
