/*
 * forum.h - the course forums as static pages. For each course, an index
 * (its threads, the most recently active first, and the form to start a
 * thread) and the pages of each thread (its posts in order, and the form
 * to reply), rendered with the theme's layouts forum-index and
 * forum-thread from the posts in the store, and written atomically (a
 * temporary file renamed over the old) below `dir`:
 *   DIR/kursy/COURSE/forum/index.html             the index, page 1
 *   DIR/kursy/COURSE/forum/strona-N/index.html    the index, page N
 *   DIR/kursy/COURSE/forum/THREAD_ID/index.html   a thread, page 1
 *   DIR/kursy/COURSE/forum/THREAD_ID/strona-N/index.html
 * so that reading a forum costs nothing but a file. A thread page holds
 * FORUM_PAGE_POSTS posts, an index page FORUM_PAGE_THREADS threads; when
 * there is more than one page, each has a pager (<nav aria-label="Strony
 * wątku">). A page is written only when its bytes change. `dir` is
 * formd's own folder (--forum-dir), outside the generator's output, which
 * a rebuild replaces. Hidden posts are left out of the pages (a hidden
 * first post hides its thread from the index; its page says it was
 * removed).
 *
 * Two ways to write: forum_write / forum_write_all rebuild on the calling
 * thread (formd admin, tests); the daemon uses a forum writer
 * (forum_writer_new), which rebuilds off the request threads, one course
 * at a time per course, coalescing bursts of posts into one rebuild.
 *
 * Thread safety: each rebuild reads the posts afresh, so the pages of a
 * rebuild show every post stored before it started. The synchronous calls
 * must not run at the same time as another rebuild of the same course in
 * the same process (the later rename could carry the older posts); the
 * writer never runs two rebuilds of one course at once.
 */
#ifndef OKIENKO_FORUM_H
#define OKIENKO_FORUM_H

#include "buf.h"
#include "err.h"
#include "pages.h"
#include "store.h"

#define FORUM_TITLE_MAX 150   /* characters of a thread's title */
#define FORUM_BODY_MAX 5000   /* characters of a post */
#define FORUM_PAGE_POSTS 50   /* posts on one page of a thread */
#define FORUM_PAGE_THREADS 50 /* threads on one page of a course's index */
#define FORUM_URL_MAX 256     /* bytes of a page's URL, with its anchor */

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

/* The page (1, 2, ...) that shows the post at 0-based position `pos`
 * among its thread's visible posts. */
long long forum_page_of(long long pos);
/* The URL of page `page` of thread `thread_id` of `course` (thread 0: the
 * course's index): "/kursy/C/forum/[ID/][strona-N/]" into out (n bytes).
 * 0, or -1 when it does not fit. */
int forum_page_url(const char *course, long long thread_id, long long page, char *out, size_t n);
/* The URL of the page that shows post `post_id` of thread `thread_id`,
 * with its anchor: "/kursy/C/forum/ID/strona-N/#wpis-P" (no strona-N/ on
 * page 1), N from the visible posts before it (store_post_position); page
 * 1 for a removed thread. 0, or -1 with e. */
int forum_post_url(struct store *st, const char *course, long long thread_id, long long post_id,
                   char *out, size_t n, struct err *e);

/* ---- the writer ---- */

/* A site as the writer holds it. The writer calls retain(ref) for every
 * reference it keeps past a call and release(ref) for each one when done
 * with it (on any of its threads); `sd` stays valid while a reference is
 * held. For a site without reference counting (tests): both may be
 * functions that do nothing. */
struct forum_site {
	const struct sitedata *sd;
	void *ref;
	void (*retain)(void *ref);
	void (*release)(void *ref);
};

/* Called on a writer thread when a rebuild that started after the mark
 * has finished: rc 0 (the pages are written), or -1 with e (the error,
 * valid during the call only). */
typedef void (*forum_done)(void *arg, int rc, const struct err *e);

struct forum_writer;

/* Starts a writer: FORUM_WRITER_THREADS threads rebuilding the courses
 * marked, reading `st` (borrowed; it must outlive the writer) and writing
 * below `dir` (copied). NULL with e. */
#define FORUM_WRITER_THREADS 2
struct forum_writer *forum_writer_new(struct store *st, const char *dir, struct err *e);
/* Finishes every rebuild marked so far (calling every pending done), then
 * stops the threads, lets go of every site and frees the writer. Marks
 * must have stopped (HTTP stopped first). NULL is a no-op. */
void forum_writer_free(struct forum_writer *fw);
/* Queues a rebuild of `course` with `site` (borrowed during the call; the
 * writer retains what it keeps; a newer site given for a course replaces
 * the older one for its next rebuild). Marks that come while a rebuild of
 * that course runs lead to one more rebuild after it, whatever their
 * number. `done` (may be NULL) is called once, from a writer thread, after
 * a rebuild that started after this mark has written the pages or failed.
 * Returns 0; or -1 with e (no such course in site, out of memory, the
 * writer stopping): then `done` is never called. */
int forum_writer_mark(struct forum_writer *fw, const struct forum_site *site, const char *course,
                      forum_done done, void *arg, struct err *e);
/* Marks `course` and waits for the rebuild that answers: 0, or -1 with e
 * (the mark's or the rebuild's). Not from a writer thread. */
int forum_writer_write(struct forum_writer *fw, const struct forum_site *site, const char *course,
                       struct err *e);
/* Marks every course of site and waits for their rebuilds (start, reload).
 * 0, or -1 with e naming the first failure (the other courses are written
 * all the same). Not from a writer thread. */
int forum_writer_write_all(struct forum_writer *fw, const struct forum_site *site, struct err *e);
/* For tests and measurements: fn(arg, course) is called on a writer
 * thread as each rebuild starts (after it took the marks it answers).
 * Set before the first mark. */
void forum_writer_hook(struct forum_writer *fw, void (*fn)(void *arg, const char *course),
                       void *arg);

#endif
