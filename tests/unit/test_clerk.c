/*
 * Unit tests of what the clerk meets at `formd admin` (formd/admin.c over
 * formd/store_*.c; issue 13): a request counts from its receipt and is
 * kept while its address is unconfirmed, a reply goes once, a restriction
 * is lifted only after the notice, every list has its header and says
 * when it is empty. Each test works on a database in its own mkdtemp
 * folder and looks at the file with a second sqlite3 connection.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admin.h"
#include "auth.h"
#include "err.h"
#include "fsutil.h"
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = {0};

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/okienko-clerk-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/formd.db", f->dir);
	*state = f;
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

	store_close(f->st);
	rc = fs_rmtree(f->dir, &e);
	free(f);
	return rc;
}

/* The first column of the first row of `sql` on the file, as a number. */
static long long raw_int(const struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

struct run {
	int code;
	char *out, *err;
};

/* Runs `formd admin ARGV...` (NULL-terminated) as login "anna". */
static struct run admin_v(struct store *st, const char *const *words)
{
	char *argv[16];
	size_t outlen = 0, errlen = 0;
	struct run r = {0, NULL, NULL};
	FILE *out = open_memstream(&r.out, &outlen);
	FILE *err = open_memstream(&r.err, &errlen);
	int argc = 0;

	assert_non_null(out);
	assert_non_null(err);
	while (words[argc] && argc < 16) {
		argv[argc] = (char *)words[argc];
		argc++;
	}
	r.code = admin_main(st, NULL, "anna", argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

/* The same with the words of `line` split at spaces. */
static struct run admin(struct store *st, const char *line)
{
	char copy[256], *w, *save = NULL;
	const char *words[16];
	int n = 0;

	snprintf(copy, sizeof copy, "%s", line);
	for (w = strtok_r(copy, " ", &save); w && n < 15; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	words[n] = NULL;
	return admin_v(st, words);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Runs a command; checks its exit code and that `where` ("out" or "err")
 * holds `text`. */
static void check_admin(struct store *st, const char *line, int code, const char *where,
                        const char *text)
{
	struct run r = admin(st, line);
	const char *got = strcmp(where, "out") == 0 ? r.out : r.err;

	if (r.code != code || !strstr(got, text))
		fail_msg(
		    "formd admin %s: exit %d (want %d), %s does not hold \"%s\":\nout: %s\nerr: %s",
		    line, r.code, code, where, text, r.out, r.err);
	run_free(&r);
}

/* A request from the public form (a confirmation link: `digest`), its
 * confirmation message queued. */
static long long add_public_request(struct store *st, const char *email, const char *right,
                                    const char *channel, char digest[AUTH_DIGEST_TEXT])
{
	struct rights_request r;
	struct mail_out m = {"request.confirm", email, "Potwierdź wniosek", "Link: x"};
	char token[AUTH_TOKEN_TEXT];
	struct err e = {0};

	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "Ewa Kowalska");
	snprintf(r.email, sizeof r.email, "%s", email);
	snprintf(r.right, sizeof r.right, "%s", right);
	snprintf(r.channel, sizeof r.channel, "%s", channel);
	r.address = "ul. Długa 1\n00-001 Warszawa";
	r.scope = "kopia danych";
	auth_token(token);
	auth_digest(token, strlen(token), digest);
	if (store_request_add(st, "web", &r, digest, (long long)time(NULL) + 7 * 86400, &m, &e) !=
	    0)
		fail_msg("store_request_add: %s", e.msg);
	return r.id;
}

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
	u.confirmed = 100;
	if (store_user_add(st, "web", &u, &e) != 0)
		fail_msg("store_user_add: %s", e.msg);
	return u.id;
}

/* Item 1: the month runs from receipt: due is set when the request is
 * sent; the link confirms the address and moves no date. */
static void test_due_from_receipt(void **state)
{
	struct fx *f = *state;
	char digest[AUTH_DIGEST_TEXT];
	struct rights_request r;
	struct err e = {0};
	long long before = (long long)time(NULL), id, got = 0, due;

	id = add_public_request(f->st, "ewa@example.pl", "dostep", "email", digest);
	assert_int_equal(store_request_get(f->st, id, &r, &e), 0);
	assert_string_equal(r.status, "unconfirmed");
	assert_int_equal(r.confirmed, 0);
	assert_true(r.received >= before && r.received == r.created);
	assert_true(r.due - r.received >= 28 * 86400LL && r.due - r.received <= 31 * 86400LL);
	due = r.due;
	store_request_free(&r);
	/* confirmed five days later: the address is, the deadline stays */
	assert_int_equal(store_request_confirm(f->st, digest, before + 5 * 86400LL, &got, &e), 0);
	assert_int_equal(got, id);
	assert_int_equal(store_request_get(f->st, id, &r, &e), 0);
	assert_string_equal(r.status, "received");
	assert_int_equal(r.confirmed, before + 5 * 86400LL);
	assert_int_equal(r.due, due);
	store_request_free(&r);
	check_admin(f->st, "request show 1", 0, "out", "adres e-mail:  potwierdzony ");
}

/* Item 2: an unconfirmed request stays, listed with its due date and
 * marked; staff may ask for identification or refuse it, not complete
 * it; purge keeps it while open and follows [retention] requests once
 * it is closed. */
static void test_unconfirmed_kept(void **state)
{
	struct fx *f = *state;
	char digest[AUTH_DIGEST_TEXT];
	struct purge_cutoffs cut;
	struct err e = {0};
	long long now = (long long)time(NULL);
	FILE *out = tmpfile();
	struct run r;

	add_public_request(f->st, "ewa@example.pl", "dostep", "email", digest);
	r = admin(f->st, "requests");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "nr    termin"));
	assert_non_null(strstr(r.out, "Ewa Kowalska  (e-mail)  adres niepotwierdzony\n"));
	assert_null(strstr(r.out, "----------"));
	assert_null(strstr(r.out, "brak"));
	run_free(&r);
	check_admin(f->st, "request show 1", 0, "out",
	            "adres e-mail:  NIEPOTWIERDZONY (link z e-maila nie został użyty)");
	check_admin(f->st, "request show 1", 0, "out", "termin:        ");
	/* a purge a month later, no period set: the request stays */
	memset(&cut, 0, sizeof cut);
	assert_int_equal(store_purge(f->st, "admin:x", &cut, now + 40 * 86400LL, 0, out, NULL, &e),
	                 0);
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM requests"), 1);
	/* ...and with one, an open request is not past it */
	cut.requests = now + 40 * 86400LL;
	assert_int_equal(store_purge(f->st, "admin:x", &cut, now + 40 * 86400LL, 0, out, NULL, &e),
	                 0);
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM requests"), 1);
	/* staff: not completed on an unproved address; identity asked, or refused */
	check_admin(f->st, "request done 1 --note dane", 1, "err", "address is not confirmed");
	check_admin(f->st, "request progress 1", 1, "err", "request identity");
	check_admin(f->st, "request refuse 1 --reason Nie_da_się_ustalić_tożsamości", 0, "out",
	            "request 1: refuse recorded");
	check_admin(f->st, "requests", 0, "out", "brak\n");
	check_admin(f->st, "requests --all", 0, "out", "odmowa");
	/* closed: purge removes it once [retention] requests has passed */
	cut.requests = now + 10;
	assert_int_equal(store_purge(f->st, "admin:x", &cut, now + 20, 0, out, NULL, &e), 0);
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM requests"), 0);
	fclose(out);
}

/* Item 2: asking an unconfirmed request's sender for identification. */
static void test_unconfirmed_identity(void **state)
{
	struct fx *f = *state;
	char digest[AUTH_DIGEST_TEXT];
	struct run r;

	add_public_request(f->st, "ewa@example.pl", "dostep", "email", digest);
	check_admin(f->st, "request identity 1 --note Prosimy_o_numer_PESEL", 0, "out",
	            "identity recorded");
	r = admin(f->st, "request reply 1");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "potwierdzić, że jest Pani/Pan osobą"));
	assert_non_null(strstr(r.out, "Prosimy_o_numer_PESEL"));
	run_free(&r);
	check_admin(f->st, "requests", 0, "out", "adres niepotwierdzony");
}

