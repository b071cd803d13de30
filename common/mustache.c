/*
 * mustache.c - Mustache template engine (see mustache.h for the contract).
 *
 * Compilation runs in four passes over the source:
 *  1. tokenize(): split the source into text tokens (never spanning a
 *     newline) and tags, applying set-delimiter tags as they come;
 *  2. structure(): match opening and closing tags, check nesting depth,
 *     mark argument blocks (blocks directly inside a parent tag), collect
 *     static partial/parent references;
 *  3. mark_lines() + standalone(): decide which whitespace belongs to
 *     standalone tags and is dropped;
 *  4. emit(): build the flat node array that mst_render() walks, stripping
 *     blocks' intrinsic indentation and marking line starts.
 *
 * Rendering then never looks at the source again. Indentation (standalone
 * partials, parents and blocks) is applied at render time: every node that
 * starts a template line carries NF_BOL, and text nodes indent after their
 * inner newlines, so a template is compiled once whatever indentation it is
 * later expanded at.
 */
#include "mustache.h"

#include "escape.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX
#define DELIM_MAX 32 /* longest delimiter accepted by {{=a b=}} */

/* ---- compiled form ---- */

enum node_type {
	N_TEXT,     /* literal text */
	N_ESC,      /* {{x}}: escaped interpolation */
	N_RAW,      /* {{{x}}} or {{&x}} */
	N_SECTION,  /* {{#x}}: children up to `end` */
	N_INVERTED, /* {{^x}} */
	N_PARTIAL,  /* {{>x}} */
	N_PARENT,   /* {{<x}}: children are its argument blocks, nothing else */
	N_BLOCK,    /* {{$x}}: children are the default content or the argument */
	N_BOL,      /* a line start with no node of its own (e.g. a comment) */
};

enum {
	NF_BOL = 1,  /* a template line starts here: indent first */
	NF_DYN = 2,  /* partial/parent: the name is looked up in the context */
	NF_SA = 4,   /* partial/parent: standalone, expanded with indentation
	              * `ind`; block: its opening tag has a line of its own */
	NF_PAIR = 8, /* block: opening and closing tags form a standalone pair,
	              * so an override is re-indented by `ind` */
	NF_EOL = 16, /* block (with NF_PAIR): the opening tag ends its line and
	              * `ind` is the intrinsic indentation stripped from the
	              * default content at compile time */
};

struct node {
	unsigned char type;
	unsigned char flags;
	int line, col;     /* of the tag, for render errors */
	size_t end;        /* one past the last child (i + 1 for leaves) */
	size_t off, len;   /* text or name, in the arena */
	size_t ioff, ilen; /* indentation, in the arena */
};

struct ref {
	size_t off; /* NUL-terminated name in the arena */
	int line;
};

struct mst {
	char *name;
	struct node *nodes;
	size_t nn;
	char *arena; /* all texts, names and indentations */
	struct ref *refs;
	size_t nrefs;
};

/* ---- compiler ---- */

enum {
	TF_NL = 1u,      /* text: ends with a newline */
	TF_BLANK = 2u,   /* text: spaces and tabs only, then maybe the newline */
	TF_GSTART = 4u,  /* the first token of its line */
	TF_LEFT = 8u,    /* tag: only blank text before it on its line */
	TF_RIGHT = 16u,  /* tag: only blank text after it on its line */
	TF_DROP = 32u,   /* text: belongs to a standalone tag, not output */
	TF_SA = 64u,     /* tag: standalone, its whole line is dropped */
	TF_LINE = 128u,  /* tag: the whitespace before it was dropped */
	TF_ARG = 256u,   /* block: a direct child of a parent tag */
	TF_DYN = 512u,   /* partial/parent/closing tag: *name */
	TF_PAIR = 1024u, /* parent/block: standalone as a pair */
	TF_EOL = 2048u,  /* block: nothing but blanks after it on its line */
};

#define TK_TEXT 0
#define TK_VAR 'v'

struct tok {
	int kind; /* TK_TEXT, TK_VAR or the tag's sigil: # ^ / > < $ ! = & { */
	unsigned flags;
	int line, col;
	size_t off, len; /* text, or the tag's trimmed name */
	size_t match;    /* opening <-> closing tag */
	size_t lead;     /* blank text before the tag on its line, or NONE */
	size_t trail;    /* blank text after the tag on its line, or NONE */
};

struct span {
	size_t off, len;
};

struct cc {
	const char *src;
	size_t len;
	const char *name;
	struct err *e;
	struct tok *toks;
	size_t nt, ct;
	struct node *nodes;
	size_t nn, cn;
	struct buf arena;
	struct ref *refs;
	size_t nr, cr;
};

/* Grows an array of `size`-byte items so that one more fits; returns the
 * (possibly moved) array or NULL on failure, leaving `p` valid. */
static void *grow1(void *p, size_t n, size_t *cap, size_t size)
{
	size_t nc;

	if (n < *cap)
		return p;
	nc = *cap ? *cap * 2 : 16;
	if (nc < *cap || nc > SIZE_MAX / size)
		return NULL;
	p = realloc(p, nc * size);
	if (p)
		*cap = nc;
	return p;
}

