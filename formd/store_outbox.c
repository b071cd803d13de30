/*
 * store_outbox.c - the outbox: messages queued in the transaction of what
 * they are about, the sender thread's reads and outcomes, a retry (store.h).
 */
#include "store_int.h"

#include "buf.h"
#include "clock.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the outbox */
const char *const store_sql_outbox[Q_COUNT] = {
    [Q_OUTBOX_ADD] = "INSERT INTO outbox (kind, to_addr, subject, body, created, next_try) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    [Q_OUTBOX_NEXT] = "SELECT id, to_addr, subject, body, attempts FROM outbox WHERE state = "
                      "'waiting' AND next_try <= ?1 ORDER BY next_try, id LIMIT 1",
    [Q_OUTBOX_EARLIEST] = "SELECT IFNULL(MIN(next_try), 0) FROM outbox WHERE state = 'waiting'",
    [Q_OUTBOX_DONE] = "UPDATE outbox SET state = ?2, attempts = attempts + 1, next_try = ?3, "
                      "last_error = ?4, sent = ?5 WHERE id = ?1",
    [Q_OUTBOX_BODY] = "SELECT body FROM outbox WHERE id = ?1",
    [Q_OUTBOX_SET_BODY] = "UPDATE outbox SET body = ?2 WHERE id = ?1",
    [Q_OUTBOX_LIST] = "SELECT id, state, created, attempts, next_try, last_error, kind, to_addr, "
                      "subject, body, sent FROM outbox WHERE ?1 OR state <> 'sent' ORDER BY id",
    [Q_OUTBOX_RETRY] = "UPDATE outbox SET state = 'waiting', next_try = ?2 WHERE id = ?1 AND "
                       "state <> 'sent'",
};

/* Queues m in the outbox on the writer (inside the caller's savepoint). */
int outbox_put(struct store *st, const char *actor, const struct mail_out *m, struct err *e)
{
	char record[RECORD_MAX];

	if (!m)
		return 0;
	if (!m->kind || !m->to || !m->subject || !m->body || !*m->to)
		return err_set(e, "a message needs a kind, an address, a subject and a text");
	if (qwrite(st, Q_OUTBOX_ADD, "queueing an e-mail", e, "tttti", m->kind, m->to, m->subject,
	           m->body, clock_now()) < 0)
		return -1;
	snprintf(record, sizeof record, "outbox:%lld", sqlite3_last_insert_rowid(st->w.db));
	return audit_add(st, actor, "outbox.create", record, e);
}

/* ---- the outbox ---- */

struct outbox_job {
	const char *actor;
	const struct mail_out *m;
	long long id, next_try, now;
	int sent;
	const char *error;
};

static int run_outbox_add(struct store *st, void *arg, struct err *e)
{
	struct outbox_job *j = arg;

	return outbox_put(st, j->actor, j->m, e);
}

int store_outbox_add(struct store *st, const char *actor, const struct mail_out *m, struct err *e)
{
	struct outbox_job j = {actor, m, 0, 0, 0, 0, NULL};

	if (check_actor(actor, e) < 0)
		return -1;
	return submit(st, run_outbox_add, &j, e);
}

void store_outbox_msg_free(struct outbox_msg *m)
{
	free(m->subject);
	free(m->body);
	m->subject = m->body = NULL;
}

int store_outbox_next(struct store *st, long long now, struct outbox_msg *m, long long *next,
                      struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	memset(m, 0, sizeof *m);
	*next = 0;
	if (!c)
		return -1;
	if (!(s = qbind(st, c, Q_OUTBOX_NEXT, "reading the outbox", e, "i", now)))
		goto out;
	rc = step(st, c, s, "reading the outbox", e);
	if (rc == 1) {
		m->id = sqlite3_column_int64(s, 0);
		if (col_copy(s, 1, m->to, sizeof m->to) < 0) {
			rc = too_long(st, "outbox", e);
			goto out;
		}
		m->subject = strdup((const char *)sqlite3_column_text(s, 2));
		m->body = strdup((const char *)sqlite3_column_text(s, 3));
		m->attempts = sqlite3_column_int(s, 4);
		if (!m->subject || !m->body) {
			store_outbox_msg_free(m);
			rc = err_oom(e);
			goto out;
		}
		rc = 0;
	} else if (rc == 0) {
		sqlite3_reset(s);
		rc = qnum(st, c, prep(st, c, Q_OUTBOX_EARLIEST, e), "reading the outbox", next, e);
		if (rc == 0)
			rc = 1;
	}
out:
	reader_put(st, c);
	return rc;
}

/* `body` with every link's token ("?t=" and what follows of a token's
 * alphabet) replaced by a word: a delivered message keeps no live link,
 * so the store holds only the tokens' digests (store.h). */
