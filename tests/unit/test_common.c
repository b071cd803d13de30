/*
 * Unit tests of common/: the parallel for-loop (parallel.c), files on disk
 * (fsutil.c) and the value tree (value.c).
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "parallel.h"
#include "theme.h"
#include "value.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- parallel.c ---- */

#define PAR_N_MAX 1000

struct count_run {
	atomic_int counts[PAR_N_MAX];
	int limit;             /* worker ids must be below this */
	atomic_int bad_worker; /* ids seen outside [0, limit) */
};

/* Counts each index; cmocka's asserts are not thread-safe, so problems are
 * recorded here and checked by the caller. */
static int count_item(size_t i, int worker, void *arg, struct err *e)
{
	struct count_run *r = arg;

	(void)e;
	if (worker < 0 || worker >= r->limit)
		atomic_fetch_add(&r->bad_worker, 1);
	atomic_fetch_add(&r->counts[i], 1);
	return 0;
}

static void test_par_every_item_once(void **state)
{
	static struct count_run r;
	static const size_t ns[] = {0, 1, 2, 7, 1000};
	static const int jobs[] = {1, 2, 3, 8, 64, 100};
	size_t a, b, i;

	(void)state;
	for (a = 0; a < sizeof ns / sizeof ns[0]; a++) {
		for (b = 0; b < sizeof jobs / sizeof jobs[0]; b++) {
			struct err e = {0};
			size_t lim = ns[a];

			if ((size_t)jobs[b] < lim)
				lim = (size_t)jobs[b];
			if (lim > PAR_MAX_JOBS)
				lim = PAR_MAX_JOBS;
			for (i = 0; i < PAR_N_MAX; i++)
				atomic_store(&r.counts[i], 0);
			atomic_store(&r.bad_worker, 0);
			r.limit = (int)lim;
			assert_int_equal(par_run(ns[a], jobs[b], count_item, &r, &e), 0);
			for (i = 0; i < PAR_N_MAX; i++)
				if (atomic_load(&r.counts[i]) != (i < ns[a] ? 1 : 0))
					fail_msg("n=%zu jobs=%d: item %zu ran %d times", ns[a],
					         jobs[b], i, atomic_load(&r.counts[i]));
			if (atomic_load(&r.bad_worker) != 0)
				fail_msg("n=%zu jobs=%d: %d worker ids outside [0, %zu)", ns[a],
				         jobs[b], atomic_load(&r.bad_worker), lim);
		}
	}
}

/* jobs of 0 or below run everything on the caller's thread (worker 0). */
static void test_par_jobs_below_one(void **state)
{
	static struct count_run r;
	static const int jobs[] = {0, -1, -100};
	size_t b, i;

	(void)state;
	for (b = 0; b < sizeof jobs / sizeof jobs[0]; b++) {
		for (i = 0; i < PAR_N_MAX; i++)
			atomic_store(&r.counts[i], 0);
		atomic_store(&r.bad_worker, 0);
		r.limit = 1;
		assert_int_equal(par_run(50, jobs[b], count_item, &r, NULL), 0);
		for (i = 0; i < 50; i++)
			assert_int_equal(atomic_load(&r.counts[i]), 1);
		assert_int_equal(atomic_load(&r.bad_worker), 0);
	}
}

struct fail_run {
	atomic_int late_fail; /* item 700 failed while item 3 was still asleep */
	atomic_int in_three;
};

/* Items 3 and 700 fail, each with its own message; item 3 sleeps first,
 * so that with two threads or more item 700 fails first in time. */
static int fail_item(size_t i, int worker, void *arg, struct err *e)
{
	struct fail_run *r = arg;

	(void)worker;
	if (i == 3) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		atomic_store(&r->in_three, 1);
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		atomic_store(&r->in_three, 0);
		return err_kind_set(e, ERR_IO, "item 3 failed");
	}
	if (i == 700) {
		if (atomic_load(&r->in_three))
			atomic_fetch_add(&r->late_fail, 1);
		return err_set(e, "item 700 failed");
	}
	return 0;
}

