/* SPDX-License-Identifier: MIT */
/* sigaltstack.c -- LOAD-TIME: the interposed sigaltstack(2), so the
 * program sees its own alternate stack settings, never the shim's.
 *
 * Zone: LOAD-TIME (called by the program, its signal handlers included:
 * sigaltstack is async-signal-safe, and so is this: a raw syscall and the
 * calling thread's initial-exec TLS). On threads that have the shim's
 * stack (capture_altstack.c), the program's stack is recorded as its view
 * (tm__capture_thread.prog_ss) and registered with the kernel; disabling
 * it registers the shim's again, so a stack overflow is still caught
 * (DESIGN §4.2). What the program reads is its view, with SS_ONSTACK as
 * the kernel computes it. Other threads go straight to the kernel.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>

#include "capture_sys.h"
#include "shim.h"

static int fail(long r)
{
	errno = (int)-r;
	return -1;
}

/* LOAD-TIME. The interposer: same contract as sigaltstack(2). */
__attribute__((visibility("default")))
int sigaltstack(const stack_t *ss, stack_t *old)
{
	struct tm__capture_thread *t = &tm__capture_thread;
	uintptr_t sp = (uintptr_t)&t, lo = (uintptr_t)t->prog_ss.ss_sp;
	int has = t->prog_ss.ss_size != 0 &&
		  !(t->prog_ss.ss_flags & SS_DISABLE);
	int is_on = has && sp > lo && sp - lo <= t->prog_ss.ss_size;
	stack_t view = { NULL, SS_DISABLE, 0 }, reg;
	int mode;
	long r;

	if (!__atomic_load_n(&tm__capture.active, __ATOMIC_ACQUIRE) ||
	    !t->alt_lo) {
		r = TM__SYS(SYS_sigaltstack, ss, old, 0, 0, 0, 0);
		return r < 0 ? fail(r) : 0;
	}
	if (has) {
		view = t->prog_ss;
		view.ss_flags = (t->prog_ss.ss_flags & SS_AUTODISARM) |
				(is_on ? SS_ONSTACK : 0);
	}
	if (ss) {
		/* The kernel's checks, in its order (do_sigaltstack). */
		if (is_on)
			return fail(-EPERM);
		mode = ss->ss_flags & ~SS_AUTODISARM;
		if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
			return fail(-EINVAL);
		if (mode == SS_DISABLE) {
			reg.ss_sp = t->alt_lo;
			reg.ss_size = t->alt_size;
			reg.ss_flags = 0;
		} else {
			reg = *ss;
			reg.ss_flags = ss->ss_flags & SS_AUTODISARM;
		}
		r = TM__SYS(SYS_sigaltstack, &reg, NULL, 0, 0, 0, 0);
		if (r < 0)
			return fail(r);
		if (mode == SS_DISABLE) {
			t->prog_ss.ss_sp = NULL;
			t->prog_ss.ss_size = 0;
			t->prog_ss.ss_flags = SS_DISABLE;
		} else {
			t->prog_ss = reg;
		}
	}
	if (old)
		*old = view;
	return 0;
}
