/* SPDX-License-Identifier: MIT */
/* modload.h -- the light tmwatch's calls into its modules, each loaded on
 * first use (module.h, docs/architecture.md "Processes and binaries").
 *
 * Single-threaded (the watchdog's loop or a command's main); never for
 * signal handlers. Once loaded, a module stays until the process exits.
 */
#ifndef TMWATCH_WATCHDOG_MODLOAD_H
#define TMWATCH_WATCHDOG_MODLOAD_H

#include <sys/types.h>

#include "crash.h"
#include "intake.h"
#include "module.h"

/* modload_crash and modload_cmd return a module's entry points, loading
 * it on the first call, or NULL (after one message on stderr per module
 * and process, unless quiet) when it is missing, broken or from another
 * build. */
const struct module_crash_ops *modload_crash(void);
const struct module_cmd_ops *modload_cmd(void);

/* modload_crash_handle runs crash_handle (crash.h) on C in the crash
 * module. Without the module it still acks and releases C, so the child
 * dies at once, and returns -ENOENT. */
int modload_crash_handle(const struct crash_options *opt,
			 struct intake_crash *c);

/* modload_note_death passes the child's death to crash_note_death
 * (crash.h). It loads the crash module only when the module has a reason
 * to look: it handled a crash already, or STATUS is death by a crash
 * signal (a crash that sent no record). */
void modload_note_death(const struct crash_options *opt, pid_t pid,
			const char *exe, int status);

#endif