static int oom(struct cc *cc)
{
	err_at(cc->e, cc->name, 0, 0, "out of memory");
	if (cc->e)
		cc->e->kind = ERR_NOMEM;
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* First occurrence of pat (m >= 1 bytes) in s (n bytes), or NULL. */
static const char *find(const char *s, size_t n, const char *pat, size_t m)
{
	const char *p;

	while (n >= m) {
		p = memchr(s, pat[0], n - m + 1);
		if (!p)
			return NULL;
		if (memcmp(p, pat, m) == 0)
			return p;
		n -= (size_t)(p - s) + 1;
		s = p + 1;
	}
	return NULL;
}

static struct tok *new_tok(struct cc *cc, int kind, int line, int col)
{
	struct tok *t;
	void *p = grow1(cc->toks, cc->nt, &cc->ct, sizeof *cc->toks);

	if (!p)
		return NULL;
	cc->toks = p;
	t = &cc->toks[cc->nt++];
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->line = line;
	t->col = col;
	t->match = t->lead = t->trail = NONE;
	return t;
}

/* Adds text tokens for src[from..to), one per line piece. */
static int add_text(struct cc *cc, size_t from, size_t to, int *line, size_t *lstart)
{
	const char *s = cc->src;

	while (from < to) {
		const char *nl = memchr(s + from, '\n', to - from);
		size_t end = nl ? (size_t)(nl - s) + 1 : to, k;
		struct tok *t = new_tok(cc, TK_TEXT, *line, (int)(from - *lstart + 1));

		if (!t)
			return oom(cc);
		t->off = from;
		t->len = end - from;
		for (k = from; k < end && (s[k] == ' ' || s[k] == '\t'); k++)
			;
		if (nl) {
			t->flags |= TF_NL;
			if (k == end - 1 || (k == end - 2 && s[k] == '\r'))
				t->flags |= TF_BLANK;
			(*line)++;
			*lstart = end;
		} else if (k == end) {
			t->flags |= TF_BLANK;
		}
		from = end;
	}
	return 0;
}

/* Checks a name used for lookups in the context: "." or non-empty parts
 * separated by single dots. */
static int dotted_ok(const char *s, size_t n)
{
	size_t k;

	if (n == 1 && s[0] == '.')
		return 1;
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (k = 1; k < n; k++)
		if (s[k] == '.' && s[k - 1] == '.')
			return 0;
	return 1;
}

/* Parses the inside of {{=a b=}} into new delimiters. */
static int set_delims(struct cc *cc, const struct tok *t, size_t a, size_t b, char *otag,
                      size_t *olen, char *ctag, size_t *clen)
{
	const char *s = cc->src;
	size_t a1, a2, b1, b2;

	a1 = a;
	for (a2 = a1; a2 < b && !is_space(s[a2]); a2++)
		;
	for (b1 = a2; b1 < b && is_space(s[b1]); b1++)
		;
	for (b2 = b1; b2 < b && !is_space(s[b2]); b2++)
		;
	if (a2 == a1 || b2 == b1 || b2 != b)
		return err_at(cc->e, cc->name, t->line, t->col,
		              "bad delimiter change: expected two delimiters separated by space");
	if (a2 - a1 > DELIM_MAX || b2 - b1 > DELIM_MAX)
		return err_at(cc->e, cc->name, t->line, t->col,
		              "bad delimiter change: delimiter longer than %d bytes", DELIM_MAX);
	memcpy(otag, s + a1, a2 - a1);
	*olen = a2 - a1;
	memcpy(ctag, s + b1, b2 - b1);
	*clen = b2 - b1;
	return 0;
}

/* Pass 1: tokens. */
static int tokenize(struct cc *cc)
{
	const char *s = cc->src;
	char otag[DELIM_MAX], ctag[DELIM_MAX], close[DELIM_MAX + 1];
	size_t olen = 2, clen = 2, p = 0, lstart = 0;
	int line = 1;

	memcpy(otag, "{{", 2);
	memcpy(ctag, "}}", 2);
	while (p < cc->len) {
		const char *q = find(s + p, cc->len - p, otag, olen);
		size_t tagpos = q ? (size_t)(q - s) : cc->len, r, a, b, cl, k;
		const char *end;
		struct tok *t;
		int kind = TK_VAR;

		if (add_text(cc, p, tagpos, &line, &lstart) < 0)
			return -1;
		if (!q)
			break;
		t = new_tok(cc, TK_VAR, line, (int)(tagpos - lstart + 1));
		if (!t)
			return oom(cc);
		r = tagpos + olen;
		if (r < cc->len && s[r] != '\0' && strchr("#^/><$!=&{", s[r]))
			kind = (unsigned char)s[r++];
		t->kind = kind;
		cl = 0;
		if (kind == '{' || kind == '=')
			close[cl++] = kind == '{' ? '}' : '=';
		memcpy(close + cl, ctag, clen);
		cl += clen;
		end = find(s + r, cc->len - r, close, cl);
		if (!end)
			return err_at(cc->e, cc->name, t->line, t->col,
			              "unclosed tag (no \"%.*s\")", (int)cl, close);
		a = r;
		b = (size_t)(end - s);
		for (k = tagpos; k < b + cl; k++)
			if (s[k] == '\n') {
				line++;
				lstart = k + 1;
			}
		p = b + cl;
		while (a < b && is_space(s[a]))
			a++;
		while (b > a && is_space(s[b - 1]))
			b--;
		if (kind == '!')
			continue;
		if (kind == '=') {
			if (set_delims(cc, t, a, b, otag, &olen, ctag, &clen) < 0)
				return -1;
			continue;
		}
		if ((kind == '>' || kind == '<' || kind == '/') && a < b && s[a] == '*') {
			t->flags |= TF_DYN;
			for (a++; a < b && is_space(s[a]); a++)
				;
		}
		t->off = a;
		t->len = b - a;
		if (a == b)
			return err_at(cc->e, cc->name, t->line, t->col, "empty tag name");
		for (k = a; k < b; k++)
			if (is_space(s[k]))
				return err_at(cc->e, cc->name, t->line, t->col,
				              "invalid name \"%.*s\": contains whitespace",
				              (int)(b - a > 64 ? 64 : b - a), s + a);
		if ((strchr("#^&{v", kind) || (t->flags & TF_DYN)) && !dotted_ok(s + a, b - a))
			return err_at(cc->e, cc->name, t->line, t->col, "invalid name \"%.*s\"",
			              (int)(b - a > 64 ? 64 : b - a), s + a);
	}
	return 0;
}

static int is_open(int kind)
{
	return kind == '#' || kind == '^' || kind == '<' || kind == '$';
}

static const char *what(int kind)
{
	switch (kind) {
	case '<':
		return "parent";
	case '$':
		return "block";
	case '^':
		return "inverted section";
	default:
		return "section";
	}
}

/* Pass 2: nesting. */
static int structure(struct cc *cc)
{
	size_t stack[MST_MAX_DEPTH], sp = 0, i;
	struct tok *t, *o;

	for (i = 0; i < cc->nt; i++) {
		t = &cc->toks[i];
		if ((t->kind == '>' || t->kind == '<') && !(t->flags & TF_DYN)) {
			void *p = grow1(cc->refs, cc->nr, &cc->cr, sizeof *cc->refs);

			if (!p)
				return oom(cc);
			cc->refs = p;
			cc->refs[cc->nr].off = cc->arena.len;
			cc->refs[cc->nr++].line = t->line;
			buf_add(&cc->arena, cc->src + t->off, t->len);
			buf_putc(&cc->arena, '\0');
		}
		if (is_open(t->kind)) {
			if (sp == MST_MAX_DEPTH)
				return err_at(cc->e, cc->name, t->line, t->col,
				              "sections nested too deep (over %d levels)",
				              MST_MAX_DEPTH);
			if (t->kind == '$' && sp > 0 && cc->toks[stack[sp - 1]].kind == '<')
				t->flags |= TF_ARG;
			stack[sp++] = i;
		} else if (t->kind == '/') {
			if (sp == 0)
				return err_at(cc->e, cc->name, t->line, t->col,
				              "unexpected closing tag \"%.*s\"", (int)t->len,
				              cc->src + t->off);
			o = &cc->toks[stack[--sp]];
			if (o->len != t->len ||
			    memcmp(cc->src + o->off, cc->src + t->off, t->len) != 0 ||
			    ((t->flags & TF_DYN) && !(o->flags & TF_DYN)))
				return err_at(
				    cc->e, cc->name, t->line, t->col,
				    "mismatched closing tag \"%.*s\": %s \"%.*s\" opened at "
				    "%d:%d is still open",
				    (int)t->len, cc->src + t->off, what(o->kind), (int)o->len,
				    cc->src + o->off, o->line, o->col);
			o->match = i;
			t->match = stack[sp];
		}
	}
	if (sp > 0) {
		o = &cc->toks[stack[sp - 1]];
		return err_at(cc->e, cc->name, o->line, o->col, "unclosed %s \"%.*s\"",
		              what(o->kind), (int)o->len, cc->src + o->off);
	}
	return 0;
}

/* Pass 3a: per line, which tags have only blanks on their left/right. */
static void mark_lines(struct cc *cc)
{
	size_t g = 0, i, k, f, l;

	for (i = 0; i < cc->nt; i++) {
		if (i == g)
			cc->toks[i].flags |= TF_GSTART;
		if (!(cc->toks[i].kind == TK_TEXT && (cc->toks[i].flags & TF_NL)) && i + 1 < cc->nt)
			continue;
		/* the line is toks[g..i] */
		f = l = NONE;
		for (k = g; k <= i; k++)
			if (!(cc->toks[k].kind == TK_TEXT && (cc->toks[k].flags & TF_BLANK))) {
				if (f == NONE)
					f = k;
				l = k;
			}
		if (f != NONE && cc->toks[f].kind != TK_TEXT) {
			cc->toks[f].flags |= TF_LEFT;
			cc->toks[f].lead = f > g ? g : NONE;
		}
		if (l != NONE && cc->toks[l].kind != TK_TEXT) {
			cc->toks[l].flags |= TF_RIGHT;
			cc->toks[l].trail = l < i ? i : NONE;
		}
		g = i + 1;
	}
}

static void drop(struct cc *cc, size_t i)
{
	if (i != NONE)
		cc->toks[i].flags |= TF_DROP;
}

/* Pass 3b: standalone tags. Besides the core rule (a non-interpolation tag
 * alone on its line loses the line), ~inheritance adds: a parent is
 * standalone as a pair (blanks before the opening tag, blanks after the
 * closing one); an argument block's opening tag owns the newline after it
 * and its closing tag the blanks before it (the rest of a parent's content
 * is ignored anyway); a parameter block standalone as a pair is re-indented
 * when overridden. */
static void standalone(struct cc *cc)
{
	size_t i;
	struct tok *t, *m;

	for (i = 0; i < cc->nt; i++) {
		t = &cc->toks[i];
		if (t->kind == TK_TEXT || t->kind == TK_VAR || t->kind == '&' || t->kind == '{')
			continue;
		if ((t->flags & TF_LEFT) && (t->flags & TF_RIGHT)) {
			t->flags |= TF_SA | TF_LINE;
			drop(cc, t->lead);
			drop(cc, t->trail);
		}
		if (t->kind == '<') {
			m = &cc->toks[t->match];
			if ((t->flags & TF_LEFT) && (m->flags & TF_RIGHT)) {
				t->flags |= TF_PAIR | TF_LINE;
				drop(cc, t->lead);
				drop(cc, m->trail);
			}
		} else if (t->kind == '$' && (t->flags & TF_ARG)) {
			m = &cc->toks[t->match];
			if (t->flags & TF_RIGHT) {
				t->flags |= TF_EOL;
				drop(cc, t->trail);
			}
			if (m->flags & TF_LEFT) {
				m->flags |= TF_LINE;
				drop(cc, m->lead);
			}
		} else if (t->kind == '$') {
			m = &cc->toks[t->match];
			if ((t->flags & TF_LEFT) && (m->flags & TF_RIGHT))
				t->flags |= TF_PAIR;
			if (t->flags & TF_RIGHT)
				t->flags |= TF_EOL;
		}
	}
}

/* The part of token t that is output: a line's first text token loses the
 * intrinsic indentation of every enclosing block, outermost first. */
static struct span eff(const struct cc *cc, const struct tok *t, const struct span *strips,
                       size_t ns)
{
	struct span sp = {t->off, t->len};
	size_t k;

	if (t->kind != TK_TEXT || !(t->flags & TF_GSTART))
		return sp;
	for (k = 0; k < ns; k++)
		if (strips[k].len <= sp.len &&
		    memcmp(cc->src + sp.off, cc->src + strips[k].off, strips[k].len) == 0) {
			sp.off += strips[k].len;
			sp.len -= strips[k].len;
		}
	return sp;
}

/* The intrinsic indentation of the block opened by toks[i] (which ends its
 * line): the blanks starting the next line. */
static struct span intrinsic(const struct cc *cc, size_t i, const struct span *strips, size_t ns)
{
	const struct tok *t = &cc->toks[i];
	size_t j = (t->trail != NONE ? t->trail : i) + 1, k;
	struct span sp = {0, 0};

	if (j >= cc->nt || cc->toks[j].kind != TK_TEXT)
		return sp;
	sp = eff(cc, &cc->toks[j], strips, ns);
	for (k = 0; k < sp.len && (cc->src[sp.off + k] == ' ' || cc->src[sp.off + k] == '\t'); k++)
		;
	sp.len = k;
	return sp;
}

static struct node *new_node(struct cc *cc, int type, const struct tok *t)
{
	struct node *n;
	void *p = grow1(cc->nodes, cc->nn, &cc->cn, sizeof *cc->nodes);

	if (!p)
		return NULL;
	cc->nodes = p;
	n = &cc->nodes[cc->nn];
	memset(n, 0, sizeof *n);
	n->type = (unsigned char)type;
	n->line = t->line;
	n->col = t->col;
	n->end = ++cc->nn;
	if (t->kind != TK_TEXT) {
		n->off = cc->arena.len;
		n->len = t->len;
		buf_add(&cc->arena, cc->src + t->off, t->len);
		buf_putc(&cc->arena, '\0');
	}
	return n;
}

static void set_ind(struct cc *cc, struct node *n, struct span sp)
{
	n->ioff = cc->arena.len;
	n->ilen = sp.len;
	buf_add(&cc->arena, cc->src + sp.off, sp.len);
}

/* Pass 4: nodes. */
static int emit(struct cc *cc)
{
	struct {
		size_t tok, node;
		int strip; /* pushed a strip */
	} open[MST_MAX_DEPTH];
	struct span strips[MST_MAX_DEPTH], sp;
	size_t depth = 0, ns = 0, i, last_text = NONE;
	int at_bol = 1, bol;
	struct tok *t;
	struct node *n;

	for (i = 0; i < cc->nt; i++) {
		t = &cc->toks[i];
		if (depth > 0 && cc->toks[open[depth - 1].tok].kind == '<') {
			/* inside a parent: only argument blocks matter */
			if (t->kind == '$') {
				n = new_node(cc, N_BLOCK, t);
				if (!n)
					return oom(cc);
				open[depth].tok = i;
				open[depth].node = cc->nn - 1;
				open[depth].strip = 0;
				if (t->flags & TF_EOL) {
					strips[ns] = intrinsic(cc, i, strips, ns);
					ns++;
					open[depth].strip = 1;
				}
				depth++;
				at_bol = !!(t->flags & TF_EOL);
				last_text = NONE;
			} else if (t->kind == '/') {
				depth--;
				cc->nodes[open[depth].node].end = cc->nn;
				at_bol = 0;
				last_text = NONE;
			} else if (is_open(t->kind)) {
				i = t->match;
			}
			continue;
		}
		if (t->kind == TK_TEXT) {
			sp = eff(cc, t, strips, ns);
			if (t->flags & TF_DROP) {
				if (t->flags & TF_NL)
					at_bol = 1;
				continue;
			}
			if (sp.len == 0)
				continue;
			if (last_text == NONE) {
				n = new_node(cc, N_TEXT, t);
				if (!n)
					return oom(cc);
				n->off = cc->arena.len;
				n->flags = at_bol ? NF_BOL : 0;
				last_text = cc->nn - 1;
			}
			buf_add(&cc->arena, cc->src + sp.off, sp.len);
			cc->nodes[last_text].len += sp.len;
			at_bol = !!(t->flags & TF_NL);
			continue;
		}
		last_text = NONE;
		bol = (t->flags & TF_LINE) ? 0 : at_bol;
		switch (t->kind) {
		case '!':
		case '=':
			if (bol) {
				n = new_node(cc, N_BOL, t);
				if (!n)
					return oom(cc);
				n->flags = NF_BOL;
				at_bol = 0;
			}
			break;
		case TK_VAR:
		case '&':
		case '{':
			n = new_node(cc, t->kind == TK_VAR ? N_ESC : N_RAW, t);
			if (!n)
				return oom(cc);
			n->flags = bol ? NF_BOL : 0;
			at_bol = 0;
			break;
		case '>':
			n = new_node(cc, N_PARTIAL, t);
			if (!n)
				return oom(cc);
			n->flags = (bol ? NF_BOL : 0) | ((t->flags & TF_DYN) ? NF_DYN : 0);
			if (t->flags & TF_SA) {
				n->flags |= NF_SA;
				if (t->lead != NONE)
					set_ind(cc, n, eff(cc, &cc->toks[t->lead], strips, ns));
			} else {
				at_bol = 0;
			}
			break;
		case '#':
		case '^':
		case '<':
		case '$':
			n = new_node(cc,
			             t->kind == '#'   ? N_SECTION
			             : t->kind == '^' ? N_INVERTED
			             : t->kind == '<' ? N_PARENT
			                              : N_BLOCK,
			             t);
			if (!n)
				return oom(cc);
			n->flags = (bol ? NF_BOL : 0) | ((t->flags & TF_DYN) ? NF_DYN : 0);
			open[depth].tok = i;
			open[depth].node = cc->nn - 1;
			open[depth].strip = 0;
			if (t->kind == '<' && (t->flags & TF_PAIR)) {
				n->flags |= NF_SA;
				if (t->lead != NONE)
					set_ind(cc, n, eff(cc, &cc->toks[t->lead], strips, ns));
			} else if (t->kind == '$') {
				if (t->flags & TF_SA)
					n->flags |= NF_SA;
				if ((t->flags & TF_PAIR) && (t->flags & TF_EOL)) {
					n->flags |= NF_PAIR | NF_EOL;
					sp = intrinsic(cc, i, strips, ns);
					set_ind(cc, n, sp);
					strips[ns++] = sp;
					open[depth].strip = 1;
				} else if (t->flags & TF_PAIR) {
					n->flags |= NF_PAIR;
					if (t->lead != NONE)
						set_ind(cc, n,
						        eff(cc, &cc->toks[t->lead], strips, ns));
				}
			}
			depth++;
			if (!(t->flags & TF_LINE))
				at_bol = 0;
			break;
		case '/':
			if (bol) {
				n = new_node(cc, N_BOL, t);
				if (!n)
					return oom(cc);
				n->flags = NF_BOL;
			}
			depth--;
			if (open[depth].strip)
				ns--;
			cc->nodes[open[depth].node].end = cc->nn;
			if (!(t->flags & TF_LINE))
				at_bol = 0;
			break;
		}
	}
	return 0;
}

struct mst *mst_compile(const char *src, size_t len, const char *name, struct err *e)
{
	struct cc cc;
	struct mst *t = NULL;

	memset(&cc, 0, sizeof cc);
	buf_init(&cc.arena);
	cc.src = src ? src : "";
	cc.len = len;
	cc.name = name ? name : "<template>";
	cc.e = e;
	if (!src && len) {
		err_at(e, cc.name, 0, 0, "no template source");
		goto out;
	}
	if (len > MST_MAX_SIZE) {
		err_at(e, cc.name, 0, 0, "template too large (%zu bytes, limit %u)", len,
		       (unsigned)MST_MAX_SIZE);
		goto out;
	}
	if (tokenize(&cc) < 0 || structure(&cc) < 0)
		goto out;
	mark_lines(&cc);
	standalone(&cc);
	if (emit(&cc) < 0)
		goto out;
	t = calloc(1, sizeof *t);
	if (!t || buf_failed(&cc.arena) || !(t->name = malloc(strlen(cc.name) + 1)))
		goto fail;
	strcpy(t->name, cc.name);
	t->arena = buf_detach(&cc.arena, NULL);
	if (!t->arena)
		goto fail;
	t->nodes = cc.nodes;
	t->nn = cc.nn;
	t->refs = cc.refs;
	t->nrefs = cc.nr;
	cc.nodes = NULL;
	cc.refs = NULL;
	goto out;
fail:
	oom(&cc);
	mst_free(t);
	t = NULL;
out:
	free(cc.toks);
	free(cc.nodes);
	free(cc.refs);
	buf_free(&cc.arena);
	return t;
}

void mst_free(struct mst *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->nodes);
	free(t->arena);
	free(t->refs);
	free(t);
}

