/* SPDX-License-Identifier: MIT */
/* weeks.h -- the weekly rhythm of counter files (DESIGN §6.3).
 *
 * Each user's counter files end on one weekday, chosen at random once and
 * kept in T/local/weekends, so uploads from many users spread over the
 * week. Thread-safe; not for signal handlers; never prints.
 */
#ifndef TMWATCH_WEEKS_H
#define TMWATCH_WEEKS_H

#include <stddef.h>
#include <time.h>

/* tm__weeks_weekday reads LOCALDIR/weekends (one digit 0-6, 0 = Sunday,
 * then "\n") into *WEEKDAY. A missing file is created atomically (temp +
 * link; when another process wins the race its digit is read) with a
 * random digit from getrandom(2); an invalid file is replaced atomically
 * (temp + rename) with a new random digit. LOCALDIR itself is never
 * created: the caller does that, and only when telemetry is not off.
 * Returns 0 or -errno (-ENOENT when LOCALDIR is missing). */
int tm__weeks_weekday(const char *localdir, int *weekday);

/* tm__weeks_weekday_at is tm__weeks_weekday reading "weekends" relative to
 * LOCALFD, LOCALDIR's open descriptor (AT_FDCWD: use LOCALDIR); the path
 * is used only to create or repair the file. */
int tm__weeks_weekday_at(int localfd, const char *localdir, int *weekday);

/* tm__weeks_span computes the validity of a counter file begun at NOW:
 * *BEGIN is the UTC midnight of NOW's date, *END the UTC midnight of the
 * first day with weekday WEEKDAY (0 = Sunday) strictly after *BEGIN, 1 to 7
 * days later, like Go telemetry's fileValidity. WEEKDAY outside 0..6 is
 * taken modulo 7. Pure; async-signal-safe. */
void tm__weeks_span(time_t now, int weekday, time_t *begin, time_t *end);

/* tm__weeks_parse checks a weekends file's content: one digit 0-6,
 * optionally followed by one "\n". Returns the digit or TM_ECORRUPT. */
int tm__weeks_parse(const char *text, size_t len);

#endif
