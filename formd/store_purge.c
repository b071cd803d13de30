/*
 * store_purge.c - retention: what is past its period (site.toml
 * [retention]) is removed or anonymised in one transaction (store.h).
 */
#include "clock.h"
#include "store_int.h"

#include "buf.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* retention */
const char *const store_sql_purge[Q_COUNT] = {
    /* retention: each kind's count of what is past its cutoff (?1), and
     * the writes that remove or anonymise it */
    [Q_PURGE_ACCOUNTS_N] = "SELECT COUNT(*) FROM users WHERE closed > 0 AND erased = 0 AND "
                           "closed < ?1",
    [Q_PURGE_ACCOUNTS] = "SELECT id FROM users WHERE closed > 0 AND erased = 0 AND closed < ?1",
    [Q_PURGE_ATTEMPTS_N] = "SELECT (SELECT COUNT(*) FROM attempts WHERE at < ?1) + "
                           "(SELECT COUNT(*) FROM certificates WHERE issued < ?1)",
    [Q_PURGE_ATTEMPTS] = "DELETE FROM attempts WHERE at < ?1",
    [Q_PURGE_CERTS] = "DELETE FROM certificates WHERE issued < ?1",
#define OLD_THREADS "SELECT thread_id FROM posts GROUP BY thread_id HAVING MAX(posted) < ?1"
    [Q_PURGE_POSTS_N] = "SELECT COUNT(*) FROM posts WHERE thread_id IN (" OLD_THREADS ")",
    [Q_PURGE_POST_COURSES] =
        "SELECT DISTINCT course FROM posts WHERE thread_id IN (" OLD_THREADS ") ORDER BY course",
    [Q_PURGE_POSTS] = "DELETE FROM posts WHERE thread_id IN (" OLD_THREADS ")",
    [Q_PURGE_CONTACTS_N] = "SELECT COUNT(*) FROM contacts WHERE received < ?1",
    [Q_PURGE_CONTACTS] = "DELETE FROM contacts WHERE received < ?1",
    [Q_PURGE_REQUESTS_N] = "SELECT COUNT(*) FROM requests WHERE closed > 0 AND closed < ?1",
    [Q_PURGE_REQUESTS] = "DELETE FROM requests WHERE closed > 0 AND closed < ?1",
    [Q_PURGE_SESSIONS_N] = "SELECT COUNT(*) FROM sessions WHERE last_used < ?1",
    [Q_PURGE_SESSIONS] = "DELETE FROM sessions WHERE last_used < ?1",
    [Q_PURGE_OUTBOX_N] = "SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND sent < ?1",
    [Q_PURGE_OUTBOX] = "DELETE FROM outbox WHERE state = 'sent' AND sent < ?1",
    [Q_PURGE_AUDIT_N] = "SELECT COUNT(*) FROM audit WHERE at < ?1",
    [Q_PURGE_AUDIT_LAST] = "SELECT id, hash FROM audit WHERE at < ?1 ORDER BY id DESC LIMIT 1",
    [Q_PURGE_AUDIT] = "DELETE FROM audit WHERE id <= ?1",
/* accounts whose address nobody proved: every confirmation link of
 * theirs expired before ?1 (accounts from before links, with none, stay) */
#define UNPROVED                                                                                   \
	"FROM users WHERE confirmed = 0 AND closed = 0 AND erased = 0 AND id IN (SELECT user_id "  \
	"FROM tokens WHERE kind = 'confirm') AND id NOT IN (SELECT user_id FROM tokens WHERE "     \
	"kind = 'confirm' AND expires >= ?1)"
    [Q_PURGE_UNPROVED_N] = "SELECT COUNT(*) " UNPROVED,
    [Q_PURGE_UNPROVED] = "DELETE " UNPROVED,
    [Q_PURGE_TOKENS] = "DELETE FROM tokens WHERE expires < ?1 OR (request_id > 0 AND "
                       "request_id NOT IN (SELECT id FROM requests))",
};

struct purge_job {
	const char *actor;
	const struct purge_cutoffs *cut;
	long long now;
	int dry;
	FILE *out;
	struct buf courses;
};

