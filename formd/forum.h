/*
 * forum.h - the course forums as static pages. For each course, an index
 * (its threads, the most recently active first, and the form to start a
 * thread) and one page per thread (its posts in order, and the form to
 * reply), rendered with the theme's layouts forum-index and forum-thread
 * from the posts in the store, and written atomically (a temporary file
 * renamed over the old) below `dir`:
 *   DIR/kursy/COURSE/forum/index.html
 *   DIR/kursy/COURSE/forum/THREAD_ID/index.html
 * so that reading a forum costs nothing but a file. `dir` is formd's own
 * folder (--forum-dir), outside the generator's output, which a rebuild
 * replaces. Hidden posts are left out of the pages (a hidden first post
 * hides its thread from the index; its page says it was removed).
 *
 * Thread safety: writes of the forum pages are serialised inside forum.c
 * and each reads the posts afresh, so the last write always shows every
 * post stored before it.
 */
#ifndef OKIENKO_FORUM_H
#define OKIENKO_FORUM_H

#include "buf.h"
#include "err.h"
#include "pages.h"
#include "store.h"

#define FORUM_TITLE_MAX 150 /* characters of a thread's title */
#define FORUM_BODY_MAX 5000 /* characters of a post */

/* Rewrites one course's forum pages. `course` is a slug of a course the
 * site has (a test page in pages.json names it); -1 with e otherwise. */
int forum_write(const struct sitedata *sd, struct store *st, const char *dir, const char *course,
                struct err *e);
/* Rewrites every course's forum pages (at start, and after a reload that
 * may bring a new theme). 0, or -1 with e naming the first failure. */
int forum_write_all(const struct sitedata *sd, struct store *st, const char *dir, struct err *e);
/* 1 if `course` is a course of the site (has a test page). */
int forum_course_exists(const struct sitedata *sd, const char *course);
/* A post's text as safe HTML: everything escaped; a blank line starts a
 * new paragraph (<p>), a line break is <br>; http:// and https:// URLs
 * become links with rel="nofollow ugc noopener" (only those schemes,
 * never javascript: or others). */
void forum_body_html(struct buf *out, const char *text, size_t len);

#endif
