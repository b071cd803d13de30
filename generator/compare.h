/*
 * compare.h - a readable comparison of two versions of a document (the
 * privacy policy, the terms): two lists of plain-text blocks in, HTML with
 * <ins>/<del> out.
 *
 * Algorithm:
 *  - Blocks: the common prefix and suffix of equal blocks (same heading
 *    level, byte-identical text) are trimmed, the middle is compared with a
 *    longest-common-subsequence diff. Each run of removed and added blocks
 *    between two unchanged ones (a "replace" hunk) is paired in order, one
 *    to one: each removed block is paired with the first still unpaired
 *    added block after the last pair that is similar enough (see
 *    CMP_PAIR_PERCENT); the added blocks skipped over are shown as added.
 *    A heading pairs only with a heading, a paragraph only with a paragraph.
 *  - Words of a paired block: tokens are runs of non-whitespace (ASCII
 *    space, tab, newline: UTF-8 is never cut), each keeping the whitespace
 *    that follows it; tokens are equal when their words are (whitespace
 *    differences are not changes). Consecutive removed tokens make one
 *    <del>, consecutive added ones one <ins>, the <del> first.
 *  - Ties in the LCS are broken by a fixed rule (a removal before an
 *    addition), so the same input always gives the same bytes.
 *
 * Limits (any input may be hostile; size never makes it fail):
 *  - an LCS table has at most CMP_MAX_CELLS cells: a middle region of
 *    na' x nb' blocks above it is shown as all its old blocks removed, then
 *    all its new blocks added (no pairing); a pair of blocks with
 *    words_a x words_b above it is not paired (removed + added);
 *  - all word-level comparisons of one cmp_render() together use at most
 *    CMP_MAX_TOTAL_CELLS cells; once that is spent, the remaining candidate
 *    pairs are not paired.
 *
 * HTML, one block per line (each followed by "\n"), all text and labels
 * escaped with esc_html, whitespace kept as it is:
 *   <p class="cmp-same">TEXT</p>
 *   <p class="cmp-removed"><del><span class="visually-hidden">DELETED</span>TEXT</del></p>
 *   <p class="cmp-added"><ins><span class="visually-hidden">INSERTED</span>TEXT</ins></p>
 *   <p class="cmp-changed">same <del>...old</del><ins>...new</ins> same</p>
 * A heading block gets " cmp-heading cmp-hN" after the first class (for a
 * changed block, N is the new block's level).
 */
#ifndef OKIENKO_COMPARE_H
#define OKIENKO_COMPARE_H

#include "buf.h"
#include "err.h"

#include <stddef.h>

/* Largest LCS table (cells) for one comparison: 4,000,000 cells of 2 bytes */
#define CMP_MAX_CELLS ((size_t)4000000)
/* Largest total of word-level LCS cells in one cmp_render() */
#define CMP_MAX_TOTAL_CELLS (16 * CMP_MAX_CELLS)
/* Two blocks pair when 2 * shared / (words_a + words_b) >= 40% (shared =
 * the length of their word LCS; the ratio of Python's difflib). So one
 * word changed in a sentence of three pairs (2*2/6 = 67%), a sentence with
 * one word in common out of five does not (2*1/10 = 20%). Two empty
 * blocks pair. */
#define CMP_PAIR_PERCENT 40

struct cmp_block {
	int heading;      /* 0: not a heading; 1-6: a heading of that level (others: 0) */
	const char *text; /* plain text (UTF-8), not escaped; len bytes, need not be NUL-terminated
	                     (may be NULL when len is 0) */
	size_t len;
};

struct cmp_labels {           /* visually hidden words for screen readers (theme strings) */
	const char *deleted;  /* e.g. "usunięto: "; NULL or "": no hidden span */
	const char *inserted; /* e.g. "dodano: "; NULL or "": no hidden span */
};

struct cmp_stats {
	size_t added, removed, changed, same; /* blocks; changed counts pairs */
};

/* Compares the old blocks a[0..na) with the new b[0..nb) and appends the
 * HTML described above to out. labels may be NULL (no hidden spans); st,
 * when not NULL, is overwritten with the counts. The blocks are only read
 * and may be freed by the caller afterwards. Returns 0, or -1 with e set
 * (ERR_NOMEM: an allocation failed, or out had failed); on -1 out is
 * truncated back to its length on entry and *st is unspecified. */
int cmp_render(const struct cmp_block *a, size_t na, const struct cmp_block *b, size_t nb,
               const struct cmp_labels *labels, struct buf *out, struct cmp_stats *st,
               struct err *e);

#endif
