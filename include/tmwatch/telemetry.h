/* SPDX-License-Identifier: MIT */
/* telemetry.h -- the user's telemetry mode and the store directory.
 *
 * The mode decides what tmwatch may do: off (write nothing at all), local
 * (count and report locally; the default), on (also upload reports,
 * docs/upload.md). Environment overrides TMWATCH_TELEMETRY=off|local and DO_NOT_TRACK=1
 * are applied before any file is touched. Thread-safe; not for signal
 * handlers.
 */
#ifndef TMWATCH_TELEMETRY_H
#define TMWATCH_TELEMETRY_H

#include <stddef.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tm_mode {
	TM_MODE_OFF = 0,
	TM_MODE_LOCAL = 1,
	TM_MODE_ON = 2,
};

/* tm_telemetry_mode returns the effective mode (overrides applied). An
 * unreadable or invalid mode file counts as local: never on by accident. */
TM_API enum tm_mode tm_telemetry_mode(void);

/* tm_telemetry_set_mode records MODE with today's UTC date in the mode file,
 * atomically. Returns 0 or an error code. */
TM_API int tm_telemetry_set_mode(enum tm_mode mode);

/* tm_telemetry_dir copies the store directory (TMWATCH_DIR, else
 * $XDG_CONFIG_HOME/tmwatch, else ~/.config/tmwatch) into BUF. */
TM_API int tm_telemetry_dir(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
