/*
 * json.c - JSON text to and from the value tree, through libjansson (the
 * only user of <jansson.h> in the project). See json.h for the mapping.
 *
 * Reading: jansson parses the text into its own tree (strict, duplicate
 * keys and invalid UTF-8 refused, \u0000 allowed in strings), which is then
 * converted into a value tree, counting the nesting on the way.
 * Writing: the value tree is converted into a jansson tree, checking what
 * JSON cannot hold, and jansson writes it into a struct buf.
 */
#include "json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "utf8.h"

/* ---- reading ---- */

struct reader {
	const char *text; /* the whole JSON text, to place a nesting error */
	size_t len;
	const char *name; /* error prefix */
	struct err *e;
};

/* Finds the first '[' or '{' nested deeper than JSON_MAX_DEPTH in `s`, which
 * jansson has read without a syntax error up to that point. Sets *line and
 * *col (1-based, col in characters, counted as jansson counts them). Returns
 * 0, or -1 if there is none. */
static int find_too_deep(const char *s, size_t len, int *line, int *col)
{
	int depth = 0, in_str = 0, esc = 0, ln = 1, cl = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') { /* never inside a string: raw control characters are refused */
			ln++;
			cl = 0;
			continue;
		}
		if ((c & 0xC0) != 0x80)
			cl++;
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > JSON_MAX_DEPTH) {
				*line = ln;
				*col = cl;
				return 0;
			}
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return -1;
}

/* Sets the "nesting too deep" error at the place of the first container too
 * deep in r's text. Returns NULL (for `return too_deep(r)`). */
static struct val *too_deep(const struct reader *r)
{
	int line = 0, col = 0;

	find_too_deep(r->text, r->len, &line, &col);
	err_at(r->e, r->name, line, col, "nesting too deep (over %d levels)", JSON_MAX_DEPTH);
	return NULL;
}

/* Converts jansson's value `j`, found inside `depth` arrays/objects, into a
 * new value tree. Returns the tree (caller frees with val_free) or NULL
 * with r->e set. */
static struct val *from_json(json_t *j, int depth, const struct reader *r)
{
	struct val *v = NULL;

	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		size_t klen;
		json_t *child;

		if (depth >= JSON_MAX_DEPTH)
			return too_deep(r);
		v = val_new(VAL_TABLE);
		if (!v)
			break;
		/* jansson keeps keys in insertion order (= document order) */
		json_object_keylen_foreach(j, key, klen, child)
		{
			struct val *c = from_json(child, depth + 1, r);

			if (!c) {
				val_free(v);
				return NULL;
			}
			/* keys are unique: JSON_REJECT_DUPLICATES */
			if (val_append(v, key, klen, c) < 0) {
				val_free(v);
				v = NULL;
				break;
			}
		}
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *child;

		if (depth >= JSON_MAX_DEPTH)
			return too_deep(r);
		v = val_new(VAL_ARRAY);
		if (!v)
			break;
		json_array_foreach(j, i, child)
		{
			struct val *c = from_json(child, depth + 1, r);

			if (!c) {
				val_free(v);
				return NULL;
			}
			if (val_push(v, c) < 0) {
				val_free(v);
				v = NULL;
				break;
			}
		}
		break;
	}
	case JSON_STRING:
		v = val_strn(json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		v = val_int(json_integer_value(j));
		break;
	case JSON_REAL:
		v = val_float(json_real_value(j));
		break;
	case JSON_TRUE:
		v = val_bool(1);
		break;
	case JSON_FALSE:
		v = val_bool(0);
		break;
	case JSON_NULL:
		v = val_new(VAL_NULL);
		break;
	}
	if (!v)
		err_oom(r->e);
	return v;
}

struct val *json_parse(const char *text, size_t len, const char *name, struct err *e)
{
	struct reader r = {text ? text : "", text ? len : 0, name ? name : "json", e};
	json_error_t jerr;
	json_t *j;
	struct val *v;

