/* SPDX-License-Identifier: MIT */
/* stackname.h -- stack counter names from symbolized frames (DESIGN §5.3).
 *
 * Shared by tm_stack_counter_inc and the watchdog's crash/crash naming, so
 * both produce exactly the same frame lines (docs/stack-counters.md).
 */
#ifndef TMWATCH_LIB_STACKNAME_H
#define TMWATCH_LIB_STACKNAME_H

#include <stddef.h>
#include <stdint.h>

/* Most frame lines in a name, and the longest name (Go's limits). */
#define TM__STACKNAME_MAX_FRAMES 16
#define TM__STACKNAME_MAX_LEN 4096

/* One symbolized frame. function NULL (or "") means no symbol: the line
 * is then MODULE:+0xOFF with offset from the module's load bias. */
struct tm__frame {
	const char *function;   /* demangled, parameters stripped */
	const char *module;     /* module file name, never a path */
	uint64_t offset;        /* from the physical function's entry, or
				   from the module's load bias */
	int has_line;           /* line_offset is known (DWARF) */
	long line_offset;       /* line(PC) - DW_AT_decl_line(function) */
	int is_system;          /* in a system library (modclass.h): the
				   line is FUNCTION or MODULE alone, no
				   offset */
	int detail_only;        /* precise detail for the local log (a
				   system frame's DWARF levels), never in a
				   counter name */
};

/* tm__stackname_frame formats one frame line (no newline) into BUF.
 * Newlines and other control bytes in names become '?'. Returns its
 * length, or -ENAMETOOLONG when CAP is too small. */
int tm__stackname_frame(const struct tm__frame *f, char *buf, size_t cap);

/* tm__stackname_fold returns FN without glibc's internal "__GI_" alias
 * prefix (a pointer into FN): __GI___libc_read names __libc_read. */
const char *tm__stackname_fold(const char *fn);

/* tm__stackname_is_listed says whether frame F may appear in a name at
 * all: never a detail-only frame, the preload shim's frames, a signal
 * trampoline (__restore_rt), or a frame in no module (a wild PC: its
 * only content would be an address). */
int tm__stackname_is_listed(const struct tm__frame *f);

/* tm__stackname_select copies into OUT (room for N) the frames of IN
 * that a name lists, by the naming rule (v2, docs/stack-counters.md):
 * listed frames only (tm__stackname_is_listed), names folded
 * (tm__stackname_fold), nothing below the program's entry (the stack
 * ends at the outermost main; without one, trailing _start,
 * __libc_start_main*, start_thread, clone* and unnamed libc/ld.so
 * frames go, and the unnamed bottom frame of a stripped executable),
 * and a run of unnamed frames of one system library is one frame.
 * Shared by the watchdog (after its abort-plumbing trim) and
 * tm_stack_counter_inc, so both name one site alike. Returns the number
 * of frames written. */
size_t tm__stackname_select(const struct tm__frame *in, size_t n,
			    struct tm__frame *out);

/* tm__stackname_build writes "PREFIX\nFRAME\nFRAME..." into BUF (CAP >=
 * TM__STACKNAME_MAX_LEN + 1): runs of identical frame lines collapse to
 * the line followed by one "…" line; at most TM__STACKNAME_MAX_FRAMES
 * frame lines; a name over TM__STACKNAME_MAX_LEN bytes is cut and ends in
 * "\ntruncated\n" as Go does. Returns the length or a negative code. */
int tm__stackname_build(const char *prefix, const struct tm__frame *frames,
			size_t n, char *buf, size_t cap);

#endif
