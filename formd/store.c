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
#include "retention.h"
#include "utf8.h"
#include "value.h"

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

#define POOL_MAX 8        /* read connections at most */
#define BUSY_TIMEOUT 5000 /* ms to wait for a lock another process holds */
#define TOUCH_EVERY 60    /* seconds between two refreshes of a session's last use */
#define RECORD_MAX                                                                                 \
	128 /* bytes of an audit record name: "certificate:CODE", "contacts office=SLUG open" */

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
    "  received INTEGER NOT NULL DEFAULT 0,\n" /* 0: not confirmed: it does not count */
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
	Q_USER_REQUESTS,
	/* schema 2: the rights */
	Q_USER_CORRECT,
	Q_USER_SET_EMAIL,
	Q_USER_SET_PASSWORD,
	Q_USER_SESSIONS_END,
	Q_USER_RESTRICT,
	Q_USER_HAS_RECORDS,
	Q_USER_CLOSE,
	Q_USER_ERASE,
	Q_USER_POSTS_ANON,
	Q_USER_TOKENS_DELETE,
	Q_USER_POST_COURSES,
	Q_TOKEN_ADD,
	Q_TOKEN_GET,
	Q_TOKEN_USE,
	Q_REQUEST_ADD,
	Q_REQUEST_RECEIVE,
	Q_REQUEST_REPEATED,
	Q_REQUEST_FLAG,
	Q_REQUEST_GET,
	Q_REQUEST_SET,
	Q_REQUEST_STEP_ADD,
	Q_REQUEST_STEPS,
	Q_REQUESTS_OPEN,
	Q_REQUESTS_ALL,
	Q_OUTBOX_ADD,
	Q_OUTBOX_NEXT,
	Q_OUTBOX_EARLIEST,
	Q_OUTBOX_DONE,
	Q_OUTBOX_LIST,
	Q_OUTBOX_RETRY,
	Q_AUDIT_USER,
	Q_AUDIT_FIRST,
	Q_AUDIT_PURGE_MARK,
	Q_PURGE_ACCOUNTS_N,
	Q_PURGE_ACCOUNTS,
	Q_PURGE_ATTEMPTS_N,
	Q_PURGE_ATTEMPTS,
	Q_PURGE_CERTS,
	Q_PURGE_POSTS_N,
	Q_PURGE_POST_COURSES,
	Q_PURGE_POSTS,
	Q_PURGE_CONTACTS_N,
	Q_PURGE_CONTACTS,
	Q_PURGE_REQUESTS_N,
	Q_PURGE_REQUESTS,
	Q_PURGE_SESSIONS_N,
	Q_PURGE_SESSIONS,
	Q_PURGE_OUTBOX_N,
	Q_PURGE_OUTBOX,
	Q_PURGE_AUDIT_N,
	Q_PURGE_AUDIT_LAST,
	Q_PURGE_AUDIT,
	Q_PURGE_UNCONFIRMED_N,
	Q_PURGE_UNCONFIRMED,
	Q_PURGE_TOKENS,
	Q_REQUEST_LAST_NOTE,
	Q_COUNT
};

#define USER_COLS                                                                                  \
	"id, first_name, last_name, email, status, office, pw_hash, created, terms_commit, "       \
	"terms_at, policy_commit, policy_at, closed, restricted"
