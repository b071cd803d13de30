/*
 * Unit tests of generator/compare.c: the block and word comparison of two
 * versions of a document and its HTML.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "compare.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define P(s)                                                                                       \
	{                                                                                          \
		0, s, sizeof(s) - 1                                                                \
	}
#define H(n, s)                                                                                    \
	{                                                                                          \
		n, s, sizeof(s) - 1                                                                \
	}
#define N(arr) (sizeof(arr) / sizeof(arr)[0])

#define DEL "<del><span class=\"visually-hidden\">usunięto: </span>"
#define INS "<ins><span class=\"visually-hidden\">dodano: </span>"

static const struct cmp_labels labels = {"usunięto: ", "dodano: "};

/* Compares, expects success, returns the HTML (caller frees). */
static char *render(const struct cmp_block *a, size_t na, const struct cmp_block *b, size_t nb,
                    struct cmp_stats *st)
{
	struct buf out = BUF_INIT;
	struct err e = {0};
	char *s;

	assert_int_equal(cmp_render(a, na, b, nb, &labels, &out, st, &e), 0);
	assert_false(buf_failed(&out));
	s = buf_detach(&out, NULL);
	assert_non_null(s);
	return s;
}

static void expect(const struct cmp_block *a, size_t na, const struct cmp_block *b, size_t nb,
                   const char *want, size_t added, size_t removed, size_t changed, size_t same)
{
	struct cmp_stats st = {99, 99, 99, 99};
	char *s = render(a, na, b, nb, &st);

	assert_string_equal(s, want);
	assert_int_equal(st.added, added);
	assert_int_equal(st.removed, removed);
	assert_int_equal(st.changed, changed);
	assert_int_equal(st.same, same);
	free(s);
}

static void test_identical(void **state)
{
	/* the new version's texts are other copies: equality is by bytes */
	char t0[] = "Polityka prywatności", t1[] = "Administratorem danych jest urząd.",
	     t2[] = "Masz prawo do sprzeciwu.";
	const struct cmp_block a[] = {H(1, "Polityka prywatności"),
	                              P("Administratorem danych jest urząd."),
	                              P("Masz prawo do sprzeciwu.")};
	const struct cmp_block b[] = {
	    {1, t0, strlen(t0)}, {0, t1, strlen(t1)}, {0, t2, strlen(t2)}};

	(void)state;
	expect(a, N(a), b, N(b),
	       "<p class=\"cmp-same cmp-heading cmp-h1\">Polityka prywatności</p>\n"
	       "<p class=\"cmp-same\">Administratorem danych jest urząd.</p>\n"
	       "<p class=\"cmp-same\">Masz prawo do sprzeciwu.</p>\n",
	       0, 0, 0, 3);
}

static void test_added_middle(void **state)
{
	const struct cmp_block a[] = {P("Pierwszy akapit."), P("Ostatni akapit.")};
	const struct cmp_block b[] = {P("Pierwszy akapit."), P("Zupełnie nowy fragment tekstu."),
	                              P("Ostatni akapit.")};

	(void)state;
	expect(a, N(a), b, N(b),
	       "<p class=\"cmp-same\">Pierwszy akapit.</p>\n"
	       "<p class=\"cmp-added\">" INS "Zupełnie nowy fragment tekstu.</ins></p>\n"
	       "<p class=\"cmp-same\">Ostatni akapit.</p>\n",
	       1, 0, 0, 2);
}

static void test_removed_middle(void **state)
{
	const struct cmp_block a[] = {P("Pierwszy akapit."), H(3, "Stary rozdział"),
	                              P("Ostatni akapit.")};
	const struct cmp_block b[] = {P("Pierwszy akapit."), P("Ostatni akapit.")};

	(void)state;
	expect(a, N(a), b, N(b),
	       "<p class=\"cmp-same\">Pierwszy akapit.</p>\n"
	       "<p class=\"cmp-removed cmp-heading cmp-h3\">" DEL "Stary rozdział</del></p>\n"
	       "<p class=\"cmp-same\">Ostatni akapit.</p>\n",
	       0, 1, 0, 2);
}

