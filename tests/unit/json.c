#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct jp {
	const char *s;
	size_t len, pos;
	const char *name;
	struct err *e;
};

/* Reports an error at the current position. */
static int fail(struct jp *p, const char *msg)
{
	int line = 1, col = 1;
	size_t k;

	for (k = 0; k < p->pos && k < p->len; k++) {
		if (p->s[k] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return err_at(p->e, p->name, line, col, "%s", msg);
}

static void skip_ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	                           p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int hex4(struct jp *p, unsigned *out)
{
	unsigned v = 0;
	int k;

	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (k = 0; k < 4; k++) {
		char c = p->s[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad hex digit in \\u escape");
	}
	*out = v;
	return 0;
}

static void put_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xC0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xE0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (char)(0xF0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

/* Parses a string at p->pos (which is at the opening quote) into b. */
static int parse_str(struct jp *p, struct buf *b)
{
	unsigned cp, lo;

	p->pos++;
	for (;;) {
		size_t start = p->pos;
		char c;

		while (p->pos < p->len && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
		       (unsigned char)p->s[p->pos] >= 0x20)
			p->pos++;
		buf_add(b, p->s + start, p->pos - start);
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		c = p->s[p->pos++];
		if (c == '"')
			break;
		if (c != '\\') {
			p->pos--;
			return fail(p, "control character in string");
		}
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		c = p->s[p->pos++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			buf_putc(b, c);
			break;
		case 'b':
			buf_putc(b, '\b');
			break;
		case 'f':
			buf_putc(b, '\f');
			break;
		case 'n':
			buf_putc(b, '\n');
			break;
		case 'r':
			buf_putc(b, '\r');
			break;
		case 't':
			buf_putc(b, '\t');
			break;
		case 'u':
			if (hex4(p, &cp) < 0)
				return -1;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return fail(p, "lone low surrogate in \\u escape");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u')
					return fail(p, "high surrogate not followed by \\u escape");
				p->pos += 2;
				if (hex4(p, &lo) < 0)
					return -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail(
					    p, "high surrogate not followed by a low surrogate");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			put_utf8(b, cp);
			break;
		default:
			p->pos--;
			return fail(p, "bad escape in string");
		}
	}
	if (buf_failed(b))
		return err_set(p->e, "%s: out of memory", p->name);
	return 0;
}

static struct val *parse_num(struct jp *p)
{
	size_t start = p->pos, k;
	int integral = 1;
	char tmp[128], *end;
	struct val *v;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0') {
		p->pos++;
	} else if (p->pos < p->len && p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	} else {
		fail(p, "bad number");
		return NULL;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		integral = 0;
		p->pos++;
		k = p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (k == p->pos) {
			fail(p, "digit expected after '.'");
			return NULL;
		}
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integral = 0;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		k = p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (k == p->pos) {
			fail(p, "digit expected in exponent");
			return NULL;
		}
	}
	if (p->pos - start >= sizeof tmp) {
		p->pos = start;
		fail(p, "number too long");
		return NULL;
	}
	memcpy(tmp, p->s + start, p->pos - start);
	tmp[p->pos - start] = '\0';
	errno = 0;
	if (integral) {
		long long i = strtoll(tmp, &end, 10);

		if (errno == 0)
			v = val_int(i);
		else
			v = val_float(strtod(tmp, &end));
	} else {
		v = val_float(strtod(tmp, &end));
	}
	if (!v)
		err_set(p->e, "%s: out of memory", p->name);
	return v;
}

static int match_word(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0)
		return 0;
	p->pos += n;
	return 1;
}

static struct val *parse_value(struct jp *p, int depth)
{
	struct val *v = NULL, *item = NULL;
	struct buf key = BUF_INIT;
	char c;

	skip_ws(p);
	if (p->pos >= p->len) {
		fail(p, "value expected");
		return NULL;
	}
	if (depth > JSON_MAX_DEPTH) {
		fail(p, "nesting too deep");
		return NULL;
	}
	c = p->s[p->pos];
	if (c == '{') {
		p->pos++;
		v = val_new(VAL_TABLE);
		if (!v)
			goto oom;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			return v;
		}
		for (;;) {
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				fail(p, "string key expected");
				goto bad;
			}
			buf_reset(&key);
			if (parse_str(p, &key) < 0)
				goto bad;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				fail(p, "':' expected after key");
				goto bad;
			}
			p->pos++;
			item = parse_value(p, depth + 1);
			if (!item)
				goto bad;
			if (val_setn(v, key.ptr, key.len, item) < 0)
				goto oom;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ',') {
				p->pos++;
				continue;
			}
			if (p->pos < p->len && p->s[p->pos] == '}') {
				p->pos++;
				break;
			}
			fail(p, "',' or '}' expected");
			goto bad;
		}
		buf_free(&key);
		return v;
	}
	if (c == '[') {
		p->pos++;
		v = val_new(VAL_ARRAY);
		if (!v)
			goto oom;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return v;
		}
		for (;;) {
			item = parse_value(p, depth + 1);
			if (!item)
				goto bad;
			if (val_push(v, item) < 0)
				goto oom;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ',') {
				p->pos++;
				continue;
			}
			if (p->pos < p->len && p->s[p->pos] == ']') {
				p->pos++;
				break;
			}
			fail(p, "',' or ']' expected");
			goto bad;
		}
		return v;
	}
	if (c == '"') {
		if (parse_str(p, &key) < 0)
			goto bad;
		v = val_strn(key.ptr, key.len);
		buf_free(&key);
		if (!v)
			goto oom;
		return v;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_num(p);
	if (match_word(p, "true"))
		v = val_bool(1);
	else if (match_word(p, "false"))
		v = val_bool(0);
	else if (match_word(p, "null"))
		v = val_new(VAL_NULL);
	else {
		fail(p, "unexpected character");
		return NULL;
	}
	if (!v)
		goto oom;
	return v;
oom:
	err_set(p->e, "%s: out of memory", p->name);
bad:
	buf_free(&key);
	val_free(v);
	return NULL;
}

struct val *json_parse(const char *s, size_t len, const char *name, struct err *e)
{
	struct jp p;
	struct val *v;

	p.s = s ? s : "";
	p.len = s ? len : 0;
	p.pos = 0;
	p.name = name ? name : "<json>";
	p.e = e;
	v = parse_value(&p, 0);
	if (!v)
		return NULL;
	skip_ws(&p);
	if (p.pos != p.len) {
		fail(&p, "trailing characters after the value");
		val_free(v);
		return NULL;
	}
	return v;
}

struct val *json_load(const char *path, struct err *e)
{
	FILE *f = NULL;
	struct buf b = BUF_INIT;
	struct val *v = NULL;
	char chunk[65536];
	size_t n;

	f = fopen(path, "rb");
	if (!f) {
		err_set(e, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > JSON_MAX_FILE) {
			err_set(e, "%s: file too large (limit %u bytes)", path,
			        (unsigned)JSON_MAX_FILE);
			goto out;
		}
		buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		err_set(e, "%s: read error", path);
		goto out;
	}
	if (buf_failed(&b)) {
		err_set(e, "%s: out of memory", path);
		goto out;
	}
	v = json_parse(b.ptr, b.len, path, e);
out:
	if (f)
		fclose(f);
	buf_free(&b);
	return v;
}
