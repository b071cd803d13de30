/*
 * admin.c - `formd admin ...` (see admin.h): parses the words, calls the
 * store, and writes what it hands back: the reports' text (escaped for a
 * terminal, or CSV), in English with the requests' Polish words. Prints
 * only to the FILEs given; never exits.
 */
#include "admin.h"

#include "buf.h"
#include "clock.h"
#include "escape.h"
#include "json.h"
#include "retention.h"
#include "rights.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOGIN_MAX 64 /* bytes of a login name written to the audit log */

static const char usage[] =
    "usage: formd admin --db FILE [--site DIR --forum-dir DIR] COMMAND\n"
    "       formd admin --help\n"
    "\n"
    "  contacts [--office SLUG] [--open]   list contact messages (--open: not answered)\n"
    "  contacts export [--office SLUG]     the messages as CSV\n"
    "  contact show ID                     one message in full\n"
    "  contact answered ID                 mark a message answered\n"
    "  users stats                         users by status and by office\n"
    "  users lift ID [--note TEXT]         lift a restriction of processing (art. 18):\n"
    "                                      first the person is told (art. 18(3)): by\n"
    "                                      e-mail through the outbox, or, when the\n"
    "                                      restriction's request asks for a letter or a\n"
    "                                      call, the text is printed for staff to give\n"
    "                                      and recorded; both go to the audit log\n"
    "  certificates                        the certificates issued\n"
    "  audit                               the audit log, oldest first\n"
    "  audit --verify                      check the audit log's hash chain\n"
    "  audit --user ID                     one person's trail\n"
    "  posts hide ID                       hide a forum post\n"
    "  posts show ID                       show a hidden forum post again\n"
    "  requests [--all]                    data-protection requests by due date (in\n"
    "                                      Polish): the open ones, their address\n"
    "                                      confirmed or not; --all: closed ones too\n"
    "  request show ID                     one request with its history (in Polish)\n"
    "  request identity|progress|done ID [--note TEXT]\n"
    "                                      record a step; the note of identity (what\n"
    "                                      to send) and of done (what was done) becomes\n"
    "                                      the reply's text\n"
    "  request extend ID --months 1|2 --reason TEXT\n"
    "                                      extend the deadline (once, in the first month)\n"
    "  request refuse ID --reason TEXT     refuse, or close, with the reasons (also a\n"
    "                                      request whose address is not confirmed)\n"
    "  request note ID --note TEXT         add a note to the history\n"
    "  request reply ID [--send [--again]] the reply in Polish to the request's last\n"
    "                                      identity, extend, done or refuse step;\n"
    "                                      --send queues it, once: --again sends it again\n"
    "  request export ID [--out DIR]       the data held about the person the request\n"
    "                                      names (its account, or the account of its\n"
    "                                      address once both are confirmed), as the\n"
    "                                      account page gives it: DIR/wniosek-ID.json\n"
    "                                      and DIR/wniosek-ID.html (printable); DIR\n"
    "                                      defaults to the current one; needs --site\n"
    "  outbox [--all]                      e-mails waiting or failed (--all: sent too)\n"
    "  outbox retry ID                     try a failed e-mail again\n"
    "  purge [--dry-run]                   apply site.toml [retention] (needs --site)\n"
    "  help, --help                        this text (no --db needed)\n"
    "\n"
    "The time: every command takes \"now\" from the environment variable\n"
    "OKIENKO_NOW when it is set (seconds since the epoch, or \"YYYY-MM-DD HH:MM\"\n"
    "in Warsaw time), else from the clock: overdue marks, extensions, purges and\n"
    "the times recorded can be tried on a chosen day, e.g.\n"
    "  OKIENKO_NOW='2027-01-10 09:00' formd admin --db FILE requests\n"
    "\n"
    "Reading contact messages, certificates, requests, the outbox and a person's\n"
    "data is written to the audit log.\n"
    "Exit status: 0 success, 1 failure (for audit --verify: a broken chain),\n"
    "2 wrong usage.\n";

/* What a command needs to run. */
struct cmd {
	struct store *st;
	const char *actor; /* "admin:LOGIN" */
	FILE *out, *err;
	const struct sitedata *sd; /* --site's, or NULL */
};

