/*
 * store.c - the daemon's database (the contract is in store.h); the only
 * file that includes <sqlite3.h>.
 *
 * Shape:
 *  - one writer connection, used only by the writer thread (and by
 *    store_open before the thread starts): callers put a job on the queue
 *    and sleep on their own condition until the writer has committed it;
 *  - up to POOL_MAX read connections, opened on demand, each handed to one
 *    thread at a time (WAL lets them read beside the writer);
 *  - every statement is written out once, in the table `sql_text`, and
 *    prepared on first use per connection; values are always bound.
 */
#include "store.h"

#include "buf.h"
#include "escape.h"

#include "buf.h"
#include "utf8.h"
#include "value.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX 8        /* read connections at most */
#define BUSY_TIMEOUT 5000 /* ms to wait for a lock another process holds */
#define TOUCH_EVERY 60    /* seconds between two refreshes of a session's last use */
#define RECORD_MAX                                                                                 \
	96 /* bytes of an audit record name: "certificate:CODE", "contacts office=SLUG open" */

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
};

_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* ---- the statements ---- */

enum q {
	Q_AUDIT_LAST,
	Q_AUDIT_ADD,
	Q_AUDIT_ALL,
	Q_USER_ADD,
	Q_USER_BY_EMAIL,
	Q_USER_BY_ID,
	Q_USER_SET_HASH,
	Q_USERS_TOTAL,
	Q_USERS_BY_STATUS,
	Q_USERS_BY_OFFICE,
	Q_SESSION_ADD,
	Q_SESSION_GET,
	Q_SESSION_TOUCH,
	Q_SESSION_EXPIRE,
	Q_SESSION_DELETE,
	Q_CONTACT_ADD,
	Q_CONTACT_EXISTS,
	Q_CONTACT_ANSWERED,
	Q_CONTACT_GET,
	Q_CONTACTS,
	Q_ATTEMPTS,
	Q_ATTEMPT_ADD,
	Q_CERT_ADD,
	Q_CERT_BY_CODE,
	Q_CERT_OF,
	Q_CERTS,
	Q_POST_NEXT_ID,
	Q_POST_THREAD_OK,
	Q_POST_ADD,
	Q_POSTS,
	Q_POST_COURSE,
	Q_POST_HIDE,
	Q_USER_EXISTS,
	Q_USER_DATA,
	Q_USER_ATTEMPTS,
	Q_USER_CERTS,
	Q_USER_POSTS,
	Q_USER_CONTACTS,
	Q_USER_SESSIONS,
	Q_SESSION_PREFIX_COUNT,
	Q_SESSION_PREFIX_DELETE,
	Q_COUNT
};

#define USER_COLS                                                                                  \
	"id, first_name, last_name, email, status, office, pw_hash, created, terms_commit, "       \
	"terms_at, policy_commit, policy_at"
#define CONTACT_COLS "id, name, email, office, subject, message, received, answered"
#define CERT_COLS                                                                                  \
	"c.code, c.user_id, c.course, u.first_name, u.last_name, c.issued FROM certificates c "    \
	"JOIN users u ON u.id = c.user_id"

