/*
 * store_users.c - the accounts: users (adding, finding, a rehash),
 * sessions, single-use tokens (password reset, a new e-mail), and the
 * person's changes to their account: correct, password, restrict, close
 * and erase (store.h).
 */
#include "store_int.h"

#include "buf.h"
#include "clock.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USER_COLS                                                                                  \
	"id, first_name, last_name, email, status, office, pw_hash, created, terms_commit, "       \
	"terms_at, policy_commit, policy_at, closed, restricted, confirmed"

/* users, sessions, tokens, account changes */
const char *const store_sql_users[Q_COUNT] = {
    [Q_USER_ADD] = "INSERT INTO users (first_name, last_name, email, email_norm, status, office, "
                   "pw_hash, created, terms_commit, terms_at, policy_commit, policy_at, "
                   "confirmed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [Q_USER_BY_EMAIL] = "SELECT " USER_COLS " FROM users WHERE email_norm = ?1",
    [Q_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
    [Q_USER_SET_HASH] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1 AND pw_hash = ?3",
    [Q_USERS_TOTAL] = "SELECT COUNT(*) FROM users WHERE closed = 0 AND restricted = 0",
    [Q_USERS_BY_STATUS] = "SELECT status, COUNT(*) FROM users WHERE closed = 0 AND "
                          "restricted = 0 GROUP BY status ORDER BY status",
    [Q_USERS_BY_OFFICE] = "SELECT office, COUNT(*) FROM users WHERE closed = 0 AND "
                          "restricted = 0 GROUP BY office ORDER BY office",
    /* only for an open, confirmed account whose password is still the
     * one checked (?4; NULL: no check) */
    [Q_SESSION_ADD] = "INSERT INTO sessions (digest, user_id, created, last_used) "
                      "SELECT ?1, id, ?3, ?3 FROM users WHERE id = ?2 AND closed = 0 AND "
                      "confirmed > 0 AND (?4 IS NULL OR pw_hash = ?4)",
    [Q_SESSION_GET] = "SELECT user_id, created, last_used FROM sessions WHERE digest = ?1",
    [Q_SESSION_TOUCH] = "UPDATE sessions SET last_used = ?2 WHERE digest = ?1 AND last_used < ?2",
    [Q_SESSION_EXPIRE] = "DELETE FROM sessions WHERE digest = ?1 AND (last_used < ?2 OR "
                         "created < ?3)",
    [Q_SESSION_DELETE] = "DELETE FROM sessions WHERE digest = ?1",
    [Q_USER_EXISTS] = "SELECT 1 FROM users WHERE id = ?1",
    [Q_SESSION_PREFIX_COUNT] = "SELECT COUNT(*) FROM sessions "
                               "WHERE user_id = ?1 AND substr(digest, 1, 12) = ?2",
    [Q_SESSION_PREFIX_DELETE] = "DELETE FROM sessions "
                                "WHERE user_id = ?1 AND substr(digest, 1, 12) = ?2",
    [Q_USER_CORRECT] = "UPDATE users SET first_name = ?2, last_name = ?3, status = ?4, office = ?5 "
                       "WHERE id = ?1 AND closed = 0",
    [Q_USER_SET_EMAIL] =
        "UPDATE users SET email = ?2, email_norm = ?3 WHERE id = ?1 AND closed = 0",
    [Q_USER_SET_PASSWORD] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1 AND closed = 0",
    [Q_USER_SESSIONS_END] = "DELETE FROM sessions WHERE user_id = ?1",
    [Q_USER_RESTRICT] = "UPDATE users SET restricted = ?2 WHERE id = ?1 AND closed = 0",
    [Q_USER_LIFT] = "UPDATE users SET restricted = 0 WHERE id = ?1 AND closed = 0 AND "
                    "restricted > 0",
    /* the art. 18 request the account sent last */
    [Q_USER_RESTRICTION_REQUEST] = "SELECT id FROM requests WHERE user_id = ?1 AND article = "
                                   "'ograniczenie' ORDER BY id DESC LIMIT 1",
    [Q_USER_HAS_RECORDS] = "SELECT (SELECT COUNT(*) FROM attempts WHERE user_id = ?1) + "
                           "(SELECT COUNT(*) FROM certificates WHERE user_id = ?1)",
    /* closed: no login (the address is free again), nothing public */
    [Q_USER_CLOSE] = "UPDATE users SET closed = ?2, email_norm = 'zamkniete:' || id "
                     "WHERE id = ?1 AND closed = 0",
    /* erased: the personal data gone; the row stays (posts and
     * certificates point at it), with what the monitoring counts */
    [Q_USER_ERASE] = "UPDATE users SET first_name = '', last_name = '', email = '', "
                     "email_norm = 'usuniete:' || id, pw_hash = '', terms_commit = '', "
                     "policy_commit = '', erased = ?2, closed = IIF(closed, closed, ?2) "
                     "WHERE id = ?1 AND erased = 0",
    [Q_USER_POSTS_ANON] = "UPDATE posts SET author = '' WHERE user_id = ?1",
    [Q_USER_TOKENS_DELETE] = "DELETE FROM tokens WHERE user_id = ?1",
    [Q_USER_POST_COURSES] = "SELECT DISTINCT course FROM posts WHERE user_id = ?1 ORDER BY course",
    [Q_TOKEN_ADD] = "INSERT INTO tokens (digest, kind, user_id, request_id, data, created, "
                    "expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_TOKEN_GET] = "SELECT user_id, request_id, data FROM tokens WHERE digest = ?1 AND "
                    "kind = ?2 AND used = 0 AND expires > ?3",
    [Q_TOKEN_USE] = "UPDATE tokens SET used = ?3 WHERE digest = ?1 AND kind = ?2 AND used = 0 "
                    "AND expires > ?3",
    [Q_USER_CONFIRM] =
        "UPDATE users SET confirmed = ?2 WHERE id = ?1 AND closed = 0 AND confirmed = 0",
    [Q_USER_OPEN] = "SELECT COUNT(*) FROM users WHERE id = ?1 AND closed = 0",
    [Q_USER_RESET_TOKENS_END] = "UPDATE tokens SET used = ?2 WHERE user_id = ?1 AND "
                                "kind = 'reset' AND used = 0",
};

#define TOUCH_EVERY 60 /* seconds between two refreshes of a session's last use */

/* ---- users ---- */

const char *status_text(enum user_status s)
{
	return s == STATUS_JOBSEEKER ? "poszukujaca" : "bezrobotna";
}

/* The e-mail as compared: ASCII letters lowercased (the domain is
 * case-insensitive, and no mail system in use treats the local part's case
 * as meaningful; other bytes are kept). */
void email_norm(const char *email, char out[STORE_EMAIL])
{
	size_t i;

	for (i = 0; email[i] && i < STORE_EMAIL - 1; i++)
		out[i] =
		    email[i] >= 'A' && email[i] <= 'Z' ? (char)(email[i] - 'A' + 'a') : email[i];
	out[i] = '\0';
}

struct user_add_job {
	const char *actor;
	struct user *u;
	char norm[STORE_EMAIL];
};

/* On the writer: the user and its user.create record. 0, 1 when the
 * e-mail is taken, -1 with e. */
static int run_user_add(struct store *st, void *arg, struct err *e)
{
	struct user_add_job *a = arg;
	struct user *u = a->u;
	struct conn *w = &st->w;
	char record[RECORD_MAX];
	sqlite3_stmt *s;
	int b = 0;

	if (!(s = prep(st, w, Q_USER_ADD, e)))
		return -1;
	u->created = clock_now();
	b |= bind_text(s, 1, u->first_name);
	b |= bind_text(s, 2, u->last_name);
	b |= bind_text(s, 3, u->email);
	b |= bind_text(s, 4, a->norm);
	b |= bind_text(s, 5, status_text(u->status));
	b |= bind_text(s, 6, u->office);
	b |= bind_text(s, 7, u->pw_hash);
	b |= sqlite3_bind_int64(s, 8, u->created);
	b |= bind_text(s, 9, u->terms_commit);
	b |= sqlite3_bind_int64(s, 10, u->terms_at);
	b |= bind_text(s, 11, u->policy_commit);
	b |= sqlite3_bind_int64(s, 12, u->policy_at);
	b |= sqlite3_bind_int64(s, 13, u->confirmed);
	if (b != SQLITE_OK)
		return db_fail(st, w, "adding a user", e);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(w->db) == SQLITE_CONSTRAINT_UNIQUE)
			return 1;
		return db_fail(st, w, "adding a user", e);
	}
	u->id = sqlite3_last_insert_rowid(w->db);
	snprintf(record, sizeof record, "user:%lld", u->id);
	return audit_add(st, a->actor, "user.create", record, e);
}

