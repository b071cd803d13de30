/*
 * store.h - the store (formd/store_core.c, and a store_*.c file per
 * aggregate), the only module that speaks to sqlite: the schema and its
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

#define STORE_SCHEMA_VERSION 4

/* Sizes (bytes, with the NUL) of the text fields the forms allow: the
 * forms count characters, up to 4 bytes each in UTF-8. */
#define STORE_NAME (100 * 4 + 1)
#define STORE_EMAIL (254 * 4 + 1)
#define STORE_SLUG 65
/* the numbers of the questions of a test answered wrongly, "2,5" (a test
 * has at most 200 questions: formd/forms.h FORM_MAX_QUESTIONS) */
#define STORE_WRONG 1024
#define STORE_COMMIT 41
#define STORE_SUBJECT (200 * 4 + 1)
#define STORE_TITLE (200 * 4 + 1)
#define STORE_SESSION_ID 13 /* a session as store_user_data shows it: 12 hex + NUL */
#define STORE_PHONE (30 * 4 + 1)
#define STORE_RIGHT 16   /* a right as the request form names it: "dostep", "sprzeciw" ... */
#define STORE_CHANNEL 16 /* "email", "poczta", "telefon", "osobiscie" */
#define STORE_STATUS 16  /* a request's status */
#define STORE_STEP 16    /* a request step's name */

/* The `format` of store_user_data's tree; a change of its structure that
 * a reader could trip on gets the next number. */
#define STORE_USER_DATA_FORMAT "okienko-dane-osobowe/1"

struct store;
struct val;      /* value.h */
struct mail_out; /* below */

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
	long long closed;     /* when the person deleted the account (art. 17); 0: open */
	long long restricted; /* since when processing is restricted (art. 18); 0: not */
	long long confirmed;  /* when the address was proved (a link sent to it used); 0: not */
};

/* Adds a user (id and created are set here; u->confirmed is stored as
 * given: for staff tools and tests; the web registers with
 * store_user_register). 1 when the e-mail is taken (whatever its case). */
int store_user_add(struct store *st, const char *actor, struct user *u, struct err *e);
/* Registration, in one write: when no open account has the address (in
 * its one form: lower case), the account (not confirmed; id and created
 * set), a TOKEN_CONFIRM link with `digest` valid until `expires`, and
 * mail_new queued; when one has, no account (u->id 0) and mail_taken
 * queued (NULL: nothing) -- the same answer either way, so the web does
 * not reveal whether an address has an account. 0 either way; -1 with e. */
int store_user_register(struct store *st, const char *actor, struct user *u,
                        const char digest[AUTH_DIGEST_TEXT], long long expires,
                        const struct mail_out *mail_new, const struct mail_out *mail_taken,
                        struct err *e);
/* Uses a TOKEN_CONFIRM link: the account's address is proved
 * (users.confirmed = now), audited user.confirm. 0 with *user_id; 1 when
 * the link does not work or the account closed. */
int store_account_confirm(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                          long long *user_id, struct err *e);
/* Finds a user by e-mail (case-insensitive) or id. 1 when there is none.
 * These are the daemon's own reads (logins); they are not audited. */
int store_user_by_email(struct store *st, const char *email, struct user *u, struct err *e);
int store_user_by_id(struct store *st, long long id, struct user *u, struct err *e);
/* Replaces a user's password hash (a rehash at login) while it is still
 * `old_hash` (compare and set). 1 when it changed meanwhile. */
int store_user_set_hash(struct store *st, long long id, const char *old_hash, const char *hash,
                        struct err *e);

/* ---- the person's rights on their account (all audited, by `actor`) ---- */

/* A message to queue in the outbox in the same transaction as the write
 * that needs it (so that nothing is promised by e-mail that was not
 * stored, and nothing stored is left without its message). `kind`:
 * "request.confirm", "password.reset", "email.confirm", "request.reply"... */
struct mail_out {
	const char *kind, *to, *subject, *body;
};

/* Art. 16: name, status, office. 1 when there is no such open account. */
int store_user_correct(struct store *st, const char *actor, long long id, const char *first_name,
                       const char *last_name, enum user_status status, const char *office,
                       struct err *e);
/* A new password: every session of the user ends (the caller starts a new
 * one if it should). Audited as user.password. 1: no such open account. */
