#include "repo.h"

#include "toml.h"
#include "value.h"

#include "buf.h"
#include "fsutil.h"
#include "parallel.h"
#include "strmap.h"

#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct priv {
	git_repository *git;
	git_oid *oids; /* blob of each file, by index, while reading */
	size_t noids;
};

static int git_err(struct err *e, const char *what)
{
	const git_error *g = git_error_last();

	return err_set(e, "%s: %s", what, g && g->message ? g->message : "unknown libgit2 error");
}

static int interesting_top(const char *root, const char *name)
{
	return root[0] == '\0' && (strcmp(name, "content") == 0 || strcmp(name, "themes") == 0 ||
	                           strcmp(name, "site.toml") == 0);
}

struct walk {
	struct repo *r;
	struct priv *p;
	size_t cap;
	struct err *e;
};

static size_t r_nfiles(const struct walk *w)
{
	return w->r->nfiles;
}

static struct rfile *add_file(struct walk *w, const char *path)
{
	struct repo *r = w->r;
	struct rfile *f;

	if (r->nfiles == REPO_MAX_FILES) {
		err_set(w->e, "too many files (limit %d)", REPO_MAX_FILES);
		return NULL;
	}
	if (r->nfiles == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;

		f = realloc(r->files, cap * sizeof *f);
		if (!f) {
			err_oom(w->e);
			return NULL;
		}
		r->files = f;
		w->cap = cap;
	}
	f = &r->files[r->nfiles];
	memset(f, 0, sizeof *f);
	f->path = strdup(path);
	if (!f->path) {
		err_oom(w->e);
		return NULL;
	}
	r->nfiles++;
	return f;
}

static int tree_cb(const char *root, const git_tree_entry *ent, void *payload)
{
	struct walk *w = payload;
	const char *name = git_tree_entry_name(ent);
	git_object_t type = git_tree_entry_type(ent);
	struct buf path = BUF_INIT;
	struct rfile *f;
	int ret = -1;

	if (root[0] == '\0' && !interesting_top(root, name))
		return 1; /* skip */
	if (type != GIT_OBJECT_BLOB)
		return 0; /* trees are walked into; submodules are not content */
	if (root[0] == '\0' && strcmp(name, "site.toml") != 0)
		return 0;
	buf_puts(&path, root);
	buf_puts(&path, name);
	if (buf_failed(&path)) {
		err_oom(w->e);
		return -1;
	}
	if (git_tree_entry_filemode(ent) == GIT_FILEMODE_LINK) {
		err_set(w->e, "%s: symbolic links are not content", path.ptr);
		goto out;
	}
	f = add_file(w, path.ptr);
	if (!f)
		goto out;
	if (w->p->noids < r_nfiles(w)) {
		git_oid *o = realloc(w->p->oids, w->cap * sizeof *o);

		if (!o) {
			err_oom(w->e);
			goto out;
		}
		w->p->oids = o;
		w->p->noids = w->cap;
	}
	git_oid_cpy(&w->p->oids[w->r->nfiles - 1], git_tree_entry_id(ent));
	git_oid_tostr(f->oid, sizeof f->oid, git_tree_entry_id(ent));
	ret = 0;
out:
	buf_free(&path);
	return ret;
}

/* Inside a git hook the pushed objects wait in a quarantine folder that
 * git names in GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES;
 * a build run from a pre-receive hook must see them. */