static int bad_usage(FILE *err, const char *what, const char *arg)
{
	if (what)
		fprintf(err, "formd admin: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	fputs(usage, err);
	return 2;
}

/* Reports a store failure: -1 prints e, 1 prints `missing` (a record not
 * found). Returns the exit code for rc. */
static int result(const struct cmd *c, int rc, const struct err *e, const char *missing)
{
	if (rc < 0)
		fprintf(c->err, "formd admin: %s\n", e->msg);
	else if (rc > 0)
		fprintf(c->err, "formd admin: %s\n", missing);
	return rc == 0 ? 0 : 1;
}

/* ---- writing what the store reads ---- */

/* Database text for a person at a terminal, escaped (esc_term): a message
 * cannot move the cursor, recolour or fake a line; `nl_indent`: keep
 * newlines, each followed by that text. */
static void put_text(FILE *out, struct store_text t, const char *nl_indent)
{
	struct buf b = BUF_INIT;

	esc_term(&b, t.ptr, t.len, nl_indent);
	fwrite(b.ptr, 1, b.len, out);
	buf_free(&b);
}

/* A C string through put_text. */
static void put_str(FILE *out, const char *s, const char *nl_indent)
{
	struct store_text t = {s, strlen(s)};

	put_text(out, t, nl_indent);
}

/* `fmt` of t in the office's time (Warsaw, whatever the process's TZ:
 * the same dates the web and the e-mails show), or the number. */
static void put_when(FILE *out, long long t, const char *fmt)
{
	time_t tt = (time_t)(t + (long long)clock_warsaw_offset(t) * 60);
	struct tm tm;
	char when[32];

	if (gmtime_r(&tt, &tm) && strftime(when, sizeof when, fmt, &tm) > 0)
		fputs(when, out);
	else
		fprintf(out, "%lld", t);
}

/* A time for staff: Warsaw time, "2026-11-28 10:15:02". */
static void put_time(FILE *out, long long t)
{
	put_when(out, t, "%Y-%m-%d %H:%M:%S");
}

/* A date for staff: "2026-11-28". */
static void put_date(FILE *out, long long t)
{
	put_when(out, t, "%Y-%m-%d");
}

/* A CSV field (RFC 4180): quoted, quotes doubled, control characters but
 * '\n' as \xNN; a leading = + - @ gets a ' so that a spreadsheet does not
 * run it as a formula. */
static void put_csv(FILE *out, struct store_text t)
{
	size_t a = 0, b;

	fputc('"', out);
	if (t.len > 0 && t.ptr[0] && strchr("=+-@", t.ptr[0]))
		fputc('\'', out);
	/* put_text escapes controls; quotes are doubled here */
	for (b = 0; b <= t.len; b++) {
		if (b == t.len || t.ptr[b] == '"') {
			struct store_text part = {t.ptr + a, b - a};

			put_text(out, part, "");
			if (b < t.len)
				fputs("\"\"", out);
			a = b + 1;
		}
	}
	fputc('"', out);
}

/* The end of a report: rc as store functions give it (0, 1, -1 with e),
 * and what was written checked. The exit code. */
static int report_done(const struct cmd *c, int rc, const struct err *e, const char *missing)
{
	if (rc == 0 && (fflush(c->out) != 0 || ferror(c->out))) {
		fputs("formd admin: writing the output failed\n", c->err);
		return 1;
	}
	return result(c, rc, e, missing);
}

/* A list: its header row first, then one row a callback, then "none"
 * (or "brak") when there was no row. */
struct list_ctx {
	FILE *out;
	long long rows;
	long long now; /* for the requests' marks */
};

/* Writes the header row; a list_ctx for the rows. */
static struct list_ctx list_start(FILE *out, const char *header, long long now)
{
	struct list_ctx x = {out, 0, now};

	fputs(header, out);
	return x;
}

/* After the rows: `none` when there was none; rc as given. */
static int list_end(const struct list_ctx *x, int rc, const char *none)
{
	if (rc == 0 && x->rows == 0)
		fprintf(x->out, "%s\n", none);
	return rc;
}

/* `contacts`: one message a line. */
static int contact_line(void *ctx, const struct store_contact_row *r)
{
	struct list_ctx *x = ctx;
	FILE *out = x->out;

	x->rows++;

	fprintf(out, "%lld  ", r->id);
	put_time(out, r->received);
	fputs(r->answered ? "  answered  " : "  open      ", out);
	put_text(out, r->office, NULL);
	fputs("  ", out);
	put_text(out, r->name, NULL);
	fputs(" <", out);
	put_text(out, r->email, NULL);
	fputs(">  ", out);
	put_text(out, r->subject, NULL);
	fputc('\n', out);
	return 0;
}

/* `contacts export`: the CSV, its header line before the first row. */
struct csv_ctx {
	FILE *out;
	int header; /* written */
};

static void csv_header(struct csv_ctx *x)
{
	if (!x->header)
		fputs("id,received,answered,office,name,email,subject,message\r\n", x->out);
	x->header = 1;
}

static int contact_csv(void *ctx, const struct store_contact_row *r)
{
	struct csv_ctx *x = ctx;
	const struct store_text *cols[] = {&r->office, &r->name, &r->email, &r->subject,
	                                   &r->message};
	size_t i;

	csv_header(x);
	fprintf(x->out, "%lld,", r->id);
	put_time(x->out, r->received);
	fputc(',', x->out);
	if (r->answered)
		put_time(x->out, r->answered);
	for (i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		fputc(',', x->out);
		put_csv(x->out, *cols[i]);
	}
	fputs("\r\n", x->out);
	return 0;
}

/* `contact show`: one message in full. */
static int contact_full(void *ctx, const struct store_contact_row *r)
{
	FILE *out = ctx;

	fprintf(out, "contact %lld\nreceived: ", r->id);
	put_time(out, r->received);
	fputs("\nanswered: ", out);
	if (r->answered)
		put_time(out, r->answered);
	else
		fputs("no", out);
	fputs("\noffice:   ", out);
	put_text(out, r->office, NULL);
	fputs("\nfrom:     ", out);
	put_text(out, r->name, NULL);
	fputs(" <", out);
	put_text(out, r->email, NULL);
	fputs(">\nsubject:  ", out);
	put_text(out, r->subject, NULL);
	/* indented, so that no line of the message passes for a header */
	fputs("\nmessage:\n  ", out);
	put_text(out, r->message, "  ");
	fputc('\n', out);
	return 0;
}

/* `users stats`: "users: N", then "status NAME: n" and "office NAME: n". */
static int count_line(void *ctx, const struct store_count_row *r)
{
	FILE *out = ctx;

	if (strcmp(r->kind, "users") == 0) {
		fprintf(out, "users: %lld\n", r->n);
		return 0;
	}
	fprintf(out, "%s ", r->kind);
	put_text(out, r->name, NULL);
	fprintf(out, ": %lld\n", r->n);
	return 0;
}

/* `certificates`: one a line. */
static int certificate_line(void *ctx, const struct store_certificate_row *r)
{
	struct list_ctx *x = ctx;
	FILE *out = x->out;

	x->rows++;
	put_text(out, r->code, NULL);
	fputs("  ", out);
	put_time(out, r->issued);
	fputs("  ", out);
	put_text(out, r->course, NULL);
	fprintf(out, "  user %lld  ", r->user_id);
	put_text(out, r->first_name, NULL);
	fputc(' ', out);
	put_text(out, r->last_name, NULL);
	fputc('\n', out);
	return 0;
}

/* `audit`, `audit --user`: one record a line. */
static int audit_line(void *ctx, const struct store_audit_row *r)
{
	struct list_ctx *x = ctx;
	FILE *out = x->out;

	x->rows++;
	fprintf(out, "%lld  ", r->id);
	put_time(out, r->at);
	fputs("  ", out);
	put_text(out, r->actor, NULL);
	fputs("  ", out);
	put_text(out, r->action, NULL);
	fputs("  ", out);
	put_text(out, r->record, NULL);
	fputc('\n', out);
	return 0;
}

/* `requests`: one a line, by due date, marked against ctx's `now`; in
 * Polish, as the requests' own words are. */
static const char requests_header[] =
    "nr    termin      uwagi            status                 prawo  wnioskodawca  "
    "(odpowiedź)\n";

static int request_line(void *ctx, const struct store_request_row *r)
{
	struct list_ctx *x = ctx;
	FILE *out = x->out;
	const char *status = r->status.ptr;
	int open = strcmp(status, "done") && strcmp(status, "refused");

	x->rows++;
	fprintf(out, "%-5lld ", r->id);
	if (r->due > 0)
		put_date(out, r->due);
	else
		fputs("----------", out);
	fprintf(out, "  %-16s ",
	        !open || r->due <= 0             ? ""
	        : r->due < x->now                ? "PRZETERMINOWANY"
	        : r->due - x->now <= 7 * 86400LL ? "<= 7 dni"
	                                         : "");
	fprintf(out, "%-22s ", rights_status_name(status));
	put_str(out, rights_right_name(r->right.ptr), NULL);
	fputs("  ", out);
	put_text(out, r->name, NULL);
	fputs("  (", out);
	put_str(out, rights_channel_name(r->channel.ptr), NULL);
	fputc(')', out);
	if (!r->confirmed)
		fputs("  adres niepotwierdzony", out);
	if (r->flagged)
		fputs("  POWTÓRZONY (pkt 4.2)", out);
	fputc('\n', out);
	return 0;
}

/* `request show`: the request's due date and when it closed. */
static void request_dates(FILE *out, const struct rights_request *r, long long now)
{
	if (r->due) {
		fputs("\ntermin:        ", out);
		put_date(out, r->due);
		if (r->extended_due) {
			fputs(", przedłużony do ", out);
			put_date(out, r->extended_due);
		}
		if (!r->closed && (r->extended_due ? r->extended_due : r->due) < now)
			fputs("  PRZETERMINOWANY", out);
	}
	if (r->closed) {
		fputs("\nzamknięty:     ", out);
		put_time(out, r->closed);
	}
}

/* `request show`: the request, before its history; in Polish. */
static int request_full(void *ctx, const struct rights_request *r)
{
	struct list_ctx *x = ctx;
	FILE *out = x->out;

	fprintf(out, "wniosek %lld: %s%s\n", r->id, rights_status_name(r->status),
	        r->flagged ? ", POWTÓRZONY w ciągu 3 miesięcy (pkt 4.2)" : "");
	fputs("prawo:         ", out);
	put_str(out, rights_right_name(r->right), NULL);
	fputs("\nwnioskodawca:  ", out);
	put_str(out, r->name, NULL);
	fputs(" <", out);
	put_str(out, r->email, NULL);
	fputs(">", out);
	if (r->user_id)
		fprintf(out, " (konto %lld)", r->user_id);
	fputs("\nadres e-mail:  ", out);
	if (r->confirmed) {
		fputs("potwierdzony ", out);
		put_time(out, r->confirmed);
	} else {
		fputs("NIEPOTWIERDZONY (link z e-maila nie został użyty)", out);
	}
	fputs("\ntelefon:       ", out);
	put_str(out, r->phone, NULL);
	fputs("\nadres:         ", out);
	put_str(out, r->address, "               ");
	fputs("\nurząd:         ", out);
	put_str(out, r->office, NULL);
	fputs("\nodpowiedź:     ", out);
	put_str(out, rights_channel_name(r->channel), NULL);
	fputs("\notrzymany:     ", out);
	put_time(out, r->received ? r->received : r->created);
	request_dates(out, r, x->now);
	fputs("\nzakres:\n  ", out);
	put_str(out, r->scope, "  ");
	fputs("\nhistoria:\n", out);
	return 0;
}

/* `request show`: one step of the history. */
static int request_step_line(void *ctx, const struct store_step_row *s)
{
	struct list_ctx *x = ctx;
	FILE *out = x->out;

	x->rows++;
	fputs("  ", out);
	put_time(out, s->at);
	fputs("  ", out);
	put_str(out, rights_step_name(s->step.ptr), NULL);
	fputs("  ", out);
	put_text(out, s->actor, NULL);
	if (s->note.len > 0) {
		fputs("\n      ", out);
		put_text(out, s->note, "      ");
	}
	fputc('\n', out);
	return 0;
}

/* `outbox`: each message with its text. */
static int outbox_entry(void *ctx, const struct store_outbox_row *r)
{
	struct list_ctx *x = ctx;
	FILE *out = x->out;

	x->rows++;
	fprintf(out, "%-7lld  ", r->id);
	put_text(out, r->state, NULL);
	fputs("  ", out);
	put_time(out, r->created);
	fprintf(out, "  %d", r->attempts);
	if (strcmp(r->state.ptr, "sent") == 0) {
		fputs("  sent ", out);
		put_time(out, r->sent);
	} else if (strcmp(r->state.ptr, "waiting") == 0 && r->attempts > 0) {
		fputs("  next try ", out);
		put_time(out, r->next_try);
	}
	if (r->last_error.len > 0) {
		fputs("\n  last error: ", out);
		put_text(out, r->last_error, NULL);
	}
	fputs("\n  kind: ", out);
	put_text(out, r->kind, NULL);
	fputs("\n  to: ", out);
	put_text(out, r->to, NULL);
	fputs("\n  subject: ", out);
	put_text(out, r->subject, NULL);
	fputs("\n  | ", out);
	put_text(out, r->body, "  | ");
	fputs("\n\n", out);
	return 0;
}

/* ---- the commands ---- */

/* The end of a letter to a person: "Z poważaniem" and the administrator
 * (site.toml's params.admin, when --site gives it). */
static void sign(const struct cmd *c, struct buf *out)
{
	const struct val *adm =
	    val_get(val_get(val_get(c->sd ? c->sd->base : NULL, "site"), "params"), "admin");

	buf_puts(out, "\n\nZ poważaniem\n");
	if (adm)
		buf_printf(out, "%s\n%s, %s %s\n%s\n", val_get_str(adm, "name", ""),
		           val_get_str(adm, "street", ""), val_get_str(adm, "postal_code", ""),
		           val_get_str(adm, "city", ""), val_get_str(adm, "dpo_email", ""));
	else
		buf_puts(out, "Administrator danych\n");
}

/* A reply channel in English, for the staff's messages. */
static const char *channel_en(const char *channel)
{
	return strcmp(channel, "email") == 0       ? "e-mail"
	       : strcmp(channel, "poczta") == 0    ? "letter"
	       : strcmp(channel, "telefon") == 0   ? "phone"
	       : strcmp(channel, "osobiscie") == 0 ? "in person"
	                                           : "another way";
}

/* Parses a record id: a decimal number above 0. 0, or -1. */
static int parse_id(const char *s, long long *id)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*id = strtoll(s, &end, 10);
	if (errno || *end || *id <= 0)
		return -1;
	return 0;
}