int store_user_set_password(struct store *st, const char *actor, long long id, const char *hash,
                            struct err *e);
/* Art. 18 on (restricted since `now`) or off (store_user_lift tells the
 * person first: staff use that). With `on`
 * and `reason`, also a request (art. 18) for staff, received at once.
 * 1: no such open account. */
int store_user_restrict(struct store *st, const char *actor, long long id, int on,
                        const char *reason, struct err *e);
/* Art. 18(3): staff lift account `id`'s restriction after the person is
 * told, in one transaction: the notice `mail` queued (NULL: given by
 * letter or phone, as `note` says) and, with `request_id` > 0 (the
 * restriction's request), recorded in its history as step "notice" with
 * `note`; audited user.lift.notice; then the restriction lifted, audited
 * user.lift. 1: no open account under restriction (nothing is done). */
int store_user_lift(struct store *st, const char *actor, long long id, long long request_id,
                    const char *note, const struct mail_out *mail, struct err *e);
/* The art. 18 request account `user_id` sent last (into *request_id).
 * 1: none. */
int store_user_restriction_request(struct store *st, long long user_id, long long *request_id,
                                   struct err *e);
/* Art. 17: the account is closed at once: no login, its sessions and
 * tokens gone, its forum posts shown without the author, its certificates
 * without the name. When it holds nothing the project must archive (no
 * test attempt, no certificate) its personal data is also erased at once
 * (*erased = 1); otherwise purge erases it when `accounts`' period ends.
 * The courses whose forum pages changed go to courses_out (a
 * newline-separated list the caller frees; may be NULL). 1: no such open
 * account. */
int store_user_close(struct store *st, const char *actor, long long id, int *erased,
                     char **courses_out, struct err *e);

/* ---- single-use links: only the digest of a token is stored ---- */

enum token_kind { TOKEN_RESET, TOKEN_EMAIL, TOKEN_REQUEST, TOKEN_CONFIRM };

/* Adds a token that works until `expires`, with the message carrying it.
 * `data`: for TOKEN_EMAIL the new address. 1: the user does not exist. */
int store_token_add(struct store *st, const char *actor, const char digest[AUTH_DIGEST_TEXT],
                    enum token_kind kind, long long user_id, const char *data, long long expires,
                    const struct mail_out *mail, struct err *e);
/* Whether a token works now (not used, not expired, of that kind),
 * without using it: 0 with its user (and data, STORE_EMAIL bytes, when
 * not NULL), 1 when it does not. */
int store_token_peek(struct store *st, const char digest[AUTH_DIGEST_TEXT], enum token_kind kind,
                     long long now, long long *user_id, char *data, struct err *e);
/* Uses a TOKEN_RESET token and sets the password it was for, ending every
 * session, in one transaction. 0 with *user_id; 1 when the token does not
 * work (used, expired, unknown). */
int store_password_reset(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                         const char *hash, long long *user_id, struct err *e);
/* Uses a TOKEN_EMAIL token and sets the address it confirms. 0 with
 * *user_id; 1 when the token does not work; 2 when another account has
 * taken the address meanwhile (the token stays unused). */
int store_email_confirm(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                        long long *user_id, struct err *e);

/* ---- data-protection requests (seed 004: sections 3 to 5) ---- */

struct rights_request {
	long long id;
	long long user_id; /* the account it was sent from; 0: the public form */
	char name[STORE_NAME * 2];
	char email[STORE_EMAIL];
	char phone[STORE_PHONE];
	char office[STORE_SLUG];
	char right[STORE_RIGHT];
	char channel[STORE_CHANNEL];
	char
	    status[STORE_STATUS]; /* unconfirmed received identity progress extended done refused */
	char *address, *scope;    /* borrowed by store_request_add; store_request_get allocates */
	/* received: when it was sent (seed 004 section 5.1: the month runs
	 * "od otrzymania żądania"); due: a month later */
	long long created, received, due, extended_due, closed;
	long long confirmed; /* when the sender's address was confirmed; 0: not yet */
	int flagged;         /* the same right asked for by the same person within 3 months */
};

/* A request sent from account u: its name, address and office, the reply
 * by e-mail, `right` and `scope` (borrowed), into r for store_request_add. */
void store_request_of(const struct user *u, const char *right, const char *scope,
                      struct rights_request *r);
