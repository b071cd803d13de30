/*
 * store_core.c - what every part of the store stands on (store_int.h):
 * the connections (one writer, a pool of readers), the writer thread that
 * commits queued jobs in groups (a savepoint per job), the statement
 * machinery (prepare on first use, bind, step), the schema and its
 * migrations, the hash-chained audit log, opening and closing.
 *
 * Shape:
 *  - one writer connection, used only by the writer thread (and by
 *    store_open before the thread starts): callers put a job on the queue
 *    and sleep on their own condition until the writer has committed it;
 *  - up to POOL_MAX read connections, opened on demand, each handed to one
 *    thread at a time (WAL lets them read beside the writer);
 *  - every statement is written out once, in the table of the file that
 *    owns it (store_sql_*), and prepared on first use per connection;
 *    values are always bound.
 */
#include "store_int.h"

#include "clock.h"

#include "buf.h"
#include "retention.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT 5000 /* ms to wait for a lock another process holds */

/* ---- the schema ---- */

/*
 * Migration i brings the schema from user_version i to i + 1, in its own
 * transaction. Never edit one that has shipped: add the next.
 *
 * Only what the forms collect is kept (the privacy policy lists it).
 * STRICT tables refuse a value of the wrong type; the audit table refuses
 * every UPDATE and DELETE (the chain in store_audit_verify catches edits
 * made around the triggers).
 */
