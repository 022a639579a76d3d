/* SPDX-License-Identifier: MIT */
/* telemetry.c -- `tmwatch telemetry`: the usage, the mode (none, on,
 * local, off) and the table of subcommands, each in a telemetry_*.c of
 * its own (docs/tmwatch-telemetry.md). Every subcommand takes --help;
 * usage errors exit 2 with one line; a bad store exits 1 with one line
 * naming the path.
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
#include "cmd.h"
#include "cmdutil.h"
#include "mode.h"
#include "msg.h"
#include "telemetry_upload.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch telemetry";

static void usage(FILE *out)
{
	fputs("usage: tmwatch telemetry [COMMAND] [ARGS...]\n"
	      "\n"
	      "With no command, prints the effective mode: on, local or off.\n"
	      "\n"
	      "commands:\n"
	      "  on|local|off           set the mode (on also uploads weekly "
	      "reports)\n"
	      "  status                 mode, store, counter files, reports, "
	      "uploads, crashes\n"
	      "  env                    the environment variables and paths in "
	      "effect\n"
	      "  dump [--json] [FILE...] print counter files (default: all in "
	      "the store)\n"
	      "  csv [FILE...]          print counters as CSV\n"
	      "  clean                  delete local counter files and "
	      "reports\n"
	      "  upload                 build due reports and upload them now "
	      "(mode on)\n"
	      "  view [--addr HOST:PORT] [--open]\n"
	      "                         a local web page over the store\n"
	      "  count [--program P] [--version V] NAME [N]\n"
	      "                         add N (default 1) to counter NAME\n"
	      "\n"
	      "Each command takes --help. See man tmwatch-telemetry.\n",
	      out);
}

static int cmd_show(int argc, char **argv)
{
	struct tm__mode_info mode;
	char dir[PATH_MAX];

	(void)argc; (void)argv;
	if (cmdutil_store_dir(dir, sizeof dir) || cmdutil_load_mode(dir, &mode))
		return MSG_EXIT_FAIL;
	printf("%s\n", tm__mode_name(mode.effective));
	return MSG_EXIT_OK;
}

int telemetry_set_main(int argc, char **argv)
{
	struct tm__mode_info mode;
	enum tm_mode want;
	char dir[PATH_MAX], date[11];
	int err;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry on|local|off\n\n"
		       "Records the mode with today's date in the mode "
		       "file.\n  on     count locally and upload weekly reports "
		       "to the endpoints of\n         installed upload "
		       "configs (data collected after today only)\n"
		       "  local  count and build reports locally; upload "
		       "nothing (the default)\n"
		       "  off    write nothing at all\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s' after '%s'",
				 argv[1], argv[0]);
	if (tm__mode_parse(argv[0], &want))
		return msg_usage(CMD, "unknown mode '%s'", argv[0]);
	if (cmdutil_store_dir(dir, sizeof dir))
		return MSG_EXIT_FAIL;
	err = tm__mode_store(dir, want, tm__clock_now());
	if (err) {
		msg_error("cannot write the mode file in '%s': %s; fix it or "
			  "set TMWATCH_DIR", dir, tm_strerror(err));
		return MSG_EXIT_FAIL;
	}
	tm__clock_date(tm__clock_now(), date);
	printf("telemetry mode is now %s (since %s)\n", argv[0], date);
	if (want == TM_MODE_ON) {
		printf("Weekly reports of counters for programs with an "
		       "upload config will be\nuploaded: event counts and "
		       "crash stacks (function names and line offsets;\n"
		       "never paths, arguments, addresses or data), only "
		       "for data collected\nafter %s.\n", date);
		telemetry_upload_describe_endpoints(stdout, dir);
		printf("To stop uploading: tmwatch telemetry local (or off "
		       "to stop counting too).\n");
	}
	if (tm__mode_load(dir, &mode) == 0 && mode.forced_by &&
	    mode.effective != want)
		msg_error("note: %s is set, so the effective mode stays %s",
			  mode.forced_by, tm__mode_name(mode.effective));
	return MSG_EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "on", telemetry_set_main },
	{ "local", telemetry_set_main },
	{ "off", telemetry_set_main },
	{ "status", telemetry_status_main },
	{ "env", telemetry_env_main },
	{ "dump", telemetry_dump_main },
	{ "csv", telemetry_csv_main },
	{ "clean", telemetry_clean_main },
	{ "upload", telemetry_upload_main },
	{ "count", telemetry_count_main },
	{ "view", telemetry_view_main },
};

int cmd_telemetry_main(int argc, char **argv)
{
	if (argc < 2)
		return cmd_show(argc, argv);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return MSG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return msg_usage(CMD, "unknown command '%s'", argv[1]);
}
