/*
 * toml.c - TOML 1.0.0 reader (see toml.h).
 *
 * A hand-written recursive-descent parser over a length-counted buffer.
 * Only arrays and inline tables recurse, and only TOML_MAX_DEPTH deep.
 * Strings are decoded into a scratch buffer that is reused for the whole
 * document, so a value costs one node and, for strings, one copy.
 *
 * Redefinition rules are kept with TOML_F_* flags on the tables:
 *  - a [header] may define a table once; tables it walks through on the
 *    way are IMPLICIT until a header of their own defines them;
 *  - dotted keys create DOTTED tables and may walk through DOTTED and
 *    IMPLICIT tables (an IMPLICIT one becomes DOTTED), never through a
 *    table a [header] DEFINED, nor an INLINE one, nor any array;
 *  - a header may walk through DOTTED tables (to add sub-tables) but may not
 *    name one, nor anything INLINE;
 *  - [[x]] appends only to an array it created itself (AOT).
 * Because a section can only reach tables below its own header, the DOTTED
 * tables of an earlier section are out of reach of later dotted keys.
 *
 * A hash index from (table, key) to the key's slot in the table keeps
 * lookups constant-time and remembers where each key was first written,
 * for "first defined at" in error messages.
 */
#include "toml.h"

#include "buf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pos {
	int line, col; /* line includes the caller's offset */
};

/* One key of one table in the hash index. */
struct slot {
	const struct val *tab; /* NULL: empty slot */
	size_t idx;            /* index of the key in tab->u.tab.kv */
	size_t hash;
	struct pos at; /* where the key was first written */
};

struct parser {
	const char *p, *end; /* next byte to read, end of the document */
	const char *lstart;  /* first byte of the current line */
	int line;            /* current line, 1-based, without the offset */
	const char *cptr;    /* column cache: the column of cptr is ccol */
	int ccol;
	const char *name;
	int line_offset;
	struct err *e;
	struct val *root;
	struct val *cur; /* table the current section's key/value pairs go to */
	int cur_depth;   /* its depth (number of parts in its header) */
	struct buf sb;   /* scratch for string and number text */
	struct buf kb;   /* key bytes; nested key/value pairs stack up here */
	struct slot *slots;
	size_t nslots, used; /* nslots is 0 or a power of two */
};

/* How walk_key() treats the tables on a key's path. */
enum walk { WALK_DOTTED, WALK_HEADER };

static struct val *parse_value(struct parser *P, int depth);

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_bare(int c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
}

