/*
 * Unit tests of the store (formd/store_*.c: the schema, writes through
 * the writer thread, reads, the audit chain) and formd/admin.c (the
 * staff's command line). Each test works on a database in its own mkdtemp folder;
 * the test looks at the file with a second sqlite3 connection of its own.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admin.h"
#include "auth.h"
#include "buf.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "outbox.h"
#include "store.h"
#include "store_schema2.h"
#include "value.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* store_core.c's test-only count of committed groups (not in store.h) */
long long store_test_commits(struct store *st);

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/okienko-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/formd.db", f->dir);
	*state = f;
	return 0;
}

/* Setup, and the store opened. */
static int setup_open(void **state)
{
	struct fx *f;
	struct err e = {0};

	if (setup(state) < 0)
		return -1;
	f = *state;
	f->st = store_open(f->path, &e);
	if (!f->st)
		fprintf(stderr, "store_open: %s\n", e.msg);
	return f->st ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	int rc;

	unsetenv("OKIENKO_NOW"); /* a test that pinned the clock */
	store_close(f->st);
	rc = fs_rmtree(f->dir, &e);
	free(f);
	return rc;
}

/* ---- the test's own connection to the file ---- */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* The first column of the first row as an integer. */
static long long raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The first column of the first row as text, malloc'd (NULL: no row). */
static char *raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	char *t = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		t = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return t;
}

/* ---- helpers ---- */

static long long add_user(struct store *st, const char *email)
{
	struct user u;
	struct err e = {0};

	memset(&u, 0, sizeof u);
	snprintf(u.first_name, sizeof u.first_name, "Anna");
	snprintf(u.last_name, sizeof u.last_name, "Nowak");
	snprintf(u.email, sizeof u.email, "%s", email);
	u.status = STATUS_UNEMPLOYED;
	snprintf(u.office, sizeof u.office, "powiat-a");
	snprintf(u.pw_hash, sizeof u.pw_hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
	snprintf(u.terms_commit, sizeof u.terms_commit, "%040d", 1);
	u.terms_at = 100;
	snprintf(u.policy_commit, sizeof u.policy_commit, "%040d", 2);
	u.policy_at = 101;
	u.confirmed = 100; /* the address proved: may log in */
	if (store_user_add(st, "web", &u, &e) != 0)
		fail_msg("store_user_add: %s", e.msg);
	return u.id;
}

static long long add_contact(struct store *st, const char *name, const char *subject,
                             const char *message)
{
	struct contact c;
	struct err e = {0};

	memset(&c, 0, sizeof c);
	snprintf(c.name, sizeof c.name, "%s", name);
	snprintf(c.email, sizeof c.email, "jan@example.pl");
	snprintf(c.office, sizeof c.office, "powiat-a");
	snprintf(c.subject, sizeof c.subject, "%s", subject);
	c.message = (char *)message;
	if (store_contact_add(st, "web", &c, &e) != 0)
		fail_msg("store_contact_add: %s", e.msg);
	return c.id;
}

static long long add_post(struct store *st, long long user, const char *course, long long thread,
                          const char *body, int expect)
{
	struct post p;
	struct err e = {0};

	memset(&p, 0, sizeof p);
	p.thread_id = thread;
	snprintf(p.course, sizeof p.course, "%s", course);
	p.user_id = user;
	snprintf(p.author, sizeof p.author, "Anna N.");
	snprintf(p.title, sizeof p.title, "Pytanie");
	p.body = (char *)body;
	assert_int_equal(store_post_add(st, "user:1", &p, &e), expect);
	if (expect == 0) {
		assert_true(p.id > 0);
		assert_int_equal(p.thread_id, thread ? thread : p.id);
	}
	return p.id;
}

/* ---- opening ---- */

static void test_open_creates_schema(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct stat sb;
	sqlite3 *db;
	char *mode;

	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	mode = raw_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	/* every table, STRICT */
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM pragma_table_list WHERE strict = 1 AND "
	                             "name IN ('users', 'sessions', 'contacts', 'attempts', "
	                             "'certificates', 'posts', 'audit')"),
	                 7);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' "
	                             "AND tbl_name = 'audit'"),
	                 2);
	/* the -wal file sqlite made has the database's mode */
	{
		char wal[160];

		snprintf(wal, sizeof wal, "%s-wal", f->path);
		assert_int_equal(stat(wal, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	sqlite3_close(db);
	/* opening again migrates nothing and loses nothing */
	add_user(f->st, "a@example.pl");
	store_close(f->st);
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM users"), 1);
	sqlite3_close(db);
}

static void test_open_refuses_newer_schema(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char want[512];
	sqlite3 *db = raw_open(f->path);

	raw_exec(db, "CREATE TABLE future (x); PRAGMA user_version = 99");
	sqlite3_close(db);
	assert_null(store_open(f->path, &e));
	assert_int_equal(e.kind, ERR_INPUT);
	snprintf(want, sizeof want,
	         "%s: the database is at schema version 99, this formd knows up to %d (upgrade "
	         "formd)",
	         f->path, STORE_SCHEMA_VERSION);
	assert_string_equal(e.msg, want);
	/* and left alone */
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 99);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'users'"), 0);
	sqlite3_close(db);
}

static void test_open_bad_path(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char path[200];

	snprintf(path, sizeof path, "%s/no/such/folder/formd.db", f->dir);
	assert_null(store_open(path, &e));
	assert_int_equal(e.kind, ERR_IO);
	assert_non_null(strstr(e.msg, "no/such/folder/formd.db: cannot create"));
}

/* ---- users ---- */

static void test_users(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct user u, v;
	long long id;

	memset(&u, 0, sizeof u);
	snprintf(u.first_name, sizeof u.first_name, "Łucja");
	snprintf(u.last_name, sizeof u.last_name, "Wąs");
	snprintf(u.email, sizeof u.email, "Lucja.Was@Example.PL");
	u.status = STATUS_JOBSEEKER;
	snprintf(u.office, sizeof u.office, "filia-b");
	snprintf(u.pw_hash, sizeof u.pw_hash, "hash-1");
	snprintf(u.terms_commit, sizeof u.terms_commit, "%s", "abc");
	u.terms_at = 5;
	snprintf(u.policy_commit, sizeof u.policy_commit, "%s", "def");
	u.policy_at = 6;
	assert_int_equal(store_user_add(f->st, "web", &u, &e), 0);
	assert_true(u.id > 0);
	assert_true(u.created > 0);
	id = u.id;

	/* the same address in another case is taken */
	snprintf(u.email, sizeof u.email, "lucja.was@example.pl");
	assert_int_equal(store_user_add(f->st, "web", &u, &e), 1);
	snprintf(u.email, sizeof u.email, "LUCJA.WAS@EXAMPLE.PL");
	assert_int_equal(store_user_add(f->st, "web", &u, &e), 1);

	assert_int_equal(store_user_by_email(f->st, "lUCJA.was@example.pl", &v, &e), 0);
	assert_int_equal(v.id, id);
	assert_string_equal(v.email, "Lucja.Was@Example.PL"); /* as typed */
	assert_string_equal(v.first_name, "Łucja");
	assert_string_equal(v.last_name, "Wąs");
	assert_int_equal(v.status, STATUS_JOBSEEKER);
	assert_string_equal(v.office, "filia-b");
	assert_string_equal(v.pw_hash, "hash-1");
	assert_string_equal(v.terms_commit, "abc");
	assert_int_equal(v.terms_at, 5);
	assert_string_equal(v.policy_commit, "def");
	assert_int_equal(v.policy_at, 6);
	assert_int_equal(store_user_by_email(f->st, "nobody@example.pl", &v, &e), 1);

	assert_int_equal(store_user_by_id(f->st, id, &v, &e), 0);
	assert_string_equal(v.email, "Lucja.Was@Example.PL");
	assert_int_equal(store_user_by_id(f->st, id + 1, &v, &e), 1);

	assert_int_equal(store_user_set_hash(f->st, id, u.pw_hash, "hash-2", &e), 0);
	assert_int_equal(store_user_by_id(f->st, id, &v, &e), 0);
	assert_string_equal(v.pw_hash, "hash-2");
	assert_int_equal(store_user_set_hash(f->st, id + 1, "hash-2", "hash-3", &e), 1);
	/* compare and set: a hash changed meanwhile is not replaced */
	assert_int_equal(store_user_set_hash(f->st, id, "hash-1", "hash-3", &e), 1);
	assert_int_equal(store_user_by_id(f->st, id, &v, &e), 0);
	assert_string_equal(v.pw_hash, "hash-2");

	/* a field that is not a string of its size is refused */
	memset(u.office, 'x', sizeof u.office);
	assert_int_equal(store_user_add(f->st, "web", &u, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
}

/* ---- sessions ---- */

static void test_sessions(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char d1[AUTH_DIGEST_TEXT], d2[AUTH_DIGEST_TEXT], d3[AUTH_DIGEST_TEXT];
	long long uid = add_user(f->st, "s@example.pl"), got = 0;
	sqlite3 *db = raw_open(f->path);

	auth_digest("token-1", 7, d1);
	auth_digest("token-2", 7, d2);
	auth_digest("token-3", 7, d3);
	assert_int_equal(store_session_add(f->st, d1, uid, NULL, 1000, &e), 0);
	assert_int_equal(store_session_add(f->st, d1, uid, NULL, 1000, &e), 1); /* taken */
	assert_int_equal(store_session_add(f->st, d2, uid + 99, NULL, 1000, &e),
	                 1); /* no such user */

	/* live; a use within a minute does not write */
	assert_int_equal(store_session_user(f->st, d1, 1030, 1800, 43200, &got, &e), 0);
	assert_int_equal(got, uid);
	assert_int_equal(raw_int(db, "SELECT last_used FROM sessions"), 1000);
	/* a minute later it does */
	assert_int_equal(store_session_user(f->st, d1, 1060, 1800, 43200, &got, &e), 0);
	assert_int_equal(raw_int(db, "SELECT last_used FROM sessions"), 1060);
	/* idle expiry: 1800 s unused is still live, 1801 s is not, and it is gone */
	assert_int_equal(store_session_user(f->st, d1, 1060 + 1800, 1800, 43200, &got, &e), 0);
	assert_int_equal(store_session_user(f->st, d1, 1060 + 1800 + 1801, 1800, 43200, &got, &e),
	                 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sessions"), 0);
	assert_int_equal(store_session_user(f->st, d1, 1000, 1800, 43200, &got, &e), 1);

	/* absolute expiry: used every 1000 s, it ends 3000 s after its start */
	assert_int_equal(store_session_add(f->st, d2, uid, NULL, 10000, &e), 0);
	assert_int_equal(store_session_user(f->st, d2, 11000, 1800, 3000, &got, &e), 0);
	assert_int_equal(store_session_user(f->st, d2, 12000, 1800, 3000, &got, &e), 0);
	assert_int_equal(store_session_user(f->st, d2, 13000, 1800, 3000, &got, &e), 0);
	assert_int_equal(store_session_user(f->st, d2, 13001, 1800, 3000, &got, &e), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sessions"), 0);

	/* logout */
	assert_int_equal(store_session_add(f->st, d3, uid, NULL, 20000, &e), 0);
	assert_int_equal(store_session_delete(f->st, d3, &e), 0);
	assert_int_equal(store_session_delete(f->st, d3, &e), 1);
	assert_int_equal(store_session_user(f->st, d3, 20001, 1800, 43200, &got, &e), 1);
	/* sessions are not personal-data changes: only the user.create record */
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit"), 1);
	sqlite3_close(db);
}

/* ---- contact messages ---- */

static void test_contacts_verbatim(void **state)
{
	static const char evil[] = "'; DROP TABLE contacts; --";
	static const char text[] = "Zażółć gęślą jaźń \"cytat\"\nDruga linia\t€ 😀 ?1 %s";
	struct fx *f = *state;
	sqlite3 *db = raw_open(f->path);
	long long id1, id2;
	char *t;

	id1 = add_contact(f->st, evil, evil, text);
	id2 = add_contact(f->st, "Ewa", "Pytanie", evil);
	assert_true(id1 > 0 && id2 == id1 + 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM contacts"), 2);
	t = raw_text(db, "SELECT name FROM contacts WHERE id = 1");
	assert_string_equal(t, evil);
	free(t);
	t = raw_text(db, "SELECT subject FROM contacts WHERE id = 1");
	assert_string_equal(t, evil);
	free(t);
	t = raw_text(db, "SELECT message FROM contacts WHERE id = 1");
	assert_string_equal(t, text);
	free(t);
	t = raw_text(db, "SELECT message FROM contacts WHERE id = 2");
	assert_string_equal(t, evil);
	free(t);
	assert_int_equal(
	    raw_int(db, "SELECT received > 0 AND answered = 0 FROM contacts WHERE id = 2"), 1);
	sqlite3_close(db);
}

/* ---- tests and certificates ---- */

/* store_contact_add_async: the caller does not wait; every callback comes,
 * after its message is on disk, once; close drains what is queued. */
struct async_count {
	atomic_int ok, failed, calls;
};

static void async_done(void *arg, int rc, const struct err *e)
{
	struct async_count *c = arg;

	(void)e;
	atomic_fetch_add(&c->calls, 1);
	if (rc == 0)
		atomic_fetch_add(&c->ok, 1);
	else
		atomic_fetch_add(&c->failed, 1);
}

static void test_contact_async(void **state)
{
	struct fx *f = *state;
	struct async_count c;
	struct contact ct;
	struct err e = {0};
	sqlite3 *db;
	int i;

	memset(&c, 0, sizeof c);
	memset(&ct, 0, sizeof ct);
	snprintf(ct.name, sizeof ct.name, "Asynchroniczna");
	snprintf(ct.email, sizeof ct.email, "a@example.pl");
	snprintf(ct.subject, sizeof ct.subject, "temat");
	for (i = 0; i < 200; i++) {
		char msg[32];

		snprintf(msg, sizeof msg, "wiadomość %d", i);
		ct.message = msg; /* copied by the store: the buffer goes away now */
		assert_int_equal(store_contact_add_async(f->st, "web", &ct, async_done, &c, &e), 0);
	}
	/* closing drains the queue: every callback has run when it returns */
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(atomic_load(&c.calls), 200);
	assert_int_equal(atomic_load(&c.ok), 200);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM contacts WHERE name = 'Asynchroniczna'"),
	                 200);
	assert_int_equal(raw_int(db, "SELECT COUNT(DISTINCT message) FROM contacts"), 200);
	sqlite3_close(db);
	/* a closed store queues nothing and calls nothing */
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(store_contact_add_async(f->st, "", &ct, async_done, &c, &e), -1);
	assert_int_equal(atomic_load(&c.calls), 200);
}

static void test_attempts_and_certificates(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct certificate c;
	char code[AUTH_CODE_TEXT], code2[AUTH_CODE_TEXT];
	long long uid = add_user(f->st, "t@example.pl"), n = -1;
	sqlite3 *db;

	auth_code(code);
	auth_code(code2);
	assert_int_equal(store_attempts(f->st, uid, "komunikacja", &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "komunikacja", 40, 0, "2,5", NULL, 3, NULL, &e),
	    0);
	assert_int_equal(store_attempts(f->st, uid, "komunikacja", &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_certificate_of(f->st, uid, "komunikacja", &c, &e), 1);
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "komunikacja", 90, 1, "", code, 3, NULL, &e),
	    0);
	assert_int_equal(store_attempts(f->st, uid, "komunikacja", &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_attempts(f->st, uid, "cv", &n, &e), 0);
	assert_int_equal(n, 0);

	memset(&c, 0, sizeof c);
	assert_int_equal(store_certificate(f->st, code, &c, &e), 0);
	assert_string_equal(c.code, code);
	assert_int_equal(c.user_id, uid);
	assert_string_equal(c.course, "komunikacja");
	assert_string_equal(c.first_name, "Anna");
	assert_string_equal(c.last_name, "Nowak");
	assert_true(c.issued > 0);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_certificate_of(f->st, uid, "komunikacja", &c, &e), 0);
	assert_string_equal(c.code, code);
	assert_int_equal(store_certificate_of(f->st, uid, "cv", &c, &e), 1);
	assert_int_equal(store_certificate(f->st, "AAAA-BBBB-CCCC-DDDD", &c, &e), 1);

	/* a second pass of the same course: nothing is stored, not even the
	 * attempt (one transaction) */
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "komunikacja", 95, 1, "", code2, 3, NULL, &e),
	    2);
	assert_int_equal(store_attempts(f->st, uid, "komunikacja", &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_certificate(f->st, code2, &c, &e), 1);
	/* a code already given is refused too */
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "cv", 95, 1, "", code, 3, NULL, &e), 1);
	/* a pass needs a code; a user must exist; a score is a percentage */
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "cv", 95, 1, "", NULL, 3, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid + 5, "cv", 10, 0, "1", NULL, 3, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "cv", 101, 0, "", NULL, 3, NULL, &e), -1);

	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM attempts"), 2);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM certificates"), 1);
	sqlite3_close(db);
}