static void test_word_changed(void **state)
{
	const struct cmp_block a1[] = {P("Dane przechowujemy przez 5 lat od końca roku.")};
	const struct cmp_block b1[] = {P("Dane przechowujemy przez 10 lat od końca roku.")};
	const struct cmp_block a2[] = {P("Ala ma kota i psa")};
	const struct cmp_block b2[] = {P("Ala ma dwa koty i psa")};
	const struct cmp_block a3[] = {P("a b c d")};
	const struct cmp_block b3[] = {P("a c d")};
	const struct cmp_block b4[] = {P("a b c d e")};

	(void)state;
	expect(a1, 1, b1, 1,
	       "<p class=\"cmp-changed\">Dane przechowujemy przez " DEL "5</del>" INS
	       "10</ins> lat od końca roku.</p>\n",
	       0, 0, 1, 0);
	/* consecutive words: one <del>, one <ins>, the <del> first */
	expect(a2, 1, b2, 1,
	       "<p class=\"cmp-changed\">Ala ma " DEL "kota</del>" INS "dwa koty</ins> i psa</p>\n",
	       0, 0, 1, 0);
	/* a removal alone, an addition alone */
	expect(a3, 1, b3, 1, "<p class=\"cmp-changed\">a " DEL "b</del> c d</p>\n", 0, 0, 1, 0);
	expect(b3, 1, a3, 1, "<p class=\"cmp-changed\">a " INS "b</ins> c d</p>\n", 0, 0, 1, 0);
	/* at the end: the old word's whitespace separates it */
	expect(a3, 1, b4, 1, "<p class=\"cmp-changed\">a b c d " INS "e</ins></p>\n", 0, 0, 1, 0);
	expect(b4, 1, a3, 1, "<p class=\"cmp-changed\">a b c d " DEL "e</del></p>\n", 0, 0, 1, 0);
}

static void test_whitespace_kept(void **state)
{
	const struct cmp_block a[] = {P("a\tb  c\nd")};
	const struct cmp_block b[] = {P("a\tB  c\nd\n")};
	const struct cmp_block c[] = {P("  x y\n")};
	const struct cmp_block d[] = {P("  x z\n")};

	(void)state;
	expect(a, 1, b, 1, "<p class=\"cmp-changed\">a\t" DEL "b</del>" INS "B</ins>  c\nd\n</p>\n",
	       0, 0, 1, 0);
	expect(c, 1, d, 1, "<p class=\"cmp-changed\">  x " DEL "y</del>" INS "z</ins>\n</p>\n", 0,
	       0, 1, 0);
	/* whitespace alone differs: a changed block without marks */
	expect(a, 1, (const struct cmp_block[]){P("a b c d")}, 1,
	       "<p class=\"cmp-changed\">a b c d</p>\n", 0, 0, 1, 0);
}

static void test_escaping_polish(void **state)
{
	const struct cmp_block a[] = {P("\"Cudzysłów\" & <ąę> ł"),
	                              P("Wniosek „A” składa się w urzędzie <b>&</b> 'tu'"),
	                              P("<script>alert(1)</script> złośliwy")};
	const struct cmp_block b[] = {P("\"Cudzysłów\" & <ąę> ł"),
	                              P("Wniosek „B” składa się w urzędzie <b>&</b> 'tu'")};
	const struct cmp_labels odd = {"<u>", "\"&\""};
	struct buf out = BUF_INIT;
	struct err e = {0};

	(void)state;
	expect(a, N(a), b, N(b),
	       "<p class=\"cmp-same\">&quot;Cudzysłów&quot; &amp; &lt;ąę&gt; ł</p>\n"
	       "<p class=\"cmp-changed\">Wniosek " DEL "„A”</del>" INS "„B”</ins> składa się w "
	       "urzędzie &lt;b&gt;&amp;&lt;/b&gt; &#39;tu&#39;</p>\n"
	       "<p class=\"cmp-removed\">" DEL "&lt;script&gt;alert(1)&lt;/script&gt; "
	       "złośliwy</del></p>\n",
	       0, 1, 1, 1);
	/* the labels are escaped too */
	assert_int_equal(cmp_render(a + 2, 1, b, 1, &odd, &out, NULL, &e), 0);
	assert_string_equal(out.ptr,
	                    "<p class=\"cmp-removed\"><del><span "
	                    "class=\"visually-hidden\">&lt;u&gt;</span>&lt;script&gt;alert("
	                    "1)&lt;/script&gt; złośliwy</del></p>\n"
	                    "<p class=\"cmp-added\"><ins><span "
	                    "class=\"visually-hidden\">&quot;&amp;&quot;</span>&quot;"
	                    "Cudzysłów&quot; &amp; &lt;ąę&gt; ł</ins></p>\n");
	buf_free(&out);
}

