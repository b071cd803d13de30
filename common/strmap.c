#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static struct strmap_slot *find(const struct strmap *m, const char *key, size_t klen, size_t h)
{
	size_t i = h & (m->cap - 1);

	for (;;) {
		struct strmap_slot *s = &m->slots[i];

		if (!s->key || (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, i;
	struct strmap old = *m;

	if (cap > SIZE_MAX / sizeof *m->slots)
		return -1;
	m->slots = calloc(cap, sizeof *m->slots);
	if (!m->slots) {
		*m = old;
		return -1;
	}
	m->cap = cap;
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(m, old.slots[i].key, old.slots[i].klen, old.slots[i].hash) =
			    old.slots[i];
	free(old.slots);
	return 0;
}

int strmap_putn(struct strmap *m, const char *key, size_t klen, void *val)
{
	size_t h = hash(key, klen);
	struct strmap_slot *s;

	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return -1;
	s = find(m, key, klen, h);
	if (!s->key) {
		s->key = key;
		s->klen = klen;
		s->hash = h;
		m->n++;
	}
	s->val = val;
	return 0;
}

int strmap_put(struct strmap *m, const char *key, void *val)
{
	return strmap_putn(m, key, strlen(key), val);
}

void *strmap_getn(const struct strmap *m, const char *key, size_t klen)
{
	struct strmap_slot *s;

	if (!m->cap)
		return NULL;
	s = find(m, key, klen, hash(key, klen));
	return s->key ? s->val : NULL;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	return strmap_getn(m, key, strlen(key));
}

void strmap_free(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
