/* SPDX-License-Identifier: MIT */
/* dashboard.c -- the collector's GET side: the merged dataset and the
 * dashboard.
 *
 * GET /merged/ and /merged/index.json list the days with reports as a
 * JSON array of "YYYY-MM-DD" strings; GET /merged/DAY.json sends the
 * merged file (merged first when a report arrived since). Reads only
 * the store (store.h: files or PostgreSQL); never writes anything but
 * merged days. Formats:
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

#include <cjson/cJSON.h>

#include "merge.h"
#include "store.h"
#include "report.h"
#include "tmwatch/common.h"

/* The page's own assets, collector/web/, built into the binary (.incbin):
 * an installed collector needs no data directory of its own. Chart.js is
 * not ours: it is served from Debian's libjs-chart.js. */
#define WEB_ASSET(sym, file)                                              \
	__asm__(".pushsection .rodata\n.globl " #sym "\n.hidden " #sym     \
		"\n.globl " #sym "_end\n.hidden " #sym "_end\n" #sym ":\n"   \
		".incbin \"" TMWATCH_WEB_DIR "/" file "\"\n" #sym "_end:\n" \
		".byte 0\n.popsection\n");                                 \
	extern const char sym[], sym##_end[]
WEB_ASSET(web_html, "dashboard.html");
WEB_ASSET(web_js, "dashboard.js");
WEB_ASSET(web_css, "dashboard.css");

/* Chart.js 3 (Debian 12) ships a UMD chart.min.js; Chart.js 4 (Debian 13)
 * chart.umd.js. */
static const char *const chartjs_paths[] = {
	"/usr/share/javascript/chart.js/chart.umd.min.js",
	"/usr/share/javascript/chart.js/chart.umd.js",
	"/usr/share/javascript/chart.js/chart.min.js",
};
/* The dashboard reads at most this many of the latest days. */
#define DASH_MAX_DAYS 90
/* Stack groups charted per program. */
#define DASH_TOP 10

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

/* send_file sends the regular file PATH. */
static enum MHD_Result send_fd(struct MHD_Connection *conn, int fd,
			       const char *type, int *status);
static enum MHD_Result send_file(struct MHD_Connection *conn,
				 const char *path, const char *type,
				 int *status)
{
	return send_fd(conn, open(path, O_RDONLY | O_CLOEXEC), type, status);
}

/* send_fd sends what the regular file open at FD holds, and closes FD. */
static enum MHD_Result send_fd(struct MHD_Connection *conn, int fd,
			       const char *type, int *status)
{
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
				   struct store *st, int *status)
{
	char **days;
	size_t n, len = 0, cap;
	char *out;
	enum MHD_Result ret;

	if (st->ops->list_days(st, &days, &n)) {
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
				 struct store *st, const char *day,
				 int *status)
{
	int fd, rc = st->ops->open_merged(st, day, &fd);

	if (rc == -ENOENT) {
		*status = 404;
		return send_text(conn, 404, "no reports for that day\n");
	}
	if (rc) {
		*status = 503;
		return send_text(conn, 503, "cannot merge the day now; "
				 "retry later\n");
	}
	return send_fd(conn, fd, "application/x-ndjson", status);
}

static int dashboard_page(struct MHD_Connection *conn, const char *url,
			  struct store *st, enum MHD_Result *ret);

enum MHD_Result dashboard_serve(struct MHD_Connection *conn,
				const char *method, const char *url,
				struct store *st, dashboard_log_fn log)
{
	enum MHD_Result ret;
	int status = 404;
	char day[11];

