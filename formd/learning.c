/*
 * learning.c - the courses' flows: a test graded against its answer key
 * (an attempt and, on passing, a certificate stored in one writer step
 * that also checks the attempts left), the certificate check by code, and
 * the course forums' posts.
 */
#include "flow.h"
#include "forum.h"
#include "qr.h"
#include "reply.h"

#include "utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The certificate's frame: who, what, when, the code, its address (the
 * page's, the print view's, the full one to check it at) and, with `qr`,
 * that full address as a QR code (inline SVG). */
static struct val *certificate_val(const struct sitedata *sd, const struct certificate *c, int qr)
{
	const struct val *key = sitedata_test(sd, c->course);
	const char *base = val_get_str(val_get(sd->base, "site"), "base_url", "");
	struct val *v = val_new(VAL_TABLE);
	struct buf url = BUF_INIT, full = BUF_INIT, svg = BUF_INIT;
	struct err e = {0};
	int r = 0;

	buf_printf(&url, "%s/%s", sitedata_form(sd, "certificate"), c->code);
	buf_printf(&full, "%s%s", base, url.ptr);
	r |= val_set_str(v, "code", c->code);
	r |= buf_failed(&url) || buf_failed(&full)
	         ? -1
	         : val_set_str(v, "url", url.ptr) | val_set_str(v, "check_url", full.ptr);
	buf_puts(&url, "/wydruk");
	r |= buf_failed(&url) ? -1 : val_set_str(v, "print_url", url.ptr);
	r |=
	    val_set_str(v, "first_name", c->first_name) | val_set_str(v, "last_name", c->last_name);
	r |= val_set_str(v, "course", val_get_str(key, "title", c->course));
	r |= val_set_str(v, "course_slug", c->course);
	r |= val_set(v, "issued", pages_time(c->issued));
	/* a code the page can do without: a failure is logged, not answered */
	if (qr && r == 0 &&
	    qr_svg(full.ptr, "Kod QR z adresem, pod którym można sprawdzić certyfikat", &svg, &e) ==
	        0)
		r |= val_set_str(v, "qr_svg", svg.ptr);
	else if (qr && r == 0)
		fprintf(stderr, "formd: certificate %s: %s\n", c->code, e.msg);
	buf_free(&url);
	buf_free(&full);
	buf_free(&svg);
	if (r < 0) {
		val_free(v);
		return NULL;
	}
	return v;
}

/* The login form again, for someone who sent a test or a post without
 * logging in (401): after logging in they come back to `back`. */
static void login_first(struct flow_ctx *c, const char *back, const char *summary)
{
	static const struct field next_only[] = {{"next", F_LINE, 0, 300, NULL, NULL}};
	struct pairs p;
	struct form f;
	struct err e = {0};
	char body[400];

	memset(&p, 0, sizeof p);
	snprintf(body, sizeof body, "next=%s", back); /* a page URL: no escaping needed */
	if (form_parse(body, strlen(body), &p, &e) < 0) {
		reply_unavailable(c->res, &e);
		return;
	}
	form_check(&f, next_only, 1, &p);
	reply_form_again(c->sd, NULL, flow_form_page(c->sd, "form-login"), &f, summary, 401,
	                 c->res);
	pairs_free(&p);
}

/* Grades a test: the share of questions answered fully right (exactly
 * the right answers ticked), in whole percent rounded down; `wrong`
 * lists the numbers of the others. -1 out of memory. */
static int grade(const struct val *key, const struct test_answers *t, struct buf *wrong,
                 struct val *wrong_list)
{
	const struct val *qs = val_get(key, "questions");
	size_t i, n = qs && qs->type == VAL_ARRAY ? qs->u.arr.n : 0, right = 0;

	for (i = 0; i < n && i < FORM_MAX_QUESTIONS; i++) {
		const struct val *c = val_get(qs->u.arr.items[i], "correct");
		unsigned mask = 0;
		size_t k;

		for (k = 0; c && c->type == VAL_ARRAY && k < c->u.arr.n; k++) {
			const char *a =
			    c->u.arr.items[k]->type == VAL_STRING ? c->u.arr.items[k]->u.str.s : "";

			if (a[0] == 'a' && atoi(a + 1) >= 1 && atoi(a + 1) <= FORM_MAX_ANSWERS)
				mask |= 1u << (atoi(a + 1) - 1);
		}
		if (t->chosen[i + 1] == mask) {
			right++;
		} else {
			struct val *q = val_new(VAL_TABLE);
			char id[16];

			buf_printf(wrong, "%s%zu", wrong->len ? "," : "", i + 1);
			snprintf(id, sizeof id, "q%zu", i + 1);
			if (!q || val_push(wrong_list, q) < 0 ||
			    val_set_int(q, "n", (long long)i + 1) < 0 ||
			    val_set_str(q, "id", id) < 0)
				return -1;
		}
	}
	return n ? (int)(right * 100 / n) : 0;
}

