/* SPDX-License-Identifier: MIT */
/* name.h -- crash counter names (DESIGN §5.3).
 *
 * Stage "name" of the crash path (STYLE §1): takes symbolized frames
 * (struct tm__frame: names and offsets only, never paths) and gives the
 * crash/crash stack counter name, plus the fixed names crash/signal:SIG…,
 * crash/malformed and crash/no-record:SIG…. Pure string work: nothing
 * here can see a path, an argument, the environment or the abort message,
 * which is the privacy guarantee of docs/stack-counters.md.
 */
#ifndef TMWATCH_WATCHDOG_NAME_H
#define TMWATCH_WATCHDOG_NAME_H

#include <stddef.h>

#include "stackname.h"

#define NAME_CRASH_PREFIX "crash/crash"
#define NAME_MALFORMED "crash/malformed"
/* Room for any name built here, NUL included. */
#define NAME_BUF_SIZE (TM__STACKNAME_MAX_LEN + 1)

/* name_first_kept returns the index of the first of N FRAMES that the
 * counter lists: leading frames of libc's raise/abort/assert/fortify
 * machinery and of C++'s terminate path are skipped (malloc_printerr and
 * what lies below it stays). N when every frame is plumbing. */
size_t name_first_kept(const struct tm__frame *frames, size_t n);

/* name_is_listed says whether FRAME may appear in a name at all: never
 * the preload shim's frames, the signal trampoline, or a frame in no
 * module (a wild PC: its only content would be an address). */
int name_is_listed(const struct tm__frame *frame);

/* name_crash writes the crash/crash name for N FRAMES (innermost first)
 * into BUF (CAP >= NAME_BUF_SIZE): the frames of naming rule v2
 * (tm__stackname_select: listed ones, nothing below main or a thread's
 * start routine, __GI_ folded), leading plumbing trimmed, then
 * tm__stackname_build (recursion collapse, 16 frames,
 * 4096 bytes). A stack with no frame left gives "crash/crash" alone.
 * Returns the length, -EINVAL (CAP too small) or -ENOMEM. */
int name_crash(const struct tm__frame *frames, size_t n, char *buf,
	       size_t cap);

/* name_signal_name returns "SIGSEGV" etc. for any signal number (static
 * strings; "SIGRTMIN+3" style for real-time ones, "SIG?" when out of
 * range). Never the signal's description. */
const char *name_signal_name(int signo);

/* name_signal writes "crash/signal:SIGSEGV"; name_no_record writes
 * "crash/no-record:SIGSEGV". Return the length or -ENAMETOOLONG. */
int name_signal(int signo, char *buf, size_t cap);
int name_no_record(int signo, char *buf, size_t cap);

#endif
