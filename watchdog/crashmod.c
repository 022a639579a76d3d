/* SPDX-License-Identifier: MIT */
/* crashmod.c -- the one exported symbol of libtmwatch-crash.so: the crash
 * pipeline's entry points for the light tmwatch (module.h).
 *
 * Only this file knows that crash.c and its stages sit in a module; they
 * themselves are unchanged. Loaded only into tmwatch's own watchdog
 * process, never into a watched program (modload.c).
 */
#include "crash.h"
#include "module.h"
#include "msg.h"

static void set_quiet(int quiet)
{
	if (quiet)
		msg_set_quiet(1);
}

/* tmwatch_crash_ops is what dlsym(MODULE_CRASH_SYMBOL) finds. */
__attribute__((visibility("default"))) const struct module_crash_ops
	tmwatch_crash_ops = {
		.head = { MODULE_ABI, TMWATCH_VERSION, set_quiet },
		.crash_handle = crash_handle,
		.crash_note_death = crash_note_death,
	};
