/*
 * site.h - the site model: every page and every file the build writes,
 * built from the repository snapshot. The model reads the snapshot and
 * knows nothing of templates or output: the pipeline is repo -> site model
 * -> render (context.c, links.c, render.c) -> files.
 */
#ifndef OKIENKO_SITE_H
#define OKIENKO_SITE_H

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "markdown.h"
#include "repo.h"
#include "retention.h"
#include "strmap.h"
#include "theme.h"
#include "value.h"

enum page_kind {
	PK_HOME,
	PK_SECTION,
	PK_PAGE,
	PK_COURSE,  /* content/kursy/SLUG/_index.md */
	PK_LESSON,  /* a page inside a course */
	PK_TEST,    /* content/kursy/SLUG/test.toml */
	PK_OFFICE,  /* content/urzedy/SLUG.md with an [office] table */
	PK_HISTORY, /* the change history of a page with history = true */
	PK_VERSION, /* one committed version of a document with versions */
	PK_COMPARE, /* what changed from the version before it */
	PK_NKINDS
};

/* A link to an anchor, checked once every page's headings are known. */
struct anchor_ref {
	struct page *target;
	char *anchor; /* owned */
	int line, col;
};

struct page {
	enum page_kind kind;
	const struct rfile *src; /* NULL for generated pages */
	char *rel;               /* path below content/, owned ("kursy/x/_index.md") */
	char *url;               /* "/kursy/x/", owned */
	struct val *fm;          /* front matter (or test.toml), owned */
	const char *title; /* borrowed from fm (generated pages: from the page they describe) */
	const char *description;
	const char *layout; /* front matter's layout, or NULL */
	const char *date;   /* front matter date text, or NULL */
	long long weight;
	int draft, toc, history, notice;
	int versions;    /* publish every committed version (notice = true implies it) */
	int body_line;   /* line of the body's first line in the file */
	size_t body_off; /* where the body starts in src->data, and its length */
	size_t body_len;
	struct page *parent;
	struct page **children; /* sorted */
	size_t nchildren;
	struct page *prev, *next; /* within the parent section */
	struct page *course;      /* lessons and tests: their course */
	struct page *test;        /* courses: their test */
	struct page *of;          /* history, version and compare pages: the document */
	struct page *history_page;
	/* documents with versions: their version pages by history index
	 * (of->src->hist[i]), newest first; nversions == src->nhist */
	struct page **version_pages;
	size_t nversions;
	size_t ver;           /* version and compare pages: the history index */
	struct page *compare; /* version pages: the comparison with the one before */
	char *vsrc;           /* version pages: the file as committed then (owned) */
	size_t vsrc_len;
	struct val *vconfig;          /* ...site.toml as it was then (owned; NULL: none) */
	struct retention *vretention; /* ...its retention periods (owned; NULL: none) */
	int lesson_n;                 /* 1-based among the course's lessons */
	size_t nlessons;
	struct md_doc doc; /* rendered body */
	struct anchor_ref *anchors;
	size_t nanchors;
	long long created, lastmod; /* commit times, 0 when unknown */
	int created_off, lastmod_off;
};

enum out_kind {
	OUT_PAGE,           /* a page's index.html */
	OUT_ALIAS,          /* a redirect page for an old URL */
	OUT_THEME_STATIC,   /* themes/NAME/static/... */
	OUT_CONTENT_STATIC, /* a content file published as it is */
	OUT_GENERATED,      /* sitemap, robots.txt, feed, 404 */
	OUT_FORMD,          /* written by formd, not the build: a course's forum */
};

/* One file the build writes below public/. */
struct output {
	char *path; /* "/kursy/x/index.html", "/style.css"; owned */
	enum out_kind kind;
	const char *source;       /* who writes it, for messages: a file path or a
	                             description (borrowed, lives as long as the site) */
	int line, col;            /* where in `source` (aliases), 0 if nowhere */
	struct page *page;        /* OUT_PAGE: the page; OUT_ALIAS: the page it sends to */
	const struct rfile *file; /* static files */
	/* a theme stylesheet's copy named by its content ("/style.3f2a9c1e.css"),
	 * which may be cached for ever; `asset` is its key in the templates'
	 * `assets` ("style_css"), owned. NULL for every other output. */
	char *asset;
};

struct site {
	struct repo *repo;
	struct val *config; /* site.toml, owned; never changed after parsing */
	char *base_url;     /* config's base_url without a final '/', owned */
	struct theme *theme;
	const struct rfile **theme_statics; /* themes/NAME/static/ files */
	size_t ntheme_statics;
	struct page **pages; /* every page, in a stable order */
	size_t npages;
	struct strmap by_rel; /* "kursy/x/_index.md" -> page */
	/* every file the build writes, filled before anything is written;
	 * by_path maps output paths to them (two sources never share a path) */
	struct output *outputs;
	size_t noutputs;
	struct strmap by_path;
	struct page *home;
	struct page **offices;
	size_t noffices;
	struct page *notice; /* a recently changed document, or NULL */
	/* site.toml [retention], checked: by index of retention_kinds[]
	 * (retention_kinds_n entries, owned); n == 0 where no period is set */
	struct retention *retention;
	int unsafe;
	int jobs;
};

/* Loads site.toml, the theme and every content file's front matter (on
 * `jobs` threads), links them into the model and lists every output file,
 * failing when two sources would write the same one. 0, or -1 with
 * e = "file:line:col: message". */
int site_load(struct site *s, struct repo *r, int jobs, struct phases *ph, struct err *e);
/* The output a local URL names: "/a/b/" and "/a/b" a page (or alias),
 * "/style.css" a file. NULL when the build produces nothing there. */
const struct output *site_find_url(const struct site *s, const char *url, size_t len);
/* Frees the model; safe on a zeroed site and on one whose load failed. */
void site_free(struct site *s);

/* site.toml's [retention] in `config`: each key one of retention_kinds,
 * each value a period retention_parse reads, or "" for none; the table may
 * be missing. *out gets retention_kinds_n periods (n == 0: none; the
 * caller frees it, also after a failure). Errors name the value's place in
 * site.toml and the key. 0 or -1 with e. */
int site_read_retention(const struct val *config, struct retention **out, struct err *e);

#endif