/* ---- forum ---- */

struct seen {
	long long id[16];
	long long thread[16];
	int hidden[16];
	char body[16][32];
	int n;
};

static int collect(void *ctx, const struct post *p)
{
	struct seen *s = ctx;

	if (s->n >= 16)
		return 1;
	s->id[s->n] = p->id;
	s->thread[s->n] = p->thread_id;
	s->hidden[s->n] = p->hidden;
	snprintf(s->body[s->n], sizeof s->body[0], "%s", p->body);
	s->n++;
	return 0;
}

static void test_posts(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct seen s;
	char course[STORE_SLUG];
	long long uid = add_user(f->st, "p@example.pl");
	long long a, b, ra, rb, other;

	a = add_post(f->st, uid, "komunikacja", 0, "watek A", 0);
	other = add_post(f->st, uid, "cv", 0, "inny kurs", 0);
	b = add_post(f->st, uid, "komunikacja", 0, "watek B", 0);
	rb = add_post(f->st, uid, "komunikacja", b, "odpowiedz B", 0);
	ra = add_post(f->st, uid, "komunikacja", a, "odpowiedz A", 0);
	add_post(f->st, uid, "komunikacja", 9999, "nigdzie", 1);
	add_post(f->st, uid, "komunikacja", other, "inny kurs", 1); /* a thread of another course */
	add_post(f->st, uid, "komunikacja", ra, "do odpowiedzi", 1); /* a reply is no thread */

	memset(&s, 0, sizeof s);
	assert_int_equal(store_posts(f->st, "komunikacja", collect, &s, &e), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.id[0], a);
	assert_int_equal(s.id[1], ra);
	assert_int_equal(s.id[2], b);
	assert_int_equal(s.id[3], rb);
	assert_int_equal(s.thread[1], a);
	assert_int_equal(s.thread[3], b);
	assert_string_equal(s.body[1], "odpowiedz A");
	assert_int_equal(s.hidden[1], 0);

	assert_int_equal(store_post_hide(f->st, "admin:anna", ra, 1, course, &e), 0);
	assert_string_equal(course, "komunikacja");
	memset(&s, 0, sizeof s);
	assert_int_equal(store_posts(f->st, "komunikacja", collect, &s, &e), 0);
	assert_int_equal(s.n, 4); /* hidden ones too, flagged */
	assert_int_equal(s.hidden[1], 1);
	assert_int_equal(store_post_hide(f->st, "admin:anna", ra, 0, course, &e), 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(store_posts(f->st, "komunikacja", collect, &s, &e), 0);
	assert_int_equal(s.hidden[1], 0);
	assert_int_equal(store_post_hide(f->st, "admin:anna", 9999, 1, course, &e), 1);

	/* fn stops the walk */
	memset(&s, 0, sizeof s);
	s.n = 16;
	assert_int_equal(store_posts(f->st, "komunikacja", collect, &s, &e), 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(store_posts(f->st, "nic", collect, &s, &e), 0);
	assert_int_equal(s.n, 0);
}

/* ---- group commit ---- */

#define WRITERS 16
#define WRITES 50

struct writer_arg {
	struct store *st;
	int index;
	int failures;
	struct err first; /* the first failure */
};

static void *writer_thread(void *p)
{
	struct writer_arg *w = p;
	int i;

	for (i = 0; i < WRITES; i++) {
		struct contact c;
		struct err e = {0};

		memset(&c, 0, sizeof c);
		snprintf(c.name, sizeof c.name, "thread %d", w->index);
		snprintf(c.email, sizeof c.email, "t%d@example.pl", w->index);
		snprintf(c.office, sizeof c.office, "powiat-a");
		snprintf(c.subject, sizeof c.subject, "message %d", i);
		c.message = "hello";
		if (store_contact_add(w->st, "web", &c, &e) != 0 || c.id <= 0) {
			if (!w->failures++)
				w->first = e;
		}
	}
	return NULL;
}

static void test_group_commit(void **state)
{
	struct fx *f = *state;
	struct writer_arg w[WRITERS];
	pthread_t t[WRITERS];
	long long before = store_test_commits(f->st), commits;
	struct err e = {0};
	sqlite3 *db;
	int i;

	for (i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].st = f->st;
		w[i].index = i;
		assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
	}
	for (i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < WRITERS; i++)
		if (w[i].failures)
			fail_msg("thread %d: %d failures, the first: %s", i, w[i].failures,
			         w[i].first.msg);
	commits = store_test_commits(f->st) - before;
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM contacts"), WRITERS * WRITES);
	assert_int_equal(raw_int(db, "SELECT COUNT(DISTINCT name || subject) FROM contacts"),
	                 WRITERS * WRITES);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit WHERE action = 'contact.create'"),
	                 WRITERS * WRITES);
	sqlite3_close(db);
	/* waiting writers were committed together */
	print_message("      %d writes in %lld commits\n", WRITERS * WRITES, commits);
	assert_true(commits >= 1);
	assert_true(commits < WRITERS * WRITES);
	assert_int_equal(store_audit_verify(f->st, &e), 0);
}

