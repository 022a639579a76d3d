/* SPDX-License-Identifier: MIT */
/* sigaction.c -- LOAD-TIME: the interposed sigaction(2).
 *
 * Zone: LOAD-TIME (called by the program, never by our handler). For the
 * crash signals, while capture is active, the program's action is recorded
 * as its view instead of replacing our handler, and the view is what it
 * reads back: the handler runs the program's handler first (DESIGN §4.2,
 * chaining). Everything else goes straight to libc.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>

#include "shim.h"

/* LOAD-TIME. See shim.h. */
tm__sigaction_fn tm__sigaction_real(void)
{
	static tm__sigaction_fn real;

	if (!real)
		real = (tm__sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
	return real;
}

/* LOAD-TIME. See shim.h. */
int tm__sigaction_set(int sig, const struct sigaction *act,
		      struct sigaction *old)
{
	struct sigaction prev = tm__capture.prog[sig];

	if (act)
		tm__capture.prog[sig] = *act;
	if (old)
		*old = prev;
	return 0;
}

/* LOAD-TIME. The interposer: same contract as sigaction(2). */
__attribute__((visibility("default")))
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	tm__sigaction_fn real;

	if (__atomic_load_n(&tm__capture.active, __ATOMIC_ACQUIRE) &&
	    tm__capture_is_crash_signal(sig))
		return tm__sigaction_set(sig, act, old);
	real = tm__sigaction_real();
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(sig, act, old);
}