static const char *const migrations[] = {
    /* 0 -> 1: the first schema */
    "CREATE TABLE users (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  first_name TEXT NOT NULL,\n"
    "  last_name TEXT NOT NULL,\n"
    "  email TEXT NOT NULL,\n"
    "  email_norm TEXT NOT NULL UNIQUE,\n" /* lowercase: one account per address */
    "  status TEXT NOT NULL CHECK (status IN ('bezrobotna', 'poszukujaca')),\n"
    "  office TEXT NOT NULL,\n"
    "  pw_hash TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL,\n"
    "  terms_commit TEXT NOT NULL,\n"
    "  terms_at INTEGER NOT NULL,\n"
    "  policy_commit TEXT NOT NULL,\n"
    "  policy_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX users_office ON users (office);\n"
    "CREATE TABLE sessions (\n"
    "  digest TEXT PRIMARY KEY,\n"
    "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  created INTEGER NOT NULL,\n"
    "  last_used INTEGER NOT NULL\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX sessions_user ON sessions (user_id);\n"
    "CREATE TABLE contacts (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  email TEXT NOT NULL,\n"
    "  office TEXT NOT NULL,\n"
    "  subject TEXT NOT NULL,\n"
    "  message TEXT NOT NULL,\n"
    "  received INTEGER NOT NULL,\n"
    "  answered INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT;\n"
    "CREATE INDEX contacts_office ON contacts (office, id);\n"
    "CREATE TABLE attempts (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  course TEXT NOT NULL,\n"
    "  score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),\n"
    "  passed INTEGER NOT NULL CHECK (passed IN (0, 1)),\n"
    "  wrong TEXT NOT NULL,\n"
    "  at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX attempts_user ON attempts (user_id, course);\n"
    "CREATE TABLE certificates (\n"
    "  code TEXT PRIMARY KEY,\n"
    "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  course TEXT NOT NULL,\n"
    "  issued INTEGER NOT NULL,\n"
    "  UNIQUE (user_id, course)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TABLE posts (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  thread_id INTEGER NOT NULL REFERENCES posts (id),\n" /* its own id for a thread */
    "  course TEXT NOT NULL,\n"
    "  user_id INTEGER NOT NULL REFERENCES users (id),\n"
    "  author TEXT NOT NULL,\n"
    "  title TEXT NOT NULL,\n"
    "  body TEXT NOT NULL,\n"
    "  posted INTEGER NOT NULL,\n"
    "  hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1))\n"
    ") STRICT;\n"
    "CREATE INDEX posts_course ON posts (course, thread_id, id);\n"
    "CREATE INDEX posts_user ON posts (user_id);\n"
    "CREATE TABLE audit (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  at INTEGER NOT NULL,\n"
    "  actor TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  record TEXT NOT NULL,\n"
    "  prev TEXT NOT NULL,\n"
    "  hash TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit\n"
    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit\n"
    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n",
    /* 1 -> 2: the data-protection rights: an account can be closed (art.
     * 17: erased when `erased` is set) or restricted (art. 18); requests
     * with their steps; single-use tokens (password reset, a new e-mail,
     * a request's confirmation; only digests); the outbox */
    "ALTER TABLE users ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE users ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE users ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;\n"
    "CREATE TABLE requests (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  user_id INTEGER NOT NULL DEFAULT 0,\n" /* the account it came from; 0: none */
    "  name TEXT NOT NULL,\n"
    "  email TEXT NOT NULL,\n"
    "  phone TEXT NOT NULL,\n"
    "  address TEXT NOT NULL,\n"
    "  office TEXT NOT NULL,\n"
    "  article TEXT NOT NULL,\n"
    "  scope TEXT NOT NULL,\n"
    "  channel TEXT NOT NULL CHECK (channel IN ('email', 'poczta', 'telefon', 'osobiscie')),\n"
    "  created INTEGER NOT NULL,\n"
    "  received INTEGER NOT NULL DEFAULT 0,\n" /* up to schema 3: when confirmed */
    "  due INTEGER NOT NULL DEFAULT 0,\n"
    "  extended_due INTEGER NOT NULL DEFAULT 0,\n"
    "  status TEXT NOT NULL CHECK (status IN ('unconfirmed', 'received', 'identity', "
    "'progress', 'extended', 'done', 'refused')),\n"
    "  flagged INTEGER NOT NULL DEFAULT 0,\n"
    "  closed INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT;\n"
    "CREATE INDEX requests_due ON requests (status, due);\n"
    "CREATE INDEX requests_email ON requests (email COLLATE NOCASE, article);\n"
    "CREATE TABLE request_steps (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,\n"
    "  at INTEGER NOT NULL,\n"
    "  actor TEXT NOT NULL,\n"
    "  step TEXT NOT NULL,\n"
    "  note TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX request_steps_request ON request_steps (request_id, id);\n"
    "CREATE TABLE tokens (\n"
    "  digest TEXT PRIMARY KEY,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('reset', 'email', 'request')),\n"
    "  user_id INTEGER NOT NULL DEFAULT 0,\n"
    "  request_id INTEGER NOT NULL DEFAULT 0,\n"
    "  data TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL,\n"
    "  expires INTEGER NOT NULL,\n"
    "  used INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TABLE outbox (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  kind TEXT NOT NULL,\n"
    "  to_addr TEXT NOT NULL,\n"
    "  subject TEXT NOT NULL,\n"
    "  body TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL,\n"
    "  state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'sent', 'failed')),\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  next_try INTEGER NOT NULL,\n"
    "  last_error TEXT NOT NULL DEFAULT '',\n"
    "  sent INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT;\n"
    "CREATE INDEX outbox_waiting ON outbox (state, next_try);\n",
    /* 2 -> 3: an account counts once its address is proved (the
     * confirmation link, a password reset link, or a new address's link);
     * the accounts made before are not proved. The tokens' kinds gain the
     * confirmation of a new account. */
    "ALTER TABLE users ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;\n"
    "CREATE TABLE tokens_new (\n"
    "  digest TEXT PRIMARY KEY,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('reset', 'email', 'request', 'confirm')),\n"
    "  user_id INTEGER NOT NULL DEFAULT 0,\n"
    "  request_id INTEGER NOT NULL DEFAULT 0,\n"
    "  data TEXT NOT NULL,\n"
    "  created INTEGER NOT NULL,\n"
    "  expires INTEGER NOT NULL,\n"
    "  used INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT, WITHOUT ROWID;\n"
    "INSERT INTO tokens_new SELECT * FROM tokens;\n"
    "DROP TABLE tokens;\n"
    "ALTER TABLE tokens_new RENAME TO tokens;\n",
    /* 3 -> 4: a request counts from its receipt, when it is sent (seed 004
     * section 5.1: "od otrzymania żądania"); the e-mailed link confirms the
     * sender's address, no more. `confirmed`: when it did (0: not yet). A
     * request waiting for its link (at most 8 days old: they were deleted
     * after that) is received when it was sent; its due date, a month on,
     * is reckoned by sqlite in UTC here, so it may fall an hour or (at a
     * month's end) a day or two from the office's calendar. */
    "ALTER TABLE requests ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;\n"
    "UPDATE requests SET confirmed = received WHERE status <> 'unconfirmed';\n"
    "UPDATE requests SET received = created, due = CAST(strftime('%s', created, 'unixepoch', "
    "'+1 month') AS INTEGER) WHERE status = 'unconfirmed';\n",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* the audit log's statements */
const char *const store_sql_core[Q_COUNT] = {
    [Q_AUDIT_LAST] = "SELECT hash FROM audit ORDER BY id DESC LIMIT 1",
    [Q_AUDIT_ADD] = "INSERT INTO audit (at, actor, action, record, prev, hash) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_AUDIT_ALL] = "SELECT id, at, actor, action, record, prev, hash FROM audit ORDER BY id",
    [Q_AUDIT_USER] = "SELECT id, at, actor, action, record FROM audit WHERE actor = ?2 OR "
                     "record = ?2 OR record IN (SELECT 'request:' || id FROM requests WHERE "
                     "user_id = ?1) ORDER BY id",
    [Q_AUDIT_FIRST] = "SELECT IFNULL(MIN(id), 0) FROM audit",
    /* the record a purge of the log leaves: where the chain now starts */
    [Q_AUDIT_PURGE_MARK] = "SELECT record FROM audit WHERE action = 'audit.purge' AND "
                           "record LIKE ?1 ORDER BY id DESC LIMIT 1",
};

int db_fail(struct store *st, struct conn *c, const char *what, struct err *e)
{
	int code = sqlite3_errcode(c->db) & 0xff; /* the primary code */
	enum err_kind kind = ERR_IO;

	if (code == SQLITE_NOMEM)
		kind = ERR_NOMEM;
	else if (code == SQLITE_CONSTRAINT)
		kind = ERR_INPUT;
	return err_kind_set(e, kind, "%s: %s: %s", st->path, what, sqlite3_errmsg(c->db));
}

/* Runs a fixed statement (no values: BEGIN, SAVEPOINT, PRAGMA ...).
 * 0, or -1 with e. */
int exec(struct store *st, struct conn *c, const char *sql, struct err *e)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, c, sql, e);
	return 0;
}