/* Grades and stores one attempt: 0 with *id, 2 when the course is passed
 * already, 3 when no attempts are left (both storing nothing), -1 with e.
 * The writer checks the attempts left and an earlier certificate in the
 * same step as the insert, so parallel submissions never pass the
 * allowance. */
static int attempt(struct flow_ctx *c, const struct val *key, const struct test_answers *t,
                   long long *id, struct err *e)
{
	int pass_mark = (int)val_get_int(key, "pass_mark", 100);
	int allowed = (int)val_get_int(key, "attempts", 1), score, passed, r, tries;
	struct val *wrong_list = val_new(VAL_ARRAY);
	struct buf wrong = BUF_INIT;
	char code[AUTH_CODE_TEXT];

	score = wrong_list ? grade(key, t, &wrong, wrong_list) : -1;
	val_free(wrong_list);
	if (score < 0 || buf_failed(&wrong)) {
		buf_free(&wrong);
		return err_oom(e);
	}
	passed = score >= pass_mark;
	for (tries = 0, r = 1; r == 1 && tries < 3; tries++) { /* a code drawn twice: another */
		auth_code(code);
		r = store_attempt_add(c->a->st, c->w->actor, c->w->user_id, t->course, score,
		                      passed, wrong.ptr, passed ? code : NULL, allowed, id, e);
	}
	buf_free(&wrong);
	if (r == 1)
		err_kind_set(e, ERR_IO, "attempt not stored: certificate codes taken");
	return r == 1 ? -1 : r;
}

/* The result page's title, "Wynik testu: COURSE", into out. */
static void result_title(char *out, size_t n, const struct val *key, const char *course)
{
	snprintf(out, n, "Wynik testu: %s", val_get_str(key, "title", course));
}

/* A test sent that stores nothing (409): passed already (`already`, with
 * the certificate) or no attempts left. */
static void test_refused(struct flow_ctx *c, const struct val *key, const char *course, int already)
{
	struct val *top = reply_frame(c->sd, c->w, NULL, NULL), *result = val_new(VAL_TABLE);
	struct certificate cert;
	struct err e = {0};
	char title[300];
	int r = top && result ? val_set(top, "result", result) : (val_free(result), -1);

	if (r == 0 && already &&
	    store_certificate_of(c->a->st, c->w->user_id, course, &cert, &e) == 0)
		r |= val_set_bool(result, "already", 1) |
		     val_set(result, "certificate", certificate_val(c->sd, &cert, 0));
	else if (r == 0)
		r |= val_set_bool(result, "no_attempts", 1);
	r |= r == 0 ? val_set_str(result, "course", val_get_str(key, "title", course)) |
	                  val_set_str(result, "test_url", val_get_str(key, "test_url", "/kursy/"))
	            : -1;
	if (r < 0) {
		val_free(top);
		top = NULL;
	}
	result_title(title, sizeof title, key, course);
	reply_page(c->sd, "test-result", c->req->path, title, top, 409, c->res);
}

/* Marks the answers of t on a copy of the test page's question list and
 * lists the questions left unanswered into `items` (the error summary's
 * {field, label, message}). The number unanswered, or -1 out of memory. */