static unsigned open_flags(unsigned usual)
{
	if (getenv("GIT_QUARANTINE_PATH") || getenv("GIT_OBJECT_DIRECTORY") ||
	    getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES"))
		return GIT_REPOSITORY_OPEN_FROM_ENV;
	return usual;
}

/* Blob contents are read by several threads, each with a repository
 * handle of its own (libgit2 objects are not shared between threads);
 * inflating 10,000 blobs is the biggest part of reading a commit. */
struct reader {
	struct repo *r;
	const char *gitdir;
	git_repository *git[PAR_MAX_JOBS]; /* one per worker, opened on first use */
};

static int read_blob(size_t i, int worker, void *arg, struct err *e)
{
	struct reader *rd = arg;
	struct priv *p = rd->r->priv;
	struct rfile *f = &rd->r->files[i];
	git_blob *blob = NULL;
	size_t len;
	char *data;

	if (!rd->git[worker] &&
	    git_repository_open_ext(
	        &rd->git[worker], rd->gitdir,
	        open_flags(GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE), NULL) < 0)
		return git_err(e, rd->gitdir);
	if (git_blob_lookup(&blob, rd->git[worker], &p->oids[i]) < 0)
		return git_err(e, f->path);
	len = (size_t)git_blob_rawsize(blob);
	if (len > REPO_MAX_FILE) {
		git_blob_free(blob);
		return err_set(e, "%s: file too large (limit %u bytes)", f->path, REPO_MAX_FILE);
	}
	data = malloc(len + 1);
	if (!data) {
		git_blob_free(blob);
		return err_oom(e);
	}
	memcpy(data, git_blob_rawcontent(blob), len);
	data[len] = '\0';
	git_blob_free(blob);
	f->data = data;
	f->len = len;
	return 0;
}

static int read_all_blobs(struct repo *r, int threads, struct err *e)
{
	struct priv *p = r->priv;
	struct reader rd;
	int i, ret;

	memset(&rd, 0, sizeof rd);
	rd.r = r;
	rd.gitdir = git_repository_path(p->git);
	/* a thread is worth starting for 64 files or more */
	if ((size_t)threads > r->nfiles / 64 + 1)
		threads = (int)(r->nfiles / 64 + 1);
	ret = par_run(r->nfiles, threads, read_blob, &rd, e);
	for (i = 0; i < PAR_MAX_JOBS; i++)
		git_repository_free(rd.git[i]);
	return ret;
}

/* Reads one work-tree file at `full` as the snapshot's `rel`, with the
 * blob id git would give it. 0 or -1 with w->e. */
static int read_disk_file(struct walk *w, const char *full, const char *rel)
{
	size_t len;
	char *data = fs_read(full, REPO_MAX_FILE, &len, w->e);
	struct rfile *f;
	git_oid oid;

	if (!data)
		return -1;
	f = add_file(w, rel);
	if (!f) {
		free(data);
		return -1;
	}
	f->data = data;
	f->len = len;
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) == 0)
		git_oid_tostr(f->oid, sizeof f->oid, &oid);
	return 0;
}

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Reads a work-tree folder recursively (for --worktree previews), in name
 * order, refusing what a commit build refuses: a symbolic link is an error
 * here as there, and hidden files are read so that the same name check
 * rejects them. A missing folder is an empty one. */
static int read_dir(struct walk *w, const char *top, const char *rel)
{
	struct buf full = BUF_INIT;
	struct dirent **names = NULL;
	int i, n, ret = 0;

	buf_printf(&full, "%s/%s", top, rel);
	if (buf_failed(&full))
		return err_oom(w->e);
	n = scandir(full.ptr, &names, NULL, cmp_dirent);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct buf sub = BUF_INIT, fp = BUF_INIT;
		struct stat st;

		if (ret == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
			buf_printf(&sub, "%s/%s", rel, name);
			buf_printf(&fp, "%s/%s", top, sub.ptr);
			if (buf_failed(&sub) || buf_failed(&fp))
				ret = err_oom(w->e);
			else if (lstat(fp.ptr, &st) < 0)
				ret =
				    err_kind_set(w->e, ERR_IO, "%s: %s", sub.ptr, strerror(errno));
			else if (S_ISLNK(st.st_mode))
				ret = err_set(w->e, "%s: symbolic links are not content", sub.ptr);
			else if (S_ISDIR(st.st_mode))
				ret = read_dir(w, top, sub.ptr);
			else if (S_ISREG(st.st_mode))
				ret = read_disk_file(w, fp.ptr, sub.ptr);
			else
				ret = err_set(w->e, "%s: not a regular file", sub.ptr);
			buf_free(&sub);
			buf_free(&fp);
		}
		free(names[i]);
	}
	free(names);
	buf_free(&full);
	return ret;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct rfile *)a)->path, ((const struct rfile *)b)->path);
}

