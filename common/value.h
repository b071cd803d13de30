/*
 * value.h - the dynamic value tree shared by the TOML reader (documents),
 * the Mustache engine (template contexts) and the site model.
 *
 * A value is a heap node. Containers own their children: val_free() on a
 * container frees the whole tree. Tables keep keys in insertion order and
 * are looked up linearly (front matter and template contexts are small).
 * Strings are length-counted and also NUL-terminated; they may contain NUL
 * (TOML's \u0000), so use `len`, not strlen, where that matters.
 */
#ifndef OKIENKO_VALUE_H
#define OKIENKO_VALUE_H

#include <stddef.h>

enum val_type {
	VAL_NULL,
	VAL_BOOL,
	VAL_INT,
	VAL_FLOAT,
	VAL_STRING,
	VAL_DATETIME, /* text in u.str, kind in `dt` */
	VAL_ARRAY,
	VAL_TABLE,
};

enum val_dt {
	DT_OFFSET, /* 1979-05-27T07:32:00Z, 1979-05-27T00:32:00.999-07:00 */
	DT_LOCAL,  /* 1979-05-27T07:32:00 */
	DT_DATE,   /* 1979-05-27 */
	DT_TIME,   /* 07:32:00 */
};

struct val;

struct val_kv {
	char *key; /* NUL-terminated, owned */
	size_t klen;
	struct val *v; /* owned */
};

struct val {
	enum val_type type;
	enum val_dt dt; /* VAL_DATETIME only */
	unsigned flags; /* free for the producer (the TOML reader marks tables) */
	int line, col;  /* where the value starts in its source, 1-based; 0 if none */
	union {
		int b;
		long long i;
		double f;
		struct {
			char *s; /* owned, NUL-terminated */
			size_t len;
		} str;
		struct {
			struct val **items;
			size_t n, cap;
		} arr;
		struct {
			struct val_kv *kv;
			size_t n, cap;
		} tab;
	} u;
};

/* Constructors return a new node the caller owns, or NULL on allocation
 * failure. */
struct val *val_new(enum val_type type);
struct val *val_bool(int b);
struct val *val_int(long long i);
struct val *val_float(double f);
/* Copies `len` bytes of `s`. */
struct val *val_strn(const char *s, size_t len);
struct val *val_str(const char *s);
struct val *val_datetime(enum val_dt dt, const char *s, size_t len);
/* Deep copy; NULL on allocation failure. */
struct val *val_dup(const struct val *v);
/* Frees the node and everything it owns. NULL is fine. */
void val_free(struct val *v);

/* Appends `item` to an array, taking ownership even on failure (it is freed
 * then). Returns 0, or -1 on allocation failure or NULL item. */
int val_push(struct val *arr, struct val *item);
/* Sets `key` in a table, taking ownership of `v` even on failure. An
 * existing key is replaced in place (keeping its position). Returns 0/-1. */
int val_setn(struct val *tab, const char *key, size_t klen, struct val *v);
int val_set(struct val *tab, const char *key, struct val *v);
/* Appends `key` (the caller knows it is absent: no duplicate scan), taking
 * ownership of `v` even on failure. 0 or -1. */
int val_append(struct val *tab, const char *key, size_t klen, struct val *v);
/* Convenience setters: copy the string; return 0/-1. */
int val_set_str(struct val *tab, const char *key, const char *s);
int val_set_int(struct val *tab, const char *key, long long i);
int val_set_bool(struct val *tab, const char *key, int b);

/* Lookup in a table: the child or NULL (also NULL when tab is no table).
 * The child stays owned by the table; a const tree gives const children. */
const struct val *val_getn(const struct val *tab, const char *key, size_t klen);
const struct val *val_get(const struct val *tab, const char *key);
/* The same for a tree the caller may change (still owned by the table). */
struct val *val_getn_mut(struct val *tab, const char *key, size_t klen);
struct val *val_get_mut(struct val *tab, const char *key);
/* Follows a dotted path "a.b.c" through tables. */
const struct val *val_path(const struct val *root, const char *path);
/* 1 when a and b hold the same value: the same type and contents, tables
 * with the same keys whatever their order (two NULLs are equal). Where the
 * values come from (line, col, flags) does not count. */
int val_equal(const struct val *a, const struct val *b);
/* Typed getters with a default for missing or mistyped values. */
const char *val_get_str(const struct val *tab, const char *key, const char *def);
long long val_get_int(const struct val *tab, const char *key, long long def);
int val_get_bool(const struct val *tab, const char *key, int def);

const char *val_type_name(enum val_type t);

#endif
