/* SPDX-License-Identifier: MIT */
/* sigset.c -- LOAD-TIME: the interposed sigset(3).
 *
 * Zone: LOAD-TIME. glibc's sigset() installs the handler with its internal
 * __sigaction, which no interposer sees: without this file it would
 * replace the crash handler. For crash signals it records the view glibc
 * would install (no flags, an empty mask) and changes the signal mask as
 * glibc does: SIG_HOLD blocks the signal, any other disposition unblocks
 * it, and SIG_HOLD is returned when it was blocked (POSIX, XSI).
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>

#include "capture_sys.h"
#include "shim.h"

typedef sighandler_t (*sigset_fn)(int, sighandler_t);

/* LOAD-TIME. The interposer: same contract as sigset(3). */
__attribute__((visibility("default")))
sighandler_t sigset(int sig, sighandler_t disp)
{
	static sigset_fn real;
	unsigned long bit, old = 0;
	sighandler_t prev;

	if (!tm__sigaction_is_recorded(sig)) {
		if (!real)
			real = (sigset_fn)dlsym(RTLD_NEXT, "sigset");
		if (!real) {
			errno = ENOSYS;
			return SIG_ERR;
		}
		return real(sig, disp);
	}
	bit = 1UL << (sig - 1);
	if (disp == SIG_HOLD) {
		(void)TM__SYS(SYS_rt_sigprocmask, SIG_BLOCK, &bit, &old,
			      TM__KSIGSET_SIZE, 0, 0);
		if (old & bit)
			return SIG_HOLD;
		return tm__capture.prog[sig].sa_handler;
	}
	prev = tm__sigaction_set_handler(sig, disp, 0, 0);
	if (prev == SIG_ERR)
		return SIG_ERR;
	(void)TM__SYS(SYS_rt_sigprocmask, SIG_UNBLOCK, &bit, &old,
		      TM__KSIGSET_SIZE, 0, 0);
	return (old & bit) ? SIG_HOLD : prev;
}