/* Stores a request, received now and due a month later (office calendar),
 * flagged when repeated. With a token digest (the public form): its
 * address unconfirmed ("unconfirmed"), with the token (valid until
 * `expires`) and its confirmation message in the same transaction.
 * Without (sent from the account, whose address is known): "received",
 * its address confirmed. r->id and the times are set. */
int store_request_add(struct store *st, const char *actor, struct rights_request *r,
                      const char *digest, long long expires, const struct mail_out *mail,
                      struct err *e);
/* Uses a TOKEN_REQUEST token: the request's address is confirmed now
 * (its due date stays: the month runs from receipt), "unconfirmed"
 * becomes "received", and it is flagged when it repeats one received
 * within 3 months. 0 with *id; 1 when the token does not work. */
int store_request_confirm(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long now,
                          long long *id, struct err *e);
/* One request (address and scope allocated: store_request_free). 1: none. */
int store_request_get(struct store *st, long long id, struct rights_request *r, struct err *e);
void store_request_free(struct rights_request *r);
/* A staff step on a request, with its note, audited, in its history:
 *   "identity"  identity to verify        "progress" in progress
 *   "extend"    the deadline extended by `months` (1 or 2), once, only
 *               while the first month runs, with the reasons in `note`
 *   "done"      completed                 "refuse"  refused (reasons in note)
 *   "reply"     a reply sent (`mail` queued with it)   "note" a note only
 *   "export"    the person's data given to staff (what and where in note)
 * While the sender's address is unconfirmed (status "unconfirmed") only
 * identity, refuse, reply and note are taken: staff ask who sent it, or
 * close it with the reasons. A step the rules do not allow is refused: -1
 * with ERR_INPUT and why. 1: no such request. */
int store_request_step(struct store *st, const char *actor, long long id, const char *step,
                       const char *note, int months, long long now, const struct mail_out *mail,
                       struct err *e);

/* The step a reply to request `id` tells the person about: the last of
 * identity, extend, done and refuse (its name into step_name, its note
 * allocated into *note: the text of the reply, the reasons). 1: none yet
 * (nothing to reply). */
int store_request_answer(struct store *st, long long id, char step_name[STORE_STEP], char **note,
                         struct err *e);
/* The reply to request `id` sent: `mail` queued (NULL: given another way,
 * as `note` says), recorded as step "reply" with `note`, audited. When a
 * reply went already since the step it answers (store_request_answer),
 * nothing is done unless `again`: 2 with *sent_at its time. 1: no such
 * request. */
int store_request_reply(struct store *st, const char *actor, long long id, const char *note,
                        int again, const struct mail_out *mail, long long *sent_at, struct err *e);
/* The note of request `id`'s last step named `step_name` (allocated;
 * when at is not NULL, its time). 1: no such step. */
int store_request_note(struct store *st, long long id, const char *step_name, char **note,
                       long long *at, struct err *e);

/* ---- the outbox ---- */

int store_outbox_add(struct store *st, const char *actor, const struct mail_out *m, struct err *e);
struct outbox_msg {
	long long id;
	char to[STORE_EMAIL];
	char *subject, *body; /* allocated: store_outbox_msg_free */
	int attempts;
};
void store_outbox_msg_free(struct outbox_msg *m);
/* The next message to send: waiting, due by `now`, oldest first. 0 with
 * *m; 1 when none is (*next: when the earliest waiting one is due, 0
 * when none waits). */
int store_outbox_next(struct store *st, long long now, struct outbox_msg *m, long long *next,
                      struct err *e);
/* A sending's outcome: sent; or failed with `error`, to be tried at
 * `next_try` (0: never again: state failed, shown to staff). */
int store_outbox_done(struct store *st, long long id, int sent, const char *error,
                      long long next_try, long long now, struct err *e);

/* ---- sessions: only the digest of a token is stored ---- */

/* A session, stored in the same write that checks its account is open,
 * confirmed and, when pw_hash is not NULL, still has that password hash
 * (the one the caller checked: a password changed or reset meanwhile
 * refuses it). 1 (nothing stored) when not, or when the digest is taken. */
int store_session_add(struct store *st, const char digest[AUTH_DIGEST_TEXT], long long user_id,
                      const char *pw_hash, long long now, struct err *e);
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
 * with `code`. One write that checks first, so parallel submissions never
 * pass the allowance: 2, storing nothing, when the user has that course's
 * certificate already; 3 when `allowed` attempts are used; 1 when the code
 * is taken (draw another); 0 stored, with *attempt_id (may be NULL). */
