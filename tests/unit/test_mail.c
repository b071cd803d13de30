/*
 * Unit tests of formd/mail.c without a network: the message mail_format
 * makes (headers, RFC 2047 encoded words, quoted-printable body, the
 * refusals of header injection) and the credentials file. Sending is in
 * test_mail_smtp.c, against a real SMTP server.
 *
 * The checks decode what mail_format wrote with code of their own: base64
 * through libsodium (which is why this file, unlike formd/, includes
 * <sodium.h>), quoted-printable and header unfolding here, so that an
 * encoder bug is not mirrored by a decoder sharing its code.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "mail.h"
#include "utf8.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FROM "kompetencje@urzad-pracy.example.pl"
#define TO "jan.kowalski@example.com"
#define POLISH "Potwierdź wniosek – zażółć gęślą jaźń"
#define DATE 1700000000LL /* Tue, 14 Nov 2023 22:13:20 UTC */

static struct mail_relay relay(void)
{
	struct mail_relay r = {0};

	strcpy(r.url, "smtp://127.0.0.1:25");
	strcpy(r.from, FROM);
	strcpy(r.from_name, "Kompetencje dla pracy");
	return r;
}

/* mail_format into a fresh string the caller frees; fails the test on
 * -1. */
static char *format(const struct mail_relay *r, const char *subject, const char *body)
{
	struct buf b = BUF_INIT;
	struct err e = {0};

	if (mail_format(&b, r, TO, subject, body, DATE, "wniosek-12.a7f3", &e) < 0)
		fail_msg("mail_format: %s", e.msg);
	return buf_detach(&b, NULL);
}

/* Where the body starts (after the blank line). */
static const char *body_of(const char *msg)
{
	const char *p = strstr(msg, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

/* Every line ends in CRLF (no bare CR or LF), header lines are at most 78
 * characters, body lines at most 76, the headers are ASCII, and the
 * message ends in CRLF. */
static void check_lines(const char *msg)
{
	const char *body = body_of(msg), *line = msg, *p;
	size_t n;

	assert_true(strlen(msg) >= 2 && strcmp(msg + strlen(msg) - 2, "\r\n") == 0);
	for (p = msg; *p; p++) {
		if (*p == '\n')
			assert_true(p > msg && p[-1] == '\r');
		if (*p == '\r')
			assert_int_equal(p[1], '\n');
		if (p < body)
			assert_true((unsigned char)*p < 0x80);
	}
	while (*line) {
		p = strstr(line, "\r\n");
		assert_non_null(p);
		n = (size_t)(p - line);
		if (line < body && n > 78)
			fail_msg("header line of %zu characters: %.*s", n, (int)n, line);
		if (line >= body && n > 76)
			fail_msg("body line of %zu characters: %.*s", n, (int)n, line);
		line = p + 2;
	}
}

/* The value of header `name` (unfolded: a CRLF before a space or tab is
 * dropped), or NULL; the caller frees it. Fails if the header is there
 * twice. */
static char *header(const char *msg, const char *name)
{
	const char *end = body_of(msg) - 2, *line = msg, *found = NULL, *p, *v;
	struct buf b = BUF_INIT;
	size_t nlen = strlen(name);

	while (line < end) {
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ':') {
			assert_null(found);
			found = line;
		}
		do {
			line = strstr(line, "\r\n") + 2;
		} while (line < end && (*line == ' ' || *line == '\t'));
	}
	if (!found)
		return NULL;
	v = found + nlen + 1;
	if (*v == ' ')
		v++;
	for (p = v; p < end; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (p[2] != ' ' && p[2] != '\t')
				break;
			p++;
			continue;
		}
		buf_putc(&b, *p);
	}
	return buf_detach(&b, NULL);
}

/* Decodes a header value made only of RFC 2047 B encoded words separated
 * by whitespace (which is not part of the text): checks each word's form,
 * its length (<= 75) and that it holds whole UTF-8 characters. The caller
 * frees the result. */
static char *decode_words(const char *v)
{
	struct buf b = BUF_INIT;
	unsigned char bin[256];
	size_t binlen, n;
	const char *end;
	int words = 0;

	while (*v) {
		if (*v == ' ') {
			v++;
			continue;
		}
		if (strncmp(v, "=?UTF-8?B?", 10) != 0)
			fail_msg("not an encoded word: %s", v);
		end = strstr(v + 10, "?=");
		assert_non_null(end);
		n = (size_t)(end + 2 - v);
		if (n > 75)
			fail_msg("encoded word of %zu characters", n);
		assert_int_equal(sodium_base642bin(bin, sizeof bin, v + 10, (size_t)(end - v - 10),
		                                   NULL, &binlen, NULL,
		                                   sodium_base64_VARIANT_ORIGINAL),
		                 0);
		assert_int_equal(utf8_check((const char *)bin, binlen), binlen);
		buf_add(&b, bin, binlen);
		v = end + 2;
		assert_true(*v == '\0' || *v == ' ');
		words++;
	}
	assert_true(words > 0);
	return buf_detach(&b, NULL);
}