const char *mst_name(const struct mst *t)
{
	return t ? t->name : NULL;
}

int mst_each_ref(const struct mst *t, int (*cb)(void *ctx, const char *name, int line), void *ctx)
{
	size_t i;
	int r;

	if (!t || !cb)
		return 0;
	for (i = 0; i < t->nrefs; i++) {
		r = cb(ctx, t->arena + t->refs[i].off, t->refs[i].line);
		if (r)
			return r;
	}
	return 0;
}

/* ---- renderer ---- */

/* An indentation: the concatenation of the chain from the outermost `up`.
 * Links live on the C stack of the render calls that push them. */
struct ind {
	const char *s;
	size_t len;
	const struct ind *up;
};

/* A context frame pushed by a section, on top of the caller's stack. */
struct cfr {
	const struct val *v;
	const struct cfr *up;
};

/* A parent tag being expanded: its argument blocks override blocks. */
struct ofr {
	const struct mst *t;
	size_t node;
	const struct ofr *up;
};

/* How the first line of a block override is indented: it replaces the
 * block's default content, which started either on a line of its own
 * (FIRST_FORCE: indent it) or after other text (FIRST_SUPPRESS: don't). */
enum { FIRST_NONE, FIRST_FORCE, FIRST_SUPPRESS };

struct rs {
	const struct val *const *stack;
	size_t n;
	const struct mst_env *env;
	struct buf *out;
	struct err *e;
	int depth;          /* nested partial/parent/override expansions */
	int nest;           /* nested render() calls, bounds the C stack */
	unsigned long work; /* nodes visited */
	int first;
	const struct ind *first_ind;
};