static const char *const sql_text[Q_COUNT] = {
    [Q_AUDIT_LAST] = "SELECT hash FROM audit ORDER BY id DESC LIMIT 1",
    [Q_AUDIT_ADD] = "INSERT INTO audit (at, actor, action, record, prev, hash) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_AUDIT_ALL] = "SELECT id, at, actor, action, record, prev, hash FROM audit ORDER BY id",
    [Q_USER_ADD] = "INSERT INTO users (first_name, last_name, email, email_norm, status, office, "
                   "pw_hash, created, terms_commit, terms_at, policy_commit, policy_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [Q_USER_BY_EMAIL] = "SELECT " USER_COLS " FROM users WHERE email_norm = ?1",
    [Q_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
    [Q_USER_SET_HASH] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1",
    [Q_USERS_TOTAL] = "SELECT COUNT(*) FROM users",
    [Q_USERS_BY_STATUS] = "SELECT status, COUNT(*) FROM users GROUP BY status ORDER BY status",
    [Q_USERS_BY_OFFICE] = "SELECT office, COUNT(*) FROM users GROUP BY office ORDER BY office",
    [Q_SESSION_ADD] = "INSERT INTO sessions (digest, user_id, created, last_used) "
                      "VALUES (?1, ?2, ?3, ?3)",
    [Q_SESSION_GET] = "SELECT user_id, created, last_used FROM sessions WHERE digest = ?1",
    [Q_SESSION_TOUCH] = "UPDATE sessions SET last_used = ?2 WHERE digest = ?1 AND last_used < ?2",
    [Q_SESSION_EXPIRE] = "DELETE FROM sessions WHERE digest = ?1 AND (last_used < ?2 OR "
                         "created < ?3)",
    [Q_SESSION_DELETE] = "DELETE FROM sessions WHERE digest = ?1",
    [Q_CONTACT_ADD] = "INSERT INTO contacts (name, email, office, subject, message, received) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_CONTACT_EXISTS] = "SELECT 1 FROM contacts WHERE id = ?1",
    [Q_CONTACT_ANSWERED] = "UPDATE contacts SET answered = ?2 WHERE id = ?1 AND answered = 0",
    [Q_CONTACT_GET] = "SELECT " CONTACT_COLS " FROM contacts WHERE id = ?1",
    [Q_CONTACTS] = "SELECT " CONTACT_COLS " FROM contacts WHERE (?1 IS NULL OR office = ?1) "
                   "AND (?2 = 0 OR answered = 0) ORDER BY id",
    [Q_ATTEMPTS] = "SELECT COUNT(*) FROM attempts WHERE user_id = ?1 AND course = ?2",
    [Q_ATTEMPT_ADD] = "INSERT INTO attempts (user_id, course, score, passed, wrong, at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_CERT_ADD] = "INSERT INTO certificates (code, user_id, course, issued) "
                   "VALUES (?1, ?2, ?3, ?4)",
    [Q_CERT_BY_CODE] = "SELECT " CERT_COLS " WHERE c.code = ?1",
    [Q_CERT_OF] = "SELECT " CERT_COLS " WHERE c.user_id = ?1 AND c.course = ?2",
    [Q_CERTS] = "SELECT " CERT_COLS " ORDER BY c.issued, c.code",
    [Q_POST_NEXT_ID] = "SELECT IFNULL(MAX(id), 0) + 1 FROM posts",
    [Q_POST_THREAD_OK] = "SELECT 1 FROM posts WHERE id = ?1 AND thread_id = id AND course = ?2",
    [Q_POST_ADD] = "INSERT INTO posts (id, thread_id, course, user_id, author, title, body, "
                   "posted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_POSTS] = "SELECT id, thread_id, course, user_id, author, title, body, posted, hidden "
                "FROM posts WHERE course = ?1 ORDER BY thread_id, id",
    [Q_POST_COURSE] = "SELECT course FROM posts WHERE id = ?1",
    [Q_POST_HIDE] = "UPDATE posts SET hidden = ?2 WHERE id = ?1",
    [Q_USER_EXISTS] = "SELECT 1 FROM users WHERE id = ?1",
    /* a person's own data: the columns in the order of store_user_data's
     * keys (the user_cols ... session_cols tables); no pw_hash */
    [Q_USER_DATA] = "SELECT id, first_name, last_name, email, status, office, created, "
                    "terms_commit, terms_at, policy_commit, policy_at FROM users WHERE id = ?1",
    [Q_USER_ATTEMPTS] = "SELECT course, score, passed, wrong, at FROM attempts "
                        "WHERE user_id = ?1 ORDER BY at, id",
    [Q_USER_CERTS] = "SELECT code, course, issued FROM certificates WHERE user_id = ?1 "
                     "ORDER BY issued, code",
    [Q_USER_POSTS] = "SELECT id, course, thread_id, title, body, posted, hidden FROM posts "
                     "WHERE user_id = ?1 ORDER BY id",
    /* NOCASE folds ASCII letters only, as email_norm does */
    [Q_USER_CONTACTS] = "SELECT " CONTACT_COLS " FROM contacts "
                        "WHERE email = (SELECT email FROM users WHERE id = ?1) COLLATE NOCASE "
                        "ORDER BY id",
    /* the digest is compared here: the full one never leaves sqlite */
    [Q_USER_SESSIONS] = "SELECT substr(digest, 1, 12), created, last_used, "
                        "IFNULL(digest = ?2, 0) FROM sessions WHERE user_id = ?1 "
                        "ORDER BY created, digest",
    [Q_SESSION_PREFIX_COUNT] = "SELECT COUNT(*) FROM sessions "
                               "WHERE user_id = ?1 AND substr(digest, 1, 12) = ?2",
    [Q_SESSION_PREFIX_DELETE] = "DELETE FROM sessions "
                                "WHERE user_id = ?1 AND substr(digest, 1, 12) = ?2",
};

/* ---- connections, the queue, the pool ---- */

struct conn {
	sqlite3 *db;                 /* NULL: a pool slot not opened yet */
	sqlite3_stmt *stmt[Q_COUNT]; /* prepared on first use */
	int busy;                    /* pool slot handed to a thread */
};

/* A write: lives on the caller's stack until `done`. */
struct job {
	int (*run)(struct store *st, void *arg, struct err *e); /* on the writer's connection */
	void *arg;
	int rc;         /* what run returned (or -1 when the group failed) */
	struct err err; /* run's error, or the group's */
	int done;       /* set by the writer under st->mu */
	pthread_cond_t cond;
	struct job *next;
	/* an asynchronous job (submit_async): nobody waits on `cond`; the
	 * writer calls cb once the group is on disk (or failed), then frees
	 * the job and its arg with free_arg */
	void (*cb)(void *cb_arg, int rc, const struct err *e);
	void *cb_arg;
	void (*free_arg)(void *arg);
};

struct store {
	char *path;
	struct conn w; /* the writer's: used by the writer thread only, once started */
	pthread_t writer;
	int writer_started;

	pthread_mutex_t mu;  /* guards everything from here to pool_mu */
	pthread_cond_t work; /* a job was queued, or stopping was set */
	struct job *head, *tail;
	int stopping;
	long long commits; /* groups committed (tests read it) */

	pthread_mutex_t pool_mu; /* guards rd[].busy */
	pthread_cond_t pool_free;
	struct conn rd[POOL_MAX];
};

/* Fills e from the connection's last error (call it right after the
 * failing call, on the thread using c): ERR_NOMEM for sqlite's out of
 * memory, ERR_INPUT for a broken constraint (a value the schema refuses),
 * ERR_IO for everything else. Returns -1. */
static int db_fail(struct store *st, struct conn *c, const char *what, struct err *e)
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
static int exec(struct store *st, struct conn *c, const char *sql, struct err *e)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, c, sql, e);
	return 0;
}

/* The statement `id` on c, prepared on first use, reset and with no values
 * bound. Owned by c. NULL with e. */
static sqlite3_stmt *prep(struct store *st, struct conn *c, enum q id, struct err *e)
{
	sqlite3_stmt *s = c->stmt[id];

	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v3(c->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK) {
		db_fail(st, c, "preparing a statement", e);
		return NULL;
	}
	c->stmt[id] = s;
	return s;
}

/* Resets every statement of c, so that none keeps a read transaction (a
 * reader would keep seeing an old snapshot) or holds bound pointers. */
static void reset_all(struct conn *c)
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
static struct conn *reader_get(struct store *st, struct err *e)
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

static void reader_put(struct store *st, struct conn *c)
{
	reset_all(c);
	pthread_mutex_lock(&st->pool_mu);
	c->busy = 0;
	pthread_cond_signal(&st->pool_free);
	pthread_mutex_unlock(&st->pool_mu);
}

