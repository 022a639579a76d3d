/* SPDX-License-Identifier: MIT */
/* benchutil.h -- helpers shared by the benchmarks (linked into each). */
#ifndef TMWATCH_BENCH_BENCHUTIL_H
#define TMWATCH_BENCH_BENCHUTIL_H

#include <stdint.h>

/* bench_take_crash_counts sums the crash/crash stack counters of every
 * counter file in STORE/local and deletes the files, so the next round of
 * a benchmark starts from zero. */
uint64_t bench_take_crash_counts(const char *store);

#endif