	if (r.len > JSON_MAX_SIZE) {
		err_set(e, "%s: JSON text too large (%zu bytes, limit %u)", r.name, r.len,
		        JSON_MAX_SIZE);
		return NULL;
	}
	j = json_loadb(r.text, r.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY,
	               &jerr);
	if (!j) {
		switch (json_error_code(&jerr)) {
		case json_error_out_of_memory:
			err_oom(e);
			break;
		case json_error_stack_overflow: /* jansson's own limit, far above ours */
			too_deep(&r);
			break;
		default:
			err_at(e, r.name, jerr.line, jerr.column, "%s", jerr.text);
		}
		return NULL;
	}
	v = from_json(j, 0, &r);
	json_decref(j);
	return v;
}

struct val *json_read_file(const char *path, struct err *e)
{
	size_t len = 0;
	char *text = fs_read(path, JSON_MAX_SIZE, &len, e);
	struct val *v;

	if (!text)
		return NULL;
	v = json_parse(text, len, path, e);
	free(text);
	return v;
}

/* ---- writing ---- */

struct writer {
	/* the path from the root to the value being converted, for errors:
	 * at each level the table entry, or NULL and the array index */
	const struct val_kv *key[JSON_MAX_DEPTH];
	size_t index[JSON_MAX_DEPTH];
	int depth;
	struct err *e;
};

/* Sets an ERR_INPUT error "path: what" for the value being converted.
 * Returns NULL (for `return fail(w, ...)`). */
static json_t *fail(const struct writer *w, const char *what)
{
	char path[256];
	size_t n = 0;
	int i;

	path[0] = '\0';
	for (i = 0; i < w->depth && n < sizeof path; i++) {
		int k;

		if (w->key[i])
			k = snprintf(path + n, sizeof path - n, "%s%s", i ? "." : "",
			             w->key[i]->key);
		else
			k = snprintf(path + n, sizeof path - n, "[%zu]", w->index[i]);
		if (k < 0)
			break;
		n += (size_t)k;
	}
	err_set(w->e, "%s: %s", w->depth ? path : "top level", what);
	return NULL;
}

/* 1 if the `len` bytes of `s` are valid UTF-8, else 0. */
static int valid_utf8(const char *s, size_t len)
{
	return utf8_check(s, len) == len;
}

static json_t *to_json(struct writer *w, const struct val *v);

/* Converts the children of array `v` into `arr`. 0, or -1 with w->e set. */
static int add_items(struct writer *w, json_t *arr, const struct val *v)
{
	size_t i;

	for (i = 0; i < v->u.arr.n; i++) {
		json_t *c;

		w->key[w->depth] = NULL;
		w->index[w->depth] = i;
		w->depth++;
		c = to_json(w, v->u.arr.items[i]);
		w->depth--;
		if (!c)
			return -1;
		if (json_array_append_new(arr, c) < 0) /* frees c */
			return err_oom(w->e);
	}
	return 0;
}

/* Converts the entries of table `v` into `obj`. 0, or -1 with w->e set. */
static int add_entries(struct writer *w, json_t *obj, const struct val *v)
{
	size_t i;

	for (i = 0; i < v->u.tab.n; i++) {
		const struct val_kv *kv = &v->u.tab.kv[i];
		json_t *c;

		/* a bad key is reported at the table, not printed */
		if (memchr(kv->key, '\0', kv->klen)) {
			fail(w, "NUL byte in a key");
			return -1;
		}
		if (!valid_utf8(kv->key, kv->klen)) {
			fail(w, "invalid UTF-8 in a key");
			return -1;
		}
		w->key[w->depth] = kv;
		w->depth++;
		if (json_object_getn(obj, kv->key, kv->klen))
			c = fail(w, "key given twice");
		else
			c = to_json(w, kv->v);
		w->depth--;
		if (!c)
			return -1;
		if (json_object_setn_new_nocheck(obj, kv->key, kv->klen, c) < 0) /* frees c */
			return err_oom(w->e);
	}
	return 0;
}

/* Converts the value tree `v` into a new jansson value. Returns it (the
 * caller drops it with json_decref) or NULL with w->e set. */
