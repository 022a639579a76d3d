/* SPDX-License-Identifier: MIT */
/* telemetry_status.c -- `tmwatch telemetry status` and `env`: the mode, the
 * store, reports, uploads, crashes this week, and what is wrong.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "counterparse.h"
#include "fsutil.h"
#include "mode.h"
#include "paths.h"
#include "telemetry_upload.h"
#include "cmd.h"
#include "cmdutil.h"
#include "msg.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch telemetry";

/* Sums crash/crash stack counters in the files whose week holds NOW. */
static uint64_t crashes_this_week(const struct cmdutil_count_file *files,
				  size_t n, time_t now)
{
	uint64_t total = 0;

	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;
		char why[128];
		time_t begin, end;
		const char *b, *e;

		if (tm__counterparse_path(files[k].path, &pf, why, sizeof why))
			continue;
		b = tm__parsed_meta(&pf, "TimeBegin");
		e = tm__parsed_meta(&pf, "TimeEnd");
		if (b && e && tm__clock_parse(b, &begin) == 0 &&
		    tm__clock_parse(e, &end) == 0 && begin <= now &&
		    now < end)
			for (size_t c = 0; c < pf.ncounters; c++)
				if (strncmp(pf.counters[c].name,
					    "crash/crash\n", 12) == 0)
					total += pf.counters[c].value;
		tm__counterparse_free(&pf);
	}
	return total;
}

/* Prints (TEXT) or adds to ARR (JSON) one entry per counter file that
 * fails validation: every later count (and crash) of that program this
 * week is lost until it goes. */
static void list_corrupt(const struct cmdutil_count_file *files, size_t n,
			 int text, cJSON *arr)
{
	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;
		char why[256] = "";
		int err = tm__counterparse_path(files[k].path, &pf, why,
						sizeof why);

		if (err == 0) {
			tm__counterparse_free(&pf);
			continue;
		}
		if (err != TM_ECORRUPT)
			snprintf(why, sizeof why, "%s", tm_strerror(err));
		if (text)
			printf("corrupt counter file: '%s': %s; its program "
			       "counts nothing this week: delete it\n",
			       files[k].path, why);
		else {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "path", files[k].path);
			cJSON_AddStringToObject(o, "reason", why);
			cJSON_AddItemToArray(arr, o);
		}
	}
}

/* The store or its local/ when it cannot be trusted (a symlink, another
 * user's, writable by others): the library then refuses to count there
 * (docs/security.md). Returns 0 and fills BAD, or -1 when all is well. */
static int find_unsafe(const char *dir, char *bad, size_t cap)
{
	int top = tm__fs_open_dir(AT_FDCWD, dir, 0), fd = -1;

	if (top >= 0) {
		fd = tm__fs_open_dir(top, "local", 1);
		close(top);
		if (fd >= 0)
			close(fd);
	}
	if (top == TM_EUNSAFE)
		snprintf(bad, cap, "%s", dir);
	else if (fd == TM_EUNSAFE)
		snprintf(bad, cap, "%s/local", dir);
	else
		return -1;
	return 0;
}

static cJSON *mode_json(const struct tm__mode_info *m)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "effective", tm__mode_name(m->effective));
	cJSON_AddStringToObject(o, "recorded", tm__mode_name(m->recorded));
	if (m->date[0])
		cJSON_AddStringToObject(o, "since", m->date);
	else
		cJSON_AddNullToObject(o, "since");
	if (m->forced_by)
		cJSON_AddStringToObject(o, "forced_by", m->forced_by);
	else
		cJSON_AddNullToObject(o, "forced_by");
	return o;
}