int store_user_add(struct store *st, const char *actor, struct user *u, struct err *e)
{
	struct user_add_job a = {actor, u, ""};

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(u->first_name, sizeof u->first_name) ||
	    !fits(u->last_name, sizeof u->last_name) || !fits(u->email, sizeof u->email) ||
	    !fits(u->office, sizeof u->office) || !fits(u->pw_hash, sizeof u->pw_hash) ||
	    !fits(u->terms_commit, sizeof u->terms_commit) ||
	    !fits(u->policy_commit, sizeof u->policy_commit))
		return err_set(e, "a user's field is not a string of its size");
	if (u->status != STATUS_UNEMPLOYED && u->status != STATUS_JOBSEEKER)
		return err_set(e, "unknown user status %d", (int)u->status);
	email_norm(u->email, a.norm);
	return submit(st, run_user_add, &a, e);
}

/* Reads the user row s is on into u. 0, or -1 with e. */
static int user_row(struct store *st, sqlite3_stmt *s, struct user *u, struct err *e)
{
	const unsigned char *status = sqlite3_column_text(s, 4);
	int bad = 0;

	memset(u, 0, sizeof *u);
	u->id = sqlite3_column_int64(s, 0);
	bad |= col_copy(s, 1, u->first_name, sizeof u->first_name);
	bad |= col_copy(s, 2, u->last_name, sizeof u->last_name);
	bad |= col_copy(s, 3, u->email, sizeof u->email);
	bad |= col_copy(s, 5, u->office, sizeof u->office);
	bad |= col_copy(s, 6, u->pw_hash, sizeof u->pw_hash);
	u->created = sqlite3_column_int64(s, 7);
	bad |= col_copy(s, 8, u->terms_commit, sizeof u->terms_commit);
	u->terms_at = sqlite3_column_int64(s, 9);
	bad |= col_copy(s, 10, u->policy_commit, sizeof u->policy_commit);
	u->policy_at = sqlite3_column_int64(s, 11);
	u->closed = sqlite3_column_int64(s, 12);
	u->restricted = sqlite3_column_int64(s, 13);
	u->confirmed = sqlite3_column_int64(s, 14);
	if (status && strcmp((const char *)status, "poszukujaca") == 0)
		u->status = STATUS_JOBSEEKER;
	else
		u->status = STATUS_UNEMPLOYED; /* the CHECK allows only the two */
	return bad ? too_long(st, "users", e) : 0;
}

