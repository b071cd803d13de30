/*
 * store_learning.c - the courses: test attempts, the certificates a pass
 * earns, and the forum posts (store.h).
 */
#include "store_int.h"

#include "clock.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CERT_COLS                                                                                  \
	"c.code, c.user_id, c.course, IIF(u.closed, '', u.first_name), "                           \
	"IIF(u.closed, '', u.last_name), c.issued FROM certificates c JOIN users u ON u.id = "     \
	"c.user_id"

/* attempts, certificates, forum posts */
const char *const store_sql_learning[Q_COUNT] = {
    [Q_ATTEMPTS] = "SELECT COUNT(*) FROM attempts WHERE user_id = ?1 AND course = ?2",
    [Q_ATTEMPT_ADD] = "INSERT INTO attempts (user_id, course, score, passed, wrong, at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_ATTEMPT_GET] =
        "SELECT user_id, course, score, passed, wrong, at FROM attempts WHERE id = ?1",
    [Q_CERT_COUNT] = "SELECT COUNT(*) FROM certificates WHERE user_id = ?1 AND course = ?2",
    [Q_CERT_ADD] = "INSERT INTO certificates (code, user_id, course, issued) "
                   "VALUES (?1, ?2, ?3, ?4)",
    [Q_CERT_BY_CODE] = "SELECT " CERT_COLS " WHERE c.code = ?1",
    [Q_CERT_OF] = "SELECT " CERT_COLS " WHERE c.user_id = ?1 AND c.course = ?2",
    [Q_CERTS] = "SELECT " CERT_COLS " WHERE u.restricted = 0 ORDER BY c.issued, c.code",
    [Q_POST_NEXT_ID] = "SELECT IFNULL(MAX(id), 0) + 1 FROM posts",
    [Q_POST_THREAD_OK] = "SELECT 1 FROM posts WHERE id = ?1 AND thread_id = id AND course = ?2 "
                         "AND hidden = 0",
    [Q_POST_ADD] = "INSERT INTO posts (id, thread_id, course, user_id, author, title, body, "
                   "posted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_POSTS] = "SELECT id, thread_id, course, user_id, author, title, body, posted, hidden "
                "FROM posts WHERE course = ?1 ORDER BY thread_id, id",
    [Q_POST_COURSE] = "SELECT course FROM posts WHERE id = ?1",
    [Q_POST_HIDE] = "UPDATE posts SET hidden = ?2 WHERE id = ?1",
    [Q_POST_POSITION] = "SELECT COUNT(*), IFNULL((SELECT hidden FROM posts WHERE id = ?2 AND "
                        "thread_id = id AND course = ?1), 1) FROM posts WHERE course = ?1 AND "
                        "thread_id = ?2 AND id < ?3 AND hidden = 0",
};

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
	int allowed;
	long long id; /* the attempt stored */
};

/* On the writer: the attempt, and for a pass the certificate, each with
 * its audit record, after the checks in the same write: 2 when the user
 * holds that course's certificate, 3 when the attempts allowed are used;
 * 0; 1 when the code is taken (the savepoint drops the attempt too); -1
 * with e (ERR_INPUT for a user that does not exist). */