#define CONTACT_COLS "id, name, email, office, subject, message, received, answered"
#define CERT_COLS                                                                                  \
	"c.code, c.user_id, c.course, IIF(u.closed, '', u.first_name), "                           \
	"IIF(u.closed, '', u.last_name), c.issued FROM certificates c JOIN users u ON u.id = "     \
	"c.user_id"

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
    [Q_USERS_TOTAL] = "SELECT COUNT(*) FROM users WHERE closed = 0 AND restricted = 0",
    [Q_USERS_BY_STATUS] = "SELECT status, COUNT(*) FROM users WHERE closed = 0 AND "
                          "restricted = 0 GROUP BY status ORDER BY status",
    [Q_USERS_BY_OFFICE] = "SELECT office, COUNT(*) FROM users WHERE closed = 0 AND "
                          "restricted = 0 GROUP BY office ORDER BY office",
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
    [Q_CERTS] = "SELECT " CERT_COLS " WHERE u.restricted = 0 ORDER BY c.issued, c.code",
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
                    "terms_commit, terms_at, policy_commit, policy_at, restricted FROM users "
                    "WHERE id = ?1 AND closed = 0",
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
    /* the requests the person sent: from the account, or confirmed from
     * its e-mail address */
    [Q_USER_REQUESTS] = "SELECT id, article, scope, channel, status, received, due, extended_due, "
                        "closed FROM requests WHERE received > 0 AND (user_id = ?1 OR email = "
                        "(SELECT email FROM users WHERE id = ?1) COLLATE NOCASE) ORDER BY id",
    [Q_USER_CORRECT] = "UPDATE users SET first_name = ?2, last_name = ?3, status = ?4, office = ?5 "
                       "WHERE id = ?1 AND closed = 0",
    [Q_USER_SET_EMAIL] =
        "UPDATE users SET email = ?2, email_norm = ?3 WHERE id = ?1 AND closed = 0",
    [Q_USER_SET_PASSWORD] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1 AND closed = 0",
    [Q_USER_SESSIONS_END] = "DELETE FROM sessions WHERE user_id = ?1",
    [Q_USER_RESTRICT] = "UPDATE users SET restricted = ?2 WHERE id = ?1 AND closed = 0",
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
    [Q_REQUEST_ADD] =
        "INSERT INTO requests (user_id, name, email, phone, address, office, article, "
        "scope, channel, created, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, 'unconfirmed')",
    [Q_REQUEST_RECEIVE] = "UPDATE requests SET received = ?2, due = ?3, status = 'received' "
                          "WHERE id = ?1 AND status = 'unconfirmed'",
    /* section 4.2: the same right, by the same person, within 3 months */
    [Q_REQUEST_REPEATED] = "SELECT COUNT(*) FROM requests r, requests me WHERE me.id = ?1 AND "
                           "r.id <> me.id AND r.article = me.article AND r.received >= ?2 AND "
                           "(r.email = me.email COLLATE NOCASE OR (me.user_id > 0 AND "
                           "r.user_id = me.user_id))",
    [Q_REQUEST_FLAG] = "UPDATE requests SET flagged = 1 WHERE id = ?1",
    [Q_REQUEST_GET] = "SELECT id, user_id, name, email, phone, address, office, article, scope, "
                      "channel, created, received, due, extended_due, status, flagged, closed "
                      "FROM requests WHERE id = ?1",
    [Q_REQUEST_SET] = "UPDATE requests SET status = ?2, extended_due = ?3, closed = ?4 "
                      "WHERE id = ?1",
    [Q_REQUEST_STEP_ADD] = "INSERT INTO request_steps (request_id, at, actor, step, note) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_REQUEST_STEPS] = "SELECT at, actor, step, note FROM request_steps WHERE request_id = ?1 "
                        "ORDER BY id",
    [Q_REQUESTS_OPEN] = "SELECT id, IIF(extended_due, extended_due, due), status, article, name, "
                        "flagged, channel FROM requests WHERE status NOT IN ('unconfirmed', "
                        "'done', 'refused') ORDER BY 2, id",
    [Q_REQUESTS_ALL] = "SELECT id, IIF(extended_due, extended_due, due), status, article, name, "
                       "flagged, channel FROM requests ORDER BY status = 'unconfirmed', 2, id",
    [Q_OUTBOX_ADD] = "INSERT INTO outbox (kind, to_addr, subject, body, created, next_try) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    [Q_OUTBOX_NEXT] = "SELECT id, to_addr, subject, body, attempts FROM outbox WHERE state = "
                      "'waiting' AND next_try <= ?1 ORDER BY next_try, id LIMIT 1",
    [Q_OUTBOX_EARLIEST] = "SELECT IFNULL(MIN(next_try), 0) FROM outbox WHERE state = 'waiting'",
    [Q_OUTBOX_DONE] = "UPDATE outbox SET state = ?2, attempts = attempts + 1, next_try = ?3, "
                      "last_error = ?4, sent = ?5 WHERE id = ?1",
    [Q_OUTBOX_LIST] = "SELECT id, state, created, attempts, next_try, last_error, kind, to_addr, "
                      "subject, body, sent FROM outbox WHERE ?1 OR state <> 'sent' ORDER BY id",
    [Q_OUTBOX_RETRY] = "UPDATE outbox SET state = 'waiting', next_try = ?2 WHERE id = ?1 AND "
                       "state <> 'sent'",
    [Q_AUDIT_USER] = "SELECT id, at, actor, action, record FROM audit WHERE actor = ?2 OR "
                     "record = ?2 OR record IN (SELECT 'request:' || id FROM requests WHERE "
                     "user_id = ?1) ORDER BY id",
    [Q_AUDIT_FIRST] = "SELECT IFNULL(MIN(id), 0) FROM audit",
    /* the record a purge of the log leaves: where the chain now starts */
    [Q_AUDIT_PURGE_MARK] = "SELECT record FROM audit WHERE action = 'audit.purge' AND "
                           "record LIKE ?1 ORDER BY id DESC LIMIT 1",
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
    [Q_PURGE_UNCONFIRMED_N] = "SELECT COUNT(*) FROM requests WHERE status = 'unconfirmed' AND "
                              "created < ?1",
    [Q_PURGE_UNCONFIRMED] = "DELETE FROM requests WHERE status = 'unconfirmed' AND created < ?1",
    [Q_REQUEST_LAST_NOTE] = "SELECT note, at FROM request_steps WHERE request_id = ?1 AND "
                            "step = ?2 ORDER BY id DESC LIMIT 1",
    [Q_PURGE_TOKENS] = "DELETE FROM tokens WHERE expires < ?1 OR (request_id > 0 AND "
                       "request_id NOT IN (SELECT id FROM requests))",
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