static const struct ind *push_ind(struct ind *link, const struct ind *up, const char *s, size_t len)
{
	if (len == 0)
		return up;
	link->s = s;
	link->len = len;
	link->up = up;
	return link;
}

static void put_chain(struct buf *b, const struct ind *ind)
{
	if (!ind)
		return;
	put_chain(b, ind->up);
	buf_add(b, ind->s, ind->len);
}

static int chain_has(const struct ind *ind, const struct ind *x)
{
	for (; ind; ind = ind->up)
		if (ind == x)
			return 1;
	return !x;
}

/* A template line starts: indent it. */
static void line_start(struct rs *st, const struct ind *ind)
{
	if (st->first != FIRST_NONE) {
		int f = st->first;

		st->first = FIRST_NONE;
		if (f == FIRST_SUPPRESS)
			return;
		if (!chain_has(ind, st->first_ind))
			put_chain(st->out, st->first_ind);
	}
	put_chain(st->out, ind);
}

/* Output follows that does not start a template line. */
static void settle(struct rs *st)
{
	if (st->first == FIRST_FORCE)
		put_chain(st->out, st->first_ind);
	st->first = FIRST_NONE;
}

static void put_text(struct buf *b, const char *s, size_t len, const struct ind *ind)
{
	const char *nl;

	if (ind)
		while (len > 1 && (nl = memchr(s, '\n', len - 1))) {
			buf_add(b, s, (size_t)(nl - s) + 1);
			put_chain(b, ind);
			len -= (size_t)(nl - s) + 1;
			s = nl + 1;
		}
	buf_add(b, s, len);
}

