/* SPDX-License-Identifier: MIT */
/* helper_count_loop.c -- a program counting through libtmwatch, for the
 * SIGBUS containment tests of test_hostile.c.
 *
 *   truncate     count once, print the counter file's path (or "none"),
 *                wait for a line on stdin (the test truncates the file
 *                meanwhile), count 1000 times by name and by handle, exit 3
 *   own-handler  install its own SIGBUS handler, count, then fault on a
 *                truncated mapping of its own: the handler exits 42
 *   own-default  count, then fault on its own truncated mapping: dies of
 *                SIGBUS as without tmwatch
 *   own-sent     count, then raise(SIGBUS): dies of SIGBUS
 *
 * With "lib-" in front (lib-truncate, lib-own-default), it first calls
 * tm_crash_monitor_start(), as a library-mode program does.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tmwatch/counter.h"
#include "tmwatch/crash.h"

static void own(int sig)
{
	static const char msg[] = "own handler\n";

	(void)sig;
	(void)!write(1, msg, sizeof msg - 1);
	_exit(42);
}

/* A SIGBUS of the program's own making: a page past the end of a file. */
static int own_fault(void)
{
	FILE *f = tmpfile();
	volatile char *p;

	if (!f || ftruncate(fileno(f), 16384) != 0)
		return 1;
	p = mmap(NULL, 16384, PROT_READ, MAP_SHARED, fileno(f), 0);
	if (p == MAP_FAILED || ftruncate(fileno(f), 100) != 0)
		return 1;
	return p[8192];
}

int main(int argc, char **argv)
{
	static struct tm_counter handle = TM_COUNTER_INIT("hostile/handle");
	char path[4096], line[16];

	if (argc != 2)
		return 2;
	if (!strncmp(argv[1], "lib-", 4)) {
		(void)tm_crash_monitor_start();
		argv[1] += 4;
	}
	if (!strcmp(argv[1], "own-handler"))
		signal(SIGBUS, own);
	tm_counter_inc("hostile/first");
	tm_counter_handle_inc(&handle);
	if (!strcmp(argv[1], "truncate")) {
		printf("%s\n", tm_counter_file_path(path, sizeof path) == 0 ?
		       path : "none");
		fflush(stdout);
		if (!fgets(line, sizeof line, stdin))
			return 2;
		for (int i = 0; i < 1000; i++) {
			tm_counter_inc("hostile/loop");
			tm_counter_handle_inc(&handle);
		}
		return 3;
	}
	if (!strcmp(argv[1], "own-sent")) {
		raise(SIGBUS);
		return 1;
	}
	return own_fault();
}