/* 1 when s is a slug as the generator makes them: [a-z0-9-]+, shorter than
 * STORE_SLUG (safe to print, and to use as a folder name). */
static int is_slug(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return i > 0 && i < STORE_SLUG;
}

/* `contacts [export] [--office SLUG] [--open]`: argv[0] is "contacts". */
static int cmd_contacts(const struct cmd *c, int argc, char **argv)
{
	const char *office = NULL;
	struct err e = {0};
	int open = 0, export = 0, i = 1, rc;

	if (i < argc && strcmp(argv[i], "export") == 0) {
		export = 1;
		i++;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--office") == 0 && i + 1 < argc) {
			office = argv[++i];
			if (!is_slug(office))
				return bad_usage(c->err, "not an office slug", office);
		} else if (strcmp(argv[i], "--open") == 0 && !export) {
			open = 1;
		} else {
			return bad_usage(c->err, "unexpected argument", argv[i]);
		}
	}
	if (export) {
		struct csv_ctx x = {c->out, 0};

		rc = store_admin_contacts_export(c->st, c->actor, office, contact_csv, &x, &e);
		if (rc == 0)
			csv_header(&x); /* no message: the header alone */
	} else {
		struct list_ctx x = list_start(
		    c->out, "id     received             state     office  from  subject\n", 0);

		rc = list_end(
		    &x, store_admin_contacts(c->st, c->actor, office, open, contact_line, &x, &e),
		    "none");
	}
	return report_done(c, rc, &e, "");
}

