/* SPDX-License-Identifier: MIT */
/* msg.c -- the user-facing lines of tmwatch: errors, usage errors, quiet.
 *
 * Grammar (STYLE §4): one line, prefix "tmwatch: ", lower-case start, no
 * full stop; what failed first, the thing in single quotes, the reason, then
 * what to do. A usage error adds one line pointing to --help.
 */
#include "msg.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int quiet = -1;

void msg_error(const char *fmt, ...)
{
	va_list ap;
	char line[2048];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One fprintf per line keeps concurrent writers from interleaving
	 * inside a line. */
	fprintf(stderr, "tmwatch: %s\n", line);
}

int msg_usage(const char *command, const char *fmt, ...)
{
	va_list ap;
	char line[2048];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "tmwatch: %s\nrun '%s --help' for usage\n", line,
		command);
	return MSG_EXIT_USAGE;
}

int msg_is_quiet(void)
{
	if (quiet < 0) {
		const char *q = getenv("TMWATCH_QUIET");
		quiet = q && strcmp(q, "1") == 0;
	}
	return quiet;
}

void msg_set_quiet(int q)
{
	quiet = q;
}