/* Half the threads add the same e-mail (one wins, the rest get 1) or an
 * attempt of a user that does not exist (-1), the other half contact
 * messages: a failing write rolls back its own savepoint only, so every
 * message of the groups it shared is there. */
struct mixed_arg {
	struct store *st;
	int index;
	int ok, taken, refused, other;
};

static void *mixed_thread(void *p)
{
	struct mixed_arg *m = p;
	int i, rc;

	for (i = 0; i < 20; i++) {
		struct err e = {0};

		if (m->index % 2) {
			struct contact c;

			memset(&c, 0, sizeof c);
			snprintf(c.name, sizeof c.name, "t%d", m->index);
			c.message = "x";
			rc = store_contact_add(m->st, "web", &c, &e);
		} else if (i % 2) {
			struct user u;

			memset(&u, 0, sizeof u);
			snprintf(u.email, sizeof u.email, "Same@example.pl");
			rc = store_user_add(m->st, "web", &u, &e);
		} else {
			rc = store_attempt_add(m->st, "user:9", 999999, "cv", 50, 0, "", NULL, 3,
			                       NULL, &e);
			if (rc < 0 && e.kind == ERR_INPUT)
				rc = 2;
		}
		if (rc == 0)
			m->ok++;
		else if (rc == 1)
			m->taken++;
		else if (rc == 2)
			m->refused++;
		else
			m->other++;
	}
	return NULL;
}

static void test_group_failures_alone(void **state)
{
	struct fx *f = *state;
	struct mixed_arg m[8];
	pthread_t t[8];
	int i, ok = 0, taken = 0, refused = 0, other = 0;
	struct err e = {0};
	sqlite3 *db;

	for (i = 0; i < 8; i++) {
		memset(&m[i], 0, sizeof m[i]);
		m[i].st = f->st;
		m[i].index = i;
		assert_int_equal(pthread_create(&t[i], NULL, mixed_thread, &m[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += m[i].ok;
		taken += m[i].taken;
		refused += m[i].refused;
		other += m[i].other;
	}
	assert_int_equal(other, 0);
	assert_int_equal(ok, 4 * 20 + 1); /* the messages and one user */
	assert_int_equal(taken, 4 * 10 - 1);
	assert_int_equal(refused, 4 * 10);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM contacts"), 4 * 20);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM users"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM attempts"), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit"), 4 * 20 + 1);
	sqlite3_close(db);
	assert_int_equal(store_audit_verify(f->st, &e), 0);
}

/* ---- the audit log ---- */

/* The audit log's "action record" lines, in order, joined with '\n'. */
static char *audit_lines(sqlite3 *db)
{
	return raw_text(db, "SELECT group_concat(actor || ' ' || action || ' ' || record, "
	                    "char(10)) FROM (SELECT * FROM audit ORDER BY id)");
}

/* Row callbacks of the staff reads that count the rows (ctx: an int). */
static int count_contact(void *ctx, const struct store_contact_row *r)
{
	(void)r;
	++*(int *)ctx;
	return 0;
}

static int count_cert(void *ctx, const struct store_certificate_row *r)
{
	(void)r;
	++*(int *)ctx;
	return 0;
}

static int count_count(void *ctx, const struct store_count_row *r)
{
	(void)r;
	++*(int *)ctx;
	return 0;
}

static int count_audit(void *ctx, const struct store_audit_row *r)
{
	(void)r;
	++*(int *)ctx;
	return 0;
}

static void test_audit_records(void **state)
{
	static const char want[] = "web user.create user:1\n"
	                           "web contact.create contact:1\n"
	                           "user:1 attempt.create attempt:1\n"
	                           "user:1 certificate.create certificate:%s\n"
	                           "user:1 post.create post:1\n"
	                           "admin:anna post.hide post:1\n"
	                           "admin:anna post.show post:1\n"
	                           "admin:anna contact.list contacts office=powiat-a open\n"
	                           "admin:anna contact.read contact:1\n"
	                           "admin:anna contact.answered contact:1\n"
	                           "admin:anna contact.export contacts\n"
	                           "admin:anna certificate.list certificates";
	struct fx *f = *state;
	struct err e = {0};
	char code[AUTH_CODE_TEXT], course[STORE_SLUG], expect[1024];
	long long uid;
	sqlite3 *db;
	char *lines;
	int rows = 0;

	auth_code(code);
	uid = add_user(f->st, "a@example.pl");
	add_contact(f->st, "Jan", "Temat", "Tekst");
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "cv", 100, 1, "", code, 3, NULL, &e), 0);
	add_post(f->st, uid, "cv", 0, "tekst", 0);
	assert_int_equal(store_post_hide(f->st, "admin:anna", 1, 1, course, &e), 0);
	assert_int_equal(store_post_hide(f->st, "admin:anna", 1, 0, course, &e), 0);
	assert_int_equal(
	    store_admin_contacts(f->st, "admin:anna", "powiat-a", 1, count_contact, &rows, &e), 0);
	assert_int_equal(store_admin_contact_show(f->st, "admin:anna", 1, count_contact, &rows, &e),
	                 0);
	assert_int_equal(store_admin_contact_show(f->st, "admin:anna", 2, count_contact, &rows, &e),
	                 1);
	assert_int_equal(store_admin_contact_answered(f->st, "admin:anna", 1, &e), 0);
	assert_int_equal(store_admin_contact_answered(f->st, "admin:anna", 2, &e), 1);
	assert_int_equal(
	    store_admin_contacts_export(f->st, "admin:anna", NULL, count_contact, &rows, &e), 0);
	assert_int_equal(store_admin_certificates(f->st, "admin:anna", count_cert, &rows, &e), 0);
	/* not audited: counts, the log itself, the daemon's own reads */
	assert_int_equal(store_admin_user_counts(f->st, count_count, &rows, &e), 0);
	assert_int_equal(store_admin_audit(f->st, count_audit, &rows, &e), 0);
	/* the office's unanswered message, it shown, it exported; the
	 * certificate; 3 counts; 12 audit records before the last read */
	assert_int_equal(rows, 1 + 1 + 1 + 1 + 3 + 12);

	db = raw_open(f->path);
	lines = audit_lines(db);
	snprintf(expect, sizeof expect, want, code);
	assert_string_equal(lines, expect);
	free(lines);
	/* the chain: the first links to "", each to the one before */
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit a JOIN audit b ON b.id = a.id + 1 "
	                             "WHERE b.prev != a.hash"),
	                 0);
	assert_int_equal(
	    raw_int(db, "SELECT prev = '' AND length(hash) = 64 FROM audit WHERE id = 1"), 1);
	sqlite3_close(db);
	assert_int_equal(store_audit_verify(f->st, &e), 0);
}

static void test_audit_append_only(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;

	add_user(f->st, "a@example.pl");
	db = raw_open(f->path);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE audit SET actor = 'x'", NULL, NULL, NULL),
	                     SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit WHERE actor = 'web'"), 1);
	sqlite3_close(db);
}

/* Four contact messages: audit records 1 to 4. */
static sqlite3 *four_records(struct fx *f)
{
	struct err e = {0};
	int i;

	for (i = 0; i < 4; i++)
		add_contact(f->st, "Jan", "Temat", "Tekst");
	assert_int_equal(store_audit_verify(f->st, &e), 0);
	return raw_open(f->path);
}

static void test_audit_verify_changed(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	sqlite3 *db = four_records(f);

	raw_exec(db, "DROP TRIGGER audit_no_update");
	raw_exec(db, "UPDATE audit SET record = 'contact:99' WHERE id = 2");
	sqlite3_close(db);
	assert_int_equal(store_audit_verify(f->st, &e), 1);
	assert_string_equal(e.msg, "audit record 2: its hash does not match its content");
}

static void test_audit_verify_rehashed(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char text[512], hash[AUTH_DIGEST_TEXT], sql[512];
	sqlite3 *db = four_records(f);
	char *prev = raw_text(db, "SELECT prev FROM audit WHERE id = 2");
	long long at = raw_int(db, "SELECT at FROM audit WHERE id = 2");

	/* a careful forger fixes record 2's own hash: record 3's link breaks */
	snprintf(text, sizeof text, "%s|%lld|web|contact.create|contact:99", prev, at);
	free(prev);
	auth_digest(text, strlen(text), hash);
	snprintf(
	    sql, sizeof sql,
	    "DROP TRIGGER audit_no_update; UPDATE audit SET record = 'contact:99', hash = '%s' "
	    "WHERE id = 2",
	    hash);
	raw_exec(db, sql);
	sqlite3_close(db);
	assert_int_equal(store_audit_verify(f->st, &e), 1);
	assert_string_equal(e.msg, "audit record 3: its link does not match the record before");
}

