/*
 * mail.c - one e-mail: formatting (RFC 5322, RFC 2047 headers,
 * quoted-printable body) and sending through an SMTP relay. The only file
 * of the project that includes <curl/curl.h>: every other module sees the
 * plain types of mail.h.
 */
#include "mail.h"

#include "utf8.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_ 78     /* RFC 5322 2.1.1: a header line SHOULD be at most 78 */
#define WORD_MAX 75      /* RFC 2047 2: an encoded word is at most 75 */
#define QP_LINE_MAX 76   /* RFC 2045 6.7: a quoted-printable line is at most 76 */
#define WORD_OVERHEAD 12 /* "=?UTF-8?B?" and "?=" */

/* ---- starting libcurl ---- */

/* curl_global_init is the one call here that is not thread-safe in 7.88
 * (no CURL_VERSION_THREADSAFE): formd's main calls mail_init before its
 * threads start. The checks make a libcurl built without SMTP or TLS fail
 * at start-up rather than at the first message. */
int mail_init(struct err *e)
{
	const curl_version_info_data *v;
	const char *const *p;
	int smtp = 0, smtps = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_kind_set(e, ERR_IO, "cannot initialise libcurl");
	v = curl_version_info(CURLVERSION_NOW);
	for (p = v->protocols; p && *p; p++) {
		smtp |= strcmp(*p, "smtp") == 0;
		smtps |= strcmp(*p, "smtps") == 0;
	}
	if (!smtp || !smtps || !(v->features & CURL_VERSION_SSL)) {
		curl_global_cleanup();
		return err_kind_set(e, ERR_IO, "libcurl %s cannot send mail: no SMTP or no TLS",
		                    v->version);
	}
	return 0;
}

void mail_cleanup(void)
{
	curl_global_cleanup();
}

/* ---- credentials ---- */

/* Copies the line s[0..len) into dst (n bytes with the NUL); -1 with e
 * naming the file and line when it is empty or too long. */