	if (!strcmp(url, "/merged/") || !strcmp(url, "/merged") ||
	    !strcmp(url, "/merged/index.json")) {
		ret = serve_index(conn, st, &status);
	} else if (!strncmp(url, "/merged/", 8) && strlen(url) == 8 + 15 &&
		   !strcmp(url + 18, ".json")) {
		memcpy(day, url + 8, 10);
		day[10] = '\0';
		if (merge_is_date(day))
			ret = serve_day(conn, st, day, &status);
		else
			ret = send_text(conn, 404, "not a date\n");
	} else if ((status = dashboard_page(conn, url, st, &ret)) == 0) {
		status = 404;
		ret = send_text(conn, 404, "not found: GET /, /merged/ or "
				"/merged/YYYY-MM-DD.json; POST "
				"/upload/YYYY-MM-DD\n");
	}
	log(conn, method, url, status, 0, "get");
	return ret;
}

/* stack_id: the stack ID of docs/maintainers.md (first 8 characters of
 * base64url of FNV-1a-64, big-endian), as `tmwatch stacks` prints it. */
static void stack_id(const char *s, char out[9])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789-_";
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char b[6];

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(h >> (56 - 8 * i));
	for (int g = 0; g < 2; g++) {
		unsigned v = (unsigned)b[3 * g] << 16 |
			     (unsigned)b[3 * g + 1] << 8 | b[3 * g + 2];

		for (int k = 0; k < 4; k++)
			out[4 * g + k] = b64[v >> (18 - 6 * k) & 63];
	}
	out[8] = '\0';
}

/* add_to adds N under OBJ[KEY][DAY] (DAY NULL: OBJ[KEY] itself). */
static void add_to(cJSON *obj, const char *key, const char *day, double n)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, key), *v;

	if (!day) {
		if (o)
			cJSON_SetNumberValue(o, o->valuedouble + n);
		else
			cJSON_AddNumberToObject(obj, key, n);
		return;
	}
	if (!o)
		o = cJSON_AddObjectToObject(obj, key);
	if (!o)
		return;
	v = cJSON_GetObjectItemCaseSensitive(o, day);
	if (v)
		cJSON_SetNumberValue(v, v->valuedouble + n);
	else
		cJSON_AddNumberToObject(o, day, n);
}

/* for_each_report calls FN for every report of the last DASH_MAX_DAYS
 * merged days (merging stale days first). */
static int for_each_report(struct store *st,
			   void (*fn)(const struct tm__report *r,
				      const char *day, void *arg),
			   void *arg, cJSON *days_out)
{
	char **days;
	size_t n;
	int rc;

	if ((rc = st->ops->list_days(st, &days, &n)))
		return rc;
	for (size_t i = n > DASH_MAX_DAYS ? n - DASH_MAX_DAYS : 0; i < n;
	     i++) {
		FILE *f;
		int fd;
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;

		if (st->ops->open_merged(st, days[i], &fd))
			continue;
		if (!(f = fdopen(fd, "r"))) {
			close(fd);
			continue;
		}
		if (days_out)
			cJSON_AddItemToArray(days_out,
					     cJSON_CreateString(days[i]));
		while ((len = getline(&line, &cap, f)) > 0) {
			struct tm__report r;
			char why[64];

			if (tm__report_parse(line, (size_t)len, &r, why,
					     sizeof why))
				continue;
			fn(&r, days[i], arg);
			tm__report_free(&r);
		}
		free(line);
		fclose(f);
	}
	merge_free_days(days, n);
	return 0;
}

static int is_crash_stack(const char *name)
{
	return !strncmp(name, "crash/crash", 11) &&
	       (name[11] == '\n' || !name[11]);
}

static void add_program_row(const struct tm__report *r, const char *day,
			    void *arg)
{
	cJSON *rows = arg;

	for (size_t i = 0; i < r->nprograms; i++) {
		const struct tm__report_program *p = &r->programs[i];
		cJSON *row = cJSON_GetObjectItemCaseSensitive(rows,
							      p->program);
		double crashes = 0;

		for (size_t j = 0; j < p->nstacks; j++)
			if (is_crash_stack(p->stacks[j].name))
				crashes += (double)p->stacks[j].count;
		if (!row) {
			row = cJSON_AddObjectToObject(rows, p->program);
			if (!row)
				return;
			cJSON_AddStringToObject(row, "Program", p->program);
			cJSON_AddStringToObject(row, "FirstDay", day);
			cJSON_AddStringToObject(row, "LastDay", day);
		}
		add_to(row, "Reports", NULL, 1);
		add_to(row, "Crashes", NULL, crashes);
		cJSON_ReplaceItemInObjectCaseSensitive(row, "LastDay",
			cJSON_CreateString(day));
	}
}