/* Quoted-printable to bytes: "=" CRLF is a soft break, "=XX" (upper-case
 * hex) a byte, anything else stands for itself. Fails on a malformed
 * escape. The caller frees the result. */
static char *decode_qp(const char *s)
{
	struct buf b = BUF_INIT;
	static const char hex[] = "0123456789ABCDEF";
	const char *hi, *lo;

	for (; *s; s++) {
		if (*s != '=') {
			buf_putc(&b, *s);
			continue;
		}
		if (s[1] == '\r' && s[2] == '\n') {
			s += 2;
			continue;
		}
		hi = s[1] ? strchr(hex, s[1]) : NULL;
		lo = hi && s[2] ? strchr(hex, s[2]) : NULL;
		if (!hi || !lo)
			fail_msg("malformed quoted-printable escape: %.3s", s);
		buf_putc(&b, (char)((hi - hex) << 4 | (lo - hex)));
		s += 2;
	}
	return buf_detach(&b, NULL);
}

/* s with every lone LF made CRLF. The caller frees it. */
static char *crlf(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (*s == '\n' && (b.len == 0 || b.ptr[b.len - 1] != '\r'))
			buf_putc(&b, '\r');
		buf_putc(&b, *s);
	}
	return buf_detach(&b, NULL);
}

/* ---- headers ---- */

static void test_subject_polish(void **state)
{
	struct mail_relay r = relay();
	char *msg, *v, *text;

	(void)state;
	msg = format(&r, POLISH, "Treść.\n");
	check_lines(msg);
	v = header(msg, "Subject");
	assert_non_null(v);
	assert_true(strncmp(v, "=?UTF-8?B?", 10) == 0);
	text = decode_words(v);
	assert_string_equal(text, POLISH);
	free(text);
	free(v);
	free(msg);
}

/* A subject far over one line, with 2-, 3- and 4-byte characters: many
 * words on folded lines, each word whole characters, the same text back. */
static void test_subject_long(void **state)
{
	struct mail_relay r = relay();
	struct buf s = BUF_INIT;
	char *msg, *v, *text;
	int i;

	(void)state;
	for (i = 0; i < 12; i++)
		buf_puts(&s, "Zażółć gęślą jaźń – 😀 ");
	buf_puts(&s, "koniec");
	msg = format(&r, s.ptr, "");
	check_lines(msg);
	assert_non_null(strstr(msg, "\r\nSubject: =?UTF-8?B?"));
	assert_non_null(strstr(msg, "?=\r\n =?UTF-8?B?")); /* folded */
	v = header(msg, "Subject");
	text = decode_words(v);
	assert_string_equal(text, s.ptr);
	free(text);
	free(v);
	free(msg);

	/* no space to cut after: words end between characters, never inside
	 * one (2-byte, 3-byte and 4-byte ones at every offset) */
	buf_reset(&s);
	for (i = 0; i < 8; i++)
		buf_puts(&s, "zażółćgęśląjaźń–😀ż😀");
	msg = format(&r, s.ptr, "");
	check_lines(msg);
	v = header(msg, "Subject");
	text = decode_words(v);
	assert_string_equal(text, s.ptr);
	free(text);
	free(v);
	free(msg);
	buf_free(&s);
}

static void test_subject_plain(void **state)
{
	struct mail_relay r = relay();
	char long_ascii[121], *msg, *v, *text;

	(void)state;
	msg = format(&r, "Potwierdz wniosek nr 12", "");
	assert_non_null(strstr(msg, "\r\nSubject: Potwierdz wniosek nr 12\r\n"));
	free(msg);

	/* ASCII that a reader would take for an encoded word is encoded */
	msg = format(&r, "=?UTF-8?B?YQ==?=", "");
	v = header(msg, "Subject");
	text = decode_words(v);
	assert_string_equal(text, "=?UTF-8?B?YQ==?=");
	free(text);
	free(v);
	free(msg);

	/* ASCII too long for one line is encoded too, and folded */
	memset(long_ascii, 'a', 120);
	long_ascii[120] = '\0';
	msg = format(&r, long_ascii, "");
	check_lines(msg);
	v = header(msg, "Subject");
	text = decode_words(v);
	assert_string_equal(text, long_ascii);
	free(text);
	free(v);
	free(msg);

	msg = format(&r, "", "");
	assert_non_null(strstr(msg, "\r\nSubject:\r\n"));
	free(msg);
}