/* One step of s: 1 a row, 0 done, -1 with e. */
static int step(struct store *st, struct conn *c, sqlite3_stmt *s, const char *what, struct err *e)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_fail(st, c, what, e);
}

/* Binds text (NULL binds ""); the text must outlive the statement's use. */
static int bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return sqlite3_bind_text(s, i, t ? t : "", -1, SQLITE_STATIC);
}

/* Copies column i into dst (size bytes). 0, or -1 when the value does not
 * fit: the forms cannot have sent it, the file was changed by hand (dst
 * then holds what fits). */
static int col_copy(sqlite3_stmt *s, int i, char *dst, size_t size)
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

static int too_long(struct store *st, const char *table, struct err *e)
{
	return err_kind_set(e, ERR_IO,
	                    "%s: %s holds a value longer than formd allows (changed by hand?)",
	                    st->path, table);
}

/* 1 when s is a string of fewer than `size` bytes (it fits its field when
 * read back), 0 when it is NULL or too long. */
static int fits(const char *s, size_t size)
{
	return s && memchr(s, '\0', size) != NULL;
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
static int submit(struct store *st, int (*run)(struct store *, void *, struct err *), void *arg,
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
static int submit_async(struct store *st, int (*run)(struct store *, void *, struct err *),
                        void *arg, void (*free_arg)(void *),
                        void (*cb)(void *, int, const struct err *), void *cb_arg, struct err *e)
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
static int audit_add(struct store *st, const char *actor, const char *action, const char *record,
                     struct err *e)
{
	struct conn *w = &st->w;
	char prev[AUTH_DIGEST_TEXT] = "", hash[AUTH_DIGEST_TEXT];
	struct buf text = BUF_INIT;
	long long at = (long long)time(NULL);
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

/* An audit record alone: a staff read of personal data. */
struct audit_job {
	const char *actor, *action;
	char record[RECORD_MAX];
	long long contact; /* > 0: only when this contact message exists (else 1) */
	long long user;    /* > 0: only when this user exists (else 1) */
};

/* Runs an existence query (`id`, one integer value) on the writer. 1 when
 * there is a row, 0 when not, -1 with e. */
static int exists(struct store *st, enum q id, long long value, const char *what, struct err *e)
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
static int run_audit(struct store *st, void *arg, struct err *e)
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

static int check_actor(const char *actor, struct err *e)
{
	if (!actor || !*actor)
		return err_set(e, "no actor for the audit log");
	return 0;
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
	int v;

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
	struct store *st = calloc(1, sizeof *st);
	int locks = 0;

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

/* ---- users ---- */

static const char *status_text(enum user_status s)
{
	return s == STATUS_JOBSEEKER ? "poszukujaca" : "bezrobotna";
}

/* The e-mail as compared: ASCII letters lowercased (the domain is
 * case-insensitive, and no mail system in use treats the local part's case
 * as meaningful; other bytes are kept). */
static void email_norm(const char *email, char out[STORE_EMAIL])
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
	u->created = (long long)time(NULL);
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
	const char *hash;
};

/* On the writer: a new password hash (not audited: no personal data
 * changes, and the function has no actor). 0, 1 when no such user. */
static int run_set_hash(struct store *st, void *arg, struct err *e)
{
	struct set_hash_job *a = arg;
	sqlite3_stmt *s;

	if (!(s = prep(st, &st->w, Q_USER_SET_HASH, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, a->id) != SQLITE_OK || bind_text(s, 2, a->hash) != SQLITE_OK)
		return db_fail(st, &st->w, "changing a password hash", e);
	if (step(st, &st->w, s, "changing a password hash", e) < 0)
		return -1;
	return sqlite3_changes(st->w.db) > 0 ? 0 : 1;
}

int store_user_set_hash(struct store *st, long long id, const char *hash, struct err *e)
{
	struct set_hash_job a = {id, hash};

	if (!fits(hash, AUTH_HASH_MAX) || !*hash)
		return err_set(e, "a password hash must be 1 to %d bytes", AUTH_HASH_MAX - 1);
	return submit(st, run_set_hash, &a, e);
}

/* ---- sessions ---- */

enum session_op { SESSION_ADD, SESSION_TOUCH, SESSION_EXPIRE, SESSION_DELETE };

struct session_job {
	enum session_op op;
	const char *digest;
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
	if (a->op == SESSION_DELETE)
		return sqlite3_changes(w->db) > 0 ? 0 : 1;
	return 0;
}

static int check_digest(const char *digest, struct err *e)
{
	if (!fits(digest, AUTH_DIGEST_TEXT))
		return err_set(e, "a session digest must be at most %d bytes",
		               AUTH_DIGEST_TEXT - 1);
	return 0;
}

int store_session_add(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long user_id,
                      long long now, struct err *e)
{
	struct session_job a = {SESSION_ADD, digest, user_id, now, 0, 0};

	if (check_digest(digest, e) < 0)
		return -1;
	return submit(st, run_session, &a, e);
}

int store_session_user(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                       long long idle, long long absolute, long long *user_id, struct err *e)
{
	struct session_job a = {SESSION_TOUCH, digest, 0, now, now - idle, now - absolute};
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
	struct session_job a = {SESSION_DELETE, digest, 0, 0, 0, 0};

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

/* ---- tests and certificates ---- */

int store_attempts(struct store *st, long long user_id, const char *course, long long *count,
                   struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc = -1;

	if (!course)
		return err_set(e, "no course");
	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = prep(st, c, Q_ATTEMPTS, e)))
		goto out;
	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK ||
	    bind_text(s, 2, course) != SQLITE_OK) {
		db_fail(st, c, "counting attempts", e);
		goto out;
	}
	rc = step(st, c, s, "counting attempts", e);
	if (rc == 1) {
		*count = sqlite3_column_int64(s, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = err_kind_set(e, ERR_IO, "%s: counting attempts gave no row", st->path);
	}
out:
	reader_put(st, c);
	return rc;
}

struct attempt_job {
	const char *actor;
	long long user_id;
	const char *course;
	int score, passed;
	const char *wrong, *code;
};

/* On the writer: the attempt, and for a pass the certificate, each with
 * its audit record. 0; 1 when the user already holds that course's
 * certificate or the code is taken (the savepoint drops the attempt too);
 * -1 with e (ERR_INPUT for a user that does not exist). */
static int run_attempt_add(struct store *st, void *arg, struct err *e)
{
	struct attempt_job *a = arg;
	struct conn *w = &st->w;
	long long now = (long long)time(NULL);
	char record[RECORD_MAX];
	sqlite3_stmt *s;
	int b = 0;

	if (!(s = prep(st, w, Q_ATTEMPT_ADD, e)))
		return -1;
	b |= sqlite3_bind_int64(s, 1, a->user_id);
	b |= bind_text(s, 2, a->course);
	b |= sqlite3_bind_int(s, 3, a->score);
	b |= sqlite3_bind_int(s, 4, a->passed ? 1 : 0);
	b |= bind_text(s, 5, a->wrong);
	b |= sqlite3_bind_int64(s, 6, now);
	if (b != SQLITE_OK || step(st, w, s, "adding an attempt", e) < 0)
		return b != SQLITE_OK ? db_fail(st, w, "adding an attempt", e) : -1;
	snprintf(record, sizeof record, "attempt:%lld", sqlite3_last_insert_rowid(w->db));
	if (audit_add(st, a->actor, "attempt.create", record, e) < 0)
		return -1;
	if (!a->passed)
		return 0;
	if (!(s = prep(st, w, Q_CERT_ADD, e)))
		return -1;
	b = bind_text(s, 1, a->code);
	b |= sqlite3_bind_int64(s, 2, a->user_id);
	b |= bind_text(s, 3, a->course);
	b |= sqlite3_bind_int64(s, 4, now);
	if (b != SQLITE_OK)
		return db_fail(st, w, "adding a certificate", e);
	if (sqlite3_step(s) != SQLITE_DONE) {
		int code = sqlite3_extended_errcode(w->db);

		/* the user has this course's certificate, or the code is taken */
		if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
			return 1;
		return db_fail(st, w, "adding a certificate", e);
	}
	snprintf(record, sizeof record, "certificate:%s", a->code);
	return audit_add(st, a->actor, "certificate.create", record, e);
}

int store_attempt_add(struct store *st, const char *actor, long long user_id, const char *course,
                      int score, int passed, const char *wrong, const char *code, struct err *e)
{
	struct attempt_job a = {actor, user_id, course, score, passed, wrong, code};

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(course, STORE_SLUG))
		return err_set(e, "a course must be a slug of at most %d bytes", STORE_SLUG - 1);
	if (score < 0 || score > 100)
		return err_set(e, "a score must be 0 to 100, not %d", score);
	if (passed && (!fits(code, AUTH_CODE_TEXT) || !*code))
		return err_set(e, "a passed attempt needs a certificate code");
	return submit(st, run_attempt_add, &a, e);
}

/* Runs a certificate query on a read connection (first value text, second
 * course when not NULL, else the first is a code). 0, 1 when none, -1. */
static int cert_get(struct store *st, enum q id, long long user_id, const char *text,
                    struct certificate *cert, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc = -1, b;

	if (!text)
		return err_set(e, "no certificate code or course");
	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = prep(st, c, id, e)))
		goto out;
	if (id == Q_CERT_OF)
		b = sqlite3_bind_int64(s, 1, user_id) | bind_text(s, 2, text);
	else
		b = bind_text(s, 1, text);
	if (b != SQLITE_OK) {
		db_fail(st, c, "reading a certificate", e);
		goto out;
	}
	rc = step(st, c, s, "reading a certificate", e);
	if (rc == 0) {
		rc = 1;
	} else if (rc == 1) {
		int bad = 0;

		memset(cert, 0, sizeof *cert);
		bad |= col_copy(s, 0, cert->code, sizeof cert->code);
		cert->user_id = sqlite3_column_int64(s, 1);
		bad |= col_copy(s, 2, cert->course, sizeof cert->course);
		bad |= col_copy(s, 3, cert->first_name, sizeof cert->first_name);
		bad |= col_copy(s, 4, cert->last_name, sizeof cert->last_name);
		cert->issued = sqlite3_column_int64(s, 5);
		rc = bad ? too_long(st, "certificates", e) : 0;
	}
out:
	reader_put(st, c);
	return rc;
}

