/* SPDX-License-Identifier: MIT */
/* shim.h -- what the shim's interposers (sigaction.c, signal.c and the
 * rest of the signal(3) family, sigaltstack.c, pthread_create.c) and its
 * constructor (shim_main.c) share.
 *
 * Zone: LOAD-TIME declarations; libtmwatch-preload.so only, never
 * libtmwatch (a static program must not get a second sigaction).
 */
#ifndef TMWATCH_PRELOAD_SHIM_H
#define TMWATCH_PRELOAD_SHIM_H

#include <signal.h>

#include "capture.h"

/* LOAD-TIME. libc's own sigaction, found with dlsym(RTLD_NEXT) on first
 * use; NULL only if libc lacks it. */
tm__sigaction_fn tm__sigaction_real(void);

/* LOAD-TIME. Records ACT as the program's view of crash signal SIG and
 * returns the previous view in OLD (either may be NULL). Returns 0. */
int tm__sigaction_set(int sig, const struct sigaction *act,
		      struct sigaction *old);

/* LOAD-TIME. Does the shim record the program's action for SIG (capture
 * active and SIG a crash signal) instead of letting libc install it? */
int tm__sigaction_is_recorded(int sig);

/* LOAD-TIME. For the signal(3) family (signal.c, bsd_signal.c, ssignal.c,
 * sysv_signal.c, __sysv_signal.c, sigset.c): records HANDLER with FLAGS,
 * and a mask of SIG alone when IS_SELF_BLOCKED, as the view of crash
 * signal SIG, as glibc would have installed it. Returns the previous
 * handler, or SIG_ERR with errno EINVAL for SIG_ERR. */
sighandler_t tm__sigaction_set_handler(int sig, sighandler_t handler,
				       int flags, int is_self_blocked);

/* LOAD-TIME. Finds libc's abort() (address and size), for the handler's
 * is_dying_in_abort; leaves tm__capture.abort_lo 0 when it cannot. Call
 * before tm__capture_install. */
void tm__shim_abort_find(void);

#endif