/* Every file's statement table (store_int.h); an id's text is in one. */
static const char *const *const sql_tables[] = {
    store_sql_core,   store_sql_users,    store_sql_contacts, store_sql_learning,
    store_sql_export, store_sql_requests, store_sql_outbox,   store_sql_purge,
};

/* The text of statement `id`; NULL when no table has it. */
static const char *sql_of(enum q id)
{
	size_t i;

	for (i = 0; i < sizeof sql_tables / sizeof sql_tables[0]; i++)
		if (sql_tables[i][id])
			return sql_tables[i][id];
	return NULL;
}

/* 0 when every statement has its text in exactly one table; -1 with e
 * naming the first that has none or two (a build that lost or doubled one). */
static int sql_check(struct err *e)
{
	size_t i, n;
	int id;

	for (id = 0; id < Q_COUNT; id++) {
		for (i = n = 0; i < sizeof sql_tables / sizeof sql_tables[0]; i++)
			n += sql_tables[i][id] != NULL;
		if (n != 1)
			return err_set(e, "store: statement %d has %zu texts, not 1", id, n);
	}
	return 0;
}

/* The statement `id` on c, prepared on first use, reset and with no values
 * bound. Owned by c. NULL with e. */
sqlite3_stmt *prep(struct store *st, struct conn *c, enum q id, struct err *e)
{
	sqlite3_stmt *s = c->stmt[id];

	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v3(c->db, sql_of(id), -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK) {
		db_fail(st, c, "preparing a statement", e);
		return NULL;
	}
	c->stmt[id] = s;
	return s;
}

/* Resets every statement of c, so that none keeps a read transaction (a
 * reader would keep seeing an old snapshot) or holds bound pointers. */
void reset_all(struct conn *c)
{
	int i;

	for (i = 0; i < Q_COUNT; i++)
		if (c->stmt[i])
			sqlite3_reset(c->stmt[i]);
}

/* Finalizes c's statements and closes it. */
static void conn_close(struct conn *c)
{
	int i;

	for (i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(c->stmt[i]);
		c->stmt[i] = NULL;
	}
	sqlite3_close(c->db);
	c->db = NULL;
}

/* Opens a connection to the store's file (which exists) with the settings
 * every connection gets; `reader`: a pool connection, which may only read.
 * 0, or -1 with e (c is closed then). */
static int conn_open(struct store *st, struct conn *c, int reader, struct err *e)
{
	static const char settings[] = "PRAGMA synchronous = FULL;"
	                               "PRAGMA foreign_keys = ON;"
	                               "PRAGMA trusted_schema = OFF;";
	int rc, i;

	/* not c->busy: a pool slot is being opened by its owner */
	c->db = NULL;
	for (i = 0; i < Q_COUNT; i++)
		c->stmt[i] = NULL;
	rc = sqlite3_open_v2(st->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (!c->db)
			return err_oom(e);
		db_fail(st, c, "opening", e);
		conn_close(c);
		return -1;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT);
	/* a small page cache each (the database is small; the OS caches the
	 * file): memory stays near where it started after a burst */
	if (exec(st, c, settings, e) < 0 ||
	    exec(st, c, reader ? "PRAGMA cache_size = -256" : "PRAGMA cache_size = -1024", e) < 0 ||
	    (reader && exec(st, c, "PRAGMA query_only = ON", e) < 0)) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/* A read connection for this thread: an idle one, a new one while there
 * are fewer than POOL_MAX, or the first one given back. Give it back with
 * reader_put. NULL with e. */
struct conn *reader_get(struct store *st, struct err *e)
{
	struct conn *c = NULL;
	int i;

	pthread_mutex_lock(&st->pool_mu);
	for (;;) {
		for (i = 0; i < POOL_MAX && !c; i++)
			if (!st->rd[i].busy && st->rd[i].db)
				c = &st->rd[i];
		for (i = 0; i < POOL_MAX && !c; i++)
			if (!st->rd[i].busy)
				c = &st->rd[i];
		if (c)
			break;
		pthread_cond_wait(&st->pool_free, &st->pool_mu);
	}
	c->busy = 1;
	pthread_mutex_unlock(&st->pool_mu);
	if (c->db)
		return c;
	if (conn_open(st, c, 1, e) == 0)
		return c;
	pthread_mutex_lock(&st->pool_mu);
	c->busy = 0;
	pthread_cond_signal(&st->pool_free);
	pthread_mutex_unlock(&st->pool_mu);
	return NULL;
}

void reader_put(struct store *st, struct conn *c)
{
	reset_all(c);
	pthread_mutex_lock(&st->pool_mu);
	c->busy = 0;
	pthread_cond_signal(&st->pool_free);
	pthread_mutex_unlock(&st->pool_mu);
}

/* One step of s: 1 a row, 0 done, -1 with e. */
int step(struct store *st, struct conn *c, sqlite3_stmt *s, const char *what, struct err *e)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_fail(st, c, what, e);
}