/* Runs a user query (Q_USER_BY_EMAIL with text, Q_USER_BY_ID with id) on
 * a read connection. 0, 1 when there is no such user, -1 with e. */
static int user_get(struct store *st, enum q id, const char *text, long long num, struct user *u,
                    struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	if (!c)
		return -1;
	if (!(s = prep(st, c, id, e)))
		goto out;
	if ((text ? bind_text(s, 1, text) : sqlite3_bind_int64(s, 1, num)) != SQLITE_OK) {
		db_fail(st, c, "reading a user", e);
		goto out;
	}
	rc = step(st, c, s, "reading a user", e);
	if (rc == 1)
		rc = user_row(st, s, u, e);
	else if (rc == 0)
		rc = 1;
out:
	reader_put(st, c);
	return rc;
}

int store_user_by_email(struct store *st, const char *email, struct user *u, struct err *e)
{
	char norm[STORE_EMAIL];

	if (!fits(email, STORE_EMAIL))
		return 1; /* no stored address is that long */
	email_norm(email, norm);
	return user_get(st, Q_USER_BY_EMAIL, norm, 0, u, e);
}

int store_user_by_id(struct store *st, long long id, struct user *u, struct err *e)
{
	return user_get(st, Q_USER_BY_ID, NULL, id, u, e);
}

struct set_hash_job {
	long long id;
	const char *hash, *old;
};

/* On the writer: a new password hash (not audited: no personal data
 * changes, and the function has no actor). 0, 1 when no such user. */