static void test_audit_verify_deleted(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	sqlite3 *db = four_records(f);

	raw_exec(db, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2");
	sqlite3_close(db);
	assert_int_equal(store_audit_verify(f->st, &e), 1);
	assert_string_equal(e.msg, "audit record 3: record 2 before it is missing");
	/* the first one too */
	db = raw_open(f->path);
	raw_exec(db, "DELETE FROM audit WHERE id = 1");
	sqlite3_close(db);
	assert_int_equal(store_audit_verify(f->st, &e), 1);
	assert_string_equal(e.msg, "audit records 1 to 2 are missing (no purge says so)");
}

/* ---- the rights (schema 2) ---- */

/* A request from an account, received at once (no token). */
static long long add_request(struct store *st, long long user, const char *right)
{
	struct rights_request r;
	struct err e = {0};

	memset(&r, 0, sizeof r);
	r.user_id = user;
	snprintf(r.name, sizeof r.name, "Anna Nowak");
	snprintf(r.email, sizeof r.email, "anna@example.pl");
	snprintf(r.right, sizeof r.right, "%s", right);
	snprintf(r.channel, sizeof r.channel, "email");
	r.scope = "zakres";
	assert_int_equal(store_request_add(st, "user:1", &r, NULL, 0, NULL, &e), 0);
	assert_true(r.received > 0 && r.due > r.received);
	return r.id;
}

/* t's date in Warsaw as letters write it ("28.02.2026"); a static buffer */
static const char *date_pl(long long t)
{
	static char out[32];
	struct buf b = BUF_INIT;

	fmt_date_pl(&b, t);
	snprintf(out, sizeof out, "%s", b.ptr ? b.ptr : "");
	buf_free(&b);
	return out;
}

static void test_request_rules(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct rights_request r;
	long long uid, now, id, id2;
	sqlite3 *db;

	/* received 31.01 just after midnight in Warsaw (30.01 on the UTC date) */
	setenv("OKIENKO_NOW", "2026-01-31 00:30", 1);
	now = clock_now();
	assert_int_equal(now, 1769815800LL); /* 2026-01-30 23:30 UTC */
	uid = add_user(f->st, "anna@example.pl");
	id = add_request(f->st, uid, "dostep");
	/* due a calendar month after receipt, on the Warsaw date (the UTC
	 * date gave 01.03.2026) */
	assert_int_equal(store_request_get(f->st, id, &r, &e), 0);
	assert_int_equal(r.received, now);
	assert_string_equal(date_pl(r.received), "31.01.2026");
	assert_string_equal(date_pl(r.due), "28.02.2026");
	assert_int_equal(r.due, 1772235000LL); /* 28.02.2026 00:30 Warsaw */
	assert_int_equal(r.flagged, 0);
	store_request_free(&r);
	/* the same right again within 3 months: flagged; another right: not */
	id2 = add_request(f->st, uid, "dostep");
	assert_int_equal(store_request_get(f->st, id2, &r, &e), 0);
	assert_int_equal(r.flagged, 1);
	store_request_free(&r);
	assert_int_equal(store_request_get(f->st, add_request(f->st, uid, "sprzeciw"), &r, &e), 0);
	assert_int_equal(r.flagged, 0);
	store_request_free(&r);
	/* extension: 1 or 2 months, with reasons, once, within the first month */
	assert_int_equal(store_request_step(f->st, "admin:x", id, "extend", "", 2, now, NULL, &e),
	                 -1);
	assert_int_equal(store_request_step(f->st, "admin:x", id, "extend", "r", 3, now, NULL, &e),
	                 -1);
	assert_int_equal(store_request_step(f->st, "admin:x", id, "extend", "r", 2, now, NULL, &e),
	                 0);
	assert_int_equal(store_request_get(f->st, id, &r, &e), 0);
	assert_string_equal(r.status, "extended");
	assert_string_equal(date_pl(r.due), "28.02.2026");
	/* two months after the due date, across the change to summer time:
	 * 00:30 Warsaw again */
	assert_string_equal(date_pl(r.extended_due), "28.04.2026");
	assert_int_equal(r.extended_due, 1777329000LL); /* 28.04.2026 00:30 +02:00 */
	store_request_free(&r);
	assert_int_equal(store_request_step(f->st, "admin:x", id, "extend", "r", 1, now, NULL, &e),
	                 -1);
	assert_non_null(strstr(e.msg, "only once"));
	assert_int_equal(store_request_step(f->st, "admin:x", id2, "extend", "r", 1,
	                                    now + 40 * 86400LL, NULL, &e),
	                 -1);
	assert_non_null(strstr(e.msg, "first month"));
	/* a refusal needs reasons; a closed request takes no more steps */
	assert_int_equal(store_request_step(f->st, "admin:x", id2, "refuse", "", 0, now, NULL, &e),
	                 -1);
	assert_int_equal(
	    store_request_step(f->st, "admin:x", id2, "refuse", "bo", 0, now, NULL, &e), 0);
	assert_int_equal(store_request_step(f->st, "admin:x", id2, "done", NULL, 0, now, NULL, &e),
	                 -1);
	assert_int_equal(store_request_step(f->st, "admin:x", 999, "done", NULL, 0, now, NULL, &e),
	                 1);
	/* each step in the request's history and the audit log */
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM request_steps WHERE request_id = 1"), 2);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit WHERE action = 'request.extend'"),
	                 1);
	sqlite3_close(db);
}

/* Regression (issue 12, finding 16): received 15.10.2026 00:30 in Warsaw
 * (summer time: 14.10 on the UTC date), due 15.11 (winter time); the UTC
 * date gave 14.11.2026. */
static void test_request_due_warsaw_october(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct rights_request r;
	long long uid = add_user(f->st, "anna@example.pl");

	setenv("OKIENKO_NOW", "2026-10-15 00:30", 1);
	assert_int_equal(clock_now(), 1792017000LL); /* 2026-10-14 22:30 UTC */
	assert_int_equal(store_request_get(f->st, add_request(f->st, uid, "dostep"), &r, &e), 0);
	assert_int_equal(r.received, 1792017000LL);
	assert_string_equal(date_pl(r.received), "15.10.2026");
	assert_string_equal(date_pl(r.due), "15.11.2026");
	assert_int_equal(r.due, 1794699000LL); /* 15.11.2026 00:30 +01:00 */
	store_request_free(&r);
}

/* An extension counts months on the Warsaw date too: due 31.08 00:30
 * (30.08 on the UTC date), two months more is 31.10 (the UTC date gave
 * 30.10: 30.10 22:30 UTC). */
static void test_request_extend_warsaw(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct rights_request r;
	long long uid = add_user(f->st, "anna@example.pl"), id, now;

	setenv("OKIENKO_NOW", "2026-07-31 00:30", 1);
	now = clock_now();
	id = add_request(f->st, uid, "dostep");
	assert_int_equal(store_request_get(f->st, id, &r, &e), 0);
	assert_string_equal(date_pl(r.due), "31.08.2026");
	store_request_free(&r);
	assert_int_equal(
	    store_request_step(f->st, "admin:x", id, "extend", "zawiłe", 2, now, NULL, &e), 0);
	assert_int_equal(store_request_get(f->st, id, &r, &e), 0);
	assert_string_equal(date_pl(r.extended_due), "31.10.2026");
	assert_int_equal(r.extended_due, 1793403000LL); /* 31.10.2026 00:30 +01:00 */
	store_request_free(&r);
	/* and by one month, into a shorter month: the last day of it */
	setenv("OKIENKO_NOW", "2026-08-31 00:30", 1);
	id = add_request(f->st, uid, "sprostowanie");
	assert_int_equal(store_request_get(f->st, id, &r, &e), 0);
	assert_string_equal(date_pl(r.due), "30.09.2026");
	store_request_free(&r);
	assert_int_equal(
	    store_request_step(f->st, "admin:x", id, "extend", "zawiłe", 1, clock_now(), NULL, &e),
	    0);
	assert_int_equal(store_request_get(f->st, id, &r, &e), 0);
	assert_string_equal(date_pl(r.extended_due), "30.10.2026");
	store_request_free(&r);
}

static void test_token_single_use(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char digest[AUTH_DIGEST_TEXT], hash[AUTH_HASH_MAX];
	struct mail_out m = {"password.reset", "anna@example.pl", "Temat", "Treść z linkiem"};
	long long uid = add_user(f->st, "anna@example.pl"), who = 0, now = (long long)time(NULL);
	sqlite3 *db;

	auth_digest("token-a", 7, digest);
	assert_int_equal(
	    store_token_add(f->st, "user:1", digest, TOKEN_RESET, uid, NULL, now + 3600, &m, &e),
	    0);
	/* the message went into the outbox with the token, in one transaction */
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM outbox WHERE state = 'waiting'"), 1);
	sqlite3_close(db);
	assert_int_equal(store_token_peek(f->st, digest, TOKEN_RESET, now, &who, NULL, &e), 0);
	assert_int_equal(who, uid);
	/* of another kind it does not work */
	assert_int_equal(store_token_peek(f->st, digest, TOKEN_EMAIL, now, &who, NULL, &e), 1);
	snprintf(hash, sizeof hash, "$argon2id$new");
	assert_int_equal(store_password_reset(f->st, digest, now, hash, &who, &e), 0);
	assert_int_equal(store_password_reset(f->st, digest, now, hash, &who, &e), 1);
	/* an expired one does not either */
	auth_digest("token-b", 7, digest);
	assert_int_equal(
	    store_token_add(f->st, "user:1", digest, TOKEN_RESET, uid, NULL, now + 10, NULL, &e),
	    0);
	assert_int_equal(store_password_reset(f->st, digest, now + 11, hash, &who, &e), 1);
}