static int run_attempt_add(struct store *st, void *arg, struct err *e)
{
	struct attempt_job *a = arg;
	struct conn *w = &st->w;
	long long now = clock_now(), certs = 0, used = 0;
	char record[RECORD_MAX];
	sqlite3_stmt *s;
	int b = 0;

	if (qnum(
	        st, w,
	        qbind(st, w, Q_CERT_COUNT, "counting certificates", e, "it", a->user_id, a->course),
	        "counting certificates", &certs, e) < 0 ||
	    qnum(st, w,
	         qbind(st, w, Q_ATTEMPTS, "counting attempts", e, "it", a->user_id, a->course),
	         "counting attempts", &used, e) < 0)
		return -1;
	if (certs > 0)
		return 2;
	if (used >= a->allowed)
		return 3;
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
	a->id = sqlite3_last_insert_rowid(w->db);
	snprintf(record, sizeof record, "attempt:%lld", a->id);
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
                      int score, int passed, const char *wrong, const char *code, int allowed,
                      long long *attempt_id, struct err *e)
{
	struct attempt_job a = {actor, user_id, course, score, passed, wrong, code, allowed, 0};
	int rc;

	if (check_actor(actor, e) < 0)
		return -1;
	if (!fits(course, STORE_SLUG))
		return err_set(e, "a course must be a slug of at most %d bytes", STORE_SLUG - 1);
	if (score < 0 || score > 100)
		return err_set(e, "a score must be 0 to 100, not %d", score);
	if (passed && (!fits(code, AUTH_CODE_TEXT) || !*code))
		return err_set(e, "a passed attempt needs a certificate code");
	rc = submit(st, run_attempt_add, &a, e);
	if (rc == 0 && attempt_id)
		*attempt_id = a.id;
	return rc;
}

int store_attempt_get(struct store *st, long long id, struct attempt *a, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc = -1;

	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = prep(st, c, Q_ATTEMPT_GET, e)))
		goto out;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		db_fail(st, c, "reading an attempt", e);
		goto out;
	}
	rc = step(st, c, s, "reading an attempt", e);
	if (rc == 0) {
		rc = 1;
	} else if (rc == 1) {
		memset(a, 0, sizeof *a);
		a->id = id;
		a->user_id = sqlite3_column_int64(s, 0);
		a->score = sqlite3_column_int(s, 2);
		a->passed = sqlite3_column_int(s, 3) != 0;
		a->at = sqlite3_column_int64(s, 5);
		rc = col_copy(s, 1, a->course, sizeof a->course) |
		             col_copy(s, 4, a->wrong, sizeof a->wrong)
		         ? too_long(st, "attempts", e)
		         : 0;
	}
out:
	reader_put(st, c);
	return rc;
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
	p->posted = clock_now();
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

struct position {
	long long before;
	int removed, found;
};

static int position_row(sqlite3_stmt *s, void *arg)
{
	struct position *p = arg;

	p->before = sqlite3_column_int64(s, 0);
	p->removed = sqlite3_column_int(s, 1) != 0;
	p->found = 1;
	return 1;
}

int store_post_position(struct store *st, const char *course, long long thread_id,
                        long long post_id, long long *before, int *removed, struct err *e)
{
	struct position p = {0, 0, 0};

	if (!course)
		return err_set(e, "no course");
	if (read_rows(st, Q_POST_POSITION, "finding a post's place", position_row, &p, e, "tii",
	              course, thread_id, post_id) < 0)
		return -1;
	if (!p.found)
		return err_kind_set(e, ERR_IO, "%s: no row counting posts", st->path);
	*before = p.before;
	*removed = p.removed;
	return 0;
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

/* ---- the staff's reads ---- */

/* Where cert_row hands the rows. */
struct cert_feed {
	int (*fn)(void *ctx, const struct store_certificate_row *r);
	void *ctx;
};

/* The CERT_COLS row s is on, to the feed's callback. */
static int cert_row(sqlite3_stmt *s, void *arg)
{
	const struct cert_feed *f = arg;
	struct store_certificate_row r;

	r.code = col_text(s, 0);
	r.user_id = sqlite3_column_int64(s, 1);
	r.course = col_text(s, 2);
	r.first_name = col_text(s, 3);
	r.last_name = col_text(s, 4);
	r.issued = sqlite3_column_int64(s, 5);
	return f->fn(f->ctx, &r);
}

int store_admin_certificates(struct store *st, const char *actor,
                             int (*fn)(void *ctx, const struct store_certificate_row *r), void *ctx,
                             struct err *e)
{
	struct cert_feed f = {fn, ctx};

	if (store_audit_read(st, actor, "certificate.list", "certificates", e) < 0)
		return -1;
	return read_rows(st, Q_CERTS, "reading certificates", cert_row, &f, e, "");
}
