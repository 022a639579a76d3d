/* SPDX-License-Identifier: MIT */
/* logline.c -- one formatted progress line to a caller's sink (logline.h). */
#include "logline.h"

#include <stdarg.h>
#include <stdio.h>

void tm__logf(tm__log_fn log, void *arg, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log(arg, line);
}
