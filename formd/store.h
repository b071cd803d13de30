/*
 * store.h - the only module that speaks to sqlite: the schema and its
 * numbered migrations, the one writer thread that commits requests in
 * groups, the reads, and the append-only, hash-chained audit log.
 *
 * Durability: WAL mode, synchronous=FULL. Every write function returns
 * only after the transaction holding it is on disk: the writer thread
 * takes every write queued while the previous group was committing, runs
 * each in its own SAVEPOINT (one failing write does not undo the others),
 * commits once, then wakes the callers. A caller that got 0 may answer
 * success.
 *
 * Every write of personal data, and every read of it that staff make,
 * adds an audit record in the same transaction: who (`actor`: "web",
 * "user:ID", "admin:LOGIN"), what ("contact.create", "user.read", ...),
 * which record ("contact:12"), when; each record holds the hash of the one
 * before (store_audit_verify checks the chain).
 *
 * Thread safety: every function may be called from any thread; reads use
 * their own connections (WAL lets them run beside the writer). Statements
 * are prepared, never built from input.
 *
 * Return values: 0 success; 1 "not there" (or, for an insert, "already
 * there": the e-mail is taken); -1 with e (ERR_IO: the database failed,
 * the caller answers 503; ERR_NOMEM; ERR_INPUT: e.g. a database newer than
 * this binary).
 */
#ifndef OKIENKO_STORE_H
#define OKIENKO_STORE_H

#include "auth.h"
#include "err.h"

#include <stddef.h>
#include <stdio.h>

#define STORE_SCHEMA_VERSION 1

/* Sizes (bytes, with the NUL) of the text fields the forms allow: the
 * forms count characters, up to 4 bytes each in UTF-8. */
#define STORE_NAME (100 * 4 + 1)
#define STORE_EMAIL (254 * 4 + 1)
#define STORE_SLUG 65
#define STORE_COMMIT 41
#define STORE_SUBJECT (200 * 4 + 1)
#define STORE_TITLE (200 * 4 + 1)
#define STORE_SESSION_ID 13 /* a session as store_user_data shows it: 12 hex + NUL */

/* The `format` of store_user_data's tree; a change of its structure that
 * a reader could trip on gets the next number. */
#define STORE_USER_DATA_FORMAT "okienko-dane-osobowe/1"

struct store;
struct val; /* value.h */

/* Opens (creating it, and its schema, when missing) the database at
 * `path`, migrates it to STORE_SCHEMA_VERSION and starts the writer
 * thread. A database whose schema is newer than this binary is refused
 * (ERR_INPUT, naming both versions). NULL with e. */
struct store *store_open(const char *path, struct err *e);
/* Finishes the queued writes, stops the writer, closes. NULL is fine. */
void store_close(struct store *st);

/* ---- users ---- */

enum user_status { STATUS_UNEMPLOYED, STATUS_JOBSEEKER }; /* "bezrobotna", "poszukujaca" */

struct user {
	long long id;
	char first_name[STORE_NAME];
	char last_name[STORE_NAME];
	char email[STORE_EMAIL]; /* as typed; compared case-insensitively */
	enum user_status status;
	char office[STORE_SLUG]; /* an office slug from private/offices.json */
	char pw_hash[AUTH_HASH_MAX];
	long long created; /* seconds since the epoch */
	/* the documents accepted at registration: the commit of each version,
	 * and when */
	char terms_commit[STORE_COMMIT];
	long long terms_at;
	char policy_commit[STORE_COMMIT];
	long long policy_at;
};

/* Adds a user (id and created are set here). 1 when the e-mail is taken
 * (whatever its case). */
int store_user_add(struct store *st, const char *actor, struct user *u, struct err *e);
/* Finds a user by e-mail (case-insensitive) or id. 1 when there is none.
 * These are the daemon's own reads (logins); they are not audited. */
int store_user_by_email(struct store *st, const char *email, struct user *u, struct err *e);
int store_user_by_id(struct store *st, long long id, struct user *u, struct err *e);
/* Replaces a user's password hash (a rehash at login). */
int store_user_set_hash(struct store *st, long long id, const char *hash, struct err *e);

