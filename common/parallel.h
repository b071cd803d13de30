/*
 * parallel.h - a parallel for-loop over [0, n) on a few threads.
 */
#ifndef OKIENKO_PARALLEL_H
#define OKIENKO_PARALLEL_H

#include "err.h"

#include <stddef.h>

#define PAR_MAX_JOBS 64

/* One item: `worker` (0 .. jobs-1) identifies the calling thread, so a
 * callback can keep per-thread state in an array indexed by it. */
typedef int (*par_fn)(size_t i, int worker, void *arg, struct err *e);

/* Runs fn for every i in [0, n) on min(jobs, n, PAR_MAX_JOBS) threads (the
 * caller's thread is worker 0). After the first failure no new items are
 * started; its error is copied to e and -1 returned. Items run in no
 * particular order. */
int par_run(size_t n, int jobs, par_fn fn, void *arg, struct err *e);

#endif
