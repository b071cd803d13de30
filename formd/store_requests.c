/*
 * store_requests.c - data-protection requests: storing, confirming,
 * reading, and the staff's steps with their history (store.h).
 */
#include "clock.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the steps a reply tells the person about */
#define ANSWERED "'identity', 'extend', 'done', 'refuse'"

/* data-protection requests and their steps */
const char *const store_sql_requests[Q_COUNT] = {
    /* received when sent (?10), due a month later (?11); ?12: the
     * address is known (an account's): confirmed then, else 0 */
    [Q_REQUEST_ADD] =
        "INSERT INTO requests (user_id, name, email, phone, address, office, article, "
        "scope, channel, created, received, due, confirmed, status) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, IIF(?12 > 0, 'received', 'unconfirmed'))",
    /* the link used: the address is confirmed; the deadline stays */
    [Q_REQUEST_CONFIRM] = "UPDATE requests SET confirmed = ?2, status = IIF(status = "
                          "'unconfirmed', 'received', status) WHERE id = ?1 AND confirmed = 0",
    /* section 4.2: the same right, by the same person (an account, or an
     * address someone confirmed), within 3 months */
    [Q_REQUEST_REPEATED] = "SELECT COUNT(*) FROM requests r, requests me WHERE me.id = ?1 AND "
                           "r.id <> me.id AND r.article = me.article AND r.received >= ?2 AND "
                           "((r.confirmed > 0 AND r.email = me.email COLLATE NOCASE) OR "
                           "(me.user_id > 0 AND r.user_id = me.user_id))",
    [Q_REQUEST_FLAG] = "UPDATE requests SET flagged = 1 WHERE id = ?1",
    [Q_REQUEST_GET] = "SELECT id, user_id, name, email, phone, address, office, article, scope, "
                      "channel, created, received, due, extended_due, status, flagged, closed, "
                      "confirmed FROM requests WHERE id = ?1",
    [Q_REQUEST_SET] = "UPDATE requests SET status = ?2, extended_due = ?3, closed = ?4 "
                      "WHERE id = ?1",
    [Q_REQUEST_STEP_ADD] = "INSERT INTO request_steps (request_id, at, actor, step, note) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_REQUEST_STEPS] = "SELECT at, actor, step, note FROM request_steps WHERE request_id = ?1 "
                        "ORDER BY id",
    [Q_REQUESTS_OPEN] = "SELECT id, IIF(extended_due, extended_due, due), status, article, name, "
                        "flagged, channel, confirmed FROM requests WHERE status NOT IN ('done', "
                        "'refused') ORDER BY 2, id",
    [Q_REQUESTS_ALL] = "SELECT id, IIF(extended_due, extended_due, due), status, article, name, "
                       "flagged, channel, confirmed FROM requests ORDER BY 2, id",
    [Q_REQUEST_LAST_NOTE] = "SELECT note, at FROM request_steps WHERE request_id = ?1 AND "
                            "step = ?2 ORDER BY id DESC LIMIT 1",
    /* the last step a reply tells the person about */
    [Q_REQUEST_ANSWER] = "SELECT step, note FROM request_steps WHERE request_id = ?1 AND step IN "
                         "(" ANSWERED ") ORDER BY id DESC LIMIT 1",
    /* when its reply was sent (0: not yet) */
    [Q_REQUEST_REPLIED] = "SELECT IFNULL(MAX(at), 0) FROM request_steps WHERE request_id = ?1 AND "
                          "step = 'reply' AND id > (SELECT IFNULL(MAX(id), 0) FROM request_steps "
                          "WHERE request_id = ?1 AND step IN (" ANSWERED "))",
};

/* ---- requests ---- */

int request_log(struct store *st, const char *actor, long long id, const char *step_name,
                const char *note, struct err *e)
{
	char record[RECORD_MAX], action[48];

	if (qwrite(st, Q_REQUEST_STEP_ADD, "recording a request's step", e, "iittt", id,
	           clock_now(), actor, step_name, note ? note : "") < 0)
		return -1;
	snprintf(record, sizeof record, "request:%lld", id);
	snprintf(action, sizeof action, "request.%s", step_name);
	return audit_add(st, actor, action, record, e);
}

