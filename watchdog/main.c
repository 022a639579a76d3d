/* SPDX-License-Identifier: MIT */
/* main.c -- the tmwatch executable: argv to command.
 *
 * `tmwatch telemetry|crashes|doctor|stacks …` are commands; anything else
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
	      "clean|upload|count|view] ...\n"
	      "       tmwatch crashes [list|info|clean] ...\n"
	      "       tmwatch doctor [--json]\n"
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
	      "  crashes                list, show and clean the local crash "
	      "logs\n"
	      "                         (tmwatch crashes --help)\n"
	      "  doctor                 check that crash reporting works, "
	      "end to end\n"
	      "  stacks                 for maintainers: group and rank "
	      "uploaded crashes\n"
	      "                         (tmwatch stacks --help)\n"
	      "\n"
	      "See 'man tmwatch' for exit status, environment and files.\n",
	      out);
}

/* The commands: anything else in argv[1] is a program to run. */
static const char *const commands[] = { "telemetry", "crashes", "doctor",
					"stacks" };

static int is_command(const char *s)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(s, commands[i]) == 0)
			return 1;
	return 0;
}

/* Runs a command of the commands module; its libraries load only now. */
static int command(const char *cmd, int argc, char **argv)
{
	const struct module_cmd_ops *o = modload_cmd();
	int rc;

	if (!o)
		return MSG_EXIT_FAIL;
	rc = o->command_main(cmd, argc, argv);
	if (rc < 0) {
		msg_error("the commands module has no '%s' command; reinstall "
			  "tmwatch", cmd);
		return MSG_EXIT_FAIL;
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		const char *cmd = argv[1];

		if (is_command(cmd))
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
