/*
 * store_contacts.c - contact messages: storing one (waiting, or queued
 * without waiting), and staff marking one answered (store.h).
 */
#include "store_int.h"

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
	c->received = (long long)time(NULL);
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
	    sqlite3_bind_int64(s, 2, (long long)time(NULL)) != SQLITE_OK)
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
