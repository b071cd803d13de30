/*
 * Unit tests of formd's request path below http.c: app_handle() and
 * route_handle() (formd/app.c, formd/route.c), the answers of reply.c,
 * session_whoami (formd/session.c) and the contact and registration
 * flows (formd/contact.c, formd/account.c). Each test drives synthetic
 * `struct request`s against a small site written by hand (site_fixture.h,
 * with the repository's real theme) and a store in its own mkdtemp
 * folder, and looks at the `struct response`. Deferred work (a hash on the
 * pool, a write waiting for its commit group) is run by the test as
 * http.c runs it.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "app.h"
#include "auth.h"
#include "err.h"
#include "flow.h"
#include "fsutil.h"
#include "reply.h"
#include "route.h"
#include "session.h"
#include "site_fixture.h"
#include "store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
	char dir[64];  /* the temp folder */
	char site[96]; /* dir/site: what the generator would have built */
	char db[96];   /* dir/formd.db */
	struct store *st;
	struct auth_pool *pool;
	struct app *a;
};

/* site.json as the generator writes it: the site, and the offices the
 * forms offer */
#define OFFICES                                                                                    \
	"[{\"slug\": \"powiat-a\", \"name\": \"PUP A\", \"kind\": \"powiatowy\"}, "                \
	"{\"slug\": \"wup\", \"name\": \"WUP\", \"kind\": \"administrator\"}]"

static const char site_json[] =
    "{\"site\": {\"title\": \"Portal\", \"language\": \"pl\", "
    "\"base_url\": \"https://example.pl\"}, \"menu\": [], \"offices\": " OFFICES "}";

static const char forms_json[] =
    "{\"contact\": \"/kontakt/wyslij\", \"register\": \"/konto/rejestracja\", "
    "\"login\": \"/konto/logowanie\", \"logout\": \"/konto/wyloguj\", "
    "\"welcome\": \"/konto/witaj\", \"account\": \"/konto/moje-dane\", "
    "\"rights\": \"/ochrona-danych/wniosek\", \"password_reset\": \"/konto/haslo\"}";

static const char pages_json[] =
    "{\"/kontakt/\": {\"layout\": \"form-contact\", \"frame\": {}}, "
    "\"/konto/rejestracja/\": {\"layout\": \"form-register\", \"frame\": {}}, "
    "\"/konto/logowanie/\": {\"layout\": \"form-login\", \"frame\": {}}, "
    "\"/ochrona-danych/wniosek/\": {\"layout\": \"form-rights\", \"frame\": {}}}";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct app_settings set;
	struct err e = {0};

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/okienko-flows-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	snprintf(f->site, sizeof f->site, "%s/site", f->dir);
	snprintf(f->db, sizeof f->db, "%s/formd.db", f->dir);
	fixture_priv(f->site, "site.json", site_json);
	fixture_priv(f->site, "pages.json", pages_json);
	fixture_priv(f->site, "forms.json", forms_json);
	fixture_priv(f->site, "offices.json", OFFICES);
	fixture_priv(f->site, "documents.json", "{}");
	fixture_priv(f->site, "build.json", "{\"commit\": \"x\"}");
	fixture_theme(f->site);
	f->st = store_open(f->db, &e);
	if (f->st)
		f->pool = auth_pool_new(1, 16, &e);
	memset(&set, 0, sizeof set);
	set.dev = 1;
	set.contact_rate = 100;
	set.form_rate = 100;
	set.login_free = 5;
	set.login_max_wait = 60;
	if (f->pool)
		f->a = app_new(f->site, f->st, f->pool, &set, &e);
	if (!f->a) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	int rc;

	app_free(f->a);
	auth_pool_free(f->pool);
	store_close(f->st);
	rc = fs_rmtree(f->dir, &e);
	free(f);
	return rc;
}

/* ---- requests and their answers ---- */

/* A POST of a form from the site's own page (Sec-Fetch-Site same-origin). */
static struct request post(const char *path, const char *body)
{
	struct request r;

	memset(&r, 0, sizeof r);
	r.method = "POST";
	r.path = path;
	r.body = body;
	r.body_len = strlen(body);
	r.content_type = "application/x-www-form-urlencoded";
	r.fetch_site = "same-origin";
	r.host = "example.pl";
	snprintf(r.client, sizeof r.client, "192.0.2.1");
	snprintf(r.rate_key, sizeof r.rate_key, "192.0.2.1");
	return r;
}

