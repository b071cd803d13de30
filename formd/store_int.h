/*
 * store_int.h - what the store's files share (store_core.c and one
 * store_*.c per aggregate); for them only: nothing else includes it
 * (tests/integration/layering.sh checks), nothing else sees sqlite.
 *
 * The statements: one enum of every statement's id, so that a connection
 * caches its prepared statements in one array (prep, reset_all); each
 * text is written in the file that owns it, in that file's store_sql_*
 * table (indexed by the same ids, the others' entries NULL). store_open
 * refuses a build where an id has no text or two.
 *
 * Writes run as jobs on the writer's connection (`st->w`), inside a
 * savepoint of their group's transaction (submit, submit_async); a job
 * function returns 0 (kept), 1 or -1 with e (its savepoint rolled back).
 * Reads take a pool connection (reader_get) and give it back
 * (reader_put). Unless said otherwise, every function here returns 0, or
 * -1 with e.
 */
#ifndef OKIENKO_STORE_INT_H
#define OKIENKO_STORE_INT_H

#include "store.h"

#include "buf.h"

#include <pthread.h>
#include <stdio.h>

/* sqlite's handles, as <sqlite3.h> names them (C11 allows the same typedef
 * twice): the store_*.c files include <sqlite3.h> themselves, so that no
 * other file can reach sqlite through this header */
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

#define POOL_MAX 8 /* read connections at most */
#define RECORD_MAX                                                                                 \
	128 /* bytes of an audit record name: "certificate:CODE", "contacts office=SLUG open" */

/* a contact message's columns, in struct contact's order (the reads of
 * store_contacts.c, store_export.c and the staff's) */
#define CONTACT_COLS "id, name, email, office, subject, message, received, answered"

enum q {
	/* store_core.c: the audit log */
	Q_AUDIT_LAST,
	Q_AUDIT_ADD,
	Q_AUDIT_ALL,
	Q_AUDIT_USER,
	Q_AUDIT_FIRST,
	Q_AUDIT_PURGE_MARK,
	/* store_users.c */
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
	Q_USER_EXISTS,
	Q_SESSION_PREFIX_COUNT,
	Q_SESSION_PREFIX_DELETE,
	Q_USER_CORRECT,
	Q_USER_SET_EMAIL,
	Q_USER_SET_PASSWORD,
	Q_USER_SESSIONS_END,
	Q_USER_RESTRICT,
	Q_USER_LIFT,
	Q_USER_RESTRICTION_REQUEST,
	Q_USER_HAS_RECORDS,
	Q_USER_CLOSE,
	Q_USER_ERASE,
	Q_USER_POSTS_ANON,
	Q_USER_TOKENS_DELETE,
	Q_USER_POST_COURSES,
	Q_TOKEN_ADD,
	Q_TOKEN_GET,
	Q_TOKEN_USE,
	Q_USER_CONFIRM,
	Q_USER_OPEN,
	Q_USER_RESET_TOKENS_END,
	/* store_contacts.c */
	Q_CONTACT_ADD,
	Q_CONTACT_EXISTS,
	Q_CONTACT_ANSWERED,
	Q_CONTACT_GET,
	Q_CONTACTS,
	/* store_learning.c */
	Q_ATTEMPTS,
	Q_ATTEMPT_ADD,
	Q_ATTEMPT_GET,
	Q_CERT_ADD,
	Q_CERT_COUNT,
	Q_CERT_BY_CODE,
	Q_CERT_OF,
	Q_CERTS,
	Q_POST_NEXT_ID,
	Q_POST_THREAD_OK,
	Q_POST_ADD,
	Q_POSTS,
	Q_POST_COURSE,
	Q_POST_HIDE,
	Q_POST_POSITION,
	/* store_export.c */
	Q_USER_DATA,
	Q_USER_ATTEMPTS,
	Q_USER_CERTS,
	Q_USER_POSTS,
	Q_USER_CONTACTS,
	Q_USER_SESSIONS,
	Q_USER_REQUESTS,
	/* store_requests.c */
	Q_REQUEST_ADD,
	Q_REQUEST_CONFIRM,
	Q_REQUEST_REPEATED,
	Q_REQUEST_FLAG,
	Q_REQUEST_GET,
	Q_REQUEST_SET,
	Q_REQUEST_STEP_ADD,
	Q_REQUEST_STEPS,
	Q_REQUESTS_OPEN,
	Q_REQUESTS_ALL,
	Q_REQUEST_LAST_NOTE,
	Q_REQUEST_ANSWER,
	Q_REQUEST_REPLIED,
	/* store_outbox.c */
	Q_OUTBOX_ADD,
	Q_OUTBOX_NEXT,
	Q_OUTBOX_EARLIEST,
	Q_OUTBOX_DONE,
	Q_OUTBOX_BODY,
	Q_OUTBOX_SET_BODY,
	Q_OUTBOX_LIST,
	Q_OUTBOX_RETRY,
	/* store_purge.c */
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
	Q_PURGE_UNPROVED_N,
	Q_PURGE_UNPROVED,
	Q_PURGE_TOKENS,
	Q_COUNT
};

