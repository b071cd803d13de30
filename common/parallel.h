/*
 * parallel.h - a parallel for-loop over [0, n) on a few threads.
 */
#ifndef OKIENKO_PARALLEL_H
#define OKIENKO_PARALLEL_H

#include "err.h"

#include <stddef.h>

#define PAR_MAX_JOBS 64

/* One item: `worker` (0 .. threads-1) identifies the calling thread, so a
 * callback can keep per-thread state in an array indexed by it. Returns 0,
 * or -1 with e filled. */
typedef int (*par_fn)(size_t i, int worker, void *arg, struct err *e);

/* Runs fn for every i in [0, n) on up to min(jobs, n, PAR_MAX_JOBS) threads
 * (jobs below 1 count as 1). The caller's thread is worker 0, the others
 * get ids 1, 2, ... (fewer threads, all items still run, if the system
 * cannot create more). Items run concurrently, in no particular order,
 * though they are handed out in increasing index order. A failure stops
 * items above it that have not started yet from starting (those in flight
 * finish); every item below it still runs. On failure the error of the
 * LOWEST failing index (not the first in time) is copied to e and -1
 * returned, so the same input gives the same message whatever the thread
 * count. Returns 0, with e untouched, when every item succeeded. */
int par_run(size_t n, int jobs, par_fn fn, void *arg, struct err *e);

#endif