/* Binds fmt's values to s in order: 'i' a long long, 't' text (NULL binds
 * ""). sqlite's result (SQLITE_OK when every bind worked). */
static int bindv(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	int i, b = SQLITE_OK;

	for (i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i')
			b |= sqlite3_bind_int64(s, i + 1, va_arg(ap, long long));
		else
			b |= bind_text(s, i + 1, va_arg(ap, const char *));
	}
	return b;
}

/* Statement `id` on c with fmt's values bound (bindv), ready to step.
 * NULL with e. */
static sqlite3_stmt *qbind(struct store *st, struct conn *c, enum q id, const char *what,
                           struct err *e, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, c, id, e);
	va_list ap;
	int b;

	if (!s)
		return NULL;
	va_start(ap, fmt);
	b = bindv(s, fmt, ap);
	va_end(ap);
	if (b != SQLITE_OK) {
		db_fail(st, c, what, e);
		return NULL;
	}
	return s;
}

/* On the writer: runs write `id` with fmt's values to its end. The number
 * of rows it changed, or -1 with e. */
static int qwrite(struct store *st, enum q id, const char *what, struct err *e, const char *fmt,
                  ...)
{
	sqlite3_stmt *s = prep(st, &st->w, id, e);
	va_list ap;
	int b;

	if (!s)
		return -1;
	va_start(ap, fmt);
	b = bindv(s, fmt, ap);
	va_end(ap);
	if (b != SQLITE_OK)
		return db_fail(st, &st->w, what, e);
	if (step(st, &st->w, s, what, e) < 0)
		return -1;
	return sqlite3_changes(st->w.db);
}

/* A one-number query's number (on c). 0 with *n, or -1 with e (no row is
 * an error: these queries always give one). */
