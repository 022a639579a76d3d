/* SPDX-License-Identifier: MIT */
/* count.h -- crash counters into the crashing program's own counter file
 * (DESIGN §5.3, §6.2).
 *
 * Stage "count" of the crash path (STYLE §1): takes counter names and the
 * crashing program's identity, gives increments in that program's file
 * (never tmwatch's own). The identity is read while the child waits: its
 * /proc/PID/exe and TMWATCH_PROGRAM_VERSION from /proc/PID/environ.
 * Single-threaded (the watchdog's loop); never prints.
 */
#ifndef TMWATCH_WATCHDOG_COUNT_H
#define TMWATCH_WATCHDOG_COUNT_H

#include <stddef.h>
#include <sys/types.h>

#include "identity.h"

/* Longest environ read looking for the version; the rest is ignored. */
#define COUNT_ENVIRON_MAX (1024 * 1024)

/* count_env_version copies TMWATCH_PROGRAM_VERSION from the environment
 * PID started with (/proc/PID/environ: what execve got, later setenv
 * calls are invisible) into BUF. Returns 1 when found, 0 when absent,
 * or -errno when the file cannot be read. */
int count_env_version(pid_t pid, char *buf, size_t cap);

/* count_identify fills *ID for the live (or waiting) process PID from
 * /proc/PID/exe (the file it runs, even if replaced on disk since) and
 * its TMWATCH_PROGRAM_VERSION. When /proc/PID/exe cannot be opened (the
 * process is gone), EXE_PATH (may be NULL; the record's or the exec'd
 * path) is read instead. Returns 0, or an error code with *ID still
 * usable (program name and defaults, see tm__identity_from_elf), or
 * -ESRCH when neither names a program. */
int count_identify(pid_t pid, const char *exe_path, struct tm__identity *id);

/* count_add adds 1 to counter NAME in ID's current counter file.
 * Returns 0, TM_EOFF (telemetry off: nothing written), TM_EDISABLED, or
 * another code from tm__store_count_for. */
int count_add(const struct tm__identity *id, const char *name);

#endif
