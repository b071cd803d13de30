/*
 * Unit tests of formd/pages.c sitedata_load: a site folder written by hand
 * in a mkdtemp dir (private/ as the generator writes it, with the
 * repository's real theme, read from themes/default/ below the working
 * directory: tests/run.sh runs from the repository root), loaded or
 * refused.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "fsutil.h"
#include "pages.h"
#include "site_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
	char dir[64];  /* the temp folder */
	char site[96]; /* dir/site: what the generator would have built */
};

/* The four forms formd shows again with their errors, each with its page
 * (the demo site's paths). */
static const char forms_json[] =
    "{\"contact\": \"/kontakt/wyslij\", \"register\": \"/konto/rejestracja\", "
    "\"login\": \"/konto/logowanie\", \"rights\": \"/ochrona-danych/wniosek\", "
    "\"test\": \"/kursy/test\"}";

static const char pages_json[] =
    "{\"/kontakt/\": {\"layout\": \"form-contact\", \"frame\": {}}, "
    "\"/konto/rejestracja/\": {\"layout\": \"form-register\", \"frame\": {}}, "
    "\"/konto/logowanie/\": {\"layout\": \"form-login\", \"frame\": {}}, "
    "\"/ochrona-danych/wniosek/\": {\"layout\": \"form-rights\", \"frame\": {}}}";

/* A complete site: the theme, site.json and the rest; pages.json and
 * forms.json as given above (a test writes its own over them). */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/okienko-pages-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	snprintf(f->site, sizeof f->site, "%s/site", f->dir);
	fixture_priv(f->site, "site.json",
	             "{\"site\": {\"title\": \"Portal\", \"base_url\": \"https://example.pl\"}, "
	             "\"menu\": [], \"offices\": []}");
	fixture_priv(f->site, "pages.json", pages_json);
	fixture_priv(f->site, "forms.json", forms_json);
	fixture_priv(f->site, "offices.json", "[]");
	fixture_priv(f->site, "documents.json", "{}");
	fixture_priv(f->site, "build.json", "{\"commit\": \"x\"}");
	fixture_theme(f->site);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	int rc = fs_rmtree(f->dir, &e);

	free(f);
	return rc;
}

/* The site with every form's page loads, and its forms are there. */
static void test_loads(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct sitedata *sd = sitedata_load(f->site, &e);

	if (!sd)
		fail_msg("sitedata_load: %s", e.msg);
	assert_string_equal(sitedata_form(sd, "contact"), "/kontakt/wyslij");
	sitedata_free(sd);
}

/* Regression: a site.json without "menu" (or "offices") was loaded, and
 * the first page formd rendered crashed on it (val_dup(NULL)). */
static void test_frame_keys_missing(void **state)
{
	const struct fx *f = *state;
	static const char *const without[] = {
	    "{\"site\": {\"title\": \"Portal\"}, \"offices\": []}",
	    "{\"site\": {\"title\": \"Portal\"}, \"menu\": []}",
	};
	static const char *const key[] = {"menu", "offices"};
	struct err e = {0};
	struct sitedata *sd;
	char want[512];
	size_t i;

	for (i = 0; i < 2; i++) {
		fixture_priv(f->site, "site.json", without[i]);
		sd = sitedata_load(f->site, &e);
		if (sd) {
			sitedata_free(sd);
			fail_msg("a site.json without \"%s\" was loaded", key[i]);
		}
		snprintf(want, sizeof want,
		         "%s/private/site.json: no \"%s\" (a build of another version?)", f->site,
		         key[i]);
		assert_string_equal(e.msg, want);
		assert_int_equal(e.kind, ERR_INPUT);
	}
}

/* Loads the fixture's site with pages.json `pages` and forms.json `forms`
 * and expects it refused with exactly "OUT/private/forms.json: `want`". */
static void expect_refused(const struct fx *f, const char *pages, const char *forms,
                           const char *want)
{
	struct err e = {0};
	struct sitedata *sd;
	char msg[512];

	fixture_priv(f->site, "pages.json", pages);
	fixture_priv(f->site, "forms.json", forms);
	sd = sitedata_load(f->site, &e);
	if (sd) {
		sitedata_free(sd);
		fail_msg("a site without the page was loaded (%s)", want);
	}
	snprintf(msg, sizeof msg, "%s/private/forms.json: %s", f->site, want);
	assert_string_equal(e.msg, msg);
	assert_int_equal(e.kind, ERR_INPUT);
}

/* Regression: the contact page made a plain page (layout "page") was
 * loaded, and formd then had no page to show the contact form again with
 * its errors. */
static void test_contact_without_page(void **state)
{
	expect_refused(
	    *state,
	    "{\"/kontakt/\": {\"layout\": \"page\", \"frame\": {}}, "
	    "\"/konto/rejestracja/\": {\"layout\": \"form-register\", \"frame\": {}}, "
	    "\"/konto/logowanie/\": {\"layout\": \"form-login\", \"frame\": {}}, "
	    "\"/ochrona-danych/wniosek/\": {\"layout\": \"form-rights\", \"frame\": {}}}",
	    forms_json,
	    "forms.contact = \"/kontakt/wyslij\" needs a page with layout form-contact in "
	    "pages.json, and none has it");
}

/* Each of the other three forms is checked the same way. */
static void test_each_form(void **state)
{
	expect_refused(*state, "{\"/kontakt/\": {\"layout\": \"form-contact\", \"frame\": {}}}",
	               "{\"contact\": \"/kontakt/wyslij\", \"register\": \"/konto/rejestracja\"}",
	               "forms.register = \"/konto/rejestracja\" needs a page with layout "
	               "form-register in pages.json, and none has it");
	expect_refused(*state, "{}", "{\"login\": \"/konto/logowanie\"}",
	               "forms.login = \"/konto/logowanie\" needs a page with layout form-login "
	               "in pages.json, and none has it");
	expect_refused(*state, "{}", "{\"rights\": \"/ochrona-danych/wniosek\"}",
	               "forms.rights = \"/ochrona-danych/wniosek\" needs a page with layout "
	               "form-rights in pages.json, and none has it");
}

/* A form not given a path (or given "") needs no page; neither do the
 * forms formd never shows again (test, forum, ...). */
static void test_form_off(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct sitedata *sd;

	fixture_priv(f->site, "pages.json", "{}");
	fixture_priv(f->site, "forms.json",
	             "{\"contact\": \"\", \"test\": \"/kursy/test\", \"forum\": \"/f\"}");
	sd = sitedata_load(f->site, &e);
	if (!sd)
		fail_msg("sitedata_load: %s", e.msg);
	sitedata_free(sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_loads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_keys_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contact_without_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_each_form, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_form_off, setup, teardown),
	};

	return cmocka_run_group_tests_name("pages", tests, NULL, NULL);
}
