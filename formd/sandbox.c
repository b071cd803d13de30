#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ABI 3 (Linux 6.2) made truncate(2) by path controllable; Debian 12's
 * headers (6.1) do not name it yet */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_ABI1                                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | FS_READ |                    \
	 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |                          \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |                              \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                              \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |                            \
	 LANDLOCK_ACCESS_FS_MAKE_SYM)
/* what formd does in its own folders: files and folders, no devices,
 * sockets, pipes or links */
#define FS_WRITE                                                                                   \
	(FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                 \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                            \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)
/* the rights a rule on a file (not a folder) may carry */
#define FS_FILE                                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

int sandbox_abi(void)
{
#ifdef SYS_landlock_create_ruleset
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v > 0 && v < 1000 ? (int)v : 0;
#else
	return 0;
#endif
}

#ifdef SYS_landlock_create_ruleset
/* Adds "beneath path, allow `access`" (masked to what is handled) to the
 * ruleset. 0, 1 when the path does not exist and `optional`, -1 with e. */
static int add_rule(int ruleset, const char *path, uint64_t access, uint64_t handled, int optional,
                    struct err *e)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), r = 0;

	if (fd < 0) {
		if (optional && errno == ENOENT)
			return 1;
		return err_kind_set(e, ERR_IO, "sandbox: %s: %s", path, strerror(errno));
	}
	memset(&pb, 0, sizeof pb);
	pb.parent_fd = fd;
	pb.allowed_access = access & handled;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= FS_FILE;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		r = err_kind_set(e, ERR_IO, "sandbox: %s: landlock_add_rule: %s", path,
		                 strerror(errno));
	close(fd);
	return r;
}
#endif

int sandbox_apply(const char *const *ro, size_t nro, const char *const *rw, size_t nrw,
                  struct err *e)
{
#ifdef SYS_landlock_create_ruleset
	struct landlock_ruleset_attr attr;
	int abi = sandbox_abi(), ruleset = -1, ret = -1;
	size_t i;

	if (abi == 0) {
		err_kind_set(e, ERR_IO, "the kernel has no Landlock (%s)",
		             errno == EOPNOTSUPP ? "disabled at boot" : "older than Linux 5.13");
		return SANDBOX_ABSENT;
	}
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = FS_ABI1;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0) {
		err_kind_set(e, ERR_IO, "sandbox: landlock_create_ruleset: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < nro; i++)
		if (add_rule(ruleset, ro[i], FS_READ, attr.handled_access_fs, 1, e) < 0)
			goto out;
	for (i = 0; i < nrw; i++)
		if (add_rule(ruleset, rw[i], FS_WRITE, attr.handled_access_fs, 0, e) < 0)
			goto out;
	if (add_rule(ruleset, "/dev/null", FS_WRITE, attr.handled_access_fs, 1, e) < 0)
		goto out;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err_kind_set(e, ERR_IO, "sandbox: no_new_privs: %s", strerror(errno));
		goto out;
	}
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		err_kind_set(e, ERR_IO, "sandbox: landlock_restrict_self: %s", strerror(errno));
		goto out;
	}
	ret = SANDBOX_ON;
out:
	if (ruleset >= 0)
		close(ruleset);
	return ret;
#else
	(void)ro;
	(void)nro;
	(void)rw;
	(void)nrw;
	err_kind_set(e, ERR_IO, "formd was built without Landlock (its headers are too old)");
	return SANDBOX_ABSENT;
#endif
}

/* The folder holding `path`, lexically ("a/b/" -> "a", "b" -> ".",
 * "." -> ".."). malloc'd, NULL when out of memory. */
static char *parent_dir(const char *path)
{
	size_t n = strlen(path);
	char *d;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if ((n == 1 && path[0] == '.') || (n == 2 && path[0] == '.' && path[1] == '.'))
		return strdup(n == 1 ? ".." : "../..");
	while (n > 0 && path[n - 1] != '/')
		n--;
	if (n == 0)
		return strdup(".");
	while (n > 1 && path[n - 1] == '/')
		n--;
	d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = '\0';
	}
	return d;
}

int sandbox_formd(const char *site, const char *db, const char *forum_dir, struct err *e)
{
	char *site_parent = parent_dir(site), *db_dir = parent_dir(db);
	const char *ro[] = {site_parent, "/usr", "/lib", "/lib64", "/etc", "/proc"};
	const char *rw[] = {db_dir, forum_dir};
	int r = -1;

	if (!site_parent || !db_dir) {
		err_oom(e);
		goto out;
	}
	if (mkdir(forum_dir, 0755) < 0 && errno != EEXIST) {
		err_kind_set(e, ERR_IO, "%s: cannot create the forum folder: %s", forum_dir,
		             strerror(errno));
		goto out;
	}
	/* before sqlite starts: it reads the variable once */
	if (setenv("SQLITE_TMPDIR", db_dir, 1) < 0) {
		err_oom(e);
		goto out;
	}
	r = sandbox_apply(ro, sizeof ro / sizeof ro[0], rw, sizeof rw / sizeof rw[0], e);
out:
	free(site_parent);
	free(db_dir);
	return r;
}