/* The text of a scalar: points *s at the value's own string or at tmp.
 * Returns -1 for values that print nothing (missing, null, array, table). */
static int scalar_text(const struct val *v, char tmp[40], const char **s, size_t *len)
{
	int n, prec;

	if (!v)
		return -1;
	switch (v->type) {
	case VAL_BOOL:
		*s = v->u.b ? "true" : "false";
		*len = strlen(*s);
		return 0;
	case VAL_INT:
		n = snprintf(tmp, 40, "%lld", v->u.i);
		break;
	case VAL_FLOAT:
		/* the shortest form that reads back as the same double */
		for (prec = 15;; prec++) {
			n = snprintf(tmp, 40, "%.*g", prec, v->u.f);
			if (prec == 17 || strtod(tmp, NULL) == v->u.f)
				break;
		}
		break;
	case VAL_STRING:
	case VAL_DATETIME:
		*s = v->u.str.s;
		*len = v->u.str.len;
		return 0;
	default:
		return -1;
	}
	if (n < 0 || n >= 40)
		return -1;
	*s = tmp;
	*len = (size_t)n;
	return 0;
}

static int truthy(const struct val *v)
{
	if (!v)
		return 0;
	switch (v->type) {
	case VAL_NULL:
		return 0;
	case VAL_BOOL:
		return v->u.b;
	case VAL_ARRAY:
		return v->u.arr.n > 0;
	case VAL_STRING:
		return v->u.str.len > 0;
	default:
		return 1;
	}
}

