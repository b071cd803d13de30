/*
 * mail.h - the only module that speaks to libcurl: one e-mail formatted
 * as an RFC 5322 message, and sent to one recipient through an SMTP relay.
 *
 * formd's outbox thread calls it for one message at a time: mail_format()
 * once, when the message is queued (the caller keeps the text and its
 * Message-ID, so that a retry sends the same bytes), mail_send() for each
 * attempt.
 *
 * mail_init() must be called once, before any thread starts (it calls
 * curl_global_init(), which is not thread-safe in Debian 12's libcurl
 * 7.88), and mail_cleanup() once at the end, after the threads stopped.
 * Between them everything here may be called from any thread.
 *
 * The process must ignore SIGPIPE (formd's main does): mail_send() asks
 * libcurl not to touch signals (CURLOPT_NOSIGNAL), which a threaded
 * program needs, so libcurl does not block SIGPIPE for it either.
 *
 * Return values: 0 success, -1 with e. ERR_INPUT: the caller's input is
 * wrong (a line break in a subject, a credentials file others can read);
 * ERR_NOMEM; ERR_IO: the relay did not take the message (try again later,
 * or give up on a 5xx reply).
 */
#ifndef OKIENKO_MAIL_H
#define OKIENKO_MAIL_H

#include "buf.h"
#include "err.h"

#include <stddef.h>

#define MAIL_TIMEOUT_DEFAULT 30   /* seconds for a whole transfer */
#define MAIL_CONNECT_TIMEOUT 10   /* seconds to connect (never over the whole timeout) */
#define MAIL_ADDR_MAX 254         /* bytes of an address (RFC 5321's path limit, less <>) */
#define MAIL_ID_MAX 128           /* bytes of a Message-ID's left part */
#define MAIL_CREDENTIALS_MAX 4096 /* bytes of a credentials file */

/* Where and as whom mail is sent; plain data, filled by the caller from
 * formd's options (and mail_relay_credentials()). Zero it first. */
struct mail_relay {
	/* "smtp://host:port" (STARTTLS or plain, see starttls) or
	 * "smtps://host:port" (TLS from the start); "" = no relay configured.
	 * A path ("smtp://host/name") sets the name sent in EHLO; without
	 * one libcurl sends this machine's host name. */
	char url[512];
	/* 1: STARTTLS is required on smtp:// (CURLUSESSL_ALL: no TLS, no
	 * mail); 0: plain text, for a relay on the loopback (the tests'). A
	 * user and password are never sent over plain text: mail_send()
	 * refuses that. TLS peers are always verified (the system's CAs). */
	int starttls;
	char user[256]; /* "" = no AUTH */
	char password[256];
	char from[256];      /* the envelope sender and the From: address */
	char from_name[256]; /* From:'s display name, UTF-8; "" = none */
	long timeout_s;      /* a whole transfer; <= 0 means MAIL_TIMEOUT_DEFAULT */
};

/* Starts libcurl (curl_global_init) and checks that it speaks SMTP and
 * TLS. 0, or -1 with e (ERR_IO). */
int mail_init(struct err *e);
/* Releases what mail_init() took; after every mail_send() has returned. */
void mail_cleanup(void);

/* Reads the relay's user and password from `path`: the first line is the
 * user, the second the password; the password's line end is optional
 * ("\n" or "\r\n"), nothing may follow it. Refused (ERR_INPUT, the message
 * names the file, and its mode when that is the reason): a file that its
 * group or others may read or write (chmod 600 it), that is not a regular
 * file, that is over MAIL_CREDENTIALS_MAX bytes, holds a NUL byte, an empty
 * user or password, or a line too long for r's fields. ERR_IO when it
 * cannot be opened or read. On failure r is unchanged. The copy read is
 * wiped before returning. */
int mail_relay_credentials(struct mail_relay *r, const char *path, struct err *e);

/*
 * Appends to `out` one message ready for mail_send(): every line ends in
 * CRLF, none is longer than 78 characters but a header holding an address
 * over about 70 bytes (an address cannot be folded; MAIL_ADDR_MAX keeps the
 * line under SMTP's 998).
 *
 *   Date:       `date` (seconds since the epoch) in UTC, "+0000"
 *   From:       r->from_name, r->from: "Name" <addr>, or RFC 2047 encoded
 *               words (=?UTF-8?B?...?=) when the name is not printable
 *               ASCII or does not fit one line
 *   To:         <to>
 *   Subject:    as is when printable ASCII that fits one line; otherwise
 *               encoded words, each at most 75 characters, each holding
 *               whole UTF-8 characters, folded onto lines of at most 78
 *   Message-ID: <message_id@domain of r->from>; the caller makes
 *               message_id unique (and keeps it for retries)
 *   MIME-Version: 1.0, Content-Type: text/plain; charset=UTF-8,
 *   Content-Transfer-Encoding: quoted-printable, Auto-Submitted:
 *   auto-generated (RFC 3834: no out-of-office replies to it)
 *
 * The body (UTF-8; lines end in "\n" or "\r\n", both sent as CRLF) is
 * quoted-printable: Polish text is mostly ASCII, so it stays readable in
 * the raw message and grows by about a fifth (the portal's own pages:
 * 1.19-1.22); base64 would add over a third (1.35) and hide all of it.
 * Decoding the body gives back `body` exactly, with CRLF line ends: a body
 * without a final line end ends in a soft line break.
 *
 * Refused with ERR_INPUT: a CR or LF (header injection) or another control
 * character in to, subject or r->from_name; text that is not UTF-8; an
 * address that is not a plain local@domain of at most MAIL_ADDR_MAX bytes
 * (no spaces, quotes, <>, commas); a message_id outside RFC 5322's
 * dot-atom (letters, digits, !#$%&'*+-/=?^_`{|}~ and single inner dots) or
 * over MAIL_ID_MAX bytes; a date before 1970 or after 9999. ERR_NOMEM when
 * `out` failed (it stays failed: buf.h). On failure `out` is cut back to
 * its length before the call.
 */
int mail_format(struct buf *out, const struct mail_relay *r, const char *to, const char *subject,
                const char *body, long long date, const char *message_id, struct err *e);

/*
 * Sends `msg` (len bytes, as mail_format() made it) to `to` (the envelope
 * recipient; r->from is the envelope sender) through r's relay, with one
 * libcurl handle of its own (so calls may run in parallel). Lines that
 * begin with "." need nothing from the caller: libcurl dot-stuffs the
 * upload (RFC 5321 4.5.2), and adds the final "." line.
 *
 * 0 when the relay accepted the message (libcurl checks for 250 after the
 * data). -1 with e otherwise: ERR_INPUT for no relay configured (r->url
 * empty), a URL that is not smtp:// or smtps://, a bad address, or a user
 * and password over plain text; ERR_IO for everything on the way
 * (connection refused, timeout, TLS or AUTH failure, a 4xx or 5xx reply):
 * the message names the relay (its URL without any user:password@ part)
 * and libcurl's reason; the password never appears. ERR_NOMEM when
 * libcurl could not start a handle.
 *
 * It returns within about twice r->timeout_s: the transfer, then, after a
 * failure, at most as long again for the relay's answer to QUIT.
 *
 * If `reply` is not NULL it gets the relay's SMTP reply code: 250 on
 * success; on failure the code of the relay's refusal, e.g. 550 (a 5xx
 * will not change on a retry) or 451 (a 4xx: try later), or 0 when the
 * failure was no refusal (no connection, a timeout, TLS).
 */
int mail_send(const struct mail_relay *r, const char *to, const char *msg, size_t len, long *reply,
              struct err *e);

#endif
