/* SPDX-License-Identifier: MIT */
/* unwind.h -- the crashing thread's program counters (DESIGN §5.1).
 *
 * Stage "unwind" of the crash path (STYLE §1): takes a validated record
 * and the child still waiting in its handler, gives the list of PCs from
 * the faulting instruction outwards. Reads the child's memory, never
 * attaches to it. Single-threaded (the watchdog's loop); never for signal
 * handlers; never prints.
 */
#ifndef TMWATCH_WATCHDOG_UNWIND_H
#define TMWATCH_WATCHDOG_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

/* Deep recursion and overflowed stacks stop here (DESIGN §5.1). */
#define UNWIND_MAX_FRAMES 1024

enum unwind_method {
	UNWIND_NONE = 0,	/* no frame at all */
	UNWIND_LIBUNWIND,	/* libunwind remote, our accessors */
	UNWIND_LIBDW,		/* libdw's unwinder (fallback) */
};

/* The unwound stack, innermost first. pc[0] is the faulting PC. */
struct unwind_stack {
	uint64_t pc[UNWIND_MAX_FRAMES];
	/* 1: pc[i] is an exact PC (the fault, or a frame a signal
	 * interrupted); 0: a return address (symbolize looks up pc - 1). */
	unsigned char is_exact[UNWIND_MAX_FRAMES];
	/* The stack pointer of each frame, as the unwinder restored it. */
	uint64_t sp[UNWIND_MAX_FRAMES];
	size_t n;
	enum unwind_method method;
	int is_wild_pc;		/* pc[0] was in no module (NULL or wild
				   function pointer): pc[1] is the return
				   address read at SP */
	int is_truncated;	/* UNWIND_MAX_FRAMES reached */
	int is_from_signal_frame; /* the program's own handler re-raised
				   the fault: pc[0] is the fault it caught
				   (its frames and the trampoline cut) */
	int used_stack_copy;	/* some memory came from the record's copy
				   because process_vm_readv refused it */
};

/* unwind_stack unwinds the thread of REC in the waiting child PID (the
 * pid the kernel vouched for, not the record's) into *OUT: libunwind's
 * remote API over the record's registers, the child's memory through
 * process_vm_readv (the record's stack copy where that fails) and
 * libunwind-ptrace's unwind-table lookup; libdw's unwinder when
 * libunwind gives fewer than two frames. Signal trampolines never appear
 * in OUT; when the program's own handler re-raised the fault the record
 * reports, OUT starts at the fault it caught. Returns 0 (OUT->n >= 1: at
 * least the faulting PC), TM_EMALFORMED when the record's registers are
 * unusable (arch not ours), or -ENOMEM. */
int unwind_stack(const struct record *rec, pid_t pid,
		 struct unwind_stack *out);

/* unwind_method_name returns "libunwind", "libdw" or "none". */
const char *unwind_method_name(enum unwind_method m);

#endif
