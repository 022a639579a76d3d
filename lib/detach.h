/* SPDX-License-Identifier: MIT */
/* detach.h -- make a forked process a quiet background job. */
#ifndef TMWATCH_LIB_DETACH_H
#define TMWATCH_LIB_DETACH_H

/* tm__detach_process, in a freshly forked child: a new session, stdio on
 * /dev/null and every other descriptor closed (a shell or test reading the
 * parent's output sees EOF when the parent exits, and a crash channel
 * inherited from a watchdog is not kept open), and no signal blocked.
 * Never fails: what cannot be done is skipped. */
void tm__detach_process(void);

#endif
