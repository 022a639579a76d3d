/* SPDX-License-Identifier: MIT */
/* dashboard.h -- what the collector answers to GET: the merged dataset
 * (GET /merged/, /merged/index.json, /merged/DAY.json) and the dashboard
 * (GET /, /program/NAME, /api/program/NAME.json, /static/...).
 * docs/merged-dataset.md and docs/maintainers.md.
 */
#ifndef TMWATCH_COLLECTOR_DASHBOARD_H
#define TMWATCH_COLLECTOR_DASHBOARD_H

#include <microhttpd.h>
#include <stddef.h>

struct store;

/* main.c's request log line. */
typedef void (*dashboard_log_fn)(const struct MHD_Connection *conn,
				 const char *method, const char *url,
				 int status, size_t len, const char *what);

/* dashboard_serve answers the GET or HEAD of URL from the store ST and
 * logs one line with LOG. A stale or missing merged day is merged first
 * (merge.c), so a reader always gets every report stored so far. Any
 * connection thread. */
enum MHD_Result dashboard_serve(struct MHD_Connection *conn,
				const char *method, const char *url,
				struct store *st, dashboard_log_fn log);

#endif
