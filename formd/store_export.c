/*
 * store_export.c - store_user_data: everything the store holds about one
 * person, as a value tree read in one snapshot (GDPR art. 15 and 20).
 */
#include "store_int.h"

#include "clock.h"

#include "value.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the reads of store_user_data */
const char *const store_sql_export[Q_COUNT] = {
    /* a person's own data: the columns in the order of store_user_data's
     * keys (the user_cols ... session_cols tables); no pw_hash */
    [Q_USER_DATA] = "SELECT id, first_name, last_name, email, status, office, created, "
                    "terms_commit, terms_at, policy_commit, policy_at, restricted FROM users "
                    "WHERE id = ?1 AND closed = 0",
    [Q_USER_ATTEMPTS] = "SELECT course, score, passed, wrong, at FROM attempts "
                        "WHERE user_id = ?1 ORDER BY at, id",
    [Q_USER_CERTS] = "SELECT code, course, issued FROM certificates WHERE user_id = ?1 "
                     "ORDER BY issued, code",
    [Q_USER_POSTS] = "SELECT id, course, thread_id, title, body, posted, hidden FROM posts "
                     "WHERE user_id = ?1 ORDER BY id",
    /* NOCASE folds ASCII letters only, as email_norm does */
    [Q_USER_CONTACTS] = "SELECT " CONTACT_COLS " FROM contacts "
                        "WHERE lower(email) = (SELECT email_norm FROM users WHERE id = ?1 AND "
                        "confirmed > 0) ORDER BY id",
    /* the digest is compared here: the full one never leaves sqlite */
    [Q_USER_SESSIONS] = "SELECT substr(digest, 1, 12), created, last_used, "
                        "IFNULL(digest = ?2, 0) FROM sessions WHERE user_id = ?1 "
                        "ORDER BY created, digest",
    /* the requests the person sent: from the account, or from its
     * e-mail address and confirmed from it (an unconfirmed one may be
     * anybody's) */
    [Q_USER_REQUESTS] = "SELECT id, article, scope, channel, status, received, due, extended_due, "
                        "closed FROM requests WHERE user_id = ?1 OR (confirmed > 0 AND "
                        "lower(email) = (SELECT email_norm FROM users WHERE id = ?1 AND "
                        "confirmed > 0)) ORDER BY id",
};

/* ---- a person's own data ---- */

/* How a column goes into a value tree. */
enum col_kind { COL_TEXT, COL_INT, COL_BOOL };

struct col {
	const char *key;
	enum col_kind kind;
};

