/* SPDX-License-Identifier: MIT */
/* signal.c -- LOAD-TIME: the interposed signal(3).
 *
 * Zone: LOAD-TIME. glibc's signal() does not call the exported sigaction,
 * so it needs its own interposer; for crash signals it records the same
 * view glibc's BSD semantics would install (SA_RESTART, the signal itself
 * blocked in its handler). Other signals go to libc's signal(). Its
 * siblings bsd_signal.c, ssignal.c, sysv_signal.c, __sysv_signal.c and
 * sigset.c do the same for glibc's other signal(3) variants.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>

#include "shim.h"

typedef sighandler_t (*signal_fn)(int, sighandler_t);

/* LOAD-TIME. The interposer: same contract as signal(3). */
__attribute__((visibility("default")))
sighandler_t signal(int sig, sighandler_t handler)
{
	static signal_fn real;

	if (tm__sigaction_is_recorded(sig))
		return tm__sigaction_set_handler(sig, handler, SA_RESTART, 1);
	if (!real)
		real = (signal_fn)dlsym(RTLD_NEXT, "signal");
	if (!real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real(sig, handler);
}
