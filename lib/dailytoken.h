/* SPDX-License-Identifier: MIT */
/* dailytoken.h -- the "at most once a day" rule of reports and uploads
 * (DESIGN §8.1): the mtime of STORE/local/daily.token. */
#ifndef TMWATCH_LIB_DAILYTOKEN_H
#define TMWATCH_LIB_DAILYTOKEN_H

#include <time.h>

/* Seconds between two daily runs. */
#define TM__DAILYTOKEN_PERIOD_S 86400

/* tm__dailytoken_due tells whether the daily work is due at NOW for the
 * store STORE_DIR: no token yet, a token a day old or more, or one from
 * the future (a clock set back). One stat; never writes. Any thread. */
int tm__dailytoken_due(const char *store_dir, time_t now);

/* tm__dailytoken_take marks the daily work done at NOW (the token's mtime
 * is set to NOW, so TMWATCH_NOW moves it in tests like every other date).
 * Returns 0 or -errno. STORE_DIR/local must exist. */
int tm__dailytoken_take(const char *store_dir, time_t now);

#endif