static void test_par_lowest_failure_wins(void **state)
{
	static const int jobs[] = {1, 2, 4, 8};
	size_t b;
	int rep;

	(void)state;
	for (b = 0; b < sizeof jobs / sizeof jobs[0]; b++) {
		struct fail_run r;

		atomic_init(&r.late_fail, 0);
		atomic_init(&r.in_three, 0);
		for (rep = 0; rep < 20; rep++) {
			struct err e = {0};

			assert_int_equal(par_run(1000, jobs[b], fail_item, &r, &e), -1);
			if (strcmp(e.msg, "item 3 failed") != 0)
				fail_msg("jobs=%d rep=%d: got \"%s\"", jobs[b], rep, e.msg);
			assert_int_equal(e.kind, ERR_IO);
		}
		/* the race the test is about did happen at least once */
		if (jobs[b] > 1 && atomic_load(&r.late_fail) == 0)
			fail_msg("jobs=%d: item 700 never failed before item 3", jobs[b]);
	}
	/* a NULL err is allowed */
	assert_int_equal(par_run(1000, 4, fail_item, &(struct fail_run){0}, NULL), -1);
}

static void test_par_success_leaves_e(void **state)
{
	static struct count_run r;
	struct err e;

	(void)state;
	memset(&e, 0, sizeof e);
	strcpy(e.msg, "untouched");
	e.kind = ERR_NOMEM;
	r.limit = 4;
	assert_int_equal(par_run(100, 4, count_item, &r, &e), 0);
	assert_string_equal(e.msg, "untouched");
	assert_int_equal(e.kind, ERR_NOMEM);
	e.kind = ERR_NONE;
	assert_int_equal(par_run(0, 4, count_item, &r, &e), 0);
	assert_string_equal(e.msg, "untouched");
	assert_int_equal(e.kind, ERR_NONE);
}

/* ---- fsutil.c ---- */

static char tmpdir[64];

static int fs_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/okienko-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int fs_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir/rel, in one of a few rotating static buffers. */
static const char *at(const char *rel)
{
	static char bufs[8][512];
	static int k;
	char *p = bufs[k++ % 8];

	snprintf(p, sizeof bufs[0], "%s/%s", tmpdir, rel);
	return p;
}

/* Reads a file with stdio (not fs_read): its bytes or fails the test. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = malloc(4096);
	size_t n;

	if (!f || !p)
		fail_msg("cannot read %s", path);
	n = fread(p, 1, 4096, f);
	fclose(f);
	*len = n;
	return p;
}

static void assert_file(const char *path, const void *data, size_t len)
{
	size_t n;
	char *p = slurp(path, &n);

	assert_int_equal(n, len);
	assert_memory_equal(p, data, len);
	free(p);
}

static void put(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("cannot create %s", path);
	fputs(s, f);
	fclose(f);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries of a folder other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		fail_msg("cannot open %s", dir);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void test_fs_write_creates(void **state)
{
	struct err e = {0};
	static const char data[] = "x\0y\n\xff";

	(void)state;
	assert_int_equal(fs_write(at("a/b/c.txt"), data, 5, 0, &e), 0);
	assert_file(at("a/b/c.txt"), data, 5);
	assert_int_equal(fs_write(at("d/e/f.bin"), data, 5, 1, &e), 0);
	assert_file(at("d/e/f.bin"), data, 5);
	assert_int_equal(count_entries(at("d/e")), 1);
	/* an empty file */
	assert_int_equal(fs_write(at("empty"), "", 0, 1, &e), 0);
	assert_file(at("empty"), "", 0);
}

static void test_fs_write_replaces(void **state)
{
	struct err e = {0};

	(void)state;
	assert_int_equal(fs_mkdirs(at("r"), &e), 0);
	put(at("r/f.txt"), "old old old");
	assert_int_equal(fs_write(at("r/f.txt"), "new", 3, 1, &e), 0);
	assert_file(at("r/f.txt"), "new", 3);
	assert_int_equal(count_entries(at("r")), 1); /* no temporary file left */
	/* non-atomic truncates */
	assert_int_equal(fs_write(at("r/f.txt"), "x", 1, 0, &e), 0);
	assert_file(at("r/f.txt"), "x", 1);
	assert_int_equal(count_entries(at("r")), 1);
}