static int mark_answers(struct val *qs, const struct test_answers *t, struct val *items)
{
	size_t i, k;
	int left = 0, r = 0;

	for (i = 0; qs && qs->type == VAL_ARRAY && i < qs->u.arr.n; i++) {
		struct val *q = qs->u.arr.items[i], *as = val_get_mut(q, "answers"), *it;
		long long n = val_get_int(q, "n", 0);
		unsigned chosen = n >= 1 && n <= FORM_MAX_QUESTIONS ? t->chosen[n] : 0;
		char label[40];

		for (k = 0; as && as->type == VAL_ARRAY && k < as->u.arr.n; k++) {
			const char *v = val_get_str(as->u.arr.items[k], "value", "");
			int a = v[0] == 'a' ? atoi(v + 1) : 0;

			if (a >= 1 && a <= FORM_MAX_ANSWERS && (chosen & (1u << (a - 1))))
				r |= val_set_bool(as->u.arr.items[k], "chosen", 1);
		}
		if (chosen)
			continue;
		left++;
		snprintf(label, sizeof label, "Pytanie %lld", n);
		r |= val_set_bool(q, "unanswered", 1) | val_push(items, it = val_new(VAL_TABLE));
		r |= it ? val_set_str(it, "field", val_get_str(q, "id", "")) |
		              val_set_str(it, "label", label) |
		              val_set_str(it, "message", "Nie zaznaczono odpowiedzi.")
		        : -1;
	}
	return r < 0 ? -1 : left;
}

/* Unanswered questions in t by the answer key (a question with no box
 * ticked). */
static int unanswered(const struct val *key, const struct test_answers *t)
{
	const struct val *qs = val_get(key, "questions");
	size_t i, n = qs && qs->type == VAL_ARRAY ? qs->u.arr.n : 0;
	int left = 0;

	for (i = 0; i < n && i < FORM_MAX_QUESTIONS; i++)
		left += t->chosen[i + 1] == 0;
	return left;
}

/* The test page again (422), nothing stored: the answers given ticked,
 * each question left unanswered marked, a summary linking to them and a
 * plain "send anyway" button (confirm=1). */
static void test_again(struct flow_ctx *c, const struct val *key, const struct test_answers *t)
{
	const char *url = val_get_str(key, "test_url", "");
	const struct val *own = page_frame(c->sd, url);
	struct val *frame, *form, *errors, *items, *top = NULL;
	int r;

	if (!own) {
		reply_broken(c->res, "the test has no page in pages.json");
		return;
	}
	frame = val_dup(own);
	form = val_new(VAL_TABLE);
	errors = val_new(VAL_TABLE);
	items = val_new(VAL_ARRAY);
	r = val_set(errors, "items", items); /* each set takes its value, even failing */
	r |= val_set(form, "errors", errors);
	r |= val_set_bool(form, "send_anyway", 1);
	if (r == 0 && frame)
		r = mark_answers(
		    val_get_mut(val_get_mut(val_get_mut(frame, "page"), "test"), "questions"), t,
		    items);
	if (r >= 0 && frame)
		top = reply_frame(c->sd, c->w, form, NULL);
	else
		val_free(form);
	reply_page_again(c->sd, url, frame, top, 422, c->res);
}

/* Who may send this test now: 0 to go on, 1 when the answer is set
 * (passed already or no attempts left: 409; 503). */
static int test_refuse(struct flow_ctx *c, const struct val *key, const char *course)
{
	struct certificate cert;
	struct err e = {0};
	long long used = 0;
	int r = store_certificate_of(c->a->st, c->w->user_id, course, &cert, &e);

	if (r == 1 && store_attempts(c->a->st, c->w->user_id, course, &used, &e) < 0)
		r = -1;
	if (r < 0) {
		reply_unavailable(c->res, &e);
		return 1;
	}
	if (r == 0 || used >= val_get_int(key, "attempts", 1)) {
		test_refused(c, key, course, r == 0);
		return 1;
	}
	return 0;
}

void learning_test(struct flow_ctx *c)
{
	struct test_answers t;
	const struct val *key;
	struct err e = {0};
	char where[300];
	long long id = 0;
	int r;

	if (form_parse_answers(c->req->body, c->req->body_len, &t, &e) < 0) {
		if (e.kind == ERR_NOMEM)
			reply_unavailable(c->res, &e);
		else
			reply_plain(c->res, 400,
			            "Formularz przyszedł uszkodzony. Wróć i wyślij go ponownie.");
		return;
	}
	key = t.course[0] ? sitedata_test(c->sd, t.course) : NULL;
	if (!key) {
		reply_plain(c->res, 422, "Nie ma takiego testu. Wróć do strony kursu.");
		return;
	}
	if (!c->w->user_id) {
		login_first(
		    c, val_get_str(key, "test_url", "/kursy/"),
		    "Zaloguj się, aby zapisać wynik testu. Po zalogowaniu wrócisz do testu i "
		    "wyślesz odpowiedzi jeszcze raz.");
		return;
	}
	if (c->w->u.restricted) {
		flow_restricted(c);
		return;
	}
	if (test_refuse(c, key, t.course))
		return;
	if (!t.confirmed && unanswered(key, &t)) {
		test_again(c, key, &t);
		return;
	}
	r = attempt(c, key, &t, &id, &e);
	if (r == 2 || r == 3) { /* passed or used up meanwhile */
		test_refused(c, key, t.course, r == 2);
		return;
	}
	snprintf(where, sizeof where, "%s/wynik/%lld", sitedata_form(c->sd, "test"), id);
	if (r < 0)
		reply_unavailable(c->res, &e);
	else
		reply_see_other(c->res, where); /* a reload of the result only shows it */
}