static const struct val *top(const struct rs *st, const struct cfr *cf)
{
	size_t k;

	if (cf)
		return cf->v;
	for (k = st->n; k > 0; k--)
		if (st->stack[k - 1])
			return st->stack[k - 1];
	return NULL;
}

/* Resolves a dotted name: the first part up the context stack, innermost
 * first; the other parts only inside what the first part found. */
static const struct val *lookup(const struct rs *st, const struct cfr *cf, const char *name,
                                size_t len)
{
	const char *dot;
	const struct val *v = NULL;
	size_t k, part;

	if (len == 1 && name[0] == '.')
		return top(st, cf);
	dot = memchr(name, '.', len);
	part = dot ? (size_t)(dot - name) : len;
	for (; cf && !v; cf = cf->up)
		v = val_getn(cf->v, name, part);
	for (k = st->n; k > 0 && !v; k--)
		v = val_getn(st->stack[k - 1], name, part);
	while (v && dot) {
		len -= part + 1;
		name = dot + 1;
		dot = memchr(name, '.', len);
		part = dot ? (size_t)(dot - name) : len;
		v = val_getn(v, name, part);
	}
	return v;
}

/* The template a partial or parent node names, or NULL. */
static const struct mst *resolve(const struct rs *st, const struct mst *t, const struct node *nd,
                                 const struct cfr *cf)
{
	const char *name = t->arena + nd->off;
	size_t len = nd->len;
	char tmp[40];

	if (!st->env || !st->env->lookup)
		return NULL;
	if (nd->flags & NF_DYN) {
		/* a dynamic name is dereferenced once: "**x" names nothing */
		if (name[0] == '*' ||
		    scalar_text(lookup(st, cf, name, len), tmp, &name, &len) < 0 || len == 0)
			return NULL;
	}
	return st->env->lookup(st->env->lookup_ctx, name, len);
}