static struct request get(const char *path)
{
	struct request r = post(path, "");

	r.method = "GET";
	r.content_type = NULL;
	r.fetch_site = NULL;
	return r;
}

static void res_init(struct response *res)
{
	memset(res, 0, sizeof *res);
	res->body = (struct buf)BUF_INIT;
}

/* What http.c's defer_submit caller waits on. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int done;
	struct response *res;
};

/* The run() handed to a defer_submit: the deferred work, then the wake-up
 * (http.c's deferred_run does the same, then resumes the connection). */
static void waiter_run(void *token)
{
	struct waiter *w = token;

	w->res->defer(w->res->defer_arg, w->res);
	w->res->defer = NULL;
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

/* Runs the deferred work the handler asked for, as http.c would: through
 * its defer_submit (waiting for run() to be called), else right here (the
 * hashing pool's part: the test is the pool). */
static void run_deferred(struct response *res)
{
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, res};

	if (!res->defer)
		return;
	if (!res->defer_submit) {
		res->defer(res->defer_arg, res);
		res->defer = NULL;
		return;
	}
	assert_int_equal(res->defer_submit(res->defer_arg, waiter_run, &w), 0);
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.mu);
	pthread_mutex_unlock(&w.mu);
}

/* The whole answer to req: app_handle, then the deferred work. */
static void handle(struct fx *f, const struct request *req, struct response *res)
{
	res_init(res);
	app_handle(f->a, req, res);
	run_deferred(res);
	assert_null(res->defer);
}

static const char *body(const struct response *res)
{
	return res->body.ptr ? res->body.ptr : "";
}

/* The first column of the first row of `sql` on the test's own
 * connection to the store's file. */
static long long db_int(struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v;

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void db_exec(struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A confirmed account with password `pw` (hashed); its id. */
static long long add_user(struct fx *f, const char *email, const char *pw)
{
	struct user u;
	struct err e = {0};

	memset(&u, 0, sizeof u);
	snprintf(u.first_name, sizeof u.first_name, "Anna");
	snprintf(u.last_name, sizeof u.last_name, "Nowak");
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.office, sizeof u.office, "powiat-a");
	if (auth_hash_password(pw, strlen(pw), u.pw_hash, &e) < 0)
		fail_msg("auth_hash_password: %s", e.msg);
	snprintf(u.terms_commit, sizeof u.terms_commit, "x");
	snprintf(u.policy_commit, sizeof u.policy_commit, "x");
	u.confirmed = 100;
	if (store_user_add(f->st, "web", &u, &e) != 0)
		fail_msg("store_user_add: %s", e.msg);
	return u.id;
}

/* A live session of user `uid`: its cookie value into token. */
static void add_session(struct fx *f, long long uid, char token[AUTH_TOKEN_TEXT])
{
	char digest[AUTH_DIGEST_TEXT];
	struct err e = {0};

	auth_token(token);
	auth_digest(token, strlen(token), digest);
	assert_int_equal(store_session_add(f->st, digest, uid, NULL, flow_now(), &e), 0);
}

static const char contact_body[] = "name=Jan+Kowalski&email=jan%40example.pl&office=powiat-a&"
                                   "subject=Pytanie&message=Dzie%C5%84+dobry";

/* ---- route.c: the checks every request passes once ---- */

/* A path that is not formd's is left alone (0, the response untouched);
 * a path of one of its routes with a method the route does not take gets
 * 405 with Allow. */
static void test_route_methods(void **state)
{
	struct fx *f = *state;
	struct site_ref *ref = app_site_get(f->a);
	struct request req = get("/nie-ma-takiej");
	struct response res;
	struct who w;
	struct flow_ctx c = {f->a, ref, ref->sd, NULL, &req, &res, ""};

	res_init(&res);
	assert_int_equal(route_handle(&c, &w), 0);
	assert_int_equal(res.status, 0);
	req = get("/kontakt/wyslijX"); /* a base's prefix is no route */
	assert_int_equal(route_handle(&c, &w), 0);
	app_site_put(ref);

	req = get("/kontakt/wyslij");
	handle(f, &req, &res);
	assert_int_equal(res.status, 405);
	assert_string_equal(res.allow, "POST");
	buf_free(&res.body);
	req = post("/kontakt/wyslij/dziekujemy", "");
	handle(f, &req, &res);
	assert_int_equal(res.status, 405);
	assert_string_equal(res.allow, "GET, HEAD");
	buf_free(&res.body);
	req = get("/kontakt/wyslij");
	req.method = "PUT";
	handle(f, &req, &res);
	assert_int_equal(res.status, 405);
	buf_free(&res.body);
	/* HEAD is a GET */
	req = get("/kontakt/wyslij/dziekujemy");
	req.method = "HEAD";
	handle(f, &req, &res);
	assert_int_equal(res.status, 200);
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM contacts"), 0);
}

/* A POST that is not a urlencoded form gets 415, before any flow. */
static void test_route_content_type(void **state)
{
	static const char *const wrong[] = {"text/plain", "multipart/form-data; boundary=x",
	                                    "application/x-www-form-urlencodedX",
	                                    "application/json"};
	struct fx *f = *state;
	struct request req;
	struct response res;
	size_t i;

	for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		req = post("/kontakt/wyslij", contact_body);
		req.content_type = wrong[i];
		handle(f, &req, &res);
		if (res.status != 415)
			fail_msg("Content-Type %s: %d", wrong[i], res.status);
		buf_free(&res.body);
	}
	req = post("/kontakt/wyslij", contact_body);
	req.content_type = NULL;
	handle(f, &req, &res);
	assert_int_equal(res.status, 415);
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM contacts"), 0);
	/* with a charset parameter, in another case, it is a form */
	req = post("/kontakt/wyslij", contact_body);
	req.content_type = "Application/X-WWW-Form-Urlencoded; charset=UTF-8";
	handle(f, &req, &res);
	assert_int_equal(res.status, 303);
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM contacts"), 1);
}

