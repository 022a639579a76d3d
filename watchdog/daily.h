/* SPDX-License-Identifier: MIT */
/* daily.h -- the light watchdog's side of the daily report/upload job. */
#ifndef TMWATCH_WATCHDOG_DAILY_H
#define TMWATCH_WATCHDOG_DAILY_H

/* daily_spawn is called once the child has exited. It answers the
 * common case itself (telemetry off, or the daily token fresh: no fork,
 * no module); when the job is due it forks one detached process that
 * loads the commands module and runs tm__upload_daily_spawn (lib/upload.h)
 * there, and returns at once. Single-threaded; never in a handler. */
void daily_spawn(void);

#endif