/* Item 19: a reply goes once; --again on purpose; the reply at a later
 * status is the last step's. */
static void test_reply_once(void **state)
{
	struct fx *f = *state;
	char digest[AUTH_DIGEST_TEXT];
	long long uid = add_user(f->st, "anna@example.pl");
	struct err e = {0};
	struct rights_request rq;
	struct run r;

	(void)uid;
	add_public_request(f->st, "anna@example.pl", "dostep", "email", digest);
	check_admin(f->st, "request reply 1", 1, "err", "no step to reply to");
	check_admin(f->st, "request identity 1 --note Prosimy_o_PESEL", 0, "out", "recorded");
	check_admin(f->st, "request progress 1", 0, "out", "progress recorded");
	/* at "progress" the reply is the identity step's */
	check_admin(f->st, "request reply 1", 0, "out", "Prosimy_o_PESEL");
	check_admin(f->st, "request reply 1 --send", 0, "err", "the reply is in the outbox");
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'request.reply'"), 1);
	check_admin(f->st, "request reply 1 --send", 1, "err", "this reply was sent already on ");
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'request.reply'"), 1);
	check_admin(f->st, "request reply 1 --again", 2, "err", "--again goes with --send");
	check_admin(f->st, "request reply 1 --send --again", 0, "err",
	            "the reply is in the outbox");
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'request.reply'"), 2);
	/* a new step: its reply goes once more, the done note its text */
	check_admin(f->st, "request done 1 --note Kopia_danych_w_załączniku.", 0, "out",
	            "recorded");
	check_admin(f->st, "request reply 1", 0, "out", "Kopia_danych_w_załączniku.");
	check_admin(f->st, "request reply 1 --send", 0, "err", "the reply is in the outbox");
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'request.reply'"), 3);
	assert_int_equal(store_request_get(f->st, 1, &rq, &e), 0);
	assert_string_equal(rq.status, "done");
	store_request_free(&rq);
	/* a reply by letter is never queued, and says so in English */
	add_public_request(f->st, "x@example.pl", "dostep", "poczta", digest);
	check_admin(f->st, "request refuse 2 --reason Brak_podstaw", 0, "out", "recorded");
	r = admin(f->st, "request reply 2 --send");
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.err, "asks for a reply by letter"));
	assert_null(strstr(r.err, "poczta"));
	run_free(&r);
}

