/*
 * admin.h - `formd admin ...`, the staff's command line: contact messages,
 * the monitoring figures, certificates, the audit log, forum moderation.
 * Output is in English (a request's status in Polish, rights.h's words).
 * The store hands the rows (store.h, row callbacks); what they hold is
 * written escaped: control characters as \xNN for the terminal, RFC 4180
 * quoting for CSV. Every read of personal data is audited, by the store,
 * as "admin:LOGIN".
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
 *   audit --user ID                     one person's trail
 *   users lift ID                       lifts a restriction of processing (art. 18)
 *   requests [--all]                    data-protection requests by due date
 *   request show ID                     one request with its history
 *   request identity|progress|done ID [--note TEXT]
 *   request extend ID --months 1|2 --reason TEXT
 *   request refuse ID --reason TEXT
 *   request note ID --note TEXT         a step, written to its history
 *   request reply ID [--send]           the reply's text in Polish; --send
 *                                       queues it in the outbox
 *   outbox [--all]                      messages waiting or failed (--all: sent)
 *   outbox retry ID                     try a failed message again
 *   purge [--dry-run]                   applies site.toml [retention] (needs --site)
 *   help                                this list
 *
 * `posts hide|show` print "post ID hidden|shown, course SLUG": the caller
 * rewrites that course's forum pages (SLUG is checked to be [a-z0-9-]+).
 */
#ifndef OKIENKO_ADMIN_H
#define OKIENKO_ADMIN_H

#include "pages.h"
#include "store.h"

#include <stdio.h>

/* Runs one staff command on the open store `st` (NULL is allowed for
 * `help`) as `login` (the staff member's Unix login, written to the audit
 * log). Results go to out, errors and usage to err. Never exits: returns
 * the exit code, 0 success (for `audit --verify`: the chain holds), 1 the
 * command failed (a record not found, a broken chain, a database error),
 * 2 wrong usage (also no command at all; `help` prints the usage to out
 * and returns 0). */
int admin_main(struct store *st, const struct sitedata *sd, const char *login, int argc,
               char **argv, FILE *out, FILE *err);
/* The cutoffs of site.json's retention periods (site.toml [retention])
 * at `now`. 0, or -1 with e (a period formd cannot read). */
int admin_cutoffs(const struct sitedata *sd, long long now, struct purge_cutoffs *c, struct err *e);

#endif