static void test_fs_write_parent_is_file(void **state)
{
	static const char *const rels[] = {"plain/x.txt", "plain/sub/x.txt"};
	size_t k;
	int atomic;

	(void)state;
	put(at("plain"), "i am a file");
	for (k = 0; k < 2; k++) {
		for (atomic = 0; atomic <= 1; atomic++) {
			struct err e = {0};
			const char *path = at(rels[k]);

			assert_int_equal(fs_write(path, "data", 4, atomic, &e), -1);
			assert_int_equal(e.kind, ERR_IO);
			if (!strstr(e.msg, path))
				fail_msg("message \"%s\" does not name %s", e.msg, path);
		}
	}
	assert_file(at("plain"), "i am a file", 11);
	assert_int_equal(count_entries(tmpdir), 1);
}

static void test_fs_read(void **state)
{
	struct err e = {0};
	size_t len = 99;
	char *p;

	(void)state;
	assert_int_equal(fs_write(at("r.bin"), "abc\0def", 7, 0, &e), 0);
	p = fs_read(at("r.bin"), 100, &len, &e);
	assert_non_null(p);
	assert_int_equal(len, 7);
	assert_memory_equal(p, "abc\0def", 8); /* the NUL after the data too */
	free(p);
	p = fs_read(at("r.bin"), 7, NULL, &e); /* exactly at the limit */
	assert_non_null(p);
	free(p);
	p = fs_read(at("r.bin"), 6, &len, &e);
	assert_null(p);
	assert_int_equal(e.kind, ERR_INPUT);
	assert_non_null(strstr(e.msg, "file too large"));
	assert_non_null(strstr(e.msg, at("r.bin")));

	assert_int_equal(fs_write(at("empty"), "", 0, 0, &e), 0);
	p = fs_read(at("empty"), 0, &len, &e);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_int_equal(p[0], '\0');
	free(p);

	e.kind = ERR_NONE;
	assert_null(fs_read(at("missing"), 100, &len, &e));
	assert_int_equal(e.kind, ERR_IO);
	assert_non_null(strstr(e.msg, at("missing")));
}

static void test_fs_rmtree(void **state)
{
	struct err e = {0};

	(void)state;
	assert_int_equal(fs_mkdirs(at("t/a/b/c"), &e), 0);
	assert_int_equal(fs_mkdirs(at("t/d"), &e), 0);
	assert_int_equal(fs_mkdirs(at("outside"), &e), 0);
	put(at("t/f"), "1");
	put(at("t/a/f"), "2");
	put(at("t/a/b/c/f"), "3");
	put(at("outside/keep"), "4");
	/* a link to a folder out of the tree: removed, not followed */
	assert_int_equal(symlink(at("outside"), at("t/a/link")), 0);
	assert_int_equal(fs_rmtree(at("t"), &e), 0);
	assert_false(exists(at("t")));
	assert_file(at("outside/keep"), "4", 1);
	/* a missing path, a single file */
	assert_int_equal(fs_rmtree(at("t"), &e), 0);
	assert_int_equal(fs_rmtree(at("no/such/path"), &e), 0);
	assert_int_equal(fs_rmtree(at("outside/keep"), &e), 0);
	assert_false(exists(at("outside/keep")));
	assert_true(exists(at("outside")));
}