/* ---- sessions: only the digest of a token is stored ---- */

/* 1 when the digest is taken already or the user does not exist. */
int store_session_add(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long user_id,
                      long long now, struct err *e);
/* The user of a live session: one last used at most `idle` seconds ago and
 * created at most `absolute` seconds ago. Refreshes its last use (at most
 * once a minute, so reading pages does not write on every request). 1 when
 * there is no such session (it is deleted when it has expired). */
int store_session_user(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                       long long idle, long long absolute, long long *user_id, struct err *e);
/* Ends a session (logout). 1 when there was none. */
int store_session_delete(struct store *st, const char digest[AUTH_DIGEST_TEXT], struct err *e);
/* Ends one of user `user_id`'s sessions by the id store_user_data shows
 * (STORE_SESSION_ID - 1 hex characters: the start of its digest; upper
 * case is taken as lower). Ids of another length or not hex are refused
 * (-1, ERR_INPUT). 1 when the user has no such session, or when two or
 * more of the user's sessions start so (a prefix collision: none is
 * ended). Not audited (sessions are not personal-data changes). */
int store_session_end(struct store *st, long long user_id, const char *id12, struct err *e);

/* ---- contact messages ---- */

struct contact {
	long long id;
	char name[STORE_NAME * 2];
	char email[STORE_EMAIL];
	char office[STORE_SLUG];
	char subject[STORE_SUBJECT];
	char *message; /* the text; borrowed by store_contact_add (never kept) */
	long long received;
	long long answered; /* 0: not yet */
};

/* Stores a message (id and received set here). */
int store_contact_add(struct store *st, const char *actor, struct contact *c, struct err *e);
/* The same without waiting (what the web uses: a request waits for its
 * group without holding a thread). The message is copied; done(arg, rc,
 * e) is called on the writer thread once the group holding it is on disk
 * (rc 0) or failed (-1 with e), and must be quick. 0 when queued, or -1
 * with e when not (then done is never called). */
int store_contact_add_async(struct store *st, const char *actor, const struct contact *c,
                            void (*done)(void *arg, int rc, const struct err *e), void *arg,
                            struct err *e);

/* ---- tests and certificates ---- */

/* Attempts a user has made at a course's test. */
int store_attempts(struct store *st, long long user_id, const char *course, long long *count,
                   struct err *e);
/* Records an attempt (score in percent; `wrong`: the numbers of the
 * questions answered wrongly, "2,5"); when `passed`, also the certificate
 * with `code` (both in one transaction). 1, storing nothing, when the
 * user has that course's certificate already or the code is taken. */
int store_attempt_add(struct store *st, const char *actor, long long user_id, const char *course,
                      int score, int passed, const char *wrong, const char *code, struct err *e);

struct certificate {
	char code[AUTH_CODE_TEXT];
	long long user_id;
	char course[STORE_SLUG];
	char first_name[STORE_NAME];
	char last_name[STORE_NAME];
	long long issued;
};

/* A certificate by its code (for the public check; not audited: it shows
 * what its holder chose to show). 1 when the code is unknown. */
int store_certificate(struct store *st, const char *code, struct certificate *c, struct err *e);
/* A user's certificate for a course, if any (1 when none). */
int store_certificate_of(struct store *st, long long user_id, const char *course,
                         struct certificate *c, struct err *e);

/* ---- forum ---- */

struct post {
	long long id;
	long long thread_id; /* the first post's id; a thread's first post has thread_id == id */
	char course[STORE_SLUG];
	long long user_id;
	char author[STORE_NAME * 2]; /* "Imię N." as shown */
	char title[STORE_TITLE];     /* threads only */
	char *body;                  /* borrowed: the caller's text for store_post_add; in a
	                                store_posts callback valid during the call only */
	long long posted;
	int hidden;
};

/* Adds a post: a new thread when p->thread_id is 0 (its id becomes the
 * thread id), else a reply (1 when that thread does not exist in that
 * course). */