/* Item 18: each list has its header row and says when it is empty; the
 * help needs no database. */
static void test_lists_empty(void **state)
{
	struct fx *f = *state;
	struct run r;

	check_admin(f->st, "contacts", 0, "out", "id     received");
	check_admin(f->st, "contacts", 0, "out", "\nnone\n");
	check_admin(f->st, "certificates", 0, "out", "code  issued  course  user  name\nnone\n");
	check_admin(f->st, "outbox", 0, "out", "message  state  created  tries\nnone\n");
	check_admin(f->st, "requests", 0, "out", "nr    termin");
	check_admin(f->st, "requests --all", 0, "out", "(odpowiedź)\nbrak\n");
	check_admin(f->st, "audit --user 5", 0, "out", "id     at ");
	check_admin(f->st, "audit --user 5", 0, "out", "\nnone\n");
	r = admin_v(NULL, (const char *const[]){"--help", NULL});
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "OKIENKO_NOW"));
	assert_non_null(strstr(r.out, "request export ID"));
	assert_non_null(strstr(r.out, "--again"));
	assert_non_null(strstr(r.out, "of done (what was done) becomes\n"));
	run_free(&r);
}

/* Item 18: the outbox shows a body as it is: its lines, no blank line
 * between them. */
static void test_outbox_body(void **state)
{
	struct fx *f = *state;
	struct mail_out m = {"test", "ewa@example.pl", "Temat",
	                     "Linia pierwsza\nLinia druga\n\nAkapit po pustej linii\n"};
	struct err e = {0};
	struct run r;

	assert_int_equal(store_outbox_add(f->st, "admin:x", &m, &e), 0);
	r = admin(f->st, "outbox");
	assert_int_equal(r.code, 0);
	if (!strstr(r.out,
	            "\n  | Linia pierwsza\n  | Linia druga\n  | \n  | Akapit po pustej linii\n"))
		fail_msg("the body is not as it is:\n%s", r.out);
	assert_null(strstr(r.out, "none"));
	run_free(&r);
}