/* The argument overriding block `name`: the outermost parent tag being
 * expanded that passes one wins. */
static int find_override(const struct ofr *of, const char *name, size_t len, const struct mst **ot,
                         size_t *oj)
{
	int found = 0;
	size_t j;

	for (; of; of = of->up) {
		const struct mst *pt = of->t;

		for (j = of->node + 1; j < pt->nodes[of->node].end; j = pt->nodes[j].end) {
			const struct node *b = &pt->nodes[j];

			if (b->type == N_BLOCK && b->len == len &&
			    memcmp(pt->arena + b->off, name, len) == 0) {
				*ot = pt;
				*oj = j;
				found = 1;
				break;
			}
		}
	}
	return found;
}

static const char *node_what(const struct node *nd)
{
	switch (nd->type) {
	case N_PARTIAL:
		return "partial";
	case N_PARENT:
		return "parent";
	case N_BLOCK:
		return "block";
	case N_INVERTED:
		return "inverted section";
	default:
		return "section";
	}
}

static int too_deep(struct rs *st, const struct mst *t, const struct node *nd)
{
	return err_at(st->e, t->name, nd->line, nd->col,
	              "%s \"%.*s\" nested too deep (over %d partials, parents or blocks); "
	              "recursive template?",
	              node_what(nd), (int)(nd->len > 64 ? 64 : nd->len), t->arena + nd->off,
	              MST_MAX_DEPTH);
}

/* Counts one more level of render() recursion for node nd; the caller
 * decrements st->nest after the nested call. */
static int nest_in(struct rs *st, const struct mst *t, const struct node *nd)
{
	if (++st->nest <= MST_MAX_NEST)
		return 0;
	st->nest--;
	return err_at(st->e, t->name, nd->line, nd->col,
	              "%s \"%.*s\" nested too deep (over %d sections, partials, parents and "
	              "blocks at once)",
	              node_what(nd), (int)(nd->len > 64 ? 64 : nd->len), t->arena + nd->off,
	              MST_MAX_NEST);
}

static int render(struct rs *st, const struct mst *t, size_t i, size_t end, const struct cfr *cf,
                  const struct ind *ind, const struct ofr *of);

/* Renders children i+1..end once per item of a section's value. */
static int render_section(struct rs *st, const struct mst *t, const struct node *nd, size_t i,
                          const struct val *v, const struct cfr *cf, const struct ind *ind,
                          const struct ofr *of)
{
	struct cfr f;
	size_t k;
	int r = 0;

	if (nest_in(st, t, nd) < 0)
		return -1;
	f.up = cf;
	if (v->type != VAL_ARRAY) {
		f.v = v;
		r = render(st, t, i + 1, nd->end, &f, ind, of);
	}
	for (k = 0; v->type == VAL_ARRAY && k < v->u.arr.n && r == 0; k++) {
		f.v = v->u.arr.items[k];
		r = render(st, t, i + 1, nd->end, &f, ind, of);
	}
	st->nest--;
	return r;
}