static void test_purge_audit(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct purge_cutoffs cut;
	long long now = (long long)time(NULL), before, after;
	FILE *out = tmpfile();
	sqlite3 *db;

	add_user(f->st, "anna@example.pl");
	add_user(f->st, "bartek@example.pl");
	assert_int_equal(store_audit_verify(f->st, &e), 0);
	db = raw_open(f->path);
	before = raw_int(db, "SELECT COUNT(*) FROM audit");
	/* a dry run with every record past its period changes nothing */
	memset(&cut, 0, sizeof cut);
	cut.audit = now + 10;
	assert_int_equal(store_purge(f->st, "admin:x", &cut, now, 1, out, NULL, &e), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit"), before);
	/* a real one removes them; the chain still verifies from its new start */
	assert_int_equal(store_purge(f->st, "admin:x", &cut, now, 0, out, NULL, &e), 0);
	after = raw_int(db, "SELECT COUNT(*) FROM audit WHERE action = 'user.create'");
	assert_int_equal(after, 0);
	assert_true(before >= 2);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit WHERE action = 'audit.purge'"), 1);
	assert_int_equal(store_audit_verify(f->st, &e), 0);
	/* the records are still append-only */
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
	/* the purge's own mark removed: the missing start is reported */
	raw_exec(db,
	         "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE action = 'audit.purge'");
	sqlite3_close(db);
	assert_int_equal(store_audit_verify(f->st, &e), 1);
	assert_non_null(strstr(e.msg, "are missing"));
	fclose(out);
}

static void test_outbox_retries(void **state)
{
	(void)state;
	/* 1, 2, 4 ... minutes after failures, at most an hour apart */
	assert_int_equal(outbox_next_try(1, 0, 60, 1000), 1060);
	assert_int_equal(outbox_next_try(2, 421, 60, 1000), 1120);
	assert_int_equal(outbox_next_try(3, 0, 60, 1000), 1240);
	assert_int_equal(outbox_next_try(10, 0, 60, 1000), 4600);
	/* a permanent refusal, or too many tries: never again */
	assert_int_equal(outbox_next_try(1, 550, 60, 1000), 0);
	assert_int_equal(outbox_next_try(OUTBOX_TRIES, 0, 60, 1000), 0);
}

/* ---- admin ---- */

struct run {
	int code;
	char *out, *err;
};

/* Runs `formd admin LINE` (words split at spaces) as login "anna". */
static struct run admin(struct store *st, const char *line)
{
	char copy[256], *argv[16], *w, *save = NULL;
	size_t outlen = 0, errlen = 0;
	struct run r = {0, NULL, NULL};
	FILE *out = open_memstream(&r.out, &outlen);
	FILE *err = open_memstream(&r.err, &errlen);
	int argc = 0;

	assert_non_null(out);
	assert_non_null(err);
	snprintf(copy, sizeof copy, "%s", line);
	for (w = strtok_r(copy, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	r.code = admin_main(st, NULL, "anna", argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Runs a command, checks its exit code and that `in` ("out" or "err")
 * contains `text`. */
static void check_admin(struct store *st, const char *line, int code, const char *where,
                        const char *text)
{
	struct run r = admin(st, line);
	const char *got = strcmp(where, "out") == 0 ? r.out : r.err;

	if (r.code != code || !strstr(got, text))
		fail_msg("formd admin %s: exit %d (want %d), %s does not hold \"%s\":\n%s", line,
		         r.code, code, where, text, got);
	run_free(&r);
}

static void test_admin_commands(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char code[AUTH_CODE_TEXT], line[128];
	long long uid = add_user(f->st, "a@example.pl");
	struct run r;

	auth_code(code);
	add_contact(f->st, "Jan Kowalski", "Pytanie \x1b[31mczerwone", "Linia 1\nLinia 2\r\\");
	add_contact(f->st, "=HYPERLINK(\"x\")", "CSV, \"cudzysłów\"", "Tekst");
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "cv", 100, 1, "", code, 3, NULL, &e), 0);
	add_post(f->st, uid, "komunikacja", 0, "tekst", 0);

	check_admin(f->st, "", 2, "err", "usage: formd admin");
	check_admin(f->st, "help", 0, "out", "usage: formd admin");
	check_admin(f->st, "bogus", 2, "err", "unknown command: bogus");

	check_admin(f->st, "contacts", 0, "out",
	            "  open      powiat-a  Jan Kowalski <jan@example.pl>  "
	            "Pytanie \\x1b[31mczerwone\n");
	check_admin(f->st, "contacts --office filia-b", 0, "out", "");
	check_admin(f->st, "contacts --office ../x", 2, "err", "not an office slug");
	check_admin(f->st, "contacts --bogus", 2, "err", "unexpected argument: --bogus");

	/* control characters come out as \xNN, never raw */
	r = admin(f->st, "contact show 1");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "subject:  Pytanie \\x1b[31mczerwone\n"));
	assert_non_null(strstr(r.out, "message:\n  Linia 1\n  Linia 2\\x0d\\\\\n"));
	assert_null(strchr(r.out, '\x1b'));
	assert_null(strchr(r.out, '\r'));
	run_free(&r);
	check_admin(f->st, "contact show 99", 1, "err", "no contact message 99");
	check_admin(f->st, "contact show x1", 2, "err", "not a record id: x1");
	check_admin(f->st, "contact show", 2, "err", "expected contact show ID");

	check_admin(f->st, "contact answered 1", 0, "out", "contact 1 answered");
	check_admin(f->st, "contact answered 99", 1, "err", "no contact message 99");
	r = admin(f->st, "contacts --open");
	assert_int_equal(r.code, 0);
	assert_null(strstr(r.out, "Jan Kowalski"));
	assert_non_null(strstr(r.out, "HYPERLINK"));
	run_free(&r);
	check_admin(f->st, "contacts", 0, "out", "  answered  powiat-a  Jan Kowalski");

	r = admin(f->st, "contacts export");
	assert_int_equal(r.code, 0);
	assert_memory_equal(r.out, "id,received,answered,office,name,email,subject,message\r\n1,",
	                    58);
	assert_non_null(strstr(r.out, ",\"powiat-a\",\"'=HYPERLINK(\"\"x\"\")\",\"jan@example.pl\","
	                              "\"CSV, \"\"cudzysłów\"\"\",\"Tekst\"\r\n"));
	assert_non_null(strstr(r.out, "\"Linia 1\nLinia 2\\x0d\\\\\"\r\n"));
	run_free(&r);
	check_admin(f->st, "contacts export --office filia-b", 0, "out", "id,received");
	check_admin(f->st, "contacts export --open", 2, "err", "unexpected argument: --open");

	check_admin(f->st, "users stats", 0, "out",
	            "users: 1\nstatus bezrobotna: 1\noffice powiat-a: 1\n");
	check_admin(f->st, "users", 2, "err", "expected users stats");

	snprintf(line, sizeof line, "%s  ", code);
	check_admin(f->st, "certificates", 0, "out", line);
	check_admin(f->st, "certificates", 0, "out", "  cv  user 1  Anna Nowak\n");
	check_admin(f->st, "certificates x", 2, "err", "unexpected argument: x");

	check_admin(f->st, "posts hide 1", 0, "out", "post 1 hidden, course komunikacja\n");
	check_admin(f->st, "posts show 1", 0, "out", "post 1 shown, course komunikacja\n");
	check_admin(f->st, "posts hide 99", 1, "err", "no post 99");
	check_admin(f->st, "posts delete 1", 2, "err", "expected posts hide ID");

	check_admin(f->st, "audit", 0, "out", "  admin:anna  contact.read  contact:1\n");
	check_admin(f->st, "audit", 0, "out", "  admin:anna  post.hide  post:1\n");
	check_admin(f->st, "audit --verify", 0, "out", "the audit log's chain holds");
	check_admin(f->st, "audit --bogus", 2, "err", "unexpected argument: --bogus");

	/* no login for the audit log, no store */
	r.out = r.err = NULL;
	{
		char *argv[] = {"certificates"};
		size_t n1 = 0, n2 = 0;
		FILE *out = open_memstream(&r.out, &n1), *err = open_memstream(&r.err, &n2);

		assert_int_equal(admin_main(f->st, NULL, "", 1, argv, out, err), 1);
		assert_int_equal(admin_main(f->st, NULL, "a|b", 1, argv, out, err), 1);
		assert_int_equal(admin_main(NULL, NULL, "anna", 1, argv, out, err), 1);
		fclose(out);
		fclose(err);
		assert_non_null(strstr(r.err, "no usable login name"));
		assert_non_null(strstr(r.err, "no database open"));
		run_free(&r);
	}
}

static void test_admin_verify_broken(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;

	add_contact(f->st, "Jan", "Temat", "Tekst");
	add_contact(f->st, "Ewa", "Temat", "Tekst");
	check_admin(f->st, "audit --verify", 0, "out", "holds");
	db = raw_open(f->path);
	raw_exec(db, "DROP TRIGGER audit_no_update; UPDATE audit SET at = at + 1 WHERE id = 1");
	sqlite3_close(db);
	check_admin(f->st, "audit --verify", 1, "out",
	            "audit record 1: its hash does not match its content");
}

/* ---- a person's own data ---- */

static void add_contact_from(struct store *st, const char *name, const char *email)
{
	struct contact c;
	struct err e = {0};

	memset(&c, 0, sizeof c);
	snprintf(c.name, sizeof c.name, "%s", name);
	snprintf(c.email, sizeof c.email, "%s", email);
	snprintf(c.office, sizeof c.office, "powiat-a");
	snprintf(c.subject, sizeof c.subject, "Temat");
	c.message = "Wiadomość";
	if (store_contact_add(st, "web", &c, &e) != 0)
		fail_msg("store_contact_add: %s", e.msg);
}

/* A digest of its own: `head` (12 hex characters) then 52 times `fill`. */
static void crafted_digest(char d[AUTH_DIGEST_TEXT], const char *head, char fill)
{
	memcpy(d, head, 12);
	memset(d + 12, fill, AUTH_DIGEST_TEXT - 13);
	d[AUTH_DIGEST_TEXT - 1] = '\0';
}

/* Counts, in the whole tree, the keys named `key` and the strings (keys
 * or values) holding `text`. */
static int tree_mentions(const struct val *v, const char *key, const char *text)
{
	int n = 0;
	size_t i;

	switch (v->type) {
	case VAL_STRING:
		return strstr(v->u.str.s, text) != NULL;
	case VAL_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			n += tree_mentions(v->u.arr.items[i], key, text);
		return n;
	case VAL_TABLE:
		for (i = 0; i < v->u.tab.n; i++) {
			n += strcmp(v->u.tab.kv[i].key, key) == 0;
			n += strstr(v->u.tab.kv[i].key, text) != NULL;
			n += tree_mentions(v->u.tab.kv[i].v, key, text);
		}
		return n;
	default:
		return 0;
	}
}

/* The array `key` of the tree, checked to be one. */
static const struct val *list(const struct val *tree, const char *key)
{
	const struct val *v = val_get(tree, key);

	assert_non_null(v);
	assert_int_equal(v->type, VAL_ARRAY);
	return v;
}

/* Two users with a bit of everything; the data of each holds its own rows
 * only, in the documented shape, and reading it is audited. */
static void test_user_data(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char da1[AUTH_DIGEST_TEXT], da2[AUTH_DIGEST_TEXT], db1[AUTH_DIGEST_TEXT];
	char code_a[AUTH_CODE_TEXT], code_b[AUTH_CODE_TEXT], record[160];
	long long a = add_user(f->st, "a@example.pl"), b = add_user(f->st, "b@example.pl");
	long long thread_a, reply_a, reply_b;
	const struct val *v, *row, *profile;
	struct val *tree = NULL;
	sqlite3 *db = raw_open(f->path);
	size_t i, current = 0, len = 0;
	char *json;

	auth_code(code_a);
	auth_code(code_b);
	assert_int_equal(
	    store_attempt_add(f->st, "user:a", a, "cv", 40, 0, "2,5", NULL, 3, NULL, &e), 0);
	assert_int_equal(
	    store_attempt_add(f->st, "user:a", a, "cv", 90, 1, "", code_a, 3, NULL, &e), 0);
	assert_int_equal(
	    store_attempt_add(f->st, "user:b", b, "cv", 95, 1, "", code_b, 3, NULL, &e), 0);
	thread_a = add_post(f->st, a, "cv", 0, "Wątek A", 0);
	reply_b = add_post(f->st, b, "cv", thread_a, "Odpowiedź B", 0);
	reply_a = add_post(f->st, a, "cv", thread_a, "Odpowiedź A", 0);
	add_contact_from(f->st, "Anna", "A@EXAMPLE.PL");
	add_contact_from(f->st, "Beata", "b@example.pl");
	add_contact_from(f->st, "Jan", "jan@example.pl");
	auth_digest("token-a1", 8, da1);
	auth_digest("token-a2", 8, da2);
	auth_digest("token-b1", 8, db1);
	assert_int_equal(store_session_add(f->st, da1, a, NULL, 1000, &e), 0);
	assert_int_equal(store_session_add(f->st, da2, a, NULL, 1001, &e), 0);
	assert_int_equal(store_session_add(f->st, db1, b, NULL, 1002, &e), 0);

	if (store_user_data(f->st, "user:a", a, da1, &tree, &e) != 0)
		fail_msg("store_user_data: %s", e.msg);
	assert_non_null(tree);
	assert_string_equal(val_get_str(tree, "format", ""), "okienko-dane-osobowe/1");
	assert_true(val_get_int(tree, "generated", 0) > 1000000000);
	profile = val_get(tree, "profile");
	assert_non_null(profile);
	assert_int_equal(val_get_int(profile, "id", 0), a);
	assert_string_equal(val_get_str(profile, "email", ""), "a@example.pl");
	assert_string_equal(val_get_str(profile, "first_name", ""), "Anna");
	assert_string_equal(val_get_str(profile, "status", ""), "bezrobotna");
	assert_string_equal(val_get_str(profile, "office", ""), "powiat-a");
	assert_true(val_get_int(profile, "created", 0) > 0);

	/* no password hash, no full digest, nothing of B's */
	assert_int_equal(tree_mentions(tree, "pw_hash", "$argon2id"), 0);
	assert_int_equal(tree_mentions(tree, "digest", da1), 0);
	assert_int_equal(tree_mentions(tree, "digest", da2), 0);
	assert_int_equal(tree_mentions(tree, "digest", "b@example.pl"), 0);
	assert_int_equal(tree_mentions(tree, "digest", code_b), 0);
	assert_int_equal(tree_mentions(tree, "digest", "Odpowiedź B"), 0);
	assert_int_equal(tree_mentions(tree, "digest", "Jan"), 0);

	v = list(tree, "consents");
	assert_int_equal(v->u.arr.n, 2);
	assert_string_equal(val_get_str(v->u.arr.items[0], "document", ""), "regulamin");
	assert_string_equal(val_get_str(v->u.arr.items[0], "commit", ""),
	                    "0000000000000000000000000000000000000001");
	assert_int_equal(val_get_int(v->u.arr.items[0], "accepted", 0), 100);
	assert_string_equal(val_get_str(v->u.arr.items[1], "document", ""), "polityka-prywatnosci");
	assert_string_equal(val_get_str(v->u.arr.items[1], "commit", ""),
	                    "0000000000000000000000000000000000000002");
	assert_int_equal(val_get_int(v->u.arr.items[1], "accepted", 0), 101);

	v = list(tree, "attempts"); /* oldest first */
	assert_int_equal(v->u.arr.n, 2);
	assert_int_equal(val_get_int(v->u.arr.items[0], "score", -1), 40);
	assert_false(val_get_bool(v->u.arr.items[0], "passed", 1));
	assert_int_equal(val_get(v->u.arr.items[0], "passed")->type, VAL_BOOL);
	assert_string_equal(val_get_str(v->u.arr.items[0], "wrong", ""), "2,5");
	assert_string_equal(val_get_str(v->u.arr.items[0], "course", ""), "cv");
	assert_int_equal(val_get_int(v->u.arr.items[1], "score", -1), 90);
	assert_true(val_get_bool(v->u.arr.items[1], "passed", 0));
	assert_true(val_get_int(v->u.arr.items[1], "at", 0) > 0);

	v = list(tree, "certificates");
	assert_int_equal(v->u.arr.n, 1);
	assert_string_equal(val_get_str(v->u.arr.items[0], "code", ""), code_a);
	assert_string_equal(val_get_str(v->u.arr.items[0], "course", ""), "cv");

	v = list(tree, "posts");
	assert_int_equal(v->u.arr.n, 2);
	assert_int_equal(val_get_int(v->u.arr.items[0], "id", 0), thread_a);
	assert_string_equal(val_get_str(v->u.arr.items[0], "title", ""), "Pytanie");
	assert_string_equal(val_get_str(v->u.arr.items[0], "body", ""), "Wątek A");
	assert_int_equal(val_get_int(v->u.arr.items[1], "id", 0), reply_a);
	assert_int_equal(val_get_int(v->u.arr.items[1], "thread_id", 0), thread_a);
	assert_string_equal(val_get_str(v->u.arr.items[1], "title", "x"), "");
	assert_false(val_get_bool(v->u.arr.items[1], "hidden", 1));
	for (i = 0; i < v->u.arr.n; i++)
		assert_int_not_equal(val_get_int(v->u.arr.items[i], "id", 0), reply_b);

	v = list(tree, "contacts"); /* sent from A's address, whatever its case */
	assert_int_equal(v->u.arr.n, 1);
	assert_string_equal(val_get_str(v->u.arr.items[0], "email", ""), "A@EXAMPLE.PL");
	assert_string_equal(val_get_str(v->u.arr.items[0], "message", ""), "Wiadomość");
	assert_int_equal(val_get_int(v->u.arr.items[0], "answered", -1), 0);

	v = list(tree, "sessions"); /* A's two; only the one in use is current */
	assert_int_equal(v->u.arr.n, 2);
	for (i = 0; i < v->u.arr.n; i++) {
		const char *id = val_get_str(v->u.arr.items[i], "id", "");

		row = v->u.arr.items[i];
		assert_int_equal(strlen(id), 12);
		assert_int_equal(strspn(id, "0123456789abcdef"), 12);
		assert_true(memcmp(id, da1, 12) == 0 || memcmp(id, da2, 12) == 0);
		if (val_get_bool(row, "current", 0)) {
			current++;
			assert_memory_equal(id, da1, 12);
		}
	}
	assert_int_equal(current, 1);

	json = json_dump(tree, JSON_OUT_PRETTY, &len, &e);
	if (!json)
		fail_msg("json_dump: %s", e.msg);
	assert_non_null(strstr(json, "\"format\": \"okienko-dane-osobowe/1\""));
	assert_null(strstr(json, "argon2"));
	free(json);
	val_free(tree);
	tree = NULL;

	/* audited, as read by its actor */
	snprintf(record, sizeof record,
	         "SELECT COUNT(*) FROM audit WHERE actor = 'user:a' AND action = 'user.read' "
	         "AND record = 'user:%lld'",
	         a);
	assert_int_equal(raw_int(db, record), 1);

	/* B's: B's rows only; no digest given, no session is current */
	if (store_user_data(f->st, "admin:anna", b, NULL, &tree, &e) != 0)
		fail_msg("store_user_data: %s", e.msg);
	assert_string_equal(val_get_str(val_get(tree, "profile"), "email", ""), "b@example.pl");
	assert_int_equal(list(tree, "attempts")->u.arr.n, 1);
	assert_int_equal(list(tree, "certificates")->u.arr.n, 1);
	assert_int_equal(list(tree, "posts")->u.arr.n, 1);
	v = list(tree, "contacts");
	assert_int_equal(v->u.arr.n, 1);
	assert_string_equal(val_get_str(v->u.arr.items[0], "email", ""), "b@example.pl");
	v = list(tree, "sessions");
	assert_int_equal(v->u.arr.n, 1);
	assert_false(val_get_bool(v->u.arr.items[0], "current", 1));
	assert_int_equal(tree_mentions(tree, "pw_hash", "a@example.pl"), 0);
	assert_int_equal(tree_mentions(tree, "digest", code_a), 0);
	val_free(tree);
	tree = NULL;

	/* no such user: 1, nothing to free, nothing audited; no actor: refused */
	assert_int_equal(store_user_data(f->st, "user:x", b + 100, NULL, &tree, &e), 1);
	assert_null(tree);
	assert_int_equal(store_user_data(f->st, "user:x", 0, NULL, &tree, &e), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit WHERE actor = 'user:x'"), 0);
	assert_int_equal(store_user_data(f->st, "", a, NULL, &tree, &e), -1);
	assert_null(tree);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit WHERE action = 'user.read'"), 2);
	sqlite3_close(db);
}

/* Ending a session by its shown id: the user's own only, one at a time. */
static void test_session_end(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char da1[AUTH_DIGEST_TEXT], da2[AUTH_DIGEST_TEXT], db1[AUTH_DIGEST_TEXT];
	char dc1[AUTH_DIGEST_TEXT], dc2[AUTH_DIGEST_TEXT], id[STORE_SESSION_ID];
	long long a = add_user(f->st, "a@example.pl"), b = add_user(f->st, "b@example.pl");
	long long got = 0;
	struct val *tree = NULL;
	const struct val *v;
	sqlite3 *db = raw_open(f->path);
	size_t i;

	auth_digest("token-a1", 8, da1);
	auth_digest("token-a2", 8, da2);
	auth_digest("token-b1", 8, db1);
	assert_int_equal(store_session_add(f->st, da1, a, NULL, 1000, &e), 0);
	assert_int_equal(store_session_add(f->st, da2, a, NULL, 1000, &e), 0);
	assert_int_equal(store_session_add(f->st, db1, b, NULL, 1000, &e), 0);

	/* B's session is not A's to end */
	snprintf(id, sizeof id, "%.12s", db1);
	assert_int_equal(store_session_end(f->st, a, id, &e), 1);
	assert_int_equal(store_session_user(f->st, db1, 1001, 1800, 43200, &got, &e), 0);
	assert_int_equal(got, b);

	/* A's own, by the id store_user_data shows */
	assert_int_equal(store_user_data(f->st, "user:a", a, da1, &tree, &e), 0);
	v = val_get(tree, "sessions");
	assert_non_null(v);
	assert_int_equal(v->u.arr.n, 2);
	for (i = 0; i < v->u.arr.n; i++)
		if (memcmp(val_get_str(v->u.arr.items[i], "id", ""), da1, 12) == 0)
			snprintf(id, sizeof id, "%s", val_get_str(v->u.arr.items[i], "id", ""));
	val_free(tree);
	assert_memory_equal(id, da1, 12);
	assert_int_equal(store_session_end(f->st, a, id, &e), 0);
	assert_int_equal(store_session_user(f->st, da1, 1001, 1800, 43200, &got, &e), 1);
	assert_int_equal(store_session_end(f->st, a, id, &e), 1); /* gone already */
	assert_int_equal(store_session_user(f->st, da2, 1001, 1800, 43200, &got, &e), 0);
	assert_int_equal(got, a);

	/* upper case is the same id */
	snprintf(id, sizeof id, "%.12s", da2);
	for (i = 0; id[i]; i++)
		if (id[i] >= 'a' && id[i] <= 'f')
			id[i] = (char)(id[i] - 'a' + 'A');
	assert_int_equal(store_session_end(f->st, a, id, &e), 0);
	assert_int_equal(store_session_user(f->st, da2, 1001, 1800, 43200, &got, &e), 1);

	/* refused: not 12 hex characters */
	memset(&e, 0, sizeof e);
	assert_int_equal(store_session_end(f->st, a, "xyz", &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_int_equal(store_session_end(f->st, a, "", &e), -1);
	assert_int_equal(store_session_end(f->st, a, NULL, &e), -1);
	assert_int_equal(store_session_end(f->st, a, "0123456789ag", &e), -1);
	assert_int_equal(store_session_end(f->st, a, "0123456789AG", &e), -1);
	snprintf(id, sizeof id, "%.12s", db1);
	assert_int_equal(store_session_end(f->st, b, "0123456789abc", &e), -1);
	assert_int_equal(store_session_end(f->st, b, "%", &e), -1);
	assert_int_equal(store_session_user(f->st, db1, 1001, 1800, 43200, &got, &e), 0);

	/* two sessions with the same start: neither is ended */
	crafted_digest(dc1, "abcdef012345", '0');
	crafted_digest(dc2, "abcdef012345", '1');
	assert_int_equal(store_session_add(f->st, dc1, a, NULL, 1000, &e), 0);
	assert_int_equal(store_session_add(f->st, dc2, a, NULL, 1000, &e), 0);
	assert_int_equal(store_session_end(f->st, a, "abcdef012345", &e), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sessions WHERE user_id = 1"), 2);
	/* B's own still ends with B's id */
	assert_int_equal(store_session_end(f->st, b, id, &e), 0);
	assert_int_equal(store_session_user(f->st, db1, 1001, 1800, 43200, &got, &e), 1);
	sqlite3_close(db);
}

/* ---- one write that checks what it guards ---- */

#define SUBMITTERS 12

struct submit_arg {
	struct store *st;
	long long user;
	const char *course;
	int passed;
	int rc;
	long long id;
};

static void *submit_thread(void *p)
{
	struct submit_arg *a = p;
	char code[AUTH_CODE_TEXT];
	struct err e = {0};

	auth_code(code);
	a->rc =
	    store_attempt_add(a->st, "user:1", a->user, a->course, a->passed ? 100 : 10, a->passed,
	                      a->passed ? "" : "1", a->passed ? code : NULL, 3, &a->id, &e);
	return NULL;
}

/* Runs n submissions at once (a pass each when `passed`); the count of
 * each answer 0..3 into rcs. */
static void submit_many(struct store *st, long long user, const char *course, int passed, int n,
                        int rcs[4])
{
	struct submit_arg a[SUBMITTERS];
	pthread_t t[SUBMITTERS];
	int i;

	memset(rcs, 0, 4 * sizeof rcs[0]);
	for (i = 0; i < n; i++) {
		a[i] = (struct submit_arg){st, user, course, passed, -9, -1};
		assert_int_equal(pthread_create(&t[i], NULL, submit_thread, &a[i]), 0);
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (a[i].rc < 0 || a[i].rc > 3)
			fail_msg("store_attempt_add answered %d", a[i].rc);
		rcs[a[i].rc]++;
		/* the id is set only for what was stored */
		assert_true(a[i].rc == 0 ? a[i].id > 0 : a[i].id == -1);
	}
}

/* Regression (issue 12, finding 3): 12 failing submissions at once on a
 * test allowing 3 stored 5; now the count and the insert are one write:
 * exactly 3 are stored, the rest answered 3 (never a failure). Passes at
 * once: one certificate, the others answered 2 with nothing stored. */
static void test_attempts_parallel(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	long long uid = add_user(f->st, "t@example.pl"), n = 0;
	int rcs[4];
	sqlite3 *db;

	submit_many(f->st, uid, "cv", 0, SUBMITTERS, rcs);
	assert_int_equal(rcs[0], 3);
	assert_int_equal(rcs[3], SUBMITTERS - 3);
	assert_int_equal(store_attempts(f->st, uid, "cv", &n, &e), 0);
	assert_int_equal(n, 3);
	submit_many(f->st, uid, "komunikacja", 1, 8, rcs);
	assert_int_equal(rcs[0], 1);
	assert_int_equal(rcs[2], 7);
	/* a pass after the allowance is used: 3 stays 3 */
	submit_many(f->st, uid, "cv", 1, 4, rcs);
	assert_int_equal(rcs[3], 4);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM attempts WHERE course = 'cv'"), 3);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM certificates"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM certificates WHERE course = 'cv'"), 0);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM attempts WHERE course = 'komunikacja'"),
	                 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM audit WHERE action = 'attempt.create'"),
	                 4);
	sqlite3_close(db);
}

/* An earlier certificate refuses any more attempts at its course, even
 * with attempts left; the allowance counts per course. */
static void test_attempts_after_certificate(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char code[AUTH_CODE_TEXT];
	long long uid = add_user(f->st, "t@example.pl"), n = 0, id = -1;

	auth_code(code);
	assert_int_equal(store_attempt_add(f->st, "user:1", uid, "cv", 90, 1, "", code, 3, &id, &e),
	                 0);
	assert_true(id > 0);
	id = -1;
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "cv", 10, 0, "1,2", NULL, 3, &id, &e), 2);
	assert_int_equal(id, -1);
	assert_int_equal(store_attempts(f->st, uid, "cv", &n, &e), 0);
	assert_int_equal(n, 1);
	/* allowance 1 on another course: the second is refused */
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "prawo", 10, 0, "1", NULL, 1, &id, &e), 0);
	assert_int_equal(
	    store_attempt_add(f->st, "user:1", uid, "prawo", 10, 0, "1", NULL, 1, NULL, &e), 3);
	assert_int_equal(store_attempts(f->st, uid, "prawo", &n, &e), 0);
	assert_int_equal(n, 1);
}

