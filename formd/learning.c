/*
 * learning.c - the courses' flows: a test graded against its answer key
 * (an attempt and, on passing, a certificate stored in one writer step
 * that also checks the attempts left), the certificate check by code, and
 * the course forums' posts.
 */
#include "flow.h"
#include "forum.h"
#include "reply.h"

#include "utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The certificate's frame: who, what, when, the code and its address. */
static struct val *certificate_val(const struct sitedata *sd, const struct certificate *c)
{
	const struct val *key = sitedata_test(sd, c->course);
	struct val *v = val_new(VAL_TABLE);
	struct buf url = BUF_INIT;
	int r = 0;

	buf_printf(&url, "%s/%s", sitedata_form(sd, "certificate"), c->code);
	r |= val_set_str(v, "code", c->code);
	r |= buf_failed(&url) ? -1 : val_set_str(v, "url", url.ptr);
	r |=
	    val_set_str(v, "first_name", c->first_name) | val_set_str(v, "last_name", c->last_name);
	r |= val_set_str(v, "course", val_get_str(key, "title", c->course));
	r |= val_set_str(v, "course_slug", c->course);
	r |= val_set(v, "issued", pages_time(c->issued));
	buf_free(&url);
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

/* Grades and stores one attempt into `result`: 0, or -1 with e. The
 * writer checks the attempts left and an earlier certificate in the same
 * step as the insert, so parallel submissions never pass the allowance. */
static int attempt(struct flow_ctx *c, const struct val *key, const struct test_answers *t,
                   struct val *result, struct err *e)
{
	const char *course = t->course;
	int pass_mark = (int)val_get_int(key, "pass_mark", 100);
	int allowed = (int)val_get_int(key, "attempts", 1), score, passed, r, tries;
	struct val *wrong_list = val_new(VAL_ARRAY);
	struct buf wrong = BUF_INIT;
	struct certificate cert;
	char code[AUTH_CODE_TEXT];
	long long used = 0;

	score = wrong_list ? grade(key, t, &wrong, wrong_list) : -1;
	if (score < 0 || buf_failed(&wrong)) {
		r = err_oom(e);
		goto out;
	}
	passed = score >= pass_mark;
	for (tries = 0, r = 1; r == 1 && tries < 3; tries++) { /* a code drawn twice: another */
		auth_code(code);
		r = store_attempt_add(c->a->st, c->w->actor, c->w->user_id, course, score, passed,
		                      wrong.ptr, passed ? code : NULL, allowed, NULL, e);
	}
	if (r == 2 || r == 3) { /* passed meanwhile, or no attempts left */
		if (r == 2 && store_certificate_of(c->a->st, c->w->user_id, course, &cert, e) == 0)
			r = val_set_bool(result, "already", 1) |
			    val_set(result, "certificate", certificate_val(c->sd, &cert));
		else
			r = val_set_bool(result, "no_attempts", 1) |
			    val_set_int(result, "attempts", allowed);
		goto out;
	}
	if (r != 0) {
		if (r == 1)
			err_kind_set(e, ERR_IO, "attempt not stored: certificate codes taken");
		r = -1;
		goto out;
	}
	if (store_attempts(c->a->st, c->w->user_id, course, &used, e) < 0)
		used = allowed; /* stored: only the count for the page failed */
	r = val_set_int(result, "score", score) | val_set_int(result, "pass_mark", pass_mark) |
	    val_set_bool(result, "passed", passed) |
	    val_set_int(result, "attempts_left", used < allowed ? allowed - used : 0) |
	    val_set_int(result, "wrong_count", (long long)wrong_list->u.arr.n);
	if (wrong_list->u.arr.n) {
		r |= val_set(result, "wrong", wrong_list);
		wrong_list = NULL;
	}
	if (passed && store_certificate(c->a->st, code, &cert, e) == 0)
		r |= val_set(result, "certificate", certificate_val(c->sd, &cert));
	if (r < 0)
		err_oom(e);
out:
	val_free(wrong_list);
	buf_free(&wrong);
	return r < 0 ? -1 : 0;
}

void learning_test(struct flow_ctx *c)
{
	struct test_answers t;
	const struct val *key;
	struct val *top = NULL, *result = NULL;
	struct certificate cert;
	struct err e = {0};
	char title[300];
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
	if (!(result = val_new(VAL_TABLE))) {
		err_oom(&e);
		goto fail;
	}
	r = store_certificate_of(c->a->st, c->w->user_id, t.course, &cert, &e);
	if (r < 0)
		goto fail;
	if (r == 0) { /* passed already: the certificate stands, no new attempt */
		if ((val_set_bool(result, "already", 1) |
		     val_set(result, "certificate", certificate_val(c->sd, &cert))) < 0 &&
		    err_oom(&e))
			goto fail;
	} else if (attempt(c, key, &t, result, &e) < 0) {
		goto fail;
	}
	if ((val_set_str(result, "course", val_get_str(key, "title", t.course)) |
	     val_set_str(result, "test_url", val_get_str(key, "test_url", "/kursy/"))) < 0 ||
	    !(top = reply_frame(c->sd, c->w, NULL, NULL)) || val_set(top, "result", result) < 0) {
		if (!top || !val_get(top, "result"))
			val_free(result);
		val_free(top);
		err_oom(&e);
		reply_unavailable(c->res, &e);
		return;
	}
	snprintf(title, sizeof title, "Wynik testu: %s", val_get_str(key, "title", t.course));
	reply_page(c->sd, "test-result", c->req->path, title, top, 200, c->res);
	return;
fail:
	val_free(result);
	reply_unavailable(c->res, &e);
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
	char code[AUTH_CODE_TEXT], key[LIMITS_KEY], record[64];
	struct val *top;
	int r, wait;

	if (!*c->rest) {
		certificate_check(c);
		return;
	}
	if (!normalise_code(c->rest + 1, code) || strcmp(c->rest + 1, code) != 0)
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
	top = reply_frame(c->sd, c->w, NULL, NULL);
	if (top && val_set(top, "certificate", certificate_val(c->sd, &cert)) < 0) {
		val_free(top);
		top = NULL;
	}
	reply_page(c->sd, "certificate", c->req->path, "Certyfikat ukończenia kursu", top, 200,
	           c->res);
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