static void test_heading_changed(void **state)
{
	const struct cmp_block a[] = {H(2, "Twoje prawa"), P("Treść.")};
	const struct cmp_block b[] = {H(2, "Twoje uprawnienia"), P("Treść.")};
	const struct cmp_block lv2[] = {H(2, "Kontakt")};
	const struct cmp_block lv3[] = {H(3, "Kontakt")};
	const struct cmp_block para[] = {P("Kontakt")};

	(void)state;
	expect(a, N(a), b, N(b),
	       "<p class=\"cmp-changed cmp-heading cmp-h2\">Twoje " DEL "prawa</del>" INS
	       "uprawnienia</ins></p>\n"
	       "<p class=\"cmp-same\">Treść.</p>\n",
	       0, 0, 1, 1);
	/* the level alone changed */
	expect(lv2, 1, lv3, 1, "<p class=\"cmp-changed cmp-heading cmp-h3\">Kontakt</p>\n", 0, 0, 1,
	       0);
	/* a heading never pairs with a paragraph */
	expect(lv2, 1, para, 1,
	       "<p class=\"cmp-removed cmp-heading cmp-h2\">" DEL "Kontakt</del></p>\n"
	       "<p class=\"cmp-added\">" INS "Kontakt</ins></p>\n",
	       1, 1, 0, 0);
}

static void test_different_texts(void **state)
{
	const struct cmp_block a[] = {P("Ala ma kota."), P("Wspólny akapit.")};
	const struct cmp_block b[] = {P("Urząd pracy zaprasza na szkolenia."),
	                              P("Wspólny akapit.")};
	/* the threshold: 2 * 2 / (5 + 5) = 40% pairs, 2 * 2 / (5 + 6) = 36% does not */
	const struct cmp_block t5[] = {P("a b c d e")};
	const struct cmp_block u5[] = {P("a b x y z")};
	const struct cmp_block u6[] = {P("a b x y z w")};

	(void)state;
	expect(a, N(a), b, N(b),
	       "<p class=\"cmp-removed\">" DEL "Ala ma kota.</del></p>\n"
	       "<p class=\"cmp-added\">" INS "Urząd pracy zaprasza na szkolenia.</ins></p>\n"
	       "<p class=\"cmp-same\">Wspólny akapit.</p>\n",
	       1, 1, 0, 1);
	expect(t5, 1, u5, 1,
	       "<p class=\"cmp-changed\">a b " DEL "c d e</del>" INS "x y z</ins></p>\n", 0, 0, 1,
	       0);
	expect(t5, 1, u6, 1,
	       "<p class=\"cmp-removed\">" DEL "a b c d e</del></p>\n"
	       "<p class=\"cmp-added\">" INS "a b x y z w</ins></p>\n",
	       1, 1, 0, 0);
}

/* In a replace hunk a removed block pairs with the first similar added one
 * after the last pair; the added blocks skipped over show as added. */