/* Regression (issue 12, finding 15): a session is stored only in the
 * write that sees the account open and confirmed with the password hash
 * the login checked. */
static void test_session_add_checks(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char d[AUTH_DIGEST_TEXT];
	struct user u;
	long long uid = add_user(f->st, "s@example.pl"), got = 0;
	const char *h1 = "$argon2id$v=19$m=65536,t=2,p=1$x$y"; /* add_user's */
	sqlite3 *db;

	auth_digest("session-1", 9, d);
	/* a hash the login did not check (changed meanwhile): refused */
	assert_int_equal(store_session_add(f->st, d, uid, "stale", 1000, &e), 1);
	assert_int_equal(store_session_add(f->st, d, uid, h1, 1000, &e), 0);
	assert_int_equal(store_session_user(f->st, d, 1001, 1800, 43200, &got, &e), 0);
	assert_int_equal(got, uid);
	/* a password change ends the session; the old hash starts none */
	assert_int_equal(store_user_set_password(f->st, "user:1", uid, "h2", &e), 0);
	assert_int_equal(store_session_user(f->st, d, 1002, 1800, 43200, &got, &e), 1);
	auth_digest("session-2", 9, d);
	assert_int_equal(store_session_add(f->st, d, uid, h1, 1000, &e), 1);
	assert_int_equal(store_session_add(f->st, d, uid, "h2", 1000, &e), 0);
	/* a rehash at login over the old hash does not undo the change */
	assert_int_equal(store_user_set_hash(f->st, uid, h1, "h1-rehashed", &e), 1);
	assert_int_equal(store_user_by_id(f->st, uid, &u, &e), 0);
	assert_string_equal(u.pw_hash, "h2");
	assert_int_equal(store_user_set_hash(f->st, uid, "h2", "h2-rehashed", &e), 0);
	assert_int_equal(store_user_by_id(f->st, uid, &u, &e), 0);
	assert_string_equal(u.pw_hash, "h2-rehashed");
	/* the account closed: no session, with the right hash or without a
	 * check; the ones it had are gone */
	assert_int_equal(store_user_close(f->st, "user:1", uid, NULL, NULL, &e), 0);
	auth_digest("session-3", 9, d);
	assert_int_equal(store_session_add(f->st, d, uid, "h2-rehashed", 1000, &e), 1);
	assert_int_equal(store_session_add(f->st, d, uid, NULL, 1000, &e), 1);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sessions"), 0);
	sqlite3_close(db);
}

