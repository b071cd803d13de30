#include "value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct val *val_new(enum val_type type)
{
	struct val *v = calloc(1, sizeof *v);

	if (v)
		v->type = type;
	return v;
}

struct val *val_bool(int b)
{
	struct val *v = val_new(VAL_BOOL);

	if (v)
		v->u.b = !!b;
	return v;
}

struct val *val_int(long long i)
{
	struct val *v = val_new(VAL_INT);

	if (v)
		v->u.i = i;
	return v;
}

struct val *val_float(double f)
{
	struct val *v = val_new(VAL_FLOAT);

	if (v)
		v->u.f = f;
	return v;
}

static struct val *mkstr(enum val_type t, const char *s, size_t len)
{
	struct val *v;

	if (len == SIZE_MAX)
		return NULL;
	v = val_new(t);
	if (!v)
		return NULL;
	v->u.str.s = malloc(len + 1);
	if (!v->u.str.s) {
		free(v);
		return NULL;
	}
	if (len)
		memcpy(v->u.str.s, s, len);
	v->u.str.s[len] = '\0';
	v->u.str.len = len;
	return v;
}

struct val *val_strn(const char *s, size_t len)
{
	return mkstr(VAL_STRING, s, len);
}

struct val *val_str(const char *s)
{
	return mkstr(VAL_STRING, s, strlen(s));
}

struct val *val_datetime(enum val_dt dt, const char *s, size_t len)
{
	struct val *v = mkstr(VAL_DATETIME, s, len);

	if (v)
		v->dt = dt;
	return v;
}

struct val *val_dup(const struct val *v)
{
	struct val *c = NULL;
	size_t i;

	switch (v->type) {
	case VAL_STRING:
	case VAL_DATETIME:
		c = mkstr(v->type, v->u.str.s, v->u.str.len);
		break;
	case VAL_ARRAY:
		c = val_new(VAL_ARRAY);
		for (i = 0; c && i < v->u.arr.n; i++)
			if (val_push(c, val_dup(v->u.arr.items[i])) < 0) {
				val_free(c);
				c = NULL;
			}
		break;
	case VAL_TABLE:
		c = val_new(VAL_TABLE);
		for (i = 0; c && i < v->u.tab.n; i++)
			if (val_setn(c, v->u.tab.kv[i].key, v->u.tab.kv[i].klen,
			             val_dup(v->u.tab.kv[i].v)) < 0) {
				val_free(c);
				c = NULL;
			}
		break;
	default:
		c = val_new(v->type);
		if (c)
			c->u = v->u;
		break;
	}
	if (c) {
		c->dt = v->dt;
		c->flags = v->flags;
		c->line = v->line;
		c->col = v->col;
	}
	return c;
}