void outbox_blank_links(const char *body, struct buf *out)
{
	const char *p = body, *q;

	while ((q = strstr(p, "?t=")) != NULL) {
		buf_add(out, p, (size_t)(q - p) + 3);
		p = q + 3;
		if (strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 0)
			continue;
		buf_puts(out, "(usunięty-po-wysłaniu)");
		p += strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	}
	buf_puts(out, p);
}

/* On the writer: a sent message's links blanked. 0, or -1 with e. */
static int blank_sent(struct store *st, long long id, struct err *e)
{
	sqlite3_stmt *s = qbind(st, &st->w, Q_OUTBOX_BODY, "reading a message", e, "i", id);
	struct buf b = BUF_INIT;
	int rc;

	if (!s)
		return -1;
	rc = step(st, &st->w, s, "reading a message", e);
	if (rc <= 0)
		return rc;
	outbox_blank_links((const char *)sqlite3_column_text(s, 0), &b);
	sqlite3_reset(s);
	rc = buf_failed(&b) ? err_oom(e)
	                    : qwrite(st, Q_OUTBOX_SET_BODY, "blanking a message's links", e, "it", id,
	                             b.ptr);
	buf_free(&b);
	return rc < 0 ? -1 : 0;
}

static int run_outbox_done(struct store *st, void *arg, struct err *e)
{
	struct outbox_job *j = arg;
	char record[RECORD_MAX];
	int n = qwrite(st, Q_OUTBOX_DONE, "recording a sending", e, "ititi", j->id,
	               j->sent       ? "sent"
	               : j->next_try ? "waiting"
	                             : "failed",
	               j->next_try, j->error ? j->error : "", j->sent ? j->now : 0LL);

	if (n <= 0)
		return n < 0 ? -1 : 1;
	if (j->sent && blank_sent(st, j->id, e) < 0)
		return -1;
	snprintf(record, sizeof record, "outbox:%lld", j->id);
	return j->sent ? audit_add(st, "formd", "outbox.sent", record, e) : 0;
}

int store_outbox_done(struct store *st, long long id, int sent, const char *error,
                      long long next_try, long long now, struct err *e)
{
	struct outbox_job j = {"formd", NULL, id, next_try, now, sent, error};

	return submit(st, run_outbox_done, &j, e);
}

static int run_outbox_retry(struct store *st, void *arg, struct err *e)
{
	struct outbox_job *j = arg;
	char record[RECORD_MAX];
	int n = qwrite(st, Q_OUTBOX_RETRY, "retrying a message", e, "ii", j->id, j->now);

	if (n <= 0)
		return n < 0 ? -1 : 1;
	snprintf(record, sizeof record, "outbox:%lld", j->id);
	return audit_add(st, j->actor, "outbox.retry", record, e);
}

int store_admin_outbox_retry(struct store *st, const char *actor, long long id, long long now,
                             struct err *e)
{
	struct outbox_job j = {actor, NULL, id, 0, now, 0, NULL};

	if (check_actor(actor, e) < 0)
		return -1;
	return submit(st, run_outbox_retry, &j, e);
}

/* ---- the staff's reads ---- */

/* Where outbox_row hands the rows. */
struct outbox_feed {
	int (*fn)(void *ctx, const struct store_outbox_row *r);
	void *ctx;
};

/* The Q_OUTBOX_LIST row s is on, to the feed's callback. */
static int outbox_row(sqlite3_stmt *s, void *arg)
{
	const struct outbox_feed *f = arg;
	struct store_outbox_row r;

	r.id = sqlite3_column_int64(s, 0);
	r.state = col_text(s, 1);
	r.created = sqlite3_column_int64(s, 2);
	r.attempts = sqlite3_column_int(s, 3);
	r.next_try = sqlite3_column_int64(s, 4);
	r.last_error = col_text(s, 5);
	r.kind = col_text(s, 6);
	r.to = col_text(s, 7);
	r.subject = col_text(s, 8);
	r.body = col_text(s, 9);
	r.sent = sqlite3_column_int64(s, 10);
	return f->fn(f->ctx, &r);
}

int store_admin_outbox(struct store *st, const char *actor, int all,
                       int (*fn)(void *ctx, const struct store_outbox_row *r), void *ctx,
                       struct err *e)
{
	struct outbox_feed f = {fn, ctx};

	if (store_audit_read(st, actor, "outbox.list", all ? "outbox all" : "outbox", e) < 0)
		return -1;
	return read_rows(st, Q_OUTBOX_LIST, "reading the outbox", outbox_row, &f, e, "i",
	                 all ? 1LL : 0LL);
}