static int qnum(struct store *st, struct conn *c, sqlite3_stmt *s, const char *what, long long *n,
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

/* t plus `months` calendar months (minus, when negative): retention.c's
 * calendar, the one the retention periods use. */
static long long add_months(long long t, int months)
{
	struct retention r = {months < 0 ? -months : months, RETENTION_MONTHS};

	return months < 0 ? retention_sub(&r, t) : retention_add(&r, t);
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
	u->closed = sqlite3_column_int64(s, 12);
	u->restricted = sqlite3_column_int64(s, 13);
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
static const struct col request_cols[] = {
    {"id", COL_INT},       {"right", COL_TEXT},       {"scope", COL_TEXT},
    {"channel", COL_TEXT}, {"status", COL_TEXT},      {"received", COL_INT},
    {"due", COL_INT},      {"extended_due", COL_INT}, {"closed", COL_INT},
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
	if (val_set(root, "profile", row_table(s, profile_cols, NCOLS(profile_cols))) < 0 ||
	    val_set_int(val_get_mut(root, "profile"), "restricted", sqlite3_column_int64(s, 11)) <
	        0)
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
	             NCOLS(session_cols), "reading sessions", e) < 0 ||
	    add_rows(st, c, root, "requests", Q_USER_REQUESTS, user_id, NULL, request_cols,
	             NCOLS(request_cols), "reading requests", e) < 0)
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
	/* after a purge the chain starts where its audit.purge record says */
	if (qnum(st, c, prep(st, c, Q_AUDIT_FIRST, e), "reading the audit log", &expect, e) < 0)
		goto out;
	if (expect > 1) {
		char like[48], mark[RECORD_MAX];
		const char *h;

		snprintf(like, sizeof like, "before:%lld hash:%%", expect);
		if (!(s = qbind(st, c, Q_AUDIT_PURGE_MARK, "reading the audit log", e, "t", like)))
			goto out;
		rc = step(st, c, s, "reading the audit log", e);
		if (rc == 1 && col_copy(s, 0, mark, sizeof mark) == 0 &&
		    (h = strstr(mark, " hash:")) && strlen(h + 6) == AUTH_DIGEST_TEXT - 1) {
			memcpy(prev, h + 6, AUTH_DIGEST_TEXT);
		} else if (rc >= 0) {
			err_set(e, "audit records 1 to %lld are missing (no purge says so)",
			        expect - 1);
			rc = 1;
			goto out;
		} else {
			goto out;
		}
		sqlite3_reset(s);
	} else {
		expect = 1;
	}
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

/* ---- the rights (schema 2) ---- */

/* Queues m in the outbox on the writer (inside the caller's savepoint). */
static int outbox_put(struct store *st, const char *actor, const struct mail_out *m, struct err *e)
{
	char record[RECORD_MAX];

	if (!m)
		return 0;
	if (!m->kind || !m->to || !m->subject || !m->body || !*m->to)
		return err_set(e, "a message needs a kind, an address, a subject and a text");
	if (qwrite(st, Q_OUTBOX_ADD, "queueing an e-mail", e, "tttti", m->kind, m->to, m->subject,
	           m->body, (long long)time(NULL)) < 0)
		return -1;
	snprintf(record, sizeof record, "outbox:%lld", sqlite3_last_insert_rowid(st->w.db));
	return audit_add(st, actor, "outbox.create", record, e);
}

static const char *const token_kinds[] = {"reset", "email", "request"};

/* ---- account changes ---- */

struct user_job {
	const char *actor;
	long long id, now;
	const char *a, *b, *c, *d; /* the values of each operation */
	int on, erased;
	struct buf courses; /* the courses whose forum pages change */
};

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
	if (qwrite(st, Q_USER_SESSIONS_END, "ending sessions", e, "i", j->id) < 0)
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

/* Adds the request `r` on the writer: unconfirmed with a token when
 * `digest` is set, else received at once. */
static int request_insert(struct store *st, const char *actor, struct rights_request *r,
                          const char *digest, long long expires, const struct mail_out *mail,
                          struct err *e);

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
	struct user_job j = {actor, id,      (long long)time(NULL), reason, NULL, NULL, NULL, on,
	                     0,     BUF_INIT};

	if (check_actor(actor, e) < 0)
		return -1;
	return submit(st, run_user_restrict, &j, e);
}

/* Adds the courses user j->id posted in to j->courses, one a line. */
static int post_courses(struct store *st, struct user_job *j, struct err *e)
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
static int erase_user(struct store *st, const char *actor, long long id, long long now,
                      struct err *e)
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
	struct user_job j = {actor, id,      (long long)time(NULL), NULL, NULL, NULL, NULL, 0,
	                     0,     BUF_INIT};
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