/* `contact show|answered ID`. */
static int cmd_contact(const struct cmd *c, int argc, char **argv)
{
	struct err e = {0};
	char missing[64];
	long long id;
	int rc;

	if (argc != 3 || (strcmp(argv[1], "show") != 0 && strcmp(argv[1], "answered") != 0))
		return bad_usage(c->err, "expected contact show ID or contact answered ID", NULL);
	if (parse_id(argv[2], &id) < 0)
		return bad_usage(c->err, "not a record id", argv[2]);
	snprintf(missing, sizeof missing, "no contact message %lld", id);
	if (strcmp(argv[1], "show") == 0)
		return report_done(
		    c, store_admin_contact_show(c->st, c->actor, id, contact_full, c->out, &e), &e,
		    missing);
	rc = store_admin_contact_answered(c->st, c->actor, id, &e);
	if (rc == 0)
		fprintf(c->out, "contact %lld answered\n", id);
	return result(c, rc, &e, missing);
}

/* `audit [--verify | --user ID]`. */
static int cmd_audit(const struct cmd *c, int argc, char **argv)
{
	static const char audit_header[] = "id     at                   actor  action  record\n";
	struct list_ctx x;
	struct err e = {0};
	long long id;
	int rc;

	if (argc == 1) {
		x = list_start(c->out, audit_header, 0);
		return report_done(
		    c, list_end(&x, store_admin_audit(c->st, audit_line, &x, &e), "none"), &e, "");
	}
	if (argc == 3 && strcmp(argv[1], "--user") == 0) {
		if (parse_id(argv[2], &id) < 0)
			return bad_usage(c->err, "not a user id", argv[2]);
		x = list_start(c->out, audit_header, 0);
		return report_done(
		    c, list_end(&x, store_admin_audit_user(c->st, id, audit_line, &x, &e), "none"),
		    &e, "");
	}
	if (argc != 2 || strcmp(argv[1], "--verify") != 0)
		return bad_usage(c->err, "unexpected argument", argv[1]);
	rc = store_audit_verify(c->st, &e);
	if (rc == 0) {
		fputs("the audit log's chain holds\n", c->out);
		return 0;
	}
	if (rc > 0) {
		fprintf(c->out, "the audit log's chain is broken: %s\n", e.msg);
		return 1;
	}
	return result(c, rc, &e, "");
}

