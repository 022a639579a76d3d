/* SPDX-License-Identifier: MIT */
/* supervise.h -- wrapper mode: `tmwatch [options] [--] PROGRAM [ARGS...]`
 * and `tmwatch --adopt -- EXE ARGV0 [ARGS...]` (DESIGN §3.1-3.3).
 */
#ifndef TMWATCH_WATCHDOG_SUPERVISE_H
#define TMWATCH_WATCHDOG_SUPERVISE_H

#include <stdio.h>

/* supervise_main runs PROGRAM under the watchdog: ARGV is tmwatch's full
 * argv (argv[0] = tmwatch). It returns (or dies) with the child's status:
 * the same exit code, or death by the same signal; 127/126 when PROGRAM
 * cannot be found/run; 2 for a usage error. */
int supervise_main(int argc, char **argv);

/* supervise_usage prints the option lines of wrapper mode for --help. */
void supervise_usage(FILE *out);

#endif