void val_free(struct val *v)
{
	size_t i;

	if (!v)
		return;
	switch (v->type) {
	case VAL_STRING:
	case VAL_DATETIME:
		free(v->u.str.s);
		break;
	case VAL_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			val_free(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case VAL_TABLE:
		for (i = 0; i < v->u.tab.n; i++) {
			free(v->u.tab.kv[i].key);
			val_free(v->u.tab.kv[i].v);
		}
		free(v->u.tab.kv);
		break;
	default:
		break;
	}
	free(v);
}

/* Makes room for one more element in an array of `n` of `size` bytes
 * with `*cap` allocated (doubling, overflow-checked). 0 or -1. */
static int reserve(void **items, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 4;
	if (c > SIZE_MAX / size)
		return -1;
	p = realloc(*items, c * size);
	if (!p)
		return -1;
	*items = p;
	*cap = c;
	return 0;
}

int val_push(struct val *arr, struct val *item)
{
	if (!item || !arr || arr->type != VAL_ARRAY)
		goto fail;
	if (reserve((void **)&arr->u.arr.items, &arr->u.arr.cap, arr->u.arr.n,
	            sizeof(struct val *)) < 0)
		goto fail;
	arr->u.arr.items[arr->u.arr.n++] = item;
	return 0;
fail:
	val_free(item);
	return -1;
}

int val_append(struct val *tab, const char *key, size_t klen, struct val *v)
{
	struct val_kv *kv;

	if (!v || !tab || tab->type != VAL_TABLE || klen == SIZE_MAX ||
	    reserve((void **)&tab->u.tab.kv, &tab->u.tab.cap, tab->u.tab.n, sizeof *kv) < 0)
		goto fail;
	kv = &tab->u.tab.kv[tab->u.tab.n];
	kv->key = malloc(klen + 1);
	if (!kv->key)
		goto fail;
	if (klen)
		memcpy(kv->key, key, klen);
	kv->key[klen] = '\0';
	kv->klen = klen;
	kv->v = v;
	tab->u.tab.n++;
	return 0;
fail:
	val_free(v);
	return -1;
}

int val_setn(struct val *tab, const char *key, size_t klen, struct val *v)
{
	size_t i;

	if (!v || !tab || tab->type != VAL_TABLE)
		goto fail;
	for (i = 0; i < tab->u.tab.n; i++) {
		struct val_kv *kv = &tab->u.tab.kv[i];

		if (kv->klen == klen && memcmp(kv->key, key, klen) == 0) {
			val_free(kv->v);
			kv->v = v;
			return 0;
		}
	}
	return val_append(tab, key, klen, v);
fail:
	val_free(v);
	return -1;
}

int val_set(struct val *tab, const char *key, struct val *v)
{
	return val_setn(tab, key, strlen(key), v);
}

int val_set_str(struct val *tab, const char *key, const char *s)
{
	return val_set(tab, key, val_str(s ? s : ""));
}

int val_set_int(struct val *tab, const char *key, long long i)
{
	return val_set(tab, key, val_int(i));
}

int val_set_bool(struct val *tab, const char *key, int b)
{
	return val_set(tab, key, val_bool(b));
}

/* The index of `key` in table `tab`, or -1. */
static long find_key(const struct val *tab, const char *key, size_t klen)
{
	size_t i;

	if (!tab || tab->type != VAL_TABLE)
		return -1;
	for (i = 0; i < tab->u.tab.n; i++) {
		const struct val_kv *kv = &tab->u.tab.kv[i];

		if (kv->klen == klen && memcmp(kv->key, key, klen) == 0)
			return (long)i;
	}
	return -1;
}

const struct val *val_getn(const struct val *tab, const char *key, size_t klen)
{
	long i = find_key(tab, key, klen);

	return i < 0 ? NULL : tab->u.tab.kv[i].v;
}

const struct val *val_get(const struct val *tab, const char *key)
{
	return val_getn(tab, key, strlen(key));
}

struct val *val_getn_mut(struct val *tab, const char *key, size_t klen)
{
	long i = find_key(tab, key, klen);

	return i < 0 ? NULL : tab->u.tab.kv[i].v;
}

struct val *val_get_mut(struct val *tab, const char *key)
{
	return val_getn_mut(tab, key, strlen(key));
}

const struct val *val_path(const struct val *root, const char *path)
{
	const struct val *v = root;
	const char *dot;

	for (;;) {
		dot = strchr(path, '.');
		if (!dot)
			return val_get(v, path);
		v = val_getn(v, path, (size_t)(dot - path));
		if (!v)
			return NULL;
		path = dot + 1;
	}
}

const char *val_get_str(const struct val *tab, const char *key, const char *def)
{
	const struct val *v = val_get(tab, key);

	return v && (v->type == VAL_STRING || v->type == VAL_DATETIME) ? v->u.str.s : def;
}

long long val_get_int(const struct val *tab, const char *key, long long def)
{
	const struct val *v = val_get(tab, key);

	return v && v->type == VAL_INT ? v->u.i : def;
}

int val_get_bool(const struct val *tab, const char *key, int def)
{
	const struct val *v = val_get(tab, key);

	return v && v->type == VAL_BOOL ? v->u.b : def;
}

const char *val_type_name(enum val_type t)
{
	static const char *const names[] = {"null",   "boolean",  "integer", "float",
	                                    "string", "datetime", "array",   "table"};

	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

int val_equal(const struct val *a, const struct val *b)
{
	size_t i;

	if (!a || !b)
		return a == b;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case VAL_NULL:
		return 1;
	case VAL_BOOL:
		return !a->u.b == !b->u.b;
	case VAL_INT:
		return a->u.i == b->u.i;
	case VAL_FLOAT:
		return a->u.f == b->u.f;
	case VAL_DATETIME:
		if (a->dt != b->dt)
			return 0;
		/* fall through */
	case VAL_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case VAL_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return 0;
		for (i = 0; i < a->u.arr.n; i++)
			if (!val_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return 0;
		return 1;
	case VAL_TABLE:
		if (a->u.tab.n != b->u.tab.n)
			return 0;
		for (i = 0; i < a->u.tab.n; i++)
			if (!val_equal(a->u.tab.kv[i].v, val_get(b, a->u.tab.kv[i].key)))
				return 0;
		return 1;
	}
	return 0;
}