/* `posts hide|show ID`: prints the course whose pages must be rewritten. */
static int cmd_posts(const struct cmd *c, int argc, char **argv)
{
	char course[STORE_SLUG], missing[64];
	struct err e = {0};
	long long id;
	int hide, rc;

	if (argc != 3 || (strcmp(argv[1], "hide") != 0 && strcmp(argv[1], "show") != 0))
		return bad_usage(c->err, "expected posts hide ID or posts show ID", NULL);
	if (parse_id(argv[2], &id) < 0)
		return bad_usage(c->err, "not a record id", argv[2]);
	hide = strcmp(argv[1], "hide") == 0;
	snprintf(missing, sizeof missing, "no post %lld", id);
	rc = store_post_hide(c->st, c->actor, id, hide, course, &e);
	if (rc != 0)
		return result(c, rc, &e, missing);
	if (!is_slug(course)) {
		fprintf(c->err, "formd admin: post %lld %s, but its course is not a slug\n", id,
		        hide ? "hidden" : "shown");
		return 1;
	}
	fprintf(c->out, "post %lld %s, course %s\n", id, hide ? "hidden" : "shown", course);
	return 0;
}

/* The notice before a restriction is lifted (art. 18(3); seed 004 2.6:
 * "Przed uchyleniem ograniczenia przetwarzania ... przekaże Ci informacje
 * w tym zakresie"), in Polish; r: the restriction's request, or NULL. */
static void lift_text(const struct cmd *c, const struct rights_request *r, const char *note,
                      struct buf *out)
{
	buf_puts(out, "Szanowna Pani / Szanowny Panie,\n\ninformujemy, że ograniczenie "
	              "przetwarzania Pani/Pana danych osobowych w portalu (art. 18 RODO)");
	if (r) {
		buf_printf(out,
		           ", o które wnioskowała Pani / wnioskował Pan (wniosek nr %lld z dnia ",
		           r->id);
		fmt_date_pl(out, r->received);
		buf_puts(out, "),");
	}
	buf_puts(out, " zostanie zniesione. Po jego zniesieniu dane będą znów przetwarzane w "
	              "celach opisanych w polityce prywatności: będzie Pani/Pan mógł (mogła) "
	              "rozwiązywać testy i pisać na forum, a konto znów będzie uwzględniane w "
	              "zestawieniach.");
	if (note && *note) {
		buf_puts(out, "\n\n");
		buf_puts(out, note);
	}
	sign(c, out);
}

/* `users lift ID [--note TEXT]`: the person told first, by the channel
 * the restriction's request asked for (an e-mail through the outbox; a
 * letter or a call: the text printed for staff and recorded), then the
 * restriction lifted; both audited (store_user_lift). */
static int lift(const struct cmd *c, const struct user *u, const char *note)
{
	struct rights_request r;
	struct buf text = BUF_INIT;
	struct err e = {0};
	long long rid = 0;
	int rc = store_user_restriction_request(c->st, u->id, &rid, &e), have = 0, by_mail;
	const char *how = "wysłano e-mailem";
	char missing[64];

	if (rc < 0)
		return result(c, rc, &e, "");
	if (rid > 0) {
		if ((rc = store_request_get(c->st, rid, &r, &e)) < 0)
			return result(c, rc, &e, "");
		have = rc == 0;
	}
	by_mail = !have || strcmp(r.channel, "email") == 0;
	if (!by_mail)
		how = strcmp(r.channel, "poczta") == 0    ? "do przekazania listem"
		      : strcmp(r.channel, "telefon") == 0 ? "do przekazania telefonicznie"
		                                          : "do przekazania osobiście";
	lift_text(c, have ? &r : NULL, note, &text);
	if (buf_failed(&text)) {
		rc = err_oom(&e);
	} else {
		struct mail_out m = {"user.lift", u->email,
		                     "Zniesienie ograniczenia przetwarzania danych osobowych",
		                     text.ptr};

		if (!by_mail) {
			fprintf(c->out, "The notice to give %s%s before the restriction goes:\n\n",
			        strcmp(r.channel, "osobiscie") == 0 ? "" : "by ",
			        channel_en(r.channel));
			fputs(text.ptr, c->out);
			fputc('\n', c->out);
		}
		rc = store_user_lift(c->st, c->actor, u->id, have ? rid : 0, how,
		                     by_mail ? &m : NULL, &e);
	}
	if (rc == 0)
		fprintf(c->out, "user %lld: %s; restriction lifted\n", u->id,
		        by_mail ? "the notice is in the outbox"
		                : "the notice above is recorded as given by staff");
	if (have)
		store_request_free(&r);
	buf_free(&text);
	snprintf(missing, sizeof missing, "user %lld: no restriction to lift", u->id);
	return result(c, rc, &e, missing);
}

/* `users stats` | `users lift ID [--note TEXT]`. */
static int cmd_users(const struct cmd *c, int argc, char **argv)
{
	struct user u;
	struct err e = {0};
	char missing[64];
	long long id;
	int rc;

	if (argc == 2 && strcmp(argv[1], "stats") == 0)
		return report_done(c, store_admin_user_counts(c->st, count_line, c->out, &e), &e,
		                   "");
	if ((argc != 3 && !(argc == 5 && strcmp(argv[3], "--note") == 0)) ||
	    strcmp(argv[1], "lift") != 0)
		return bad_usage(c->err, "expected users stats or users lift ID [--note TEXT]",
		                 NULL);
	if (parse_id(argv[2], &id) < 0)
		return bad_usage(c->err, "not a user id", argv[2]);
	snprintf(missing, sizeof missing, "no open account %lld", id);
	rc = store_user_by_id(c->st, id, &u, &e);
	if (rc == 0 && u.closed)
		rc = 1;
	if (rc == 0 && !u.restricted) {
		fprintf(c->err, "formd admin: user %lld: processing is not restricted\n", id);
		return 1;
	}
	if (rc != 0)
		return result(c, rc, &e, missing);
	return lift(c, &u, argc == 5 ? argv[4] : NULL);
}

