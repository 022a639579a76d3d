/* SPDX-License-Identifier: MIT */
/* warn.c -- the single warning libtmwatch prints, at most once.
 *
 * lib/ never talks to the user (STYLE §4) except to say, once, that
 * tmwatch cannot work in this process and the program runs unmonitored.
 * One write(2) of the whole line keeps it from interleaving with the
 * program's own output written by other threads. TMWATCH_QUIET=1 silences
 * it (docs/store-layout.md lists the variables).
 */
#define _GNU_SOURCE
#include "warn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX "tmwatch: "
#define LINE_MAX_BYTES 1024

static atomic_flag warned = ATOMIC_FLAG_INIT;

static int is_quiet(void)
{
	const char *q = getenv("TMWATCH_QUIET");

	return q && strcmp(q, "1") == 0;
}

void tm__warn_once(const char *fmt, ...)
{
	char line[LINE_MAX_BYTES];
	size_t pre = sizeof PREFIX - 1, n;
	int saved = errno, len;
	va_list ap;

	if (atomic_flag_test_and_set(&warned) || is_quiet())
		goto out;
	memcpy(line, PREFIX, pre);
	va_start(ap, fmt);
	len = vsnprintf(line + pre, sizeof line - pre - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		goto out;
	n = pre + (size_t)len;
	if (n > sizeof line - 2)
		n = sizeof line - 2;	/* cut, keeping room for "\n" */
	line[n++] = '\n';
	/* One attempt plus EINTR retries: a short write to a pipe this
	 * small cannot happen (PIPE_BUF is 4096), and a full or closed
	 * stderr is no reason to block or fail the program. */
	while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR)
		;
out:
	errno = saved;
}
