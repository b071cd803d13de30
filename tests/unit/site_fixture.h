/*
 * site_fixture.h - a built site written by hand for the tests that load
 * one (test_pages.c, test_forum.c, test_flows.c): OUT/private/ as the
 * generator writes it, with the repository's real theme read from
 * themes/default/ below the working directory (tests/run.sh runs from the
 * repository root). Every helper fails the running cmocka test on error.
 */
#ifndef OKIENKO_TEST_SITE_FIXTURE_H
#define OKIENKO_TEST_SITE_FIXTURE_H

/* Writes `text` to the file at `path` (its folders made as needed). */
void fixture_put(const char *path, const char *text);
/* Writes SITE/private/NAME. */
void fixture_priv(const char *site, const char *name, const char *text);
/* Copies every file of folder `from` ending in `ext` into folder `to`
 * (at least one must). */
void fixture_copy_dir(const char *from, const char *to, const char *ext);
/* The theme themes/default (layouts, partials, theme.toml and the other
 * .toml files) into SITE/private/theme. */
void fixture_theme(const char *site);

#endif
