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

/* The program name of a crash whose program the kernel no longer names
 * (docs/security.md): the process vanished, or /proc/PID/exe refuses us
 * (a non-dumpable process under an unprivileged watchdog). */
#define COUNT_UNIDENTIFIED "tmwatch-unidentified"

/* count_identify fills *ID for the live (or waiting) process PID from
 * /proc/PID/exe (the file it runs, even if replaced on disk since) and
 * its TMWATCH_PROGRAM_VERSION. When /proc/PID/exe cannot be opened,
 * EXE_PATH is read instead: only a path the watchdog itself resolved and
 * exec'd, never one from a crash record (callers pass NULL then), and
 * only if it is a regular file (opened non-blocking, so a FIFO or device
 * put there cannot stall or steer us). Failing both, *ID is the
 * unidentified program COUNT_UNIDENTIFIED. Returns 0, or an error code
 * with *ID still usable (program name and defaults, see
 * tm__identity_from_elf); *ID always names a program to count under. */
int count_identify(pid_t pid, const char *exe_path, struct tm__identity *id);

/* count_add adds 1 to counter NAME in ID's current counter file.
 * Returns 0, TM_EOFF (telemetry off: nothing written), TM_EDISABLED, or
 * another code from tm__store_count_for. */
int count_add(const struct tm__identity *id, const char *name);

/* count_add_why is count_add that, on failure, names the store directory
 * or counter file at fault in BAD (CAP bytes), for the user's line. */
int count_add_why(const struct tm__identity *id, const char *name, char *bad,
		  size_t cap);

#endif
