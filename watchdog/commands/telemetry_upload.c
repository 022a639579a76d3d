/* SPDX-License-Identifier: MIT */
/* telemetry_upload.c -- reports and uploads as `tmwatch telemetry` shows
 * them: the endpoints `on` announces, the report lines of `status`, and
 * `upload` (build due reports, then upload in mode on), with lib's log
 * lines printed to stderr.
 */
#define _GNU_SOURCE
#include "telemetry_upload.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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
