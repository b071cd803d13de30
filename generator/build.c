#include "build.h"

#include "buf.h"
#include "clock.h"
#include "fsutil.h"
#include "render.h"
#include "repo.h"
#include "site.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int build_run(const struct build_opts *o, struct build_stats *st, struct err *e)
{
	double t0 = clock_mono();
	struct phases ph;
	struct repo *r = NULL;
	struct site s;
	struct buf target = BUF_INIT, stage = BUF_INIT;
	int ret = -1;
	long n;

	memset(st, 0, sizeof *st);
	memset(&s, 0, sizeof s);
	r = repo_open(o->repo, o->ref, o->worktree, o->jobs, e);
	if (!r)
		goto out;
	memcpy(st->commit, r->head.id, sizeof st->commit);
	phases_start(&ph);
	ph.start = t0;
	phases_mark(&ph, "git");
	if (site_load(&s, r, o->jobs, &ph, e) < 0)
		goto out;
	if (o->out) {
		/* the new output is built beside the old: OUT.new-PID */
		size_t l = strlen(o->out);

		while (l > 1 && o->out[l - 1] == '/')
			l--;
		buf_add(&target, o->out, l);
		buf_printf(&stage, "%s.new-%ld", target.ptr, (long)getpid());
		if (buf_failed(&target) || buf_failed(&stage)) {
			err_oom(e);
			goto out;
		}
		if (fs_rmtree(stage.ptr, e) < 0 || fs_mkdirs(stage.ptr, e) < 0)
			goto out;
	}
	n = render_site(&s, o->out ? stage.ptr : NULL, o->no_gzip, &ph, e);
	if (n < 0)
		goto out;
	if (o->out && fs_switch(stage.ptr, target.ptr, e) < 0)
		goto out;
	{
		size_t l = 0;
		int i;

		phases_mark(&ph, o->out ? "switch" : "done");
		for (i = 0; i < ph.n && l < sizeof st->timings; i++) {
			snprintf(st->timings + l, sizeof st->timings - l, "%s%s %.3f s",
			         i ? ", " : "", ph.name[i], ph.sec[i]);
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
	site_free(&s); /* safe on the zeroed site too */
	repo_close(r);
	buf_free(&stage);
	buf_free(&target);
	st->seconds = clock_mono() - t0;
	return ret;
}