struct prog_acc {
	const char *name;
	cJSON *per_day, *per_version, *counters, *stacks;
};

static void add_program_data(const struct tm__report *r, const char *day,
			     void *arg)
{
	struct prog_acc *a = arg;

	for (size_t i = 0; i < r->nprograms; i++) {
		const struct tm__report_program *p = &r->programs[i];

		if (strcmp(p->program, a->name))
			continue;
		for (size_t j = 0; j < p->ncounters; j++)
			add_to(a->counters, p->counters[j].name, day,
			       (double)p->counters[j].count);
		for (size_t j = 0; j < p->nstacks; j++) {
			const char *name = p->stacks[j].name;
			double n = (double)p->stacks[j].count;
			char id[9];
			cJSON *g;

			if (!is_crash_stack(name))
				continue;
			add_to(a->per_day, day, NULL, n);
			add_to(a->per_version, p->version, day, n);
			stack_id(name, id);
			g = cJSON_GetObjectItemCaseSensitive(a->stacks, id);
			if (!g) {
				const char *f = strchr(name, '\n');
				const char *e = f ? strchr(f + 1, '\n') : NULL;
				char *frame = f ? strndup(f + 1, e ?
					(size_t)(e - f - 1) : strlen(f + 1)) :
					strdup("");

				g = cJSON_AddObjectToObject(a->stacks, id);
				if (!g || !frame) {
					free(frame);
					return;
				}
				cJSON_AddStringToObject(g, "ID", id);
				cJSON_AddStringToObject(g, "Frame", frame);
				cJSON_AddNumberToObject(g, "Count", 0);
				cJSON_AddObjectToObject(g, "PerDay");
				cJSON_AddObjectToObject(g, "Versions");
				free(frame);
			}
			add_to(g, "Count", NULL, n);
			add_to(cJSON_GetObjectItem(g, "PerDay"), day, NULL, n);
			add_to(cJSON_GetObjectItem(g, "Versions"), p->version,
			       NULL, n);
		}
	}
}

static int by_count_desc(const void *a, const void *b)
{
	const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
	double cx = cJSON_GetObjectItem(x, "Count")->valuedouble;
	double cy = cJSON_GetObjectItem(y, "Count")->valuedouble;

	if (cx != cy)
		return cx < cy ? 1 : -1;
	return strcmp(x->string, y->string);
}

static enum MHD_Result send_json(struct MHD_Connection *conn, cJSON *j,
				 int *status)
{
	char *text = cJSON_PrintUnformatted(j);
	enum MHD_Result ret;

	cJSON_Delete(j);
	if (!text)
		return MHD_NO;
	*status = 200;
	ret = send_buf(conn, 200, "application/json", text, strlen(text));
	free(text);
	return ret;
}

static enum MHD_Result api_programs(struct MHD_Connection *conn,
				    struct store *st, int *status)
{
	cJSON *rows = cJSON_CreateObject(), *list = cJSON_CreateArray(), *r;

	if (!rows || !list) {
		cJSON_Delete(rows);
		cJSON_Delete(list);
		return MHD_NO;
	}
	for_each_report(st, add_program_row, rows, NULL);
	while ((r = rows->child)) {
		cJSON_DetachItemViaPointer(rows, r);
		cJSON_AddItemToArray(list, r);
	}
	cJSON_Delete(rows);
	return send_json(conn, list, status);
}