/* Binds text (NULL binds ""); the text must outlive the statement's use. */
int bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return sqlite3_bind_text(s, i, t ? t : "", -1, SQLITE_STATIC);
}

/* Copies column i into dst (size bytes). 0, or -1 when the value does not
 * fit: the forms cannot have sent it, the file was changed by hand (dst
 * then holds what fits). */
int col_copy(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);

	if (!t) {
		dst[0] = '\0';
		return -1;
	}
	if (n >= size) {
		memcpy(dst, t, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, t, n);
	dst[n] = '\0';
	return 0;
}

struct store_text col_text(sqlite3_stmt *s, int i)
{
	const char *p = (const char *)sqlite3_column_text(s, i);
	struct store_text t = {"", 0};

	if (p) {
		t.ptr = p;
		t.len = (size_t)sqlite3_column_bytes(s, i);
	}
	return t;
}

int too_long(struct store *st, const char *table, struct err *e)
{
	return err_kind_set(e, ERR_IO,
	                    "%s: %s holds a value longer than formd allows (changed by hand?)",
	                    st->path, table);
}

/* 1 when s is a string of fewer than `size` bytes (it fits its field when
 * read back), 0 when it is NULL or too long. */
int fits(const char *s, size_t size)
{
	return s && memchr(s, '\0', size) != NULL;
}

/* Binds fmt's values to s in order: 'i' a long long, 't' text (NULL binds
 * ""), 'n' text or, for NULL, SQL NULL. sqlite's result (SQLITE_OK when
 * every bind worked). */
static int bindv(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	int i, b = SQLITE_OK;
	const char *text;

	for (i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i') {
			b |= sqlite3_bind_int64(s, i + 1, va_arg(ap, long long));
			continue;
		}
		text = va_arg(ap, const char *);
		if (fmt[i] == 'n' && !text)
			b |= sqlite3_bind_null(s, i + 1);
		else
			b |= bind_text(s, i + 1, text);
	}
	return b;
}

/* Statement `id` on c with the values of `ap` bound (bindv), ready to
 * step. NULL with e. The one place qbind, qwrite and read_rows prepare and
 * bind. */
static sqlite3_stmt *vqbind(struct store *st, struct conn *c, enum q id, const char *what,
                            struct err *e, const char *fmt, va_list ap)
{
	sqlite3_stmt *s = prep(st, c, id, e);

	if (!s)
		return NULL;
	if (bindv(s, fmt, ap) != SQLITE_OK) {
		db_fail(st, c, what, e);
		return NULL;
	}
	return s;
}

/* Statement `id` on c with fmt's values bound (bindv), ready to step.
 * NULL with e. */
sqlite3_stmt *qbind(struct store *st, struct conn *c, enum q id, const char *what, struct err *e,
                    const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;

	va_start(ap, fmt);
	s = vqbind(st, c, id, what, e, fmt, ap);
	va_end(ap);
	return s;
}

/* On the writer: runs write `id` with fmt's values to its end. The number
 * of rows it changed, or -1 with e. */
int qwrite(struct store *st, enum q id, const char *what, struct err *e, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;

	va_start(ap, fmt);
	s = vqbind(st, &st->w, id, what, e, fmt, ap);
	va_end(ap);
	if (!s || step(st, &st->w, s, what, e) < 0)
		return -1;
	return sqlite3_changes(st->w.db);
}

/* A one-number query's number (on c). 0 with *n, or -1 with e (no row is
 * an error: these queries always give one). */
int qnum(struct store *st, struct conn *c, sqlite3_stmt *s, const char *what, long long *n,
         struct err *e)
{
	int rc;

	if (!s)
		return -1;
	rc = step(st, c, s, what, e);
	if (rc == 0)
		return err_kind_set(e, ERR_IO, "%s: %s gave no row", st->path, what);
	if (rc < 0)
		return -1;
	*n = sqlite3_column_int64(s, 0);
	return 0;
}

/* t plus `months` calendar months (minus, when negative) in the office's
 * calendar: on t's date in Warsaw (the date the web, the e-mails and the
 * staff show), the day clamped to the month's last, the same Warsaw time
 * of day (retention.c's month arithmetic on the local time). */
long long add_months(long long t, int months)
{
	struct retention r = {months < 0 ? -months : months, RETENTION_MONTHS};
	long long local = t + (long long)clock_warsaw_offset(t) * 60, moved;

	moved = months < 0 ? retention_sub(&r, local) : retention_add(&r, local);
	return moved -
	       (long long)clock_warsaw_offset(moved - (long long)clock_warsaw_offset(moved) * 60) *
	           60;
}

/* Checks what was written to out. 0, or -1 with e. */
int out_done(struct store *st, FILE *out, struct err *e)
{
	if (fflush(out) != 0 || ferror(out))
		return err_kind_set(e, ERR_IO, "%s: writing the output failed", st->path);
	return 0;
}

int each_row(struct store *st, struct conn *c, sqlite3_stmt *s, const char *what,
             int (*row)(sqlite3_stmt *s, void *arg), void *arg, struct err *e)
{
	int rc;

	if (!s)
		return -1;
	while ((rc = step(st, c, s, what, e)) == 1)
		if (row(s, arg) != 0)
			return 0;
	return rc;
}