static int run_set_hash(struct store *st, void *arg, struct err *e)
{
	struct set_hash_job *a = arg;
	sqlite3_stmt *s;

	if (!(s = prep(st, &st->w, Q_USER_SET_HASH, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, a->id) != SQLITE_OK || bind_text(s, 2, a->hash) != SQLITE_OK ||
	    bind_text(s, 3, a->old) != SQLITE_OK)
		return db_fail(st, &st->w, "changing a password hash", e);
	if (step(st, &st->w, s, "changing a password hash", e) < 0)
		return -1;
	return sqlite3_changes(st->w.db) > 0 ? 0 : 1;
}

int store_user_set_hash(struct store *st, long long id, const char *old_hash, const char *hash,
                        struct err *e)
{
	struct set_hash_job a = {id, hash, old_hash};

	if (!fits(hash, AUTH_HASH_MAX) || !*hash || !fits(old_hash, AUTH_HASH_MAX))
		return err_set(e, "a password hash must be 1 to %d bytes", AUTH_HASH_MAX - 1);
	return submit(st, run_set_hash, &a, e);
}

/* ---- sessions ---- */

enum session_op { SESSION_ADD, SESSION_TOUCH, SESSION_EXPIRE, SESSION_DELETE };

struct session_job {
	enum session_op op;
	const char *digest;
	const char *pw_hash; /* SESSION_ADD: the hash checked, or NULL */
	long long user_id, now;
	long long idle_before, created_before; /* SESSION_EXPIRE: the limits */
};

/* On the writer: one session write (sessions are not audited). 0; 1 when
 * an added digest is taken or its user is missing, or a deleted one was
 * not there; -1 with e. */
static int run_session(struct store *st, void *arg, struct err *e)
{
	static const enum q qs[] = {Q_SESSION_ADD, Q_SESSION_TOUCH, Q_SESSION_EXPIRE,
	                            Q_SESSION_DELETE};
	struct session_job *a = arg;
	struct conn *w = &st->w;
	sqlite3_stmt *s;
	int b;

	if (!(s = prep(st, w, qs[a->op], e)))
		return -1;
	b = bind_text(s, 1, a->digest);
	switch (a->op) {
	case SESSION_ADD:
		b |= sqlite3_bind_int64(s, 2, a->user_id);
		b |= sqlite3_bind_int64(s, 3, a->now);
		b |= a->pw_hash ? bind_text(s, 4, a->pw_hash) : sqlite3_bind_null(s, 4);
		break;
	case SESSION_TOUCH:
		b |= sqlite3_bind_int64(s, 2, a->now);
		break;
	case SESSION_EXPIRE:
		b |= sqlite3_bind_int64(s, 2, a->idle_before);
		b |= sqlite3_bind_int64(s, 3, a->created_before);
		break;
	case SESSION_DELETE:
		break;
	}
	if (b != SQLITE_OK)
		return db_fail(st, w, "writing a session", e);
	if (sqlite3_step(s) != SQLITE_DONE) {
		int code = sqlite3_extended_errcode(w->db);

		if (a->op == SESSION_ADD &&
		    (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_FOREIGNKEY))
			return 1; /* the token is taken (never, at 256 bits) or no such user */
		return db_fail(st, w, "writing a session", e);
	}
	if (a->op == SESSION_DELETE || a->op == SESSION_ADD)
		return sqlite3_changes(w->db) > 0 ? 0 : 1;
	return 0;
}

int store_session_add(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long user_id,
                      const char *pw_hash, long long now, struct err *e)
{
	struct session_job a = {SESSION_ADD, digest, pw_hash, user_id, now, 0, 0};

	if (check_digest(digest, e) < 0)
		return -1;
	return submit(st, run_session, &a, e);
}

int store_session_user(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                       long long idle, long long absolute, long long *user_id, struct err *e)
{
	struct session_job a = {SESSION_TOUCH, digest, NULL, 0, now, now - idle, now - absolute};
	long long uid = 0, created = 0, last_used = 0;
	struct conn *c;
	sqlite3_stmt *s;
	int rc = -1;

	if (check_digest(digest, e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = prep(st, c, Q_SESSION_GET, e)))
		goto out;
	if (bind_text(s, 1, digest) != SQLITE_OK) {
		db_fail(st, c, "reading a session", e);
		goto out;
	}
	rc = step(st, c, s, "reading a session", e);
	if (rc == 1) {
		uid = sqlite3_column_int64(s, 0);
		created = sqlite3_column_int64(s, 1);
		last_used = sqlite3_column_int64(s, 2);
	}
out:
	reader_put(st, c);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	/* the writes go through the writer, and only when needed */
	if (last_used < now - idle || created < now - absolute) {
		a.op = SESSION_EXPIRE;
		return submit(st, run_session, &a, e) < 0 ? -1 : 1;
	}
	if (now - last_used >= TOUCH_EVERY && submit(st, run_session, &a, e) < 0)
		return -1;
	*user_id = uid;
	return 0;
}

int store_session_delete(struct store *st, const char digest[AUTH_DIGEST_TEXT], struct err *e)
{
	struct session_job a = {SESSION_DELETE, digest, NULL, 0, 0, 0, 0};

	if (check_digest(digest, e) < 0)
		return -1;
	return submit(st, run_session, &a, e);
}

struct session_end_job {
	long long user_id;
	char id[STORE_SESSION_ID]; /* lowercase hex */
};

/* On the writer: ends the one session of the user whose digest starts
 * with a->id. 0; 1 when none does, or more than one (nothing is deleted);
 * -1 with e. */
static int run_session_end(struct store *st, void *arg, struct err *e)
{
	struct session_end_job *a = arg;
	struct conn *w = &st->w;
	sqlite3_stmt *s;
	int rc;

	if (!(s = prep(st, w, Q_SESSION_PREFIX_COUNT, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, a->user_id) != SQLITE_OK ||
	    bind_text(s, 2, a->id) != SQLITE_OK)
		return db_fail(st, w, "reading sessions", e);
	rc = step(st, w, s, "reading sessions", e);
	if (rc <= 0)
		return rc < 0
		           ? -1
		           : err_kind_set(e, ERR_IO, "%s: counting sessions gave no row", st->path);
	if (sqlite3_column_int64(s, 0) != 1)
		return 1;
	if (!(s = prep(st, w, Q_SESSION_PREFIX_DELETE, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, a->user_id) != SQLITE_OK ||
	    bind_text(s, 2, a->id) != SQLITE_OK)
		return db_fail(st, w, "ending a session", e);
	if (step(st, w, s, "ending a session", e) < 0)
		return -1;
	return sqlite3_changes(w->db) == 1 ? 0 : 1;
}

int store_session_end(struct store *st, long long user_id, const char *id12, struct err *e)
{
	struct session_end_job a = {user_id, ""};
	size_t i;

	for (i = 0; id12 && i < STORE_SESSION_ID - 1; i++) {
		char ch = id12[i];

		if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))
			a.id[i] = ch;
		else if (ch >= 'A' && ch <= 'F')
			a.id[i] = (char)(ch - 'A' + 'a');
		else
			break; /* the NUL of a shorter id too */
	}
	if (!id12 || i < STORE_SESSION_ID - 1 || id12[i] != '\0')
		return err_set(e, "a session id must be %d hex characters", STORE_SESSION_ID - 1);
	a.id[i] = '\0';
	return submit(st, run_session_end, &a, e);
}

static const char *const token_kinds[] = {"reset", "email", "request", "confirm"};

/* ---- account changes ---- */

static int run_user_correct(struct store *st, void *arg, struct err *e)
{
	struct user_job *j = arg;
	char record[RECORD_MAX];
	int n = qwrite(st, Q_USER_CORRECT, "correcting a user", e, "itttt", j->id, j->a, j->b, j->c,
	               j->d);

	if (n <= 0)
		return n < 0 ? -1 : 1;
	snprintf(record, sizeof record, "user:%lld", j->id);
	return audit_add(st, j->actor, "user.correct", record, e);
}

int store_user_correct(struct store *st, const char *actor, long long id, const char *first_name,
                       const char *last_name, enum user_status status, const char *office,
                       struct err *e)
{
	struct user_job j = {actor,  id, 0, first_name, last_name, status_text(status),
	                     office, 0,  0, BUF_INIT};

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(first_name, STORE_NAME) || !fits(last_name, STORE_NAME) ||
	    !fits(office, STORE_SLUG))
		return err_set(e, "a user's field is not a string of its size");
	return submit(st, run_user_correct, &j, e);
}

