/* SPDX-License-Identifier: MIT */
/* msg.h -- every line tmwatch itself shows a user goes through here. */
#ifndef TMWATCH_WATCHDOG_MSG_H
#define TMWATCH_WATCHDOG_MSG_H

#include <stdio.h>

/* Exit codes of tmwatch's own commands (docs/tmwatch.md). */
#define MSG_EXIT_OK 0
#define MSG_EXIT_FAIL 1
#define MSG_EXIT_USAGE 2

/* msg_error prints "tmwatch: <text>" on stderr, one line. */
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* msg_usage prints "tmwatch: <text>" and a second line pointing to the
 * --help of COMMAND ("tmwatch telemetry"), and returns MSG_EXIT_USAGE. */
int msg_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* msg_is_quiet is true under -q or TMWATCH_QUIET=1. */
int msg_is_quiet(void);
void msg_set_quiet(int quiet);

#endif