int read_rows(struct store *st, enum q id, const char *what, int (*row)(sqlite3_stmt *s, void *arg),
              void *arg, struct err *e, const char *fmt, ...)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	va_list ap;
	int rc = -1;

	if (!c)
		return -1;
	va_start(ap, fmt);
	s = vqbind(st, c, id, what, e, fmt, ap);
	va_end(ap);
	if (s)
		rc = each_row(st, c, s, what, row, arg, e);
	reader_put(st, c);
	return rc;
}

/* ---- the writer ---- */

/* Fails every job of a group with e (a failed BEGIN or COMMIT: none of
 * them is on disk). */
static void fail_group(struct job *group, const struct err *e)
{
	struct job *j;

	for (j = group; j; j = j->next) {
		j->rc = -1;
		j->err = *e;
		j->err.kind = e->kind == ERR_NOMEM ? ERR_NOMEM : ERR_IO;
	}
}

/* Runs a group of jobs in one transaction, each in its own savepoint (a
 * job that fails or answers 1 is rolled back alone), and commits once.
 * Each job's rc and err are set. */
static void run_group(struct store *st, struct job *group)
{
	struct conn *w = &st->w;
	struct err e = {0};
	struct job *j;
	int lost = 0;

	if (exec(st, w, "BEGIN IMMEDIATE", &e) < 0) {
		fail_group(group, &e);
		return;
	}
	for (j = group; j && !lost; j = j->next) {
		if (exec(st, w, "SAVEPOINT job", &e) < 0) {
			lost = 1;
			break;
		}
		j->rc = j->run(st, j->arg, &j->err);
		reset_all(w);
		/* sqlite rolls the whole transaction back itself on some errors
		 * (a full disk, an I/O error): the jobs before this one are lost too */
		if (sqlite3_get_autocommit(w->db)) {
			e = j->err;
			lost = 1;
			break;
		}
		if (j->rc == 0) {
			if (exec(st, w, "RELEASE job", &e) < 0)
				lost = 1;
		} else if (exec(st, w, "ROLLBACK TO job", &e) < 0 ||
		           exec(st, w, "RELEASE job", &e) < 0) {
			lost = 1;
		}
	}
	if (lost) {
		if (!sqlite3_get_autocommit(w->db))
			sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		fail_group(group, &e);
		return;
	}
	if (exec(st, w, "COMMIT", &e) < 0) {
		if (!sqlite3_get_autocommit(w->db))
			sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		fail_group(group, &e);
		return;
	}
	pthread_mutex_lock(&st->mu);
	st->commits++;
	pthread_mutex_unlock(&st->mu);
}

/* The writer thread: takes every queued job at once, runs them as one
 * group, wakes their callers; after store_close, drains the queue. */