int store_attempt_add(struct store *st, const char *actor, long long user_id, const char *course,
                      int score, int passed, const char *wrong, const char *code, int allowed,
                      long long *attempt_id, struct err *e);

/* One stored attempt, as its result page shows it. */
struct attempt {
	long long id, user_id;
	char course[STORE_SLUG];
	int score, passed;
	char wrong[STORE_WRONG]; /* "2,5": the questions answered wrongly */
	long long at;
};

/* Attempt `id` into a (whoever made it: the caller checks a->user_id).
 * 0, 1 when there is none, -1 with e. */
int store_attempt_get(struct store *st, long long id, struct attempt *a, struct err *e);

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
/* Where post `post_id` stands in thread `thread_id` of `course`: the
 * number of visible posts before it in *before, and in *removed 1 when the
 * thread's first post is hidden or missing (its page shows no post). For
 * the URL of the page holding it (forum.h). */
int store_post_position(struct store *st, const char *course, long long thread_id,
                        long long post_id, long long *before, int *removed, struct err *e);
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
 *              "poszukujaca"), office, created, restricted (0, or since
 *              when processing is restricted: art. 18)},
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
 *                `current_digest`; NULL: none is)}],
 *    requests: [{id, right (the request form's value: "dostep",
 *                "sprzeciw" ...), scope, channel, status, received, due,
 *                extended_due (0: none), closed (0: open)}]}
 * Every list is oldest first. `contacts` holds the messages sent from the
 * user's e-mail address (compared case-insensitively, as logins are);
 * `requests` those sent from the account or confirmed from its address.
 * Times are seconds since the epoch (ints). Neither the password hash nor
 * a full session digest is in it. All of it is read in one snapshot.
 *
 * The read is audited first: action "user.read", record "user:ID", by
 * `actor`. 0 with *out set; 1 when there is no such user (nothing is
 * audited, *out is NULL); -1 with e (*out NULL). */
int store_user_data(struct store *st, const char *actor, long long user_id,
                    const char *current_digest, struct val **out, struct err *e);

/* ---- staff (formd admin) ---- */

/* The staff's reads hand their rows to a callback, one call a row, in
 * order (as store_posts does): fn(ctx, row) returns 0 to go on, anything
 * else ends the read (the function still returns 0). A row, and the text
 * it points to, are valid during the call only. The text is the
 * database's as stored, unescaped: whoever shows it escapes it (formd
 * admin does, for a terminal or for CSV). A read of personal data is
 * audited, as read by `actor`, before it is made: nothing is shown that
 * is not in the log. */

/* Text from the database: `len` bytes at `ptr` (a NUL byte among them is
 * kept); ptr is never NULL, and ptr[len] is '\0'. */
struct store_text {
	const char *ptr;
	size_t len;
};

struct store_contact_row {
	long long id, received;
	long long answered; /* 0: not yet */
	struct store_text name, email, office, subject, message;
};
/* The contact messages, oldest first: all, or of one office when office is
 * not NULL; only unanswered ones when `open`. Audited as contact.list. */
int store_admin_contacts(struct store *st, const char *actor, const char *office, int open,
                         int (*fn)(void *ctx, const struct store_contact_row *r), void *ctx,
                         struct err *e);
/* The same, every message (of one office when office is not NULL),
 * audited as contact.export: a copy taken out of formd (formd admin
 * writes it as CSV). */
int store_admin_contacts_export(struct store *st, const char *actor, const char *office,
                                int (*fn)(void *ctx, const struct store_contact_row *r), void *ctx,
                                struct err *e);
/* One message: fn is called once. Audited as contact.read. 1: none (and
 * nothing is audited). */
int store_admin_contact_show(struct store *st, const char *actor, long long id,
                             int (*fn)(void *ctx, const struct store_contact_row *r), void *ctx,
                             struct err *e);
int store_admin_contact_answered(struct store *st, const char *actor, long long id, struct err *e);

struct store_count_row {
	const char *kind;       /* "users" (the total: name is empty), "status", "office" */
	struct store_text name; /* the status ("bezrobotna" ...) or the office's slug */
	long long n;
};
/* The monitoring figures, of the open accounts whose processing is not
 * restricted: the total, then by status, then by office (counts only: no
 * personal data, not audited). */