/* Regression (issue 12, finding 12): a POST from another site is refused
 * (403) and nothing stored: Sec-Fetch-Site cross-site (or same-site);
 * none of Sec-Fetch-Site, Origin and Referer; an Origin that is no http(s)
 * origin of ours (ftp://host passed the Host fallback). */
static void test_route_cross_site(void **state)
{
	struct fx *f = *state;
	struct request req;
	struct response res;
	struct {
		const char *fetch_site, *origin, *referer;
		int status;
	} cases[] = {
	    {"cross-site", NULL, NULL, 403},
	    {"same-site", NULL, NULL, 403},
	    {"cross-site", "https://example.pl", NULL, 403},
	    {"same-origin", "https://evil.example", NULL, 403},
	    {NULL, NULL, NULL, 403},
	    {NULL, "ftp://example.pl", NULL, 403},
	    {NULL, "null", NULL, 403},
	    {NULL, "https://evil.example", "https://example.pl/kontakt/", 403},
	    {NULL, NULL, "https://evil.example/kontakt/", 403},
	    {NULL, NULL, "https://example.pl.evil.example/", 403},
	    {NULL, NULL, "ftp://example.pl/kontakt/", 403},
	    /* ours: base_url, or http(s) and the Host it came to */
	    {"same-origin", "https://example.pl", NULL, 303},
	    {NULL, "https://example.pl", NULL, 303},
	    {NULL, "http://example.pl", NULL, 303},
	    {NULL, NULL, "https://example.pl/kontakt/", 303},
	};
	size_t i;
	long long stored = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		req = post("/kontakt/wyslij", contact_body);
		req.fetch_site = cases[i].fetch_site;
		req.origin = cases[i].origin;
		req.referer = cases[i].referer;
		handle(f, &req, &res);
		if (res.status != cases[i].status)
			fail_msg("case %zu (Sec-Fetch-Site %s, Origin %s, Referer %s): %d, not %d",
			         i, cases[i].fetch_site ? cases[i].fetch_site : "-",
			         cases[i].origin ? cases[i].origin : "-",
			         cases[i].referer ? cases[i].referer : "-", res.status,
			         cases[i].status);
		if (res.status == 403)
			assert_non_null(strstr(body(&res), "z innej strony"));
		else
			stored++;
		buf_free(&res.body);
		assert_int_equal(db_int(f, "SELECT COUNT(*) FROM contacts"), stored);
	}
}

/* ---- reply.c: a failure is never overwritten ---- */

/* Regression (issue 12, finding 17): an earlier 503 was overwritten with
 * 401 or 404. After a 5xx, no later answer of any kind changes the status
 * or the text. */