static json_t *to_json(struct writer *w, const struct val *v)
{
	json_t *j = NULL;

	if (!v)
		return fail(w, "missing value");
	switch (v->type) {
	case VAL_NULL:
		return json_null();
	case VAL_BOOL:
		return json_boolean(v->u.b);
	case VAL_INT:
		j = json_integer(v->u.i);
		break;
	case VAL_FLOAT:
		if (!isfinite(v->u.f))
			return fail(w, "NaN or infinity has no JSON form");
		j = json_real(v->u.f);
		break;
	case VAL_STRING:
	case VAL_DATETIME:
		if (!valid_utf8(v->u.str.s, v->u.str.len))
			return fail(w, "invalid UTF-8 in a string");
		j = json_stringn_nocheck(v->u.str.s, v->u.str.len);
		break;
	case VAL_ARRAY:
	case VAL_TABLE:
		if (w->depth >= JSON_MAX_DEPTH) {
			char what[64];

			snprintf(what, sizeof what, "nesting too deep (over %d levels)",
			         JSON_MAX_DEPTH);
			return fail(w, what);
		}
		j = v->type == VAL_ARRAY ? json_array() : json_object();
		if (!j)
			break;
		if ((v->type == VAL_ARRAY ? add_items(w, j, v) : add_entries(w, j, v)) < 0) {
			json_decref(j);
			return NULL;
		}
		return j;
	default:
		return fail(w, "unknown value type");
	}
	if (!j)
		err_oom(w->e);
	return j;
}

/* jansson's output callback: appends to the struct buf in `data`. */
static int put(const char *s, size_t len, void *data)
{
	struct buf *b = data;

	buf_add(b, s, len);
	return buf_failed(b) ? -1 : 0;
}

/* Copies `in` into `out` with '<' '>' '&' and U+2028 U+2029 written as \u
 * escapes. These can only stand inside strings in JSON text, where the
 * escapes mean the same characters. The caller checks buf_failed(out). */
static void script_escape(struct buf *out, const struct buf *in)
{
	size_t i, start = 0;

	for (i = 0; i < in->len; i++) {
		unsigned char c = (unsigned char)in->ptr[i];
		const char *rep = NULL;
		size_t skip = 1;

		if (c == '<')
			rep = "\\u003c";
		else if (c == '>')
			rep = "\\u003e";
		else if (c == '&')
			rep = "\\u0026";
		else if (c == 0xE2 && i + 2 < in->len && (unsigned char)in->ptr[i + 1] == 0x80 &&
		         ((unsigned char)in->ptr[i + 2] & 0xFE) == 0xA8) {
			rep = (unsigned char)in->ptr[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
			skip = 3;
		}
		if (!rep)
			continue;
		buf_add(out, in->ptr + start, i - start);
		buf_puts(out, rep);
		i += skip - 1;
		start = i + 1;
	}
	buf_add(out, in->ptr + start, in->len - start);
}

char *json_dump(const struct val *v, unsigned flags, size_t *len, struct err *e)
{
	struct writer w = {{NULL}, {0}, 0, e};
	struct buf out = BUF_INIT, esc = BUF_INIT;
	size_t jflags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
	json_t *j;
	int rc;
	char *res;

	if (flags & ~(unsigned)(JSON_OUT_PRETTY | JSON_OUT_SCRIPT)) {
		err_set(e, "json_dump: unknown flags 0x%x", flags);
		return NULL;
	}
	jflags |= (flags & JSON_OUT_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT;
	if (flags & JSON_OUT_SCRIPT)
		jflags |= JSON_ESCAPE_SLASH;
	j = to_json(&w, v);
	if (!j)
		return NULL;
	rc = json_dump_callback(j, put, &out, jflags);
	json_decref(j);
	if (flags & JSON_OUT_PRETTY)
		buf_putc(&out, '\n');
	if (rc < 0 || buf_failed(&out)) {
		buf_free(&out);
		err_oom(e);
		return NULL;
	}
	if (flags & JSON_OUT_SCRIPT) {
		script_escape(&esc, &out);
		buf_free(&out);
		out = esc;
	}
	res = buf_detach(&out, len);
	if (!res)
		err_oom(e);
	return res;
}