/* Characters that may make up an unquoted value (number, date, boolean). */
static int is_token(int c)
{
	return is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* Control characters TOML forbids unescaped in strings and comments. */
static int is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/*
 * Returns the position of `ptr`, which must lie on the current line. The
 * column counts characters (UTF-8 lead bytes); the cache makes a forward
 * walk along a line linear overall.
 */
static struct pos pos_at(struct parser *P, const char *ptr)
{
	struct pos at;
	long long line = (long long)P->line + P->line_offset;

	if (ptr < P->lstart)
		ptr = P->lstart;
	if (ptr > P->end)
		ptr = P->end;
	if (P->cptr < P->lstart || ptr < P->cptr) {
		P->cptr = P->lstart;
		P->ccol = 1;
	}
	while (P->cptr < ptr) {
		if (((unsigned char)*P->cptr & 0xc0) != 0x80 && P->ccol < INT_MAX)
			P->ccol++;
		P->cptr++;
	}
	at.line = line > INT_MAX ? INT_MAX : line < INT_MIN ? INT_MIN : (int)line;
	at.col = P->ccol;
	return at;
}

/* Sets the error at `at` and returns -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail_at(struct parser *P, struct pos at, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_at(P->e, P->name, at.line, at.col, "%s", msg);
}

/* Sets the error at the character `ptr` (on the current line), returns -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(struct parser *P, const char *ptr, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return fail_at(P, pos_at(P, ptr), "%s", msg);
}

static int oom(struct parser *P)
{
	err_at(P->e, P->name, 0, 0, "out of memory");
	if (P->e)
		P->e->kind = ERR_NOMEM;
	return -1;
}

/*
 * Writes a printable rendering of the source text [s, s+n) into out (size
 * outsz >= 8): tabs and control bytes become spaces and '?', long text is
 * cut at a character boundary and ends in "...".
 */
static void show(char *out, size_t outsz, const char *s, size_t n)
{
	size_t i, lim = outsz - 4;

	for (i = 0; i < n && i < lim; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c == '\t' ? ' ' : is_ctl(c) ? '?' : (char)c;
	}
	if (i < n) {
		/* s[i] was not copied: drop the start of a cut character */
		while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
			i--;
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* Describes the character at ptr for "found ..." in messages. */
static void describe(struct parser *P, const char *ptr, char *out, size_t outsz)
{
	unsigned char c;
	size_t n = 1;

	if (ptr >= P->end) {
		snprintf(out, outsz, "end of file");
		return;
	}
	c = (unsigned char)*ptr;
	if (c == '\n' || c == '\r') {
		snprintf(out, outsz, "end of line");
		return;
	}
	if (is_ctl(c)) {
		snprintf(out, outsz, "control character 0x%02x", c);
		return;
	}
	if (c >= 0xf0)
		n = 4;
	else if (c >= 0xe0)
		n = 3;
	else if (c >= 0xc0)
		n = 2;
	if (n > (size_t)(P->end - ptr))
		n = (size_t)(P->end - ptr);
	snprintf(out, outsz, "'%.*s'", (int)n, ptr);
}

/* "an integer", "a table", ...: what v is, for messages. */
static const char *a_type(const struct val *v)
{
	switch (v->type) {
	case VAL_ARRAY:
		return v->flags & TOML_F_AOT ? "an array of tables" : "an array";
	case VAL_TABLE:
		return v->flags & TOML_F_INLINE ? "an inline table" : "a table";
	case VAL_INT:
		return "an integer";
	case VAL_STRING:
		return "a string";
	case VAL_FLOAT:
		return "a float";
	case VAL_BOOL:
		return "a boolean";
	case VAL_DATETIME:
		return "a date-time";
	default:
		return "a value";
	}
}

/* ---- hash index of keys ---- */

static size_t hash_key(const struct val *t, const char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ull);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 32;
	return (size_t)h;
}

/* Returns the value of key k in table t (and its slot), or NULL. */
static struct val *lookup(struct parser *P, const struct val *t, const char *k, size_t n,
                          const struct slot **slot)
{
	size_t h, i;

	if (!P->nslots)
		return NULL;
	h = hash_key(t, k, n);
	for (i = h & (P->nslots - 1); P->slots[i].tab; i = (i + 1) & (P->nslots - 1)) {
		const struct slot *s = &P->slots[i];
		const struct val_kv *kv;

		if (s->hash != h || s->tab != t)
			continue;
		kv = &t->u.tab.kv[s->idx];
		if (kv->klen == n && memcmp(kv->key, k, n) == 0) {
			if (slot)
				*slot = s;
			return kv->v;
		}
	}
	return NULL;
}

static void slot_put(struct slot *slots, size_t nslots, const struct slot *s)
{
	size_t i;

	for (i = s->hash & (nslots - 1); slots[i].tab; i = (i + 1) & (nslots - 1))
		;
	slots[i] = *s;
}

/*
 * Appends key k (n bytes, known to be absent) with value v to table t and
 * indexes it, `at` being where the key is written. Takes ownership of v
 * even on failure. Returns 0, or -1 with "out of memory".
 */
static int tab_add(struct parser *P, struct val *t, const char *k, size_t n, struct val *v,
                   struct pos at)
{
	struct slot s;

	if (!v)
		goto fail;
	if ((P->used + 1) * 2 > P->nslots) {
		size_t ns = P->nslots ? P->nslots * 2 : 32, i;
		struct slot *tab;

		if (ns > SIZE_MAX / sizeof *tab)
			goto fail;
		tab = calloc(ns, sizeof *tab);
		if (!tab)
			goto fail;
		for (i = 0; i < P->nslots; i++)
			if (P->slots[i].tab)
				slot_put(tab, ns, &P->slots[i]);
		free(P->slots);
		P->slots = tab;
		P->nslots = ns;
	}
	if (val_append(t, k, n, v) < 0)
		return oom(P); /* val_append freed v */
	s.tab = t;
	s.idx = t->u.tab.n - 1;
	s.hash = hash_key(t, k, n);
	s.at = at;
	slot_put(P->slots, P->nslots, &s);
	P->used++;
	return 0;
fail:
	val_free(v);
	return oom(P);
}

/* A new node of `type` with flags and position, or NULL ("out of memory"). */
static struct val *node(struct parser *P, enum val_type type, unsigned flags, struct pos at)
{
	struct val *v = val_new(type);

	if (!v) {
		oom(P);
		return NULL;
	}
	v->flags = flags;
	v->line = at.line;
	v->col = at.col;
	return v;
}

/* ---- whitespace, newlines, comments ---- */

static void skip_ws(struct parser *P)
{
	while (P->p < P->end && (*P->p == ' ' || *P->p == '\t'))
		P->p++;
}

/* At '\n' or "\r\n" (checked by the caller): steps over it, counts the line. */
static const char *eat_nl(struct parser *P, const char *q)
{
	q += *q == '\r' ? 2 : 1;
	P->line++;
	P->lstart = q;
	return q;
}

static int at_nl(const struct parser *P, const char *q)
{
	return q < P->end && (*q == '\n' || (*q == '\r' && q + 1 < P->end && q[1] == '\n'));
}

/* At '#': skips the comment up to (not over) the end of the line. */
static int skip_comment(struct parser *P)
{
	const char *q = P->p + 1;

	for (; q < P->end; q++) {
		unsigned char c = (unsigned char)*q;

		if (c == '\n' || (c == '\r' && q + 1 < P->end && q[1] == '\n'))
			break;
		if (c == '\r')
			return fail(P, q, "carriage return not followed by a newline");
		if (is_ctl(c))
			return fail(P, q, "control character 0x%02x in comment", c);
	}
	P->p = q;
	return 0;
}

/* Skips whitespace, newlines and comments (between array elements). */
static int skip_wscnl(struct parser *P)
{
	for (;;) {
		skip_ws(P);
		if (P->p >= P->end)
			return 0;
		if (*P->p == '#') {
			if (skip_comment(P) < 0)
				return -1;
		} else if (at_nl(P, P->p)) {
			P->p = eat_nl(P, P->p);
		} else {
			return 0;
		}
	}
}

/* ---- strings ---- */

static void put_utf8(struct buf *out, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(out, u, n);
}

/*
 * At a backslash inside a basic string: decodes one escape into out.
 * Returns the position after it, or NULL with the error set.
 */
static const char *escape(struct parser *P, const char *q, struct buf *out)
{
	unsigned long cp = 0;
	int i, n;
	char c;

	if (q + 1 >= P->end) {
		fail(P, q + 1, "unterminated string");
		return NULL;
	}
	switch (q[1]) {
	case 'b':
		c = '\b';
		break;
	case 't':
		c = '\t';
		break;
	case 'n':
		c = '\n';
		break;
	case 'f':
		c = '\f';
		break;
	case 'r':
		c = '\r';
		break;
	case '"':
		c = '"';
		break;
	case '\\':
		c = '\\';
		break;
	case 'u':
	case 'U':
		n = q[1] == 'u' ? 4 : 8;
		for (i = 0; i < n; i++) {
			const char *h = q + 2 + i;

			if (h >= P->end || !is_hex((unsigned char)*h)) {
				fail(P, h,
				     "invalid unicode escape: \\%c needs %d hexadecimal digits",
				     q[1], n);
				return NULL;
			}
			cp = cp * 16 + (unsigned long)(is_digit(*h) ? *h - '0'
			                               : *h >= 'a'  ? *h - 'a' + 10
			                                            : *h - 'A' + 10);
		}
		if (cp > 0x10ffff) {
			fail(P, q, "invalid unicode escape: \\%c%.*s is beyond U+10FFFF", q[1], n,
			     q + 2);
			return NULL;
		}
		if (cp >= 0xd800 && cp <= 0xdfff) {
			fail(P, q, "invalid unicode escape: \\%c%.*s is a surrogate", q[1], n,
			     q + 2);
			return NULL;
		}
		put_utf8(out, cp);
		return q + 2 + n;
	default: {
		char what[40];

		describe(P, q + 1, what, sizeof what);
		fail(P, q, "invalid escape sequence: backslash followed by %s", what);
		return NULL;
	}
	}
	buf_putc(out, c);
	return q + 2;
}

/* Reports the byte at q that ended a string run. */
static int bad_in_string(struct parser *P, const char *q, struct pos open, int multi)
{
	unsigned char c;

	if (q >= P->end)
		return fail(P, q, "unterminated %sstring (opened at %d:%d)",
		            multi ? "multi-line " : "", open.line, open.col);
	c = (unsigned char)*q;
	if (c == '\n' || (c == '\r' && q + 1 < P->end && q[1] == '\n'))
		return fail(P, q, "unterminated string: newline before the closing quote");
	if (c == '\r')
		return fail(P, q, "carriage return not followed by a newline");
	return fail(P, q, "control character 0x%02x in string must be escaped", c);
}

/* At '"' (not '"""'): decodes a basic string into out. Returns 0 or -1. */
static int parse_basic(struct parser *P, struct buf *out)
{
	struct pos open = pos_at(P, P->p);
	const char *q = P->p + 1, *run;

	for (;;) {
		for (run = q; q < P->end && *q != '"' && *q != '\\' && !is_ctl((unsigned char)*q);
		     q++)
			;
		buf_add(out, run, (size_t)(q - run));
		if (q < P->end && *q == '"')
			break;
		if (q < P->end && *q == '\\') {
			q = escape(P, q, out);
			if (!q)
				return -1;
			continue;
		}
		return bad_in_string(P, q, open, 0);
	}
	P->p = q + 1;
	return 0;
}

/* At '\'' (not "'''"): reads a literal string into out. Returns 0 or -1. */
static int parse_literal(struct parser *P, struct buf *out)
{
	struct pos open = pos_at(P, P->p);
	const char *q = P->p + 1, *run = q;

	while (q < P->end && *q != '\'' && !is_ctl((unsigned char)*q))
		q++;
	if (q >= P->end || *q != '\'')
		return bad_in_string(P, q, open, 0);
	buf_add(out, run, (size_t)(q - run));
	P->p = q + 1;
	return 0;
}

/*
 * At a run of quotes `qc` in a multi-line string: adds up to two of them to
 * the content, or closes the string (a run of 3 to 5 ends it, the first
 * 0 to 2 being content). Sets *closed. Returns the position after what it
 * took, or NULL on a run of six or more.
 */
static const char *ml_quotes(struct parser *P, const char *q, char qc, struct buf *out, int *closed)
{
	size_t n = 0;

	while (q + n < P->end && q[n] == qc && n < 6)
		n++;
	*closed = n >= 3;
	if (n >= 6) {
		fail(P, q + 5, "too many quotes at the end of a multi-line string");
		return NULL;
	}
	if (n >= 3) {
		buf_add(out, q, n - 3);
		return q + n;
	}
	buf_add(out, q, n);
	return q + n;
}

/* At '"""': decodes a multi-line basic string into out. Returns 0 or -1. */
static int parse_ml_basic(struct parser *P, struct buf *out)
{
	struct pos open = pos_at(P, P->p);
	const char *q = P->p + 3, *run;
	int closed = 0;

	if (at_nl(P, q))
		q = eat_nl(P, q);
	while (!closed) {
		for (run = q; q < P->end && *q != '"' && *q != '\\' && !is_ctl((unsigned char)*q);
		     q++)
			;
		buf_add(out, run, (size_t)(q - run));
		if (q >= P->end)
			return bad_in_string(P, q, open, 1);
		if (*q == '"') {
			q = ml_quotes(P, q, '"', out, &closed);
			if (!q)
				return -1;
		} else if (*q == '\\') {
			const char *r = q + 1;

			while (r < P->end && (*r == ' ' || *r == '\t'))
				r++;
			if (!at_nl(P, r)) {
				q = escape(P, q, out);
				if (!q)
					return -1;
				continue;
			}
			/* line-ending backslash: drop whitespace up to the next content */
			q = r;
			for (;;) {
				if (at_nl(P, q))
					q = eat_nl(P, q);
				else if (q < P->end && (*q == ' ' || *q == '\t'))
					q++;
				else
					break;
			}
		} else if (at_nl(P, q)) {
			buf_putc(out, '\n');
			q = eat_nl(P, q);
		} else {
			return bad_in_string(P, q, open, 1);
		}
	}
	P->p = q;
	return 0;
}

/* At "'''": reads a multi-line literal string into out. Returns 0 or -1. */
static int parse_ml_literal(struct parser *P, struct buf *out)
{
	struct pos open = pos_at(P, P->p);
	const char *q = P->p + 3, *run;
	int closed = 0;

	if (at_nl(P, q))
		q = eat_nl(P, q);
	while (!closed) {
		for (run = q; q < P->end && *q != '\'' && !is_ctl((unsigned char)*q); q++)
			;
		buf_add(out, run, (size_t)(q - run));
		if (q >= P->end)
			return bad_in_string(P, q, open, 1);
		if (*q == '\'') {
			q = ml_quotes(P, q, '\'', out, &closed);
			if (!q)
				return -1;
		} else if (at_nl(P, q)) {
			buf_putc(out, '\n');
			q = eat_nl(P, q);
		} else {
			return bad_in_string(P, q, open, 1);
		}
	}
	P->p = q;
	return 0;
}

static int starts3(const struct parser *P, char c)
{
	return P->end - P->p >= 3 && P->p[0] == c && P->p[1] == c && P->p[2] == c;
}

/* At a quote: parses any of the four string forms into a new VAL_STRING. */
static struct val *parse_string(struct parser *P)
{
	struct pos at = pos_at(P, P->p);
	struct val *v;
	int rc;

	buf_reset(&P->sb);
	if (*P->p == '"')
		rc = starts3(P, '"') ? parse_ml_basic(P, &P->sb) : parse_basic(P, &P->sb);
	else
		rc = starts3(P, '\'') ? parse_ml_literal(P, &P->sb) : parse_literal(P, &P->sb);
	if (rc < 0)
		return NULL;
	if (buf_failed(&P->sb)) {
		oom(P);
		return NULL;
	}
	v = val_strn(P->sb.ptr, P->sb.len);
	if (!v) {
		oom(P);
		return NULL;
	}
	v->line = at.line;
	v->col = at.col;
	return v;
}

/* ---- keys ---- */

/* Parses one simple key at P->p, appending its bytes to P->kb. */
static int parse_simple_key(struct parser *P)
{
	const char *q = P->p;
	char what[40];
	int rc;

	if (q < P->end && (*q == '"' || *q == '\'')) {
		if (starts3(P, *q))
			return fail(P, q, "multi-line strings cannot be used as keys");
		rc = *q == '"' ? parse_basic(P, &P->kb) : parse_literal(P, &P->kb);
	} else if (q < P->end && is_bare((unsigned char)*q)) {
		while (q < P->end && is_bare((unsigned char)*q))
			q++;
		buf_add(&P->kb, P->p, (size_t)(q - P->p));
		P->p = q;
		rc = 0;
	} else {
		describe(P, q, what, sizeof what);
		return fail(P, q, "expected a key, found %s", what);
	}
	if (rc == 0 && buf_failed(&P->kb))
		return oom(P);
	return rc;
}

/*
 * One step of walk_key(): from table t through the key just parsed (bytes
 * from kb offset `off`, written at source [ks, ke) at `at`) by the rules of
 * `mode`, creating the table if missing. Returns the table to go on in, or
 * NULL with the error set.
 */
static struct val *step(struct parser *P, struct val *t, size_t off, struct pos at, enum walk mode,
                        const char *ks, const char *ke)
{
	const char *k = P->kb.ptr + off;
	size_t n = P->kb.len - off;
	const struct slot *s = NULL;
	struct val *c = lookup(P, t, k, n, &s);
	char name[128];

	if (!c) {
		c = node(P, VAL_TABLE, mode == WALK_HEADER ? TOML_F_IMPLICIT : TOML_F_DOTTED, at);
		if (!c || tab_add(P, t, k, n, c, at) < 0)
			return NULL;
		return c;
	}
	show(name, sizeof name, ks, (size_t)(ke - ks));
	if (c->type == VAL_TABLE) {
		if (c->flags & TOML_F_INLINE) {
			fail_at(P, at, "cannot extend inline table '%s' (first defined at %d:%d)",
			        name, s->at.line, s->at.col);
			return NULL;
		}
		if (mode == WALK_HEADER)
			return c;
		if (c->flags & TOML_F_DEFINED) {
			fail_at(P, at,
			        "cannot add to table '%s' with dotted keys: it is defined by a "
			        "[header] (first defined at %d:%d)",
			        name, c->line, c->col);
			return NULL;
		}
		if (c->flags & TOML_F_IMPLICIT) {
			/* taken over by dotted keys: defined here from now on */
			c->flags = (c->flags & ~TOML_F_IMPLICIT) | TOML_F_DOTTED;
			c->line = at.line;
			c->col = at.col;
		}
		return c;
	}
	if (c->type == VAL_ARRAY && (c->flags & TOML_F_AOT) && mode == WALK_HEADER &&
	    c->u.arr.n > 0)
		return c->u.arr.items[c->u.arr.n - 1];
	fail_at(P, at, "cannot use '%s' as a table: it is already %s (first defined at %d:%d)",
	        name, a_type(c), s->at.line, s->at.col);
	return NULL;
}

/*
 * Parses a (possibly dotted) key at P->p, starting in table t at depth
 * `depth`, and walks through (creating as needed) the tables named by all
 * parts but the last. The last part's bytes are left at the end of P->kb
 * from *koff (the caller truncates kb back to *koff when done with it), its
 * position in *kpos, its source text in [*ks, *ke), and the number of parts
 * is added to *depth. Returns the table the last part belongs to, or NULL
 * with the error set. Trailing whitespace is skipped.
 */
static struct val *walk_key(struct parser *P, struct val *t, enum walk mode, int *depth,
                            size_t *koff, struct pos *kpos, const char **ks, const char **ke)
{
	*ks = P->p;
	for (;;) {
		size_t off = P->kb.len;
		struct pos at = pos_at(P, P->p);

		if (parse_simple_key(P) < 0)
			return NULL;
		*ke = P->p;
		++*depth;
		skip_ws(P);
		if (P->p >= P->end || *P->p != '.') {
			*koff = off;
			*kpos = at;
			return t;
		}
		if (*depth > TOML_MAX_DEPTH) {
			fail_at(P, at, "nesting too deep (the limit is %d levels)", TOML_MAX_DEPTH);
			return NULL;
		}
		t = step(P, t, off, at, mode, *ks, *ke);
		buf_truncate(&P->kb, off);
		if (!t)
			return NULL;
		P->p++;
		skip_ws(P);
	}
}

/* Parses "key = value" into table t at depth `depth`; P->p at the key. */
static int parse_keyval(struct parser *P, struct val *t, int depth)
{
	const char *ks, *ke;
	const struct slot *s;
	struct pos kpos;
	size_t koff = P->kb.len;
	struct val *v;
	char name[128];
	int rc = -1;

	t = walk_key(P, t, WALK_DOTTED, &depth, &koff, &kpos, &ks, &ke);
	if (!t)
		goto out;
	if (P->p >= P->end || *P->p != '=') {
		char what[40];

		describe(P, P->p, what, sizeof what);
		fail(P, P->p, "expected '=' after key, found %s", what);
		goto out;
	}
	if (lookup(P, t, P->kb.ptr + koff, P->kb.len - koff, &s)) {
		show(name, sizeof name, ks, (size_t)(ke - ks));
		fail_at(P, kpos, "duplicate key '%s' (first defined at %d:%d)", name, s->at.line,
		        s->at.col);
		goto out;
	}
	P->p++;
	skip_ws(P);
	v = parse_value(P, depth);
	if (!v)
		goto out;
	/* nested key/value pairs (inline tables) have popped their keys */
	rc = tab_add(P, t, P->kb.ptr + koff, P->kb.len - koff, v, kpos);
out:
	buf_truncate(&P->kb, koff);
	return rc;
}

/* At '[': parses a [table] or [[array of tables]] header, makes it current. */
static int parse_header(struct parser *P)
{
	struct pos hpos = pos_at(P, P->p);
	int aot = P->p + 1 < P->end && P->p[1] == '[';
	const char *ks, *ke;
	const struct slot *s = NULL;
	struct pos kpos;
	size_t koff = P->kb.len;
	struct val *t, *c;
	char name[128];
	int depth = 0, rc = -1;

	P->p += aot ? 2 : 1;
	skip_ws(P);
	t = walk_key(P, P->root, WALK_HEADER, &depth, &koff, &kpos, &ks, &ke);
	if (!t)
		goto out;
	if (depth > TOML_MAX_DEPTH) {
		fail_at(P, kpos, "nesting too deep (the limit is %d levels)", TOML_MAX_DEPTH);
		goto out;
	}
	if (P->p >= P->end || *P->p != ']' || (aot && (P->p + 1 >= P->end || P->p[1] != ']'))) {
		char what[40];
		const char *q = P->p < P->end && *P->p == ']' ? P->p + 1 : P->p;

		describe(P, q, what, sizeof what);
		fail(P, q, "expected '%s' after the table name, found %s", aot ? "]]" : "]", what);
		goto out;
	}
	P->p += aot ? 2 : 1;
	show(name, sizeof name, ks, (size_t)(ke - ks));
	c = lookup(P, t, P->kb.ptr + koff, P->kb.len - koff, &s);
	if (!aot) {
		if (!c) {
			c = node(P, VAL_TABLE, TOML_F_DEFINED, hpos);
			if (!c || tab_add(P, t, P->kb.ptr + koff, P->kb.len - koff, c, kpos) < 0)
				goto out;
		} else if (c->type == VAL_TABLE && (c->flags & TOML_F_INLINE)) {
			fail_at(P, kpos, "cannot extend inline table '%s' (first defined at %d:%d)",
			        name, s->at.line, s->at.col);
			goto out;
		} else if (c->type == VAL_TABLE && (c->flags & TOML_F_DOTTED)) {
			fail_at(
			    P, kpos,
			    "table '%s' is already defined by dotted keys (first defined at %d:%d)",
			    name, c->line, c->col);
			goto out;
		} else if (c->type == VAL_TABLE && (c->flags & TOML_F_DEFINED)) {
			fail_at(P, kpos, "table '%s' defined twice (first defined at %d:%d)", name,
			        c->line, c->col);
			goto out;
		} else if (c->type == VAL_TABLE) {
			c->flags = TOML_F_DEFINED;
			c->line = hpos.line;
			c->col = hpos.col;
		} else {
			fail_at(
			    P, kpos,
			    "cannot define table '%s': it is already %s (first defined at %d:%d)",
			    name, a_type(c), s->at.line, s->at.col);
			goto out;
		}
	} else {
		struct val *el;

		if (!c) {
			c = node(P, VAL_ARRAY, TOML_F_AOT, hpos);
			if (!c || tab_add(P, t, P->kb.ptr + koff, P->kb.len - koff, c, kpos) < 0)
				goto out;
		} else if (c->type == VAL_ARRAY && !(c->flags & TOML_F_AOT)) {
			fail_at(P, kpos,
			        "cannot append to static array '%s' (first defined at %d:%d)", name,
			        s->at.line, s->at.col);
			goto out;
		} else if (c->type != VAL_ARRAY) {
			fail_at(
			    P, kpos,
			    "cannot define array of tables '%s': it is already %s (first defined "
			    "at %d:%d)",
			    name, a_type(c), s->at.line, s->at.col);
			goto out;
		}
		el = node(P, VAL_TABLE, TOML_F_DEFINED, hpos);
		if (!el || val_push(c, el) < 0) {
			oom(P);
			goto out;
		}
		c = el;
	}
	P->cur = c;
	P->cur_depth = depth;
	rc = 0;
out:
	buf_truncate(&P->kb, koff);
	return rc;
}

/* ---- arrays and inline tables ---- */

/* At '[': parses an array value at `depth` (already checked). */
static struct val *parse_array(struct parser *P, int depth)
{
	struct pos open = pos_at(P, P->p);
	struct val *a = node(P, VAL_ARRAY, TOML_F_INLINE, open), *v;
	char what[40];

	if (!a)
		return NULL;
	P->p++;
	for (;;) {
		if (skip_wscnl(P) < 0)
			goto fail;
		if (P->p < P->end && *P->p == ']')
			break;
		if (P->p >= P->end)
			goto unterminated;
		v = parse_value(P, depth + 1);
		if (!v || val_push(a, v) < 0) {
			if (v)
				oom(P);
			goto fail;
		}
		if (skip_wscnl(P) < 0)
			goto fail;
		if (P->p < P->end && *P->p == ',') {
			P->p++;
			continue;
		}
		if (P->p < P->end && *P->p == ']')
			break;
		if (P->p >= P->end)
			goto unterminated;
		describe(P, P->p, what, sizeof what);
		fail(P, P->p, "expected ',' or ']' in array, found %s", what);
		goto fail;
	}
	P->p++;
	return a;
unterminated:
	fail(P, P->p, "unterminated array (opened at %d:%d)", open.line, open.col);
fail:
	val_free(a);
	return NULL;
}

/* At '{': parses an inline table value at `depth` (already checked). */
static struct val *parse_inline(struct parser *P, int depth)
{
	struct pos open = pos_at(P, P->p);
	struct val *t = node(P, VAL_TABLE, TOML_F_INLINE, open);
	char what[40];

	if (!t)
		return NULL;
	P->p++;
	skip_ws(P);
	if (P->p < P->end && *P->p == '}')
		goto done;
	for (;;) {
		if (P->p >= P->end || at_nl(P, P->p))
			break;
		if (parse_keyval(P, t, depth) < 0)
			goto fail;
		skip_ws(P);
		if (P->p < P->end && *P->p == '}')
			goto done;
		if (P->p < P->end && *P->p == ',') {
			P->p++;
			skip_ws(P);
			if (P->p < P->end && *P->p == '}') {
				fail(P, P->p, "trailing comma is not allowed in an inline table");
				goto fail;
			}
			continue;
		}
		if (P->p >= P->end || at_nl(P, P->p))
			break;
		describe(P, P->p, what, sizeof what);
		fail(P, P->p, "expected ',' or '}' in inline table, found %s", what);
		goto fail;
	}
	if (P->p >= P->end)
		fail(P, P->p, "unterminated inline table (opened at %d:%d)", open.line, open.col);
	else
		fail(
		    P, P->p,
		    "newline in inline table (opened at %d:%d): inline tables must fit on one line",
		    open.line, open.col);
fail:
	val_free(t);
	return NULL;
done:
	P->p++;
	return t;
}

/* ---- scalars ---- */

/* Reads n digits at s into *v; 0, or -1 if one is no digit. */
static int digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Checks "HH:MM:SS[.fff]" at s (n bytes available); returns its length or -1. */
static int parse_time(struct parser *P, const char *s, size_t n)
{
	int h, m, sec;
	size_t i;

	if (n < 8 || digits(s, 2, &h) < 0 || s[2] != ':' || digits(s + 3, 2, &m) < 0 ||
	    s[5] != ':' || digits(s + 6, 2, &sec) < 0) {
		for (i = 0; i < 8 && i < n; i++)
			if ((i == 2 || i == 5) ? s[i] != ':' : !is_digit((unsigned char)s[i]))
				break;
		return fail(P, s + i, "invalid time: expected HH:MM:SS");
	}
	if (h > 23)
		return fail(P, s, "invalid time: hour %02d out of range 00-23", h);
	if (m > 59)
		return fail(P, s + 3, "invalid time: minute %02d out of range 00-59", m);
	if (sec > 60)
		return fail(P, s + 6, "invalid time: second %02d out of range 00-60", sec);
	i = 8;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit((unsigned char)s[i]))
			return fail(P, s + i, "invalid time: expected a digit after '.'");
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	return (int)i;
}

/* Parses the date-time token [s, e) into a VAL_DATETIME. */
static struct val *parse_datetime(struct parser *P, const char *s, const char *e)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct pos at = pos_at(P, s);
	size_t n = (size_t)(e - s), i = 0;
	enum val_dt dt = DT_TIME;
	struct val *v;
	int y, m, d, len;

	if (n >= 5 && s[4] == '-') {
		if (n < 10 || digits(s, 4, &y) < 0 || digits(s + 5, 2, &m) < 0 || s[7] != '-' ||
		    digits(s + 8, 2, &d) < 0) {
			for (i = 0; i < 10 && i < n; i++)
				if ((i == 4 || i == 7) ? s[i] != '-'
				                       : !is_digit((unsigned char)s[i]))
					break;
			fail(P, s + i, "invalid date: expected YYYY-MM-DD");
			return NULL;
		}
		if (m < 1 || m > 12) {
			fail(P, s + 5, "invalid date: month %02d out of range 01-12", m);
			return NULL;
		}
		if (d < 1 || d > mdays[m - 1] ||
		    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))) {
			fail(P, s + 8, "invalid date: %04d-%02d has no day %02d", y, m, d);
			return NULL;
		}
		i = 10;
		dt = DT_DATE;
		if (i < n) {
			if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') {
				fail(P, s + i,
				     "invalid date-time: expected 'T' between date and time");
				return NULL;
			}
			i++;
			len = parse_time(P, s + i, n - i);
			if (len < 0)
				return NULL;
			i += (size_t)len;
			dt = DT_LOCAL;
			if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
				i++;
				dt = DT_OFFSET;
			} else if (i < n && (s[i] == '+' || s[i] == '-')) {
				int oh, om;

				if (n - i < 6 || digits(s + i + 1, 2, &oh) < 0 || s[i + 3] != ':' ||
				    digits(s + i + 4, 2, &om) < 0) {
					fail(P, s + i,
					     "invalid date-time: expected offset as +HH:MM");
					return NULL;
				}
				if (oh > 23 || om > 59) {
					fail(P, s + i,
					     "invalid date-time: offset %.6s out of range", s + i);
					return NULL;
				}
				i += 6;
				dt = DT_OFFSET;
			}
		}
	} else {
		len = parse_time(P, s, n);
		if (len < 0)
			return NULL;
		i = (size_t)len;
	}
	if (i < n) {
		char what[40];

		describe(P, s + i, what, sizeof what);
		fail(P, s + i, "invalid %s: unexpected %s",
		     dt == DT_TIME   ? "time"
		     : dt == DT_DATE ? "date"
		                     : "date-time",
		     what);
		return NULL;
	}
	buf_reset(&P->sb);
	for (i = 0; i < n; i++)
		buf_putc(&P->sb, s[i] == 't' || s[i] == ' ' ? 'T' : s[i] == 'z' ? 'Z' : s[i]);
	if (buf_failed(&P->sb) || !(v = val_datetime(dt, P->sb.ptr, P->sb.len))) {
		oom(P);
		return NULL;
	}
	v->line = at.line;
	v->col = at.col;
	return v;
}