/* The keys of each list's tables, in the order of its statement's columns. */
static const struct col profile_cols[] = {
    {"id", COL_INT},      {"first_name", COL_TEXT}, {"last_name", COL_TEXT}, {"email", COL_TEXT},
    {"status", COL_TEXT}, {"office", COL_TEXT},     {"created", COL_INT},
};
static const struct col request_cols[] = {
    {"id", COL_INT},       {"right", COL_TEXT},       {"scope", COL_TEXT},
    {"channel", COL_TEXT}, {"status", COL_TEXT},      {"received", COL_INT},
    {"due", COL_INT},      {"extended_due", COL_INT}, {"closed", COL_INT},
};
static const struct col attempt_cols[] = {
    {"course", COL_TEXT}, {"score", COL_INT}, {"passed", COL_BOOL},
    {"wrong", COL_TEXT},  {"at", COL_INT},
};
static const struct col cert_cols[] = {
    {"code", COL_TEXT},
    {"course", COL_TEXT},
    {"issued", COL_INT},
};
static const struct col post_cols[] = {
    {"id", COL_INT},    {"course", COL_TEXT}, {"thread_id", COL_INT}, {"title", COL_TEXT},
    {"body", COL_TEXT}, {"posted", COL_INT},  {"hidden", COL_BOOL},
};
static const struct col contact_cols[] = {
    {"id", COL_INT},       {"name", COL_TEXT},    {"email", COL_TEXT},   {"office", COL_TEXT},
    {"subject", COL_TEXT}, {"message", COL_TEXT}, {"received", COL_INT}, {"answered", COL_INT},
};
static const struct col session_cols[] = {
    {"id", COL_TEXT},
    {"created", COL_INT},
    {"last_used", COL_INT},
    {"current", COL_BOOL},
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Sets `key` in tab to column i of s as a string (its bytes, a NUL byte
 * too). 0, or -1 on allocation failure (sqlite's or ours). */
static int set_col_text(struct val *tab, const char *key, sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	if (!t && sqlite3_column_type(s, i) != SQLITE_NULL)
		return -1;
	return val_set(tab, key, val_strn(t ? t : "", t ? (size_t)sqlite3_column_bytes(s, i) : 0));
}

/* The row s is on as a table of the columns `cols` (column i gives
 * cols[i]). NULL on allocation failure. */
static struct val *row_table(sqlite3_stmt *s, const struct col *cols, size_t n)
{
	struct val *row = val_new(VAL_TABLE);
	size_t i;
	int rc = 0;

	for (i = 0; row && rc == 0 && i < n; i++) {
		switch (cols[i].kind) {
		case COL_TEXT:
			rc = set_col_text(row, cols[i].key, s, (int)i);
			break;
		case COL_INT:
			rc = val_set_int(row, cols[i].key, sqlite3_column_int64(s, (int)i));
			break;
		case COL_BOOL:
			rc = val_set_bool(row, cols[i].key, sqlite3_column_int(s, (int)i) != 0);
			break;
		}
	}
	if (rc < 0) {
		val_free(row);
		return NULL;
	}
	return row;
}

/* A consent: {document, commit: column commit_col, accepted: column
 * at_col} of the user row s is on. NULL on allocation failure. */
static struct val *consent(sqlite3_stmt *s, const char *document, int commit_col, int at_col)
{
	struct val *t = val_new(VAL_TABLE);

	if (t && (val_set_str(t, "document", document) < 0 ||
	          set_col_text(t, "commit", s, commit_col) < 0 ||
	          val_set_int(t, "accepted", sqlite3_column_int64(s, at_col)) < 0)) {
		val_free(t);
		return NULL;
	}
	return t;
}

/* Sets `key` in root to an array of one table (row_table with cols) per
 * row of statement `id`, run on c with user_id bound to ?1 and `text`
 * (NULL: SQL NULL) to ?2. 0, or -1 with e. */
static int add_rows(struct store *st, struct conn *c, struct val *root, const char *key, enum q id,
                    long long user_id, const char *text, const struct col *cols, size_t n,
                    const char *what, struct err *e)
{
	struct val *arr = val_new(VAL_ARRAY);
	sqlite3_stmt *s;
	int rc;

	/* in the tree first: freeing root frees what is filled in below */
	if (val_set(root, key, arr) < 0)
		return err_oom(e);
	if (!(s = prep(st, c, id, e)))
		return -1;
	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK ||
	    (text && bind_text(s, 2, text) != SQLITE_OK))
		return db_fail(st, c, what, e);
	while ((rc = step(st, c, s, what, e)) == 1)
		if (val_push(arr, row_table(s, cols, n)) < 0)
			return err_oom(e);
	return rc;
}

/* Reads the tree of store_user_data on c (inside its read transaction).
 * 0 with *out set, 1 when there is no such user, -1 with e. */
static int user_data_read(struct store *st, struct conn *c, long long user_id, const char *digest,
                          struct val **out, struct err *e)
{
	struct val *root = val_new(VAL_TABLE), *consents;
	sqlite3_stmt *s;
	int rc;

	if (!root || val_set_str(root, "format", STORE_USER_DATA_FORMAT) < 0 ||
	    val_set_int(root, "generated", clock_now()) < 0)
		goto oom;
	if (!(s = prep(st, c, Q_USER_DATA, e)))
		goto fail;
	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK) {
		db_fail(st, c, "reading a user", e);
		goto fail;
	}
	rc = step(st, c, s, "reading a user", e);
	if (rc <= 0) {
		val_free(root);
		return rc < 0 ? -1 : 1;
	}
	if (val_set(root, "profile", row_table(s, profile_cols, NCOLS(profile_cols))) < 0 ||
	    val_set_int(val_get_mut(root, "profile"), "restricted", sqlite3_column_int64(s, 11)) <
	        0)
		goto oom;
	consents = val_new(VAL_ARRAY);
	if (val_set(root, "consents", consents) < 0 ||
	    val_push(consents, consent(s, "regulamin", 7, 8)) < 0 ||
	    val_push(consents, consent(s, "polityka-prywatnosci", 9, 10)) < 0)
		goto oom;
	sqlite3_reset(s);
	if (add_rows(st, c, root, "attempts", Q_USER_ATTEMPTS, user_id, NULL, attempt_cols,
	             NCOLS(attempt_cols), "reading attempts", e) < 0 ||
	    add_rows(st, c, root, "certificates", Q_USER_CERTS, user_id, NULL, cert_cols,
	             NCOLS(cert_cols), "reading certificates", e) < 0 ||
	    add_rows(st, c, root, "posts", Q_USER_POSTS, user_id, NULL, post_cols, NCOLS(post_cols),
	             "reading posts", e) < 0 ||
	    add_rows(st, c, root, "contacts", Q_USER_CONTACTS, user_id, NULL, contact_cols,
	             NCOLS(contact_cols), "reading contact messages", e) < 0 ||
	    add_rows(st, c, root, "sessions", Q_USER_SESSIONS, user_id, digest, session_cols,
	             NCOLS(session_cols), "reading sessions", e) < 0 ||
	    add_rows(st, c, root, "requests", Q_USER_REQUESTS, user_id, NULL, request_cols,
	             NCOLS(request_cols), "reading requests", e) < 0)
		goto fail;
	*out = root;
	return 0;
oom:
	err_oom(e);
fail:
	val_free(root);
	return -1;
}

int store_user_data(struct store *st, const char *actor, long long user_id,
                    const char *current_digest, struct val **out, struct err *e)
{
	struct audit_job a = {actor, "user.read", "", 0, user_id};
	struct conn *c;
	int rc;

	*out = NULL;
	if (check_actor(actor, e) < 0)
		return -1;
	if (current_digest && check_digest(current_digest, e) < 0)
		return -1;
	if (user_id <= 0)
		return 1;
	/* audited before it is read, so that nothing is shown that is not in
	 * the log; the job answers 1 (writing nothing) for no such user */
	snprintf(a.record, sizeof a.record, "user:%lld", user_id);
	rc = submit(st, run_audit, &a, e);
	if (rc != 0)
		return rc;
	if (!(c = reader_get(st, e)))
		return -1;
	/* one read transaction: every list from the same snapshot */
	if (exec(st, c, "BEGIN", e) < 0) {
		reader_put(st, c);
		return -1;
	}
	rc = user_data_read(st, c, user_id, current_digest, out, e);
	reset_all(c);
	if (rc == 0 && exec(st, c, "COMMIT", e) < 0) {
		val_free(*out);
		*out = NULL;
		rc = -1;
	}
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	reader_put(st, c);
	return rc;
}