static int render_block(struct rs *st, const struct mst *t, const struct node *nd, size_t i,
                        const struct cfr *cf, const struct ind *ind, const struct ofr *of)
{
	const struct mst *ot;
	const struct ind *oind, *sfi;
	struct ind link;
	size_t oj;
	int r, mode, sf;

	if (nest_in(st, t, nd) < 0)
		return -1;
	if (!find_override(of, t->arena + nd->off, nd->len, &ot, &oj)) {
		if (nd->flags & NF_EOL)
			ind = push_ind(&link, ind, t->arena + nd->ioff, nd->ilen);
		r = render(st, t, i + 1, nd->end, cf, ind, of);
		st->nest--;
		return r;
	}
	if (++st->depth > MST_MAX_DEPTH) {
		st->nest--;
		return too_deep(st, t, nd);
	}
	oind = NULL;
	if (nd->flags & NF_PAIR)
		oind = push_ind(&link, ind, t->arena + nd->ioff, nd->ilen);
	mode = (nd->flags & NF_SA) ? FIRST_FORCE : FIRST_SUPPRESS;
	sf = st->first;
	sfi = st->first_ind;
	if (!(sf == FIRST_FORCE && mode == FIRST_SUPPRESS)) {
		st->first = mode;
		st->first_ind = oind;
	}
	r = render(st, ot, oj + 1, ot->nodes[oj].end, cf, oind, of);
	if (st->first == mode && st->first_ind == oind) {
		st->first = sf;
		st->first_ind = sfi;
	}
	st->depth--;
	st->nest--;
	return r;
}

/* Renders nodes i..end-1 of t with context frames cf (over st->stack),
 * indentation ind for template line starts, and parent tags of being
 * expanded. Returns 0 or -1 with st->e set. */
static int render(struct rs *st, const struct mst *t, size_t i, size_t end, const struct cfr *cf,
                  const struct ind *ind, const struct ofr *of)
{
	const struct node *nd;
	const struct val *v;
	const struct mst *p;
	struct ind link;
	struct ofr fr;
	int r;

	while (i < end) {
		nd = &t->nodes[i];
		if (++st->work > MST_MAX_WORK)
			return err_at(st->e, t->name, nd->line, nd->col,
			              "template too expensive to render (over %lu steps)",
			              (unsigned long)MST_MAX_WORK);
		if (buf_failed(st->out))
			return err_set(st->e, "%s: out of memory while rendering", t->name);
		if (nd->flags & NF_BOL)
			line_start(st, ind);
		switch (nd->type) {
		case N_TEXT:
			if (st->first && !(nd->flags & NF_BOL))
				settle(st);
			put_text(st->out, t->arena + nd->off, nd->len, ind);
			break;
		case N_ESC:
		case N_RAW: {
			const char *s;
			size_t len;
			char tmp[40];

			if (st->first && !(nd->flags & NF_BOL))
				settle(st);
			v = lookup(st, cf, t->arena + nd->off, nd->len);
			if (scalar_text(v, tmp, &s, &len) == 0) {
				if (nd->type == N_ESC)
					esc_html(st->out, s, len);
				else
					buf_add(st->out, s, len);
			}
			break;
		}
		case N_SECTION:
			v = lookup(st, cf, t->arena + nd->off, nd->len);
			if (truthy(v) && render_section(st, t, nd, i, v, cf, ind, of) < 0)
				return -1;
			break;
		case N_INVERTED:
			v = lookup(st, cf, t->arena + nd->off, nd->len);
			if (truthy(v))
				break;
			if (nest_in(st, t, nd) < 0)
				return -1;
			r = render(st, t, i + 1, nd->end, cf, ind, of);
			st->nest--;
			if (r < 0)
				return -1;
			break;
		case N_PARTIAL:
		case N_PARENT:
			p = resolve(st, t, nd, cf);
			if (!p)
				break;
			if (++st->depth > MST_MAX_DEPTH)
				return too_deep(st, t, nd);
			if (nest_in(st, t, nd) < 0)
				return -1;
			fr.t = t;
			fr.node = i;
			fr.up = of;
			r = render(st, p, 0, p->nn, cf,
			           (nd->flags & NF_SA)
			               ? push_ind(&link, ind, t->arena + nd->ioff, nd->ilen)
			               : NULL,
			           nd->type == N_PARENT ? &fr : of);
			st->depth--;
			st->nest--;
			if (r < 0)
				return -1;
			break;
		case N_BLOCK:
			if (render_block(st, t, nd, i, cf, ind, of) < 0)
				return -1;
			break;
		default: /* N_BOL */
			break;
		}
		i = nd->end;
	}
	return 0;
}

int mst_render(const struct mst *t, const struct val *const *stack, size_t n,
               const struct mst_env *env, struct buf *out, struct err *e)
{
	struct rs st;

	if (!t || !out || (n && !stack))
		return err_set(e, "mst_render: missing template, context or output buffer");
	memset(&st, 0, sizeof st);
	st.stack = stack;
	st.n = n;
	st.env = env;
	st.out = out;
	st.e = e;
	if (render(&st, t, 0, t->nn, NULL, NULL, NULL) < 0)
		return -1;
	if (buf_failed(out))
		return err_set(e, "%s: out of memory while rendering", t->name);
	return 0;
}
