/*
 * Unit tests of formd/sandbox.c: in a forked child (Landlock cannot be
 * undone), files outside the allowed folders cannot be written, read or
 * run, and the allowed ones still work. When this kernel has no Landlock,
 * test_landlock_available fails on its own and says so; the others skip.
 */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static char base[64];

static void path(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", base, rel);
}

static void put(const char *rel)
{
	char p[256];
	FILE *f;

	path(p, sizeof p, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("x\n", f);
	assert_int_equal(fclose(f), 0);
}

static void dir(const char *rel)
{
	char p[256];

	path(p, sizeof p, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

/* 0 when open(rel, flags) succeeds, else errno */
static int try_open(const char *rel, int flags)
{
	char p[256];
	int fd;

	path(p, sizeof p, rel);
	fd = open(p, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Each check the child makes: what, and the errno it must give (0: works). */
struct check {
	const char *what;
	int (*run)(void);
	int want;
};

static int read_site(void)
{
	return try_open("site/a.txt", O_RDONLY);
}
static int write_site(void)
{
	return try_open("site/new", O_WRONLY | O_CREAT);
}
static int change_site(void)
{
	return try_open("site/a.txt", O_WRONLY);
}
static int read_elsewhere(void)
{
	return try_open("elsewhere/b.txt", O_RDONLY);
}
static int write_elsewhere(void)
{
	return try_open("elsewhere/new", O_WRONLY | O_CREAT);
}
static int change_elsewhere(void)
{
	return try_open("elsewhere/b.txt", O_WRONLY | O_APPEND);
}
static int write_var(void)
{
	return try_open("var/new", O_WRONLY | O_CREAT);
}
static int dev_null(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}
static int rename_var(void)
{
	char a[256], b[256];

	path(a, sizeof a, "var/new");
	path(b, sizeof b, "var/renamed");
	return rename(a, b) < 0 ? errno : 0;
}
static int mkdir_var(void)
{
	char a[256];

	path(a, sizeof a, "var/sub");
	return mkdir(a, 0755) < 0 ? errno : 0;
}
static int unlink_var(void)
{
	char a[256];

	path(a, sizeof a, "var/renamed");
	return unlink(a) < 0 ? errno : 0;
}
static int run_program(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(errno);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}
static int truncate_elsewhere(void)
{
	char p[256];

	path(p, sizeof p, "elsewhere/b.txt");
	return truncate(p, 0) < 0 ? errno : 0;
}

static const struct check checks[] = {
    {"reading a file in the read-only folder", read_site, 0},
    {"creating a file in the read-only folder", write_site, EACCES},
    {"writing a file in the read-only folder", change_site, EACCES},
    {"reading a file elsewhere", read_elsewhere, EACCES},
    {"creating a file elsewhere", write_elsewhere, EACCES},
    {"appending to a file elsewhere", change_elsewhere, EACCES},
    {"creating a file in the read-write folder", write_var, 0},
    {"renaming it there", rename_var, 0},
    {"making a folder there", mkdir_var, 0},
    {"removing the renamed file", unlink_var, 0},
    {"writing /dev/null", dev_null, 0},
    {"running a program", run_program, EACCES},
};

/* Runs the checks in a child after sandbox_apply; fails naming the first
 * check that went otherwise. */
static void test_sandbox_confines(void **state)
{
	int fds[2], st;
	pid_t pid;
	char ro[256], rw[256], msg[512] = "";
	ssize_t n;

	(void)state;
	if (sandbox_abi() == 0)
		skip();
	dir("site");
	dir("var");
	dir("elsewhere");
	put("site/a.txt");
	put("elsewhere/b.txt");
	path(ro, sizeof ro, "site");
	path(rw, sizeof rw, "var");
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *r1[] = {ro, "/usr", "/lib", "/lib64"}, *w1[] = {rw};
		struct err e = {0};
		char out[1200];
		size_t i;
		int got;

		close(fds[0]);
		if (sandbox_apply(r1, 4, w1, 1, &e) != SANDBOX_ON) {
			snprintf(out, sizeof out, "sandbox_apply: %s", e.msg);
			(void)!write(fds[1], out, strlen(out));
			_exit(1);
		}
		for (i = 0; i < sizeof checks / sizeof checks[0]; i++) {
			got = checks[i].run();
			if (got != checks[i].want) {
				snprintf(out, sizeof out, "%s: got %s, want %s", checks[i].what,
				         got ? strerror(got) : "success",
				         checks[i].want ? strerror(checks[i].want) : "success");
				(void)!write(fds[1], out, strlen(out));
				_exit(1);
			}
		}
		/* ABI 3 and later: truncate(2) by path is confined too */
		if (sandbox_abi() >= 3 && truncate_elsewhere() != EACCES) {
			snprintf(out, sizeof out, "truncating a file elsewhere was allowed");
			(void)!write(fds[1], out, strlen(out));
			_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof msg - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	assert_true(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("in the sandbox: %s", msg[0] ? msg : "the child died");
	/* the parent is not confined: the same file elsewhere is writable */
	assert_int_equal(try_open("elsewhere/new", O_WRONLY | O_CREAT), 0);
}

/* formd's own rules: the site is read through a link that a release
 * switches (current -> releases/r1), and a release made after the
 * sandbox is readable too; the database and forum folders are writable,
 * the site is not; the forum folder is created when missing. */
static void test_sandbox_formd(void **state)
{
	char site[256], db[256], forum[256], link_tmp[256], link[256], msg[512] = "";
	int fds[2], go[2], st;
	pid_t pid;
	ssize_t n;
	char c = 0;

	(void)state;
	if (sandbox_abi() == 0)
		skip();
	dir("releases");
	dir("releases/r1");
	dir("releases/r2");
	put("releases/r1/a.txt");
	put("releases/r2/b.txt");
	dir("db");
	path(link, sizeof link, "current");
	assert_int_equal(symlink("releases/r1", link), 0);
	path(site, sizeof site, "current");
	path(db, sizeof db, "db/formd.sqlite");
	path(forum, sizeof forum, "db/forum");
	path(link_tmp, sizeof link_tmp, "current.tmp");
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct err e = {0};
		const char *why = NULL;
		const char *tmpdir;

		close(fds[0]);
		close(go[1]);
		if (sandbox_formd(site, db, forum, &e) != SANDBOX_ON)
			why = e.msg;
		else if (try_open("current/a.txt", O_RDONLY) != 0)
			why = "the live release cannot be read";
		else if (try_open("current/new", O_WRONLY | O_CREAT) != EACCES)
			why = "the live release could be written";
		else if (try_open("db/forum/kursy", O_WRONLY | O_CREAT) != 0)
			why = "the forum folder (created by sandbox_formd) cannot be written";
		else if (try_open("db/formd.sqlite", O_RDWR | O_CREAT) != 0)
			why = "the database cannot be created";
		else if (!(tmpdir = getenv("SQLITE_TMPDIR")) || strlen(tmpdir) < 3 ||
		         strcmp(tmpdir + strlen(tmpdir) - 3, "/db") != 0)
			why = "SQLITE_TMPDIR is not the database's folder";
		if (!why) {
			/* ready: the parent switches the link to r2, then says go */
			if (write(fds[1], "R", 1) != 1 || read(go[0], &c, 1) != 1)
				why = "the parent did not answer";
			else if (try_open("current/b.txt", O_RDONLY) != 0)
				why = "the next release, switched in after the sandbox, cannot be "
				      "read";
		}
		if (why) {
			(void)!write(fds[1], why, strlen(why));
			_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	close(go[0]);
	if (read(fds[0], &c, 1) == 1 && c == 'R') {
		/* a release switch, as deploy/okienko-release makes it */
		assert_int_equal(symlink("releases/r2", link_tmp), 0);
		assert_int_equal(rename(link_tmp, link), 0);
		assert_int_equal(write(go[1], "G", 1), 1);
		n = read(fds[0], msg, sizeof msg - 1);
	} else {
		msg[0] = c;
		n = read(fds[0], msg + 1, sizeof msg - 2);
		n = n > 0 ? n + 1 : 1;
	}
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	close(go[1]);
	assert_true(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("formd's sandbox: %s", msg[0] ? msg : "the child died");
}

/* Landlock must work here, or the tests above prove nothing: a failure of
 * its own, with the kernel named. */
static void test_landlock_available(void **state)
{
	struct utsname u;

	(void)state;
	if (sandbox_abi() == 0) {
		uname(&u);
		fail_msg("Landlock is not available on this kernel (%s %s): formd would run "
		         "without its sandbox and the sandbox tests were skipped",
		         u.sysname, u.release);
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof base, "/tmp/okienko-sandbox-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_landlock_available),
	    cmocka_unit_test_setup_teardown(test_sandbox_confines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sandbox_formd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
