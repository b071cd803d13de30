/*
 * slug.h - stable ASCII identifiers from Polish text, for heading ids and
 * URLs: "Prawo do usunięcia danych" -> "prawo-do-usuniecia-danych".
 */
#ifndef OKIENKO_SLUG_H
#define OKIENKO_SLUG_H

#include "buf.h"

/* Appends the slug of `s` to out: letters transliterated to ASCII (Polish
 * and other Latin letters), lowercased; every run of other characters
 * becomes one '-', none at either end. Appends nothing when nothing is
 * left; the caller picks a fallback. */
void slugify(struct buf *out, const char *s, size_t len);

#endif