static int fill_commit(struct rcommit *c, const git_commit *gc)
{
	const git_signature *a = git_commit_author(gc);
	const char *s = git_commit_summary((git_commit *)gc);

	git_oid_tostr(c->id, sizeof c->id, git_commit_id(gc));
	c->time = (long long)(a ? a->when.time : git_commit_time(gc));
	c->offset = a ? a->when.offset : git_commit_time_offset(gc);
	c->author = strdup(a && a->name ? a->name : "");
	c->summary = strdup(s ? s : "");
	c->note = NULL;
	{
		/* editors give the public a Polish line of their own as a
		 * trailer: "Zmiana: Doprecyzowano okres przechowywania danych." */
		git_message_trailer_array tr;
		size_t i;

		memset(&tr, 0, sizeof tr);
		if (git_message_trailers(&tr, git_commit_message(gc)) == 0) {
			for (i = 0; i < tr.count && !c->note; i++)
				if (strcasecmp(tr.trailers[i].key, "Zmiana") == 0 &&
				    tr.trailers[i].value[0])
					c->note = strdup(tr.trailers[i].value);
			git_message_trailer_array_free(&tr);
		}
	}
	return c->author && c->summary ? 0 : -1;
}

struct hist {
	struct repo *r;
	struct strmap paths; /* "content/..." -> rfile */
	size_t unresolved;
	size_t commit_idx;
	int recorded; /* this commit touched something of interest */
	struct err *e;
	struct rfile **uses_config; /* files showing site.toml's values */
	size_t nuses;
};

/* Notes that the commit being walked changed f to blob `oid`. */
static int record(struct hist *h, struct rfile *f, const git_oid *oid, int added)
{
	struct rhist *e;

	if (f->created_found)
		return 0; /* an older file of the same path, deleted since */
	if (f->nhist < REPO_MAX_HISTORY) {
		struct rhist *n = realloc(f->hist, (f->nhist + 1) * sizeof *n);

		if (!n)
			return err_oom(h->e);
		f->hist = n;
		e = &f->hist[f->nhist++];
	} else {
		e = &f->hist[f->nhist - 1]; /* keep the oldest last */
	}
	e->commit = h->commit_idx;
	if (oid)
		git_oid_tostr(e->oid, sizeof e->oid, oid);
	else
		e->oid[0] = '\0'; /* site.toml's change: filled by fill_config_entries */
	h->recorded = 1;
	if (added) {
		f->created_found = 1;
		h->unresolved--;
	}
	return 0;
}

/* Compares tree `t` with the parent's `p` (NULL: nothing there) below
 * `path`, descending only into subtrees whose ids differ. */
static int diff_trees(struct hist *h, git_repository *git, git_tree *t, git_tree *p,
                      struct buf *path)
{
	size_t i, n = git_tree_entrycount(t), base = path->len;
	int ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i);
		const git_tree_entry *pe =
		    p ? git_tree_entry_byname(p, git_tree_entry_name(te)) : NULL;
		git_object_t tt = git_tree_entry_type(te);

		if (pe && git_oid_equal(git_tree_entry_id(te), git_tree_entry_id(pe)))
			continue;
		buf_truncate(path, base);
		buf_puts(path, git_tree_entry_name(te));
		if (tt == GIT_OBJECT_TREE) {
			git_tree *st = NULL, *sp = NULL;

			buf_putc(path, '/');
			if (git_tree_lookup(&st, git, git_tree_entry_id(te)) < 0)
				return git_err(h->e, path->ptr);
			if (pe && git_tree_entry_type(pe) == GIT_OBJECT_TREE &&
			    git_tree_lookup(&sp, git, git_tree_entry_id(pe)) < 0) {
				git_tree_free(st);
				return git_err(h->e, path->ptr);
			}
			ret = diff_trees(h, git, st, sp, path);
			git_tree_free(st);
			git_tree_free(sp);
		} else if (tt == GIT_OBJECT_BLOB) {
			struct rfile *f = strmap_getn(&h->paths, path->ptr, path->len);

			if (f)
				ret = record(h, f, git_tree_entry_id(te),
				             !pe || git_tree_entry_type(pe) != GIT_OBJECT_BLOB);
		}
	}
	buf_truncate(path, base);
	return ret;
}

static int subtree(git_repository *git, git_commit *c, git_tree **out)
{
	git_tree *root = NULL;
	git_tree_entry *ent = NULL;
	int ret;

	*out = NULL;
	if (git_commit_tree(&root, c) < 0)
		return -1;
	ret = git_tree_entry_bypath(&ent, root, "content");
	if (ret == GIT_ENOTFOUND) {
		git_tree_free(root);
		return 0;
	}
	if (ret == 0 && git_tree_entry_type(ent) == GIT_OBJECT_TREE)
		ret = git_tree_lookup(out, git, git_tree_entry_id(ent));
	git_tree_entry_free(ent);
	git_tree_free(root);
	return ret < 0 ? -1 : 0;
}

