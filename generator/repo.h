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
#define REPO_MAX_HISTORY 200 /* commits kept per file: the newest 199 and the oldest */

struct rcommit {
	char id[41];
	long long time;  /* seconds since the epoch */
	int offset;      /* author's time zone, minutes east of UTC */
	char *author;    /* owned */
	char *summary;   /* first line of the message, owned (for developers) */
	char *note;      /* the message's "Zmiana:" trailer: a summary for the public,
	                    in Polish, owned; NULL when the commit has none */
	char config[41]; /* site.toml's blob in this commit ("" when it has none) */
};

/* One commit that changed a file: what the file was after it. A file whose
 * text shows site.toml's values ({{< param >}}, {{< retention >}}) also
 * changes when site.toml does: such a commit is in its history too, with
 * the file's blob as it stood then. */
struct rhist {
	size_t commit; /* index into repo->commits */
	char oid[41];  /* the file's blob in that commit (repo_read_blob reads it) */
};

struct rfile {
	char *path; /* "content/kursy/x/_index.md", owned by the repo */
	char *data; /* contents, len bytes, NUL-terminated; owned by the repo, which
	               frees it in repo_close or repo_drop_data (NULL after that) */
	size_t len;
	char oid[41];       /* blob id: what an incremental build compares */
	struct rhist *hist; /* the commits that changed it, newest first (owned) */
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
/* Frees the contents of file `f` (one of r->files) once nobody needs
 * them: f->data becomes NULL. Thread-safe for different files. */
void repo_drop_data(struct repo *r, const struct rfile *f);
/* Reads blob `oid` (an rhist's) from the repository: malloc'd contents,
 * NUL-terminated (the caller frees), length in *len; NULL with e (also for
 * a blob over REPO_MAX_FILE). Call from one thread at a time. */
char *repo_read_blob(struct repo *r, const char *oid, size_t *len, struct err *e);
/* The file at `path`, or NULL. */
const struct rfile *repo_file(const struct repo *r, const char *path);

#endif