static void test_from(void **state)
{
	struct mail_relay r = relay();
	char *msg, *v, *text, *lt;

	(void)state;
	msg = format(&r, "x", "");
	assert_non_null(strstr(msg, "\r\nFrom: \"Kompetencje dla pracy\" <" FROM ">\r\n"));
	free(msg);

	strcpy(r.from_name, "Biuro \"Okienko\" \\ PUP");
	msg = format(&r, "x", "");
	assert_non_null(strstr(msg, "\r\nFrom: \"Biuro \\\"Okienko\\\" \\\\ PUP\" <" FROM ">\r\n"));
	free(msg);

	strcpy(r.from_name, "Powiatowy Urząd Pracy – Zespół ds. Kompetencji dla Pracy");
	msg = format(&r, "x", "");
	check_lines(msg);
	v = header(msg, "From");
	lt = strstr(v, " <");
	assert_non_null(lt);
	assert_string_equal(lt, " <" FROM ">");
	*lt = '\0';
	text = decode_words(v);
	assert_string_equal(text, r.from_name);
	free(text);
	free(v);
	free(msg);

	/* an ASCII name that fits, but not with the address: the address is
	 * folded onto the next line, the name stays readable */
	strcpy(r.from_name, "Powiatowy Urzad Pracy - Zespol ds. Kompetencji");
	msg = format(&r, "x", "");
	check_lines(msg);
	assert_non_null(
	    strstr(msg, "\r\nFrom: \"Powiatowy Urzad Pracy - Zespol ds. Kompetencji\"\r\n <" FROM
	                ">\r\n"));
	free(msg);

	r.from_name[0] = '\0';
	msg = format(&r, "x", "");
	assert_non_null(strstr(msg, "\r\nFrom: <" FROM ">\r\n"));
	free(msg);
}

static void test_headers(void **state)
{
	struct mail_relay r = relay();
	char *msg, *v;

	(void)state;
	msg = format(&r, "x", "y\n");
	check_lines(msg);
	assert_true(strncmp(msg, "Date: ", 6) == 0);
	v = header(msg, "To");
	assert_string_equal(v, "<" TO ">");
	free(v);
	v = header(msg, "Message-ID");
	assert_string_equal(v, "<wniosek-12.a7f3@urzad-pracy.example.pl>");
	free(v);
	v = header(msg, "MIME-Version");
	assert_string_equal(v, "1.0");
	free(v);
	v = header(msg, "Content-Type");
	assert_string_equal(v, "text/plain; charset=UTF-8");
	free(v);
	v = header(msg, "Content-Transfer-Encoding");
	assert_string_equal(v, "quoted-printable");
	free(v);
	v = header(msg, "Auto-Submitted");
	assert_string_equal(v, "auto-generated");
	free(v);
	assert_null(header(msg, "Bcc"));
	free(msg);
}

