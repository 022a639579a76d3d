/* SPDX-License-Identifier: MIT */
/* main.c -- the tmwatch executable: argv to command.
 *
 * `tmwatch telemetry …` and `tmwatch crashes …` are commands; anything else
 * is a program to run under the watchdog (supervise.c). Only this file knows
 * the command names. The commands run in the commands module (modload.c),
 * which this light binary loads only for them: `tmwatch PROGRAM` and
 * `--version` never load it (docs/architecture.md).
 */
#include <stdio.h>
#include <string.h>

#include "modload.h"
#include "msg.h"
#include "supervise.h"

static void usage(FILE *out)
{
	fputs("usage: tmwatch [options] [--] PROGRAM [ARGS...]\n"
	      "       tmwatch telemetry [on|local|off|status|env|dump|csv|"
	      "clean|upload|count] ...\n"
	      "       tmwatch crashes\n"
	      "       tmwatch stacks --data DIR|URL --program NAME ...\n"
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
	      "  telemetry              show or set the telemetry mode, "
	      "inspect counters\n"
	      "                         (tmwatch telemetry --help)\n"
	      "  crashes                list the local crash logs, newest "
	      "first\n"
	      "  stacks                 for maintainers: group and rank "
	      "uploaded crashes\n"
	      "                         (tmwatch stacks --help)\n"
	      "\n"
	      "See docs/tmwatch.md for exit status, environment and files.\n",
	      out);
}

/* Runs a command of the commands module; its libraries load only now. */
static int command(const char *cmd, int argc, char **argv)
{
	const struct module_cmd_ops *o = modload_cmd();

	if (!o)
		return MSG_EXIT_FAIL;
	if (strcmp(cmd, "telemetry") == 0)
		return o->telemetry_main(argc, argv);
	if (strcmp(cmd, "stacks") == 0)
		return o->stacks_main(argc, argv);
	return o->crashes_main(argc, argv);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		const char *cmd = argv[1];

		if (strcmp(cmd, "telemetry") == 0 ||
		    strcmp(cmd, "crashes") == 0 ||
		    strcmp(cmd, "stacks") == 0)
			return command(cmd, argc - 1, argv + 1);
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