struct token_job {
	const char *actor, *digest, *data, *hash;
	enum token_kind kind;
	long long user_id, request_id, expires, now;
	const struct mail_out *mail;
};

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
	           j->user_id, j->request_id, j->data ? j->data : "", (long long)time(NULL),
	           j->expires) < 0)
		return -1;
	snprintf(record, sizeof record, "user:%lld", j->user_id);
	if (audit_add(st, j->actor,
	              j->kind == TOKEN_RESET ? "password.reset.start" : "email.change.start",
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
static int token_take(struct store *st, struct token_job *j, char data[STORE_EMAIL], struct err *e)
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
	return run_user_password(st, &u, e);
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

/* ---- requests ---- */

/* On the writer: a request step in its history, audited. */
static int request_log(struct store *st, const char *actor, long long id, const char *step_name,
                       const char *note, struct err *e)
{
	char record[RECORD_MAX], action[48];

	if (qwrite(st, Q_REQUEST_STEP_ADD, "recording a request's step", e, "iittt", id,
	           (long long)time(NULL), actor, step_name, note ? note : "") < 0)
		return -1;
	snprintf(record, sizeof record, "request:%lld", id);
	snprintf(action, sizeof action, "request.%s", step_name);
	return audit_add(st, actor, action, record, e);
}

/* On the writer: request `id` received at `now`: due a month later;
 * flagged when the same right came from the same person within 3 months. */
static int request_receive(struct store *st, const char *actor, long long id, long long now,
                           struct rights_request *r, struct err *e)
{
	long long repeats = 0;
	int n = qwrite(st, Q_REQUEST_RECEIVE, "receiving a request", e, "iii", id, now,
	               add_months(now, 1));

	if (n <= 0)
		return n < 0 ? -1 : 1;
	if (qnum(st, &st->w,
	         qbind(st, &st->w, Q_REQUEST_REPEATED, "reading requests", e, "ii", id,
	               add_months(now, -3)),
	         "reading requests", &repeats, e) < 0)
		return -1;
	if (r) {
		r->received = now;
		r->due = add_months(now, 1);
		r->flagged = repeats > 0;
		snprintf(r->status, sizeof r->status, "received");
	}
	if (repeats > 0 && qwrite(st, Q_REQUEST_FLAG, "flagging a request", e, "i", id) < 0)
		return -1;
	return request_log(st, actor, id, "received",
	                   repeats > 0 ? "ponowne żądanie tego samego prawa w ciągu 3 miesięcy "
	                                 "(instrukcja, pkt 4.2)"
	                               : "",
	                   e);
}

static int request_insert(struct store *st, const char *actor, struct rights_request *r,
                          const char *digest, long long expires, const struct mail_out *mail,
                          struct err *e)
{
	long long now = (long long)time(NULL);
	char record[RECORD_MAX];

	if (qwrite(st, Q_REQUEST_ADD, "adding a request", e, "itttttttti", r->user_id, r->name,
	           r->email, r->phone, r->address ? r->address : "", r->office, r->right,
	           r->scope ? r->scope : "", r->channel, now) < 0)
		return -1;
	r->id = sqlite3_last_insert_rowid(st->w.db);
	r->created = now;
	snprintf(r->status, sizeof r->status, "unconfirmed");
	snprintf(record, sizeof record, "request:%lld", r->id);
	if (audit_add(st, actor, "request.create", record, e) < 0)
		return -1;
	if (!digest)
		return request_receive(st, actor, r->id, now, r, e) < 0 ? -1 : 0;
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

static int run_request_confirm(struct store *st, void *arg, struct err *e)
{
	struct token_job *j = arg;
	int rc = token_take(st, j, NULL, e);

	if (rc != 0)
		return rc;
	return request_receive(st, "web", j->request_id, j->now, NULL, e);
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
	if (strcmp(r.status, "unconfirmed") == 0 && strcmp(j->step, "note") != 0)
		return err_set(
		    e, "request %lld is not confirmed by its sender yet: it does not count", j->id);
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
	} else if (strcmp(j->step, "reply") != 0 && strcmp(j->step, "note") != 0) {
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
	snprintf(record, sizeof record, "outbox:%lld", j->id);
	return j->sent ? audit_add(st, "formd", "outbox.sent", record, e) : 0;
}

int store_outbox_done(struct store *st, long long id, int sent, const char *error,
                      long long next_try, long long now, struct err *e)
{
	struct outbox_job j = {"formd", NULL, id, next_try, now, sent, error};

	return submit(st, run_outbox_done, &j, e);
}

/* ---- staff: requests, the outbox, one person's trail, purge ---- */

static const char *request_status_pl(const char *s)
{
	static const char *const names[][2] = {{"unconfirmed", "niepotwierdzony"},
	                                       {"received", "otrzymany"},
	                                       {"identity", "weryfikacja tożsamości"},
	                                       {"progress", "w realizacji"},
	                                       {"extended", "przedłużony"},
	                                       {"done", "zrealizowany"},
	                                       {"refused", "odmowa"}};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i][0]) == 0)
			return names[i][1];
	return s;
}