static void *writer_main(void *arg)
{
	struct store *st = arg;
	struct job *group, *j, *next;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		while (!st->head && !st->stopping)
			pthread_cond_wait(&st->work, &st->mu);
		if (!st->head)
			break;
		group = st->head;
		st->head = st->tail = NULL;
		pthread_mutex_unlock(&st->mu);
		run_group(st, group);
		/* asynchronous jobs first, outside the lock: their callbacks
		 * answer requests; then wake the callers that wait */
		for (j = group; j; j = j->next)
			if (j->cb)
				j->cb(j->cb_arg, j->rc, &j->err);
		pthread_mutex_lock(&st->mu);
		for (j = group; j; j = next) {
			next = j->next; /* j may be gone once its caller runs */
			if (j->cb) {
				j->free_arg(j->arg);
				free(j);
				continue;
			}
			j->done = 1;
			pthread_cond_signal(&j->cond);
		}
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* Queues run(st, arg) for the writer and waits until its group is
 * committed (or failed). What run returned (0, 1), or -1 with e. */
int submit(struct store *st, int (*run)(struct store *, void *, struct err *), void *arg,
           struct err *e)
{
	struct job j;

	memset(&j, 0, sizeof j);
	j.run = run;
	j.arg = arg;
	if (pthread_cond_init(&j.cond, NULL) != 0)
		return err_kind_set(e, ERR_IO, "%s: cannot create a condition variable", st->path);
	pthread_mutex_lock(&st->mu);
	if (st->stopping) {
		pthread_mutex_unlock(&st->mu);
		pthread_cond_destroy(&j.cond);
		return err_kind_set(e, ERR_IO, "%s: the store is closing", st->path);
	}
	if (st->tail)
		st->tail->next = &j;
	else
		st->head = &j;
	st->tail = &j;
	pthread_cond_signal(&st->work);
	while (!j.done)
		pthread_cond_wait(&j.cond, &st->mu);
	pthread_mutex_unlock(&st->mu);
	pthread_cond_destroy(&j.cond);
	if (j.rc < 0 && e)
		*e = j.err;
	return j.rc;
}

/* Queues run(st, arg) for the writer without waiting: cb(cb_arg, rc, e)
 * is called on the writer thread once its group is committed or failed,
 * then free_arg(arg). 0, or -1 with e when it could not be queued (arg is
 * freed then too). */
int submit_async(struct store *st, int (*run)(struct store *, void *, struct err *), void *arg,
                 void (*free_arg)(void *), void (*cb)(void *, int, const struct err *),
                 void *cb_arg, struct err *e)
{
	struct job *j = calloc(1, sizeof *j);

	if (!j) {
		free_arg(arg);
		return err_oom(e);
	}
	j->run = run;
	j->arg = arg;
	j->cb = cb;
	j->cb_arg = cb_arg;
	j->free_arg = free_arg;
	pthread_mutex_lock(&st->mu);
	if (st->stopping) {
		pthread_mutex_unlock(&st->mu);
		free_arg(arg);
		free(j);
		return err_kind_set(e, ERR_IO, "%s: the store is closing", st->path);
	}
	if (st->tail)
		st->tail->next = j;
	else
		st->head = j;
	st->tail = j;
	pthread_cond_signal(&st->work);
	pthread_mutex_unlock(&st->mu);
	return 0;
}

/* Test-only (not in store.h; tests/unit/test_store.c declares it): the
 * number of groups committed so far. */
long long store_test_commits(struct store *st);
long long store_test_commits(struct store *st)
{
	long long n;

	pthread_mutex_lock(&st->mu);
	n = st->commits;
	pthread_mutex_unlock(&st->mu);
	return n;
}

/* ---- the audit chain ---- */

/* Appends an audit record on the writer's connection, inside the current
 * savepoint: its hash covers "prev|at|actor|action|record", prev being the
 * hash of the record before ("" for the first). 0, or -1 with e. */
int audit_add(struct store *st, const char *actor, const char *action, const char *record,
              struct err *e)
{
	struct conn *w = &st->w;
	char prev[AUTH_DIGEST_TEXT] = "", hash[AUTH_DIGEST_TEXT];
	struct buf text = BUF_INIT;
	long long at = clock_now();
	sqlite3_stmt *s;
	int rc, b = 0;

	if (!(s = prep(st, w, Q_AUDIT_LAST, e)))
		return -1;
	rc = step(st, w, s, "reading the audit log", e);
	if (rc < 0)
		return -1;
	if (rc == 1 && col_copy(s, 0, prev, sizeof prev) < 0)
		return too_long(st, "audit", e);
	sqlite3_reset(s);
	buf_printf(&text, "%s|%lld|%s|%s|%s", prev, at, actor, action, record);
	if (buf_failed(&text)) {
		buf_free(&text);
		return err_oom(e);
	}
	auth_digest(text.ptr, text.len, hash);
	buf_free(&text);
	if (!(s = prep(st, w, Q_AUDIT_ADD, e)))
		return -1;
	b |= sqlite3_bind_int64(s, 1, at);
	b |= bind_text(s, 2, actor);
	b |= bind_text(s, 3, action);
	b |= bind_text(s, 4, record);
	b |= bind_text(s, 5, prev);
	b |= bind_text(s, 6, hash);
	if (b != SQLITE_OK)
		return db_fail(st, w, "writing the audit log", e);
	return step(st, w, s, "writing the audit log", e) < 0 ? -1 : 0;
}

/* Runs an existence query (`id`, one integer value) on the writer. 1 when
 * there is a row, 0 when not, -1 with e. */
int exists(struct store *st, enum q id, long long value, const char *what, struct err *e)
{
	sqlite3_stmt *s;

	if (!(s = prep(st, &st->w, id, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, value) != SQLITE_OK)
		return db_fail(st, &st->w, what, e);
	return step(st, &st->w, s, what, e);
}

/* On the writer: the audit record of a staff read. 0, 1 when the contact
 * message or user to be read does not exist (nothing is written), -1 with
 * e. */
int run_audit(struct store *st, void *arg, struct err *e)
{
	struct audit_job *a = arg;
	int rc;

	if (a->contact > 0) {
		rc = exists(st, Q_CONTACT_EXISTS, a->contact, "reading a contact message", e);
		if (rc <= 0)
			return rc < 0 ? -1 : 1;
	}
	if (a->user > 0) {
		rc = exists(st, Q_USER_EXISTS, a->user, "reading a user", e);
		if (rc <= 0)
			return rc < 0 ? -1 : 1;
	}
	return audit_add(st, a->actor, a->action, a->record, e);
}

int check_actor(const char *actor, struct err *e)
{
	if (!actor || !*actor)
		return err_set(e, "no actor for the audit log");
	return 0;
}

int check_digest(const char *digest, struct err *e)
{
	if (!fits(digest, AUTH_DIGEST_TEXT))
		return err_set(e, "a session digest must be at most %d bytes",
		               AUTH_DIGEST_TEXT - 1);
	return 0;
}

int store_audit_read(struct store *st, const char *actor, const char *action, const char *record,
                     struct err *e)
{
	struct audit_job a = {actor, action, "", 0, 0};

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(record, RECORD_MAX))
		return err_set(e, "audit record name too long");
	snprintf(a.record, sizeof a.record, "%s", record);
	return submit(st, run_audit, &a, e);
}

/* Appends column i's bytes (NUL bytes too: an edit hidden after one must
 * still change the hash). */
static void buf_col(struct buf *b, sqlite3_stmt *s, int i)
{
	const void *t = sqlite3_column_blob(s, i);

	if (t)
		buf_add(b, t, (size_t)sqlite3_column_bytes(s, i));
}

/* Where the chain starts on c: record *expect (1, or after a purge the
 * first record left) linking to `prev` ("", or the hash the purge's
 * audit.purge record names). 0; 1 with e when records are missing and no
 * purge says so; -1 with e. */
static int chain_start(struct store *st, struct conn *c, long long *expect,
                       char prev[AUTH_DIGEST_TEXT], struct err *e)
{
	char like[48], mark[RECORD_MAX];
	const char *h;
	sqlite3_stmt *s;
	int rc;

	prev[0] = '\0';
	if (qnum(st, c, prep(st, c, Q_AUDIT_FIRST, e), "reading the audit log", expect, e) < 0)
		return -1;
	if (*expect <= 1) {
		*expect = 1;
		return 0;
	}
	snprintf(like, sizeof like, "before:%lld hash:%%", *expect);
	if (!(s = qbind(st, c, Q_AUDIT_PURGE_MARK, "reading the audit log", e, "t", like)))
		return -1;
	rc = step(st, c, s, "reading the audit log", e);
	if (rc < 0)
		return -1;
	if (rc == 1 && col_copy(s, 0, mark, sizeof mark) == 0 && (h = strstr(mark, " hash:")) &&
	    strlen(h + 6) == AUTH_DIGEST_TEXT - 1) {
		memcpy(prev, h + 6, AUTH_DIGEST_TEXT);
		sqlite3_reset(s);
		return 0;
	}
	err_set(e, "audit records 1 to %lld are missing (no purge says so)", *expect - 1);
	return 1;
}

int store_audit_verify(struct store *st, struct err *e)
{
	char prev[AUTH_DIGEST_TEXT] = "", hash[AUTH_DIGEST_TEXT];
	struct buf text = BUF_INIT;
	long long expect = 1, id;
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	if (!c)
		return -1;
	/* after a purge the chain starts where its audit.purge record says */
	if ((rc = chain_start(st, c, &expect, prev, e)) != 0)
		goto out;
	rc = -1;
	if (!(s = prep(st, c, Q_AUDIT_ALL, e)))
		goto out;
	while ((rc = step(st, c, s, "reading the audit log", e)) == 1) {
		const char *stored_prev = (const char *)sqlite3_column_blob(s, 5);
		const char *stored_hash = (const char *)sqlite3_column_blob(s, 6);
		size_t prev_len = (size_t)sqlite3_column_bytes(s, 5);
		size_t hash_len = (size_t)sqlite3_column_bytes(s, 6);

		id = sqlite3_column_int64(s, 0);
		if (id != expect) {
			err_set(e, "audit record %lld: record %lld before it is missing", id,
			        expect);
			rc = 1;
			break;
		}
		if (prev_len != strlen(prev) || (prev_len && memcmp(stored_prev, prev, prev_len))) {
			err_set(e, "audit record %lld: its link does not match the record before",
			        id);
			rc = 1;
			break;
		}
		buf_reset(&text);
		buf_add(&text, prev, strlen(prev));
		buf_printf(&text, "|%lld|", sqlite3_column_int64(s, 1));
		buf_col(&text, s, 2);
		buf_putc(&text, '|');
		buf_col(&text, s, 3);
		buf_putc(&text, '|');
		buf_col(&text, s, 4);
		if (buf_failed(&text)) {
			rc = err_oom(e);
			break;
		}
		auth_digest(text.ptr, text.len, hash);
		if (hash_len != AUTH_DIGEST_TEXT - 1 || memcmp(stored_hash, hash, hash_len) != 0) {
			err_set(e, "audit record %lld: its hash does not match its content", id);
			rc = 1;
			break;
		}
		memcpy(prev, hash, sizeof prev);
		expect = id + 1;
	}
out:
	buf_free(&text);
	reader_put(st, c);
	return rc;
}

/* Where audit_row hands the rows. */
struct audit_feed {
	int (*fn)(void *ctx, const struct store_audit_row *r);
	void *ctx;
};

/* The audit row s is on (id, at, actor, action, record ...), to the
 * feed's callback. */
static int audit_row(sqlite3_stmt *s, void *arg)
{
	const struct audit_feed *f = arg;
	struct store_audit_row r;

	r.id = sqlite3_column_int64(s, 0);
	r.at = sqlite3_column_int64(s, 1);
	r.actor = col_text(s, 2);
	r.action = col_text(s, 3);
	r.record = col_text(s, 4);
	return f->fn(f->ctx, &r);
}

int store_admin_audit(struct store *st, int (*fn)(void *ctx, const struct store_audit_row *r),
                      void *ctx, struct err *e)
{
	struct audit_feed f = {fn, ctx};

	return read_rows(st, Q_AUDIT_ALL, "reading the audit log", audit_row, &f, e, "");
}

int store_admin_audit_user(struct store *st, long long user_id,
                           int (*fn)(void *ctx, const struct store_audit_row *r), void *ctx,
                           struct err *e)
{
	struct audit_feed f = {fn, ctx};
	char who[32];

	snprintf(who, sizeof who, "user:%lld", user_id);
	return read_rows(st, Q_AUDIT_USER, "reading the audit log", audit_row, &f, e, "it", user_id,
	                 who);
}

/* ---- opening and closing ---- */

/* The schema version recorded in the file. 0, or -1 with e. */
static int user_version(struct store *st, struct conn *c, int *v, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, c, "reading the schema version", e);
	rc = step(st, c, s, "reading the schema version", e);
	if (rc == 1)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc == 0)
		return err_kind_set(e, ERR_IO, "%s: no schema version", st->path);
	return rc < 0 ? -1 : 0;
}

