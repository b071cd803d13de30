/*
 * site.h - the site model: every page the build writes, built from the
 * repository snapshot. Data flows one way: repo -> site -> rendered pages.
 */
#ifndef OKIENKO_SITE_H
#define OKIENKO_SITE_H

#include "buf.h"
#include "err.h"
#include "markdown.h"
#include "repo.h"
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
	PK_OFFICE,  /* a page with an [office] table */
	PK_HISTORY, /* the change history of a page with history = true */
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
	const char *title;       /* borrowed from fm */
	const char *description;
	const char *layout; /* front matter's layout, or NULL */
	const char *date;   /* front matter date text, or NULL */
	long long weight;
	int draft, toc, history, notice;
	int body_line;   /* line of the body's first line in the file */
	size_t body_off; /* where the body starts in src->data, and its length */
	size_t body_len;
	struct page *parent;
	struct page **children; /* sorted */
	size_t nchildren;
	struct page *prev, *next; /* within the parent section */
	struct page *course;      /* lessons and tests: their course */
	struct page *test;        /* courses: their test */
	struct page *of;          /* history pages: the page they describe */
	struct page *history_page;
	int lesson_n; /* 1-based among the course's lessons */
	size_t nlessons;
	struct md_doc doc; /* rendered body */
	struct anchor_ref *anchors;
	size_t nanchors;
	long long created, lastmod; /* commit times, 0 when unknown */
	int created_off, lastmod_off;
};

struct site {
	struct repo *repo;
	struct val *config; /* site.toml */
	struct val *base;   /* the context every template sees (site, t, menu, offices...) */
	struct theme *theme;
	struct page **pages; /* every page, in a stable order */
	size_t npages;
	struct strmap by_rel;  /* "kursy/x/_index.md" -> page */
	struct strmap by_url;  /* "/kursy/x/" -> page, and static files -> NULL marker */
	struct strmap statics; /* "/style.css" -> rfile (content and theme static files) */
	struct page *home;
	struct page **offices;
	size_t noffices;
	struct page *notice; /* a recently changed document, or NULL */
	int unsafe;
	int jobs;
	/* wall-clock seconds per build phase, for --timings */
	const char *phase_name[12];
	double phase_sec[12];
	int nphases;
	double phase_start;
	const char *base_url;
};

/* Loads site.toml, the theme and every content file's front matter (on
 * `jobs` threads) and links them into the model. 0, or -1 with
 * e = "file:line:col: message". */
int site_load(struct site *s, struct repo *r, int jobs, struct err *e);
/* Renders one page's Markdown into p->doc, resolving and checking its
 * links (anchors are queued in p->anchors) and shortcodes. Safe to call
 * for different pages on different threads once the model is loaded.
 * 0, or -1 with e. */
int site_markdown(struct site *s, struct page *p, struct err *e);
/* Checks the queued anchors against every page's headings (after all
 * pages' Markdown is rendered). 0, or -1 with e naming the link. */
int site_check_anchors(struct site *s, struct err *e);
void site_free(struct site *s);
/* Ends the current phase under `name` (for --timings). */
void site_phase(struct site *s, const char *name);
/* Formats a commit time as YYYY-MM-DD in its own time zone. */
void site_date(struct buf *out, long long t, int offset);
/* ...and as RFC 3339 (2026-11-22T18:20:00+01:00). */
void site_datetime(struct buf *out, long long t, int offset);

#endif
