/* SPDX-License-Identifier: MIT */
/* signal.c -- LOAD-TIME: the interposed signal(3).
 *
 * Zone: LOAD-TIME. glibc's signal() does not call the exported sigaction,
 * so it needs its own interposer; for crash signals it records the same
 * view glibc's BSD semantics would install (SA_RESTART, the signal itself
 * blocked in its handler). Other signals go to libc's signal().
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "shim.h"

typedef sighandler_t (*signal_fn)(int, sighandler_t);

/* LOAD-TIME. The interposer: same contract as signal(3). */
__attribute__((visibility("default")))
sighandler_t signal(int sig, sighandler_t handler)
{
	static signal_fn real;
	struct sigaction sa, old;

	if (__atomic_load_n(&tm__capture.active, __ATOMIC_ACQUIRE) &&
	    tm__capture_is_crash_signal(sig)) {
		if (handler == SIG_ERR) {
			errno = EINVAL;
			return SIG_ERR;
		}
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = handler;
		sigemptyset(&sa.sa_mask);
		sigaddset(&sa.sa_mask, sig);
		sa.sa_flags = SA_RESTART;
		(void)tm__sigaction_set(sig, &sa, &old);
		return old.sa_handler;
	}
	if (!real)
		real = (signal_fn)dlsym(RTLD_NEXT, "signal");
	if (!real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real(sig, handler);
}