/* The result's wrong answers {n, id} from the stored "2,5", into the
 * result; 0, or -1 out of memory. */
static int wrong_val(struct val *result, const char *wrong)
{
	struct val *list = val_new(VAL_ARRAY);
	const char *p = wrong;
	int r = list ? 0 : -1;

	while (r == 0 && *p) {
		char *end = NULL, id[24];
		long n = strtol(p, &end, 10);
		struct val *q;

		if (end == p || n < 1 || n > FORM_MAX_QUESTIONS)
			break; /* not of the store's shape: the rest is not shown */
		snprintf(id, sizeof id, "q%ld", n);
		r |= val_push(list, q = val_new(VAL_TABLE));
		r |= q ? val_set_int(q, "n", n) | val_set_str(q, "id", id) : -1;
		p = *end == ',' ? end + 1 : end;
	}
	r |= val_set_bool(result, "has_wrong", list && list->u.arr.n > 0);
	r |= val_set_int(result, "wrong_count", list ? (long long)list->u.arr.n : 0);
	return r | val_set(result, "wrong", list);
}

/* The result frame of a stored attempt: score, pass mark, wrong answers,
 * attempts left and, for a pass, the certificate. NULL with e. */
static struct val *result_val(struct flow_ctx *c, const struct val *key, const struct attempt *a,
                              struct err *e)
{
	struct val *result = val_new(VAL_TABLE);
	int allowed = (int)val_get_int(key, "attempts", 1), r = 0, left;
	struct certificate cert;
	long long used = 0;

	if (!result || store_attempts(c->a->st, a->user_id, a->course, &used, e) < 0) {
		if (!result)
			err_oom(e);
		val_free(result);
		return NULL;
	}
	left = used < allowed ? allowed - (int)used : 0;
	r |= val_set_int(result, "score", a->score) |
	     val_set_int(result, "pass_mark", val_get_int(key, "pass_mark", 100)) |
	     val_set_bool(result, "passed", a->passed) |
	     val_set_int(result, "attempts_left", left) | val_set(result, "at", pages_time(a->at)) |
	     wrong_val(result, a->wrong);
	r |= val_set_str(result, "course", val_get_str(key, "title", a->course)) |
	     val_set_str(result, "test_url", val_get_str(key, "test_url", "/kursy/"));
	if (a->passed && store_certificate_of(c->a->st, a->user_id, a->course, &cert, e) == 0)
		r |= val_set(result, "certificate", certificate_val(c->sd, &cert, 0));
	else if (!a->passed && store_certificate_of(c->a->st, a->user_id, a->course, &cert, e) == 1)
		r |= val_set_bool(result, "can_retry", left > 0);
	if (r < 0) {
		err_oom(e);
		val_free(result);
		return NULL;
	}
	return result;
}

void learning_result(struct flow_ctx *c)
{
	const char *digits = c->rest + strlen("/wynik/");
	struct attempt a;
	struct err e = {0};
	struct val *top, *result;
	char title[300];
	int r = 1;

	if (c->w->user_id && *digits && strspn(digits, "0123456789") == strlen(digits) &&
	    strlen(digits) < 16)
		r = store_attempt_get(c->a->st, strtoll(digits, NULL, 10), &a, &e);
	if (r < 0) {
		reply_unavailable(c->res, &e);
		return;
	}
	if (r == 1 || a.user_id != c->w->user_id) { /* another's is as if none */
		reply_message(c->sd, c->w, c->req->path, "Nie ma takiego wyniku testu",
		              "Nie ma takiego wyniku testu albo należy on do innego konta. Swoje "
		              "wyniki zobaczysz po zalogowaniu, na stronie Moje dane.",
		              sitedata_form(c->sd, "account"), "Moje dane", 404, c->res);
		return;
	}
	if (!(result = result_val(c, sitedata_test(c->sd, a.course), &a, &e))) {
		reply_unavailable(c->res, &e);
		return;
	}
	top = reply_frame(c->sd, c->w, NULL, NULL);
	if (top && val_set(top, "result", result) < 0) {
		val_free(top);
		top = NULL;
	} else if (!top) {
		val_free(result);
	}
	result_title(title, sizeof title, sitedata_test(c->sd, a.course), a.course);
	reply_page(c->sd, "test-result", c->req->path, title, top, 200, c->res);
}

