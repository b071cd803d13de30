/*
 * fuzz_markdown.c - libFuzzer harness for a page: front matter split, the
 * TOML front matter, then the Markdown module with link and shortcode
 * hooks that accept everything (so every code path runs).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon -Igenerator \
 *       tests/fuzz/fuzz_markdown.c generator/markdown.c common/[a-z]*.c \
 *       -lcmark -lm -o /tmp/fuzz_markdown
 *   /tmp/fuzz_markdown -max_len=65536 content/
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int link_ok(void *ctx, const char *dest, int is_image, int line, int col, struct buf *out,
                   struct err *e)
{
	(void)ctx;
	(void)is_image;
	(void)line;
	(void)col;
	(void)e;
	if (strstr(dest, ".md"))
		buf_puts(out, "/x/");
	return 0;
}

static int sc_ok(void *ctx, const struct md_sc *sc, struct buf *out, struct err *e)
{
	(void)ctx;
	(void)e;
	buf_puts(out, sc->name);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	const char *fm, *body;
	size_t fmlen, bodylen;
	int line;
	struct err e;
	struct md_opts o;
	struct md_doc d;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (md_split(copy, size, "fuzz.md", &fm, &fmlen, &body, &bodylen, &line, &e) == 0) {
		if (fm)
			val_free(toml_parse(fm, fmlen, "fuzz.md", 1, &e));
		memset(&o, 0, sizeof o);
		o.file = "fuzz.md";
		o.line_offset = line;
		o.link = link_ok;
		o.shortcode = sc_ok;
		o.unsafe = size % 2;
		if (md_render(body, bodylen, &o, &d, &e) == 0)
			md_doc_free(&d);
	}
	free(copy);
	return 0;
}