static void test_reply_failure_stands(void **state)
{
	struct fx *f = *state;
	struct site_ref *ref = app_site_get(f->a);
	struct response res;
	struct err e = {0};
	struct form form;
	char *text;

	memset(&form, 0, sizeof form);
	res_init(&res);
	err_set(&e, "the disk is full");
	reply_unavailable(&res, &e);
	assert_int_equal(res.status, 503);
	assert_int_equal(res.retry_after, 30);
	text = strdup(body(&res));
	assert_non_null(strstr(text, "Nic nie zostało zapisane"));

	reply_plain(&res, 404, "Nie ma takiej strony.");
	reply_plain(&res, 401, "Zaloguj się.");
	reply_see_other(&res, "/konto/witaj");
	reply_message(ref->sd, NULL, "/kontakt/wyslij/dziekujemy", "Dziękujemy", "Zapisane.", "/",
	              "Start", 200, &res);
	reply_form_again(ref->sd, NULL, "/kontakt/", &form, NULL, 422, &res);
	reply_page(ref->sd, "message", "/x", "X", reply_frame(ref->sd, NULL, NULL, NULL), 200,
	           &res);
	assert_int_equal(res.status, 503);
	assert_string_equal(res.location, "");
	assert_string_equal(body(&res), text);
	free(text);
	buf_free(&res.body);

	/* a 500 stands the same way */
	res_init(&res);
	reply_broken(&res, "a test");
	reply_see_other(&res, "/");
	reply_plain(&res, 200, "OK");
	assert_int_equal(res.status, 500);
	assert_string_equal(res.location, "");
	assert_non_null(strstr(body(&res), "Wystąpił błąd portalu"));
	buf_free(&res.body);
	/* before a failure, a later answer replaces an earlier one */
	res_init(&res);
	reply_plain(&res, 422, "Popraw formularz.");
	reply_see_other(&res, "/dalej");
	assert_int_equal(res.status, 303);
	assert_string_equal(res.location, "/dalej");
	assert_string_equal(body(&res), "");
	buf_free(&res.body);
	app_site_put(ref);
}

/* Renames the layout of the page at `url` in the app's loaded site (as
 * if the build had given it another: sitedata_load refuses such a site,
 * a flow must not crash on it either). */
static void page_layout(struct fx *f, const char *url, const char *layout)
{
	struct val *page = val_get_mut(f->a->cur->sd->pages, url);

	assert_non_null(page);
	assert_int_equal(val_set_str(page, "layout", layout), 0);
}

/* Regression (issue 12, finding 14): with no page of the form's layout
 * (flow_form_page NULL), a form sent back with errors answered by a
 * NULL page crashed formd; it answers 500 (nothing stored). */
static void test_missing_form_page(void **state)
{
	struct fx *f = *state;
	struct request req;
	struct response res;

	page_layout(f, "/kontakt/", "page");
	req = post("/kontakt/wyslij", "name=Jan&email=nie-adres&subject=x&message=y");
	handle(f, &req, &res);
	assert_int_equal(res.status, 500);
	assert_non_null(strstr(body(&res), "Wystąpił błąd portalu"));
	buf_free(&res.body);
	/* a valid message needs no form page: stored as usual */
	req = post("/kontakt/wyslij", contact_body);
	handle(f, &req, &res);
	assert_int_equal(res.status, 303);
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM contacts"), 1);

	page_layout(f, "/konto/rejestracja/", "page");
	req = post("/konto/rejestracja", "first_name=A&email=a%40example.pl");
	handle(f, &req, &res);
	assert_int_equal(res.status, 500);
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM users"), 0);
}

/* The same for the login form shown again after a wrong password (on the
 * pool): 500, not 503 "nothing was stored, try again". */
static void test_missing_login_page(void **state)
{
	struct fx *f = *state;
	struct request req;
	struct response res;

	page_layout(f, "/konto/logowanie/", "page");
	req = post("/konto/logowanie", "email=nikt%40example.pl&password=zle-haslo-123");
	handle(f, &req, &res);
	assert_int_equal(res.status, 500);
	assert_non_null(strstr(body(&res), "Wystąpił błąd portalu"));
	assert_string_equal(res.set_cookie, "");
	buf_free(&res.body);
}

/* ---- session.c ---- */

/* Regression (issue 12, finding 15): whoami took a closed account's
 * session. A session whose account is closed is nobody, and the account
 * page sends them to the login page. */
