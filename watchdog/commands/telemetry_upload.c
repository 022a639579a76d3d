/* SPDX-License-Identifier: MIT */
/* telemetry_upload.c -- reports and uploads as `tmwatch telemetry` shows
 * them: the endpoints `on` announces, the report lines of `status`, and
 * `upload` (build due reports, then upload in mode on), with lib's log
 * lines printed to stderr.
 */
#define _GNU_SOURCE
#include "telemetry_upload.h"

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "cmdutil.h"
#include "msg.h"
#include "paths.h"
#include "tmwatch/common.h"
#include "upload.h"
#include "uploadconfig.h"

void telemetry_upload_describe_endpoints(FILE *out, const char *store_dir)
{
	struct tm__upload_configs cs;

	if (tm__uploadconfig_load_all(store_dir, &cs) != 0) {
		fprintf(out, "Upload configs could not be read.\n");
		return;
	}
	if (cs.n == 0)
		fprintf(out, "No upload config is installed, so nothing will "
			"be sent yet.\n");
	for (size_t i = 0; i < cs.n; i++)
		fprintf(out, "Endpoint: %s (config '%s')\n",
			cs.v[i].endpoint, cs.v[i].path);
	for (size_t i = 0; i < cs.nerrors; i++)
		msg_error("ignoring upload config %s", cs.errors[i]);
	tm__uploadconfig_free_all(&cs);
}

size_t telemetry_upload_describe_configs(FILE *out, const char *store_dir)
{
	struct tm__upload_configs cs;
	size_t skipped;

	if (tm__uploadconfig_load_all(store_dir, &cs) != 0) {
		fprintf(out, "upload configs: cannot be read\n");
		return 1;
	}
	if (cs.n == 0 && cs.nerrors == 0)
		fprintf(out, "upload configs: none (nothing is ever sent)\n");
	for (size_t i = 0; i < cs.n; i++) {
		fprintf(out, "upload config: %s: endpoint %s, programs",
			cs.v[i].path, cs.v[i].endpoint);
		for (size_t p = 0; p < cs.v[i].nprograms; p++)
			fprintf(out, "%s%s", p ? ", " : " ",
				cs.v[i].programs[p].name);
		fputc('\n', out);
	}
	for (size_t i = 0; i < cs.nerrors; i++)
		fprintf(out, "upload config skipped: %s; fix or remove it\n",
			cs.errors[i]);
	skipped = cs.nerrors;
	tm__uploadconfig_free_all(&cs);
	return skipped;
}

cJSON *telemetry_upload_configs_json(const char *store_dir)
{
	struct tm__upload_configs cs;
	cJSON *o = cJSON_CreateObject(), *found, *skipped;

	found = cJSON_AddArrayToObject(o, "found");
	skipped = cJSON_AddArrayToObject(o, "skipped");
	if (tm__uploadconfig_load_all(store_dir, &cs) != 0) {
		cJSON_AddItemToArray(skipped, cJSON_CreateString(
			"upload configs cannot be read"));
		return o;
	}
	for (size_t i = 0; i < cs.n; i++) {
		cJSON *c = cJSON_CreateObject(), *progs;

		cJSON_AddStringToObject(c, "path", cs.v[i].path);
		cJSON_AddStringToObject(c, "endpoint", cs.v[i].endpoint);
		progs = cJSON_AddArrayToObject(c, "programs");
		for (size_t p = 0; p < cs.v[i].nprograms; p++)
			cJSON_AddItemToArray(progs, cJSON_CreateString(
				cs.v[i].programs[p].name));
		cJSON_AddItemToArray(found, c);
	}
	for (size_t i = 0; i < cs.nerrors; i++)
		cJSON_AddItemToArray(skipped,
				     cJSON_CreateString(cs.errors[i]));
	tm__uploadconfig_free_all(&cs);
	return o;
}

static cJSON *entry_json(const struct tm__upload_entry *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "week", e->week);
	if (e->endpoint)
		cJSON_AddStringToObject(o, "endpoint", e->endpoint);
	if (e->reason)
		cJSON_AddStringToObject(o, "reason", e->reason);
	cmdutil_json_add_u64(o, "attempts", (unsigned long long)
			     (e->attempts > 0 ? e->attempts : 0));
	return o;
}