static void test_replace_hunk(void **state)
{
	const struct cmp_block a[] = {P("Wstęp."), P("Ala ma kota."),
	                              P("Urząd jest otwarty od 8 do 16."), P("Koniec.")};
	const struct cmp_block b[] = {P("Wstęp."), P("Nowy akapit o czymś zupełnie innym."),
	                              P("Urząd jest otwarty od 8 do 15."), P("Koniec.")};

	(void)state;
	expect(a, N(a), b, N(b),
	       "<p class=\"cmp-same\">Wstęp.</p>\n"
	       "<p class=\"cmp-removed\">" DEL "Ala ma kota.</del></p>\n"
	       "<p class=\"cmp-added\">" INS "Nowy akapit o czymś zupełnie innym.</ins></p>\n"
	       "<p class=\"cmp-changed\">Urząd jest otwarty od 8 do " DEL "16.</del>" INS
	       "15.</ins></p>\n"
	       "<p class=\"cmp-same\">Koniec.</p>\n",
	       1, 1, 1, 2);
}

static void test_empty_sides(void **state)
{
	const struct cmp_block a[] = {H(2, "Kontakt"), P("Tel. 123.")};

	(void)state;
	expect(NULL, 0, a, N(a),
	       "<p class=\"cmp-added cmp-heading cmp-h2\">" INS "Kontakt</ins></p>\n"
	       "<p class=\"cmp-added\">" INS "Tel. 123.</ins></p>\n",
	       2, 0, 0, 0);
	expect(a, N(a), NULL, 0,
	       "<p class=\"cmp-removed cmp-heading cmp-h2\">" DEL "Kontakt</del></p>\n"
	       "<p class=\"cmp-removed\">" DEL "Tel. 123.</del></p>\n",
	       0, 2, 0, 0);
	expect(NULL, 0, NULL, 0, "", 0, 0, 0, 0);
	/* empty blocks: NULL text with length 0 */
	expect((const struct cmp_block[]){{0, NULL, 0}}, 1,
	       (const struct cmp_block[]){{0, NULL, 0}}, 1, "<p class=\"cmp-same\"></p>\n", 0, 0, 0,
	       1);
	/* blocks without words pair with each other (whitespace is kept) */
	expect((const struct cmp_block[]){P("")}, 1, (const struct cmp_block[]){P(" \n")}, 1,
	       "<p class=\"cmp-changed\"> \n</p>\n", 0, 0, 1, 0);
}

/* labels may be NULL: no hidden spans; heading levels out of 1-6 are
 * paragraphs; out keeps what it held */
static void test_no_labels(void **state)
{
	const struct cmp_block a[] = {P("a b c")}, b[] = {{9, "a x c", 5}};
	struct buf out = BUF_INIT;
	struct err e = {0};

	(void)state;
	buf_puts(&out, "<!-- before -->\n");
	assert_int_equal(cmp_render(a, 1, b, 1, NULL, &out, NULL, &e), 0);
	assert_string_equal(
	    out.ptr,
	    "<!-- before -->\n<p class=\"cmp-changed\">a <del>b</del><ins>x</ins> c</p>\n");
	buf_free(&out);
}

static void test_failed_buffer(void **state)
{
	const struct cmp_block a[] = {P("a")};
	struct buf out = BUF_INIT;
	struct err e = {0};

	(void)state;
	out.failed = 1;
	assert_int_equal(cmp_render(a, 1, a, 1, &labels, &out, NULL, &e), -1);
	assert_int_equal(e.kind, ERR_NOMEM);
	assert_int_equal(out.len, 0);
}

/* n blocks "Punkt K regulaminu w WORD brzmieniu." in storage s */
static struct cmp_block *numbered(size_t n, const char *word, char (**s)[64])
{
	struct cmp_block *k = calloc(n, sizeof *k);
	size_t i;

