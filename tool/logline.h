/* SPDX-License-Identifier: MIT */
/* logline.h -- how lib reports progress without printing: one line at a
 * time to a caller's sink (the CLI prints them; the daily job drops them). */
#ifndef TMWATCH_LIB_LOGLINE_H
#define TMWATCH_LIB_LOGLINE_H

/* A log sink: one line without newline per call. ARG is the caller's. */
typedef void (*tm__log_fn)(void *arg, const char *line);

/* tm__logf formats one line (cut at 1 KiB) and hands it to LOG; nothing
 * when LOG is NULL. Any thread. */
void tm__logf(tm__log_fn log, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
