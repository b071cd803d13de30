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

#include "buf.h"
#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "pages.h"
#include "site_fixture.h"

#include <dirent.h>
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

/* Renders layout `layout` of the fixture's site with `extra` (JSON) on
 * top into out (freed by the caller). */
static void render_layout(const struct fx *f, const char *layout, const char *extra,
                          struct buf *out)
{
	struct err e = {0};
	struct sitedata *sd;
	struct val *x = json_parse(extra, strlen(extra), "extra", &e);

	fixture_priv(f->site, "site.json",
	             "{\"site\": {\"title\": \"Portal\", \"base_url\": \"https://example.pl\"}, "
	             "\"menu\": [], \"offices\": []}");
	sd = sitedata_load(f->site, &e);
	if (!sd || !x)
		fail_msg("%s", e.msg);
	if (page_render(sd, layout, "/kursy/test/wynik/1", "Wynik", x, out, &e) < 0)
		fail_msg("page_render: %s", e.msg);
	val_free(x);
	sitedata_free(sd);
}

/* Regression (issue 13, item 14): at 100 % the result showed the heading
 * "Pytania z błędną odpowiedzią" over an empty list, because a section on
 * wrong_count = 0 is shown (0 is truthy in Mustache); and with no attempt
 * left a failed result still offered "try again". The result frame formd
 * gives carries has_wrong and can_retry, which the layout tests. */
static void test_result_empty_blocks(void **state)
{
	struct buf out = BUF_INIT;

	render_layout(*state, "test-result",
	              "{\"result\": {\"score\": 100, \"pass_mark\": 70, \"passed\": true, "
	              "\"wrong_count\": 0, \"has_wrong\": false, \"wrong\": [], "
	              "\"attempts_left\": 2, \"test_url\": \"/kursy/k/test/\"}}",
	              &out);
	assert_null(strstr(out.ptr, "class=\"wrong\""));
	assert_null(strstr(out.ptr, "<h2>"));
	buf_reset(&out);
	render_layout(*state, "test-result",
	              "{\"result\": {\"score\": 20, \"pass_mark\": 70, \"passed\": false, "
	              "\"wrong_count\": 4, \"has_wrong\": true, \"wrong\": [{\"n\": 2, "
	              "\"id\": \"q2\"}], \"attempts_left\": 0, \"can_retry\": false, "
	              "\"test_url\": \"/kursy/k/test/\"}}",
	              &out);
	assert_non_null(strstr(out.ptr, "<ul class=\"wrong\">"));
	assert_non_null(strstr(out.ptr, "href=\"/kursy/k/test/#q2\""));
	assert_null(strstr(out.ptr, "class=\"button\" href=\"/kursy/k/test/\""));
	buf_reset(&out);
	render_layout(*state, "test-result",
	              "{\"result\": {\"score\": 20, \"pass_mark\": 70, \"passed\": false, "
	              "\"wrong_count\": 4, \"has_wrong\": true, \"wrong\": [], "
	              "\"attempts_left\": 1, \"can_retry\": true, "
	              "\"test_url\": \"/kursy/k/test/\"}}",
	              &out);
	assert_non_null(strstr(out.ptr, "class=\"button\" href=\"/kursy/k/test/\""));
	buf_free(&out);
}

/* Every section over a value that may be a number (0 is truthy) is
 * written over its boolean in the default theme: the keys formd and the
 * generator give as numbers never open a section ("pages" is left out:
 * the pager's list of pages has the name of a thread's page count). */
static void test_no_section_on_numbers(void **state)
{
	static const char *const numbers[] = {
	    "wrong_count",    "attempts_left", "attempts_used", "score", "pass_mark", "count",
	    "question_count", "lesson_count",  "replies",       "n",     "id"};
	static const char *const dirs[] = {"themes/default/layouts", "themes/default/partials"};
	struct err e = {0};
	size_t d, k;

	(void)state;
	for (d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;

		assert_non_null(dir);
		while ((de = readdir(dir))) {
			char path[512], tag[64];
			size_t len;
			char *text;

			if (!strstr(de->d_name, ".mustache"))
				continue;
			snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name);
			text = fs_read(path, 1 << 20, &len, &e);
			assert_non_null(text);
			for (k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
				snprintf(tag, sizeof tag, "{{#%s}}", numbers[k]);
				if (strstr(text, tag))
					fail_msg("%s: %s opens a section on a number", path, tag);
				snprintf(tag, sizeof tag, "{{^%s}}", numbers[k]);
				if (strstr(text, tag))
					fail_msg("%s: %s opens a section on a number", path, tag);
			}
			free(text);
		}
		closedir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_loads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_keys_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contact_without_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_each_form, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_form_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_result_empty_blocks, setup, teardown),
	    cmocka_unit_test(test_no_section_on_numbers),
	};

	return cmocka_run_group_tests_name("pages", tests, NULL, NULL);
}