/* The date is UTC whatever the local zone, in RFC 5322's form. */
static void test_date(void **state)
{
	static const struct {
		long long t;
		const char *want;
	} cases[] = {
	    {0, "Thu, 1 Jan 1970 00:00:00 +0000"},
	    {DATE, "Tue, 14 Nov 2023 22:13:20 +0000"},
	    {951782400, "Tue, 29 Feb 2000 00:00:00 +0000"},
	    {1719791999, "Sun, 30 Jun 2024 23:59:59 +0000"},
	    {253402300799LL, "Fri, 31 Dec 9999 23:59:59 +0000"},
	};
	struct mail_relay r = relay();
	struct buf b = BUF_INIT;
	struct err e = {0};
	size_t i;
	char *v;

	(void)state;
	setenv("TZ", "Europe/Warsaw", 1);
	tzset();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&b);
		assert_int_equal(mail_format(&b, &r, TO, "x", "", cases[i].t, "id", &e), 0);
		v = header(b.ptr, "Date");
		assert_string_equal(v, cases[i].want);
		free(v);
	}
	buf_reset(&b);
	assert_int_equal(mail_format(&b, &r, TO, "x", "", -1, "id", &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_int_equal(mail_format(&b, &r, TO, "x", "", 253402300800LL, "id", &e), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	setenv("TZ", "UTC", 1);
	tzset();
}

/* ---- body ---- */

static void test_body_round_trip(void **state)
{
	struct mail_relay r = relay();
	struct buf body = BUF_INIT;
	char *msg, *qp, *decoded, *want;
	int i;

	(void)state;
	buf_puts(&body, "Dzień dobry,\n\n.kropka na początku wiersza\n.\n..\n");
	for (i = 0; i < 20; i++) /* 200 characters, 2 bytes each for half */
		buf_puts(&body, i % 2 ? "ąęóśłżźćń " : "abcdefghij");
	buf_puts(&body, "\n");
	for (i = 0; i < 76; i++) /* exactly one QP line's worth, then 75 */
		buf_putc(&body, 'x');
	buf_puts(&body, "\n");
	for (i = 0; i < 75; i++)
		buf_putc(&body, 'y');
	buf_puts(&body,
	         "\nspacja na końcu \ntabulator\t\r\na = b\nsam\rCR\nkoniec bez nowej linii ");
	msg = format(&r, "x", body.ptr);
	check_lines(msg);
	qp = (char *)body_of(msg);
	/* readable: ASCII and the leading dots stay as they are */
	assert_non_null(strstr(qp, "Dzie=C5=84 dobry,\r\n\r\n.kropka na pocz=C4=85tku wiersza\r\n"
	                           ".\r\n..\r\n"));
	assert_non_null(strstr(qp, "spacja na ko=C5=84cu=20\r\n"));
	assert_non_null(strstr(qp, "tabulator=09\r\n"));
	assert_non_null(strstr(qp, "a =3D b\r\n"));
	assert_non_null(strstr(qp, "sam=0DCR\r\n"));
	assert_non_null(strstr(qp, "koniec bez nowej linii=20=\r\n"));
	assert_int_equal(qp[strlen(qp) - 3], '='); /* ends in a soft break */
	decoded = decode_qp(qp);
	want = crlf(body.ptr);
	assert_string_equal(decoded, want);
	free(want);
	free(decoded);
	free(msg);
	buf_free(&body);
}

static void test_body_empty_and_ended(void **state)
{
	struct mail_relay r = relay();
	char *msg;

	(void)state;
	msg = format(&r, "x", "");
	assert_string_equal(body_of(msg), "");
	free(msg);
	msg = format(&r, "x", "jeden\n");
	assert_string_equal(body_of(msg), "jeden\r\n");
	free(msg);
}

/* ---- refusals ---- */

/* mail_format must fail with ERR_INPUT, a message holding `part`, and
 * leave out as it was. */
static void refused(const struct mail_relay *r, const char *to, const char *subject,
                    const char *body, const char *id, const char *part)
{
	struct buf b = BUF_INIT;
	struct err e = {0};

	buf_puts(&b, "before");
	assert_int_equal(mail_format(&b, r, to, subject, body, DATE, id, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	if (!strstr(e.msg, part))
		fail_msg("message \"%s\" does not say \"%s\"", e.msg, part);
	assert_string_equal(b.ptr, "before");
	buf_free(&b);
}

static void test_injection(void **state)
{
	struct mail_relay r = relay();

	(void)state;
	refused(&r, TO, "Wniosek\r\nBcc: ofiara@example.com", "", "id", "subject: a line break");
	refused(&r, TO, "Wniosek\nBcc: ofiara@example.com", "", "id", "subject: a line break");
	refused(&r, TO, "Wniosek\r", "", "id", "subject: a line break");
	refused(&r, TO "\r\nBcc: ofiara@example.com", "x", "", "id", "recipient: a line break");
	refused(&r, TO "\n", "x", "", "id", "recipient: a line break");
	strcpy(r.from_name, "Urząd\r\nBcc: ofiara@example.com");
	refused(&r, TO, "x", "", "id", "sender's name: a line break");
	r = relay();
	strcpy(r.from, FROM "\r\nBcc: ofiara@example.com");
	refused(&r, TO, "x", "", "id", "sender: a line break");
}

static void test_refusals(void **state)
{
	struct mail_relay r = relay();

	(void)state;
	refused(&r, TO, "a\tb", "", "id", "subject: a control character");
	refused(&r, TO, "a\x7f", "", "id", "subject: a control character");
	refused(&r, TO, "\xc5", "", "id", "subject: not UTF-8");
	refused(&r, TO, "x", "ok\n\xff\n", "id", "body: not UTF-8 (at byte 3)");
	refused(&r, "Jan <" TO ">", "x", "", "id", "recipient: not an address");
	refused(&r, "jan@kowalski@example.com", "x", "", "id", "recipient: not an address");
	refused(&r, "jan..k@example.com", "x", "", "id", "recipient: not an address");
	refused(&r, "jan@exa_mple.com", "x", "", "id", "recipient: the domain holds '_'");
	refused(&r, "", "x", "", "id", "recipient: no address");
	refused(&r, TO, "x", "", "a b", "message id");
	refused(&r, TO, "x", "", "", "message id");
	refused(&r, TO, "x", "", "a..b", "message id");
	refused(&r, TO, "x", "", "a@b", "message id");
}

/* ---- credentials ---- */

struct dir {
	char path[64];
	char file[128];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof *d);

	if (!d)
		return -1;
	strcpy(d->path, "/tmp/test_mail.XXXXXX");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	snprintf(d->file, sizeof d->file, "%s/smtp.secret", d->path);
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;

	unlink(d->file);
	rmdir(d->path);
	free(d);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0); /* whatever the umask */
}

static void test_credentials_mode(void **state)
{
	static const mode_t open_modes[] = {0644, 0640, 0604, 0620, 0602, 0666};
	struct dir *d = *state;
	struct mail_relay r = relay();
	struct err e = {0};
	char want[64];
	size_t i;

	for (i = 0; i < sizeof open_modes / sizeof open_modes[0]; i++) {
		write_file(d->file, "smtp-user\nhasło z spacją\n", open_modes[i]);
		e = (struct err){0};
		assert_int_equal(mail_relay_credentials(&r, d->file, &e), -1);
		assert_int_equal(e.kind, ERR_INPUT);
		assert_non_null(strstr(e.msg, d->file));
		snprintf(want, sizeof want, "mode %04o", (unsigned)open_modes[i]);
		if (!strstr(e.msg, want))
			fail_msg("\"%s\" does not say \"%s\"", e.msg, want);
		assert_null(strstr(e.msg, "hasło"));
		assert_string_equal(r.user, ""); /* unchanged */
		assert_string_equal(r.password, "");
	}
	assert_int_equal(chmod(d->file, 0600), 0);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), 0);
	assert_string_equal(r.user, "smtp-user");
	assert_string_equal(r.password, "hasło z spacją");
	/* read-only for the owner is fine too */
	assert_int_equal(chmod(d->file, 0400), 0);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), 0);
}