/* An account whose address is not proved starts no session; the
 * confirmation link lets it. */
static void test_session_add_unconfirmed(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char d[AUTH_DIGEST_TEXT], link[AUTH_DIGEST_TEXT];
	const struct mail_out m = {"account.confirm", "nowa@example.pl", "Aktywuj", "link"};
	struct user u;
	long long got = 0;

	memset(&u, 0, sizeof u);
	snprintf(u.first_name, sizeof u.first_name, "Ewa");
	snprintf(u.last_name, sizeof u.last_name, "Lis");
	snprintf(u.email, sizeof u.email, "Nowa@Example.pl");
	snprintf(u.office, sizeof u.office, "powiat-a");
	snprintf(u.pw_hash, sizeof u.pw_hash, "h1");
	snprintf(u.terms_commit, sizeof u.terms_commit, "c");
	snprintf(u.policy_commit, sizeof u.policy_commit, "d");
	auth_digest("confirm-1", 9, link);
	assert_int_equal(store_user_register(f->st, "web", &u, link, 5000, &m, NULL, &e), 0);
	assert_true(u.id > 0);
	auth_digest("session-1", 9, d);
	assert_int_equal(store_session_add(f->st, d, u.id, "h1", 1000, &e), 1);
	assert_int_equal(store_session_add(f->st, d, u.id, NULL, 1000, &e), 1);
	assert_int_equal(store_account_confirm(f->st, link, 5000, &got, &e), 1); /* expired */
	assert_int_equal(store_account_confirm(f->st, link, 1200, &got, &e), 0);
	assert_int_equal(got, u.id);
	assert_int_equal(store_account_confirm(f->st, link, 1300, &got, &e), 1); /* used */
	assert_int_equal(store_session_add(f->st, d, u.id, "h1", 1000, &e), 0);
}