static int take_line(char *dst, size_t n, const char *s, size_t len, const char *path, int line,
                     const char *what, struct err *e)
{
	if (len == 0)
		return err_at(e, path, line, 0, "no %s", what);
	if (len >= n)
		return err_at(e, path, line, 0, "%s over %zu bytes", what, n - 1);
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* The length of the line at s[0..len) without its end ("\n" or "\r\n"),
 * and in *next the offset after that end (len when there is none). */
static size_t line_len(const char *s, size_t len, size_t *next)
{
	const char *nl = memchr(s, '\n', len);
	size_t n = nl ? (size_t)(nl - s) : len;

	*next = nl ? n + 1 : len;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return n;
}

/* The checks are made on the open descriptor (fstat), so the file read is
 * the file checked; O_NONBLOCK keeps a FIFO from blocking the open. The
 * file is read whole into the stack, and every copy there is wiped on
 * every path; r is written only on success. */
int mail_relay_credentials(struct mail_relay *r, const char *path, struct err *e)
{
	char data[MAIL_CREDENTIALS_MAX + 1];
	char user[sizeof r->user], password[sizeof r->password];
	struct stat st;
	size_t len = 0, n1, n2, off1, off2;
	ssize_t got;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_kind_set(e, ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		err_kind_set(e, ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
		err_set(e, "%s: mode %04o lets its group or others read or write it (chmod 600 it)",
		        path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	for (;;) {
		got = read(fd, data + len, sizeof data - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err_kind_set(e, ERR_IO, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len == sizeof data) {
			err_set(e, "%s: over %d bytes", path, MAIL_CREDENTIALS_MAX);
			goto out;
		}
	}
	if (memchr(data, '\0', len)) {
		err_set(e, "%s: a NUL byte", path);
		goto out;
	}
	n1 = line_len(data, len, &off1);
	n2 = line_len(data + off1, len - off1, &off2);
	if (take_line(user, sizeof user, data, n1, path, 1, "user", e) < 0 ||
	    take_line(password, sizeof password, data + off1, n2, path, 2, "password", e) < 0)
		goto out;
	if (off1 + off2 != len) {
		err_at(e, path, 3, 0, "more than two lines (the user, then the password)");
		goto out;
	}
	memcpy(r->user, user, sizeof user);
	memcpy(r->password, password, sizeof password);
	rc = 0;
out:
	explicit_bzero(data, sizeof data);
	explicit_bzero(user, sizeof user);
	explicit_bzero(password, sizeof password);
	close(fd);
	return rc;
}

/* ---- checks ---- */

/* -1 with e when s holds a line break or another control character (the
 * C0 set and DEL), or is not UTF-8. `what` names the field. */
static int check_text(const char *what, const char *s, struct err *e)
{
	size_t len = strlen(s), i, bad;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			return err_set(e, "%s: a line break (at byte %zu)", what, i);
		if (c < 0x20 || c == 0x7f)
			return err_set(e, "%s: a control character (at byte %zu)", what, i);
	}
	bad = utf8_check(s, len);
	if (bad < len)
		return err_set(e, "%s: not UTF-8 (at byte %zu)", what, bad);
	return 0;
}

/* RFC 5322 atext, the characters of a dot-atom besides the dot. */
static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* A dot-atom: atext, single dots between them, no dot first or last. */
static int is_dot_atom(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* A plain address, local@domain, both dot-atoms, the domain letters,
 * digits, '-' and '.': what the portal's forms accept. Quoted local parts
 * and address literals are refused (nobody registers with them). Line
 * breaks get their own message: they are the injection this stops. */
static int check_addr(const char *what, const char *s, struct err *e)
{
	size_t len = strlen(s), i;
	const char *at = strrchr(s, '@');

	if (strpbrk(s, "\r\n"))
		return err_set(e, "%s: a line break", what);
	if (len == 0)
		return err_set(e, "%s: no address", what);
	if (len > MAIL_ADDR_MAX)
		return err_set(e, "%s: address over %d bytes", what, MAIL_ADDR_MAX);
	if (!at || !is_dot_atom(s, (size_t)(at - s)) || !is_dot_atom(at + 1, strlen(at + 1)))
		return err_set(e, "%s: not an address of the form local@domain", what);
	for (i = 1; at[i]; i++) {
		unsigned char c = (unsigned char)at[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return err_set(e, "%s: the domain holds '%c'", what, c);
	}
	return 0;
}

/* ---- headers ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(struct buf *out, const unsigned char *p, size_t len)
{
	char q[4];

	for (; len >= 3; p += 3, len -= 3) {
		q[0] = b64[p[0] >> 2];
		q[1] = b64[((p[0] & 3) << 4) | (p[1] >> 4)];
		q[2] = b64[((p[1] & 15) << 2) | (p[2] >> 6)];
		q[3] = b64[p[2] & 63];
		buf_add(out, q, 4);
	}
	if (len > 0) {
		q[0] = b64[p[0] >> 2];
		q[1] = b64[((p[0] & 3) << 4) | (len > 1 ? p[1] >> 4 : 0)];
		q[2] = len > 1 ? b64[(p[1] & 15) << 2] : '=';
		q[3] = '=';
		buf_add(out, q, 4);
	}
}

/* 1 when s can stand in a header as it is: printable ASCII (spaces
 * allowed), and no "=?", which a reader would try to decode. */
static int is_plain(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c > 0x7e || (s[0] == '=' && s[1] == '?'))
			return 0;
	}
	return 1;
}

/*
 * Appends s (checked UTF-8, no controls) as RFC 2047 B encoded words,
 * starting at column `col` of the current line. Each word holds whole
 * characters (RFC 2047 5: a character is never split across words) and
 * is at most WORD_MAX long and ends by LINE_MAX_; words after the first go
 * on continuation lines ("\r\n "), which a reader unfolds and, since the
 * whitespace between two encoded words is not part of the text, joins
 * back into s exactly. Words are cut just after a space when there is one
 * in the word's second half: readers that wrongly keep a space between
 * encoded words (Python's email.headerregistry does, in a From: name)
 * then show two spaces rather than a word cut in two. Returns the column
 * after the last word.
 */
static size_t put_words(struct buf *out, size_t col, const char *s)
{
	size_t len = strlen(s), room, take, cut;

	while (len > 0) {
		room = LINE_MAX_ - col;
		if (room > WORD_MAX)
			room = WORD_MAX;
		if (room < WORD_OVERHEAD + 8) { /* not even two characters: a new line */
			buf_puts(out, "\r\n ");
			col = 1;
			continue;
		}
		take = (room - WORD_OVERHEAD) / 4 * 3;
		if (take >= len) {
			take = len;
		} else {
			while (take > 0 && ((unsigned char)s[take] & 0xc0) == 0x80)
				take--; /* back to the start of a character */
			for (cut = take; cut > take / 2 && s[cut - 1] != ' '; cut--)
				;
			if (cut > take / 2)
				take = cut; /* just after a space */
		}
		buf_puts(out, "=?UTF-8?B?");
		put_base64(out, (const unsigned char *)s, take);
		buf_puts(out, "?=");
		col += WORD_OVERHEAD + (take + 2) / 3 * 4;
		s += take;
		len -= take;
		if (len > 0) {
			buf_puts(out, "\r\n ");
			col = 1;
		}
	}
	return col;
}

/* "Subject: ..." and its CRLF: plain when it fits, else encoded words. */
static void put_subject(struct buf *out, const char *subject)
{
	size_t col = strlen("Subject: ");

	if (!*subject) {
		buf_puts(out, "Subject:\r\n");
		return;
	}
	buf_puts(out, "Subject: ");
	if (is_plain(subject) && col + strlen(subject) <= LINE_MAX_)
		buf_puts(out, subject);
	else
		put_words(out, col, subject);
	buf_puts(out, "\r\n");
}

/* "From: "Name" <addr>" and its CRLF. A printable ASCII name is a quoted
 * string (any '"' or '\' escaped) when it fits the line; any other name
 * is encoded words. The address goes on a line of its own when it would
 * overrun the name's. */
static void put_from(struct buf *out, const char *name, const char *addr)
{
	size_t col = strlen("From: "), qlen = 2, alen = strlen(addr) + 2;
	const char *p;

	buf_puts(out, "From: ");
	if (!*name) {
		buf_printf(out, "<%s>\r\n", addr);
		return;
	}
	for (p = name; *p; p++)
		qlen += (*p == '"' || *p == '\\') ? 2 : 1;
	if (is_plain(name) && col + qlen <= LINE_MAX_) {
		buf_putc(out, '"');
		for (p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			buf_putc(out, *p);
		}
		buf_putc(out, '"');
		col += qlen;
	} else {
		col = put_words(out, col, name);
	}
	if (col + 1 + alen > LINE_MAX_)
		buf_puts(out, "\r\n");
	buf_printf(out, " <%s>\r\n", addr);
}

/* RFC 5322 3.3 date-time in UTC. The names come from tables, not
 * strftime, which would follow the locale. */
static int put_date(struct buf *out, long long date, struct err *e)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t t;

	/* 253402300799 is 9999-12-31T23:59:59Z: the year has four digits */
	if (date < 0 || date > 253402300799LL)
		return err_set(e, "date %lld: out of range (1970 to 9999)", date);
	t = (time_t)date;
	if ((long long)t != date || !gmtime_r(&t, &tm)) /* a 32-bit time_t */
		return err_set(e, "date %lld: out of range", date);
	buf_printf(out, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	           tm.tm_sec);
	return 0;
}

/* ---- body ---- */

/*
 * RFC 2045 6.7 quoted-printable of body, CRLF line ends. Printable ASCII
 * but '=' goes as it is, so Polish text stays readable; '=', bytes over
 * 0x7e, controls, a lone CR, and a space or tab that ends a line (which
 * transports may strip) go as =XX. Lines are cut with a soft break ("="
 * at the end) before they pass QP_LINE_MAX, never inside an =XX. A line
 * that begins with "." is left alone: SMTP's dot-stuffing is the
 * transport's (libcurl's), not the encoding's (RFC 5321 4.5.2), and the
 * tests check the relay gets it back.
 */
static void put_qp(struct buf *out, const char *body)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)body;
	size_t col = 0, n;
	char tok[3];

	for (; *p; p++) {
		int eol_next = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');

		if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
			p += *p == '\r';
			buf_puts(out, "\r\n");
			col = 0;
			continue;
		}
		if ((*p >= 0x21 && *p <= 0x7e && *p != '=') ||
		    ((*p == ' ' || *p == '\t') && !eol_next)) {
			tok[0] = (char)*p;
			n = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[*p >> 4];
			tok[2] = hex[*p & 15];
			n = 3;
		}
		if (col + n > QP_LINE_MAX - 1) { /* keep a column for the '=' */
			buf_puts(out, "=\r\n");
			col = 0;
		}
		buf_add(out, tok, n);
		col += n;
	}
	/* a body without a final line end: the message must end in CRLF, and
	 * a soft break adds one that decodes to nothing */
	if (p != (const unsigned char *)body && p[-1] != '\n')
		buf_puts(out, "=\r\n");
}

