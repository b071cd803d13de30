/*
 * repo.h - the only module that speaks to libgit2. Reads one commit's
 * site.toml, content/ and themes/ (or the work tree, for previews) and the
 * history of every content file, into plain structs.
 */
#ifndef OKIENKO_REPO_H
#define OKIENKO_REPO_H

#include "err.h"

#include <stddef.h>

#define REPO_MAX_FILE (8u << 20) /* bytes of one file read */
#define REPO_MAX_FILES 200000
#define REPO_MAX_HISTORY 200 /* commits kept per file, newest first */

struct rcommit {
	char id[41];
	long long time; /* seconds since the epoch */
	int offset;     /* author's time zone, minutes east of UTC */
	char *author;   /* owned */
	char *summary;  /* first line of the message, owned */
};

struct rfile {
	char *path;       /* "content/kursy/x/_index.md", owned */
	const char *data; /* contents, len bytes, NUL-terminated (owned by the repo) */
	size_t len;
	char oid[41]; /* blob id: what an incremental build compares */
	size_t *hist; /* indexes into repo->commits, newest first (owned) */
	size_t nhist;
	int created_found; /* the walk reached the commit that added it */
};

struct repo {
	struct rcommit head;
	struct rfile *files; /* sorted by path */
	size_t nfiles;
	struct rcommit *commits; /* commits that changed content/, newest first */
	size_t ncommits;
	int worktree; /* files come from the work tree */
	void *priv;
};

/*
 * Opens the repository at `dir` (NULL: the one around the current folder),
 * resolves `ref` (NULL: HEAD) and reads site.toml, content/ and themes/
 * from that commit (or, with `worktree`, from the work tree) on `threads`
 * threads, then walks
 * history once to date every content file. A shallow clone is refused.
 * Returns a repo to free with repo_close(), or NULL with e set.
 */
struct repo *repo_open(const char *dir, const char *ref, int worktree, int threads, struct err *e);
void repo_close(struct repo *r);
/* Frees a file's contents once nobody needs them (f->data becomes NULL);
 * thread-safe for different files. Work-tree contents are kept. */
void repo_drop_data(struct repo *r, const struct rfile *f);
/* The file at `path`, or NULL. */
const struct rfile *repo_file(const struct repo *r, const char *path);

#endif
