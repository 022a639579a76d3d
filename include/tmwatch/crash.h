/* SPDX-License-Identifier: MIT */
/* crash.h -- library mode: crash monitoring from inside the program.
 *
 * Call tm_crash_monitor_start() first thing in main(). It installs the same
 * crash handlers as libtmwatch-preload.so and puts a tmwatch watchdog parent
 * above the program by re-executing it under `tmwatch --adopt`
 * (docs/modes.md); it works in statically linked programs, where LD_PRELOAD cannot.
 * In the re-executed child (and when already monitored) it returns 0 at
 * once. It never fails the program: on error it returns a code (see
 * tm_strerror) and the program continues unmonitored.
 */
#ifndef TMWATCH_CRASH_H
#define TMWATCH_CRASH_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

TM_API int tm_crash_monitor_start(void);

#ifdef __cplusplus
}
#endif
#endif