static void test_credentials_lines(void **state)
{
	struct dir *d = *state;
	struct mail_relay r = relay();
	struct err e = {0};
	char big[400];

	write_file(d->file, "u\np", 0600); /* no final line end */
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), 0);
	assert_string_equal(r.user, "u");
	assert_string_equal(r.password, "p");
	write_file(d->file, "user2\r\npass2\r\n", 0600);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), 0);
	assert_string_equal(r.user, "user2");
	assert_string_equal(r.password, "pass2");
	write_file(d->file, " spaced user \n pass \n", 0600); /* spaces are kept */
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), 0);
	assert_string_equal(r.user, " spaced user ");
	assert_string_equal(r.password, " pass ");

	write_file(d->file, "u\np\nextra\n", 0600);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), -1);
	assert_non_null(strstr(e.msg, "more than two lines"));
	write_file(d->file, "u\np\n\n", 0600);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), -1);
	write_file(d->file, "only-user\n", 0600);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), -1);
	assert_non_null(strstr(e.msg, ":2: no password"));
	write_file(d->file, "", 0600);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), -1);
	assert_non_null(strstr(e.msg, ":1: no user"));
	memset(big, 'p', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "u\n", 2);
	write_file(d->file, big, 0600);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), -1);
	assert_non_null(strstr(e.msg, "password over 255 bytes"));
	assert_string_equal(r.user, " spaced user "); /* unchanged by the failures */

	assert_int_equal(mail_relay_credentials(&r, d->path, &e), -1);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_non_null(strstr(e.msg, "not a regular file"));
	unlink(d->file);
	assert_int_equal(mail_relay_credentials(&r, d->file, &e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_non_null(strstr(e.msg, d->file));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subject_polish),
	    cmocka_unit_test(test_subject_long),
	    cmocka_unit_test(test_subject_plain),
	    cmocka_unit_test(test_from),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_date),
	    cmocka_unit_test(test_body_round_trip),
	    cmocka_unit_test(test_body_empty_and_ended),
	    cmocka_unit_test(test_injection),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test_setup_teardown(test_credentials_mode, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_credentials_lines, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests_name("mail", tests, NULL, NULL);
}
