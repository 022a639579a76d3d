/* SPDX-License-Identifier: MIT */
/* crash_exit_status.c -- exits with the status given as argument (default
 * 0): normal and non-zero exits are not crashes. With SHOW_ARGS=1 in the
 * environment it first prints its argv[0] and SHOW_VALUE, so tests can
 * check that preload-only mode's re-exec preserved both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *show = getenv("SHOW_ARGS");

	if (show && strcmp(show, "1") == 0)
		printf("argv0=%s value=%s\n", argv[0],
		       getenv("SHOW_VALUE") ? getenv("SHOW_VALUE") : "(unset)");
	return argc > 1 ? atoi(argv[1]) : 0;
}