/* Scans decimal digits with underscores only between digits; 0 or -1. */
static int dec_digits(struct parser *P, const char **qp, const char *e, struct buf *out,
                      size_t *count)
{
	const char *q = *qp;

	for (; q < e; q++) {
		if (*q == '_') {
			if (q + 1 >= e || !is_digit((unsigned char)q[1]))
				return fail(P, q, "underscore in a number must be between digits");
			continue;
		}
		if (!is_digit((unsigned char)*q))
			break;
		if (out)
			buf_putc(out, *q);
		++*count;
	}
	*qp = q;
	return 0;
}

/* Parses the number token [s, e) into a VAL_INT or VAL_FLOAT. */
static struct val *parse_number(struct parser *P, const char *s, const char *e)
{
	struct pos at = pos_at(P, s);
	const char *q = s, *ip;
	int neg = 0, sign = 0, isfloat = 0;
	unsigned long long u = 0, lim;
	size_t nint = 0, nfrac = 0, nexp = 0, lead;
	long long ex = 0;
	struct val *v;
	double f;

	if (*q == '+' || *q == '-') {
		neg = *q == '-';
		sign = 1;
		q++;
	}
	if (e - q == 3 && (memcmp(q, "inf", 3) == 0 || memcmp(q, "nan", 3) == 0)) {
		f = copysign(*q == 'i' ? (double)INFINITY : (double)NAN, neg ? -1.0 : 1.0);
		goto mkfloat;
	}
	if (q >= e || !is_digit((unsigned char)*q)) {
		char what[40];

		describe(P, q, what, sizeof what);
		fail(P, q, "invalid number: expected a digit, found %s", what);
		return NULL;
	}
	if (*q == '0' && q + 1 < e && (q[1] == 'x' || q[1] == 'o' || q[1] == 'b')) {
		unsigned radix = q[1] == 'x' ? 16 : q[1] == 'o' ? 8 : 2;
		const char *kind = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary";

		if (sign) {
			fail(P, s, "%s integers cannot have a sign", kind);
			return NULL;
		}
		q += 2;
		for (ip = q; q < e; q++) {
			unsigned d;

			if (*q == '_' && q > ip && q + 1 < e && is_hex((unsigned char)q[1]))
				continue;
			if (!is_hex((unsigned char)*q)) {
				if (*q == '_')
					fail(P, q, "underscore in a number must be between digits");
				else if (q == ip)
					fail(P, q, "expected a %s digit after '0%c'", kind, q[-1]);
				else
					fail(P, q, "invalid character '%c' in %s integer", *q,
					     kind);
				return NULL;
			}
			d = is_digit((unsigned char)*q) ? (unsigned)(*q - '0')
			                                : (unsigned)((*q | 0x20) - 'a' + 10);
			if (d >= radix) {
				fail(P, q, "invalid digit '%c' in %s integer", *q, kind);
				return NULL;
			}
			if (u > ((unsigned long long)LLONG_MAX - d) / radix) {
				fail(P, s, "integer out of range (64-bit signed)");
				return NULL;
			}
			u = u * radix + d;
		}
		if (q == ip) {
			fail(P, q, "expected a %s digit after '0%c'", kind, q[-1]);
			return NULL;
		}
		v = node(P, VAL_INT, 0, at);
		if (v)
			v->u.i = (long long)u;
		return v;
	}
	if (*q == '0' && q + 1 < e && (is_digit((unsigned char)q[1]) || q[1] == '_')) {
		fail(P, q, "leading zeros are not allowed in numbers");
		return NULL;
	}
	buf_reset(&P->sb);
	if (dec_digits(P, &q, e, &P->sb, &nint) < 0)
		return NULL;
	if (q < e && *q == '.') {
		isfloat = 1;
		q++;
		if (q >= e || !is_digit((unsigned char)*q)) {
			fail(P, q, "invalid float: expected a digit after '.'");
			return NULL;
		}
		if (dec_digits(P, &q, e, &P->sb, &nfrac) < 0)
			return NULL;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		const char *xs;
		int xneg = 0;

		isfloat = 1;
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			xneg = *q++ == '-';
		if (q >= e || !is_digit((unsigned char)*q)) {
			fail(P, q, "invalid float: expected a digit in the exponent");
			return NULL;
		}
		xs = q;
		if (dec_digits(P, &q, e, NULL, &nexp) < 0)
			return NULL;
		for (; xs < q; xs++)
			if (*xs != '_' && ex < 1000000000)
				ex = ex * 10 + (*xs - '0');
		ex = xneg ? -ex : ex;
	}
	if (q < e) {
		char what[40];

		describe(P, q, what, sizeof what);
		fail(P, q, "invalid number: unexpected %s", what);
		return NULL;
	}
	if (buf_failed(&P->sb)) {
		oom(P);
		return NULL;
	}
	if (!isfloat) {
		lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
		for (q = P->sb.ptr; q < P->sb.ptr + P->sb.len; q++) {
			unsigned d = (unsigned)(*q - '0');

			if (u > (lim - d) / 10) {
				fail(P, s, "integer out of range (64-bit signed)");
				return NULL;
			}
			u = u * 10 + d;
		}
		v = node(P, VAL_INT, 0, at);
		if (v)
			v->u.i = !neg                                ? (long long)u
			         : u > (unsigned long long)LLONG_MAX ? LLONG_MIN
			                                             : -(long long)u;
		return v;
	}
	/*
	 * Value = digits * 10^(ex - nfrac). strtod() sees only digits and an
	 * exponent, never a decimal point, so the locale cannot change it. At
	 * most 780 significant digits are kept plus a sticky 1 for any nonzero
	 * rest, which still rounds correctly (a double needs at most 767).
	 */
	ex -= (long long)nfrac;
	for (lead = 0; lead < P->sb.len && P->sb.ptr[lead] == '0'; lead++)
		;
	if (lead == P->sb.len) {
		f = 0.0;
	} else {
		size_t nd = P->sb.len - lead, keep = 780, i;
		char tail[32];

		memmove(P->sb.ptr, P->sb.ptr + lead, nd);
		if (nd > keep) {
			int sticky = 0;

			for (i = keep; i < nd; i++)
				sticky |= P->sb.ptr[i] != '0';
			ex += (long long)(nd - keep);
			nd = keep;
			if (sticky) {
				P->sb.ptr[nd++] = '1';
				ex--;
			}
		}
		buf_truncate(&P->sb, nd);
		snprintf(tail, sizeof tail, "e%lld", ex);
		buf_puts(&P->sb, tail);
		if (buf_failed(&P->sb)) {
			oom(P);
			return NULL;
		}
		errno = 0;
		f = strtod(P->sb.ptr, NULL);
		if (errno == ERANGE && isinf(f)) {
			fail(P, s, "float out of range (too large for a double)");
			return NULL;
		}
	}
	f = neg ? -f : f;
mkfloat:
	v = node(P, VAL_FLOAT, 0, at);
	if (v)
		v->u.f = f;
	return v;
}

