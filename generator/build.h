/*
 * build.h - one build: snapshot -> model -> files, switched into place
 * only when everything succeeded.
 */
#ifndef OKIENKO_BUILD_H
#define OKIENKO_BUILD_H

#include "err.h"

struct build_opts {
	const char *repo; /* NULL: the repository around the current folder */
	const char *ref;  /* NULL: HEAD */
	const char *out;  /* NULL: check only, write nothing */
	int jobs;
	int worktree;
	int no_gzip; /* no .gz copies (previews; the live site wants them) */
};

struct build_stats {
	long files; /* files written */
	long pages; /* pages rendered */
	double seconds;
	char commit[41];
	char timings[1024]; /* "phase 0.12 s, ..." */
};

/* Runs a build (or a check, when o->out is NULL). The output goes to a new
 * folder beside o->out that replaces it only when the whole build
 * succeeded: on failure o->out is left as it was. 0 or -1 with e. */
int build_run(const struct build_opts *o, struct build_stats *st, struct err *e);

#endif
