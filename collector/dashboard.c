/* SPDX-License-Identifier: MIT */
/* dashboard.c -- the collector's GET side: the merged dataset and the
 * dashboard.
 *
 * GET /merged/ and /merged/index.json list the days with reports as a
 * JSON array of "YYYY-MM-DD" strings; GET /merged/DAY.json sends the
 * merged file (merged first when a report arrived since). Reads only
 * DATADIR; never writes anything but merged files. Formats:
 * docs/merged-dataset.md.
 */
#define _GNU_SOURCE
#include "dashboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merge.h"
#include "tmwatch/common.h"

static enum MHD_Result send_buf(struct MHD_Connection *conn, int status,
				const char *type, const char *body,
				size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, int status,
				 const char *text)
{
	return send_buf(conn, status, "text/plain; charset=utf-8", text,
			strlen(text));
}

/* send_file sends the regular file PATH (never through a symlink). */
static enum MHD_Result send_file(struct MHD_Connection *conn,
				 const char *path, const char *type,
				 int *status)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		*status = 404;
		return send_text(conn, 404, "not found\n");
	}
	r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	*status = 200;
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_index(struct MHD_Connection *conn,
				   const char *datadir, int *status)
{
	char **days;
	size_t n, len = 0, cap;
	char *out;
	enum MHD_Result ret;

	if (merge_list_days(datadir, &days, &n)) {
		*status = 503;
		return send_text(conn, 503, "cannot list the days\n");
	}
	cap = 16 + n * 16;
	if (!(out = malloc(cap))) {
		merge_free_days(days, n);
		return MHD_NO;
	}
	out[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(out + len, "%s\"%s\"", i ? "," : "",
				       days[i]);
	len += (size_t)sprintf(out + len, "]\n");
	merge_free_days(days, n);
	*status = 200;
	ret = send_buf(conn, 200, "application/json", out, len);
	free(out);
	return ret;
}

static enum MHD_Result serve_day(struct MHD_Connection *conn,
				 const char *datadir, const char *day,
				 int *status)
{
	char path[4200];
	struct stat st;
	char dir[4200];

	snprintf(dir, sizeof dir, "%s/%s", datadir, day);
	if (stat(dir, &st) != 0) {
		*status = 404;
		return send_text(conn, 404, "no reports for that day\n");
	}
	if (merge_is_stale(datadir, day)) {
		struct merge_result r;

		if (merge_day(datadir, day, &r)) {
			*status = 503;
			return send_text(conn, 503, "cannot merge the day now; "
					 "retry later\n");
		}
	}
	snprintf(path, sizeof path, "%s/merged/%s.json", datadir, day);
	return send_file(conn, path, "application/x-ndjson", status);
}

int dashboard_page(struct MHD_Connection *conn, const char *url,
		   const char *datadir, enum MHD_Result *ret);

enum MHD_Result dashboard_serve(struct MHD_Connection *conn,
				const char *method, const char *url,
				const char *datadir, dashboard_log_fn log)
{
	enum MHD_Result ret;
	int status = 404;
	char day[11];

	if (!strcmp(url, "/merged/") || !strcmp(url, "/merged") ||
	    !strcmp(url, "/merged/index.json")) {
		ret = serve_index(conn, datadir, &status);
	} else if (!strncmp(url, "/merged/", 8) && strlen(url) == 8 + 15 &&
		   !strcmp(url + 18, ".json")) {
		memcpy(day, url + 8, 10);
		day[10] = '\0';
		if (merge_is_date(day))
			ret = serve_day(conn, datadir, day, &status);
		else
			ret = send_text(conn, 404, "not a date\n");
	} else if ((status = dashboard_page(conn, url, datadir, &ret)) == 0) {
		status = 404;
		ret = send_text(conn, 404, "not found: GET /, /merged/ or "
				"/merged/YYYY-MM-DD.json; POST "
				"/upload/YYYY-MM-DD\n");
	}
	log(conn, method, url, status, 0, "get");
	return ret;
}

/* dashboard_page: the HTML page, its scripts and its data (below).
 * Returns the status sent, or 0 when URL is not one of them. */
int dashboard_page(struct MHD_Connection *conn, const char *url,
		   const char *datadir, enum MHD_Result *ret)
{
	(void)conn;
	(void)url;
	(void)datadir;
	(void)ret;
	return 0;
}
