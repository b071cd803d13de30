/*
 * store_contacts.c - contact messages: storing one (waiting, or queued
 * without waiting), and staff marking one answered (store.h).
 */
#include "store_int.h"
#include "clock.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* contact messages */
const char *const store_sql_contacts[Q_COUNT] = {
    [Q_CONTACT_ADD] = "INSERT INTO contacts (name, email, office, subject, message, received) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_CONTACT_EXISTS] = "SELECT 1 FROM contacts WHERE id = ?1",
    [Q_CONTACT_ANSWERED] = "UPDATE contacts SET answered = ?2 WHERE id = ?1 AND answered = 0",
    [Q_CONTACT_GET] = "SELECT " CONTACT_COLS " FROM contacts WHERE id = ?1",
    [Q_CONTACTS] = "SELECT " CONTACT_COLS " FROM contacts WHERE (?1 IS NULL OR office = ?1) "
                   "AND (?2 = 0 OR answered = 0) ORDER BY id",
};

/* ---- contact messages ---- */

struct contact_add_job {
	const char *actor;
	struct contact *c;
};

/* On the writer: the message and its contact.create record. 0, or -1. */
static int run_contact_add(struct store *st, void *arg, struct err *e)
{
	struct contact_add_job *a = arg;
	struct contact *c = a->c;
	struct conn *w = &st->w;
	char record[RECORD_MAX];
	sqlite3_stmt *s;
	int b = 0;

	if (!(s = prep(st, w, Q_CONTACT_ADD, e)))
		return -1;
	c->received = clock_now();
	c->answered = 0;
	b |= bind_text(s, 1, c->name);
	b |= bind_text(s, 2, c->email);
	b |= bind_text(s, 3, c->office);
	b |= bind_text(s, 4, c->subject);
	b |= bind_text(s, 5, c->message);
	b |= sqlite3_bind_int64(s, 6, c->received);
	if (b != SQLITE_OK || step(st, w, s, "adding a contact message", e) < 0)
		return b != SQLITE_OK ? db_fail(st, w, "adding a contact message", e) : -1;
	c->id = sqlite3_last_insert_rowid(w->db);
	snprintf(record, sizeof record, "contact:%lld", c->id);
	return audit_add(st, a->actor, "contact.create", record, e);
}

int store_contact_add(struct store *st, const char *actor, struct contact *c, struct err *e)
{
	struct contact_add_job a = {actor, c};

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(c->name, sizeof c->name) || !fits(c->email, sizeof c->email) ||
	    !fits(c->office, sizeof c->office) || !fits(c->subject, sizeof c->subject))
		return err_set(e, "a contact message's field is not a string of its size");
	return submit(st, run_contact_add, &a, e);
}

/* An asynchronous contact message: the job owns copies of everything. */
struct contact_copy {
	struct contact_add_job a;
	struct contact c;
	char actor[64];
};

static void free_contact_copy(void *arg)
{
	struct contact_copy *k = arg;

	free(k->c.message);
	free(k);
}

int store_contact_add_async(struct store *st, const char *actor, const struct contact *c,
                            void (*done)(void *arg, int rc, const struct err *e), void *arg,
                            struct err *e)
{
	struct contact_copy *k;

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(c->name, sizeof c->name) || !fits(c->email, sizeof c->email) ||
	    !fits(c->office, sizeof c->office) || !fits(c->subject, sizeof c->subject) ||
	    !fits(actor, sizeof k->actor))
		return err_set(e, "a contact message's field is not a string of its size");
	k = calloc(1, sizeof *k);
	if (!k)
		return err_oom(e);
	k->c = *c;
	k->c.message = strdup(c->message ? c->message : "");
	if (!k->c.message) {
		free(k);
		return err_oom(e);
	}
	snprintf(k->actor, sizeof k->actor, "%s", actor);
	k->a.actor = k->actor;
	k->a.c = &k->c;
	return submit_async(st, run_contact_add, k, free_contact_copy, done, arg, e);
}

struct answered_job {
	const char *actor;
	long long id;
};

/* On the writer: marks a message answered (an answered one keeps its
 * first time) with a contact.answered record. 0, 1 when none, -1. */
