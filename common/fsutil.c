#define _GNU_SOURCE
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdirs(const char *path, struct err *e)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path), i;

	if (len == 0 || len >= sizeof tmp)
		return err_set(e, "%s: path too long", path);
	memcpy(tmp, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return err_kind_set(e, ERR_IO, "%s: cannot create folder: %s", tmp,
			                    strerror(errno));
		tmp[i] = path[i];
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates the file: `path` itself, or with `atomic` a fresh temporary name
 * from the template in `tmp` (filled anew each call: mkstemp leaves its
 * template changed when it fails). An fd, or -1 with errno. */
static int create(const char *path, char *tmp, size_t tmpsize, int atomic)
{
	if (!atomic)
		return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	snprintf(tmp, tmpsize, "%s.tmp-XXXXXX", path);
	return mkostemp(tmp, O_CLOEXEC);
}

int fs_write(const char *path, const void *data, size_t len, int atomic, struct err *e)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *dst = path;
	int fd = -1, ret = -1;

	if (atomic) {
		if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
			return err_set(e, "%s: path too long", path);
		dst = tmp;
	}
	fd = create(path, tmp, sizeof tmp, atomic);
	if (fd < 0 && errno == ENOENT && slash) {
		char dir[PATH_MAX];
		size_t dl = (size_t)(slash - path);

		if (dl >= sizeof dir)
			return err_set(e, "%s: path too long", path);
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		if (fs_mkdirs(dir, e) < 0)
			return -1;
		fd = create(path, tmp, sizeof tmp, atomic);
	}
	if (fd < 0)
		return err_kind_set(e, ERR_IO, "%s: cannot create: %s", dst, strerror(errno));
	if (atomic && fchmod(fd, 0644) < 0)
		goto fail;
	if (write_all(fd, data, len) < 0)
		goto fail;
	if (atomic && fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (atomic && rename(tmp, path) < 0)
		goto fail;
	ret = 0;
	return ret;
fail:
	err_kind_set(e, ERR_IO, "%s: cannot write: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (atomic)
		unlink(tmp);
	return -1;
}

char *fs_read(const char *path, size_t max, size_t *len, struct err *e)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long sz;

	if (!f) {
		err_kind_set(e, ERR_IO, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		err_kind_set(e, ERR_IO, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if ((unsigned long)sz > max) {
		err_set(e, "%s: file too large (%ld bytes, limit %zu)", path, sz, max);
		goto out;
	}
	p = malloc((size_t)sz + 1);
	if (!p) {
		err_kind_set(e, ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	if (fread(p, 1, (size_t)sz, f) != (size_t)sz) {
		err_kind_set(e, ERR_IO, "%s: cannot read: %s", path, strerror(errno));
		free(p);
		p = NULL;
		goto out;
	}
	p[sz] = '\0';
	if (len)
		*len = (size_t)sz;
out:
	fclose(f);
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_rmtree(const char *path, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
		                       : err_kind_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
		return err_kind_set(e, ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
	return 0;
}

int fs_switch(const char *fresh, const char *target, struct err *e)
{
	struct stat st;

	if (lstat(target, &st) < 0) {
		if (errno != ENOENT)
			return err_kind_set(e, ERR_IO, "%s: %s", target, strerror(errno));
		if (rename(fresh, target) < 0)
			return err_kind_set(e, ERR_IO, "cannot move %s to %s: %s", fresh, target,
			                    strerror(errno));
		return 0;
	}
	if (renameat2(AT_FDCWD, fresh, AT_FDCWD, target, RENAME_EXCHANGE) < 0)
		return err_kind_set(e, ERR_IO, "cannot switch %s and %s: %s", fresh, target,
		                    strerror(errno));
	return fs_rmtree(fresh, e);
}
