/* SPDX-License-Identifier: MIT */
/* ssignal.c -- LOAD-TIME: the interposed ssignal(3).
 *
 * Zone: LOAD-TIME. ssignal is signal() under its SVID name (SA_RESTART,
 * the signal blocked in its handler), a separate symbol in glibc.
 * glibc installs it with its internal __sigaction, which no interposer
 * sees: without this file it would replace the crash handler. For crash
 * signals the view glibc would install is recorded instead (signal.c);
 * other signals go to libc's ssignal().
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>

#include "shim.h"

typedef sighandler_t (*signal_fn)(int, sighandler_t);

extern sighandler_t ssignal(int sig, sighandler_t handler);

/* LOAD-TIME. The interposer: same contract as ssignal(3). */
__attribute__((visibility("default")))
sighandler_t ssignal(int sig, sighandler_t handler)
{
	static signal_fn real;

	if (tm__sigaction_is_recorded(sig))
		return tm__sigaction_set_handler(sig, handler, SA_RESTART, 1);
	if (!real)
		real = (signal_fn)dlsym(RTLD_NEXT, "ssignal");
	if (!real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real(sig, handler);
}
