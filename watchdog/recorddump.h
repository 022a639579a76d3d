/* SPDX-License-Identifier: MIT */
/* recorddump.h -- `--debug-records DIR`: each validated record and the
 * module table the watchdog read, written for tests and for debugging.
 *
 * Side branch of the crash path, like crashlog.c: reads what crash.c
 * gives it, feeds nothing back. Never for signal handlers.
 */
#ifndef TMWATCH_WATCHDOG_RECORDDUMP_H
#define TMWATCH_WATCHDOG_RECORDDUMP_H

#include <stddef.h>
#include <sys/types.h>

#include "modules.h"
#include "record.h"

/* recorddump_write writes DIR/record-PID-SEQ.bin (the raw bytes) and
 * DIR/record-PID-SEQ.txt ("key value" lines, then one "map" line per
 * mapping), each by temp file + rename. PID is the kernel's (the
 * channel's credentials), SEQ this watchdog's count of records: nothing in
 * a file name comes from the record. Returns 0 or -errno. */
int recorddump_write(const char *dir, pid_t pid, const struct record *r,
		     const struct modules_table *m, const void *bytes,
		     size_t len);

/* recorddump_malformed writes DIR/malformed-PID.txt naming WHY, and the
 * bytes as DIR/malformed-PID.bin. Returns 0 or -errno. */
int recorddump_malformed(const char *dir, pid_t pid, const char *why,
			 const void *bytes, size_t len);

/* recorddump_no_record writes DIR/no-record-PID.txt ("signal N NAME"). */
int recorddump_no_record(const char *dir, pid_t pid, int sig);

#endif
