/*
 * reply.h - the answers formd gives: short texts, redirects, the pages it
 * renders with the site's theme (a form again with its errors, a message,
 * any layout), and 500/503 for failures of its own.
 *
 * One rule: an answer that failed is never overwritten. Every function
 * takes the status it means to answer with and sets it only when the page
 * was made; when rendering fails the answer is 503 (logged), and a later
 * call on the same response leaves an earlier 5xx as it is.
 */
#ifndef OKIENKO_REPLY_H
#define OKIENKO_REPLY_H

#include "err.h"
#include "http.h"
#include "pages.h"
#include "value.h"

struct form;
struct who;

/* 1 when res already holds a failure (5xx) that must stand. */
int reply_failed(const struct response *res);

/* A short plain-text answer. */
void reply_plain(struct response *res, int status, const char *text);
/* 503: nothing was stored (logs e). */
void reply_unavailable(struct response *res, const struct err *e);
/* 500: a gap in the built site or in formd (logs `why`): never a crash. */
void reply_broken(struct response *res, const char *why);
/* 303 to `where`. */
void reply_see_other(struct response *res, const char *where);

/* The frame on top of a page formd renders: the person (for the account
 * links), the form, the offices with `office` selected. Takes `form`
 * (NULL: none). NULL when out of memory. */
struct val *reply_frame(const struct sitedata *sd, const struct who *w, struct val *form,
                        const char *office);
/* Renders `layout` at `url` with `title` and `top` (taken; NULL: out of
 * memory, answered 503) with `status`. */
void reply_page(const struct sitedata *sd, const char *layout, const char *url, const char *title,
                struct val *top, int status, struct response *res);
/* The form page the generator built at `url` again, with the errors and
 * the values (never a password), `summary` over them, with `status`
 * (422; 401 for "log in first"). url NULL: 500. */
void reply_form_again(const struct sitedata *sd, const struct who *w, const char *url,
                      const struct form *f, const char *summary, int status, struct response *res);
/* The page the generator built at `url` again with `frame` (taken: a
 * changed copy of its own) and `top` (taken) on it, with `status`. NULL
 * frame or top: out of memory, 503. */
void reply_page_again(const struct sitedata *sd, const char *url, struct val *frame,
                      struct val *top, int status, struct response *res);
/* A page with a message and a link (thank-you pages, refusals). */
void reply_message(const struct sitedata *sd, const struct who *w, const char *url,
                   const char *title, const char *text, const char *link, const char *link_text,
                   int status, struct response *res);

#endif