static int run_answered(struct store *st, void *arg, struct err *e)
{
	struct answered_job *a = arg;
	struct conn *w = &st->w;
	char record[RECORD_MAX];
	sqlite3_stmt *s;
	int rc;

	if (!(s = prep(st, w, Q_CONTACT_EXISTS, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, a->id) != SQLITE_OK)
		return db_fail(st, w, "reading a contact message", e);
	rc = step(st, w, s, "reading a contact message", e);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	if (!(s = prep(st, w, Q_CONTACT_ANSWERED, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, a->id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, clock_now()) != SQLITE_OK)
		return db_fail(st, w, "marking a contact message", e);
	if (step(st, w, s, "marking a contact message", e) < 0)
		return -1;
	snprintf(record, sizeof record, "contact:%lld", a->id);
	return audit_add(st, a->actor, "contact.answered", record, e);
}

int store_admin_contact_answered(struct store *st, const char *actor, long long id, struct err *e)
{
	struct answered_job a = {actor, id};

	if (check_actor(actor, e) < 0)
		return -1;
	return submit(st, run_answered, &a, e);
}

/* ---- the staff's reads ---- */

/* Where contact_row hands the rows. */
struct contact_feed {
	int (*fn)(void *ctx, const struct store_contact_row *r);
	void *ctx;
	int rows; /* how many were handed */
};

/* The row of CONTACT_COLS s is on, to the feed's callback. */
static int contact_row(sqlite3_stmt *s, void *arg)
{
	struct contact_feed *f = arg;
	struct store_contact_row r;

	r.id = sqlite3_column_int64(s, 0);
	r.name = col_text(s, 1);
	r.email = col_text(s, 2);
	r.office = col_text(s, 3);
	r.subject = col_text(s, 4);
	r.message = col_text(s, 5);
	r.received = sqlite3_column_int64(s, 6);
	r.answered = sqlite3_column_int64(s, 7);
	f->rows++;
	return f->fn(f->ctx, &r);
}

/* The messages (of `office` when not NULL; only unanswered ones when
 * `open`), audited first as `action`. */
static int contacts_read(struct store *st, const char *actor, const char *action,
                         const char *office, int open, struct contact_feed *f, struct err *e)
{
	char record[RECORD_MAX];

	if (office && !fits(office, STORE_SLUG))
		return err_set(e, "an office must be a slug of at most %d bytes", STORE_SLUG - 1);
	snprintf(record, sizeof record, "contacts%s%s%s", office ? " office=" : "",
	         office ? office : "", open ? " open" : "");
	if (store_audit_read(st, actor, action, record, e) < 0)
		return -1;
	return read_rows(st, Q_CONTACTS, "reading contact messages", contact_row, f, e, "ni",
	                 office, open ? 1LL : 0LL);
}

int store_admin_contacts(struct store *st, const char *actor, const char *office, int open,
                         int (*fn)(void *ctx, const struct store_contact_row *r), void *ctx,
                         struct err *e)
{
	struct contact_feed f = {fn, ctx, 0};

	return contacts_read(st, actor, "contact.list", office, open, &f, e);
}

int store_admin_contacts_export(struct store *st, const char *actor, const char *office,
                                int (*fn)(void *ctx, const struct store_contact_row *r), void *ctx,
                                struct err *e)
{
	struct contact_feed f = {fn, ctx, 0};

	return contacts_read(st, actor, "contact.export", office, 0, &f, e);
}

int store_admin_contact_show(struct store *st, const char *actor, long long id,
                             int (*fn)(void *ctx, const struct store_contact_row *r), void *ctx,
                             struct err *e)
{
	struct audit_job a = {actor, "contact.read", "", id, 0};
	struct contact_feed f = {fn, ctx, 0};
	int rc;

	if (id <= 0)
		return 1;
	if (check_actor(actor, e) < 0)
		return -1;
	/* the job answers 1, writing nothing, when there is no such message */
	snprintf(a.record, sizeof a.record, "contact:%lld", id);
	rc = submit(st, run_audit, &a, e);
	if (rc != 0)
		return rc;
	rc = read_rows(st, Q_CONTACT_GET, "reading a contact message", contact_row, &f, e, "i", id);
	return rc == 0 && f.rows == 0 ? 1 : rc;
}
