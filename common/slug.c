#include "slug.h"

#include "utf8.h"

/* Latin-1 Supplement and Latin Extended-A letters -> ASCII */
static const char *translit(unsigned cp)
{
	static const struct {
		unsigned cp;
		const char *s;
	} t[] = {
	    {0xc0, "a"},   {0xc1, "a"},   {0xc2, "a"},  {0xc3, "a"},  {0xc4, "a"},  {0xc5, "a"},
	    {0xc6, "ae"},  {0xc7, "c"},   {0xc8, "e"},  {0xc9, "e"},  {0xca, "e"},  {0xcb, "e"},
	    {0xcc, "i"},   {0xcd, "i"},   {0xce, "i"},  {0xcf, "i"},  {0xd1, "n"},  {0xd2, "o"},
	    {0xd3, "o"},   {0xd4, "o"},   {0xd5, "o"},  {0xd6, "o"},  {0xd8, "o"},  {0xd9, "u"},
	    {0xda, "u"},   {0xdb, "u"},   {0xdc, "u"},  {0xdd, "y"},  {0xdf, "ss"}, {0xe0, "a"},
	    {0xe1, "a"},   {0xe2, "a"},   {0xe3, "a"},  {0xe4, "a"},  {0xe5, "a"},  {0xe6, "ae"},
	    {0xe7, "c"},   {0xe8, "e"},   {0xe9, "e"},  {0xea, "e"},  {0xeb, "e"},  {0xec, "i"},
	    {0xed, "i"},   {0xee, "i"},   {0xef, "i"},  {0xf1, "n"},  {0xf2, "o"},  {0xf3, "o"},
	    {0xf4, "o"},   {0xf5, "o"},   {0xf6, "o"},  {0xf8, "o"},  {0xf9, "u"},  {0xfa, "u"},
	    {0xfb, "u"},   {0xfc, "u"},   {0xfd, "y"},  {0xff, "y"},  {0x104, "a"}, {0x105, "a"},
	    {0x106, "c"},  {0x107, "c"},  {0x10c, "c"}, {0x10d, "c"}, {0x10e, "d"}, {0x10f, "d"},
	    {0x118, "e"},  {0x119, "e"},  {0x11a, "e"}, {0x11b, "e"}, {0x141, "l"}, {0x142, "l"},
	    {0x143, "n"},  {0x144, "n"},  {0x147, "n"}, {0x148, "n"}, {0x150, "o"}, {0x151, "o"},
	    {0x152, "oe"}, {0x153, "oe"}, {0x158, "r"}, {0x159, "r"}, {0x15a, "s"}, {0x15b, "s"},
	    {0x160, "s"},  {0x161, "s"},  {0x164, "t"}, {0x165, "t"}, {0x16e, "u"}, {0x16f, "u"},
	    {0x170, "u"},  {0x171, "u"},  {0x178, "y"}, {0x179, "z"}, {0x17a, "z"}, {0x17b, "z"},
	    {0x17c, "z"},  {0x17d, "z"},  {0x17e, "z"},
	};
	size_t lo = 0, hi = sizeof t / sizeof t[0];

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t[mid].cp == cp)
			return t[mid].s;
		if (t[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void slugify(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, start = out->len;
	int dash = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		char one[2] = {0, 0};
		unsigned cp;
		int n;

		if (c < 0x80) {
			n = 1;
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				one[0] = (char)c;
			else if (c >= 'A' && c <= 'Z')
				one[0] = (char)(c - 'A' + 'a');
			if (one[0])
				rep = one;
		} else {
			n = utf8_decode(s + i, len - i, &cp);
			if (n == 0)
				n = 1;
			else
				rep = translit(cp);
		}
		i += (size_t)n;
		if (!rep) {
			dash = 1;
			continue;
		}
		if (dash && out->len > start)
			buf_putc(out, '-');
		dash = 0;
		buf_puts(out, rep);
	}
}
