/*
 * strmap.h - a string-keyed hash map (open addressing, linear probing).
 * Keys are borrowed, not copied: they must outlive the map. Values are
 * opaque pointers the map does not own.
 */
#ifndef OKIENKO_STRMAP_H
#define OKIENKO_STRMAP_H

#include <stddef.h>

struct strmap_slot {
	const char *key; /* NULL: empty */
	size_t klen;
	size_t hash;
	void *val;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

#define STRMAP_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Inserts or replaces. Returns 0, or -1 on allocation failure. */
int strmap_putn(struct strmap *m, const char *key, size_t klen, void *val);
int strmap_put(struct strmap *m, const char *key, void *val);
/* The value, or NULL when absent. */
void *strmap_getn(const struct strmap *m, const char *key, size_t klen);
void *strmap_get(const struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

#endif