/* A date for staff: "2026-11-28". */
static void put_date(FILE *out, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char when[16];

	if (localtime_r(&tt, &tm) && strftime(when, sizeof when, "%Y-%m-%d", &tm) > 0)
		fputs(when, out);
	else
		fprintf(out, "%lld", t);
}

int store_admin_requests(struct store *st, const char *actor, int all, long long now, FILE *out,
                         struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc = -1;

	if (store_audit_read(st, actor, "request.list", all ? "requests all" : "requests open", e) <
	    0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = prep(st, c, all ? Q_REQUESTS_ALL : Q_REQUESTS_OPEN, e)))
		goto out;
	while ((rc = step(st, c, s, "reading requests", e)) == 1) {
		long long due = sqlite3_column_int64(s, 1);
		const char *status = (const char *)sqlite3_column_text(s, 2);
		int open = strcmp(status, "done") && strcmp(status, "refused") &&
		           strcmp(status, "unconfirmed");

		fprintf(out, "%-5lld ", sqlite3_column_int64(s, 0));
		if (due > 0)
			put_date(out, due);
		else
			fputs("----------", out);
		fprintf(out, "  %-16s ",
		        !open                      ? ""
		        : due < now                ? "PRZETERMINOWANY"
		        : due - now <= 7 * 86400LL ? "<= 7 dni"
		                                   : "");
		fprintf(out, "%-22s ", request_status_pl(status));
		put_col(out, s, 3, NULL);
		fputs("  ", out);
		put_col(out, s, 4, NULL);
		fputs("  (", out);
		put_col(out, s, 6, NULL);
		fputc(')', out);
		if (sqlite3_column_int(s, 5))
			fputs("  POWTÓRZONY (pkt 4.2)", out);
		fputc('\n', out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_request_show(struct store *st, const char *actor, long long id, long long now,
                             FILE *out, struct err *e)
{
	struct rights_request r;
	struct conn *c;
	sqlite3_stmt *s;
	char record[RECORD_MAX];
	int rc;

	snprintf(record, sizeof record, "request:%lld", id);
	if (store_audit_read(st, actor, "request.read", record, e) < 0)
		return -1;
	rc = store_request_get(st, id, &r, e);
	if (rc != 0)
		return rc;
	fprintf(out, "request %lld: %s%s\n", r.id, request_status_pl(r.status),
	        r.flagged ? ", POWTÓRZONY w ciągu 3 miesięcy (pkt 4.2)" : "");
	fputs("right:     ", out);
	put_text(out, r.right, strlen(r.right), NULL);
	fputs("\nfrom:      ", out);
	put_text(out, r.name, strlen(r.name), NULL);
	fputs(" <", out);
	put_text(out, r.email, strlen(r.email), NULL);
	fputs(">", out);
	if (r.user_id)
		fprintf(out, " (account %lld)", r.user_id);
	fputs("\nphone:     ", out);
	put_text(out, r.phone, strlen(r.phone), NULL);
	fputs("\naddress:   ", out);
	put_text(out, r.address, strlen(r.address), "\n           ");
	fputs("\noffice:    ", out);
	put_text(out, r.office, strlen(r.office), NULL);
	fputs("\nreply by:  ", out);
	put_text(out, r.channel, strlen(r.channel), NULL);
	fputs("\nsent:      ", out);
	put_time(out, r.created);
	fputs("\nreceived:  ", out);
	if (r.received)
		put_time(out, r.received);
	else
		fputs("not confirmed by e-mail yet (it does not count)", out);
	if (r.due) {
		fputs("\ndue:       ", out);
		put_date(out, r.due);
		if (r.extended_due) {
			fputs(", extended to ", out);
			put_date(out, r.extended_due);
		}
		if (!r.closed && (r.extended_due ? r.extended_due : r.due) < now)
			fputs("  PRZETERMINOWANY", out);
	}
	if (r.closed) {
		fputs("\nclosed:    ", out);
		put_time(out, r.closed);
	}
	fputs("\nscope:\n  ", out);
	put_text(out, r.scope, strlen(r.scope), "\n  ");
	fputs("\nhistory:\n", out);
	store_request_free(&r);
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if ((s = qbind(st, c, Q_REQUEST_STEPS, "reading a request's history", e, "i", id))) {
		while ((rc = step(st, c, s, "reading a request's history", e)) == 1) {
			fputs("  ", out);
			put_time(out, sqlite3_column_int64(s, 0));
			fputs("  ", out);
			put_col(out, s, 2, NULL);
			fputs("  ", out);
			put_col(out, s, 1, NULL);
			if (sqlite3_column_bytes(s, 3) > 0) {
				fputs("\n      ", out);
				put_col(out, s, 3, "\n      ");
			}
			fputc('\n', out);
		}
	}
	if (rc == 0)
		rc = out_done(st, out, e);
	reader_put(st, c);
	return rc;
}

int store_admin_outbox(struct store *st, const char *actor, int all, FILE *out, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc = -1;

	if (store_audit_read(st, actor, "outbox.list", all ? "outbox all" : "outbox", e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = qbind(st, c, Q_OUTBOX_LIST, "reading the outbox", e, "i", (long long)all)))
		goto out;
	while ((rc = step(st, c, s, "reading the outbox", e)) == 1) {
		fprintf(out, "message %lld  ", sqlite3_column_int64(s, 0));
		put_col(out, s, 1, NULL);
		fputs("  ", out);
		put_time(out, sqlite3_column_int64(s, 2));
		fprintf(out, "  tries %d", sqlite3_column_int(s, 3));
		if (strcmp((const char *)sqlite3_column_text(s, 1), "sent") == 0) {
			fputs("  sent ", out);
			put_time(out, sqlite3_column_int64(s, 10));
		} else if (strcmp((const char *)sqlite3_column_text(s, 1), "waiting") == 0 &&
		           sqlite3_column_int(s, 3) > 0) {
			fputs("  next try ", out);
			put_time(out, sqlite3_column_int64(s, 4));
		}
		if (sqlite3_column_bytes(s, 5) > 0) {
			fputs("\n  last error: ", out);
			put_col(out, s, 5, NULL);
		}
		fputs("\n  kind: ", out);
		put_col(out, s, 6, NULL);
		fputs("\n  to: ", out);
		put_col(out, s, 7, NULL);
		fputs("\n  subject: ", out);
		put_col(out, s, 8, NULL);
		fputs("\n  | ", out);
		put_col(out, s, 9, "\n  | ");
		fputs("\n\n", out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
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

int store_admin_audit_user(struct store *st, long long user_id, FILE *out, struct err *e)
{
	struct conn *c = reader_get(st, e);
	char who[32];
	sqlite3_stmt *s;
	int rc = -1;

	if (!c)
		return -1;
	snprintf(who, sizeof who, "user:%lld", user_id);
	if ((s = qbind(st, c, Q_AUDIT_USER, "reading the audit log", e, "it", user_id, who))) {
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
	}
	if (rc == 0)
		rc = out_done(st, out, e);
	reader_put(st, c);
	return rc;
}

/* How long an unconfirmed request and a spent token are kept: their links
 * work for days, then nothing of them counts or is needed. */
#define UNCONFIRMED_KEEP (8 * 86400LL)

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
	static const enum q unconfirmed[] = {Q_PURGE_UNCONFIRMED};
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
	    purge_kind(st, j, "requests never confirmed", j->now - UNCONFIRMED_KEEP,
	               Q_PURGE_UNCONFIRMED_N, unconfirmed, 1, e) < 0 ||
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
