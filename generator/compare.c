#include "compare.h"

#include "escape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A table of at most CMP_MAX_CELLS cells is n x m with min(n, m) <= 65535,
 * so every LCS length fits in a uint16_t cell. */
_Static_assert(CMP_MAX_CELLS <= (size_t)65535 * 65535, "LCS lengths must fit in uint16_t");

enum kind { SAME, REMOVED, ADDED };

struct ctx {
	struct buf *out;
	const char *del_label, *ins_label; /* NULL or "": no hidden span */
	struct cmp_stats st;
	uint16_t *tab; /* scratch table of the word-level LCS, reused */
	size_t tabcap; /* cells allocated in tab */
	size_t budget; /* word-level cells still allowed (CMP_MAX_TOTAL_CELLS) */
};

/* One token of a text: the word text[off..off+wlen), then its whitespace
 * up to text[end). */
struct tok {
	size_t off, wlen, end;
};

/* The tokens of a run of blocks: block k has tok[first[k]..first[k+1]),
 * with the word ids id[first[k]..first[k+1]) (equal words, equal ids). */
struct words {
	struct tok *tok;
	size_t *id;
	size_t *first;
};

/* Interning: equal keys (tag, bytes) get equal ids, 1, 2, ... in the order
 * first seen, so comparing two keys later costs one integer comparison
 * whatever their length. Open addressing, sized once for all its keys. */
struct ient {
	uint64_t h;
	const char *s;
	size_t len;
	int tag;
	size_t id; /* 0: empty slot */
};

struct intern {
	struct ient *v;
	size_t mask; /* slots - 1 (a power of two minus one) */
	size_t n;    /* ids given */
};

static int level(const struct cmp_block *k)
{
	return k->heading >= 1 && k->heading <= 6 ? k->heading : 0;
}