static int run_user_password(struct store *st, void *arg, struct err *e)
{
	struct user_job *j = arg;
	char record[RECORD_MAX];
	int n = qwrite(st, Q_USER_SET_PASSWORD, "setting a password", e, "it", j->id, j->a);

	if (n <= 0)
		return n < 0 ? -1 : 1;
	if (qwrite(st, Q_USER_SESSIONS_END, "ending sessions", e, "i", j->id) < 0 ||
	    qwrite(st, Q_USER_RESET_TOKENS_END, "ending reset links", e, "ii", j->id, clock_now()) <
	        0)
		return -1;
	snprintf(record, sizeof record, "user:%lld", j->id);
	return audit_add(st, j->actor, "user.password", record, e);
}

int store_user_set_password(struct store *st, const char *actor, long long id, const char *hash,
                            struct err *e)
{
	struct user_job j = {actor, id, 0, hash, NULL, NULL, NULL, 0, 0, BUF_INIT};

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(hash, AUTH_HASH_MAX) || !*hash)
		return err_set(e, "a password hash must be 1 to %d bytes", AUTH_HASH_MAX - 1);
	return submit(st, run_user_password, &j, e);
}

void store_request_of(const struct user *u, const char *right, const char *scope,
                      struct rights_request *r)
{
	memset(r, 0, sizeof *r);
	r->user_id = u->id;
	snprintf(r->name, sizeof r->name, "%s %s", u->first_name, u->last_name);
	snprintf(r->email, sizeof r->email, "%s", u->email);
	snprintf(r->office, sizeof r->office, "%s", u->office);
	snprintf(r->right, sizeof r->right, "%s", right);
	snprintf(r->channel, sizeof r->channel, "email");
	r->address = "";
	r->scope = (char *)scope;
}

static int run_user_restrict(struct store *st, void *arg, struct err *e)
{
	struct user_job *j = arg;
	char record[RECORD_MAX];
	int n = qwrite(st, Q_USER_RESTRICT, "restricting an account", e, "ii", j->id,
	               j->on ? j->now : 0LL);

	if (n <= 0)
		return n < 0 ? -1 : 1;
	snprintf(record, sizeof record, "user:%lld", j->id);
	if (audit_add(st, j->actor, j->on ? "user.restrict" : "user.lift", record, e) < 0)
		return -1;
	if (j->on && j->a) {
		struct rights_request r;
		struct user u;
		sqlite3_stmt *s = qbind(st, &st->w, Q_USER_BY_ID, "reading a user", e, "i", j->id);
		int rc;

		if (!s)
			return -1;
		rc = step(st, &st->w, s, "reading a user", e);
		if (rc <= 0)
			return rc < 0 ? -1 : 1;
		if (user_row(st, s, &u, e) < 0)
			return -1;
		sqlite3_reset(s);
		store_request_of(&u, "ograniczenie", j->a, &r);
		return request_insert(st, j->actor, &r, NULL, 0, NULL, e);
	}
	return 0;
}

int store_user_restrict(struct store *st, const char *actor, long long id, int on,
                        const char *reason, struct err *e)
{
	struct user_job j = {actor, id, clock_now(), reason, NULL, NULL, NULL, on, 0, BUF_INIT};

	if (check_actor(actor, e) < 0)
		return -1;
	return submit(st, run_user_restrict, &j, e);
}

/* Adds the courses user j->id posted in to j->courses, one a line. */
int post_courses(struct store *st, struct user_job *j, struct err *e)
{
	sqlite3_stmt *s = qbind(st, &st->w, Q_USER_POST_COURSES, "reading posts", e, "i", j->id);
	int rc;

	if (!s)
		return -1;
	buf_reset(&j->courses);
	while ((rc = step(st, &st->w, s, "reading posts", e)) == 1) {
		buf_puts(&j->courses, (const char *)sqlite3_column_text(s, 0));
		buf_putc(&j->courses, '\n');
	}
	if (rc == 0 && buf_failed(&j->courses))
		return err_oom(e);
	return rc;
}

/* Erases user `id`'s personal data (the row stays, emptied), its posts'
 * author, sessions and tokens. 0, 1 when erased already, -1. */
int erase_user(struct store *st, const char *actor, long long id, long long now, struct err *e)
{
	char record[RECORD_MAX];
	int n = qwrite(st, Q_USER_ERASE, "erasing a user", e, "ii", id, now);

	if (n <= 0)
		return n < 0 ? -1 : 1;
	if (qwrite(st, Q_USER_POSTS_ANON, "anonymising posts", e, "i", id) < 0 ||
	    qwrite(st, Q_USER_SESSIONS_END, "ending sessions", e, "i", id) < 0 ||
	    qwrite(st, Q_USER_TOKENS_DELETE, "deleting tokens", e, "i", id) < 0)
		return -1;
	snprintf(record, sizeof record, "user:%lld", id);
	return audit_add(st, actor, "user.erase", record, e);
}