int telemetry_status_main(int argc, char **argv)
{
	struct tm__mode_info mode;
	struct cmdutil_count_file *files;
	char dir[PATH_MAX], bad[PATH_MAX + 8];
	off_t bytes = 0;
	uint64_t crashes;
	int json;
	size_t n;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry status [--json]\n\nShows the "
		       "mode, the store directory, counter files (and which "
		       "are\ncorrupt), the upload configs found (and why one "
		       "is skipped), reports,\nuploads and the crashes "
		       "recorded this week.\n");
		return MSG_EXIT_OK;
	}
	json = cmdutil_take_flag(&argc, argv, "--json");
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s'", argv[1]);
	if (cmdutil_store_dir(dir, sizeof dir) ||
	    cmdutil_load_mode(dir, &mode))
		return MSG_EXIT_FAIL;
	if (cmdutil_list_count_files(dir, &files, &n))
		return MSG_EXIT_FAIL;
	for (size_t k = 0; k < n; k++)
		bytes += files[k].size;
	crashes = crashes_this_week(files, n, tm__clock_now());
	if (json) {
		cJSON *o = cJSON_CreateObject(), *cf;

		cJSON_AddItemToObject(o, "mode", mode_json(&mode));
		cJSON_AddStringToObject(o, "directory", dir);
		cf = cJSON_AddObjectToObject(o, "counter_files");
		cmdutil_json_add_u64(cf, "count", n);
		cmdutil_json_add_u64(cf, "bytes", (unsigned long long)bytes);
		list_corrupt(files, n, 0,
			     cJSON_AddArrayToObject(cf, "corrupt"));
		cJSON_AddItemToObject(o, "upload_configs",
				      telemetry_upload_configs_json(dir));
		cJSON_AddItemToObject(o, "reports",
				      telemetry_upload_status_json(dir));
		cmdutil_json_add_u64(o, "crashes_this_week", crashes);
		if (find_unsafe(dir, bad, sizeof bad) == 0)
			cJSON_AddStringToObject(o, "unsafe", bad);
		else
			cJSON_AddNullToObject(o, "unsafe");
		free(files);
		return cmdutil_print_json(o);
	}
	printf("mode: ");
	cmdutil_print_mode_line(stdout, &mode);
	printf("directory: %s\n", dir);
	printf("counter files: %zu (%lld KiB)\n", n,
	       (long long)(bytes + 1023) / 1024);
	telemetry_upload_describe_configs(stdout, dir);
	telemetry_upload_status(stdout, dir);
	printf("crashes this week: %" PRIu64 "\n", crashes);
	list_corrupt(files, n, 1, NULL);
	if (find_unsafe(dir, bad, sizeof bad) == 0)
		printf("unsafe store: '%s' is a symbolic link, owned by another "
		       "user or writable by others; nothing is counted there: "
		       "make it yours (chown, chmod go-w) or set TMWATCH_DIR\n",
		       bad);
	free(files);
	return MSG_EXIT_OK;
}

int telemetry_env_main(int argc, char **argv)
{
	static const char *const vars[] = { "TMWATCH_DIR", "TMWATCH_TELEMETRY",
		"DO_NOT_TRACK", "TMWATCH_DISABLE", "TMWATCH_QUIET",
		"TMWATCH_PROGRAM_VERSION", "TMWATCH_BIN", "TMWATCH_SHIM",
		"TMWATCH_DEBUG_DIRS", "TMWATCH_NO_SYSTEM_DEBUG", "TMWATCH_NOW",
		"TMWATCH_UPLOAD_CONFIG_DIRS", "TMWATCH_CRASH_LOGS_MAX",
		"TMWATCH_CRASH_LOGS_MAX_BYTES", "XDG_CONFIG_HOME",
		"XDG_STATE_HOME", "HOME" };
	char dir[PATH_MAX], state[PATH_MAX];
	int json, has_dir, has_state;
	cJSON *o, *vo;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry env [--json]\n\nPrints the "
		       "environment variables tmwatch reads and the paths "
		       "they give.\n");
		return MSG_EXIT_OK;
	}
	json = cmdutil_take_flag(&argc, argv, "--json");
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s'", argv[1]);
	has_dir = tm__paths_store_dir(dir, sizeof dir) == 0;
	has_state = tm__paths_state_dir(state, sizeof state) == 0;
	if (!json) {
		for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			const char *v = getenv(vars[i]);
			printf("%s=%s\n", vars[i], v ? v : "");
		}
		if (has_dir)
			printf("store directory: %s\n", dir);
		if (has_state)
			printf("crash logs: %s/crashes\n", state);
		return MSG_EXIT_OK;
	}
	o = cJSON_CreateObject();
	vo = cJSON_AddObjectToObject(o, "environment");
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);

		if (v)
			cJSON_AddStringToObject(vo, vars[i], v);
		else
			cJSON_AddNullToObject(vo, vars[i]);
	}
	if (has_dir)
		cJSON_AddStringToObject(o, "store_directory", dir);
	else
		cJSON_AddNullToObject(o, "store_directory");
	if (has_state) {
		char logs[PATH_MAX + 16];

		snprintf(logs, sizeof logs, "%s/crashes", state);
		cJSON_AddStringToObject(o, "crash_logs", logs);
	} else {
		cJSON_AddNullToObject(o, "crash_logs");
	}
	return cmdutil_print_json(o);
}
