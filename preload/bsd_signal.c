/* SPDX-License-Identifier: MIT */
/* bsd_signal.c -- LOAD-TIME: the interposed bsd_signal(3).
 *
 * Zone: LOAD-TIME. bsd_signal is signal() with BSD semantics (SA_RESTART,
 * the signal blocked in its handler), a separate symbol in glibc.
 * glibc installs it with its internal __sigaction, which no interposer
 * sees: without this file it would replace the crash handler. For crash
 * signals the view glibc would install is recorded instead (signal.c);
 * other signals go to libc's bsd_signal().
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>

#include "shim.h"

typedef sighandler_t (*signal_fn)(int, sighandler_t);

extern sighandler_t bsd_signal(int sig, sighandler_t handler);

/* LOAD-TIME. The interposer: same contract as bsd_signal(3). */
__attribute__((visibility("default")))
sighandler_t bsd_signal(int sig, sighandler_t handler)
{
	static signal_fn real;

	if (tm__sigaction_is_recorded(sig))
		return tm__sigaction_set_handler(sig, handler, SA_RESTART, 1);
	if (!real)
		real = (signal_fn)dlsym(RTLD_NEXT, "bsd_signal");
	if (!real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real(sig, handler);
}
