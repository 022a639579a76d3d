/* SPDX-License-Identifier: MIT */
/* shim.h -- what the shim's interposers (sigaction.c, signal.c,
 * pthread_create.c) and its constructor (shim_main.c) share.
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

#endif