/* Each file's statements (see above). */
extern const char *const store_sql_core[Q_COUNT];
extern const char *const store_sql_users[Q_COUNT];
extern const char *const store_sql_contacts[Q_COUNT];
extern const char *const store_sql_learning[Q_COUNT];
extern const char *const store_sql_export[Q_COUNT];
extern const char *const store_sql_requests[Q_COUNT];
extern const char *const store_sql_outbox[Q_COUNT];
extern const char *const store_sql_purge[Q_COUNT];

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

/* ---- store_core.c: connections and statements ---- */

/* Fills e from c's last error (right after the failing call, on the
 * thread using c): ERR_NOMEM, ERR_INPUT for a broken constraint, ERR_IO
 * for the rest. Returns -1. */
int db_fail(struct store *st, struct conn *c, const char *what, struct err *e);
/* Runs a fixed statement (no values: BEGIN, SAVEPOINT, PRAGMA ...). */
int exec(struct store *st, struct conn *c, const char *sql, struct err *e);
/* Statement `id` on c, prepared on first use, reset and with no values
 * bound. Owned by c. NULL with e. */
sqlite3_stmt *prep(struct store *st, struct conn *c, enum q id, struct err *e);
/* Resets every statement of c (none keeps a read transaction open). */
void reset_all(struct conn *c);
/* A read connection for this thread (waits for one when POOL_MAX are
 * taken); give it back with reader_put. NULL with e. */
struct conn *reader_get(struct store *st, struct err *e);
void reader_put(struct store *st, struct conn *c);
/* One step of s: 1 a row, 0 done, -1 with e. */
int step(struct store *st, struct conn *c, sqlite3_stmt *s, const char *what, struct err *e);
/* Binds text (NULL binds ""); the text must outlive the statement's use. */
int bind_text(sqlite3_stmt *s, int i, const char *t);
/* Column i into dst (size bytes). 0, or -1 when it does not fit (dst then
 * holds what fits): report it with too_long. */
int col_copy(sqlite3_stmt *s, int i, char *dst, size_t size);
/* Column i as staff rows show it (store.h struct store_text: "" for SQL
 * NULL); valid until s steps again or is reset. */
struct store_text col_text(sqlite3_stmt *s, int i);
/* The error of a value longer than formd allows in `table`. Returns -1. */
int too_long(struct store *st, const char *table, struct err *e);
/* 1 when s is a string of fewer than `size` bytes, 0 when NULL or longer. */
int fits(const char *s, size_t size);
/* Statement `id` on c with fmt's values bound in order ('i' a long long,
 * 't' text, NULL binding ""; 'n' text, NULL binding SQL NULL), ready to
 * step. NULL with e. */
sqlite3_stmt *qbind(struct store *st, struct conn *c, enum q id, const char *what, struct err *e,
                    const char *fmt, ...);
/* On the writer: runs write `id` with fmt's values (as qbind) to its end.
 * The number of rows it changed, or -1 with e. */
int qwrite(struct store *st, enum q id, const char *what, struct err *e, const char *fmt, ...);
/* The number a one-row query s gives (s NULL: -1, e set by whoever failed
 * to make it). 0 with *n; no row is an error. */
int qnum(struct store *st, struct conn *c, sqlite3_stmt *s, const char *what, long long *n,
         struct err *e);
/* On the writer: 1 when existence query `id` (one integer value) has a
 * row, 0 when not, -1 with e. */
int exists(struct store *st, enum q id, long long value, const char *what, struct err *e);
/* t plus `months` calendar months (minus, when negative): retention.c's
 * calendar. */
long long add_months(long long t, int months);
/* Checks what was written to out (fflush, ferror). */
int out_done(struct store *st, FILE *out, struct err *e);
/* Steps s (bound, on c; NULL: -1, e set by whoever failed to make it)
 * and calls row(s, arg) on each row until there are no more or row
 * returns non-zero (the staff reads: row makes the row struct and hands
 * it to the caller's callback). 0, or -1 with e. */