static int run_user_close(struct store *st, void *arg, struct err *e)
{
	struct user_job *j = arg;
	char record[RECORD_MAX];
	long long held = 0;
	int n;

	if (post_courses(st, j, e) < 0)
		return -1;
	n = qwrite(st, Q_USER_CLOSE, "closing an account", e, "ii", j->id, j->now);
	if (n <= 0)
		return n < 0 ? -1 : 1;
	snprintf(record, sizeof record, "user:%lld", j->id);
	if (audit_add(st, j->actor, "user.close", record, e) < 0)
		return -1;
	if (qnum(st, &st->w,
	         qbind(st, &st->w, Q_USER_HAS_RECORDS, "reading attempts", e, "i", j->id),
	         "reading attempts", &held, e) < 0)
		return -1;
	if (held == 0) {
		j->erased = 1;
		return erase_user(st, j->actor, j->id, j->now, e) < 0 ? -1 : 0;
	}
	if (qwrite(st, Q_USER_POSTS_ANON, "anonymising posts", e, "i", j->id) < 0 ||
	    qwrite(st, Q_USER_SESSIONS_END, "ending sessions", e, "i", j->id) < 0 ||
	    qwrite(st, Q_USER_TOKENS_DELETE, "deleting tokens", e, "i", j->id) < 0)
		return -1;
	return 0;
}

int store_user_close(struct store *st, const char *actor, long long id, int *erased,
                     char **courses_out, struct err *e)
{
	struct user_job j = {actor, id, clock_now(), NULL, NULL, NULL, NULL, 0, 0, BUF_INIT};
	int rc;

	if (courses_out)
		*courses_out = NULL;
	if (check_actor(actor, e) < 0)
		return -1;
	rc = submit(st, run_user_close, &j, e);
	if (erased)
		*erased = j.erased;
	if (rc == 0 && courses_out)
		*courses_out = buf_detach(&j.courses, NULL);
	buf_free(&j.courses);
	return rc;
}

/* ---- tokens ---- */

static int run_token_add(struct store *st, void *arg, struct err *e)
{
	struct token_job *j = arg;
	char record[RECORD_MAX];
	long long there = 0;

	if (j->user_id > 0) {
		int rc = exists(st, Q_USER_EXISTS, j->user_id, "reading a user", e);

		if (rc <= 0)
			return rc < 0 ? -1 : 1;
		(void)there;
	}
	if (qwrite(st, Q_TOKEN_ADD, "adding a token", e, "ttiitii", j->digest, token_kinds[j->kind],
	           j->user_id, j->request_id, j->data ? j->data : "", clock_now(), j->expires) < 0)
		return -1;
	snprintf(record, sizeof record, "user:%lld", j->user_id);
	if (audit_add(st, j->actor,
	              j->kind == TOKEN_RESET   ? "password.reset.start"
	              : j->kind == TOKEN_EMAIL ? "email.change.start"
	                                       : "user.confirm.start",
	              record, e) < 0)
		return -1;
	return outbox_put(st, j->actor, j->mail, e);
}

int store_token_add(struct store *st, const char *actor, const char digest[AUTH_DIGEST_TEXT],
                    enum token_kind kind, long long user_id, const char *data, long long expires,
                    const struct mail_out *mail, struct err *e)
{
	struct token_job j = {actor, digest, data, NULL, kind, user_id, 0, expires, 0, mail};

	if (check_actor(actor, e) < 0 || check_digest(digest, e) < 0)
		return -1;
	if (kind == TOKEN_REQUEST)
		return err_set(e, "a request's token comes with the request");
	if (data && !fits(data, STORE_EMAIL))
		return err_set(e, "a token's data is too long");
	return submit(st, run_token_add, &j, e);
}

/* Reads token (digest, kind) on c if it works at `now`: 1 with the row's
 * values, 0 when it does not, -1 with e. */
static int token_read(struct store *st, struct conn *c, const char *digest, enum token_kind kind,
                      long long now, long long *user_id, long long *request_id, char *data,
                      struct err *e)
{
	sqlite3_stmt *s =
	    qbind(st, c, Q_TOKEN_GET, "reading a token", e, "tti", digest, token_kinds[kind], now);
	int rc;

	if (!s)
		return -1;
	rc = step(st, c, s, "reading a token", e);
	if (rc == 1) {
		if (user_id)
			*user_id = sqlite3_column_int64(s, 0);
		if (request_id)
			*request_id = sqlite3_column_int64(s, 1);
		if (data && col_copy(s, 2, data, STORE_EMAIL) < 0)
			rc = too_long(st, "tokens", e);
	}
	sqlite3_reset(s);
	return rc;
}