/* Parses an unquoted value: boolean, number or date-time. */
static struct val *parse_bare(struct parser *P)
{
	const char *s = P->p, *e = s;
	char what[40];
	struct val *v;
	size_t n;

	while (e < P->end && is_token((unsigned char)*e))
		e++;
	/* a date, then a space, then HH: is one date-time */
	if (e - s == 10 && s[4] == '-' && P->end - e >= 4 && e[0] == ' ' &&
	    is_digit((unsigned char)e[1]) && is_digit((unsigned char)e[2]) && e[3] == ':') {
		e++;
		while (e < P->end && is_token((unsigned char)*e))
			e++;
	}
	n = (size_t)(e - s);
	if (n == 0) {
		describe(P, s, what, sizeof what);
		fail(P, s, "expected a value, found %s", what);
		return NULL;
	}
	if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) {
		v = node(P, VAL_BOOL, 0, pos_at(P, s));
		if (v)
			v->u.b = n == 4;
	} else if (n >= 5 && is_digit((unsigned char)s[0]) && is_digit((unsigned char)s[1]) &&
	           is_digit((unsigned char)s[2]) && is_digit((unsigned char)s[3]) && s[4] == '-') {
		v = parse_datetime(P, s, e);
	} else if (n >= 3 && is_digit((unsigned char)s[0]) && is_digit((unsigned char)s[1]) &&
	           s[2] == ':') {
		v = parse_datetime(P, s, e);
	} else if (is_digit((unsigned char)s[0]) || s[0] == '+' || s[0] == '-' ||
	           (n == 3 && (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0))) {
		v = parse_number(P, s, e);
	} else {
		show(what, sizeof what, s, n);
		fail(P, s, "invalid value '%s'%s", what,
		     is_alpha((unsigned char)s[0]) ? " (strings must be quoted)" : "");
		return NULL;
	}
	if (v)
		P->p = e;
	return v;
}

