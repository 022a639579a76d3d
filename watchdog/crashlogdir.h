/* SPDX-License-Identifier: MIT */
/* crashlogdir.h -- the crash log directory as a set: its path, its logs
 * newest first, and the retention limit that keeps it bounded.
 *
 * Shared by the crash module (crashlog.c prunes after each new log) and
 * the commands module (`tmwatch crashes`). Single-threaded; never for
 * signal handlers. The limits are documented in docs/tmwatch-crashes.md.
 */
#ifndef TMWATCH_WATCHDOG_CRASHLOGDIR_H
#define TMWATCH_WATCHDOG_CRASHLOGDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define CRASHLOGDIR_DEFAULT_MAX_LOGS 100
#define CRASHLOGDIR_DEFAULT_MAX_BYTES (10u * 1024 * 1024)

/* One log: its file name in the directory, time and size. */
struct crashlogdir_entry {
	char name[256];
	struct timespec mtime;
	off_t size;
};

/* crashlogdir_path puts $XDG_STATE_HOME/tmwatch/crashes in DIR. Returns
 * 0 or a negative code (tm_strerror). */
int crashlogdir_path(char *dir, size_t cap);

/* crashlogdir_list lists the logs (regular *.log files, no dot files) of
 * the directory open at DFD, newest first, into *OUT (malloc'd, caller
 * frees). Returns 0 or -errno. */
int crashlogdir_list(int dfd, struct crashlogdir_entry **out, size_t *n);

/* crashlogdir_limits reads TMWATCH_CRASH_LOGS_MAX (a count) and
 * TMWATCH_CRASH_LOGS_MAX_BYTES (bytes, K/M/G suffixes); unset or invalid
 * gives the default, 0 means no limit. *BAD (may be NULL) gets the name
 * of an invalid variable, or NULL. */
void crashlogdir_limits(size_t *max_logs, uint64_t *max_bytes,
			const char **bad);

/* crashlogdir_prune removes the oldest logs of DIR until at most
 * MAX_LOGS remain and they take at most MAX_BYTES; the newest log is
 * always kept. *REMOVED (may be NULL) gets the count. Returns 0 or the
 * first -errno; names are unlinked relative to the directory opened with
 * O_NOFOLLOW. */
int crashlogdir_prune(const char *dir, size_t max_logs, uint64_t max_bytes,
		      size_t *removed);

#endif