/* Brings the schema to STORE_SCHEMA_VERSION, one migration per
 * transaction; refuses a newer schema. 0, or -1 with e. */
static int migrate(struct store *st, struct err *e)
{
	struct conn *w = &st->w;
	char sql[64];
	int v = 0;

	for (;;) {
		if (exec(st, w, "BEGIN IMMEDIATE", e) < 0)
			return -1;
		/* read inside the transaction: another formd may have migrated */
		if (user_version(st, w, &v, e) < 0)
			goto fail;
		if (v < 0 || v > STORE_SCHEMA_VERSION) {
			err_set(
			    e,
			    "%s: the database is at schema version %d, this formd knows up to %d "
			    "(upgrade formd)",
			    st->path, v, STORE_SCHEMA_VERSION);
			goto fail;
		}
		if (v == STORE_SCHEMA_VERSION)
			return exec(st, w, "COMMIT", e);
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(w->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
			char what[64];

			snprintf(what, sizeof what, "migrating to schema version %d", v + 1);
			db_fail(st, w, what, e);
			goto fail;
		}
		if (exec(st, w, sql, e) < 0 || exec(st, w, "COMMIT", e) < 0)
			goto fail;
	}
fail:
	if (!sqlite3_get_autocommit(w->db))
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Creates the file with mode 0600 when it is missing (sqlite gives its
 * -wal and -shm files the same mode). 0, or -1 with e. */
static int create_private(const char *path, struct err *e)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno == EEXIST ? 0
		                       : err_kind_set(e, ERR_IO, "%s: cannot create: %s", path,
		                                      strerror(errno));
	/* the umask may have taken bits we need */
	if (fchmod(fd, 0600) < 0) {
		int saved = errno;

		close(fd);
		return err_kind_set(e, ERR_IO, "%s: %s", path, strerror(saved));
	}
	if (close(fd) < 0)
		return err_kind_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	return 0;
}