int each_row(struct store *st, struct conn *c, sqlite3_stmt *s, const char *what,
             int (*row)(sqlite3_stmt *s, void *arg), void *arg, struct err *e);

/* each_row over statement `id` with fmt's values bound (as qbind), on a
 * read connection of its own. 0, or -1 with e. */
int read_rows(struct store *st, enum q id, const char *what, int (*row)(sqlite3_stmt *s, void *arg),
              void *arg, struct err *e, const char *fmt, ...);

/* ---- store_core.c: the writer ---- */

/* Queues run(st, arg) for the writer and waits until its group is
 * committed (or failed). What run returned (0, 1, 2 ...), or -1 with e. */
int submit(struct store *st, int (*run)(struct store *, void *, struct err *), void *arg,
           struct err *e);
/* Queues run(st, arg) without waiting: cb(cb_arg, rc, e) runs on the
 * writer thread once the group is committed or failed, then
 * free_arg(arg). -1 with e when it could not be queued (arg is freed). */
int submit_async(struct store *st, int (*run)(struct store *, void *, struct err *), void *arg,
                 void (*free_arg)(void *), void (*cb)(void *, int, const struct err *),
                 void *cb_arg, struct err *e);

/* ---- store_core.c: the audit chain ---- */

/* On the writer, inside the current savepoint: appends a record chained
 * to the one before. */
int audit_add(struct store *st, const char *actor, const char *action, const char *record,
              struct err *e);
/* An audit record alone: a staff read of personal data (run_audit). */
struct audit_job {
	const char *actor, *action;
	char record[RECORD_MAX];
	long long contact; /* > 0: only when this contact message exists (else 1) */
	long long user;    /* > 0: only when this user exists (else 1) */
};
/* A job (arg: struct audit_job): the record; 1 when the contact message or
 * user to be read does not exist (nothing is written). */
int run_audit(struct store *st, void *arg, struct err *e);
/* -1 with e when actor is NULL or "". */
int check_actor(const char *actor, struct err *e);
/* -1 with e when digest is not a string of under AUTH_DIGEST_TEXT bytes. */
int check_digest(const char *digest, struct err *e);

/* ---- store_users.c ---- */

/* The status as the schema writes it: "bezrobotna", "poszukujaca". */
const char *status_text(enum user_status s);
/* The e-mail as compared: ASCII letters lowercased. */
void email_norm(const char *email, char out[STORE_EMAIL]);
/* An account change's job (store_users.c; purge erases with it too). */
struct user_job {
	const char *actor;
	long long id, now;
	const char *a, *b, *c, *d; /* the values of each operation */
	int on, erased;
	struct buf courses; /* the courses whose forum pages change */
};
/* On the writer: the courses user j->id posted in, one a line, into
 * j->courses (reset first). */
int post_courses(struct store *st, struct user_job *j, struct err *e);
/* On the writer: erases user `id`'s personal data (the row stays,
 * emptied), its posts' author, sessions and tokens, audited. 1 when
 * erased already. */
int erase_user(struct store *st, const char *actor, long long id, long long now, struct err *e);

/* A token's job: adding, or using one (and what it was for). */
struct token_job {
	const char *actor, *digest, *data, *hash;
	enum token_kind kind;
	long long user_id, request_id, expires, now;
	const struct mail_out *mail;
};
/* On the writer: reads and uses token j->digest of j->kind. 0 with ids in
 * j (its data in `data`, STORE_EMAIL bytes, when not NULL), 1 when it does
 * not work. */
int token_take(struct store *st, struct token_job *j, char data[STORE_EMAIL], struct err *e);

/* ---- store_requests.c ---- */

/* On the writer: adds request r: unconfirmed with a token when `digest`
 * is set (and `mail` queued), else received at once. r->id and the times
 * are set. */
/* On the writer: a step of request `id` in its history, audited
 * ("request.STEP"). */
int request_log(struct store *st, const char *actor, long long id, const char *step_name,
                const char *note, struct err *e);
int request_insert(struct store *st, const char *actor, struct rights_request *r,
                   const char *digest, long long expires, const struct mail_out *mail,
                   struct err *e);

/* ---- store_outbox.c ---- */

/* On the writer, inside the caller's savepoint: queues m (NULL: nothing)
 * in the outbox, audited. */
int outbox_put(struct store *st, const char *actor, const struct mail_out *m, struct err *e);
/* A message's text with its links' tokens blanked, appended to out. */
struct buf;
void outbox_blank_links(const char *body, struct buf *out);

#endif