/* site.toml's blob id in commit c into oid ("" when there is none). */
static int config_oid(git_commit *c, char oid[41])
{
	git_tree *root = NULL;
	git_tree_entry *ent = NULL;
	int ret;

	oid[0] = '\0';
	if (git_commit_tree(&root, c) < 0)
		return -1;
	ret = git_tree_entry_bypath(&ent, root, "site.toml");
	if (ret == 0 && git_tree_entry_type(ent) == GIT_OBJECT_BLOB)
		git_oid_tostr(oid, 41, git_tree_entry_id(ent));
	git_tree_entry_free(ent);
	git_tree_free(root);
	return ret < 0 && ret != GIT_ENOTFOUND ? -1 : 0;
}

/* 1 when a content file's text shows site.toml's values (a param or
 * retention shortcode): a change of site.toml changes it. */
static int shows_config(const struct rfile *f)
{
	const char *p = f->data;

	while (p && (p = strstr(p, "{{<"))) {
		p += 3;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "param", 5) == 0 || strncmp(p, "retention", 9) == 0)
			return 1;
	}
	return 0;
}

/* site.toml's blob `oid` parsed; NULL when there is none or it is no
 * TOML (then every value counts as changed). */
static struct val *config_at(git_repository *git, const char *oid)
{
	git_blob *b = NULL;
	git_oid id;
	struct val *v;

	if (!oid[0] || git_oid_fromstr(&id, oid) < 0 || git_blob_lookup(&b, git, &id) < 0)
		return NULL;
	v = toml_parse(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), "site.toml", 0, NULL);
	git_blob_free(b);
	return v;
}

/* 1 when a value of site.toml that f's text shows ({{< param "KEY" >}}:
 * [params] KEY; {{< retention >}}: [retention]) differs between a and b. */
static int shown_changed(const struct rfile *f, const struct val *a, const struct val *b)
{
	const char *p = f->data, *q, *end;
	char key[128];

	if (!a || !b)
		return 1;
	while (p && (p = strstr(p, "{{<"))) {
		p += 3;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "retention", 9) == 0 &&
		    !val_equal(val_get(a, "retention"), val_get(b, "retention")))
			return 1;
		if (strncmp(p, "param", 5) != 0 || !(q = strchr(p, '"')) ||
		    !(end = strchr(q + 1, '"')) || (size_t)(end - q - 1) >= sizeof key ||
		    memchr(q, '\n', (size_t)(end - q)))
			continue;
		memcpy(key, q + 1, (size_t)(end - q - 1));
		key[end - q - 1] = '\0';
		if (!val_equal(val_path(val_get(a, "params"), key),
		               val_path(val_get(b, "params"), key)))
			return 1;
	}
	return 0;
}

/* After the walk: a site.toml-only entry takes the file's blob from the
 * entry before it in time (the next one in the list); one with none
 * (history cut short) goes. */
static void fill_config_entries(struct rfile *f)
{
	size_t i, k = 0;

	for (i = 0; i < f->nhist; i++) {
		if (!f->hist[i].oid[0]) {
			size_t j;

			for (j = i + 1; j < f->nhist && !f->hist[j].oid[0]; j++)
				;
			if (j == f->nhist)
				continue;
			memcpy(f->hist[i].oid, f->hist[j].oid, sizeof f->hist[i].oid);
		}
		f->hist[k++] = f->hist[i];
	}
	f->nhist = k;
}