/* On the writer: flags request `id`, received at `received`, when the
 * same right came from the same person within the 3 months before. */
static int request_flag(struct store *st, long long id, long long received, int *flagged,
                        struct err *e)
{
	long long repeats = 0;

	if (qnum(st, &st->w,
	         qbind(st, &st->w, Q_REQUEST_REPEATED, "reading requests", e, "ii", id,
	               add_months(received, -3)),
	         "reading requests", &repeats, e) < 0)
		return -1;
	*flagged = repeats > 0;
	if (repeats > 0 && qwrite(st, Q_REQUEST_FLAG, "flagging a request", e, "i", id) < 0)
		return -1;
	return 0;
}

/* The history's note for a repeated request. */
#define REPEATED_NOTE "ponowne żądanie tego samego prawa w ciągu 3 miesięcy (instrukcja, pkt 4.2)"

int request_insert(struct store *st, const char *actor, struct rights_request *r,
                   const char *digest, long long expires, const struct mail_out *mail,
                   struct err *e)
{
	long long now = clock_now();
	char record[RECORD_MAX];

	r->created = r->received = now;
	r->due = add_months(now, 1);
	r->confirmed = digest ? 0 : now;
	if (qwrite(st, Q_REQUEST_ADD, "adding a request", e, "ittttttttiii", r->user_id, r->name,
	           r->email, r->phone, r->address ? r->address : "", r->office, r->right,
	           r->scope ? r->scope : "", r->channel, now, r->due, r->confirmed) < 0)
		return -1;
	r->id = sqlite3_last_insert_rowid(st->w.db);
	snprintf(r->status, sizeof r->status, digest ? "unconfirmed" : "received");
	snprintf(record, sizeof record, "request:%lld", r->id);
	if (audit_add(st, actor, "request.create", record, e) < 0 ||
	    request_flag(st, r->id, now, &r->flagged, e) < 0 ||
	    request_log(st, actor, r->id, "received", r->flagged ? REPEATED_NOTE : "", e) < 0)
		return -1;
	if (!digest)
		return 0;
	if (qwrite(st, Q_TOKEN_ADD, "adding a token", e, "ttiitii", digest, "request", 0LL, r->id,
	           "", now, expires) < 0)
		return -1;
	return outbox_put(st, actor, mail, e);
}

struct request_job {
	const char *actor, *digest;
	struct rights_request *r;
	long long expires;
	const struct mail_out *mail;
};

static int run_request_add(struct store *st, void *arg, struct err *e)
{
	struct request_job *j = arg;

	return request_insert(st, j->actor, j->r, j->digest, j->expires, j->mail, e);
}

int store_request_add(struct store *st, const char *actor, struct rights_request *r,
                      const char *digest, long long expires, const struct mail_out *mail,
                      struct err *e)
{
	struct request_job j = {actor, digest, r, expires, mail};

	if (check_actor(actor, e) < 0 || (digest && check_digest(digest, e) < 0))
		return -1;
	if (!fits(r->name, sizeof r->name) || !fits(r->email, sizeof r->email) ||
	    !fits(r->phone, sizeof r->phone) || !fits(r->office, sizeof r->office) ||
	    !fits(r->right, sizeof r->right) || !fits(r->channel, sizeof r->channel))
		return err_set(e, "a request's field is not a string of its size");
	return submit(st, run_request_add, &j, e);
}

/* The link used: the address confirmed (the deadline runs from receipt
 * already); flagged now when it repeats a request from that address. */
static int run_request_confirm(struct store *st, void *arg, struct err *e)
{
	struct token_job *j = arg;
	sqlite3_stmt *s;
	long long received;
	int rc = token_take(st, j, NULL, e), was, flagged;

	if (rc != 0)
		return rc;
	if (!(s = qbind(st, &st->w, Q_REQUEST_GET, "reading a request", e, "i", j->request_id)))
		return -1;
	rc = step(st, &st->w, s, "reading a request", e);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	received = sqlite3_column_int64(s, 11);
	was = sqlite3_column_int(s, 15);
	sqlite3_reset(s);
	rc = qwrite(st, Q_REQUEST_CONFIRM, "confirming a request's address", e, "ii", j->request_id,
	            j->now);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	if (request_flag(st, j->request_id, received, &flagged, e) < 0)
		return -1;
	return request_log(st, "web", j->request_id, "confirmed",
	                   flagged && !was ? REPEATED_NOTE : "", e);
}