/* Parses any value at P->p, at nesting `depth`. NULL with the error set. */
static struct val *parse_value(struct parser *P, int depth)
{
	char what[40];

	if (P->p >= P->end || at_nl(P, P->p) || *P->p == '#') {
		describe(P, P->p, what, sizeof what);
		fail(P, P->p, "expected a value, found %s",
		     P->p < P->end && *P->p == '#' ? "a comment" : what);
		return NULL;
	}
	switch (*P->p) {
	case '"':
	case '\'':
		return parse_string(P);
	case '[':
	case '{':
		if (depth > TOML_MAX_DEPTH) {
			fail(P, P->p, "nesting too deep (the limit is %d levels)", TOML_MAX_DEPTH);
			return NULL;
		}
		return *P->p == '[' ? parse_array(P, depth) : parse_inline(P, depth);
	default:
		return parse_bare(P);
	}
}

/* ---- document ---- */

/* Returns the first byte of text that is not valid UTF-8, or NULL. */
static const char *bad_utf8(const char *text, const char *end)
{
	const unsigned char *s = (const unsigned char *)text, *e = (const unsigned char *)end;

	while (s < e) {
		unsigned c = *s;
		size_t need, i;

		if (c < 0x80) {
			while (e - s >= 8) {
				uint64_t w;

				memcpy(&w, s, 8);
				if (w & 0x8080808080808080ull)
					break;
				s += 8;
			}
			if (s < e && *s < 0x80)
				s++;
			continue;
		}
		if (c < 0xc2 || c > 0xf4)
			return (const char *)s;
		need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
		if ((size_t)(e - s) <= need)
			return (const char *)s;
		for (i = 1; i <= need; i++)
			if ((s[i] & 0xc0) != 0x80)
				return (const char *)s;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
		    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return (const char *)s;
		s += need + 1;
	}
	return NULL;
}

