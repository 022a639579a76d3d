/* SPDX-License-Identifier: MIT */
/* cmdmod.c -- the one exported symbol of libtmwatch-cmd.so: the commands
 * and the daily report/upload job for the light tmwatch (module.h).
 *
 * Only this file knows that the commands sit in a module; they
 * themselves are unchanged. Loaded only into tmwatch's own processes: a
 * command's, or the detached process of the daily job (daily.c).
 */
#include <stddef.h>
#include <string.h>

#include "cmd.h"
#include "module.h"
#include "msg.h"
#include "upload.h"

static void set_quiet(int quiet)
{
	if (quiet)
		msg_set_quiet(1);
}

/* Every command of the module, by the name after `tmwatch`. main.c
 * keeps the same names, so a program is never mistaken for one. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "telemetry", cmd_telemetry_main },
	{ "crashes", cmd_crashes_main },
	{ "doctor", cmd_doctor_main },
	{ "stacks", cmd_stacks_main },
};

static int command_main(const char *name, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc, argv);
	return -1;
}

static int daily_spawn(void)
{
	return tm__upload_daily_spawn();
}

/* tmwatch_cmd_ops is what dlsym(MODULE_CMD_SYMBOL) finds. */
__attribute__((visibility("default"))) const struct module_cmd_ops
	tmwatch_cmd_ops = {
		.head = { MODULE_ABI, TMWATCH_VERSION, set_quiet },
		.command_main = command_main,
		.daily_spawn = daily_spawn,
	};
