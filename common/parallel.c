#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>

struct par {
	size_t n;
	atomic_size_t next; /* the next index to hand out */
	atomic_bool stop;   /* an item failed: hand out nothing more */
	atomic_int workers; /* ids handed out so far */
	par_fn fn;
	void *arg;
	pthread_mutex_t lock; /* guards failed, fail_i and err */
	int failed;
	size_t fail_i;  /* the lowest failing index so far */
	struct err err; /* its error */
};

/* Hands out the next index in increasing order, or returns 0 when none are
 * left or an item failed. A compare-and-swap loop, so `next` never passes n
 * (no wrap-around however large n is). */
static int take(struct par *p, size_t *i)
{
	size_t cur = atomic_load(&p->next);

	do {
		if (cur >= p->n || atomic_load(&p->stop))
			return 0;
	} while (!atomic_compare_exchange_weak(&p->next, &cur, cur + 1));
	*i = cur;
	return 1;
}

/* Runs items until none are left or one failed. On a failure, keeps the
 * error of the lowest failing index: every index below it was handed out
 * before it, so its item runs to the end and reports here too. */
static void run_items(struct par *p, int id)
{
	struct err e;
	size_t i;

	while (take(p, &i)) {
		e.msg[0] = '\0';
		e.kind = ERR_NONE;
		if (p->fn(i, id, p->arg, &e) < 0) {
			atomic_store(&p->stop, 1);
			pthread_mutex_lock(&p->lock);
			if (!p->failed || i < p->fail_i) {
				p->failed = 1;
				p->fail_i = i;
				p->err = e;
			}
			pthread_mutex_unlock(&p->lock);
		}
	}
}

static void *thread_main(void *arg)
{
	struct par *p = arg;

	run_items(p, atomic_fetch_add(&p->workers, 1));
	return NULL;
}

int par_run(size_t n, int jobs, par_fn fn, void *arg, struct err *e)
{
	struct par p = {.n = n, .fn = fn, .arg = arg, .lock = PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[PAR_MAX_JOBS];
	int i, started = 0;

	atomic_init(&p.next, 0);
	atomic_init(&p.stop, 0);
	atomic_init(&p.workers, 1); /* the caller is worker 0 */
	if (jobs < 1)
		jobs = 1;
	if (jobs > PAR_MAX_JOBS)
		jobs = PAR_MAX_JOBS;
	if ((size_t)jobs > n)
		jobs = (int)n;
	/* Threads that cannot be created are not retried: the ones that run
	 * (at least the caller's) take every item anyway. */
	for (i = 1; i < jobs; i++) {
		if (pthread_create(&th[started], NULL, thread_main, &p) != 0)
			break;
		started++;
	}
	run_items(&p, 0);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.lock);
	if (!p.failed)
		return 0;
	if (e)
		*e = p.err;
	return -1;
}
