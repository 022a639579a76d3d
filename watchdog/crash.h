/* SPDX-License-Identifier: MIT */
/* crash.h -- the crash path's orchestrator: the only caller of the stages
 * (intake → record → unwind → symbolize → name → count, STYLE §1).
 *
 * Single-threaded (the watchdog's loop); never for signal handlers.
 */
#ifndef TMWATCH_WATCHDOG_CRASH_H
#define TMWATCH_WATCHDOG_CRASH_H

#include <sys/types.h>

#include "intake.h"

/* What the user asked for on the command line (supervise.c). */
struct crash_options {
	const char *debug_dir;	  /* --debug-records DIR, or NULL */
	const char *crash_output; /* --crash-output FILE, or NULL */
	int quiet;		  /* -q */
	pid_t child;		  /* the direct child, once started */
};

/* crash_handle runs the pipeline on one crash that intake_receive took:
 * validates the record, reads the module table while the child waits,
 * hands both to the later stages, and only then acks the child (it dies
 * once acked). Always acks and releases C. Returns 0, or TM_EMALFORMED
 * when the record was unusable (the fallback is decided here). */
int crash_handle(const struct crash_options *opt, struct intake_crash *c);

/* crash_note_death is told how the watched child PID ended (raw wait
 * STATUS); EXE is the program file it ran (may be NULL). A death by a
 * crash signal with no record from PID counts crash/no-record:SIGNAME in
 * that program's file (static binary, handler never ran, fds closed). */
void crash_note_death(const struct crash_options *opt, pid_t pid,
		      const char *exe, int status);

#endif
