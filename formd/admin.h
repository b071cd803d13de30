/*
 * admin.h - `formd admin ...`, the staff's command line: contact messages,
 * the monitoring figures, certificates, the audit log, forum moderation.
 * Output is in English. Everything shown from the database goes through
 * the store, which escapes control characters (\xNN); every read of
 * personal data is audited as "admin:LOGIN".
 *
 * Commands (argv holds the words after `admin`):
 *
 *   contacts [--office SLUG] [--open]   the contact messages, one a line
 *   contacts export [--office SLUG]     the same as CSV (RFC 4180) on out
 *   contact show ID                     one message in full
 *   contact answered ID                 marks it answered
 *   users stats                         users by status and by office
 *   certificates                        the certificates issued
 *   audit                               the audit log, oldest first
 *   audit --verify                      checks the audit log's hash chain
 *   posts hide ID | posts show ID       hides or shows a forum post
 *   help                                this list
 *
 * `posts hide|show` print "post ID hidden|shown, course SLUG": the caller
 * rewrites that course's forum pages (SLUG is checked to be [a-z0-9-]+).
 */
#ifndef OKIENKO_ADMIN_H
#define OKIENKO_ADMIN_H

#include "store.h"

#include <stdio.h>

/* Runs one staff command on the open store `st` (NULL is allowed for
 * `help`) as `login` (the staff member's Unix login, written to the audit
 * log). Results go to out, errors and usage to err. Never exits: returns
 * the exit code, 0 success (for `audit --verify`: the chain holds), 1 the
 * command failed (a record not found, a broken chain, a database error),
 * 2 wrong usage (also no command at all; `help` prints the usage to out
 * and returns 0). */
int admin_main(struct store *st, const char *login, int argc, char **argv, FILE *out, FILE *err);

#endif
