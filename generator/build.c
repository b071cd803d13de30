#include "build.h"

#include "buf.h"
#include "fsutil.h"
#include "render.h"
#include "repo.h"
#include "site.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int build_run(const struct build_opts *o, struct build_stats *st, struct err *e)
{
	double t0 = now();
	struct repo *r = NULL;
	struct site s;
	struct buf stage = BUF_INIT;
	int ret = -1, loaded = 0;
	long n;

	memset(st, 0, sizeof *st);
	memset(&s, 0, sizeof s);
	r = repo_open(o->repo, o->ref, o->worktree, o->jobs, e);
	if (!r)
		goto out;
	memcpy(st->commit, r->head.id, sizeof st->commit);
	loaded = 1;
	{
		double t1 = now();

		snprintf(st->timings, sizeof st->timings, "git %.3f s", t1 - t0);
	}
	if (site_load(&s, r, o->jobs, e) < 0)
		goto out;
	if (o->out) {
		size_t l = strlen(o->out);

		while (l > 1 && o->out[l - 1] == '/')
			l--;
		buf_add(&stage, o->out, l);
		buf_printf(&stage, ".new-%ld", (long)getpid());
		if (buf_failed(&stage)) {
			err_set(e, "out of memory");
			goto out;
		}
		if (fs_rmtree(stage.ptr, e) < 0 || fs_mkdirs(stage.ptr, e) < 0)
			goto out;
	}
	n = render_site(&s, o->out ? stage.ptr : NULL, e);
	if (n < 0)
		goto out;
	if (o->out) {
		buf_truncate(&stage, stage.len); /* keep */
		{
			char target[4096];
			size_t l = strlen(o->out);

			while (l > 1 && o->out[l - 1] == '/')
				l--;
			if (l >= sizeof target) {
				err_set(e, "%s: path too long", o->out);
				goto out;
			}
			memcpy(target, o->out, l);
			target[l] = '\0';
			if (fs_switch(stage.ptr, target, e) < 0)
				goto out;
		}
	}
	{
		size_t l = strlen(st->timings);
		int i;

		site_phase(&s, o->out ? "switch" : "done");
		for (i = 0; i < s.nphases && l < sizeof st->timings; i++) {
			snprintf(st->timings + l, sizeof st->timings - l, ", %s %.3f s",
			         s.phase_name[i], s.phase_sec[i]);
			l = strlen(st->timings);
		}
	}
	st->files = n;
	st->pages = (long)s.npages;
	ret = 0;
out:
	if (ret < 0 && stage.len) {
		struct err ignore;

		fs_rmtree(stage.ptr, &ignore);
	}
	if (loaded)
		site_free(&s);
	repo_close(r);
	buf_free(&stage);
	st->seconds = now() - t0;
	return ret;
}
