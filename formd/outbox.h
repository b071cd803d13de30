/*
 * outbox.h - the thread that delivers the outbox (store.h): every e-mail
 * formd sends is stored first, in the same transaction as what it is
 * about, and sent from here through the relay (mail.h), oldest first.
 *
 * A failed sending is tried again later: after `retry` seconds (60 by
 * default), then twice as long each time, at most an hour apart,
 * OUTBOX_TRIES times in all (about half a day); a relay's permanent
 * refusal (5xx) is not retried. Then the message is "failed", and staff
 * see it (formd admin outbox) and can try it again (outbox retry ID).
 * Nothing is lost while the relay is down: the messages wait.
 *
 * With no relay configured nothing is started: the messages wait, and
 * `formd admin outbox` shows them with their links (local runs, offline).
 */
#ifndef OKIENKO_OUTBOX_H
#define OKIENKO_OUTBOX_H

#include "err.h"
#include "mail.h"
#include "store.h"

#define OUTBOX_TRIES 12
#define OUTBOX_POLL                                                                                \
	30 /* seconds between looks for messages queued by another process                         \
	      (formd admin): the default */

struct outbox;

/* Starts the sender over the open store with relay r (copied); a failed
 * sending waits `retry` seconds first (<= 0: 60); the outbox is looked at
 * every `poll` seconds besides wakes (<= 0: OUTBOX_POLL). NULL with e
 * when the thread cannot start. */
struct outbox *outbox_start(struct store *st, const struct mail_relay *r, int retry, int poll,
                            struct err *e);
/* A message was queued: look now. NULL is fine (no sender). */
void outbox_wake(struct outbox *o);
/* Stops the sender (a sending under way finishes first). NULL is fine. */
void outbox_stop(struct outbox *o);

/* When a message that failed `attempts` times (1 or more) is tried again,
 * from `now`, the first wait being `retry` seconds; 0 when it is not
 * (OUTBOX_TRIES reached, or `reply` is a permanent refusal, 5xx). */
long long outbox_next_try(int attempts, long reply, int retry, long long now);

#endif