/* `requests [--all]`. */
static int cmd_requests(const struct cmd *c, int argc, char **argv)
{
	struct list_ctx x;
	struct err e = {0};
	int all = argc == 2 && strcmp(argv[1], "--all") == 0;

	if (argc > 2 || (argc == 2 && !all))
		return bad_usage(c->err, "unexpected argument", argv[1]);
	x = list_start(c->out, requests_header, clock_now());
	return report_done(
	    c,
	    list_end(&x, store_admin_requests(c->st, c->actor, all, request_line, &x, &e), "brak"),
	    &e, "");
}

/* The reply to request r in Polish, to its last step that has one
 * (whatever the status since): a request for proof of identity
 * (instructions 3.2), an extension with its reasons (5.1), the completion
 * (the done step's note is its text), or a refusal with its reasons and
 * the remedies (5.2). 0, or -1 with e (ERR_INPUT: nothing to reply yet). */
static int reply_text(const struct cmd *c, const struct rights_request *r, struct buf *out,
                      struct err *e)
{
	char step[STORE_STEP];
	char *note = NULL;
	int rc = store_request_answer(c->st, r->id, step, &note, e);

	if (rc < 0)
		return -1;
	if (rc > 0)
		return err_set(
		    e,
		    "request %lld has no step to reply to: record identity, extend, done "
		    "or refuse first",
		    r->id);
	buf_printf(out, "Dzień dobry,\n\ndotyczy: wniosku nr %lld z dnia ", r->id);
	fmt_date_pl(out, r->received);
	buf_printf(out, " – %s.\n\n", rights_right_name(r->right));
	if (strcmp(step, "identity") == 0) {
		buf_puts(out,
		         "Zanim zrealizujemy wniosek, musimy potwierdzić, że jest Pani/Pan osobą, "
		         "której dane dotyczą. Prosimy o podanie informacji, które na to "
		         "pozwolą");
		buf_puts(out, note && *note ? ":\n\n" : ".");
	} else if (strcmp(step, "extend") == 0) {
		buf_puts(out, "Z uwagi na skomplikowany charakter żądania lub liczbę żądań termin "
		              "odpowiedzi zostaje przedłużony do dnia ");
		fmt_date_pl(out, r->extended_due);
		buf_puts(out, ".\n\nPrzyczyny opóźnienia:\n\n");
	} else if (strcmp(step, "done") == 0) {
		buf_puts(out, "Informujemy, że wniosek został zrealizowany.");
		buf_puts(out, note && *note ? "\n\n" : "");
	} else {
		buf_puts(out, "Informujemy, że nie podejmiemy działań w związku z wnioskiem.\n\n"
		              "Przyczyny:\n\n");
	}
	if (note && *note)
		buf_puts(out, note);
	if (strcmp(step, "refuse") == 0)
		buf_puts(out, "\n\nMa Pani/Pan prawo wnieść skargę do Prezesa Urzędu Ochrony "
		              "Danych Osobowych oraz skorzystać ze środków ochrony prawnej przed "
		              "sądem.");
	sign(c, out);
	free(note);
	return buf_failed(out) ? err_oom(e) : 0;
}

/* `request reply ID [--send [--again]]`: the reply's text on out; with
 * `send`, also queued in the outbox (a reply by e-mail only), once unless
 * `again`. */
static int cmd_request_reply(const struct cmd *c, long long id, int send, int again,
                             const char *missing)
{
	struct rights_request r;
	struct buf text = BUF_INIT;
	struct err e = {0};
	char subject[64];
	long long sent_at = 0;
	int rc;

	rc = store_request_get(c->st, id, &r, &e);
	if (rc != 0)
		return result(c, rc, &e, missing);
	rc = reply_text(c, &r, &text, &e);
	if (rc == 0)
		fputs(text.ptr, c->out);
	if (rc == 0 && send && strcmp(r.channel, "email") != 0) {
		fprintf(c->err,
		        "formd admin: request %lld asks for a reply by %s: print the text and "
		        "send it that way; nothing was queued\n",
		        id, channel_en(r.channel));
		rc = 1;
	} else if (rc == 0 && send) {
		struct mail_out m = {"request.reply", r.email, subject, text.ptr};

		snprintf(subject, sizeof subject, "Odpowiedź na wniosek nr %lld", id);
		rc = store_request_reply(c->st, c->actor, id,
		                         again ? "wysłano e-mailem ponownie" : "wysłano e-mailem",
		                         again, &m, &sent_at, &e);
		if (rc == 0)
			fprintf(c->err, "request %lld: the reply is in the outbox\n", id);
		if (rc == 2) {
			fprintf(c->err,
			        "formd admin: request %lld: this reply was sent already on ", id);
			put_time(c->err, sent_at);
			fputs("; nothing was queued (--again sends it again)\n", c->err);
			rc = 1;
		}
	}
	store_request_free(&r);
	buf_free(&text);
	return rc == 1 ? 1 : result(c, rc, &e, missing);
}

/* Writes a file only its owner may read (a person's data): 0, or -1
 * with e. */
static int write_private(const char *path, const char *data, size_t len, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (fchmod(fd, 0600) < 0) {
		close(fd);
		return err_set(e, "%s: %s", path, strerror(errno));
	}
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			return err_set(e, "%s: %s", path, strerror(saved));
		}
		done += (size_t)n;
	}
	if (close(fd) < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	return 0;
}

/* The account request r names: the one it was sent from, or the account
 * of its address when both the request's and the account's address are
 * confirmed (a person's data goes to a proved address only). 0 with
 * *uid; -1 with e saying why not. */
static int request_account(const struct cmd *c, const struct rights_request *r, long long *uid,
                           struct err *e)
{
	struct user u;
	int rc;