int store_certificate(struct store *st, const char *code, struct certificate *c, struct err *e)
{
	return cert_get(st, Q_CERT_BY_CODE, 0, code, c, e);
}

int store_certificate_of(struct store *st, long long user_id, const char *course,
                         struct certificate *c, struct err *e)
{
	return cert_get(st, Q_CERT_OF, user_id, course, c, e);
}

/* ---- forum ---- */

struct post_add_job {
	const char *actor;
	struct post *p;
};

/* On the writer: the post and its post.create record. 0, 1 when a reply's
 * thread is not a thread of that course, -1 with e. */
static int run_post_add(struct store *st, void *arg, struct err *e)
{
	struct post_add_job *a = arg;
	struct post *p = a->p;
	struct conn *w = &st->w;
	char record[RECORD_MAX];
	long long id;
	sqlite3_stmt *s;
	int b = 0, rc;

	if (p->thread_id != 0) {
		if (!(s = prep(st, w, Q_POST_THREAD_OK, e)))
			return -1;
		if (sqlite3_bind_int64(s, 1, p->thread_id) != SQLITE_OK ||
		    bind_text(s, 2, p->course) != SQLITE_OK)
			return db_fail(st, w, "finding a thread", e);
		rc = step(st, w, s, "finding a thread", e);
		if (rc <= 0)
			return rc < 0 ? -1 : 1;
	}
	/* the id is chosen here so that a thread's first post can name itself
	 * (only this thread writes, inside the transaction) */
	if (!(s = prep(st, w, Q_POST_NEXT_ID, e)))
		return -1;
	rc = step(st, w, s, "adding a post", e);
	if (rc <= 0)
		return rc < 0 ? -1 : err_kind_set(e, ERR_IO, "%s: no next post id", st->path);
	id = sqlite3_column_int64(s, 0);
	if (!(s = prep(st, w, Q_POST_ADD, e)))
		return -1;
	p->posted = (long long)time(NULL);
	p->hidden = 0;
	b |= sqlite3_bind_int64(s, 1, id);
	b |= sqlite3_bind_int64(s, 2, p->thread_id ? p->thread_id : id);
	b |= bind_text(s, 3, p->course);
	b |= sqlite3_bind_int64(s, 4, p->user_id);
	b |= bind_text(s, 5, p->author);
	b |= bind_text(s, 6, p->thread_id ? "" : p->title);
	b |= bind_text(s, 7, p->body);
	b |= sqlite3_bind_int64(s, 8, p->posted);
	if (b != SQLITE_OK || step(st, w, s, "adding a post", e) < 0)
		return b != SQLITE_OK ? db_fail(st, w, "adding a post", e) : -1;
	p->id = id;
	if (!p->thread_id)
		p->thread_id = id;
	snprintf(record, sizeof record, "post:%lld", id);
	return audit_add(st, a->actor, "post.create", record, e);
}

