/* SPDX-License-Identifier: MIT */
/* crashlog.h -- the local crash log and the line after a crash
 * (DESIGN §5.4).
 *
 * A side branch of the crash path (STYLE §1): reads what the stages
 * produced, including the file:line detail of the symbolized frames that
 * never reaches a counter name, and writes one text file per crash under
 * $XDG_STATE_HOME/tmwatch/crashes/ for the person at the keyboard. Never
 * uploaded, never read back by tmwatch except `tmwatch crashes`.
 * Single-threaded (the watchdog's loop); never for signal handlers.
 */
#ifndef TMWATCH_WATCHDOG_CRASHLOG_H
#define TMWATCH_WATCHDOG_CRASHLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "symbolize.h"

/* Everything a log shows. Pointers may be NULL (not known); nothing is
 * kept after the call. */
struct crashlog_info {
	const char *program;	  /* executable file name */
	const char *exe_path;	  /* its path (local log only) */
	pid_t pid, tid;
	const char *thread_name;
	int signo;
	int kill_signo;		  /* what killed, when not signo; or 0 */
	int si_code;
	int is_sent;		  /* kill/raise rather than a fault */
	pid_t sender_pid;
	uint64_t fault_addr;
	const char *abort_msg;	  /* glibc's abort message */
	const char *unwinder;	  /* unwind_method_name() */
	const char *counter_name; /* crash/crash name recorded, or NULL */
	const char *identity;	  /* counter file's program identity, e.g.
				     "prog@1.2-gcc12.2.0-linux-amd64" */
	int count_result;	  /* count_add's return: 0, TM_EOFF, ... */
	const char *count_bad;	  /* when it failed: the store directory or
				     counter file at fault, or NULL */
	const struct tm__symframes *frames;
	time_t when;
};

/* crashlog_format renders the log text into a malloc'd *TEXT (caller
 * frees) of *LEN bytes. Returns 0 or -ENOMEM. */
int crashlog_format(const struct crashlog_info *ci, char **text,
		    size_t *len);

/* crashlog_write writes the log as a new file in the crashes directory
 * (created 0700; the file 0600, temp + rename) and stores its path in
 * PATH (CAP bytes). CRASH_OUTPUT (--crash-output FILE, may be NULL)
 * gets a copy: replaced atomically when it is a regular file or
 * missing, appended to otherwise (a terminal, a pipe). In mode off
 * (CI->count_result == TM_EOFF) only that copy is written. Returns 0, or
 * the first error; the other copy is still attempted. */
int crashlog_write(const struct crashlog_info *ci, const char *crash_output,
		   char *path, size_t cap);

/* crashlog_line formats the one line shown after the child's death
 * (without "tmwatch: " and newline) into BUF. Returns its length or
 * -ENAMETOOLONG (cut). */
int crashlog_line(const struct crashlog_info *ci, const char *log_path,
		  char *buf, size_t cap);

/* crashlog_print prints that line on stderr through msg.c unless QUIET
 * (-q) or TMWATCH_QUIET=1. Call it after the child has died, so the line
 * follows the program's own output. */
void crashlog_print(const struct crashlog_info *ci, const char *log_path,
		    int quiet);

#endif
