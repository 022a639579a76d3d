/* SPDX-License-Identifier: MIT */
/* crash_library_mode.c -- library mode: tm_crash_monitor_start() first
 * thing in main, then a NULL write. Built dynamic (crash_library_mode)
 * and static (crash_library_mode_static, where LD_PRELOAD cannot work).
 * With argument "status" it prints the start result and exits 0. */
#include <stdio.h>
#include <string.h>

#include <tmwatch/crash.h>

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 17; /* frame write_null:+2 */
}

int main(int argc, char **argv)
{
	int r = tm_crash_monitor_start();

	if (argc > 1 && strcmp(argv[1], "status") == 0) {
		printf("start %d\n", r);
		return 0;
	}
	write_null(NULL);
	return 0;
}