int store_token_peek(struct store *st, const char digest[AUTH_DIGEST_TEXT], enum token_kind kind,
                     long long now, long long *user_id, char *data, struct err *e)
{
	struct conn *c;
	int rc;

	if (check_digest(digest, e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = token_read(st, c, digest, kind, now, user_id, NULL, data, e);
	reader_put(st, c);
	return rc < 0 ? -1 : rc == 1 ? 0 : 1;
}

/* On the writer: reads and uses token j->digest of j->kind. 0 with ids
 * in j (data in `data`), 1 when it does not work, -1. */
int token_take(struct store *st, struct token_job *j, char data[STORE_EMAIL], struct err *e)
{
	int rc = token_read(st, &st->w, j->digest, j->kind, j->now, &j->user_id, &j->request_id,
	                    data, e);

	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	rc = qwrite(st, Q_TOKEN_USE, "using a token", e, "tti", j->digest, token_kinds[j->kind],
	            j->now);
	return rc < 0 ? -1 : rc == 1 ? 0 : 1;
}

static int run_password_reset(struct store *st, void *arg, struct err *e)
{
	struct token_job *j = arg;
	struct user_job u = {"web", 0, j->now, j->hash, NULL, NULL, NULL, 0, 0, BUF_INIT};
	char data[STORE_EMAIL], actor[32];
	int rc = token_take(st, j, data, e);

	if (rc != 0)
		return rc;
	u.id = j->user_id;
	snprintf(actor, sizeof actor, "user:%lld", j->user_id);
	u.actor = actor;
	rc = run_user_password(st, &u, e);
	/* the link was sent to the address: it is proved */
	if (rc == 0 &&
	    qwrite(st, Q_USER_CONFIRM, "confirming an address", e, "ii", j->user_id, j->now) < 0)
		return -1;
	return rc;
}

int store_password_reset(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                         const char *hash, long long *user_id, struct err *e)
{
	struct token_job j = {"web", digest, NULL, hash, TOKEN_RESET, 0, 0, 0, now, NULL};
	int rc;

	if (check_digest(digest, e) < 0)
		return -1;
	if (!fits(hash, AUTH_HASH_MAX) || !*hash)
		return err_set(e, "a password hash must be 1 to %d bytes", AUTH_HASH_MAX - 1);
	rc = submit(st, run_password_reset, &j, e);
	if (rc == 0)
		*user_id = j.user_id;
	return rc;
}

static int run_email_confirm(struct store *st, void *arg, struct err *e)
{
	struct token_job *j = arg;
	char data[STORE_EMAIL], norm[STORE_EMAIL], record[RECORD_MAX], actor[32];
	int rc = token_take(st, j, data, e);
	sqlite3_stmt *s;

	if (rc != 0)
		return rc;
	email_norm(data, norm);
	if (!(s = qbind(st, &st->w, Q_USER_SET_EMAIL, "changing an e-mail", e, "itt", j->user_id,
	                data, norm)))
		return -1;
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->w.db) == SQLITE_CONSTRAINT_UNIQUE)
			return 2;
		return db_fail(st, &st->w, "changing an e-mail", e);
	}
	if (sqlite3_changes(st->w.db) != 1)
		return 1;
	if (qwrite(st, Q_USER_CONFIRM, "confirming an address", e, "ii", j->user_id, j->now) < 0)
		return -1;
	snprintf(record, sizeof record, "user:%lld", j->user_id);
	snprintf(actor, sizeof actor, "user:%lld", j->user_id);
	return audit_add(st, actor, "user.email", record, e);
}

int store_email_confirm(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                        long long *user_id, struct err *e)
{
	struct token_job j = {"web", digest, NULL, NULL, TOKEN_EMAIL, 0, 0, 0, now, NULL};
	int rc;

	if (check_digest(digest, e) < 0)
		return -1;
	rc = submit(st, run_email_confirm, &j, e);
	if (rc == 0)
		*user_id = j.user_id;
	return rc;
}

/* ---- registration and its confirmation ---- */

struct register_job {
	struct user_add_job add;
	const char *digest;
	long long expires;
	const struct mail_out *mail_new, *mail_taken;
};

/* On the writer: the account with its confirmation link and message, or,
 * when the address is taken, only the note to its owner. */
static int run_user_register(struct store *st, void *arg, struct err *e)
{
	struct register_job *j = arg;
	struct token_job t = {j->add.actor, j->digest, NULL,       NULL, TOKEN_CONFIRM, 0, 0,
	                      j->expires,   0,         j->mail_new};
	int rc = run_user_add(st, &j->add, e);

	if (rc < 0)
		return -1;
	if (rc == 1) { /* taken: the same work, a note instead of an account */
		j->add.u->id = 0;
		if (audit_add(st, j->add.actor, "user.register-taken", "", e) < 0)
			return -1;
		return outbox_put(st, j->add.actor, j->mail_taken, e);
	}
	t.user_id = j->add.u->id;
	return run_token_add(st, &t, e);
}

int store_user_register(struct store *st, const char *actor, struct user *u,
                        const char digest[AUTH_DIGEST_TEXT], long long expires,
                        const struct mail_out *mail_new, const struct mail_out *mail_taken,
                        struct err *e)
{
	struct register_job j = {{actor, u, ""}, digest, expires, mail_new, mail_taken};

