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
#include <string.h>

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

/* LOAD-TIME. See shim.h. */
int tm__sigaction_is_recorded(int sig)
{
	return __atomic_load_n(&tm__capture.active, __ATOMIC_ACQUIRE) &&
	       tm__capture_is_crash_signal(sig);
}

/* LOAD-TIME. See shim.h. */
sighandler_t tm__sigaction_set_handler(int sig, sighandler_t handler,
				       int flags, int is_self_blocked)
{
	struct sigaction sa, old;

	if (handler == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (is_self_blocked)
		sigaddset(&sa.sa_mask, sig);
	sa.sa_flags = flags;
	(void)tm__sigaction_set(sig, &sa, &old);
	return old.sa_handler;
}

/* LOAD-TIME. The interposer: same contract as sigaction(2). */
__attribute__((visibility("default")))
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	tm__sigaction_fn real;

	if (tm__sigaction_is_recorded(sig))
		return tm__sigaction_set(sig, act, old);
	real = tm__sigaction_real();
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(sig, act, old);
}
