/* SPDX-License-Identifier: MIT */
/* main.c -- the tmwatch executable: argv to command.
 *
 * `tmwatch telemetry …` and `tmwatch crashes …` are commands; anything else
 * is a program to run under the watchdog (supervise.c). Only this file knows
 * the command names.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "msg.h"
#include "supervise.h"

static void usage(FILE *out)
{
	fputs("usage: tmwatch [options] [--] PROGRAM [ARGS...]\n"
	      "       tmwatch telemetry [on|local|off|status|env|dump|csv|"
	      "clean|upload|count] ...\n"
	      "       tmwatch crashes\n"
	      "\n"
	      "Runs PROGRAM under a watchdog that counts its crashes as\n"
	      "privacy-preserving stack counters in the local counter store.\n"
	      "\n"
	      "options:\n", out);
	supervise_usage(out);
	fputs("  -h, --help             show this help\n"
	      "      --version          show the version\n"
	      "\n"
	      "commands:\n"
	      "  telemetry              show or set the telemetry mode, inspect "
	      "counters\n"
	      "                         (tmwatch telemetry --help)\n"
	      "  crashes                list the local crash logs, newest "
	      "first\n"
	      "\n"
	      "See docs/tmwatch.md for exit status, environment and files.\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		const char *cmd = argv[1];

		if (strcmp(cmd, "telemetry") == 0)
			return cmd_telemetry_main(argc - 1, argv + 1);
		if (strcmp(cmd, "crashes") == 0)
			return cmd_crashes_main(argc - 1, argv + 1);
		if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
			usage(stdout);
			return MSG_EXIT_OK;
		}
		if (strcmp(cmd, "--version") == 0) {
			printf("tmwatch %s\n", TMWATCH_VERSION);
			return MSG_EXIT_OK;
		}
	}
	return supervise_main(argc, argv);
}