static enum MHD_Result api_program(struct MHD_Connection *conn,
				   struct store *st, const char *name,
				   int *status)
{
	struct prog_acc a = { name, cJSON_CreateObject(), cJSON_CreateObject(),
			      cJSON_CreateObject(), cJSON_CreateObject() };
	cJSON *root = cJSON_CreateObject(), *days, *top, **v = NULL, *g;
	size_t n = 0, k = 0;

	if (!root || !a.per_day || !a.per_version || !a.counters ||
	    !a.stacks) {
		cJSON_Delete(root);
		cJSON_Delete(a.per_day);
		cJSON_Delete(a.per_version);
		cJSON_Delete(a.counters);
		cJSON_Delete(a.stacks);
		return MHD_NO;
	}
	cJSON_AddStringToObject(root, "Program", name);
	days = cJSON_AddArrayToObject(root, "Days");
	for_each_report(st, add_program_data, &a, days);
	cJSON_AddItemToObject(root, "CrashesPerDay", a.per_day);
	cJSON_AddItemToObject(root, "CrashesPerVersion", a.per_version);
	cJSON_AddItemToObject(root, "Counters", a.counters);
	top = cJSON_AddArrayToObject(root, "TopStacks");
	cJSON_ArrayForEach(g, a.stacks)
		n++;
	if (n && (v = malloc(n * sizeof *v))) {
		cJSON_ArrayForEach(g, a.stacks)
			v[k++] = g;
		qsort(v, n, sizeof *v, by_count_desc);
		for (k = 0; k < n && k < DASH_TOP; k++)
			cJSON_AddItemToArray(top, cJSON_Duplicate(v[k], 1));
		free(v);
	}
	cJSON_Delete(a.stacks);
	return send_json(conn, root, status);
}

static enum MHD_Result send_asset(struct MHD_Connection *conn,
				  const char *type, const char *p,
				  const char *end, int *status)
{
	*status = 200;
	return send_buf(conn, 200, type, p, (size_t)(end - p));
}

/* dashboard_page: the HTML page, its scripts and its data. Returns the
 * status sent, or 0 when URL is not one of them. */
static int dashboard_page(struct MHD_Connection *conn, const char *url,
			  struct store *st, enum MHD_Result *ret)
{
	int status = 0;
	size_t n = strlen(url);

	if (!strcmp(url, "/") || (!strncmp(url, "/program/", 9) && n > 9)) {
		*ret = send_asset(conn, "text/html; charset=utf-8", web_html,
				  web_html_end, &status);
	} else if (!strcmp(url, "/static/dashboard.js")) {
		*ret = send_asset(conn, "text/javascript; charset=utf-8",
				  web_js, web_js_end, &status);
	} else if (!strcmp(url, "/static/dashboard.css")) {
		*ret = send_asset(conn, "text/css; charset=utf-8", web_css,
				  web_css_end, &status);
	} else if (!strcmp(url, "/static/chart.js")) {
		for (size_t i = 0; i < sizeof chartjs_paths /
		     sizeof chartjs_paths[0]; i++)
			if (access(chartjs_paths[i], R_OK) == 0)
				return *ret = send_file(conn, chartjs_paths[i],
					"text/javascript; charset=utf-8",
					&status), status;
		status = 404;
		*ret = send_text(conn, 404, "Chart.js is not installed on the "
				 "collector host; apt install "
				 "libjs-chart.js\n");
	} else if (!strcmp(url, "/api/programs.json")) {
		*ret = api_programs(conn, st, &status);
	} else if (!strncmp(url, "/api/program/", 13) && n > 13 + 5 &&
		   !strcmp(url + n - 5, ".json")) {
		char *name = strndup(url + 13, n - 13 - 5);

		if (!name) {
			*ret = MHD_NO;
			return 500;
		}
		*ret = api_program(conn, st, name, &status);
		free(name);
	}
	return status;
}
