/* SPDX-License-Identifier: MIT */
/* module.h -- the door between the light `tmwatch` and its two modules,
 * which it dlopen()s only when needed (docs/architecture.md "Processes
 * and binaries"):
 *
 *   libtmwatch-crash.so  the crash pipeline (crash.c and its stages):
 *                        libunwind, libdw, libelf, cJSON; loaded when the
 *                        first crash arrives or a crash died unreported;
 *   libtmwatch-cmd.so    the commands (`tmwatch telemetry`, `crashes`,
 *                        `doctor`, `stacks`…) and the daily
 *                        report/upload job: libcurl, cJSON.
 *
 * The light binary links libc only, so a watched program's watchdog
 * stays small (DESIGN §3.1 point 4), and a crash does not pay for
 * loading libcurl. Each module exports one symbol, a table of entry
 * points starting with struct module_head; both sides are built from one
 * tree, and the loader refuses a table whose abi or version differs.
 * Every entry point runs on the calling process's single thread (the
 * watchdog's loop, or a command's main); none is for a signal handler.
 */
#ifndef TMWATCH_WATCHDOG_MODULE_H
#define TMWATCH_WATCHDOG_MODULE_H

#include <sys/types.h>

#include "crash.h"
#include "intake.h"

/* Bump when a table below or anything it passes changes layout. */
#define MODULE_ABI 3

#define MODULE_CRASH_FILE "libtmwatch-crash.so"
#define MODULE_CRASH_SYMBOL "tmwatch_crash_ops"
#define MODULE_CMD_FILE "libtmwatch-cmd.so"
#define MODULE_CMD_SYMBOL "tmwatch_cmd_ops"

/* First member of every table. */
struct module_head {
	int abi;		/* MODULE_ABI of the module's build */
	const char *version;	/* TMWATCH_VERSION of the module's build */
	/* Tells the module's own copy of msg.c about -q. */
	void (*set_quiet)(int quiet);
};

struct module_crash_ops {
	struct module_head head;
	/* crash_handle and crash_note_death of crash.h. */
	int (*crash_handle)(const struct crash_options *opt,
			    struct intake_crash *c);
	void (*crash_note_death)(const struct crash_options *opt, pid_t pid,
				 const char *exe, int status);
};

struct module_cmd_ops {
	struct module_head head;
	/* Runs the command NAME (`telemetry`, `crashes`, `doctor`,
	 * `stacks`…: the table in commands/cmdmod.c) with ARGV[0] == NAME;
	 * returns its exit code, or -1 when the module has no such command
	 * (a light binary newer than its module). */
	int (*command_main)(const char *name, int argc, char **argv);
	/* tm__upload_daily_spawn of lib/upload.h. */
	int (*daily_spawn)(void);
};

#endif