	*s = calloc(n, sizeof **s);
	assert_non_null(k);
	assert_non_null(*s);
	for (i = 0; i < n; i++) {
		snprintf((*s)[i], sizeof(*s)[i], "Punkt %zu regulaminu w %s brzmieniu.", i, word);
		k[i].text = (*s)[i];
		k[i].len = strlen((*s)[i]);
	}
	return k;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 3000 x 3000 blocks (plus an unchanged first and last one): over
 * CMP_MAX_CELLS, so all old blocks removed, then all new added, though
 * each pair would be similar; 200 x 200 of the same pair up. */
static void test_block_fallback(void **state)
{
	const size_t n = 3000;
	char(*sa)[64], (*sb)[64];
	struct cmp_block *a = numbered(n + 2, "starym", &sa), *b = numbered(n + 2, "nowym", &sb);
	struct cmp_stats st;
	struct buf want = BUF_INIT;
	char *s;
	size_t i;
	double t;

	(void)state;
	assert_true(n * n > CMP_MAX_CELLS);
	a[0] = b[0] = (struct cmp_block)P("Wstęp.");
	a[n + 1] = b[n + 1] = (struct cmp_block)H(2, "Koniec");
	t = seconds();
	s = render(a, n + 2, b, n + 2, &st);
	t = seconds() - t;
	print_message("3000 x 3000 blocks: %.3f s\n", t);
	buf_puts(&want, "<p class=\"cmp-same\">Wstęp.</p>\n");
	for (i = 1; i <= n; i++)
		buf_printf(&want, "<p class=\"cmp-removed\">" DEL "%s</del></p>\n", sa[i]);
	for (i = 1; i <= n; i++)
		buf_printf(&want, "<p class=\"cmp-added\">" INS "%s</ins></p>\n", sb[i]);
	buf_puts(&want, "<p class=\"cmp-same cmp-heading cmp-h2\">Koniec</p>\n");
	assert_string_equal(s, want.ptr);
	assert_int_equal(st.removed, n);
	assert_int_equal(st.added, n);
	assert_int_equal(st.changed, 0);
	assert_int_equal(st.same, 2);
	free(s);
	/* below the limit the same blocks pair up */
	s = render(a + 1, 200, b + 1, 200, &st);
	assert_int_equal(st.changed, 200);
	assert_non_null(strstr(s, "<p class=\"cmp-changed\">Punkt 7 regulaminu w " DEL
	                          "starym</del>" INS "nowym</ins> brzmieniu.</p>\n"));
	free(s);
	buf_free(&want);
	free(a);
	free(b);
	free(sa);
	free(sb);
}

/* A block of n words "w0 w1 ...", word `k` replaced by "ZMIANA" (none if
 * k >= n); caller frees. */
static char *many_words(size_t n, size_t k)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i == k)
			buf_puts(&b, "ZMIANA");
		else
			buf_printf(&b, "w%zu", i);
		if (i + 1 < n)
			buf_putc(&b, ' ');
	}
	return buf_detach(&b, NULL);
}

/* words_a x words_b over CMP_MAX_CELLS: removed + added instead of a
 * pair; just below it: a pair */
static void test_word_fallback(void **state)
{
	char *big_a = many_words(2001, 5000), *big_b = many_words(2001, 1000);
	char *ok_a = many_words(1999, 5000), *ok_b = many_words(1999, 1000);
	struct cmp_block a = {0, big_a, strlen(big_a)}, b = {0, big_b, strlen(big_b)};
	struct cmp_stats st;
	char *s;

	(void)state;
	assert_true(2001 * 2001 > CMP_MAX_CELLS && 1999 * 1999 <= CMP_MAX_CELLS);
	s = render(&a, 1, &b, 1, &st);
	assert_int_equal(st.removed, 1);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.changed, 0);
	assert_int_equal(strncmp(s, "<p class=\"cmp-removed\">", 23), 0);
	assert_non_null(strstr(s, "</del></p>\n<p class=\"cmp-added\">" INS "w0 w1 "));
	free(s);
	a = (struct cmp_block){0, ok_a, strlen(ok_a)};
	b = (struct cmp_block){0, ok_b, strlen(ok_b)};
	s = render(&a, 1, &b, 1, &st);
	assert_int_equal(st.changed, 1);
	assert_non_null(strstr(s, " w999 " DEL "w1000</del>" INS "ZMIANA</ins> w1001 "));
	free(s);
	free(big_a);
	free(big_b);
	free(ok_a);
	free(ok_b);
}

/* The word-level work of one render is capped at CMP_MAX_TOTAL_CELLS: 20
 * pairs of 1999 x 1999 words, only the first ones fit in it. */
