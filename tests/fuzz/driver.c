/*
 * driver.c - runs a libFuzzer harness without libFuzzer: every file of the
 * given corpus folders as it is, then a bounded number of deterministic
 * mutations of them (byte flips, truncations, cut-and-splice at random
 * boundaries, inserted syntax tokens). `make test` uses it as a fuzz
 * smoke test under the sanitizers; real fuzzing uses clang's libFuzzer
 * with the same harness (see each harness's header).
 *
 *   driver ITERATIONS DIR...
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *files[4096];
static size_t sizes[4096];
static size_t nfiles;

static void load(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		fprintf(stderr, "driver: %s: cannot open\n", dir);
		exit(2);
	}
	while ((de = readdir(d)) != NULL && nfiles < 4096) {
		char path[4096];
		FILE *f;
		long n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 20) &&
		    fseek(f, 0, SEEK_SET) == 0) {
			files[nfiles] = malloc((size_t)n + 1);
			if (files[nfiles] && fread(files[nfiles], 1, (size_t)n, f) == (size_t)n)
				sizes[nfiles++] = (size_t)n;
			else
				free(files[nfiles]);
		}
		fclose(f);
	}
	closedir(d);
}

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	static const char *tokens[] = {
	    "{{",  "}}",  "{{#a}}", "{{/a}}", "{{>p}}", "{{<p}}", "{{$b}}", "[[",  "]]",  "\"\"\"",
	    "'''", "\\u", "=",      "\n",     "+++",    "\xff",   "\xc3",   "{{<", ">}}", "[x](",
	    "#",   ".",   "\r\n",   "{",      "}",      "\"",     "\0",     "\t"};
	long iters, i;
	int k;

	if (argc < 3) {
		fprintf(stderr, "usage: driver ITERATIONS DIR...\n");
		return 2;
	}
	iters = atol(argv[1]);
	for (k = 2; k < argc; k++)
		load(argv[k]);
	if (nfiles == 0) {
		fprintf(stderr, "driver: empty corpus\n");
		return 2;
	}
	for (i = 0; i < (long)nfiles; i++)
		LLVMFuzzerTestOneInput((const uint8_t *)files[i], sizes[i]);
	for (i = 0; i < iters; i++) {
		size_t a = next() % nfiles, b = next() % nfiles;
		size_t cap = sizes[a] + sizes[b] + 64, len = 0, m, n = 1 + next() % 4;
		char *buf = malloc(cap);

		if (!buf)
			return 1;
		/* splice: a prefix of one input and a suffix of another */
		m = sizes[a] ? next() % (sizes[a] + 1) : 0;
		memcpy(buf, files[a], m);
		len = m;
		if (next() % 2 && sizes[b]) {
			size_t from = next() % sizes[b];

			memcpy(buf + len, files[b] + from, sizes[b] - from);
			len += sizes[b] - from;
		}
		while (n--) {
			size_t at = len ? next() % (len + 1) : 0;
			const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
			size_t tl = t[0] ? strlen(t) : 1;

			switch (next() % 3) {
			case 0: /* insert a token */
				if (len + tl < cap) {
					memmove(buf + at + tl, buf + at, len - at);
					memcpy(buf + at, t, tl);
					len += tl;
				}
				break;
			case 1: /* flip a byte */
				if (len)
					buf[next() % len] ^= (char)(1u << (next() % 8));
				break;
			default: /* truncate */
				len = at;
			}
		}
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		free(buf);
	}
	for (i = 0; i < (long)nfiles; i++)
		free(files[i]);
	printf("driver: %zu corpus inputs and %ld mutations ran\n", nfiles, iters);
	return 0;
}
