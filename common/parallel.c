#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>

struct par {
	size_t n;
	atomic_size_t next;
	atomic_int workers; /* ids handed out so far */
	par_fn fn;
	void *arg;
	pthread_mutex_t lock;
	int failed;
	struct err *e;
};

/* Takes items until none are left or one failed. */
static void run_items(struct par *p, int id)
{
	struct err e;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		e.msg[0] = '\0';
		if (p->fn(i, id, p->arg, &e) < 0) {
			pthread_mutex_lock(&p->lock);
			if (!p->failed) {
				p->failed = 1;
				*p->e = e;
			}
			pthread_mutex_unlock(&p->lock);
			atomic_store(&p->next, p->n); /* stop handing out work */
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
	struct par p;
	pthread_t th[PAR_MAX_JOBS];
	int i, started = 0;

	p.n = n;
	atomic_init(&p.next, 0);
	atomic_init(&p.workers, 1); /* the caller is worker 0 */
	p.fn = fn;
	p.arg = arg;
	p.failed = 0;
	p.e = e;
	pthread_mutex_init(&p.lock, NULL);
	if (jobs > PAR_MAX_JOBS)
		jobs = PAR_MAX_JOBS;
	if ((size_t)jobs > n)
		jobs = (int)n;
	for (i = 1; i < jobs; i++)
		if (pthread_create(&th[started], NULL, thread_main, &p) == 0)
			started++;
	run_items(&p, 0);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.lock);
	return p.failed ? -1 : 0;
}