/* WAL mode (kept in the file): readers beside the writer. 0, or -1 with e. */
static int set_wal(struct store *st, struct err *e)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *mode;
	int rc, wal = 0;

	if (sqlite3_prepare_v2(st->w.db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, &st->w, "setting WAL mode", e);
	rc = step(st, &st->w, s, "setting WAL mode", e);
	if (rc == 1) {
		mode = sqlite3_column_text(s, 0);
		wal = mode && strcmp((const char *)mode, "wal") == 0;
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return -1;
	if (!wal)
		return err_kind_set(e, ERR_IO, "%s: the file cannot be put in WAL mode", st->path);
	return 0;
}

struct store *store_open(const char *path, struct err *e)
{
	struct store *st;
	int locks = 0;

	if (sql_check(e) < 0)
		return NULL;
	st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		free(st);
		err_oom(e);
		return NULL;
	}
	if (pthread_mutex_init(&st->mu, NULL) != 0)
		goto nothread;
	locks++;
	if (pthread_cond_init(&st->work, NULL) != 0)
		goto nothread;
	locks++;
	if (pthread_mutex_init(&st->pool_mu, NULL) != 0)
		goto nothread;
	locks++;
	if (pthread_cond_init(&st->pool_free, NULL) != 0)
		goto nothread;
	locks++;
	if (create_private(path, e) < 0 || conn_open(st, &st->w, 0, e) < 0)
		goto fail;
	if (set_wal(st, e) < 0 || migrate(st, e) < 0)
		goto fail;
	if (pthread_create(&st->writer, NULL, writer_main, st) != 0) {
		err_kind_set(e, ERR_IO, "%s: cannot start the writer thread", path);
		goto fail;
	}
	st->writer_started = 1;
	return st;
nothread:
	err_kind_set(e, ERR_IO, "%s: cannot create a lock", path);
fail:
	if (st->w.db)
		conn_close(&st->w);
	if (locks > 3)
		pthread_cond_destroy(&st->pool_free);
	if (locks > 2)
		pthread_mutex_destroy(&st->pool_mu);
	if (locks > 1)
		pthread_cond_destroy(&st->work);
	if (locks > 0)
		pthread_mutex_destroy(&st->mu);
	free(st->path);
	free(st);
	return NULL;
}

void store_close(struct store *st)
{
	int i;

	if (!st)
		return;
	pthread_mutex_lock(&st->mu);
	st->stopping = 1;
	pthread_cond_signal(&st->work);
	pthread_mutex_unlock(&st->mu);
	if (st->writer_started)
		pthread_join(st->writer, NULL);
	/* readers first: the writer's close, the last one, checkpoints the WAL */
	for (i = 0; i < POOL_MAX; i++)
		if (st->rd[i].db)
			conn_close(&st->rd[i]);
	conn_close(&st->w);
	pthread_cond_destroy(&st->pool_free);
	pthread_mutex_destroy(&st->pool_mu);
	pthread_cond_destroy(&st->work);
	pthread_mutex_destroy(&st->mu);
	free(st->path);
	free(st);
}