int store_admin_user_counts(struct store *st, int (*fn)(void *ctx, const struct store_count_row *r),
                            void *ctx, struct err *e);

struct store_certificate_row {
	struct store_text code, course;
	struct store_text first_name, last_name; /* empty for a closed account */
	long long user_id, issued;
};
/* The certificates issued, by date (holders whose processing is
 * restricted left out). Audited as certificate.list. */
int store_admin_certificates(struct store *st, const char *actor,
                             int (*fn)(void *ctx, const struct store_certificate_row *r), void *ctx,
                             struct err *e);

struct store_audit_row {
	long long id, at;
	struct store_text actor, action, record;
};
/* The audit log, oldest first. */
int store_admin_audit(struct store *st, int (*fn)(void *ctx, const struct store_audit_row *r),
                      void *ctx, struct err *e);
/* One person's trail: what they did, what was done to their account and
 * to the requests sent from it. */
int store_admin_audit_user(struct store *st, long long user_id,
                           int (*fn)(void *ctx, const struct store_audit_row *r), void *ctx,
                           struct err *e);

struct store_request_row {
	long long id;
	long long due;       /* the extended due date when extended */
	long long confirmed; /* when its sender's address was confirmed; 0: not */
	struct store_text status, right, name, channel;
	int flagged; /* repeats a request received within 3 months (section 4.2) */
};
/* The requests by due date: the open ones (not done or refused, their
 * address confirmed or not); `all`: every one. Audited as request.list. */
int store_admin_requests(struct store *st, const char *actor, int all,
                         int (*fn)(void *ctx, const struct store_request_row *r), void *ctx,
                         struct err *e);

struct store_step_row {
	long long at;
	struct store_text actor, step, note;
};
/* One request with its whole history: audited as request.read, then
 * on_request(ctx, r) once, then on_step(ctx, s) for each step, oldest first
 * (either returning non-zero ends the read). 1: no such request. */
int store_admin_request_show(struct store *st, const char *actor, long long id,
                             int (*on_request)(void *ctx, const struct rights_request *r),
                             int (*on_step)(void *ctx, const struct store_step_row *s), void *ctx,
                             struct err *e);

struct store_outbox_row {
	long long id, created;
	struct store_text state; /* "waiting", "sent", "failed" */
	int attempts;
	long long next_try, sent;
	struct store_text last_error, kind, to, subject, body;
};
/* The outbox: waiting and failed messages (`all`: sent ones too), oldest
 * first, each with its text (the links in it), so that with no relay
 * staff can pass them on by hand. Audited as outbox.list. */
int store_admin_outbox(struct store *st, const char *actor, int all,
                       int (*fn)(void *ctx, const struct store_outbox_row *r), void *ctx,
                       struct err *e);
/* A failed or waiting message is tried again now. 1: none such. */
int store_admin_outbox_retry(struct store *st, const char *actor, long long id, long long now,
                             struct err *e);

/* Retention: the moment before which each kind of data is past its
 * period (site.toml [retention]); 0: the kind has no period, it is kept. */
struct purge_cutoffs {
	long long accounts; /* closed accounts' personal data: from closing */
	long long attempts; /* attempts and certificates: from when made */
	long long posts;    /* threads: from their last post */
	long long contacts; /* from receipt */
	long long requests; /* completed or refused: from closing */
	long long sessions; /* from last use */
	long long outbox;   /* sent messages: from sending */
	long long audit;    /* records: from when written */
};
/* Removes or anonymises what is past its period, and always the
 * unconfirmed requests and tokens that expired more than a day before
 * `now`; writes a count per kind ("dry run": counts only, nothing
 * changes). Audited. The courses whose forum pages changed go to
 * courses_out as in store_user_close. */
int store_purge(struct store *st, const char *actor, const struct purge_cutoffs *cut, long long now,
                int dry, FILE *out, char **courses_out, struct err *e);
/* Checks the chain: 0 when every record's hash and link hold; 1 with
 * e naming the first record that does not (changed, deleted or inserted).
 * Records cut off the end of the log leave a chain that holds: detecting
 * that needs the last hash kept elsewhere (a copy staff keep). */
int store_audit_verify(struct store *st, struct err *e);

#endif