int store_post_add(struct store *st, const char *actor, struct post *p, struct err *e);
/* Calls fn for every post of a course's forum (hidden ones too, flagged),
 * threads in order of their first post, each thread's posts in order:
 * what the forum writer renders. fn returns 0 to go on. */
int store_posts(struct store *st, const char *course, int (*fn)(void *ctx, const struct post *p),
                void *ctx, struct err *e);
/* Hides or shows a post (staff). Its course in `course` (for the page to
 * rewrite). 1 when there is no such post. */
int store_post_hide(struct store *st, const char *actor, long long id, int hidden,
                    char course[STORE_SLUG], struct err *e);

/* Records that `actor` read personal data in `record` ("certificate:CODE")
 * for `action` ("certificate.read"): the reads the web makes (a
 * certificate shown to whoever holds its code). */
int store_audit_read(struct store *st, const char *actor, const char *action, const char *record,
                     struct err *e);

/* ---- a person's own data (GDPR art. 15 access, art. 20 portability) ---- */

/* Everything the store holds about user `user_id`, as a value tree
 * (value.h) the caller frees with val_free: the account page renders it,
 * formd serves it as JSON (json_dump can write it). A stable structure;
 * keys in this order:
 *   {format: STORE_USER_DATA_FORMAT, generated: SECONDS,
 *    profile: {id, first_name, last_name, email, status ("bezrobotna" |
 *              "poszukujaca"), office, created},
 *    consents: [{document: "regulamin", commit, accepted: SECONDS},
 *               {document: "polityka-prywatnosci", commit, accepted}],
 *    attempts: [{course, score, passed (bool), wrong (text), at}],
 *    certificates: [{code, course, issued}],
 *    posts: [{id, course, thread_id, title ("" for replies), body, posted,
 *             hidden (bool)}],
 *    contacts: [{id, name, email, office, subject, message, received,
 *                answered (0: not yet, else its time)}],
 *    sessions: [{id: the first 12 hex characters of the digest, created,
 *                last_used, current (bool: its digest is
 *                `current_digest`; NULL: none is)}]}
 * Every list is oldest first. `contacts` holds the messages sent from the
 * user's e-mail address (compared case-insensitively, as logins are).
 * Times are seconds since the epoch (ints). Neither the password hash nor
 * a full session digest is in it. All of it is read in one snapshot.
 *
 * The read is audited first: action "user.read", record "user:ID", by
 * `actor`. 0 with *out set; 1 when there is no such user (nothing is
 * audited, *out is NULL); -1 with e (*out NULL). */
int store_user_data(struct store *st, const char *actor, long long user_id,
                    const char *current_digest, struct val **out, struct err *e);

/* ---- staff (formd admin) ---- */

/* Writes, one line each, the contact messages (all, or of one office when
 * office is not NULL; only unanswered ones when `open`), audited as read
 * by `actor`. */
int store_admin_contacts(struct store *st, const char *actor, const char *office, int open,
                         FILE *out, struct err *e);
int store_admin_contact_show(struct store *st, const char *actor, long long id, FILE *out,
                             struct err *e);
int store_admin_contact_answered(struct store *st, const char *actor, long long id, struct err *e);
/* CSV (RFC 4180, UTF-8, a header line), audited. */
int store_admin_contacts_csv(struct store *st, const char *actor, const char *office, FILE *out,
                             struct err *e);
/* The monitoring figures: users by status and by office (counts only:
 * no personal data, not audited). */
int store_admin_user_counts(struct store *st, FILE *out, struct err *e);
int store_admin_certificates(struct store *st, const char *actor, FILE *out, struct err *e);
/* The audit log, oldest first. */
int store_admin_audit(struct store *st, FILE *out, struct err *e);
/* Checks the chain: 0 when every record's hash and link hold; 1 with
 * e naming the first record that does not (changed, deleted or inserted).
 * Records cut off the end of the log leave a chain that holds: detecting
 * that needs the last hash kept elsewhere (a copy staff keep). */
int store_audit_verify(struct store *st, struct err *e);

#endif
