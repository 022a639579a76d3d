/* SPDX-License-Identifier: MIT */
/* clock.h -- "now" for the counter store, and its two text forms.
 *
 * Every date libtmwatch writes (file names, TimeBegin/TimeEnd, the mode
 * file, report weeks) is UTC and comes from here, so tests can pin the
 * clock with TMWATCH_NOW. Pure functions apart from tm__clock_now reading
 * the environment and the system clock. Thread-safe; never prints.
 */
#ifndef TMWATCH_CLOCK_H
#define TMWATCH_CLOCK_H

#include <time.h>

/* tm__clock_now returns time(NULL), or the time in $TMWATCH_NOW when it
 * holds epoch seconds, "YYYY-MM-DD" (midnight UTC) or
 * "YYYY-MM-DDTHH:MM:SSZ". An unparsable TMWATCH_NOW is ignored. */
time_t tm__clock_now(void);

/* tm__clock_parse parses S as decimal epoch seconds, "YYYY-MM-DD" (midnight
 * UTC) or "YYYY-MM-DDTHH:MM:SSZ" (UTC; no other offset, no fraction, no
 * leap second), years 1970..9999, into *OUT. Returns 0 or TM_EINVAL
 * (*OUT untouched). */
int tm__clock_parse(const char *s, time_t *out);

/* tm__clock_date writes T's UTC date as "YYYY-MM-DD" into OUT. Times
 * outside years 0..9999 are clamped to those years' ends. */
void tm__clock_date(time_t t, char out[11]);

/* tm__clock_rfc3339 writes T as "YYYY-MM-DDTHH:MM:SSZ" (UTC), the form Go's
 * time.RFC3339 prints for a UTC time (TimeBegin and TimeEnd in counter
 * files). Clamped like tm__clock_date. */
void tm__clock_rfc3339(time_t t, char out[21]);

/* tm__clock_midnight returns the UTC midnight starting T's day (floor). */
time_t tm__clock_midnight(time_t t);

#endif
