/* SPDX-License-Identifier: MIT */
/* __sysv_signal.c -- LOAD-TIME: the interposed __sysv_signal(3).
 *
 * Zone: LOAD-TIME. What signal() calls in a program built for strict X/Open
 * (glibc's <signal.h> redirects it without _DEFAULT_SOURCE): System V
 * semantics, SA_RESETHAND | SA_NODEFER, nothing restarted.
 * glibc installs it with its internal __sigaction, which no interposer
 * sees: without this file it would replace the crash handler. For crash
 * signals the view glibc would install is recorded instead (signal.c);
 * other signals go to libc's __sysv_signal().
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>

#include "shim.h"

typedef sighandler_t (*signal_fn)(int, sighandler_t);

/* LOAD-TIME. The interposer: same contract as __sysv_signal(3). */
__attribute__((visibility("default")))
sighandler_t __sysv_signal(int sig, sighandler_t handler)
{
	static signal_fn real;

	if (tm__sigaction_is_recorded(sig))
		return tm__sigaction_set_handler(sig, handler,
						 SA_RESETHAND | SA_NODEFER, 0);
	if (!real)
		real = (signal_fn)dlsym(RTLD_NEXT, "__sysv_signal");
	if (!real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real(sig, handler);
}