/* "abcd-efgh-jkmn-pqrs" -> "ABCD-EFGH-JKMN-PQRS"; 0 if it cannot be a
 * code at all (so nothing else reaches the store). */
static int normalise_code(const char *in, char out[AUTH_CODE_TEXT])
{
	size_t i, n = 0;

	for (i = 0; in[i] && n < AUTH_CODE_TEXT - 1; i++) {
		char ch = (char)toupper((unsigned char)in[i]);

		if (ch == ' ' || (ch == '-' && n % 5 != 4))
			continue;
		if (n % 5 == 4) {
			out[n++] = '-';
			if (ch == '-')
				continue;
		}
		if (!strchr("23456789ABCDEFGHJKMNPQRSTUVWXYZ", ch))
			return 0;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n == AUTH_CODE_TEXT - 1 && in[i] == '\0';
}

/* GET certificate?kod=... (the check form): to the certificate's page. */
static void certificate_check(struct flow_ctx *c)
{
	const char *arg = http_query_arg(c->req, "kod");
	char code[AUTH_CODE_TEXT], where[300];

	if (!arg || !normalise_code(arg, code)) {
		reply_message(c->sd, c->w, c->req->path, "Sprawdzanie certyfikatu",
		              "To nie jest kod certyfikatu. Kod ma 16 znaków, np. "
		              "ABCD-EFGH-JKMN-PQRS. Sprawdź, czy został przepisany bez błędu.",
		              "/certyfikaty/", "Spróbuj jeszcze raz", 404, c->res);
		return;
	}
	snprintf(where, sizeof where, "%s/%s", sitedata_form(c->sd, "certificate"), code);
	reply_see_other(c->res, where);
}

void learning_certificate(struct flow_ctx *c)
{
	struct certificate cert;
	struct err e = {0};
	char code[AUTH_CODE_TEXT], given[AUTH_CODE_TEXT + 1], key[LIMITS_KEY], record[64];
	struct val *top;
	int r, wait, print;

	if (!*c->rest) {
		certificate_check(c);
		return;
	}
	/* "/CODE" or "/CODE/wydruk" (route.c lets no other shape through) */
	print = strchr(c->rest + 1, '/') != NULL;
	snprintf(given, sizeof given, "%.*s", (int)strcspn(c->rest + 1, "/"), c->rest + 1);
	if (!normalise_code(given, code) || strcmp(given, code) != 0 ||
	    strcspn(c->rest + 1, "/") != strlen(code) ||
	    (print && strcmp(c->rest + 1 + strlen(code), "/wydruk") != 0))
		r = 1;
	else
		r = store_certificate(c->a->st, code, &cert, &e);
	if (r < 0) {
		reply_unavailable(c->res, &e);
		return;
	}
	if (r == 1) { /* guessing codes is slowed down */
		snprintf(key, sizeof key, "certificate-miss:%s", flow_client_key(c));
		wait = limits_hit(c->a->lim, key, 20, 600, flow_now());
		if (wait) {
			c->res->retry_after = wait;
			reply_plain(c->res, 429,
			            "Zbyt wiele prób sprawdzenia nieistniejących kodów. Spróbuj "
			            "później.");
			return;
		}
		reply_message(c->sd, c->w, c->req->path, "Nie ma takiego certyfikatu",
		              "Portal nie wydał certyfikatu o tym kodzie. Sprawdź, czy kod został "
		              "przepisany bez błędu.",
		              "/certyfikaty/", "Sprawdź inny kod", 404, c->res);
		return;
	}
	/* a certificate shows a name: who looked is in the audit log */
	snprintf(record, sizeof record, "certificate:%s", cert.code);
	if (store_audit_read(c->a->st, c->w->actor, "certificate.read", record, &e) < 0) {
		reply_unavailable(c->res, &e);
		return;
	}
	/* the print view: no header, no account, no footer (the layout's) */
	top = print ? val_new(VAL_TABLE) : reply_frame(c->sd, c->w, NULL, NULL);
	if (top && val_set(top, "certificate", certificate_val(c->sd, &cert, 1)) < 0) {
		val_free(top);
		top = NULL;
	}
	reply_page(c->sd, print ? "certificate-print" : "certificate", c->req->path,
	           "Certyfikat ukończenia kursu", top, 200, c->res);
}

/* ---- the course forums ---- */

static const struct field post_fields[] = {
    {"course", F_LINE, 1, 64, NULL, "Kurs"},
    {"thread", F_LINE, 0, 20, NULL, "Wątek"},
    {"title", F_LINE, 0, FORUM_TITLE_MAX, NULL, "Tytuł wątku"},
    {"body", F_TEXT, 1, FORUM_BODY_MAX, NULL, "Treść wpisu"},
};

/* The course's {slug, title, url} from its test page, or NULL. */
static const struct val *course_of(const struct sitedata *sd, const char *slug)
{
	size_t i;

	for (i = 0; sd->pages->type == VAL_TABLE && i < sd->pages->u.tab.n; i++) {
		const struct val *co = val_path(sd->pages->u.tab.kv[i].v, "frame.page.course");

		if (co && strcmp(val_get_str(co, "slug", ""), slug) == 0)
			return co;
	}
	return NULL;
}

/* The post form again, as a page of its own, with the errors and what was
 * typed (422). */
static void post_again(struct flow_ctx *c, const struct form *f)
{
	const struct val *course = course_of(c->sd, form_get(f, "course"));
	struct val *top = reply_frame(c->sd, c->w, form_frame(f, NULL), NULL),
	           *fv = val_new(VAL_TABLE);
	struct buf u = BUF_INIT;
	int r = top ? val_set(top, "forum", fv) : (val_free(fv), -1);

	if (r == 0 && course) {
		r |= val_set(fv, "course", val_dup(course));
		buf_printf(&u, "%sforum/", val_get_str(course, "url", "/"));
		r |= buf_failed(&u) ? -1 : val_set_str(fv, "url", u.ptr);
	}
	if (r == 0)
		r |= val_set_str(fv, "action", c->req->path) |
		     val_set_bool(fv, "reply", *form_get(f, "thread") != '\0');
	buf_free(&u);
	if (r < 0) {
		val_free(top);
		top = NULL;
	}
	reply_page(c->sd, "forum-post", c->req->path, "Wpis na forum", top, 422, c->res);
}

/* The post from the form into p; 0, or the number of fields in error. */
static int post_of(struct flow_ctx *c, struct form *f, struct post *p)
{
	const char *thread = form_get(f, "thread");
	char *end = NULL;
	unsigned cp = 0;
	int n;

	memset(p, 0, sizeof *p);
	if (*thread) {
		p->thread_id = strtoll(thread, &end, 10);
		if (!end || *end || p->thread_id < 1)
			form_fail(f, "thread", "Nie ma takiego wątku.");
	} else if (!*form_get(f, "title")) {
		form_fail(f, "title", "Podaj tytuł wątku.");
	}
	snprintf(p->course, sizeof p->course, "%s", form_get(f, "course"));
	p->user_id = c->w->user_id;
	/* shown as "Imię N." (the policy asks for no more than needed) */
	n = utf8_decode(c->w->u.last_name, strlen(c->w->u.last_name), &cp);
	snprintf(p->author, sizeof p->author, "%s %.*s.", c->w->u.first_name, n > 0 ? n : 0,
	         c->w->u.last_name);
	snprintf(p->title, sizeof p->title, "%s", p->thread_id ? "" : form_get(f, "title"));
	p->body = (char *)form_get(f, "body"); /* read only by the store */
	return f->nerrors;
}

/* A stored post waiting for its page: the 303 comes once the forum
 * writer has rewritten it. */
struct post_job {
	struct app *a;
	struct site_ref *ref; /* held until the answer */
	char course[STORE_SLUG];
	char where[FORUM_URL_MAX];
	void (*run)(void *token);
	void *token;
};

/* On a forum writer thread: the pages are written (or not: logged; the
 * post is stored all the same). */
static void post_written(void *arg, int rc, const struct err *e)
{
	struct post_job *j = arg;

	if (rc < 0)
		fprintf(stderr, "formd: forum %s: %s\n", j->course, e ? e->msg : "not written");
	j->run(j->token);
}

/* http's defer_submit: marks the course; the answer comes when its page
 * is written. A mark that fails is logged and answered at once. */
static int post_queue(void *arg, void (*run)(void *token), void *token)
{
	struct post_job *j = arg;
	struct forum_site site = app_forum_site(j->ref);
	struct err e = {0};

	j->run = run;
	j->token = token;
	if (forum_writer_mark(j->a->set.forum, &site, j->course, post_written, j, &e) < 0) {
		fprintf(stderr, "formd: forum %s: %s\n", j->course, e.msg);
		run(token);
	}
	return 0;
}

static void post_answer(void *arg, struct response *res)
{
	struct post_job *j = arg;

	reply_see_other(res, j->where);
	app_site_put(j->ref);
	free(j);
}

void learning_post(struct flow_ctx *c)
{
	struct pairs p;
	struct form f;
	struct post post;
	struct err e = {0};
	const struct val *course;
	struct post_job *j;
	char key[LIMITS_KEY], where[FORUM_URL_MAX];
	int r, wait;

	memset(&p, 0, sizeof p);
	if (flow_read_form(c, &p, &f, post_fields, NF(post_fields)) < 0)
		return;
	course = course_of(c->sd, form_get(&f, "course"));
	if (!course) {
		reply_plain(c->res, 422, "Nie ma takiego kursu. Wróć do strony kursu.");
		goto out;
	}
	if (!c->w->user_id) {
		snprintf(where, sizeof where, "%sforum/", val_get_str(course, "url", "/"));
		login_first(c, where,
		            "Zaloguj się, aby pisać na forum. Po zalogowaniu wrócisz do forum; "
		            "napisz swój wpis jeszcze raz.");
		goto out;
	}
	if (c->w->u.restricted) {
		flow_restricted(c);
		goto out;
	}
	if (post_of(c, &f, &post)) {
		post_again(c, &f);
		goto out;
	}
	snprintf(key, sizeof key, "post:%lld", c->w->user_id);
	wait = limits_hit(c->a->lim, key, c->a->set.post_rate, 600, flow_now());
	if (wait) {
		c->res->retry_after = wait;
		reply_plain(c->res, 429,
		            "Zbyt wiele wpisów w krótkim czasie. Spróbuj za kilka minut.");
		goto out;
	}
	r = store_post_add(c->a->st, c->w->actor, &post, &e);
	if (r == 1) {
		form_fail(&f, "thread", "Nie ma takiego wątku w tym kursie.");
		post_again(c, &f);
		goto out;
	}
	if (r < 0) {
		reply_unavailable(c->res, &e);
		goto out;
	}
	/* the post is stored: a failure to rewrite the page is logged and
	 * mended by the next write or reload, never answered as a failure */
	if (forum_post_url(c->a->st, post.course, post.thread_id ? post.thread_id : post.id,
	                   post.id, where, sizeof where, &e) < 0) {
		fprintf(stderr, "formd: forum %s: %s\n", post.course, e.msg);
		snprintf(where, sizeof where, "%sforum/%lld/#wpis-%lld",
		         val_get_str(course, "url", "/"), post.thread_id ? post.thread_id : post.id,
		         post.id);
	}
	j = c->a->set.forum ? calloc(1, sizeof *j) : NULL;
	if (!j) {
		if (app_forum_write(c->a, c->ref, post.course, &e) < 0)
			fprintf(stderr, "formd: forum %s: %s\n", post.course, e.msg);
		reply_see_other(c->res, where);
		goto out;
	}
	j->a = c->a;
	j->ref = c->ref;
	atomic_fetch_add(&c->ref->refs, 1); /* let go of in post_answer */
	snprintf(j->course, sizeof j->course, "%s", post.course);
	snprintf(j->where, sizeof j->where, "%s", where);
	/* the poster waits for the page that shows the post, holding no thread */
	c->res->defer = post_answer;
	c->res->defer_submit = post_queue;
	c->res->defer_arg = j;
out:
	pairs_free(&p);
}
