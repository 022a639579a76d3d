/* SPDX-License-Identifier: MIT */
/* collector.h -- the parts of tmwatch-collector that do not speak HTTP:
 * judging a request and storing an accepted report.
 *
 * check.c decides, from the method, path, content type and body alone,
 * what the answer is, with body.c judging the body's syntax (both pure,
 * fuzzed by tests/fuzz/fuzz_collector.c);
 * store_file.c makes an accepted report durable as DATA/WEEK/X.json (the
 * file store behind store.h; store_pg.c is the PostgreSQL one). main.c
 * glues them to libmicrohttpd. Protocol: docs/collector.md.
 */
#ifndef TMWATCH_COLLECTOR_H
#define TMWATCH_COLLECTOR_H

#include <stddef.h>

#include "uploadconfig.h"

/* What check_request decided. STATUS 200 means "store it": WEEK and KEY
 * (the X as printed, the file name stem) are then set. Otherwise REASON
 * is the one-line text sent back to the client. */
struct collector_verdict {
	int status;
	char reason[320];
	char week[11];
	char key[40];
};

/* check_request judges POST /upload/DATE with BODY (LEN bytes; NULL when
 * empty) against CFGS: 404 for another path, 405 for another method, 415
 * without a JSON content type, 400 for an invalid report, a Week other than
 * DATE, or anything no config allows. 400 also for anything but exactly
 * one JSON object (whitespace aside) and for an X not written canonically
 * (body.c). Never touches the disk. Any thread. */
void check_request(const struct tm__upload_configs *cfgs, const char *method,
		   const char *url, const char *content_type,
		   const char *body, size_t len, struct collector_verdict *v);

/* check_path tells whether URL is /upload/YYYY-MM-DD; the date goes into
 * DATE. Returns 1 or 0. */
int check_path(const char *url, char date[11]);

/* body_check tells whether BODY (LEN bytes) is exactly one JSON object in
 * strict RFC 8259 syntax, whitespace aside, with each top-level field
 * named once and without escapes. Returns NULL when it is, else a short
 * reason (a static string). *X and *XLEN get the raw text of the
 * top-level "X" value (NULL, 0 when absent). Pure; any thread. */
const char *body_check(const char *body, size_t len, const char **x,
		       size_t *xlen);

/* body_parse_cost bounds the memory that reading BODY (LEN bytes) takes
 * on top of the body: cJSON's tree and the report reader's copies. 0 when
 * body_check refuses it (it is then never parsed). Pure; any thread. */
size_t body_parse_cost(const char *body, size_t len);

/* body_x_is_canonical tells whether TEXT (LEN bytes) is a number in [0,1)
 * spelled exactly as tmwatch's report writer spells that value. 1 or 0. */
int body_x_is_canonical(const char *text, size_t len);

/* store_report writes BODY durably as DATADIR/WEEK/KEY.json (temp, fsync,
 * link, fsync of the directory) unless it is already there. Returns 0 when
 * stored, 1 when the same bytes were already stored (the same upload sent
 * twice), -EEXIST when a different report holds that key, or -errno. */
int store_report(const char *datadir, const char *week, const char *key,
		 const char *body, size_t len);

#endif