static void test_fs_switch(void **state)
{
	struct err e = {0};

	(void)state;
	/* target exists: exchanged, the old tree removed */
	assert_int_equal(fs_write(at("live/index.html"), "old", 3, 0, &e), 0);
	assert_int_equal(fs_write(at("live/gone/page.html"), "old page", 8, 0, &e), 0);
	assert_int_equal(fs_write(at("fresh/index.html"), "new", 3, 0, &e), 0);
	assert_int_equal(fs_write(at("fresh/sub/page.html"), "new page", 8, 0, &e), 0);
	assert_int_equal(fs_switch(at("fresh"), at("live"), &e), 0);
	assert_file(at("live/index.html"), "new", 3);
	assert_file(at("live/sub/page.html"), "new page", 8);
	assert_false(exists(at("live/gone")));
	assert_false(exists(at("fresh")));

	/* target missing: renamed */
	assert_int_equal(fs_write(at("fresh2/index.html"), "first", 5, 0, &e), 0);
	assert_int_equal(fs_switch(at("fresh2"), at("live2"), &e), 0);
	assert_file(at("live2/index.html"), "first", 5);
	assert_false(exists(at("fresh2")));

	/* failure: target untouched */
	e.kind = ERR_NONE;
	assert_int_equal(fs_switch(at("no-such-fresh"), at("live"), &e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_non_null(strstr(e.msg, at("no-such-fresh")));
	assert_file(at("live/index.html"), "new", 3);
	assert_file(at("live/sub/page.html"), "new page", 8);
	e.kind = ERR_NONE;
	assert_int_equal(fs_switch(at("no-such-fresh"), at("live3"), &e), -1);
	assert_int_equal(e.kind, ERR_IO);
	assert_false(exists(at("live3")));
}

/* ---- value.c ---- */

/* The mutable child of a table, found without val_get (test-only). */
static struct val *child(struct val *tab, const char *key)
{
	size_t i;

	for (i = 0; i < tab->u.tab.n; i++)
		if (strcmp(tab->u.tab.kv[i].key, key) == 0)
			return tab->u.tab.kv[i].v;
	fail_msg("no key %s", key);
	return NULL;
}

static void test_val_constructors(void **state)
{
	struct val *v;

	(void)state;
	v = val_bool(5);
	assert_int_equal(v->type, VAL_BOOL);
	assert_int_equal(v->u.b, 1);
	val_free(v);
	v = val_bool(0);
	assert_int_equal(v->u.b, 0);
	val_free(v);
	v = val_int(-7);
	assert_int_equal(v->type, VAL_INT);
	assert_true(v->u.i == -7);
	val_free(v);
	v = val_float(2.5);
	assert_int_equal(v->type, VAL_FLOAT);
	assert_true(v->u.f == 2.5);
	val_free(v);
	v = val_str("abc");
	assert_int_equal(v->type, VAL_STRING);
	assert_int_equal(v->u.str.len, 3);
	assert_memory_equal(v->u.str.s, "abc", 4);
	val_free(v);
	v = val_strn("abcdef", 3); /* copies 3 bytes and terminates them */
	assert_int_equal(v->u.str.len, 3);
	assert_memory_equal(v->u.str.s, "abc", 4);
	val_free(v);
	v = val_strn("a\0b", 3);
	assert_int_equal(v->u.str.len, 3);
	assert_memory_equal(v->u.str.s, "a\0b", 4);
	val_free(v);
	v = val_strn("xyz", 0);
	assert_int_equal(v->u.str.len, 0);
	assert_int_equal(v->u.str.s[0], '\0');
	val_free(v);
	v = val_datetime(DT_DATE, "1979-05-27T", 10);
	assert_int_equal(v->type, VAL_DATETIME);
	assert_int_equal(v->dt, DT_DATE);
	assert_string_equal(v->u.str.s, "1979-05-27");
	val_free(v);
	v = val_new(VAL_TABLE);
	assert_int_equal(v->type, VAL_TABLE);
	assert_int_equal(v->u.tab.n, 0);
	assert_null(val_get(v, "x"));
	val_free(v);
	v = val_new(VAL_ARRAY);
	assert_int_equal(v->type, VAL_ARRAY);
	assert_int_equal(v->u.arr.n, 0);
	val_free(v);
	v = val_new(VAL_NULL);
	assert_int_equal(v->type, VAL_NULL);
	val_free(v);
	val_free(NULL);
	assert_string_equal(val_type_name(VAL_STRING), "string");
	assert_string_equal(val_type_name(VAL_TABLE), "table");
	assert_string_equal(val_type_name((enum val_type)99), "?");
}

static void test_val_set_replaces_in_place(void **state)
{
	struct val *t = val_new(VAL_TABLE);
	const struct val *v;

	(void)state;
	assert_int_equal(val_set_int(t, "a", 1), 0);
	assert_int_equal(val_set(t, "b", val_str("a long string to be freed")), 0);
	assert_int_equal(val_set_bool(t, "c", 1), 0);
	assert_int_equal(val_set(t, "b", val_int(2)), 0); /* the old string is freed */
	assert_int_equal(t->u.tab.n, 3);
	assert_string_equal(t->u.tab.kv[0].key, "a");
	assert_string_equal(t->u.tab.kv[1].key, "b");
	assert_string_equal(t->u.tab.kv[2].key, "c");
	v = val_get(t, "b");
	assert_non_null(v);
	assert_int_equal(v->type, VAL_INT);
	assert_true(v->u.i == 2);
	assert_int_equal(val_set_str(t, "a", "one"), 0);
	assert_int_equal(t->u.tab.n, 3);
	assert_string_equal(t->u.tab.kv[0].key, "a");
	assert_string_equal(val_get_str(t, "a", NULL), "one");
	/* keys are length-counted: "k" and "k\0x" differ */
	assert_int_equal(val_setn(t, "k", 1, val_int(1)), 0);
	assert_int_equal(val_setn(t, "k\0x", 3, val_int(2)), 0);
	assert_int_equal(t->u.tab.n, 5);
	v = val_getn(t, "k\0x", 3);
	assert_non_null(v);
	assert_true(v->u.i == 2);
	v = val_getn(t, "k", 1);
	assert_true(v->u.i == 1);
	val_free(t);
}

static void test_val_insertion_order(void **state)
{
	struct val *t = val_new(VAL_TABLE), *a = val_new(VAL_ARRAY);
	static const char *const keys[] = {"zeta",  "alpha", "mu", "beta", "omega",
	                                   "gamma", "pi",    "a",  "z",    "m"};
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++) {
		assert_int_equal(val_set_int(t, keys[i], (long long)i), 0);
		assert_int_equal(val_push(a, val_int((long long)i * 10)), 0);
	}
	assert_int_equal(t->u.tab.n, 10);
	assert_int_equal(a->u.arr.n, 10);
	for (i = 0; i < 10; i++) {
		assert_string_equal(t->u.tab.kv[i].key, keys[i]);
		assert_int_equal(t->u.tab.kv[i].klen, strlen(keys[i]));
		assert_true(t->u.tab.kv[i].v->u.i == (long long)i);
		assert_true(a->u.arr.items[i]->u.i == (long long)i * 10);
	}
	val_free(t);
	val_free(a);
}

/* Ownership is taken even on failure (ASan's leak check sees a leak). */
static void test_val_ownership_on_failure(void **state)
{
	struct val *t = val_new(VAL_TABLE), *a = val_new(VAL_ARRAY);

	(void)state;
	assert_int_equal(val_push(a, NULL), -1);
	assert_int_equal(a->u.arr.n, 0);
	assert_int_equal(val_set(t, "k", NULL), -1);
	assert_int_equal(val_setn(t, "k", 1, NULL), -1);
	assert_int_equal(val_append(t, "k", 1, NULL), -1);
	assert_int_equal(t->u.tab.n, 0);
	assert_null(val_get(t, "k"));
	/* wrong container type or none: the item is freed */
	assert_int_equal(val_push(t, val_str("freed")), -1);
	assert_int_equal(val_push(NULL, val_str("freed")), -1);
	assert_int_equal(val_set(a, "k", val_str("freed")), -1);
	assert_int_equal(val_set(NULL, "k", val_str("freed")), -1);
	assert_int_equal(val_append(a, "k", 1, val_str("freed")), -1);
	assert_int_equal(t->u.tab.n, 0);
	assert_int_equal(a->u.arr.n, 0);
	val_free(t);
	val_free(a);
}

static void test_val_dup_deep(void **state)
{
	struct val *v = val_new(VAL_TABLE), *arr = val_new(VAL_ARRAY), *sub = val_new(VAL_TABLE);
	struct val *c, *s, *cs;
	const struct val *g;

	(void)state;
	assert_int_equal(val_set(v, "s", val_strn("a\0b", 3)), 0);
	assert_int_equal(val_set_int(v, "n", 5), 0);
	assert_int_equal(val_push(arr, val_int(1)), 0);
	assert_int_equal(val_push(arr, val_str("x")), 0);
	assert_int_equal(val_set_str(sub, "k", "v"), 0);
	assert_int_equal(val_set(v, "arr", arr), 0);
	assert_int_equal(val_set(v, "sub", sub), 0);
	assert_int_equal(val_set(v, "dt", val_datetime(DT_TIME, "07:32:00", 8)), 0);
	s = child(v, "s");
	s->line = 3;
	s->col = 7;
	s->flags = 5;

	c = val_dup(v);
	assert_non_null(c);
	assert_int_equal(c->u.tab.n, 5);
	cs = child(c, "s");
	assert_ptr_not_equal(cs, s);
	assert_ptr_not_equal(cs->u.str.s, s->u.str.s);
	assert_int_equal(cs->u.str.len, 3);
	assert_memory_equal(cs->u.str.s, "a\0b", 4);
	assert_int_equal(cs->line, 3);
	assert_int_equal(cs->col, 7);
	assert_int_equal(cs->flags, 5);
	assert_int_equal(child(c, "dt")->dt, DT_TIME);
	assert_string_equal(child(c, "dt")->u.str.s, "07:32:00");
	assert_int_equal(child(c, "arr")->u.arr.n, 2);
	assert_string_equal(child(c, "arr")->u.arr.items[1]->u.str.s, "x");

	/* change the copy everywhere: the original stays as it was */
	cs->u.str.s[0] = 'Z';
	assert_int_equal(val_set_int(c, "n", 6), 0);
	assert_int_equal(val_push(child(c, "arr"), val_int(3)), 0);
	child(c, "arr")->u.arr.items[0]->u.i = 100;
	assert_int_equal(val_set_str(child(c, "sub"), "k", "changed"), 0);
	assert_int_equal(val_set_int(child(c, "sub"), "new", 1), 0);

	assert_memory_equal(s->u.str.s, "a\0b", 4);
	assert_true(val_get_int(v, "n", 0) == 5);
	g = val_get(v, "arr");
	assert_int_equal(g->u.arr.n, 2);
	assert_true(g->u.arr.items[0]->u.i == 1);
	g = val_get(v, "sub");
	assert_int_equal(g->u.tab.n, 1);
	assert_string_equal(val_get_str(g, "k", NULL), "v");
	val_free(c);
	val_free(v);
}

static void test_val_path(void **state)
{
	struct val *root = val_new(VAL_TABLE), *a = val_new(VAL_TABLE), *b = val_new(VAL_TABLE);
	const struct val *g;

	(void)state;
	assert_int_equal(val_set_int(b, "c", 42), 0);
	assert_int_equal(val_set(a, "b", b), 0);
	assert_int_equal(val_set(root, "a", a), 0);
	assert_int_equal(val_set_int(root, "x", 1), 0);
	g = val_path(root, "a.b.c");
	assert_non_null(g);
	assert_int_equal(g->type, VAL_INT);
	assert_true(g->u.i == 42);
	g = val_path(root, "a.b");
	assert_ptr_equal(g, b);
	g = val_path(root, "x");
	assert_true(g && g->u.i == 1);
	assert_null(val_path(root, "a.x"));
	assert_null(val_path(root, "a.b.d"));
	assert_null(val_path(root, "x.y"));     /* x is no table */
	assert_null(val_path(root, "a.b.c.d")); /* c is no table */
	assert_null(val_path(root, "nope.b.c"));
	assert_null(val_path(root, ""));
	val_free(root);
}

static void test_val_typed_getters(void **state)
{
	struct val *t = val_new(VAL_TABLE), *arr = val_new(VAL_ARRAY);

	(void)state;
	assert_int_equal(val_set_str(t, "s", "text"), 0);
	assert_int_equal(val_set_int(t, "i", 12), 0);
	assert_int_equal(val_set_bool(t, "b", 0), 0);
	assert_int_equal(val_set(t, "f", val_float(1.5)), 0);
	/* present and of the right type */
	assert_string_equal(val_get_str(t, "s", "def"), "text");
	assert_true(val_get_int(t, "i", -1) == 12);
	assert_int_equal(val_get_bool(t, "b", 7), 0);
	/* missing */
	assert_string_equal(val_get_str(t, "none", "def"), "def");
	assert_true(val_get_int(t, "none", -1) == -1);
	assert_int_equal(val_get_bool(t, "none", 7), 7);
	/* mistyped */
	assert_string_equal(val_get_str(t, "i", "def"), "def");
	assert_true(val_get_int(t, "s", -1) == -1);
	assert_true(val_get_int(t, "f", -1) == -1);
	assert_true(val_get_int(t, "b", -1) == -1);
	assert_int_equal(val_get_bool(t, "i", 7), 7);
	assert_int_equal(val_get_bool(t, "s", 7), 7);
	assert_null(val_get_str(t, "b", NULL));
	/* no table at all */
	assert_string_equal(val_get_str(NULL, "s", "def"), "def");
	assert_true(val_get_int(arr, "i", -1) == -1);
	assert_null(val_get(arr, "s"));
	val_free(t);
	val_free(arr);
}

static void test_val_append(void **state)
{
	struct val *t = val_new(VAL_TABLE);
	const struct val *g;

	(void)state;
	assert_int_equal(val_append(t, "first", 5, val_int(1)), 0);
	assert_int_equal(val_append(t, "second-and-more", 6, val_int(2)), 0); /* klen counts */
	assert_int_equal(val_append(t, "a\0b", 3, val_int(3)), 0);
	assert_int_equal(t->u.tab.n, 3);
	assert_string_equal(t->u.tab.kv[0].key, "first");
	assert_string_equal(t->u.tab.kv[1].key, "second"); /* NUL-terminated copy */
	assert_int_equal(t->u.tab.kv[1].klen, 6);
	assert_int_equal(t->u.tab.kv[2].klen, 3);
	assert_memory_equal(t->u.tab.kv[2].key, "a\0b", 4);
	g = val_get(t, "second");
	assert_true(g && g->u.i == 2);
	g = val_getn(t, "a\0b", 3);
	assert_true(g && g->u.i == 3);
	assert_null(val_get(t, "a"));
	val_free(t);
}

/* ---- theme.c ------------------------------------------------------------ */

/* theme_load_dir: what formd does with OUT/private/theme/ */
static void test_theme_load_dir(void **state)
{
	char dir[] = "/tmp/okienko-theme-XXXXXX";
	struct buf p = BUF_INIT, out = BUF_INIT;
	struct err e = {0};
	struct theme *t;
	struct val *frame = val_new(VAL_TABLE);
	const struct val *stack[2];

	(void)state;
	assert_non_null(mkdtemp(dir));
	buf_printf(&p, "%s/layouts/page.mustache", dir);
	assert_int_equal(fs_write(p.ptr, "<h1>{{t.hello}}</h1>{{>stopka}}", 31, 1, &e), 0);
	buf_reset(&p);
	buf_printf(&p, "%s/partials/stopka.mustache", dir);
	assert_int_equal(fs_write(p.ptr, "<p>{{page.title}}</p>", 21, 1, &e), 0);
	buf_reset(&p);
	buf_printf(&p, "%s/strings.toml", dir);
	assert_int_equal(fs_write(p.ptr, "hello = \"Dzień dobry\"\n", 23, 1, &e), 0);
	t = theme_load_dir(dir, &e);
	assert_non_null(t);
	assert_non_null(theme_layout(t, "page"));
	assert_null(theme_layout(t, "stopka"));
	assert_non_null(theme_partial(t, "stopka"));
	assert_int_equal(val_set_str(frame, "title", "Ż & <b>"), 0);
	{
		struct val *pf = val_new(VAL_TABLE), *tf = val_new(VAL_TABLE);

		assert_int_equal(val_set(pf, "page", frame), 0);
		assert_int_equal(val_set(tf, "t", val_dup(t->strings)), 0);
		stack[0] = tf;
		stack[1] = pf;
		assert_int_equal(mst_render(theme_layout(t, "page"), stack, 2, &t->env, &out, &e),
		                 0);
		assert_string_equal(out.ptr, "<h1>Dzień dobry</h1><p>Ż &amp; &lt;b&gt;</p>");
		val_free(pf);
		val_free(tf);
	}
	theme_free(t);
	/* without strings.toml the strings are an empty table; a partial
	 * that is missing fails naming the template and line */
	buf_reset(&p);
	buf_printf(&p, "%s/strings.toml", dir);
	assert_int_equal(unlink(p.ptr), 0);
	buf_reset(&p);
	buf_printf(&p, "%s/layouts/inna.mustache", dir);
	assert_int_equal(fs_write(p.ptr, "x\n{{>brak}}", 11, 1, &e), 0);
	assert_null(theme_load_dir(dir, &e));
	assert_int_equal(e.kind, ERR_INPUT);
	assert_non_null(strstr(e.msg, "/layouts/inna.mustache:2: partial 'brak' not found"));
	assert_int_equal(unlink(p.ptr), 0);
	t = theme_load_dir(dir, &e);
	assert_non_null(t);
	assert_int_equal(t->strings->type, VAL_TABLE);
	assert_int_equal(t->strings->u.tab.n, 0);
	theme_free(t);
	/* a folder without layouts is no theme */
	buf_reset(&p);
	buf_printf(&p, "%s/layouts", dir);
	assert_int_equal(fs_rmtree(p.ptr, &e), 0);
	assert_null(theme_load_dir(dir, &e));
	assert_non_null(strstr(e.msg, "has no layouts"));
	assert_int_equal(fs_rmtree(dir, &e), 0);
	buf_free(&p);
	buf_free(&out);
}

/* Dates for Polish letters: the Warsaw date, day first */
static void test_fmt_date_pl(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	fmt_date_pl(&b, 1798759800); /* 2026-12-31 23:30 UTC: New Year in Warsaw */
	assert_string_equal(b.ptr, "01.01.2027");
	buf_reset(&b);
	fmt_date_pl(&b, 1782858600); /* 2026-06-30 22:30 UTC: 1 July, summer time */
	assert_string_equal(b.ptr, "01.07.2026");
	buf_reset(&b);
	fmt_date_pl(&b, 1782851400); /* 2026-06-30 20:30 UTC */
	assert_string_equal(b.ptr, "30.06.2026");
	buf_free(&b);
}

/* val_equal: contents count, not order or place */
static void test_val_equal(void **state)
{
	struct val *a = val_new(VAL_TABLE), *b = val_new(VAL_TABLE);

	(void)state;
	assert_int_equal(val_set_str(a, "x", "5 lat") | val_set_int(a, "n", 5), 0);
	assert_int_equal(val_set_int(b, "n", 5) | val_set_str(b, "x", "5 lat"), 0);
	assert_true(val_equal(a, b));
	assert_true(val_equal(NULL, NULL));
	assert_false(val_equal(a, NULL));
	assert_int_equal(val_set_str(b, "x", "6 lat"), 0);
	assert_false(val_equal(a, b));
	assert_int_equal(val_set_str(b, "x", "5 lat") | val_set_bool(b, "extra", 1), 0);
	assert_false(val_equal(a, b));
	val_free(a);
	val_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_val_equal),
	    cmocka_unit_test(test_fmt_date_pl),
	    cmocka_unit_test(test_par_every_item_once),
	    cmocka_unit_test(test_par_jobs_below_one),
	    cmocka_unit_test(test_par_lowest_failure_wins),
	    cmocka_unit_test(test_par_success_leaves_e),
	    cmocka_unit_test_setup_teardown(test_fs_write_creates, fs_setup, fs_teardown),
	    cmocka_unit_test_setup_teardown(test_fs_write_replaces, fs_setup, fs_teardown),
	    cmocka_unit_test_setup_teardown(test_fs_write_parent_is_file, fs_setup, fs_teardown),
	    cmocka_unit_test_setup_teardown(test_fs_read, fs_setup, fs_teardown),
	    cmocka_unit_test_setup_teardown(test_fs_rmtree, fs_setup, fs_teardown),
	    cmocka_unit_test_setup_teardown(test_fs_switch, fs_setup, fs_teardown),
	    cmocka_unit_test(test_val_constructors),
	    cmocka_unit_test(test_val_set_replaces_in_place),
	    cmocka_unit_test(test_val_insertion_order),
	    cmocka_unit_test(test_val_ownership_on_failure),
	    cmocka_unit_test(test_val_dup_deep),
	    cmocka_unit_test(test_val_path),
	    cmocka_unit_test(test_val_typed_getters),
	    cmocka_unit_test(test_val_append),
	    cmocka_unit_test(test_theme_load_dir),
	};

	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
