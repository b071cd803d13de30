/*
 * admin.c - `formd admin ...` (see admin.h): parses the words and calls
 * the store, which writes what it reads to the FILEs given. Prints only to
 * those FILEs; never exits.
 */
#include "admin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOGIN_MAX 64 /* bytes of a login name written to the audit log */

static const char usage[] =
    "usage: formd admin --db FILE COMMAND\n"
    "\n"
    "  contacts [--office SLUG] [--open]   list contact messages (--open: not answered)\n"
    "  contacts export [--office SLUG]     the messages as CSV\n"
    "  contact show ID                     one message in full\n"
    "  contact answered ID                 mark a message answered\n"
    "  users stats                         users by status and by office\n"
    "  certificates                        the certificates issued\n"
    "  audit                               the audit log, oldest first\n"
    "  audit --verify                      check the audit log's hash chain\n"
    "  posts hide ID                       hide a forum post\n"
    "  posts show ID                       show a hidden forum post again\n"
    "  help                                this text\n"
    "\n"
    "Reading contact messages and certificates is written to the audit log.\n"
    "Exit status: 0 success, 1 failure (for audit --verify: a broken chain),\n"
    "2 wrong usage.\n";

/* What a command needs to run. */
struct cmd {
	struct store *st;
	const char *actor; /* "admin:LOGIN" */
	FILE *out, *err;
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
	if (export)
		rc = store_admin_contacts_csv(c->st, c->actor, office, c->out, &e);
	else
		rc = store_admin_contacts(c->st, c->actor, office, open, c->out, &e);
	return result(c, rc, &e, "");
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
		return result(c, store_admin_contact_show(c->st, c->actor, id, c->out, &e), &e,
		              missing);
	rc = store_admin_contact_answered(c->st, c->actor, id, &e);
	if (rc == 0)
		fprintf(c->out, "contact %lld answered\n", id);
	return result(c, rc, &e, missing);
}

/* `audit [--verify]`. */
static int cmd_audit(const struct cmd *c, int argc, char **argv)
{
	struct err e = {0};
	int rc;

	if (argc == 1)
		return result(c, store_admin_audit(c->st, c->out, &e), &e, "");
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

int admin_main(struct store *st, const char *login, int argc, char **argv, FILE *out, FILE *err)
{
	char actor[LOGIN_MAX + 8];
	struct cmd c = {st, actor, out, err};
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
	    strcmp(cmd, "audit") != 0 && strcmp(cmd, "posts") != 0)
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
	if (strcmp(cmd, "users") == 0) {
		if (argc != 2 || strcmp(argv[1], "stats") != 0)
			return bad_usage(err, "expected users stats", NULL);
		return result(&c, store_admin_user_counts(st, out, &e), &e, "");
	}
	if (argc != 1)
		return bad_usage(err, "unexpected argument", argv[1]);
	return result(&c, store_admin_certificates(st, actor, out, &e), &e, "");
}