/* Moves the line tracking of P from its current line to the line of ptr. */
static void seek_line(struct parser *P, const char *ptr)
{
	const char *q = P->lstart, *nl;

	while ((nl = memchr(q, '\n', (size_t)(ptr - q))) != NULL) {
		P->line++;
		q = nl + 1;
	}
	P->lstart = q;
}

/* Parses the whole document into P->root. Returns 0 or -1. */
static int parse_document(struct parser *P)
{
	char what[40];
	int header;

	while (P->p < P->end) {
		skip_ws(P);
		if (P->p >= P->end)
			break;
		header = 0;
		if (*P->p == '#') {
			if (skip_comment(P) < 0)
				return -1;
		} else if (*P->p == '[') {
			header = 1;
			if (parse_header(P) < 0)
				return -1;
		} else if (!at_nl(P, P->p) && *P->p != '\r') {
			if (parse_keyval(P, P->cur, P->cur_depth) < 0)
				return -1;
		}
		skip_ws(P);
		if (P->p < P->end && *P->p == '#' && skip_comment(P) < 0)
			return -1;
		if (P->p >= P->end)
			break;
		if (at_nl(P, P->p)) {
			P->p = eat_nl(P, P->p);
			continue;
		}
		if (*P->p == '\r')
			return fail(P, P->p, "carriage return not followed by a newline");
		describe(P, P->p, what, sizeof what);
		return fail(P, P->p, "expected a newline after the %s, found %s",
		            header ? "table header" : "key/value pair", what);
	}
	return 0;
}