int store_request_confirm(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                          long long *id, struct err *e)
{
	struct token_job j = {"web", digest, NULL, NULL, TOKEN_REQUEST, 0, 0, 0, now, NULL};
	int rc;

	if (check_digest(digest, e) < 0)
		return -1;
	rc = submit(st, run_request_confirm, &j, e);
	if (rc == 0)
		*id = j.request_id;
	return rc;
}

void store_request_free(struct rights_request *r)
{
	free(r->address);
	free(r->scope);
	r->address = r->scope = NULL;
}

/* Reads the request row s is on into r (address and scope allocated). */
static int request_row(struct store *st, sqlite3_stmt *s, struct rights_request *r, struct err *e)
{
	int bad = 0;

	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	r->user_id = sqlite3_column_int64(s, 1);
	bad |= col_copy(s, 2, r->name, sizeof r->name);
	bad |= col_copy(s, 3, r->email, sizeof r->email);
	bad |= col_copy(s, 4, r->phone, sizeof r->phone);
	bad |= col_copy(s, 6, r->office, sizeof r->office);
	bad |= col_copy(s, 7, r->right, sizeof r->right);
	bad |= col_copy(s, 9, r->channel, sizeof r->channel);
	r->created = sqlite3_column_int64(s, 10);
	r->received = sqlite3_column_int64(s, 11);
	r->due = sqlite3_column_int64(s, 12);
	r->extended_due = sqlite3_column_int64(s, 13);
	bad |= col_copy(s, 14, r->status, sizeof r->status);
	r->flagged = sqlite3_column_int(s, 15);
	r->closed = sqlite3_column_int64(s, 16);
	r->confirmed = sqlite3_column_int64(s, 17);
	if (bad)
		return too_long(st, "requests", e);
	r->address =
	    strdup(sqlite3_column_text(s, 5) ? (const char *)sqlite3_column_text(s, 5) : "");
	r->scope = strdup(sqlite3_column_text(s, 8) ? (const char *)sqlite3_column_text(s, 8) : "");
	if (!r->address || !r->scope) {
		store_request_free(r);
		return err_oom(e);
	}
	return 0;
}

int store_request_get(struct store *st, long long id, struct rights_request *r, struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (!c)
		return -1;
	if ((s = qbind(st, c, Q_REQUEST_GET, "reading a request", e, "i", id))) {
		rc = step(st, c, s, "reading a request", e);
		if (rc == 1)
			rc = request_row(st, s, r, e);
		else if (rc == 0)
			rc = 1;
	}
	reader_put(st, c);
	return rc;
}

struct step_job {
	const char *actor, *step, *note;
	long long id, now;
	int months;
	const struct mail_out *mail;
};

