/* SPDX-License-Identifier: MIT */
/* testutil.h -- helpers shared by the C tests: fresh store directories,
 * bounded waits on real child processes, running commands and reading files.
 *
 * Every wait here has a bound and fails the test with a message naming what
 * did not happen; nothing sleeps to wait. Memory returned is malloc'd and
 * owned by the caller. Not for signal handlers.
 */
#ifndef TMWATCH_TESTUTIL_H
#define TMWATCH_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* tu_tmpdir makes a fresh empty directory under $TMPDIR (or /tmp) whose
 * name contains TAG, and returns its path. Aborts the test on failure. */
char *tu_tmpdir(const char *tag);

/* tu_fresh_store makes a fresh directory, exports it as TMWATCH_DIR (and
 * clears TMWATCH_TELEMETRY and DO_NOT_TRACK), and returns its path. */
char *tu_fresh_store(const char *tag);

/* tu_rmrf removes PATH recursively (never following symlinks). */
void tu_rmrf(const char *path);

/* tu_wait waits at most TIMEOUT_MS for PID to end and stores its raw
 * status. Returns 0, or -1 after killing PID with SIGKILL on timeout. */
int tu_wait(pid_t pid, int *status, int timeout_ms);

/* tu_run runs ARGV (argv[0] looked up in PATH) with stdin from /dev/null,
 * captures stdout and stderr (each NUL-terminated; pass NULL to discard),
 * waits at most TIMEOUT_MS, and returns the raw wait status, or -1 on
 * timeout or failure to start. ENV, when not NULL, is a NULL-terminated list
 * of "NAME=VALUE" (or "NAME" to unset) applied to the child only. */
int tu_run(char *const argv[], char *const env[], char **out, char **err,
	   int timeout_ms);

/* tu_read_file reads a whole file; returns NULL (errno set) on failure.
 * *len, when not NULL, receives the size. */
char *tu_read_file(const char *path, size_t *len);

/* tu_write_file writes DATA to PATH (created or truncated); 0 or -1. */
int tu_write_file(const char *path, const void *data, size_t len);

/* tu_path joins A and B with a slash into a malloc'd string. */
char *tu_path(const char *a, const char *b);

/* tu_describe_status renders a wait status as "exit 3" or "signal 11". The
 * result is a static buffer. */
const char *tu_describe_status(int status);

#endif