int store_post_add(struct store *st, const char *actor, struct post *p, struct err *e)
{
	struct post_add_job a = {actor, p};
	long long thread = p->thread_id;
	int rc;

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(p->course, sizeof p->course) || !fits(p->author, sizeof p->author) ||
	    !fits(p->title, sizeof p->title))
		return err_set(e, "a post's field is not a string of its size");
	rc = submit(st, run_post_add, &a, e);
	if (rc != 0) /* a failed job may have set it before its rollback */
		p->thread_id = thread;
	return rc;
}

int store_posts(struct store *st, const char *course, int (*fn)(void *ctx, const struct post *p),
                void *ctx, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	struct post p;
	int rc = -1;

	if (!course)
		return err_set(e, "no course");
	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = prep(st, c, Q_POSTS, e)))
		goto out;
	if (bind_text(s, 1, course) != SQLITE_OK) {
		db_fail(st, c, "reading posts", e);
		goto out;
	}
	while ((rc = step(st, c, s, "reading posts", e)) == 1) {
		int bad = 0;

		memset(&p, 0, sizeof p);
		p.id = sqlite3_column_int64(s, 0);
		p.thread_id = sqlite3_column_int64(s, 1);
		bad |= col_copy(s, 2, p.course, sizeof p.course);
		p.user_id = sqlite3_column_int64(s, 3);
		bad |= col_copy(s, 4, p.author, sizeof p.author);
		bad |= col_copy(s, 5, p.title, sizeof p.title);
		/* borrowed from sqlite until the next step: fn must copy it */
		p.body = (char *)sqlite3_column_text(s, 6);
		p.posted = sqlite3_column_int64(s, 7);
		p.hidden = sqlite3_column_int(s, 8) != 0;
		if (bad || !p.body) {
			rc = bad ? too_long(st, "posts", e) : err_oom(e);
			break;
		}
		if (fn(ctx, &p) != 0) {
			rc = 0;
			break;
		}
	}
out:
	reader_put(st, c);
	return rc < 0 ? -1 : 0;
}

struct post_hide_job {
	const char *actor;
	long long id;
	int hidden;
	char *course; /* STORE_SLUG bytes */
};

/* On the writer: the hidden flag and a post.hide/post.show record; the
 * course goes to a->course. 0, 1 when no such post, -1 with e. */