	*uid = r->user_id;
	if (*uid > 0)
		return 0;
	if (!r->confirmed)
		return err_set(e,
		               "request %lld: its sender's address is not confirmed; no data goes "
		               "to an unproved address (ask for identification first)",
		               r->id);
	rc = store_user_by_email(c->st, r->email, &u, e);
	if (rc < 0)
		return -1;
	if (rc > 0 || u.closed || !u.confirmed)
		return err_set(e,
		               "request %lld: no open account with its confirmed address: the "
		               "portal's accounts hold nothing of this person (contacts lists the "
		               "contact messages)",
		               r->id);
	*uid = u.id;
	return 0;
}

/* `request export ID [--out DIR]`: the person's data as the account page
 * gives it, DIR/wniosek-ID.json and DIR/wniosek-ID.html, mode 0600; the
 * read audited (user.read) and the export in the request's history. */
static int cmd_request_export(const struct cmd *c, long long id, const char *dir,
                              const char *missing)
{
	struct rights_request r;
	struct val *data = NULL;
	struct buf html = BUF_INIT;
	struct err e = {0};
	char json_path[4096], html_path[4096], note[256];
	char *json = NULL;
	long long uid = 0;
	size_t len = 0;
	int rc;

	if (!c->sd) {
		fputs("formd admin: request export needs --site DIR: the printable copy is the "
		      "site's account page\n",
		      c->err);
		return 2;
	}
	rc = store_request_get(c->st, id, &r, &e);
	if (rc != 0)
		return result(c, rc, &e, missing);
	rc = request_account(c, &r, &uid, &e);
	store_request_free(&r);
	if (rc < 0)
		return result(c, rc, &e, missing);
	snprintf(json_path, sizeof json_path, "%s/wniosek-%lld.json", dir, id);
	snprintf(html_path, sizeof html_path, "%s/wniosek-%lld.html", dir, id);
	rc = store_user_data(c->st, c->actor, uid, NULL, &data, &e);
	if (rc > 0)
		err_set(&e, "request %lld: account %lld is gone", id, uid);
	if (rc == 0 && !(json = json_dump(data, JSON_OUT_PRETTY, &len, &e)))
		rc = -1;
	if (rc == 0)
		rc = write_private(json_path, json, len, &e);
	if (rc == 0) {
		rc = pages_user_copy(c->sd, data, &html, &e);
		data = NULL; /* taken */
	}
	if (rc == 0)
		rc = write_private(html_path, html.ptr, html.len, &e);
	if (rc == 0) {
		snprintf(note, sizeof note, "dane konta %lld: wniosek-%lld.json, wniosek-%lld.html",
		         uid, id, id);
		rc = store_request_step(c->st, c->actor, id, "export", note, 0, clock_now(), NULL,
		                        &e);
	}
	if (rc == 0) {
		fprintf(c->out, "request %lld: the data of account %lld written to ", id, uid);
		put_str(c->out, json_path, NULL);
		fputs(" and ", c->out);
		put_str(c->out, html_path, NULL);
		fputc('\n', c->out);
	}
	val_free(data);
	free(json);
	buf_free(&html);
	return result(c, rc < 0 ? -1 : rc, &e, missing);
}

/* `request show|identity|progress|done|extend|refuse|note|reply ID [options]`. */
static int cmd_request(const struct cmd *c, int argc, char **argv)
{
	static const char *const steps[] = {"identity", "progress", "done", "extend",
	                                    "refuse",   "note",     NULL};
	const char *note = NULL, *verb, *dir = ".";
	struct err e = {0};
	char missing[64];
	long long id;
	int months = 0, send = 0, again = 0, i, rc;
	size_t k;

	if (argc < 3)
		return bad_usage(c->err, "expected request VERB ID", NULL);
	verb = argv[1];
	if (parse_id(argv[2], &id) < 0)
		return bad_usage(c->err, "not a request id", argv[2]);
	for (i = 3; i < argc; i++) {
		if ((strcmp(argv[i], "--note") == 0 || strcmp(argv[i], "--reason") == 0) &&
		    i + 1 < argc)
			note = argv[++i];
		else if (strcmp(argv[i], "--months") == 0 && i + 1 < argc)
			months = atoi(argv[++i]);
		else if (strcmp(argv[i], "--send") == 0 && strcmp(verb, "reply") == 0)
			send = 1;
		else if (strcmp(argv[i], "--again") == 0 && strcmp(verb, "reply") == 0)
			again = 1;
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc &&
		         strcmp(verb, "export") == 0)
			dir = argv[++i];
		else
			return bad_usage(c->err, "unexpected argument", argv[i]);
	}
	snprintf(missing, sizeof missing, "no request %lld", id);
	if (strcmp(verb, "show") == 0) {
		struct list_ctx x = {c->out, 0, clock_now()};

		rc = store_admin_request_show(c->st, c->actor, id, request_full, request_step_line,
		                              &x, &e);
		if (rc == 0 && x.rows == 0)
			fputs("  brak\n", c->out);
		return report_done(c, rc, &e, missing);
	}
	if (strcmp(verb, "export") == 0)
		return cmd_request_export(c, id, dir, missing);
	if (strcmp(verb, "reply") == 0) {
		if (again && !send)
			return bad_usage(c->err, "--again goes with --send", NULL);
		return cmd_request_reply(c, id, send, again, missing);
	}
	for (k = 0; steps[k] && strcmp(steps[k], verb) != 0; k++)
		;
	if (!steps[k])
		return bad_usage(c->err, "unknown request verb", verb);
	if (strcmp(verb, "extend") == 0 && months == 0)
		return bad_usage(c->err, "request extend needs --months 1 or 2", NULL);
	if (strcmp(verb, "note") == 0 && !note)
		return bad_usage(c->err, "request note needs --note TEXT", NULL);
	rc = store_request_step(c->st, c->actor, id, verb, note, months, clock_now(), NULL, &e);
	if (rc == 0)
		fprintf(c->out, "request %lld: %s recorded\n", id, verb);
	return result(c, rc, &e, missing);
}

