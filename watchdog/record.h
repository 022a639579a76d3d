/* SPDX-License-Identifier: MIT */
/* record.h -- the validated crash record: record.c's output.
 *
 * Stage "record" of the crash path (STYLE §1): takes the untrusted bytes
 * intake.c read from a crashing child and gives a record whose every
 * length has been checked, or the reason it is malformed. The wire layout
 * is preload/record.h; docs/crash-record.md explains it.
 */
#ifndef TMWATCH_WATCHDOG_RECORD_H
#define TMWATCH_WATCHDOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "../preload/record.h"

/* A validated record. hdr is an aligned copy of the wire header; the
 * strings are NUL-terminated copies; stack points into the caller's bytes
 * (valid as long as they are). */
struct record {
	struct tm_crash_record hdr;
	char exe[TM_RECORD_EXE_MAX + 1];
	char thread_name[17];
	char abort_msg[TM_RECORD_ABORT_MAX + 1];
	const unsigned char *stack;
	size_t stack_len;
	int is_sent;
};

/* record_parse validates LEN bytes at BUF (any alignment) into *OUT.
 * Returns 0, or TM_EMALFORMED with *WHY (when not NULL) set to a static
 * lower-case phrase naming the failed check. Never reads outside BUF,
 * never loops on the input. Thread-safe; not for signal handlers. */
int record_parse(const void *buf, size_t len, struct record *out,
		 const char **why);

/* record_signal_name returns "SIGSEGV" etc. for a crash signal, else
 * "SIG?" (static strings). */
const char *record_signal_name(int sig);

#endif
