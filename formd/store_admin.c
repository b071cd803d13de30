/*
 * store_admin.c - the staff's reports (formd admin), written as text.
 */
#include "store_int.h"

#include "buf.h"
#include "escape.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- staff ---- */

/* Writes database text for a person at a terminal, escaped (esc_term):
 * a message cannot move the cursor, recolour or fake a line; `nl_indent`:
 * keep newlines, each followed by that text. */
static void put_text(FILE *out, const char *s, size_t len, const char *nl_indent)
{
	struct buf b = BUF_INIT;

	esc_term(&b, s, len, nl_indent);
	fwrite(b.ptr, 1, b.len, out);
	buf_free(&b);
}

/* Column i through put_text. */
static void put_col(FILE *out, sqlite3_stmt *s, int i, const char *nl_indent)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	if (t)
		put_text(out, t, (size_t)sqlite3_column_bytes(s, i), nl_indent);
}

/* A time for staff: local, "2026-11-28 10:15:02". */
static void put_time(FILE *out, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char when[32];

	if (localtime_r(&tt, &tm) && strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) > 0)
		fputs(when, out);
	else
		fprintf(out, "%lld", t);
}

/* A CSV field (RFC 4180): quoted, quotes doubled, control characters but
 * '\n' as \xNN; a leading = + - @ gets a ' so that a spreadsheet does not
 * run it as a formula. */
static void put_csv(FILE *out, sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	size_t len = (size_t)sqlite3_column_bytes(s, i), a = 0, b;

	fputc('"', out);
	if (t && len > 0 && t[0] && strchr("=+-@", t[0]))
		fputc('\'', out);
	/* put_text escapes controls; quotes are doubled here */
	for (b = 0; t && b <= len; b++) {
		if (b == len || t[b] == '"') {
			put_text(out, t + a, b - a, "");
			if (b < len)
				fputs("\"\"", out);
			a = b + 1;
		}
	}
	fputc('"', out);
}

/* Audits a staff read before it happens (so that nothing is shown that is
 * not in the log). 0, 1 when `contact` > 0 does not exist, -1 with e. */
static int audit_read(struct store *st, const char *actor, const char *action, const char *office,
                      int open, long long contact, struct err *e)
{
	struct audit_job a = {actor, action, "", contact, 0};

	if (check_actor(actor, e) < 0)
		return -1;
	if (contact > 0)
		snprintf(a.record, sizeof a.record, "contact:%lld", contact);
	else if (strcmp(action, "certificate.list") == 0)
		snprintf(a.record, sizeof a.record, "certificates");
	else
		snprintf(a.record, sizeof a.record, "contacts%s%s%s", office ? " office=" : "",
		         office ? office : "", open ? " open" : "");
	return submit(st, run_audit, &a, e);
}

