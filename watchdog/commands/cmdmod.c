/* SPDX-License-Identifier: MIT */
/* cmdmod.c -- the one exported symbol of libtmwatch-cmd.so: the commands
 * and the daily report/upload job for the light tmwatch (module.h).
 *
 * Only this file knows that the commands sit in a module; they
 * themselves are unchanged. Loaded only into tmwatch's own processes: a
 * command's, or the detached process of the daily job (daily.c).
 */
#include "cmd.h"
#include "module.h"
#include "msg.h"
#include "upload.h"

static void set_quiet(int quiet)
{
	if (quiet)
		msg_set_quiet(1);
}

static int daily_spawn(void)
{
	return tm__upload_daily_spawn();
}

/* tmwatch_cmd_ops is what dlsym(MODULE_CMD_SYMBOL) finds. */
__attribute__((visibility("default"))) const struct module_cmd_ops
	tmwatch_cmd_ops = {
		.head = { MODULE_ABI, TMWATCH_VERSION, set_quiet },
		.telemetry_main = cmd_telemetry_main,
		.crashes_main = cmd_crashes_main,
		.stacks_main = cmd_stacks_main,
		.daily_spawn = daily_spawn,
	};