struct val *toml_parse(const char *text, size_t len, const char *name, int line_offset,
                       struct err *e)
{
	struct parser P;
	struct val *root = NULL;
	const char *bad;

	memset(&P, 0, sizeof P);
	P.name = name ? name : "<toml>";
	P.line_offset = line_offset;
	P.e = e;
	P.line = 1;
	buf_init(&P.sb);
	buf_init(&P.kb);
	if (!text && len) {
		err_at(e, P.name, 0, 0, "no text to parse");
		goto out;
	}
	if (!text)
		text = "";
	P.p = P.lstart = P.cptr = text;
	P.end = text + len;
	P.ccol = 1;
	if (len > TOML_MAX_SIZE) {
		seek_line(&P, text + TOML_MAX_SIZE);
		fail(&P, text + TOML_MAX_SIZE, "document too large (%zu bytes, the limit is %u)",
		     len, TOML_MAX_SIZE);
		goto out;
	}
	bad = bad_utf8(text, P.end);
	if (bad) {
		seek_line(&P, bad);
		fail(&P, bad, "invalid utf-8 byte 0x%02x", (unsigned char)*bad);
		goto out;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		P.p = P.lstart = P.cptr = text + 3;
	P.root = node(&P, VAL_TABLE, TOML_F_DEFINED, pos_at(&P, P.p));
	if (!P.root)
		goto out;
	P.cur = P.root;
	if (parse_document(&P) < 0)
		goto out;
	root = P.root;
	P.root = NULL;
out:
	val_free(P.root);
	free(P.slots);
	buf_free(&P.sb);
	buf_free(&P.kb);
	return root;
}