static int block_eq(const struct cmp_block *x, const struct cmp_block *y)
{
	return level(x) == level(y) && x->len == y->len &&
	       (x->len == 0 || memcmp(x->text, y->text, x->len) == 0);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* 1 and *cells = n * m when an n x m LCS table is within CMP_MAX_CELLS
 * (checked without overflow), else 0. */
static int table_fits(size_t n, size_t m, size_t *cells)
{
	if (n != 0 && m > CMP_MAX_CELLS / n)
		return 0;
	*cells = n * m;
	return 1;
}

/* FNV-1a over the bytes, seeded with the tag, then a 64-bit finalizer so
 * that the low bits (the slot) depend on every byte. */
static uint64_t hash_key(int tag, const char *s, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037) ^ (uint64_t)(unsigned)tag;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(1099511628211);
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/* Prepares t for up to `keys` keys. Returns 0, or -1 when the table
 * cannot be allocated; intern_free() releases it either way. */
static int intern_init(struct intern *t, size_t keys)
{
	size_t cap = 16;

	t->v = NULL;
	t->n = 0;
	while (cap / 2 < keys) {
		if (cap > SIZE_MAX / 4)
			return -1;
		cap *= 2;
	}
	t->v = calloc(cap, sizeof *t->v);
	if (!t->v)
		return -1;
	t->mask = cap - 1;
	return 0;
}

static void intern_free(struct intern *t)
{
	free(t->v);
	t->v = NULL;
}

/* The id of the key (tag, s[0..len)); s must outlive t. At most the
 * number of keys given to intern_init() may be distinct, which keeps a
 * free slot (the table is at least twice as big). */
static size_t intern_id(struct intern *t, int tag, const char *s, size_t len)
{
	uint64_t h = hash_key(tag, s, len);
	size_t k = (size_t)h & t->mask;

	for (;; k = (k + 1) & t->mask) {
		struct ient *x = &t->v[k];

		if (!x->id) {
			x->h = h;
			x->s = s;
			x->len = len;
			x->tag = tag;
			x->id = ++t->n;
			return x->id;
		}
		if (x->h == h && x->tag == tag && x->len == len &&
		    (len == 0 || memcmp(x->s, s, len) == 0))
			return x->id;
	}
}

/* Fills t[0..n*m) with suffix LCS lengths: t[i*m+j] is the length of the
 * LCS of x[i..n) and y[j..m). n * m cells must fit in t (n, m > 0). */
static void lcs_fill(uint16_t *t, const size_t *x, size_t n, const size_t *y, size_t m)
{
	size_t i = n, j;

	while (i-- > 0) {
		uint16_t *row = t + i * m;
		const uint16_t *next = i + 1 < n ? t + (i + 1) * m : NULL;

		j = m;
		while (j-- > 0) {
			unsigned down = next ? next[j] : 0;
			unsigned right = j + 1 < m ? row[j + 1] : 0;

			if (x[i] == y[j])
				row[j] = (uint16_t)((next && j + 1 < m ? next[j + 1] : 0) + 1);
			else
				row[j] = (uint16_t)(down >= right ? down : right);
		}
	}
}

/* The table entry for (i, j), 0 past either end. */
static unsigned lcs_at(const uint16_t *t, size_t n, size_t m, size_t i, size_t j)
{
	return i < n && j < m ? t[i * m + j] : 0;
}

/* At a mismatch (i, j) of an LCS walk: 1 to drop x[i] (a removal), 0 to
 * take y[j] (an addition). On a tie the removal goes first: the fixed rule
 * that makes the output deterministic. */
static int lcs_take_old(const uint16_t *t, size_t n, size_t m, size_t i, size_t j)
{
	if (i >= n)
		return 0;
	if (j >= m)
		return 1;
	return lcs_at(t, n, m, i + 1, j) >= lcs_at(t, n, m, i, j + 1);
}

/* Escaped text; nothing for an empty (possibly NULL) one. */
static void put_text(struct ctx *c, const char *s, size_t len)
{
	if (len)
		esc_html(c->out, s, len);
}

/* `<p class="CLS[ cmp-heading cmp-hN]">` */
static void open_p(struct ctx *c, const char *cls, int lvl)
{
	buf_puts(c->out, "<p class=\"");
	buf_puts(c->out, cls);
	if (lvl)
		buf_printf(c->out, " cmp-heading cmp-h%d", lvl);
	buf_puts(c->out, "\">");
}

/* `<TAG>` followed by the visually hidden label, if there is one */
static void open_mark(struct ctx *c, const char *tag, const char *label)
{
	buf_printf(c->out, "<%s>", tag);
	if (label && *label) {
		buf_puts(c->out, "<span class=\"visually-hidden\">");
		esc_html(c->out, label, strlen(label));
		buf_puts(c->out, "</span>");
	}
}

/* One whole block as unchanged, removed or added; counts it. */
static void render_whole(struct ctx *c, const struct cmp_block *k, enum kind kind)
{
	static const char *const cls[] = {"cmp-same", "cmp-removed", "cmp-added"};
	static const char *const tag[] = {NULL, "del", "ins"};

	open_p(c, cls[kind], level(k));
	if (kind == REMOVED)
		open_mark(c, tag[kind], c->del_label);
	else if (kind == ADDED)
		open_mark(c, tag[kind], c->ins_label);
	put_text(c, k->text, k->len);
	if (kind != SAME)
		buf_printf(c->out, "</%s>", tag[kind]);
	buf_puts(c->out, "</p>\n");
	if (kind == SAME)
		c->st.same++;
	else if (kind == REMOVED)
		c->st.removed++;
	else
		c->st.added++;
}

/* Splits s[0..len) into tokens (written to out unless it is NULL);
 * returns their number. Whitespace before the first word belongs to no
 * token: it is s[0..out[0].off). */
static size_t tokenize(const char *s, size_t len, struct tok *out)
{
	size_t i = 0, n = 0;

	while (i < len && is_space(s[i]))
		i++;
	while (i < len) {
		size_t off = i, wend;

		while (i < len && !is_space(s[i]))
			i++;
		wend = i;
		while (i < len && is_space(s[i]))
			i++;
		if (out) {
			out[n].off = off;
			out[n].wlen = wend - off;
			out[n].end = i;
		}
		n++;
	}
	return n;
}

static void words_free(struct words *w)
{
	free(w->tok);
	free(w->id);
	free(w->first);
}

/* Counts the tokens of blocks k[0..n) into w->first (allocated here) and
 * adds them to *total. Returns 0, or -1 (allocation failure, overflow). */
static int words_count(struct words *w, const struct cmp_block *k, size_t n, size_t *total)
{
	size_t i, sum = 0;

	w->first = calloc(n + 1, sizeof *w->first);
	if (!w->first)
		return -1;
	for (i = 0; i < n; i++) {
		w->first[i] = sum;
		sum += tokenize(k[i].text, k[i].len, NULL); /* <= the bytes: no overflow */
	}
	w->first[n] = sum;
	if (sum > SIZE_MAX - *total)
		return -1;
	*total += sum;
	return 0;
}

/* Tokenizes blocks k[0..n) (counted by words_count) into w->tok and
 * interns their words into w->id. Returns 0, or -1 (allocation failure). */
static int words_fill(struct words *w, const struct cmp_block *k, size_t n, struct intern *in)
{
	size_t i, t, total = w->first[n];

	w->tok = calloc(total ? total : 1, sizeof *w->tok);
	w->id = calloc(total ? total : 1, sizeof *w->id);
	if (!w->tok || !w->id)
		return -1;
	for (i = 0; i < n; i++) {
		tokenize(k[i].text, k[i].len, w->tok + w->first[i]);
		for (t = w->first[i]; t < w->first[i + 1]; t++)
			w->id[t] = intern_id(in, 0, k[i].text + w->tok[t].off, w->tok[t].wlen);
	}
	return 0;
}

/* Whether old block x (tokens of wa's block i) and new block y (wb's block
 * j) pair: both headings or both not, their word table within
 * CMP_MAX_CELLS and the remaining budget, and 2 * LCS / (words) at least
 * CMP_PAIR_PERCENT. On 1 the LCS table of the pair is in c->tab. Returns
 * 1, 0, or -1 when the table cannot be allocated. */
static int similar(struct ctx *c, const struct cmp_block *x, const struct words *wa, size_t i,
                   const struct cmp_block *y, const struct words *wb, size_t j)
{
	size_t n = wa->first[i + 1] - wa->first[i];
	size_t m = wb->first[j + 1] - wb->first[j];
	size_t cells, lcs;

	if ((level(x) != 0) != (level(y) != 0))
		return 0;
	if (n == 0 || m == 0)
		return n == 0 && m == 0;
	if (!table_fits(n, m, &cells))
		return 0;
	/* n, m <= CMP_MAX_CELLS from here: the products below cannot overflow */
	if (200 * (n < m ? n : m) < CMP_PAIR_PERCENT * (n + m))
		return 0; /* even the longest possible LCS is too short */
	if (cells > c->budget)
		return 0;
	c->budget -= cells;
	if (cells > c->tabcap) {
		free(c->tab);
		c->tabcap = 0;
		c->tab = malloc(cells * sizeof *c->tab);
		if (!c->tab)
			return -1;
		c->tabcap = cells;
	}
	lcs_fill(c->tab, wa->id + wa->first[i], n, wb->id + wb->first[j], m);
	lcs = c->tab[0];
	return 200 * lcs >= CMP_PAIR_PERCENT * (n + m);
}

/* Between two unchanged words: old tokens ta[0..nd) in one <del>, then new
 * tokens tb[0..ni) in one <ins>. The whitespace after the last token of
 * the run goes after the closing tag: the new one's if there is an <ins>,
 * else the old one's. */
static void render_gap(struct ctx *c, const char *xs, const struct tok *ta, size_t nd,
                       const char *ys, const struct tok *tb, size_t ni)
{
	if (nd) {
		const struct tok *last = &ta[nd - 1];

		open_mark(c, "del", c->del_label);
		put_text(c, xs + ta[0].off, last->off + last->wlen - ta[0].off);
		buf_puts(c->out, "</del>");
		if (!ni)
			put_text(c, xs + last->off + last->wlen,
			         last->end - last->off - last->wlen);
	}
	if (ni) {
		const struct tok *last = &tb[ni - 1];

		open_mark(c, "ins", c->ins_label);
		put_text(c, ys + tb[0].off, last->off + last->wlen - tb[0].off);
		buf_puts(c->out, "</ins>");
		put_text(c, ys + last->off + last->wlen, last->end - last->off - last->wlen);
	}
}

/* A paired block, word by word, from the LCS table in c->tab (filled by
 * similar() for this pair). Unchanged words are written from the new text
 * with the new whitespace after them, or the old whitespace when the new
 * word has none (the last word, before removed ones). The new text's
 * leading whitespace is kept, the old one's dropped. */
static void render_pair(struct ctx *c, const struct cmp_block *x, const struct words *wa, size_t bi,
                        const struct cmp_block *y, const struct words *wb, size_t bj)
{
	const struct tok *ta = wa->tok + wa->first[bi], *tb = wb->tok + wb->first[bj];
	const size_t *xa = wa->id + wa->first[bi], *yb = wb->id + wb->first[bj];
	size_t n = wa->first[bi + 1] - wa->first[bi], m = wb->first[bj + 1] - wb->first[bj];
	size_t i = 0, j = 0;

	open_p(c, "cmp-changed", level(y));
	put_text(c, y->text, m ? tb[0].off : y->len);
	for (;;) {
		size_t gi = i, gj = j;

		while ((i < n || j < m) && !(i < n && j < m && xa[i] == yb[j])) {
			if (lcs_take_old(c->tab, n, m, i, j))
				i++;
			else
				j++;
		}
		render_gap(c, x->text, ta + gi, i - gi, y->text, tb + gj, j - gj);
		if (i == n && j == m)
			break;
		put_text(c, y->text + tb[j].off, tb[j].wlen);
		if (tb[j].end > tb[j].off + tb[j].wlen)
			put_text(c, y->text + tb[j].off + tb[j].wlen,
			         tb[j].end - tb[j].off - tb[j].wlen);
		else
			put_text(c, x->text + ta[i].off + ta[i].wlen,
			         ta[i].end - ta[i].off - ta[i].wlen);
		i++;
		j++;
	}
	buf_puts(c->out, "</p>\n");
	c->st.changed++;
}

/* A replace hunk: old blocks a[0..k) removed, new b[0..m) added. With
 * `pair`, each removed block is paired with the first similar added block
 * after the last pair (the ones skipped are shown as added); without it
 * (or when a side is empty) the removed blocks come first, then the added.
 * Returns 0, or -1 on allocation failure. */
static int render_hunk(struct ctx *c, const struct cmp_block *a, size_t k,
                       const struct cmp_block *b, size_t m, int pair)
{
	struct words wa = {0}, wb = {0};
	struct intern in = {0};
	size_t i, j = 0, jj, total = 0;
	int rc = -1, sim;

	if (!pair || k == 0 || m == 0) {
		for (i = 0; i < k; i++)
			render_whole(c, &a[i], REMOVED);
		for (j = 0; j < m; j++)
			render_whole(c, &b[j], ADDED);
		return 0;
	}
	if (words_count(&wa, a, k, &total) < 0 || words_count(&wb, b, m, &total) < 0 ||
	    intern_init(&in, total) < 0 || words_fill(&wa, a, k, &in) < 0 ||
	    words_fill(&wb, b, m, &in) < 0)
		goto out;
	intern_free(&in); /* the ids are all given */
	for (i = 0; i < k; i++) {
		sim = 0;
		for (jj = j; jj < m; jj++) {
			sim = similar(c, &a[i], &wa, i, &b[jj], &wb, jj);
			if (sim)
				break;
		}
		if (sim < 0)
			goto out;
		if (!sim) {
			render_whole(c, &a[i], REMOVED);
			continue;
		}
		for (; j < jj; j++)
			render_whole(c, &b[j], ADDED);
		render_pair(c, &a[i], &wa, i, &b[jj], &wb, jj);
		j = jj + 1;
	}
	for (; j < m; j++)
		render_whole(c, &b[j], ADDED);
	rc = 0;
out:
	intern_free(&in);
	words_free(&wa);
	words_free(&wb);
	return rc;
}

/* The trimmed middle a[0..n) / b[0..m): an LCS of the blocks when its
 * table fits in CMP_MAX_CELLS, each run between unchanged blocks rendered
 * as a hunk; else the whole region as one hunk without pairing. Returns 0,
 * or -1 on allocation failure. */
static int render_middle(struct ctx *c, const struct cmp_block *a, size_t n,
                         const struct cmp_block *b, size_t m)
{
	struct intern in = {0};
	size_t *ida = NULL, *idb = NULL, cells, i = 0, j = 0;
	uint16_t *t = NULL;
	int rc = -1;

	if (n == 0 || m == 0 || !table_fits(n, m, &cells))
		return render_hunk(c, a, n, b, m, 0);
	/* n, m <= CMP_MAX_CELLS: the sizes below cannot overflow */
	ida = malloc(n * sizeof *ida);
	idb = malloc(m * sizeof *idb);
	t = malloc(cells * sizeof *t);
	if (!ida || !idb || !t || intern_init(&in, n + m) < 0)
		goto out;
	for (i = 0; i < n; i++)
		ida[i] = intern_id(&in, level(&a[i]), a[i].text, a[i].len);
	for (j = 0; j < m; j++)
		idb[j] = intern_id(&in, level(&b[j]), b[j].text, b[j].len);
	intern_free(&in);
	lcs_fill(t, ida, n, idb, m);
	i = j = 0;
	for (;;) {
		size_t gi = i, gj = j;

		while ((i < n || j < m) && !(i < n && j < m && ida[i] == idb[j])) {
			if (lcs_take_old(t, n, m, i, j))
				i++;
			else
				j++;
		}
		if (render_hunk(c, a + gi, i - gi, b + gj, j - gj, 1) < 0)
			goto out;
		if (i == n && j == m)
			break;
		render_whole(c, &b[j], SAME);
		i++;
		j++;
	}
	rc = 0;
out:
	intern_free(&in);
	free(ida);
	free(idb);
	free(t);
	return rc;
}

int cmp_render(const struct cmp_block *a, size_t na, const struct cmp_block *b, size_t nb,
               const struct cmp_labels *labels, struct buf *out, struct cmp_stats *st,
               struct err *e)
{
	struct ctx c;
	size_t start = out->len, p = 0, s = 0, i;
	int rc;

	if (buf_failed(out))
		return err_oom(e);
	memset(&c, 0, sizeof c);
	c.out = out;
	c.del_label = labels ? labels->deleted : NULL;
	c.ins_label = labels ? labels->inserted : NULL;
	c.budget = CMP_MAX_TOTAL_CELLS;
	while (p < na && p < nb && block_eq(&a[p], &b[p]))
		p++;
	while (s < na - p && s < nb - p && block_eq(&a[na - 1 - s], &b[nb - 1 - s]))
		s++;
	for (i = 0; i < p; i++)
		render_whole(&c, &b[i], SAME);
	rc = render_middle(&c, na ? a + p : a, na - p - s, nb ? b + p : b, nb - p - s);
	for (i = nb - s; rc == 0 && i < nb; i++)
		render_whole(&c, &b[i], SAME);
	free(c.tab);
	if (rc < 0 || buf_failed(out)) {
		buf_truncate(out, start);
		return err_oom(e);
	}
	if (st)
		*st = c.st;
	return 0;
}