/* `outbox [--all]` | `outbox retry ID`. */
static int cmd_outbox(const struct cmd *c, int argc, char **argv)
{
	struct list_ctx x;
	struct err e = {0};
	char missing[64];
	long long id;
	int rc;

	if (argc == 3 && strcmp(argv[1], "retry") == 0) {
		if (parse_id(argv[2], &id) < 0)
			return bad_usage(c->err, "not a message id", argv[2]);
		snprintf(missing, sizeof missing, "no unsent message %lld", id);
		rc = store_admin_outbox_retry(c->st, c->actor, id, clock_now(), &e);
		if (rc == 0)
			fprintf(c->out, "message %lld: will be tried again\n", id);
		return result(c, rc, &e, missing);
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--all") != 0))
		return bad_usage(c->err, "expected outbox [--all] or outbox retry ID", NULL);
	x = list_start(c->out, "message  state  created  tries\n", 0);
	return report_done(
	    c,
	    list_end(&x, store_admin_outbox(c->st, c->actor, argc == 2, outbox_entry, &x, &e),
	             "none"),
	    &e, "");
}

int admin_cutoffs(const struct sitedata *sd, long long now, struct purge_cutoffs *c, struct err *e)
{
	const struct val *ret = val_get(sd->base, "retention");
	static const char *const keys[] = {"accounts", "attempts", "posts",  "contacts",
	                                   "requests", "sessions", "outbox", "audit"};
	long long *slots[] = {&c->accounts, &c->attempts, &c->posts,  &c->contacts,
	                      &c->requests, &c->sessions, &c->outbox, &c->audit};
	size_t i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const struct val *p = val_get(ret, keys[i]);
		struct retention r;

		if (!p)
			continue;
		if (retention_parse(val_get_str(p, "text", ""), &r, e) != 0)
			return err_set(e, "site.json: retention.%s is not a period formd can read",
			               keys[i]);
		*slots[i] = retention_sub(&r, now);
	}
	return 0;
}

/* `purge [--dry-run]`. */
static int cmd_purge(const struct cmd *c, int argc, char **argv)
{
	struct purge_cutoffs cut;
	struct err e = {0};
	int dry = argc == 2 && strcmp(argv[1], "--dry-run") == 0;
	long long now = clock_now();

	if (argc > 2 || (argc == 2 && !dry))
		return bad_usage(c->err, "expected purge [--dry-run]", NULL);
	if (!c->sd) {
		fputs("formd admin: purge needs --site DIR: the periods are site.toml's "
		      "[retention], read from the built site\n",
		      c->err);
		return 2;
	}
	if (admin_cutoffs(c->sd, now, &cut, &e) < 0)
		return result(c, -1, &e, "");
	return result(c, store_purge(c->st, c->actor, &cut, now, dry, c->out, NULL, &e), &e, "");
}

/* The actor for the audit log: "admin:LOGIN", LOGIN printable ASCII without
 * spaces or '|' (the audit text's separator). 0, or -1. */
static int make_actor(const char *login, char *actor, size_t size)
{
	size_t i;

	if (!login || !*login || strlen(login) > LOGIN_MAX)
		return -1;
	for (i = 0; login[i]; i++)
		if (login[i] <= ' ' || login[i] > '~' || login[i] == '|')
			return -1;
	snprintf(actor, size, "admin:%s", login);
	return 0;
}

int admin_main(struct store *st, const struct sitedata *sd, const char *login, int argc,
               char **argv, FILE *out, FILE *err)
{
	char actor[LOGIN_MAX + 8];
	struct cmd c = {st, actor, out, err, sd};
	struct err e = {0};
	const char *cmd;

	if (argc < 1)
		return bad_usage(err, NULL, NULL);
	cmd = argv[0];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage, out);
		return 0;
	}
	if (strcmp(cmd, "contacts") != 0 && strcmp(cmd, "contact") != 0 &&
	    strcmp(cmd, "users") != 0 && strcmp(cmd, "certificates") != 0 &&
	    strcmp(cmd, "audit") != 0 && strcmp(cmd, "posts") != 0 &&
	    strcmp(cmd, "requests") != 0 && strcmp(cmd, "request") != 0 &&
	    strcmp(cmd, "outbox") != 0 && strcmp(cmd, "purge") != 0)
		return bad_usage(err, "unknown command", cmd);
	if (make_actor(login, actor, sizeof actor) < 0) {
		fputs("formd admin: no usable login name for the audit log\n", err);
		return 1;
	}
	if (!st) {
		fputs("formd admin: no database open\n", err);
		return 1;
	}
	if (strcmp(cmd, "contacts") == 0)
		return cmd_contacts(&c, argc, argv);
	if (strcmp(cmd, "contact") == 0)
		return cmd_contact(&c, argc, argv);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(&c, argc, argv);
	if (strcmp(cmd, "posts") == 0)
		return cmd_posts(&c, argc, argv);
	if (strcmp(cmd, "users") == 0)
		return cmd_users(&c, argc, argv);
	if (strcmp(cmd, "requests") == 0)
		return cmd_requests(&c, argc, argv);
	if (strcmp(cmd, "request") == 0)
		return cmd_request(&c, argc, argv);
	if (strcmp(cmd, "outbox") == 0)
		return cmd_outbox(&c, argc, argv);
	if (strcmp(cmd, "purge") == 0)
		return cmd_purge(&c, argc, argv);
	if (argc != 1)
		return bad_usage(err, "unexpected argument", argv[1]);
	{
		struct list_ctx x = list_start(out, "code  issued  course  user  name\n", 0);

		return report_done(
		    &c,
		    list_end(&x, store_admin_certificates(st, actor, certificate_line, &x, &e),
		             "none"),
		    &e, "");
	}
}
