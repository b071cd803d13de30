#include "utf8.h"

#include <string.h>

int utf8_decode(const char *s, size_t len, unsigned *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c, min;
	int n, i;

	if (len == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, c &= 0x07, min = 0x10000;
	} else
		return 0;
	if ((size_t)n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

size_t utf8_check(const char *s, size_t len)
{
	size_t i = 0;
	unsigned cp;
	int n;

	while (i < len) {
		/* fast path: eight ASCII bytes at a time */
		while (i + 8 <= len) {
			unsigned long long w;

			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		/* two-byte letters (all of Polish) without the general decoder */
		if (i + 1 < len && ((unsigned char)s[i] & 0xe0) == 0xc0 &&
		    (unsigned char)s[i] >= 0xc2 && ((unsigned char)s[i + 1] & 0xc0) == 0x80) {
			i += 2;
			continue;
		}
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0)
			return i;
		i += (size_t)n;
	}
	return len;
}

void utf8_linecol(const char *s, size_t off, int *line, int *col)
{
	size_t i;
	int l = 1, c = 1;

	for (i = 0; i < off; i++) {
		if (s[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	}
	*line = l;
	*col = c;
}

size_t utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}