	u->confirmed = 0; /* proved by the link only */
	if (check_actor(actor, e) < 0 || check_digest(digest, e) < 0)
		return -1;
	if (!fits(u->first_name, sizeof u->first_name) ||
	    !fits(u->last_name, sizeof u->last_name) || !fits(u->email, sizeof u->email) ||
	    !fits(u->office, sizeof u->office) || !fits(u->pw_hash, sizeof u->pw_hash) ||
	    !fits(u->terms_commit, sizeof u->terms_commit) ||
	    !fits(u->policy_commit, sizeof u->policy_commit))
		return err_set(e, "a user's field is not a string of its size");
	if (u->status != STATUS_UNEMPLOYED && u->status != STATUS_JOBSEEKER)
		return err_set(e, "unknown user status %d", (int)u->status);
	email_norm(u->email, j.add.norm);
	return submit(st, run_user_register, &j, e);
}

static int run_account_confirm(struct store *st, void *arg, struct err *e)
{
	struct token_job *j = arg;
	char record[RECORD_MAX];
	int rc = token_take(st, j, NULL, e);

	if (rc != 0)
		return rc;
	rc = qwrite(st, Q_USER_CONFIRM, "confirming an address", e, "ii", j->user_id, j->now);
	if (rc < 0)
		return -1;
	if (rc == 0) { /* proved already (fine), or closed meanwhile */
		long long open = 0;

		if (qnum(st, &st->w,
		         qbind(st, &st->w, Q_USER_OPEN, "reading a user", e, "i", j->user_id),
		         "reading a user", &open, e) < 0)
			return -1;
		if (!open)
			return 1;
	}
	snprintf(record, sizeof record, "user:%lld", j->user_id);
	return audit_add(st, j->actor, "user.confirm", record, e);
}

int store_account_confirm(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                          long long *user_id, struct err *e)
{
	struct token_job j = {"web", digest, NULL, NULL, TOKEN_CONFIRM, 0, 0, 0, now, NULL};
	int rc;

	if (check_digest(digest, e) < 0)
		return -1;
	rc = submit(st, run_account_confirm, &j, e);
	if (rc == 0)
		*user_id = j.user_id;
	return rc;
}

/* ---- the staff's reads ---- */

/* Where count_row hands the rows. */
struct count_feed {
	int (*fn)(void *ctx, const struct store_count_row *r);
	void *ctx;
	const char *kind; /* of the rows being read */
	int stop;         /* fn asked to end the read */
};

/* A "SELECT name, COUNT(*)" row to the feed's callback. */
static int count_row(sqlite3_stmt *s, void *arg)
{
	struct count_feed *f = arg;
	struct store_count_row r = {f->kind, col_text(s, 0), sqlite3_column_int64(s, 1)};

	f->stop = f->fn(f->ctx, &r) != 0;
	return f->stop;
}

int store_admin_user_counts(struct store *st, int (*fn)(void *ctx, const struct store_count_row *r),
                            void *ctx, struct err *e)
{
	struct count_feed f = {fn, ctx, "status", 0};
	struct store_count_row total = {"users", {"", 0}, 0};
	struct conn *c = reader_get(st, e);
	int rc = -1;

	if (!c)
		return -1;
	if (qnum(st, c, prep(st, c, Q_USERS_TOTAL, e), "counting users", &total.n, e) < 0)
		goto out;
	rc = 0;
	if (fn(ctx, &total) != 0)
		goto out;
	rc = each_row(st, c, prep(st, c, Q_USERS_BY_STATUS, e), "counting users", count_row, &f, e);
	f.kind = "office";
	if (rc == 0 && !f.stop)
		rc = each_row(st, c, prep(st, c, Q_USERS_BY_OFFICE, e), "counting users", count_row,
		              &f, e);
out:
	reader_put(st, c);
	return rc;
}

struct lift_job {
	const char *actor, *note;
	long long id, request_id;
	const struct mail_out *mail;
};

/* The notice first (queued, or recorded as given another way), then the
 * restriction lifted; all or nothing. */
static int run_user_lift(struct store *st, void *arg, struct err *e)
{
	struct lift_job *j = arg;
	char record[RECORD_MAX];
	int n;

	snprintf(record, sizeof record, "user:%lld", j->id);
	if (outbox_put(st, j->actor, j->mail, e) < 0 ||
	    (j->request_id > 0 &&
	     request_log(st, j->actor, j->request_id, "notice", j->note, e) < 0) ||
	    audit_add(st, j->actor, "user.lift.notice", record, e) < 0)
		return -1;
	n = qwrite(st, Q_USER_LIFT, "lifting a restriction", e, "i", j->id);
	if (n <= 0)
		return n < 0 ? -1 : 1;
	return audit_add(st, j->actor, "user.lift", record, e);
}

int store_user_lift(struct store *st, const char *actor, long long id, long long request_id,
                    const char *note, const struct mail_out *mail, struct err *e)
{
	struct lift_job j = {actor, note, id, request_id, mail};

	if (check_actor(actor, e) < 0)
		return -1;
	return submit(st, run_user_lift, &j, e);
}

int store_user_restriction_request(struct store *st, long long user_id, long long *request_id,
                                   struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	*request_id = 0;
	if (!c)
		return -1;
	if ((s = qbind(st, c, Q_USER_RESTRICTION_REQUEST, "reading requests", e, "i", user_id))) {
		rc = step(st, c, s, "reading requests", e);
		if (rc == 1) {
			*request_id = sqlite3_column_int64(s, 0);
			rc = 0;
		} else if (rc == 0) {
			rc = 1;
		}
	}
	reader_put(st, c);
	return rc;
}