static void test_work_budget(void **state)
{
	char *old = many_words(1999, 5000), *new = many_words(1999, 3);
	struct cmp_block a[20], b[20];
	size_t i, fit = CMP_MAX_TOTAL_CELLS / ((size_t)1999 * 1999);
	struct cmp_stats st;
	char *s;

	(void)state;
	for (i = 0; i < 20; i++) {
		a[i] = (struct cmp_block){0, old, strlen(old)};
		b[i] = (struct cmp_block){0, new, strlen(new)};
	}
	assert_true(fit < 20);
	s = render(a, 20, b, 20, &st);
	assert_int_equal(st.changed, fit);
	assert_int_equal(st.removed, 20 - fit);
	assert_int_equal(st.added, 20 - fit);
	free(s);
	free(old);
	free(new);
}

static void test_deterministic(void **state)
{
	const struct cmp_block a[] = {H(1, "Regulamin"), P("x y z"),       P("x y z"),
	                              P("Ala ma kota."), P("a b a b a b"), H(2, "Kontakt"),
	                              P("Tel. 1.")};
	const struct cmp_block b[] = {H(1, "Regulamin"), P("x y z"),      P("Ala ma psa."),
	                              P("b a b a b a"),  H(2, "Kontakt"), P("Tel. 2.")};
	const struct cmp_block xy[] = {P("Pierwszy."), P("Drugi.")};
	const struct cmp_block yx[] = {P("Drugi."), P("Pierwszy.")};
	struct buf one = BUF_INIT, two = BUF_INIT;
	struct err e = {0};

	(void)state;
	buf_puts(&two, "prefix");
	assert_int_equal(cmp_render(a, N(a), b, N(b), &labels, &one, NULL, &e), 0);
	assert_int_equal(cmp_render(a, N(a), b, N(b), &labels, &two, NULL, &e), 0);
	assert_true(one.len > 0);
	assert_int_equal(two.len, one.len + 6);
	assert_memory_equal(two.ptr + 6, one.ptr, one.len);
	/* and the ties are broken the documented way: removals first */
	assert_string_equal(
	    one.ptr, "<p class=\"cmp-same cmp-heading cmp-h1\">Regulamin</p>\n"
	             "<p class=\"cmp-same\">x y z</p>\n"
	             "<p class=\"cmp-removed\">" DEL "x y z</del></p>\n"
	             "<p class=\"cmp-changed\">Ala ma " DEL "kota.</del>" INS "psa.</ins></p>\n"
	             "<p class=\"cmp-changed\">" DEL "a</del> b a b a b " INS "a</ins></p>\n"
	             "<p class=\"cmp-same cmp-heading cmp-h2\">Kontakt</p>\n"
	             "<p class=\"cmp-changed\">Tel. " DEL "1.</del>" INS "2.</ins></p>\n");
	/* two equally long block LCSs: the removal comes first */
	expect(xy, 2, yx, 2,
	       "<p class=\"cmp-removed\">" DEL "Pierwszy.</del></p>\n"
	       "<p class=\"cmp-same\">Drugi.</p>\n"
	       "<p class=\"cmp-added\">" INS "Pierwszy.</ins></p>\n",
	       1, 1, 0, 1);
	buf_free(&one);
	buf_free(&two);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identical),       cmocka_unit_test(test_added_middle),
	    cmocka_unit_test(test_removed_middle),  cmocka_unit_test(test_word_changed),
	    cmocka_unit_test(test_whitespace_kept), cmocka_unit_test(test_escaping_polish),
	    cmocka_unit_test(test_heading_changed), cmocka_unit_test(test_different_texts),
	    cmocka_unit_test(test_replace_hunk),    cmocka_unit_test(test_empty_sides),
	    cmocka_unit_test(test_no_labels),       cmocka_unit_test(test_failed_buffer),
	    cmocka_unit_test(test_block_fallback),  cmocka_unit_test(test_word_fallback),
	    cmocka_unit_test(test_work_budget),     cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests_name("compare", tests, NULL, NULL);
}
