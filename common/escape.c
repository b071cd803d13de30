#include "escape.h"

#include "utf8.h"

#include <ctype.h>
#include <string.h>

void esc_html(struct buf *out, const char *s, size_t len)
{
	size_t i, start = 0;
	const char *rep;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		buf_add(out, s + start, i - start);
		buf_puts(out, rep);
		start = i + 1;
	}
	buf_add(out, s + start, len - start);
}

void esc_xml(struct buf *out, const char *s, size_t len)
{
	/* &#39; is XML too: one escaper serves both */
	esc_html(out, s, len);
}

void esc_url(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '&')
			buf_puts(out, "&amp;");
		else if (c == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) &&
		         isxdigit((unsigned char)s[i + 2]))
			buf_putc(out, '%');
		else if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' ||
		         c == '\\' || c == '`' || c == '%') {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		} else
			buf_putc(out, (char)c);
	}
}

int url_is_safe(const char *url)
{
	static const char *const ok[] = {"http:", "https:", "mailto:", "tel:"};
	const char *p;
	size_t i, n;

	/* a scheme is letters, digits, + - . before the first ':' that comes
	 * before any / ? # */
	for (p = url; *p && *p != ':' && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	if (*p != ':')
		return 1;
	n = (size_t)(p - url) + 1;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strlen(ok[i]) == n && strncasecmp(url, ok[i], n) == 0)
			return 1;
	return 0;
}

/* 1 for a code point a terminal may act on or that hides what follows:
 * C1 controls, line and paragraph separators, bidirectional overrides. */
static int cp_is_hostile(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void esc_term(struct buf *out, const char *s, size_t len, const char *nl_indent)
{
	size_t i = 0, k;
	unsigned cp;
	int n;

	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\n' && nl_indent) {
			buf_putc(out, '\n');
			buf_puts(out, nl_indent);
			i++;
		} else if (ch == '\\') {
			buf_puts(out, "\\\\");
			i++;
		} else if (ch < 0x20 || ch == 0x7f) {
			buf_printf(out, "\\x%02x", ch);
			i++;
		} else if (ch < 0x80) {
			buf_putc(out, (char)ch);
			i++;
		} else if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			buf_printf(out, "\\x%02x", ch);
			i++;
		} else {
			for (k = 0; k < (size_t)n; k++) {
				if (cp_is_hostile(cp))
					buf_printf(out, "\\x%02x", (unsigned char)s[i + k]);
				else
					buf_putc(out, s[i + k]);
			}
			i += (size_t)n;
		}
	}
}