cJSON *telemetry_upload_status_json(const char *store_dir)
{
	struct tm__upload_status st;
	cJSON *o, *a;

	if (tm__upload_status(store_dir, &st) != 0)
		return NULL;
	o = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(o, "pending");
	for (size_t i = 0; i < st.npending; i++)
		cJSON_AddItemToArray(a, entry_json(&st.pending[i]));
	a = cJSON_AddArrayToObject(o, "rejected");
	for (size_t i = 0; i < st.nrejected; i++)
		cJSON_AddItemToArray(a, entry_json(&st.rejected[i]));
	cmdutil_json_add_u64(o, "uploaded", st.nuploaded);
	cmdutil_json_add_u64(o, "too_old", st.ntoo_old);
	if (st.last_week[0]) {
		cJSON *l = cJSON_AddObjectToObject(o, "last_upload");

		cJSON_AddStringToObject(l, "week", st.last_week);
		if (st.last_endpoint)
			cJSON_AddStringToObject(l, "endpoint",
						st.last_endpoint);
		cmdutil_json_add_u64(l, "time",
				     (unsigned long long)st.last_time);
	} else {
		cJSON_AddNullToObject(o, "last_upload");
	}
	tm__upload_status_free(&st);
	return o;
}

static void log_stderr(void *arg, const char *line)
{
	(void)arg;
	msg_error("%s", line);
}

static void print_when(FILE *out, time_t t)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
	fputs(buf, out);
}

void telemetry_upload_status(FILE *out, const char *store_dir)
{
	struct tm__upload_status st;

	if (tm__upload_status(store_dir, &st) != 0) {
		fprintf(out, "reports: unknown (cannot read '%s')\n",
			store_dir);
		return;
	}
	fprintf(out, "reports: %zu pending upload, %zu rejected, %zu "
		"uploaded, %zu too old to send\n", st.npending, st.nrejected,
		st.nuploaded, st.ntoo_old);
	for (size_t i = 0; i < st.npending; i++) {
		const struct tm__upload_entry *e = &st.pending[i];

		fprintf(out, "  pending %s", e->week);
		if (e->endpoint)
			fprintf(out, " to %s", e->endpoint);
		if (e->attempts)
			fprintf(out, ", %d failed attempts", e->attempts);
		if (e->next_attempt) {
			fputs(", next not before ", out);
			print_when(out, e->next_attempt);
		}
		if (e->reason)
			fprintf(out, " (%s)", e->reason);
		fputc('\n', out);
	}
	for (size_t i = 0; i < st.nrejected; i++) {
		const struct tm__upload_entry *e = &st.rejected[i];

		fprintf(out, "  rejected %s by %s: %s\n", e->week,
			e->endpoint ? e->endpoint : "?",
			e->reason ? e->reason : "no reason given");
	}
	if (st.last_week[0]) {
		fprintf(out, "last upload: week %s", st.last_week);
		if (st.last_endpoint)
			fprintf(out, " to %s", st.last_endpoint);
		if (st.last_time) {
			fputs(" at ", out);
			print_when(out, st.last_time);
		}
		fputc('\n', out);
	} else {
		fprintf(out, "last upload: never\n");
	}
	tm__upload_status_free(&st);
}

int telemetry_upload_now(const char *store_dir)
{
	struct tm__upload_result res;
	int err, failed;

	err = tm__upload_run(store_dir, 0, log_stderr, NULL, &res);
	if (err == TM_EOFF) {
		msg_error("telemetry is off: nothing to report or upload");
		return MSG_EXIT_OK;
	}
	if (err) {
		msg_error("cannot report or upload from '%s': %s; fix it or "
			  "set TMWATCH_DIR", store_dir, tm_strerror(err));
		return MSG_EXIT_FAIL;
	}
	fprintf(stderr, "tmwatch: %d reports built, %d sent, %d rejected, "
		"%d to retry later\n", res.reports.nbuilt, res.nsent,
		res.nrejected, res.nfailed + res.ndeferred);
	failed = res.nfailed;
	tm__upload_result_free(&res);
	/* Failed sends are kept and retried; still say it did not finish. */
	return failed ? MSG_EXIT_FAIL : MSG_EXIT_OK;
}

/* `tmwatch telemetry upload`. */
int telemetry_upload_main(int argc, char **argv)
{
	char dir[PATH_MAX];

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry upload\n\nBuilds the "
		       "reports of ended weeks and, in mode on, uploads them "
		       "now,\nlogging each step to stderr.\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage("tmwatch telemetry",
				 "unexpected argument '%s'", argv[1]);
	if (cmdutil_store_dir(dir, sizeof dir))
		return MSG_EXIT_FAIL;
	return telemetry_upload_now(dir);
}