/* Item 3: a restriction is lifted only after the notice: queued by
 * e-mail (or printed and recorded for a letter), both audited, the notice
 * before the lift. */
static void test_lift_after_notice(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	long long a = add_user(f->st, "anna@example.pl"), b = add_user(f->st, "bartek@example.pl");
	struct run r;
	char line[64];

	check_admin(f->st, "users lift 1", 1, "err", "processing is not restricted");
	assert_int_equal(store_user_restrict(f->st, "user:1", a, 1, "Kwestionuję dane", &e), 0);
	r = admin(f->st, "users lift 1");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "user 1: the notice is in the outbox; restriction lifted"));
	run_free(&r);
	assert_int_equal(
	    raw_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'user.lift' AND "
	               "to_addr = 'anna@example.pl' AND body LIKE '%zostanie zniesione%'"),
	    1);
	assert_int_equal(raw_int(f, "SELECT restricted FROM users WHERE id = 1"), 0);
	/* the notice, then the lift, in the audit log */
	assert_true(raw_int(f, "SELECT MIN(id) FROM audit WHERE action = 'user.lift.notice'") <
	            raw_int(f, "SELECT MIN(id) FROM audit WHERE action = 'user.lift'"));
	assert_true(raw_int(f, "SELECT MAX(id) FROM audit WHERE action = 'outbox.create'") <
	            raw_int(f, "SELECT MIN(id) FROM audit WHERE action = 'user.lift'"));
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM request_steps WHERE step = 'notice'"), 1);
	/* lifted: a second lift sends nothing */
	check_admin(f->st, "users lift 1", 1, "err", "processing is not restricted");
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'user.lift'"), 1);
	/* a restriction whose request asks for a letter: the text for staff,
	 * recorded in the request's history, nothing queued */
	assert_int_equal(store_user_restrict(f->st, "user:2", b, 1, "Sprzeciw", &e), 0);
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		assert_int_equal(sqlite3_exec(db,
		                              "UPDATE requests SET channel = 'poczta', address = "
		                              "'ul. Krótka 2' WHERE user_id = 2",
		                              NULL, NULL, NULL),
		                 SQLITE_OK);
		sqlite3_close(db);
	}
	snprintf(line, sizeof line, "users lift %lld", b);
	r = admin(f->st, line);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "The notice to give by letter before the restriction goes:"));
	assert_non_null(strstr(r.out, "zostanie zniesione"));
	assert_non_null(strstr(r.out, "recorded as given by staff; restriction lifted"));
	run_free(&r);
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'user.lift'"), 1);
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM request_steps WHERE step = 'notice' AND "
	                            "note = 'do przekazania listem'"),
	                 1);
	assert_int_equal(raw_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'user.lift.notice'"),
	                 2);
	check_admin(f->st, "users lift 99", 1, "err", "no open account 99");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_due_from_receipt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unconfirmed_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unconfirmed_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reply_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lists_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lift_after_notice, setup, teardown),
	};
	struct err e = {0};

	if (auth_init(&e) < 0) {
		fprintf(stderr, "auth_init: %s\n", e.msg);
		return 1;
	}
	return cmocka_run_group_tests_name("clerk", tests, NULL, NULL);
}
