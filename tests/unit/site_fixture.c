/*
 * site_fixture.c - a built site written by hand for the tests
 * (site_fixture.h).
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "site_fixture.h"

#include "err.h"
#include "fsutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fixture_put(const char *path, const char *text)
{
	struct err e = {0};

	if (fs_write(path, text, strlen(text), 0, &e) < 0)
		fail_msg("%s", e.msg);
}

void fixture_priv(const char *site, const char *name, const char *text)
{
	char p[512];

	snprintf(p, sizeof p, "%s/private/%s", site, name);
	fixture_put(p, text);
}

void fixture_copy_dir(const char *from, const char *to, const char *ext)
{
	DIR *d = opendir(from);
	struct dirent *de;
	struct err e = {0};
	int n = 0;

	if (!d)
		fail_msg("%s: cannot open (run from the repository root)", from);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), el = strlen(ext);
		char src[512], dst[512], *data;
		size_t len;

		if (l <= el || strcmp(de->d_name + l - el, ext) != 0)
			continue;
		snprintf(src, sizeof src, "%s/%s", from, de->d_name);
		snprintf(dst, sizeof dst, "%s/%s", to, de->d_name);
		data = fs_read(src, 1 << 20, &len, &e);
		if (!data || fs_write(dst, data, len, 0, &e) < 0)
			fail_msg("%s", e.msg);
		free(data);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
}

void fixture_theme(const char *site)
{
	struct err e = {0};
	char p[512];

	snprintf(p, sizeof p, "%s/private/theme/layouts", site);
	if (fs_mkdirs(p, &e) < 0)
		fail_msg("%s", e.msg);
	fixture_copy_dir("themes/default/layouts", p, ".mustache");
	snprintf(p, sizeof p, "%s/private/theme/partials", site);
	if (fs_mkdirs(p, &e) < 0)
		fail_msg("%s", e.msg);
	fixture_copy_dir("themes/default/partials", p, ".mustache");
	snprintf(p, sizeof p, "%s/private/theme", site);
	fixture_copy_dir("themes/default", p, ".toml");
}