static int run_request_step(struct store *st, void *arg, struct err *e)
{
	struct step_job *j = arg;
	struct rights_request r;
	sqlite3_stmt *s = qbind(st, &st->w, Q_REQUEST_GET, "reading a request", e, "i", j->id);
	const char *status;
	long long extended, closed;
	int rc, open;

	if (!s)
		return -1;
	rc = step(st, &st->w, s, "reading a request", e);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	if (request_row(st, s, &r, e) < 0)
		return -1;
	sqlite3_reset(s);
	store_request_free(&r);
	status = r.status;
	extended = r.extended_due;
	closed = r.closed;
	open = strcmp(r.status, "done") != 0 && strcmp(r.status, "refused") != 0;
	/* the sender's address unproved: staff ask who sent it, or close it
	 * with the reasons (seed 000 V.3, seed 004 section 1.2) */
	if (strcmp(r.status, "unconfirmed") == 0 &&
	    (strcmp(j->step, "progress") == 0 || strcmp(j->step, "done") == 0 ||
	     strcmp(j->step, "extend") == 0))
		return err_set(e,
		               "request %lld: its sender's address is not confirmed: ask for "
		               "identification (request identity) or refuse it with the reasons",
		               j->id);
	if (strcmp(j->step, "identity") == 0 || strcmp(j->step, "progress") == 0) {
		if (!open)
			return err_set(e, "request %lld is %s already", j->id, r.status);
		status = j->step;
	} else if (strcmp(j->step, "extend") == 0) {
		if (!open)
			return err_set(e, "request %lld is %s already", j->id, r.status);
		if (r.extended_due)
			return err_set(
			    e, "request %lld was extended already: only once (section 5.1)", j->id);
		if (j->now >= r.due)
			return err_set(e,
			               "request %lld: the first month ended on its due date; an "
			               "extension must be given within it (section 5.1)",
			               j->id);
		if (j->months < 1 || j->months > 2)
			return err_set(e, "an extension is by 1 or 2 months, not %d", j->months);
		if (!j->note || !*j->note)
			return err_set(e, "an extension needs its reasons (--reason)");
		status = "extended";
		extended = add_months(r.due, j->months);
	} else if (strcmp(j->step, "done") == 0) {
		if (!open)
			return err_set(e, "request %lld is %s already", j->id, r.status);
		status = "done";
		closed = j->now;
	} else if (strcmp(j->step, "refuse") == 0) {
		if (!open)
			return err_set(e, "request %lld is %s already", j->id, r.status);
		if (!j->note || !*j->note)
			return err_set(e, "a refusal needs its reasons (--reason)");
		status = "refused";
		closed = j->now;
	} else if (strcmp(j->step, "reply") != 0 && strcmp(j->step, "note") != 0 &&
	           strcmp(j->step, "export") != 0) {
		return err_set(e, "unknown step '%s'", j->step);
	}
	if (qwrite(st, Q_REQUEST_SET, "changing a request", e, "itii", j->id, status, extended,
	           closed) < 0)
		return -1;
	if (request_log(st, j->actor, j->id, j->step, j->note, e) < 0)
		return -1;
	return outbox_put(st, j->actor, j->mail, e);
}

int store_request_step(struct store *st, const char *actor, long long id, const char *step_name,
                       const char *note, int months, long long now, const struct mail_out *mail,
                       struct err *e)
{
	struct step_job j = {actor, step_name, note, id, now, months, mail};

	if (check_actor(actor, e) < 0)
		return -1;
	if (!step_name)
		return err_set(e, "no step");
	return submit(st, run_request_step, &j, e);
}

int store_request_note(struct store *st, long long id, const char *step_name, char **note,
                       long long *at, struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	*note = NULL;
	if (!c)
		return -1;
	if ((s = qbind(st, c, Q_REQUEST_LAST_NOTE, "reading a request's history", e, "it", id,
	               step_name))) {
		rc = step(st, c, s, "reading a request's history", e);
		if (rc == 1) {
			*note = strdup((const char *)sqlite3_column_text(s, 0));
			if (at)
				*at = sqlite3_column_int64(s, 1);
			rc = *note ? 0 : err_oom(e);
		} else if (rc == 0) {
			rc = 1;
		}
	}
	reader_put(st, c);
	return rc;
}

/* ---- the staff's reads ---- */

/* Where request_list_row and step_row hand the rows. */
struct request_feed {
	int (*fn)(void *ctx, const struct store_request_row *r);
	int (*step_fn)(void *ctx, const struct store_step_row *s);
	void *ctx;
};

/* The Q_REQUESTS_OPEN / Q_REQUESTS_ALL row s is on, to the callback. */
static int request_list_row(sqlite3_stmt *s, void *arg)
{
	const struct request_feed *f = arg;
	struct store_request_row r;

	r.id = sqlite3_column_int64(s, 0);
	r.due = sqlite3_column_int64(s, 1);
	r.status = col_text(s, 2);
	r.right = col_text(s, 3);
	r.name = col_text(s, 4);
	r.flagged = sqlite3_column_int(s, 5);
	r.channel = col_text(s, 6);
	r.confirmed = sqlite3_column_int64(s, 7);
	return f->fn(f->ctx, &r);
}

