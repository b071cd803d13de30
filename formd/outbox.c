/*
 * outbox.c - the sender thread (see outbox.h).
 */
#include "outbox.h"

#include "auth.h"
#include "buf.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct outbox {
	struct store *st;
	struct mail_relay relay;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond; /* woken or stopping */
	int woken, stopping;
	int retry; /* seconds before the first retry */
	int poll;  /* seconds between looks */
};

long long outbox_next_try(int attempts, long reply, int retry, long long now)
{
	long long wait = retry > 0 ? retry : 60;
	int i;

	if (reply >= 500 || attempts >= OUTBOX_TRIES)
		return 0;
	for (i = 1; i < attempts && wait < 3600; i++)
		wait *= 2;
	return now + (wait > 3600 ? 3600 : wait);
}

/* Sends message m: formats it with its own Message-ID (the same on every
 * try: its id and a digest of its text), sends, records the outcome. */
static void deliver(struct outbox *o, const struct outbox_msg *m)
{
	char digest[AUTH_DIGEST_TEXT], id[64];
	struct buf msg = BUF_INIT, key = BUF_INIT;
	long long now = (long long)time(NULL);
	struct err e = {0}, e2 = {0};
	long reply = 0;
	int rc;

	buf_printf(&key, "%s\n%s\n%s", m->to, m->subject, m->body);
	auth_digest(key.ptr, key.len, digest);
	buf_free(&key);
	snprintf(id, sizeof id, "okienko.%lld.%.16s", m->id, digest);
	rc = mail_format(&msg, &o->relay, m->to, m->subject, m->body, now, id, &e);
	if (rc == 0)
		rc = mail_send(&o->relay, m->to, msg.ptr, msg.len, &reply, &e);
	buf_free(&msg);
	if (rc == 0) {
		rc = store_outbox_done(o->st, m->id, 1, NULL, 0, now, &e2);
	} else {
		long long next = e.kind == ERR_INPUT
		                     ? 0
		                     : outbox_next_try(m->attempts + 1, reply, o->retry, now);

		fprintf(stderr, "formd: outbox: message %lld%s: %s\n", m->id,
		        next ? "" : " failed for good", e.msg);
		rc = store_outbox_done(o->st, m->id, 0, e.msg, next, now, &e2);
	}
	if (rc < 0)
		fprintf(stderr, "formd: outbox: message %lld: %s\n", m->id, e2.msg);
}

static void *sender(void *arg)
{
	struct outbox *o = arg;
	struct outbox_msg m;
	struct err e = {0};
	long long next, now;
	struct timespec until;
	int rc;

	pthread_mutex_lock(&o->mu);
	while (!o->stopping) {
		o->woken = 0;
		pthread_mutex_unlock(&o->mu);
		now = (long long)time(NULL);
		rc = store_outbox_next(o->st, now, &m, &next, &e);
		if (rc == 0) {
			deliver(o, &m);
			store_outbox_msg_free(&m);
			pthread_mutex_lock(&o->mu);
			continue; /* the next one at once */
		}
		if (rc < 0) {
			fprintf(stderr, "formd: outbox: %s\n", e.msg);
			next = 0;
		}
		/* nothing due: sleep until the earliest is, a wake, or a poll */
		if (!next || next > now + o->poll)
			next = now + o->poll;
		until.tv_sec = (time_t)next;
		until.tv_nsec = 0;
		pthread_mutex_lock(&o->mu);
		while (!o->woken && !o->stopping &&
		       pthread_cond_timedwait(&o->cond, &o->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

struct outbox *outbox_start(struct store *st, const struct mail_relay *r, int retry, int poll,
                            struct err *e)
{
	struct outbox *o = calloc(1, sizeof *o);

	if (!o) {
		err_oom(e);
		return NULL;
	}
	o->st = st;
	o->relay = *r;
	o->retry = retry > 0 ? retry : 60;
	o->poll = poll > 0 ? poll : OUTBOX_POLL;
	if (pthread_mutex_init(&o->mu, NULL) != 0 || pthread_cond_init(&o->cond, NULL) != 0 ||
	    pthread_create(&o->thread, NULL, sender, o) != 0) {
		err_kind_set(e, ERR_IO, "cannot start the outbox's sender");
		free(o);
		return NULL;
	}
	return o;
}

void outbox_wake(struct outbox *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	o->woken = 1;
	pthread_cond_signal(&o->cond);
	pthread_mutex_unlock(&o->mu);
}

void outbox_stop(struct outbox *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	o->stopping = 1;
	pthread_cond_signal(&o->cond);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->thread, NULL);
	pthread_cond_destroy(&o->cond);
	pthread_mutex_destroy(&o->mu);
	memset(&o->relay, 0, sizeof o->relay); /* the password */
	free(o);
}