static void test_whoami_closed(void **state)
{
	struct fx *f = *state;
	char token[AUTH_TOKEN_TEXT], sql[128];
	long long uid = add_user(f, "anna@example.pl", "haslo-anny-123");
	struct request req = get("/konto/moje-dane");
	struct response res;
	struct who w;
	struct err e = {0};

	add_session(f, uid, token);
	req.cookie = token;
	assert_int_equal(session_whoami(f->st, &req, &w, &e), 0);
	assert_int_equal(w.user_id, uid);
	snprintf(sql, sizeof sql, "user:%lld", uid);
	assert_string_equal(w.actor, sql);
	handle(f, &req, &res);
	assert_int_equal(res.status, 200);
	assert_non_null(strstr(body(&res), "anna@example.pl"));
	buf_free(&res.body);

	/* closed behind the session's back (store_user_close ends the
	 * sessions too: this is the row it would have missed) */
	snprintf(sql, sizeof sql, "UPDATE users SET closed = 5 WHERE id = %lld", uid);
	db_exec(f, sql);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM sessions"), 1);
	assert_int_equal(session_whoami(f->st, &req, &w, &e), 0);
	assert_int_equal(w.user_id, 0);
	assert_string_equal(w.digest, "");
	assert_string_equal(w.actor, "web");
	assert_string_equal(w.u.email, "");
	handle(f, &req, &res);
	assert_int_equal(res.status, 303);
	assert_string_equal(res.location, "/konto/logowanie/");
	assert_null(strstr(body(&res), "anna@example.pl"));
	buf_free(&res.body);
	/* a cookie of another shape is nobody without asking the store */
	req.cookie = "krotki";
	assert_int_equal(session_whoami(f->st, &req, &w, &e), 0);
	assert_int_equal(w.user_id, 0);
}

/* ---- the flows ---- */

/* The contact form: stored when its group is on disk, answered 303 to
 * the thank-you page (Post/Redirect/Get); a form with errors is shown
 * again (422) and stores nothing. */
static void test_contact_flow(void **state)
{
	struct fx *f = *state;
	struct request req = post("/kontakt/wyslij", contact_body);
	struct response res;

	handle(f, &req, &res);
	assert_int_equal(res.status, 303);
	assert_string_equal(res.location, "/kontakt/wyslij/dziekujemy");
	assert_string_equal(res.set_cookie, "");
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM contacts WHERE name = 'Jan Kowalski' AND "
	                           "email = 'jan@example.pl' AND office = 'powiat-a' AND "
	                           "subject = 'Pytanie' AND message = 'Dzień dobry'"),
	                 1);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'contact.create' AND "
	                           "actor = 'web'"),
	                 1);

	req = get("/kontakt/wyslij/dziekujemy");
	handle(f, &req, &res);
	assert_int_equal(res.status, 200);
	assert_non_null(strstr(body(&res), "Dziękujemy za wiadomość"));
	buf_free(&res.body);

	/* errors: no address; the administrator's office is not a choice */
	req = post("/kontakt/wyslij", "name=Jan&email=&office=wup&subject=x&message=y");
	handle(f, &req, &res);
	assert_int_equal(res.status, 422);
	assert_non_null(strstr(body(&res), "Wybierz urząd z listy."));
	assert_string_equal(res.location, "");
	buf_free(&res.body);
	/* the honeypot filled */
	req = post("/kontakt/wyslij", "name=Jan&email=jan%40example.pl&subject=x&message=y&"
	                              "strona=http%3A%2F%2Fspam");
	handle(f, &req, &res);
	assert_int_equal(res.status, 422);
	buf_free(&res.body);
	/* a body that is no form */
	req = post("/kontakt/wyslij", "name=%ZZ");
	handle(f, &req, &res);
	assert_int_equal(res.status, 400);
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM contacts"), 1);
}

static const char register_body[] = "first_name=Wiktoria&last_name=Lis&email=%s&status=bezrobotna&"
                                    "office=powiat-a&password=dlugie-haslo-123&"
                                    "password2=dlugie-haslo-123&terms=1&privacy=1";

/* Registers `email` (urlencoded) through the flow; the answer in res. */
static void do_register(struct fx *f, const char *email, struct response *res)
{
	char b[512];
	struct request req;

	snprintf(b, sizeof b, register_body, email);
	req = post("/konto/rejestracja", b);
	handle(f, &req, res);
}