/* One revwalk over the first-parent chain, dating every content file. */
static int walk_history(struct repo *r, git_repository *git, const git_oid *head, struct err *e)
{
	struct hist h = {r, STRMAP_INIT, 0, 0, 0, e, NULL, 0};
	git_revwalk *walk = NULL;
	git_oid oid;
	struct buf path = BUF_INIT;
	size_t i, cap = 0;
	int ret = -1;

	h.uses_config = calloc(r->nfiles + 1, sizeof *h.uses_config);
	if (!h.uses_config) {
		err_oom(e);
		goto out;
	}
	for (i = 0; i < r->nfiles; i++)
		if (strncmp(r->files[i].path, "content/", 8) == 0) {
			if (strmap_put(&h.paths, r->files[i].path, &r->files[i]) < 0) {
				err_oom(e);
				goto out;
			}
			h.unresolved++;
			if (shows_config(&r->files[i]))
				h.uses_config[h.nuses++] = &r->files[i];
		}
	if (git_revwalk_new(&walk, git) < 0 || git_revwalk_push(walk, head) < 0) {
		git_err(e, "history");
		goto out;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	git_revwalk_simplify_first_parent(walk);
	while (h.unresolved > 0 && git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL, *pc = NULL;
		git_tree *t = NULL, *pt = NULL;
		char cfg[41] = "", pcfg[41] = "";
		int r2 = 0, content;

		if (git_commit_lookup(&c, git, &oid) < 0) {
			git_err(e, "history");
			goto out;
		}
		if (git_commit_parentcount(c) > 0 && git_commit_parent(&pc, c, 0) < 0)
			r2 = -1;
		if (r2 == 0 && subtree(git, c, &t) < 0)
			r2 = -1;
		if (r2 == 0 && pc && subtree(git, pc, &pt) < 0)
			r2 = -1;
		content = t && !(pt && git_oid_equal(git_tree_id(t), git_tree_id(pt)));
		if (r2 == 0 && (config_oid(c, cfg) < 0 || (pc && config_oid(pc, pcfg) < 0)))
			r2 = -1;
		if (!pc)
			pcfg[0] = '\0';
		if (r2 < 0) {
			git_err(e, "history");
		} else if (content || (h.nuses && strcmp(cfg, pcfg) != 0)) {
			if (r->ncommits == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct rcommit *rc = realloc(r->commits, nc * sizeof *rc);

				if (!rc)
					r2 = err_oom(e);
				else {
					r->commits = rc;
					cap = nc;
				}
			}
			if (r2 == 0) {
				memset(&r->commits[r->ncommits], 0, sizeof r->commits[0]);
				h.commit_idx = r->ncommits;
				h.recorded = 0;
				buf_reset(&path);
				buf_puts(&path, "content/");
				if (content)
					r2 = diff_trees(&h, git, t, pt, &path);
				/* site.toml changed: so did every page showing a
				 * value that changed (its blob is filled in after
				 * the walk) */
				if (r2 == 0 && strcmp(cfg, pcfg) != 0) {
					struct val *nc = config_at(git, cfg),
					           *oc = config_at(git, pcfg);

					for (i = 0; r2 == 0 && i < h.nuses; i++) {
						struct rfile *f = h.uses_config[i];

						if (f->created_found ||
						    (f->nhist && f->hist[f->nhist - 1].commit ==
						                     h.commit_idx) ||
						    !shown_changed(f, nc, oc))
							continue;
						r2 = record(&h, f, NULL, 0);
					}
					val_free(nc);
					val_free(oc);
				}
				if (r2 == 0 && h.recorded) {
					if (fill_commit(&r->commits[r->ncommits], c) < 0)
						r2 = err_oom(e);
					memcpy(r->commits[r->ncommits].config, cfg, sizeof cfg);
					r->ncommits++;
				}
			}
		}
		git_tree_free(t);
		git_tree_free(pt);
		git_commit_free(pc);
		git_commit_free(c);
		if (r2 < 0)
			goto out;
	}
	for (i = 0; i < h.nuses; i++)
		fill_config_entries(h.uses_config[i]);
	ret = 0;
out:
	git_revwalk_free(walk);
	strmap_free(&h.paths);
	free(h.uses_config);
	buf_free(&path);
	return ret;
}

struct repo *repo_open(const char *dir, const char *ref, int worktree, int threads, struct err *e)
{
	struct repo *r = calloc(1, sizeof *r);
	struct priv *p = calloc(1, sizeof *p);
	struct walk w = {r, p, 0, e};
	git_object *obj = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	const char *spec = ref ? ref : "HEAD";

	git_libgit2_init();
	/* git itself does not re-hash every object it reads; nor do we */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (!r || !p) {
		err_oom(e);
		free(p);
		goto fail;
	}
	r->priv = p;
	r->worktree = worktree;
	if (git_repository_open_ext(&p->git, dir ? dir : ".",
	                            open_flags(dir ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0),
	                            NULL) < 0) {
		git_err(e, dir ? dir : "no git repository here");
		goto fail;
	}
	if (git_repository_is_shallow(p->git)) {
		err_set(e,
		        "%s: shallow clone refused: page dates come from the full history "
		        "(run 'git fetch --unshallow' first)",
		        dir ? dir : git_repository_path(p->git));
		goto fail;
	}
	if (git_revparse_single(&obj, p->git, spec) < 0) {
		git_err(e, spec);
		goto fail;
	}
	if (git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		git_err(e, spec);
		goto fail;
	}
	if (fill_commit(&r->head, commit) < 0) {
		err_oom(e);
		goto fail;
	}
	if (worktree) {
		const char *wd = git_repository_workdir(p->git);
		struct stat st;

		if (!wd) {
			err_set(e, "--worktree needs a repository with a work tree");
			goto fail;
		}
		{
			struct buf top = BUF_INIT;

			buf_puts(&top, wd);
			if (top.len && top.ptr[top.len - 1] == '/')
				buf_truncate(&top, top.len - 1);
			if (read_dir(&w, top.ptr, "content") < 0 ||
			    read_dir(&w, top.ptr, "themes") < 0) {
				buf_free(&top);
				goto fail;
			}
			buf_puts(&top, "/site.toml");
			if (stat(top.ptr, &st) == 0 &&
			    read_disk_file(&w, top.ptr, "site.toml") < 0) {
				buf_free(&top);
				goto fail;
			}
			buf_free(&top);
		}
	} else {
		if (git_commit_tree(&tree, commit) < 0) {
			git_err(e, spec);
			goto fail;
		}
		if (git_tree_walk(tree, GIT_TREEWALK_PRE, tree_cb, &w) < 0) {
			if (!e->msg[0])
				git_err(e, "reading the commit");
			goto fail;
		}
		if (read_all_blobs(r, threads, e) < 0)
			goto fail;
		free(p->oids);
		p->oids = NULL;
	}
	/* reading happened in tree order, which is close to path order */
	if (r->nfiles > 1)
		qsort(r->files, r->nfiles, sizeof *r->files, cmp_file);
	if (walk_history(r, p->git, git_commit_id(commit), e) < 0)
		goto fail;
	git_tree_free(tree);
	git_commit_free(commit);
	git_object_free(obj);
	return r;
fail:
	git_tree_free(tree);
	git_commit_free(commit);
	git_object_free(obj);
	repo_close(r);
	return NULL;
}

void repo_close(struct repo *r)
{
	struct priv *p;
	size_t i;

	if (!r)
		return;
	p = r->priv;
	for (i = 0; i < r->nfiles; i++) {
		free(r->files[i].path);
		free(r->files[i].hist);
		free(r->files[i].data);
	}
	free(r->files);
	for (i = 0; i < r->ncommits; i++) {
		free(r->commits[i].author);
		free(r->commits[i].summary);
		free(r->commits[i].note);
	}
	free(r->commits);
	free(r->head.author);
	free(r->head.summary);
	free(r->head.note);
	if (p) {
		free(p->oids);
		git_repository_free(p->git);
		free(p);
	}
	free(r);
	git_libgit2_shutdown();
}

static int cmp_key(const void *k, const void *f)
{
	return strcmp(k, ((const struct rfile *)f)->path);
}

const struct rfile *repo_file(const struct repo *r, const char *path)
{
	return bsearch(path, r->files, r->nfiles, sizeof *r->files, cmp_key);
}

void repo_drop_data(struct repo *r, const struct rfile *f)
{
	/* the repo owns its files: reach f through r->files, not a cast */
	struct rfile *w = &r->files[f - r->files];

	free(w->data);
	w->data = NULL;
	w->len = 0;
}

char *repo_read_blob(struct repo *r, const char *oid, size_t *len, struct err *e)
{
	struct priv *p = r->priv;
	git_oid id;
	git_blob *blob = NULL;
	char *data;
	size_t n;

	if (git_oid_fromstr(&id, oid) < 0 || git_blob_lookup(&blob, p->git, &id) < 0) {
		git_err(e, oid);
		return NULL;
	}
	n = (size_t)git_blob_rawsize(blob);
	if (n > REPO_MAX_FILE) {
		git_blob_free(blob);
		err_set(e, "blob %s: too large (limit %u bytes)", oid, REPO_MAX_FILE);
		return NULL;
	}
	data = malloc(n + 1);
	if (!data) {
		git_blob_free(blob);
		err_oom(e);
		return NULL;
	}
	memcpy(data, git_blob_rawcontent(blob), n);
	data[n] = '\0';
	git_blob_free(blob);
	*len = n;
	return data;
}