#define REHASHERS 8

struct rehash_arg {
	struct store *st;
	long long id;
	int n, rc;
};

static void *rehash_thread(void *p)
{
	struct rehash_arg *a = p;
	char hash[32];
	struct err e = {0};

	snprintf(hash, sizeof hash, "rehash-%d", a->n);
	a->rc = store_user_set_hash(a->st, a->id, "$argon2id$v=19$m=65536,t=2,p=1$x$y", hash, &e);
	return NULL;
}

/* Parallel rehashes over the same old hash (logins at once): exactly one
 * replaces it, the others find it changed (1) and store nothing. */
static void test_set_hash_parallel(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	struct rehash_arg a[REHASHERS];
	pthread_t t[REHASHERS];
	struct user u;
	char want[32] = "";
	long long id = add_user(f->st, "r@example.pl");
	int i, won = 0;

	for (i = 0; i < REHASHERS; i++) {
		a[i] = (struct rehash_arg){f->st, id, i, -9};
		assert_int_equal(pthread_create(&t[i], NULL, rehash_thread, &a[i]), 0);
	}
	for (i = 0; i < REHASHERS; i++) {
		pthread_join(t[i], NULL);
		assert_true(a[i].rc == 0 || a[i].rc == 1);
		if (a[i].rc == 0) {
			won++;
			snprintf(want, sizeof want, "rehash-%d", i);
		}
	}
	assert_int_equal(won, 1);
	assert_int_equal(store_user_by_id(f->st, id, &u, &e), 0);
	assert_string_equal(u.pw_hash, want);
}

/* ---- migrations ---- */

/* Schema 2 (as shipped: tests/unit/store_schema2.h) to 3: every row
 * stays; the accounts made before are left not proved (confirmed 0: the
 * 2 -> 3 migration's rule, so that nothing reached by address is shown
 * to an account that never proved it), so they start no session until a
 * reset link proves the address; the tokens stay and may now be of the
 * kind 'confirm'. */
static void test_migrate_2_to_3(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	char reset[AUTH_DIGEST_TEXT], sess[AUTH_DIGEST_TEXT], sql[512];
	struct user v;
	long long got = 0;
	sqlite3 *db = raw_open(f->path);
	char *t;

	auth_digest("reset-old", 9, reset);
	auth_digest("session-old", 11, sess);
	for (size_t i = 0; i < sizeof store_schema2_sql / sizeof store_schema2_sql[0]; i++)
		raw_exec(db, store_schema2_sql[i]);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
	/* schema 2 does not know a 'confirm' token: the fixture is the old one */
	assert_int_not_equal(
	    sqlite3_exec(db,
	                 "INSERT INTO tokens (digest, kind, data, created, expires) "
	                 "VALUES ('x', 'confirm', '', 1, 2)",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	raw_exec(db,
	         "INSERT INTO users (first_name, last_name, email, email_norm, status, office, "
	         "pw_hash, created, terms_commit, terms_at, policy_commit, policy_at) VALUES "
	         "('Stanisław', 'Stary', 'Stary@Example.pl', 'stary@example.pl', 'bezrobotna', "
	         "'powiat-a', 'old-hash', 11, 'c1', 12, 'p1', 13);"
	         "INSERT INTO users (first_name, last_name, email, email_norm, status, office, "
	         "pw_hash, created, terms_commit, terms_at, policy_commit, policy_at, closed) "
	         "VALUES ('Z', 'Z', 'z@example.pl', 'zamkniete:2', 'poszukujaca', 'powiat-a', "
	         "'h', 14, 'c1', 14, 'p1', 14, 99);"
	         "INSERT INTO contacts (name, email, office, subject, message, received) VALUES "
	         "('Jan', 'jan@example.pl', 'powiat-a', 'Temat', 'Treść', 20);"
	         "INSERT INTO attempts (user_id, course, score, passed, wrong, at) VALUES "
	         "(1, 'cv', 40, 0, '2', 30);"
	         "INSERT INTO sessions (digest, user_id, created, last_used) VALUES "
	         "('s-old', 1, 40, 40);"
	         "INSERT INTO requests (user_id, name, email, phone, address, office, article, "
	         "scope, channel, created, received, due, status) VALUES (1, 'S S', "
	         "'stary@example.pl', '', '', 'powiat-a', 'dostep', 'x', 'email', 50, 50, 60, "
	         "'received');"
	         "INSERT INTO outbox (kind, to_addr, subject, body, created, next_try) VALUES "
	         "('password.reset', 'stary@example.pl', 'S', 'B', 70, 70);");
	snprintf(sql, sizeof sql,
	         "INSERT INTO tokens (digest, kind, user_id, data, created, expires) VALUES "
	         "('%s', 'reset', 1, '', 80, 99999999999)",
	         reset);
	raw_exec(db, sql);
	sqlite3_close(db);

	f->st = store_open(f->path, &e);
	if (!f->st)
		fail_msg("store_open: %s", e.msg);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"),
	                 STORE_SCHEMA_VERSION); /* and on to the newest */
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM users"), 2);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM users WHERE confirmed = 0"), 2);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM contacts"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM attempts"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM sessions"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM requests"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM outbox"), 1);
	assert_int_equal(raw_int(db, "SELECT COUNT(*) FROM tokens WHERE kind = 'reset' AND "
	                             "user_id = 1 AND created = 80 AND used = 0"),
	                 1);
	t = raw_text(db, "SELECT message FROM contacts");
	assert_string_equal(t, "Treść");
	free(t);
	/* the tokens table takes the new kind now */
	raw_exec(db, "INSERT INTO tokens (digest, kind, data, created, expires) "
	             "VALUES ('x', 'confirm', '', 1, 2)");
	sqlite3_close(db);

	assert_int_equal(store_user_by_email(f->st, "STARY@example.pl", &v, &e), 0);
	assert_int_equal(v.id, 1);
	assert_string_equal(v.first_name, "Stanisław");
	assert_string_equal(v.pw_hash, "old-hash");
	assert_int_equal(v.created, 11);
	assert_int_equal(v.terms_at, 12);
	assert_int_equal(v.policy_at, 13);
	assert_int_equal(v.closed, 0);
	assert_int_equal(v.confirmed, 0);
	/* not proved: no login yet; the reset link (sent to the address)
	 * proves it */
	assert_int_equal(store_session_add(f->st, sess, 1, "old-hash", 1000, &e), 1);
	assert_int_equal(store_password_reset(f->st, reset, 1500, "new-hash", &got, &e), 0);
	assert_int_equal(got, 1);
	assert_int_equal(store_user_by_id(f->st, 1, &v, &e), 0);
	assert_int_equal(v.confirmed, 1500);
	assert_int_equal(store_session_add(f->st, sess, 1, "new-hash", 1600, &e), 0);
	/* opening again migrates nothing more */
	store_close(f->st);
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	assert_int_equal(store_user_by_id(f->st, 1, &v, &e), 0);
	assert_int_equal(v.confirmed, 1500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_creates_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_refuses_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_bad_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_users, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_sessions, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_contacts_verbatim, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_contact_async, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_attempts_and_certificates, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_posts, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_group_failures_alone, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_records, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_append_only, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_verify_changed, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_verify_rehashed, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_verify_deleted, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_admin_commands, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_admin_verify_broken, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_user_data, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_session_end, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_request_rules, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_request_due_warsaw_october, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_request_extend_warsaw, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_token_single_use, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_purge_audit, setup_open, teardown),
	    cmocka_unit_test(test_outbox_retries),
	    cmocka_unit_test_setup_teardown(test_attempts_parallel, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_attempts_after_certificate, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_session_add_checks, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_session_add_unconfirmed, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_set_hash_parallel, setup_open, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_2_to_3, setup, teardown),
	};
	struct err e = {0};

	if (auth_init(&e) < 0) {
		fprintf(stderr, "auth_init: %s\n", e.msg);
		return 1;
	}
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