/* Regression (issue 12, finding 6): registration said "Konto z tym
 * adresem e-mail już istnieje". A fresh and a taken address (in another
 * case) get the same answer: 303 to the same page, no cookie, no body;
 * only the message queued differs (a link for the fresh one, a note to
 * the taken one's holder), and no second account is made. */
static void test_register_same_answer(void **state)
{
	struct fx *f = *state;
	struct response fresh, taken;
	struct user u;
	struct err e = {0};

	do_register(f, "wiktoria%40example.pl", &fresh);
	do_register(f, "Wiktoria%40Example.PL", &taken);
	assert_int_equal(fresh.status, 303);
	assert_int_equal(taken.status, fresh.status);
	assert_string_equal(fresh.location, "/konto/rejestracja/wyslano");
	assert_string_equal(taken.location, fresh.location);
	assert_string_equal(fresh.set_cookie, "");
	assert_string_equal(taken.set_cookie, "");
	assert_int_equal(fresh.body.len, 0);
	assert_int_equal(taken.body.len, 0);
	assert_int_equal(taken.retry_after, fresh.retry_after);
	buf_free(&fresh.body);
	buf_free(&taken.body);

	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM users"), 1);
	assert_int_equal(store_user_by_email(f->st, "wiktoria@example.pl", &u, &e), 0);
	assert_string_equal(u.email, "wiktoria@example.pl");
	assert_int_equal(u.confirmed, 0); /* not until the link is used */
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'account.confirm' AND "
	                           "to_addr = 'wiktoria@example.pl'"),
	                 1);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'account.exists' AND "
	                           "to_addr = 'Wiktoria@Example.PL'"),
	                 1);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM tokens WHERE kind = 'confirm'"), 1);

	/* the page both are sent to */
	{
		struct request req = get("/konto/rejestracja/wyslano");
		struct response res;

		handle(f, &req, &res);
		assert_int_equal(res.status, 200);
		assert_non_null(strstr(body(&res), "Sprawdź skrzynkę e-mail"));
		buf_free(&res.body);
	}
}

/* Login: a wrong password is the form again (422) with no cookie; the
 * right one a session cookie and 303 to the welcome page, whose whoami
 * then knows the person. */
static void test_login_flow(void **state)
{
	struct fx *f = *state;
	long long uid = add_user(f, "anna@example.pl", "haslo-anny-123");
	struct request req = post("/konto/logowanie", "email=anna%40example.pl&password=zle");
	struct response res;
	struct who w;
	struct err e = {0};
	char token[AUTH_TOKEN_TEXT];
	const char *v;

	handle(f, &req, &res);
	assert_int_equal(res.status, 422);
	assert_non_null(strstr(body(&res), "Nieprawidłowy adres e-mail lub hasło."));
	assert_string_equal(res.set_cookie, "");
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM sessions"), 0);

	req = post("/konto/logowanie", "email=ANNA%40example.pl&password=haslo-anny-123");
	handle(f, &req, &res);
	assert_int_equal(res.status, 303);
	assert_string_equal(res.location, "/konto/witaj");
	/* --dev: "sesja", not Secure */
	assert_int_equal(strncmp(res.set_cookie, "sesja=", 6), 0);
	assert_non_null(strstr(res.set_cookie, "; HttpOnly; SameSite=Lax"));
	assert_null(strstr(res.set_cookie, "Secure"));
	v = res.set_cookie + 6;
	assert_true(strcspn(v, ";") == AUTH_TOKEN_TEXT - 1);
	snprintf(token, sizeof token, "%.*s", (int)strcspn(v, ";"), v);
	buf_free(&res.body);
	assert_int_equal(db_int(f, "SELECT COUNT(*) FROM sessions"), 1);
	req = get("/konto/witaj");
	req.cookie = token;
	assert_int_equal(session_whoami(f->st, &req, &w, &e), 0);
	assert_int_equal(w.user_id, uid);
	handle(f, &req, &res);
	assert_int_equal(res.status, 200);
	assert_non_null(strstr(body(&res), "Jesteś zalogowany(-a)."));
	buf_free(&res.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_route_methods, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_route_content_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_route_cross_site, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reply_failure_stands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_form_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_login_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whoami_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contact_flow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_register_same_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_login_flow, setup, teardown),
	};
	struct err e = {0};

	if (auth_init(&e) < 0) {
		fprintf(stderr, "auth_init: %s\n", e.msg);
		return 1;
	}
	return cmocka_run_group_tests_name("flows", tests, NULL, NULL);
}
