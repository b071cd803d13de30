/*
 * route.h - which flow answers which path: one table of the paths
 * site.toml [forms] names (a base and a tail), the methods each takes,
 * and the checks every POST passes once (origin, content type) before a
 * flow sees it.
 */
#ifndef OKIENKO_ROUTE_H
#define OKIENKO_ROUTE_H

#include "http.h"
#include "pages.h"

struct flow_ctx;
struct who;

/* Answers `c->req` when its path is formd's: finds who is asking (into
 * w, then c->w) and calls the flow. 1 (c->res is set), or 0 when the path
 * is not formd's (a static file, or 404). */
int route_handle(struct flow_ctx *c, struct who *w);

/* The request comes from the site's own pages: Sec-Fetch-Site, else
 * Origin, else Referer names base_url's origin or http(s)://Host; a
 * request with none of them is refused. */
int route_same_origin(const struct sitedata *sd, const struct request *req);

#endif