int mail_format(struct buf *out, const struct mail_relay *r, const char *to, const char *subject,
                const char *body, long long date, const char *message_id, struct err *e)
{
	size_t start = out->len, bad;
	const char *domain;

	if (check_addr("recipient", to, e) < 0 || check_addr("sender", r->from, e) < 0 ||
	    check_text("sender's name", r->from_name, e) < 0 ||
	    check_text("subject", subject, e) < 0)
		return -1;
	bad = utf8_check(body, strlen(body));
	if (bad < strlen(body))
		return err_set(e, "body: not UTF-8 (at byte %zu)", bad);
	if (strlen(message_id) > MAIL_ID_MAX || !is_dot_atom(message_id, strlen(message_id)))
		return err_set(e, "message id: not a dot-atom of at most %d bytes", MAIL_ID_MAX);
	domain = strrchr(r->from, '@') + 1;

	if (put_date(out, date, e) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	put_from(out, r->from_name, r->from);
	buf_printf(out, "To: <%s>\r\n", to);
	put_subject(out, subject);
	buf_printf(out, "Message-ID: <%s@%s>\r\n", message_id, domain);
	buf_puts(out, "MIME-Version: 1.0\r\n"
	              "Content-Type: text/plain; charset=UTF-8\r\n"
	              "Content-Transfer-Encoding: quoted-printable\r\n"
	              "Auto-Submitted: auto-generated\r\n"
	              "\r\n");
	put_qp(out, body);
	if (buf_failed(out)) {
		buf_truncate(out, start);
		return err_oom(e);
	}
	return 0;
}

/* ---- sending ---- */

struct upload {
	const char *p;
	size_t left;
};

/* CURLOPT_READFUNCTION: the next piece of the message; 0 at its end. */
static size_t read_cb(char *dst, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems; /* libcurl keeps this under CURL_MAX_READ_SIZE */

	if (n > u->left)
		n = u->left;
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* The relay's URL for messages, without a "user:password@" the
 * configuration may have put in it. */
static void relay_name(const char *url, char *out, size_t n)
{
	const char *host = strstr(url, "://"), *end, *at;

	if (!host) {
		snprintf(out, n, "%s", url);
		return;
	}
	host += 3;
	end = host + strcspn(host, "/?#");
	for (at = end; at > host && at[-1] != '@'; at--)
		;
	if (at > host) /* at is just after the last '@' */
		snprintf(out, n, "%.*s%s", (int)(host - url), url, at);
	else
		snprintf(out, n, "%s", url);
}

/*
 * One handle per call, so threads share nothing. CURLOPT_PROTOCOLS_STR
 * keeps a misconfigured URL from making this an HTTP or FILE client.
 * libcurl dot-stuffs the upload and sends the final ".", and returns
 * CURLE_OK only on 250 after the data (smtp.c checks the code). The
 * password is given to libcurl and nowhere else: error texts come from
 * CURLOPT_ERRORBUFFER and the redacted URL.
 *
 * Timeouts: CURLOPT_TIMEOUT bounds curl_easy_perform, but after a timeout
 * libcurl 7.88 keeps the connection and, in curl_easy_cleanup, says QUIT
 * and waits for the answer with CURLOPT_TIMEOUT ignored: 120 s by default
 * against a relay that hangs. CURLOPT_SERVER_RESPONSE_TIMEOUT bounds that
 * wait (and any single reply) by the same timeout.
 */
int mail_send(const struct mail_relay *r, const char *to, const char *msg, size_t len, long *reply,
              struct err *e)
{
	char errbuf[CURL_ERROR_SIZE], name[sizeof r->url];
	char from[sizeof r->from + 2], rcpt[MAIL_ADDR_MAX + 3];
	struct upload u = {msg, len};
	struct curl_slist *rcpts = NULL;
	long timeout = r->timeout_s > 0 ? r->timeout_s : MAIL_TIMEOUT_DEFAULT;
	long code = 0;
	CURL *c = NULL;
	CURLcode rc;
	int ret = -1;

	if (reply)
		*reply = 0;
	if (!r->url[0])
		return err_set(e, "no mail relay configured");
	relay_name(r->url, name, sizeof name);
	if (strncasecmp(r->url, "smtp://", 7) != 0 && strncasecmp(r->url, "smtps://", 8) != 0)
		return err_set(e, "mail relay %s: not an smtp:// or smtps:// URL", name);
	if (check_addr("recipient", to, e) < 0 || check_addr("sender", r->from, e) < 0)
		return -1;
	if (r->user[0] && !r->starttls && strncasecmp(r->url, "smtps://", 8) != 0)
		return err_set(
		    e, "mail relay %s: a user and password need TLS (smtps:// or STARTTLS)", name);
	snprintf(from, sizeof from, "<%s>", r->from);
	snprintf(rcpt, sizeof rcpt, "<%s>", to);

	c = curl_easy_init();
	rcpts = curl_slist_append(NULL, rcpt);
	if (!c || !rcpts) {
		err_oom(e);
		goto out;
	}
	errbuf[0] = '\0';
	if (curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_URL, r->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USE_SSL,
	                     (long)(r->starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE)) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, &u) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	                     timeout < MAIL_CONNECT_TIMEOUT
	                         ? timeout
	                         : (long)MAIL_CONNECT_TIMEOUT) != CURLE_OK) {
		err_kind_set(e, ERR_IO, "mail relay %s: libcurl refused an option: %s", name,
		             errbuf[0] ? errbuf : "no reason given");
		goto out;
	}
	if (r->user[0] && (curl_easy_setopt(c, CURLOPT_USERNAME, r->user) != CURLE_OK ||
	                   curl_easy_setopt(c, CURLOPT_PASSWORD, r->password) != CURLE_OK)) {
		err_kind_set(e, ERR_IO, "mail relay %s: libcurl refused the credentials", name);
		goto out;
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK && code < 400)
		code = 0; /* not a refusal: e.g. EHLO's 250, then no STARTTLS */
	if (reply)
		*reply = code;
	if (rc != CURLE_OK) {
		err_kind_set(e, ERR_IO, "mail relay %s: %s", name,
		             errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	return ret;
}
