/* SPDX-License-Identifier: MIT */
/* sysv_signal.c -- LOAD-TIME: the interposed sysv_signal(3).
 *
 * Zone: LOAD-TIME. System V semantics: the handler runs once (SA_RESETHAND),
 * the signal not blocked in it (SA_NODEFER), nothing restarted.
 * glibc installs it with its internal __sigaction, which no interposer
 * sees: without this file it would replace the crash handler. For crash
 * signals the view glibc would install is recorded instead (signal.c);
 * other signals go to libc's sysv_signal().
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>

#include "shim.h"

typedef sighandler_t (*signal_fn)(int, sighandler_t);

/* LOAD-TIME. The interposer: same contract as sysv_signal(3). */
__attribute__((visibility("default")))
sighandler_t sysv_signal(int sig, sighandler_t handler)
{
	static signal_fn real;

	if (tm__sigaction_is_recorded(sig))
		return tm__sigaction_set_handler(sig, handler,
						 SA_RESETHAND | SA_NODEFER, 0);
	if (!real)
		real = (signal_fn)dlsym(RTLD_NEXT, "sysv_signal");
	if (!real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real(sig, handler);
}