/* The Q_REQUEST_STEPS row s is on, to the step callback. */
static int step_row(sqlite3_stmt *s, void *arg)
{
	const struct request_feed *f = arg;
	struct store_step_row r;

	r.at = sqlite3_column_int64(s, 0);
	r.actor = col_text(s, 1);
	r.step = col_text(s, 2);
	r.note = col_text(s, 3);
	return f->step_fn(f->ctx, &r);
}

int store_admin_requests(struct store *st, const char *actor, int all,
                         int (*fn)(void *ctx, const struct store_request_row *r), void *ctx,
                         struct err *e)
{
	struct request_feed f = {fn, NULL, ctx};

	if (store_audit_read(st, actor, "request.list", all ? "requests all" : "requests open", e) <
	    0)
		return -1;
	return read_rows(st, all ? Q_REQUESTS_ALL : Q_REQUESTS_OPEN, "reading requests",
	                 request_list_row, &f, e, "");
}

int store_admin_request_show(struct store *st, const char *actor, long long id,
                             int (*on_request)(void *ctx, const struct rights_request *r),
                             int (*on_step)(void *ctx, const struct store_step_row *s), void *ctx,
                             struct err *e)
{
	struct request_feed f = {NULL, on_step, ctx};
	struct rights_request r;
	char record[RECORD_MAX];
	int rc;

	snprintf(record, sizeof record, "request:%lld", id);
	if (store_audit_read(st, actor, "request.read", record, e) < 0)
		return -1;
	rc = store_request_get(st, id, &r, e);
	if (rc != 0)
		return rc;
	rc = on_request(ctx, &r);
	store_request_free(&r);
	if (rc != 0)
		return 0;
	return read_rows(st, Q_REQUEST_STEPS, "reading a request's history", step_row, &f, e, "i",
	                 id);
}

int store_request_answer(struct store *st, long long id, char step_name[STORE_STEP], char **note,
                         struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	*note = NULL;
	step_name[0] = '\0';
	if (!c)
		return -1;
	if ((s = qbind(st, c, Q_REQUEST_ANSWER, "reading a request's history", e, "i", id))) {
		rc = step(st, c, s, "reading a request's history", e);
		if (rc == 1) {
			if (col_copy(s, 0, step_name, STORE_STEP) < 0)
				rc = too_long(st, "request_steps", e);
			else if (!(*note = strdup((const char *)sqlite3_column_text(s, 1))))
				rc = err_oom(e);
			else
				rc = 0;
		} else if (rc == 0) {
			rc = 1;
		}
	}
	reader_put(st, c);
	return rc;
}

struct reply_job {
	const char *actor, *note;
	long long id, now, sent_at; /* sent_at: the earlier reply's time, when found */
	int again;
	const struct mail_out *mail;
};

/* The reply queued and recorded, unless it went already (and not again). */
static int run_request_reply(struct store *st, void *arg, struct err *e)
{
	struct reply_job *j = arg;
	sqlite3_stmt *s = qbind(st, &st->w, Q_REQUEST_GET, "reading a request", e, "i", j->id);
	int rc;

	if (!s)
		return -1;
	rc = step(st, &st->w, s, "reading a request", e);
	sqlite3_reset(s);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	if (qnum(st, &st->w,
	         qbind(st, &st->w, Q_REQUEST_REPLIED, "reading a request's history", e, "i", j->id),
	         "reading a request's history", &j->sent_at, e) < 0)
		return -1;
	if (j->sent_at && !j->again)
		return 2;
	if (request_log(st, j->actor, j->id, "reply", j->note, e) < 0)
		return -1;
	return outbox_put(st, j->actor, j->mail, e);
}

int store_request_reply(struct store *st, const char *actor, long long id, const char *note,
                        int again, const struct mail_out *mail, long long *sent_at, struct err *e)
{
	struct reply_job j = {actor, note, id, 0, 0, again, mail};
	int rc;

	*sent_at = 0;
	if (check_actor(actor, e) < 0)
		return -1;
	rc = submit(st, run_request_reply, &j, e);
	if (rc == 2)
		*sent_at = j.sent_at;
	return rc;
}