int store_admin_contacts(struct store *st, const char *actor, const char *office, int open,
                         FILE *out, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc, b = 0;

	if (office && !fits(office, STORE_SLUG))
		return err_set(e, "an office must be a slug of at most %d bytes", STORE_SLUG - 1);
	if (audit_read(st, actor, "contact.list", office, open, 0, e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if (!(s = prep(st, c, Q_CONTACTS, e)))
		goto out;
	b |= office ? bind_text(s, 1, office) : sqlite3_bind_null(s, 1);
	b |= sqlite3_bind_int(s, 2, open ? 1 : 0);
	if (b != SQLITE_OK) {
		db_fail(st, c, "reading contact messages", e);
		goto out;
	}
	while ((rc = step(st, c, s, "reading contact messages", e)) == 1) {
		long long answered = sqlite3_column_int64(s, 7);

		fprintf(out, "%lld  ", sqlite3_column_int64(s, 0));
		put_time(out, sqlite3_column_int64(s, 6));
		fputs(answered ? "  answered  " : "  open      ", out);
		put_col(out, s, 3, NULL);
		fputs("  ", out);
		put_col(out, s, 1, NULL);
		fputs(" <", out);
		put_col(out, s, 2, NULL);
		fputs(">  ", out);
		put_col(out, s, 4, NULL);
		fputc('\n', out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_contact_show(struct store *st, const char *actor, long long id, FILE *out,
                             struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc;

	if (id <= 0)
		return 1;
	rc = audit_read(st, actor, "contact.read", NULL, 0, id, e);
	if (rc != 0)
		return rc;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if (!(s = prep(st, c, Q_CONTACT_GET, e)))
		goto out;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		db_fail(st, c, "reading a contact message", e);
		goto out;
	}
	rc = step(st, c, s, "reading a contact message", e);
	if (rc == 0) {
		rc = 1;
	} else if (rc == 1) {
		long long answered = sqlite3_column_int64(s, 7);

		fprintf(out, "contact %lld\nreceived: ", sqlite3_column_int64(s, 0));
		put_time(out, sqlite3_column_int64(s, 6));
		fputs("\nanswered: ", out);
		if (answered)
			put_time(out, answered);
		else
			fputs("no", out);
		fputs("\noffice:   ", out);
		put_col(out, s, 3, NULL);
		fputs("\nfrom:     ", out);
		put_col(out, s, 1, NULL);
		fputs(" <", out);
		put_col(out, s, 2, NULL);
		fputs(">\nsubject:  ", out);
		put_col(out, s, 4, NULL);
		/* indented, so that no line of the message passes for a header */
		fputs("\nmessage:\n  ", out);
		put_col(out, s, 5, "  ");
		fputc('\n', out);
		rc = out_done(st, out, e);
	}
out:
	reader_put(st, c);
	return rc;
}

int store_admin_contacts_csv(struct store *st, const char *actor, const char *office, FILE *out,
                             struct err *e)
{
	static const int text_cols[] = {3, 1, 2, 4, 5}; /* office, name, email, subject, message */
	struct conn *c;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if (office && !fits(office, STORE_SLUG))
		return err_set(e, "an office must be a slug of at most %d bytes", STORE_SLUG - 1);
	if (audit_read(st, actor, "contact.export", office, 0, 0, e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if (!(s = prep(st, c, Q_CONTACTS, e)))
		goto out;
	if ((office ? bind_text(s, 1, office) : sqlite3_bind_null(s, 1)) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, 0) != SQLITE_OK) {
		db_fail(st, c, "reading contact messages", e);
		goto out;
	}
	fputs("id,received,answered,office,name,email,subject,message\r\n", out);
	while ((rc = step(st, c, s, "reading contact messages", e)) == 1) {
		long long answered = sqlite3_column_int64(s, 7);

		fprintf(out, "%lld,", sqlite3_column_int64(s, 0));
		put_time(out, sqlite3_column_int64(s, 6));
		fputc(',', out);
		if (answered)
			put_time(out, answered);
		for (i = 0; i < sizeof text_cols / sizeof text_cols[0]; i++) {
			fputc(',', out);
			put_csv(out, s, text_cols[i]);
		}
		fputs("\r\n", out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

/* Writes the rows of a "SELECT name, COUNT(*)" query as "label name: n".
 * 0, or -1 with e. */
static int put_counts(struct store *st, struct conn *c, enum q id, const char *label, FILE *out,
                      struct err *e)
{
	sqlite3_stmt *s = prep(st, c, id, e);
	int rc;

	if (!s)
		return -1;
	while ((rc = step(st, c, s, "counting users", e)) == 1) {
		fprintf(out, "%s ", label);
		put_col(out, s, 0, NULL);
		fprintf(out, ": %lld\n", sqlite3_column_int64(s, 1));
	}
	return rc;
}

int store_admin_user_counts(struct store *st, FILE *out, struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	if (!c)
		return -1;
	if (!(s = prep(st, c, Q_USERS_TOTAL, e)))
		goto out;
	if ((rc = step(st, c, s, "counting users", e)) <= 0) {
		if (rc == 0)
			rc = err_kind_set(e, ERR_IO, "%s: counting users gave no row", st->path);
		goto out;
	}
	rc = -1;
	fprintf(out, "users: %lld\n", sqlite3_column_int64(s, 0));
	if (put_counts(st, c, Q_USERS_BY_STATUS, "status", out, e) < 0 ||
	    put_counts(st, c, Q_USERS_BY_OFFICE, "office", out, e) < 0)
		goto out;
	rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_certificates(struct store *st, const char *actor, FILE *out, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc;

	if (audit_read(st, actor, "certificate.list", NULL, 0, 0, e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if (!(s = prep(st, c, Q_CERTS, e)))
		goto out;
	while ((rc = step(st, c, s, "reading certificates", e)) == 1) {
		put_col(out, s, 0, NULL);
		fputs("  ", out);
		put_time(out, sqlite3_column_int64(s, 5));
		fputs("  ", out);
		put_col(out, s, 2, NULL);
		fprintf(out, "  user %lld  ", sqlite3_column_int64(s, 1));
		put_col(out, s, 3, NULL);
		fputc(' ', out);
		put_col(out, s, 4, NULL);
		fputc('\n', out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_audit(struct store *st, FILE *out, struct err *e)
{
	struct conn *c = reader_get(st, e);
	sqlite3_stmt *s;
	int rc = -1;

	if (!c)
		return -1;
	if (!(s = prep(st, c, Q_AUDIT_ALL, e)))
		goto out;
	while ((rc = step(st, c, s, "reading the audit log", e)) == 1) {
		fprintf(out, "%lld  ", sqlite3_column_int64(s, 0));
		put_time(out, sqlite3_column_int64(s, 1));
		fputs("  ", out);
		put_col(out, s, 2, NULL);
		fputs("  ", out);
		put_col(out, s, 3, NULL);
		fputs("  ", out);
		put_col(out, s, 4, NULL);
		fputc('\n', out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

/* ---- staff: requests, the outbox, one person's trail, purge ---- */

static const char *request_status_pl(const char *s)
{
	static const char *const names[][2] = {{"unconfirmed", "niepotwierdzony"},
	                                       {"received", "otrzymany"},
	                                       {"identity", "weryfikacja tożsamości"},
	                                       {"progress", "w realizacji"},
	                                       {"extended", "przedłużony"},
	                                       {"done", "zrealizowany"},
	                                       {"refused", "odmowa"}};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i][0]) == 0)
			return names[i][1];
	return s;
}

/* A date for staff: "2026-11-28". */
static void put_date(FILE *out, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char when[16];

	if (localtime_r(&tt, &tm) && strftime(when, sizeof when, "%Y-%m-%d", &tm) > 0)
		fputs(when, out);
	else
		fprintf(out, "%lld", t);
}

int store_admin_requests(struct store *st, const char *actor, int all, long long now, FILE *out,
                         struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc = -1;

	if (store_audit_read(st, actor, "request.list", all ? "requests all" : "requests open", e) <
	    0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = prep(st, c, all ? Q_REQUESTS_ALL : Q_REQUESTS_OPEN, e)))
		goto out;
	while ((rc = step(st, c, s, "reading requests", e)) == 1) {
		long long due = sqlite3_column_int64(s, 1);
		const char *status = (const char *)sqlite3_column_text(s, 2);
		int open = strcmp(status, "done") && strcmp(status, "refused") &&
		           strcmp(status, "unconfirmed");

		fprintf(out, "%-5lld ", sqlite3_column_int64(s, 0));
		if (due > 0)
			put_date(out, due);
		else
			fputs("----------", out);
		fprintf(out, "  %-16s ",
		        !open                      ? ""
		        : due < now                ? "PRZETERMINOWANY"
		        : due - now <= 7 * 86400LL ? "<= 7 dni"
		                                   : "");
		fprintf(out, "%-22s ", request_status_pl(status));
		put_col(out, s, 3, NULL);
		fputs("  ", out);
		put_col(out, s, 4, NULL);
		fputs("  (", out);
		put_col(out, s, 6, NULL);
		fputc(')', out);
		if (sqlite3_column_int(s, 5))
			fputs("  POWTÓRZONY (pkt 4.2)", out);
		fputc('\n', out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_request_show(struct store *st, const char *actor, long long id, long long now,
                             FILE *out, struct err *e)
{
	struct rights_request r;
	struct conn *c;
	sqlite3_stmt *s;
	char record[RECORD_MAX];
	int rc;

	snprintf(record, sizeof record, "request:%lld", id);
	if (store_audit_read(st, actor, "request.read", record, e) < 0)
		return -1;
	rc = store_request_get(st, id, &r, e);
	if (rc != 0)
		return rc;
	fprintf(out, "request %lld: %s%s\n", r.id, request_status_pl(r.status),
	        r.flagged ? ", POWTÓRZONY w ciągu 3 miesięcy (pkt 4.2)" : "");
	fputs("right:     ", out);
	put_text(out, r.right, strlen(r.right), NULL);
	fputs("\nfrom:      ", out);
	put_text(out, r.name, strlen(r.name), NULL);
	fputs(" <", out);
	put_text(out, r.email, strlen(r.email), NULL);
	fputs(">", out);
	if (r.user_id)
		fprintf(out, " (account %lld)", r.user_id);
	fputs("\nphone:     ", out);
	put_text(out, r.phone, strlen(r.phone), NULL);
	fputs("\naddress:   ", out);
	put_text(out, r.address, strlen(r.address), "\n           ");
	fputs("\noffice:    ", out);
	put_text(out, r.office, strlen(r.office), NULL);
	fputs("\nreply by:  ", out);
	put_text(out, r.channel, strlen(r.channel), NULL);
	fputs("\nsent:      ", out);
	put_time(out, r.created);
	fputs("\nreceived:  ", out);
	if (r.received)
		put_time(out, r.received);
	else
		fputs("not confirmed by e-mail yet (it does not count)", out);
	if (r.due) {
		fputs("\ndue:       ", out);
		put_date(out, r.due);
		if (r.extended_due) {
			fputs(", extended to ", out);
			put_date(out, r.extended_due);
		}
		if (!r.closed && (r.extended_due ? r.extended_due : r.due) < now)
			fputs("  PRZETERMINOWANY", out);
	}
	if (r.closed) {
		fputs("\nclosed:    ", out);
		put_time(out, r.closed);
	}
	fputs("\nscope:\n  ", out);
	put_text(out, r.scope, strlen(r.scope), "\n  ");
	fputs("\nhistory:\n", out);
	store_request_free(&r);
	if (!(c = reader_get(st, e)))
		return -1;
	rc = -1;
	if ((s = qbind(st, c, Q_REQUEST_STEPS, "reading a request's history", e, "i", id))) {
		while ((rc = step(st, c, s, "reading a request's history", e)) == 1) {
			fputs("  ", out);
			put_time(out, sqlite3_column_int64(s, 0));
			fputs("  ", out);
			put_col(out, s, 2, NULL);
			fputs("  ", out);
			put_col(out, s, 1, NULL);
			if (sqlite3_column_bytes(s, 3) > 0) {
				fputs("\n      ", out);
				put_col(out, s, 3, "\n      ");
			}
			fputc('\n', out);
		}
	}
	if (rc == 0)
		rc = out_done(st, out, e);
	reader_put(st, c);
	return rc;
}

int store_admin_outbox(struct store *st, const char *actor, int all, FILE *out, struct err *e)
{
	struct conn *c;
	sqlite3_stmt *s;
	int rc = -1;

	if (store_audit_read(st, actor, "outbox.list", all ? "outbox all" : "outbox", e) < 0)
		return -1;
	if (!(c = reader_get(st, e)))
		return -1;
	if (!(s = qbind(st, c, Q_OUTBOX_LIST, "reading the outbox", e, "i", (long long)all)))
		goto out;
	while ((rc = step(st, c, s, "reading the outbox", e)) == 1) {
		fprintf(out, "message %lld  ", sqlite3_column_int64(s, 0));
		put_col(out, s, 1, NULL);
		fputs("  ", out);
		put_time(out, sqlite3_column_int64(s, 2));
		fprintf(out, "  tries %d", sqlite3_column_int(s, 3));
		if (strcmp((const char *)sqlite3_column_text(s, 1), "sent") == 0) {
			fputs("  sent ", out);
			put_time(out, sqlite3_column_int64(s, 10));
		} else if (strcmp((const char *)sqlite3_column_text(s, 1), "waiting") == 0 &&
		           sqlite3_column_int(s, 3) > 0) {
			fputs("  next try ", out);
			put_time(out, sqlite3_column_int64(s, 4));
		}
		if (sqlite3_column_bytes(s, 5) > 0) {
			fputs("\n  last error: ", out);
			put_col(out, s, 5, NULL);
		}
		fputs("\n  kind: ", out);
		put_col(out, s, 6, NULL);
		fputs("\n  to: ", out);
		put_col(out, s, 7, NULL);
		fputs("\n  subject: ", out);
		put_col(out, s, 8, NULL);
		fputs("\n  | ", out);
		put_col(out, s, 9, "\n  | ");
		fputs("\n\n", out);
	}
	if (rc == 0)
		rc = out_done(st, out, e);
out:
	reader_put(st, c);
	return rc;
}

int store_admin_audit_user(struct store *st, long long user_id, FILE *out, struct err *e)
{
	struct conn *c = reader_get(st, e);
	char who[32];
	sqlite3_stmt *s;
	int rc = -1;

	if (!c)
		return -1;
	snprintf(who, sizeof who, "user:%lld", user_id);
	if ((s = qbind(st, c, Q_AUDIT_USER, "reading the audit log", e, "it", user_id, who))) {
		while ((rc = step(st, c, s, "reading the audit log", e)) == 1) {
			fprintf(out, "%lld  ", sqlite3_column_int64(s, 0));
			put_time(out, sqlite3_column_int64(s, 1));
			fputs("  ", out);
			put_col(out, s, 2, NULL);
			fputs("  ", out);
			put_col(out, s, 3, NULL);
			fputs("  ", out);
			put_col(out, s, 4, NULL);
			fputc('\n', out);
		}
	}
	if (rc == 0)
		rc = out_done(st, out, e);
	reader_put(st, c);
	return rc;
}
