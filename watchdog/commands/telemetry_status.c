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
static uint64_t crashes_this_week(const struct cmdutil_count_file *files, size_t n,
				  time_t now)
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

/* Prints one line per counter file that fails validation: every later
 * count (and crash) of that program this week is lost until it goes. */
static void print_corrupt(const struct cmdutil_count_file *files, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;
		char why[256] = "";
		int err = tm__counterparse_path(files[k].path, &pf, why,
						sizeof why);

		if (err == 0)
			tm__counterparse_free(&pf);
		else if (err == TM_ECORRUPT)
			printf("corrupt counter file: '%s': %s; its program "
			       "counts nothing this week: delete it\n",
			       files[k].path, why);
	}
}

/* Prints a line when the store or its local/ could not be trusted: the
 * library then refuses to count there (docs/security.md). */
static void print_unsafe(const char *dir)
{
	int top = tm__fs_open_dir(AT_FDCWD, dir, 0), fd = -1;
	const char *what = dir;
	char local[PATH_MAX];

	if (top >= 0) {
		fd = tm__fs_open_dir(top, "local", 1);
		close(top);
		if (fd >= 0)
			close(fd);
		if (tm__paths_join(local, sizeof local, dir, "local") == 0)
			what = local;
	}
	if (top == TM_EUNSAFE || fd == TM_EUNSAFE)
		printf("unsafe store: '%s' is a symbolic link, owned by another "
		       "user or writable by others; nothing is counted there: "
		       "make it yours (chown, chmod go-w) or set TMWATCH_DIR\n",
		       top == TM_EUNSAFE ? dir : what);
}

int telemetry_status_main(int argc, char **argv)
{
	struct tm__mode_info mode;
	struct cmdutil_count_file *files;
	char dir[PATH_MAX];
	off_t bytes = 0;
	size_t n;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry status\n\nShows the mode, "
		       "the store directory, counter files, reports,\n"
		       "uploads and the crashes recorded this week.\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s'", argv[1]);
	if (cmdutil_store_dir(dir, sizeof dir) || cmdutil_load_mode(dir, &mode))
		return MSG_EXIT_FAIL;
	if (cmdutil_list_count_files(dir, &files, &n))
		return MSG_EXIT_FAIL;
	for (size_t k = 0; k < n; k++)
		bytes += files[k].size;
	printf("mode: ");
	cmdutil_print_mode_line(stdout, &mode);
	printf("directory: %s\n", dir);
	printf("counter files: %zu (%lld KiB)\n", n,
	       (long long)(bytes + 1023) / 1024);
	telemetry_upload_status(stdout, dir);
	printf("crashes this week: %" PRIu64 "\n",
	       crashes_this_week(files, n, tm__clock_now()));
	print_corrupt(files, n);
	print_unsafe(dir);
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
		"TMWATCH_CRASH_LOGS_MAX_BYTES", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
		"HOME" };
	char dir[PATH_MAX], state[PATH_MAX];

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry env\n\nPrints the "
		       "environment variables tmwatch reads and the paths "
		       "they give.\n");
		return MSG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		printf("%s=%s\n", vars[i], v ? v : "");
	}
	if (tm__paths_store_dir(dir, sizeof dir) == 0)
		printf("store directory: %s\n", dir);
	if (tm__paths_state_dir(state, sizeof state) == 0)
		printf("crash logs: %s/crashes\n", state);
	return MSG_EXIT_OK;
}
