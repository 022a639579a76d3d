/* SPDX-License-Identifier: MIT */
/* store.h -- the process-wide counter store behind include/tmwatch/counter.h,
 * and counting into any program's current counter file (the watchdog counts
 * crashes into the crashing program's file, `tmwatch telemetry count` into a
 * script's).
 *
 * Never for signal handlers. Never prints except through tm__warn_once.
 */
#ifndef TMWATCH_LIB_STORE_H
#define TMWATCH_LIB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "identity.h"

/* tm__store_file_name formats the counter file name of ID for the week
 * starting at BEGIN: PROGRAM[@VERSION]-TOOLCHAIN-linux-ARCH-DATE.v1.count.
 * Returns 0 or -ENAMETOOLONG. */
int tm__store_file_name(const struct tm__identity *id, time_t begin,
			char *buf, size_t cap);

/* tm__store_count_for adds N to counter NAME[0..len) in the current counter
 * file of the program ID, creating directories and files as needed.
 * Returns 0, TM_EOFF in mode off (nothing touched), TM_EDISABLED, or
 * another error code. Opens and closes the file each call: meant for the
 * watchdog and the CLI, not hot paths. */
int tm__store_count_for(const struct tm__identity *id, const char *name,
			size_t len, uint64_t n);

/* tm__store_count_for_why is tm__store_count_for that, on failure, writes
 * into BAD (CAP bytes; may be NULL) the path of the store directory or
 * counter file at fault, for a message that names it ("" if unknown). */
int tm__store_count_for_why(const struct tm__identity *id, const char *name,
			    size_t len, uint64_t n, char *bad, size_t cap);

/* tm__store_self_identity returns this process's program identity, computed
 * once (from /proc/self/exe and TMWATCH_PROGRAM_VERSION). */
const struct tm__identity *tm__store_self_identity(void);

#endif