/* One kind: counts what is past `cutoff` (0: the kind has no period) and,
 * unless dry, runs the writes. */
static int purge_kind(struct store *st, struct purge_job *j, const char *label, long long cutoff,
                      enum q count, const enum q *writes, size_t nwrites, struct err *e)
{
	long long n = 0;
	size_t i;

	if (!cutoff) {
		fprintf(j->out, "%-28s no period in site.toml [retention]: kept\n", label);
		return 0;
	}
	if (qnum(st, &st->w, qbind(st, &st->w, count, "counting", e, "i", cutoff), "counting", &n,
	         e) < 0)
		return -1;
	fprintf(j->out, "%-28s %lld %s\n", label, n,
	        j->dry ? "past the period (dry run)" : "removed");
	for (i = 0; !j->dry && n > 0 && i < nwrites; i++)
		if (qwrite(st, writes[i], "purging", e, "i", cutoff) < 0)
			return -1;
	return 0;
}

/* Accounts: each erased as its person deleting it would have been. */
static int purge_accounts(struct store *st, struct purge_job *j, struct err *e)
{
	long long cutoff = j->cut->accounts, n = 0, *ids = NULL;
	size_t k, cnt = 0;
	sqlite3_stmt *s;
	int rc;

	if (!cutoff) {
		fprintf(j->out, "%-28s no period in site.toml [retention]: kept\n", "accounts");
		return 0;
	}
	if (qnum(st, &st->w, qbind(st, &st->w, Q_PURGE_ACCOUNTS_N, "counting", e, "i", cutoff),
	         "counting", &n, e) < 0)
		return -1;
	fprintf(j->out, "%-28s %lld %s\n", "accounts", n,
	        j->dry ? "past the period (dry run)" : "erased");
	if (j->dry || n == 0)
		return 0;
	if (!(ids = calloc((size_t)n, sizeof *ids)))
		return err_oom(e);
	if (!(s = qbind(st, &st->w, Q_PURGE_ACCOUNTS, "reading accounts", e, "i", cutoff))) {
		free(ids);
		return -1;
	}
	while ((rc = step(st, &st->w, s, "reading accounts", e)) == 1 && cnt < (size_t)n)
		ids[cnt++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	for (k = 0; rc >= 0 && k < cnt; k++) {
		struct user_job u = {j->actor, ids[k], j->now, NULL, NULL,
		                     NULL,     NULL,   0,      0,    BUF_INIT};

		rc = post_courses(st, &u, e);
		if (rc >= 0) {
			buf_add(&j->courses, u.courses.ptr, u.courses.len);
			rc = erase_user(st, j->actor, ids[k], j->now, e);
		}
		buf_free(&u.courses);
	}
	free(ids);
	return rc < 0 ? -1 : 0;
}

/* The audit log: the records past the period go; a record saying where
 * the chain now starts (the last removed record's id and hash) stays, so
 * that store_audit_verify can check the rest. */
static int purge_audit(struct store *st, struct purge_job *j, struct err *e)
{
	static const enum q none[1] = {Q_PURGE_AUDIT};
	long long cutoff = j->cut->audit, last;
	char hash[AUTH_DIGEST_TEXT], record[RECORD_MAX];
	sqlite3_stmt *s;
	int rc;

	if (!cutoff || j->dry)
		return purge_kind(st, j, "audit log records", cutoff, Q_PURGE_AUDIT_N, none, 0, e);
	if (!(s = qbind(st, &st->w, Q_PURGE_AUDIT_LAST, "reading the audit log", e, "i", cutoff)))
		return -1;
	rc = step(st, &st->w, s, "reading the audit log", e);
	if (rc <= 0) {
		if (rc == 0)
			fprintf(j->out, "%-28s 0 removed\n", "audit log records");
		return rc;
	}
	last = sqlite3_column_int64(s, 0);
	if (col_copy(s, 1, hash, sizeof hash) < 0)
		return too_long(st, "audit", e);
	sqlite3_reset(s);
	if (exec(st, &st->w, "DROP TRIGGER audit_no_delete", e) < 0)
		return -1;
	rc = qwrite(st, Q_PURGE_AUDIT, "purging the audit log", e, "i", last);
	if (exec(st, &st->w,
	         "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT "
	         "RAISE(ABORT, 'the audit log is append-only'); END",
	         e) < 0 ||
	    rc < 0)
		return -1;
	fprintf(j->out, "%-28s %d removed\n", "audit log records", rc);
	snprintf(record, sizeof record, "before:%lld hash:%s", last + 1, hash);
	return audit_add(st, j->actor, "audit.purge", record, e);
}

static int run_purge(struct store *st, void *arg, struct err *e)
{
	static const enum q attempts[] = {Q_PURGE_ATTEMPTS, Q_PURGE_CERTS};
	static const enum q posts[] = {Q_PURGE_POSTS};
	static const enum q contacts[] = {Q_PURGE_CONTACTS};
	static const enum q requests[] = {Q_PURGE_REQUESTS};
	static const enum q sessions[] = {Q_PURGE_SESSIONS};
	static const enum q outbox[] = {Q_PURGE_OUTBOX};
	static const enum q unproved[] = {Q_PURGE_UNPROVED};
	struct purge_job *j = arg;
	const struct purge_cutoffs *c = j->cut;
	sqlite3_stmt *s;
	int rc;

	buf_reset(&j->courses);
	if (c->posts) { /* the courses whose pages lose threads */
		if (!(s = qbind(st, &st->w, Q_PURGE_POST_COURSES, "reading posts", e, "i",
		                c->posts)))
			return -1;
		while ((rc = step(st, &st->w, s, "reading posts", e)) == 1) {
			buf_puts(&j->courses, (const char *)sqlite3_column_text(s, 0));
			buf_putc(&j->courses, '\n');
		}
		if (rc < 0)
			return -1;
	}
	if (purge_accounts(st, j, e) < 0 ||
	    purge_kind(st, j, "test attempts, certificates", c->attempts, Q_PURGE_ATTEMPTS_N,
	               attempts, 2, e) < 0 ||
	    purge_kind(st, j, "forum posts", c->posts, Q_PURGE_POSTS_N, posts, 1, e) < 0 ||
	    purge_kind(st, j, "contact messages", c->contacts, Q_PURGE_CONTACTS_N, contacts, 1, e) <
	        0 ||
	    purge_kind(st, j, "requests (closed)", c->requests, Q_PURGE_REQUESTS_N, requests, 1,
	               e) < 0 ||
	    purge_kind(st, j, "sessions", c->sessions, Q_PURGE_SESSIONS_N, sessions, 1, e) < 0 ||
	    purge_kind(st, j, "outbox (sent)", c->outbox, Q_PURGE_OUTBOX_N, outbox, 1, e) < 0 ||
	    purge_kind(st, j, "accounts never confirmed", j->now - 86400, Q_PURGE_UNPROVED_N,
	               unproved, 1, e) < 0 ||
	    purge_audit(st, j, e) < 0)
		return -1;
	if (!j->dry && qwrite(st, Q_PURGE_TOKENS, "purging tokens", e, "i", j->now - 86400) < 0)
		return -1;
	if (buf_failed(&j->courses))
		return err_oom(e);
	return j->dry ? 0 : audit_add(st, j->actor, "purge", "retention", e);
}

int store_purge(struct store *st, const char *actor, const struct purge_cutoffs *cut, long long now,
                int dry, FILE *out, char **courses_out, struct err *e)
{
	struct purge_job j = {actor, cut, now, dry, out, BUF_INIT};
	int rc;

	if (courses_out)
		*courses_out = NULL;
	if (check_actor(actor, e) < 0)
		return -1;
	fprintf(out, "%-28s %s\n", "kind", j.dry ? "count (dry run)" : "count");
	rc = submit(st, run_purge, &j, e);
	/* a dry run writes nothing: its job answers 0 and is still rolled
	 * back? no: it changed nothing, so its savepoint holds nothing */
	if (rc == 0 && courses_out && !dry)
		*courses_out = buf_detach(&j.courses, NULL);
	buf_free(&j.courses);
	if (rc == 0)
		rc = out_done(st, out, e);
	return rc;
}