static int run_post_hide(struct store *st, void *arg, struct err *e)
{
	struct post_hide_job *a = arg;
	struct conn *w = &st->w;
	char record[RECORD_MAX];
	sqlite3_stmt *s;
	int rc;

	if (!(s = prep(st, w, Q_POST_COURSE, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, a->id) != SQLITE_OK)
		return db_fail(st, w, "reading a post", e);
	rc = step(st, w, s, "reading a post", e);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	if (col_copy(s, 0, a->course, STORE_SLUG) < 0)
		return too_long(st, "posts", e);
	if (!(s = prep(st, w, Q_POST_HIDE, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, a->id) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, a->hidden ? 1 : 0) != SQLITE_OK)
		return db_fail(st, w, "hiding a post", e);
	if (step(st, w, s, "hiding a post", e) < 0)
		return -1;
	snprintf(record, sizeof record, "post:%lld", a->id);
	return audit_add(st, a->actor, a->hidden ? "post.hide" : "post.show", record, e);
}

int store_post_hide(struct store *st, const char *actor, long long id, int hidden,
                    char course[STORE_SLUG], struct err *e)
{
	struct post_hide_job a = {actor, id, hidden, course};

	if (check_actor(actor, e) < 0)
		return -1;
	course[0] = '\0';
	return submit(st, run_post_hide, &a, e);
}

/* ---- a person's own data ---- */

/* How a column goes into a value tree. */
enum col_kind { COL_TEXT, COL_INT, COL_BOOL };

struct col {
	const char *key;
	enum col_kind kind;
};

/* The keys of each list's tables, in the order of its statement's columns. */
static const struct col profile_cols[] = {
    {"id", COL_INT},      {"first_name", COL_TEXT}, {"last_name", COL_TEXT}, {"email", COL_TEXT},
    {"status", COL_TEXT}, {"office", COL_TEXT},     {"created", COL_INT},
};
static const struct col attempt_cols[] = {
    {"course", COL_TEXT}, {"score", COL_INT}, {"passed", COL_BOOL},
    {"wrong", COL_TEXT},  {"at", COL_INT},
};
static const struct col cert_cols[] = {
    {"code", COL_TEXT},
    {"course", COL_TEXT},
    {"issued", COL_INT},
};
static const struct col post_cols[] = {
    {"id", COL_INT},    {"course", COL_TEXT}, {"thread_id", COL_INT}, {"title", COL_TEXT},
    {"body", COL_TEXT}, {"posted", COL_INT},  {"hidden", COL_BOOL},
};
static const struct col contact_cols[] = {
    {"id", COL_INT},       {"name", COL_TEXT},    {"email", COL_TEXT},   {"office", COL_TEXT},
    {"subject", COL_TEXT}, {"message", COL_TEXT}, {"received", COL_INT}, {"answered", COL_INT},
};
static const struct col session_cols[] = {
    {"id", COL_TEXT},
    {"created", COL_INT},
    {"last_used", COL_INT},
    {"current", COL_BOOL},
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Sets `key` in tab to column i of s as a string (its bytes, a NUL byte
 * too). 0, or -1 on allocation failure (sqlite's or ours). */
static int set_col_text(struct val *tab, const char *key, sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	if (!t && sqlite3_column_type(s, i) != SQLITE_NULL)
		return -1;
	return val_set(tab, key, val_strn(t ? t : "", t ? (size_t)sqlite3_column_bytes(s, i) : 0));
}

/* The row s is on as a table of the columns `cols` (column i gives
 * cols[i]). NULL on allocation failure. */
static struct val *row_table(sqlite3_stmt *s, const struct col *cols, size_t n)
{
	struct val *row = val_new(VAL_TABLE);
	size_t i;
	int rc = 0;

	for (i = 0; row && rc == 0 && i < n; i++) {
		switch (cols[i].kind) {
		case COL_TEXT:
			rc = set_col_text(row, cols[i].key, s, (int)i);
			break;
		case COL_INT:
			rc = val_set_int(row, cols[i].key, sqlite3_column_int64(s, (int)i));
			break;
		case COL_BOOL:
			rc = val_set_bool(row, cols[i].key, sqlite3_column_int(s, (int)i) != 0);
			break;
		}
	}
	if (rc < 0) {
		val_free(row);
		return NULL;
	}
	return row;
}

/* A consent: {document, commit: column commit_col, accepted: column
 * at_col} of the user row s is on. NULL on allocation failure. */
static struct val *consent(sqlite3_stmt *s, const char *document, int commit_col, int at_col)
{
	struct val *t = val_new(VAL_TABLE);

	if (t && (val_set_str(t, "document", document) < 0 ||
	          set_col_text(t, "commit", s, commit_col) < 0 ||
	          val_set_int(t, "accepted", sqlite3_column_int64(s, at_col)) < 0)) {
		val_free(t);
		return NULL;
	}
	return t;
}

/* Sets `key` in root to an array of one table (row_table with cols) per
 * row of statement `id`, run on c with user_id bound to ?1 and `text`
 * (NULL: SQL NULL) to ?2. 0, or -1 with e. */
static int add_rows(struct store *st, struct conn *c, struct val *root, const char *key, enum q id,
                    long long user_id, const char *text, const struct col *cols, size_t n,
                    const char *what, struct err *e)
{
	struct val *arr = val_new(VAL_ARRAY);
	sqlite3_stmt *s;
	int rc;

	/* in the tree first: freeing root frees what is filled in below */
	if (val_set(root, key, arr) < 0)
		return err_oom(e);
	if (!(s = prep(st, c, id, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK ||
	    (text && bind_text(s, 2, text) != SQLITE_OK))
		return db_fail(st, c, what, e);
	while ((rc = step(st, c, s, what, e)) == 1)
		if (val_push(arr, row_table(s, cols, n)) < 0)
			return err_oom(e);
	return rc;
}

/* Reads the tree of store_user_data on c (inside its read transaction).
 * 0 with *out set, 1 when there is no such user, -1 with e. */
static int user_data_read(struct store *st, struct conn *c, long long user_id, const char *digest,
                          struct val **out, struct err *e)
{
	struct val *root = val_new(VAL_TABLE), *consents;
	sqlite3_stmt *s;
	int rc;

	if (!root || val_set_str(root, "format", STORE_USER_DATA_FORMAT) < 0 ||
	    val_set_int(root, "generated", (long long)time(NULL)) < 0)
		goto oom;
	if (!(s = prep(st, c, Q_USER_DATA, e)))
		goto fail;
	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK) {
		db_fail(st, c, "reading a user", e);
		goto fail;
	}
	rc = step(st, c, s, "reading a user", e);
	if (rc <= 0) {
		val_free(root);
		return rc < 0 ? -1 : 1;
	}
	if (val_set(root, "profile", row_table(s, profile_cols, NCOLS(profile_cols))) < 0)
		goto oom;
	consents = val_new(VAL_ARRAY);
	if (val_set(root, "consents", consents) < 0 ||
	    val_push(consents, consent(s, "regulamin", 7, 8)) < 0 ||
	    val_push(consents, consent(s, "polityka-prywatnosci", 9, 10)) < 0)
		goto oom;
	sqlite3_reset(s);
	if (add_rows(st, c, root, "attempts", Q_USER_ATTEMPTS, user_id, NULL, attempt_cols,
	             NCOLS(attempt_cols), "reading attempts", e) < 0 ||
	    add_rows(st, c, root, "certificates", Q_USER_CERTS, user_id, NULL, cert_cols,
	             NCOLS(cert_cols), "reading certificates", e) < 0 ||
	    add_rows(st, c, root, "posts", Q_USER_POSTS, user_id, NULL, post_cols, NCOLS(post_cols),
	             "reading posts", e) < 0 ||
	    add_rows(st, c, root, "contacts", Q_USER_CONTACTS, user_id, NULL, contact_cols,
	             NCOLS(contact_cols), "reading contact messages", e) < 0 ||
	    add_rows(st, c, root, "sessions", Q_USER_SESSIONS, user_id, digest, session_cols,
	             NCOLS(session_cols), "reading sessions", e) < 0)
		goto fail;
	*out = root;
	return 0;
oom:
	err_oom(e);
fail:
	val_free(root);
	return -1;
}

int store_user_data(struct store *st, const char *actor, long long user_id,
                    const char *current_digest, struct val **out, struct err *e)
{
	struct audit_job a = {actor, "user.read", "", 0, user_id};
	struct conn *c;
	int rc;

	*out = NULL;
	if (check_actor(actor, e) < 0)
		return -1;
	if (current_digest && check_digest(current_digest, e) < 0)
		return -1;
	if (user_id <= 0)
		return 1;
	/* audited before it is read, so that nothing is shown that is not in
	 * the log; the job answers 1 (writing nothing) for no such user */
	snprintf(a.record, sizeof a.record, "user:%lld", user_id);
	rc = submit(st, run_audit, &a, e);
	if (rc != 0)
		return rc;
	if (!(c = reader_get(st, e)))
		return -1;
	/* one read transaction: every list from the same snapshot */
	if (exec(st, c, "BEGIN", e) < 0) {
		reader_put(st, c);
		return -1;
	}
	rc = user_data_read(st, c, user_id, current_digest, out, e);
	reset_all(c);
	if (rc == 0 && exec(st, c, "COMMIT", e) < 0) {
		val_free(*out);
		*out = NULL;
		rc = -1;
	}
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	reader_put(st, c);
	return rc;
}

/* ---- staff ---- */

/* Writes database text for a person at a terminal, escaped (esc_term):
 * a message cannot move the cursor, recolour or fake a line; `nl_indent`:
 * keep newlines, each followed by that text. */
static void put_text(FILE *out, const char *s, size_t len, const char *nl_indent)
{
	struct buf b = BUF_INIT;

	esc_term(&b, s, len, nl_indent);
	fwrite(b.ptr, 1, b.len, out);
	buf_free(&b);
}

/* Column i through put_text. */
static void put_col(FILE *out, sqlite3_stmt *s, int i, const char *nl_indent)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	if (t)
		put_text(out, t, (size_t)sqlite3_column_bytes(s, i), nl_indent);
}

/* A time for staff: local, "2026-11-28 10:15:02". */
static void put_time(FILE *out, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char when[32];

	if (localtime_r(&tt, &tm) && strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) > 0)
		fputs(when, out);
	else
		fprintf(out, "%lld", t);
}

/* A CSV field (RFC 4180): quoted, quotes doubled, control characters but
 * '\n' as \xNN; a leading = + - @ gets a ' so that a spreadsheet does not
 * run it as a formula. */
static void put_csv(FILE *out, sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	size_t len = (size_t)sqlite3_column_bytes(s, i), a = 0, b;

	fputc('"', out);
	if (t && len > 0 && t[0] && strchr("=+-@", t[0]))
		fputc('\'', out);
	/* put_text escapes controls; quotes are doubled here */
	for (b = 0; t && b <= len; b++) {
		if (b == len || t[b] == '"') {
			put_text(out, t + a, b - a, "");
			if (b < len)
				fputs("\"\"", out);
			a = b + 1;
		}
	}
	fputc('"', out);
}

/* Checks what was written to out. 0, or -1 with e. */
static int out_done(struct store *st, FILE *out, struct err *e)
{
	if (fflush(out) != 0 || ferror(out))
		return err_kind_set(e, ERR_IO, "%s: writing the output failed", st->path);
	return 0;
}

/* Audits a staff read before it happens (so that nothing is shown that is
 * not in the log). 0, 1 when `contact` > 0 does not exist, -1 with e. */
static int audit_read(struct store *st, const char *actor, const char *action, const char *office,
                      int open, long long contact, struct err *e)
{
	struct audit_job a = {actor, action, "", contact, 0};

	if (check_actor(actor, e) < 0)
		return -1;
	if (contact > 0)
		snprintf(a.record, sizeof a.record, "contact:%lld", contact);
	else if (strcmp(action, "certificate.list") == 0)
		snprintf(a.record, sizeof a.record, "certificates");
	else
		snprintf(a.record, sizeof a.record, "contacts%s%s%s", office ? " office=" : "",
		         office ? office : "", open ? " open" : "");
	return submit(st, run_audit, &a, e);
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

int store_admin_contacts(struct store *st, const char *actor, const char *office, int open,
                         FILE *out, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc, b = 0;

	if (office && !fits(office, STORE_SLUG))
		return err_set(e, "an office must be a slug of at most %d bytes", STORE_SLUG - 1);
	if (audit_read(st, actor, "contact.list", office, open, 0, e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if (!(s = prep(st, c, Q_CONTACTS, e)))
		goto out;
	b |= office ? bind_text(s, 1, office) : sqlite3_bind_null(s, 1);
	b |= sqlite3_bind_int(s, 2, open ? 1 : 0);
	if (b != SQLITE_OK) {
		db_fail(st, c, "reading contact messages", e);
		goto out;
	}
	while ((rc = step(st, c, s, "reading contact messages", e)) == 1) {
		long long answered = sqlite3_column_int64(s, 7);

		fprintf(out, "%lld  ", sqlite3_column_int64(s, 0));
		put_time(out, sqlite3_column_int64(s, 6));
		fputs(answered ? "  answered  " : "  open      ", out);
		put_col(out, s, 3, NULL);
		fputs("  ", out);
		put_col(out, s, 1, NULL);
		fputs(" <", out);
		put_col(out, s, 2, NULL);
		fputs(">  ", out);
		put_col(out, s, 4, NULL);
		fputc('\n', out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_contact_show(struct store *st, const char *actor, long long id, FILE *out,
                             struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc;

	if (id <= 0)
		return 1;
	rc = audit_read(st, actor, "contact.read", NULL, 0, id, e);
	if (rc != 0)
		return rc;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if (!(s = prep(st, c, Q_CONTACT_GET, e)))
		goto out;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		db_fail(st, c, "reading a contact message", e);
		goto out;
	}
	rc = step(st, c, s, "reading a contact message", e);
	if (rc == 0) {
		rc = 1;
	} else if (rc == 1) {
		long long answered = sqlite3_column_int64(s, 7);

		fprintf(out, "contact %lld\nreceived: ", sqlite3_column_int64(s, 0));
		put_time(out, sqlite3_column_int64(s, 6));
		fputs("\nanswered: ", out);
		if (answered)
			put_time(out, answered);
		else
			fputs("no", out);
		fputs("\noffice:   ", out);
		put_col(out, s, 3, NULL);
		fputs("\nfrom:     ", out);
		put_col(out, s, 1, NULL);
		fputs(" <", out);
		put_col(out, s, 2, NULL);
		fputs(">\nsubject:  ", out);
		put_col(out, s, 4, NULL);
		/* indented, so that no line of the message passes for a header */
		fputs("\nmessage:\n  ", out);
		put_col(out, s, 5, "  ");
		fputc('\n', out);
		rc = out_done(st, out, e);
	}
out:
	reader_put(st, c);
	return rc;
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

int store_admin_contacts_csv(struct store *st, const char *actor, const char *office, FILE *out,
                             struct err *e)
{
	static const int text_cols[] = {3, 1, 2, 4, 5}; /* office, name, email, subject, message */
	struct conn *c;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if (office && !fits(office, STORE_SLUG))
		return err_set(e, "an office must be a slug of at most %d bytes", STORE_SLUG - 1);
	if (audit_read(st, actor, "contact.export", office, 0, 0, e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if (!(s = prep(st, c, Q_CONTACTS, e)))
		goto out;
	if ((office ? bind_text(s, 1, office) : sqlite3_bind_null(s, 1)) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, 0) != SQLITE_OK) {
		db_fail(st, c, "reading contact messages", e);
		goto out;
	}
	fputs("id,received,answered,office,name,email,subject,message\r\n", out);
	while ((rc = step(st, c, s, "reading contact messages", e)) == 1) {
		long long answered = sqlite3_column_int64(s, 7);

		fprintf(out, "%lld,", sqlite3_column_int64(s, 0));
		put_time(out, sqlite3_column_int64(s, 6));
		fputc(',', out);
		if (answered)
			put_time(out, answered);
		for (i = 0; i < sizeof text_cols / sizeof text_cols[0]; i++) {
			fputc(',', out);
			put_csv(out, s, text_cols[i]);
		}
		fputs("\r\n", out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

/* Writes the rows of a "SELECT name, COUNT(*)" query as "label name: n".
 * 0, or -1 with e. */
static int put_counts(struct store *st, struct conn *c, enum q id, const char *label, FILE *out,
                      struct err *e)
{
	sqlite3_stmt *s = prep(st, c, id, e);
	int rc;

	if (!s)
		return -1;
	while ((rc = step(st, c, s, "counting users", e)) == 1) {
		fprintf(out, "%s ", label);
		put_col(out, s, 0, NULL);
		fprintf(out, ": %lld\n", sqlite3_column_int64(s, 1));
	}
	return rc;
}

int store_admin_user_counts(struct store *st, FILE *out, struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	if (!c)
		return -1;
	if (!(s = prep(st, c, Q_USERS_TOTAL, e)))
		goto out;
	if ((rc = step(st, c, s, "counting users", e)) <= 0) {
		if (rc == 0)
			rc = err_kind_set(e, ERR_IO, "%s: counting users gave no row", st->path);
		goto out;
	}
	rc = -1;
	fprintf(out, "users: %lld\n", sqlite3_column_int64(s, 0));
	if (put_counts(st, c, Q_USERS_BY_STATUS, "status", out, e) < 0 ||
	    put_counts(st, c, Q_USERS_BY_OFFICE, "office", out, e) < 0)
		goto out;
	rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_certificates(struct store *st, const char *actor, FILE *out, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc;

	if (audit_read(st, actor, "certificate.list", NULL, 0, 0, e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if (!(s = prep(st, c, Q_CERTS, e)))
		goto out;
	while ((rc = step(st, c, s, "reading certificates", e)) == 1) {
		put_col(out, s, 0, NULL);
		fputs("  ", out);
		put_time(out, sqlite3_column_int64(s, 5));
		fputs("  ", out);
		put_col(out, s, 2, NULL);
		fprintf(out, "  user %lld  ", sqlite3_column_int64(s, 1));
		put_col(out, s, 3, NULL);
		fputc(' ', out);
		put_col(out, s, 4, NULL);
		fputc('\n', out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_audit(struct store *st, FILE *out, struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	if (!c)
		return -1;
	if (!(s = prep(st, c, Q_AUDIT_ALL, e)))
		goto out;
	while ((rc = step(st, c, s, "reading the audit log", e)) == 1) {
		fprintf(out, "%lld  ", sqlite3_column_int64(s, 0));
		put_time(out, sqlite3_column_int64(s, 1));
		fputs("  ", out);
		put_col(out, s, 2, NULL);
		fputs("  ", out);
		put_col(out, s, 3, NULL);
		fputs("  ", out);
		put_col(out, s, 4, NULL);
		fputc('\n', out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

/* Appends column i's bytes (NUL bytes too: an edit hidden after one must
 * still change the hash). */
static void buf_col(struct buf *b, sqlite3_stmt *s, int i)
{
	const void *t = sqlite3_column_blob(s, i);

	if (t)
		buf_add(b, t, (size_t)sqlite3_column_bytes(s, i));
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
