/* SPDX-License-Identifier: MIT */
/* helper_fifo_exe.c -- a hostile crashing program: it deletes its own
 * executable, plants a FIFO at the path /proc/self/exe now names (the one
 * its crash record will carry, "PATH (deleted)"), makes itself
 * non-dumpable so that an unprivileged watchdog cannot open
 * /proc/PID/exe, and segfaults. A watchdog that opened the record's path
 * would block forever on the FIFO. With the argument "dumpable" it stays
 * dumpable: the watchdog then reads /proc/PID/exe, but the module path
 * /proc/PID/maps shows is the FIFO, which the unwinder must not open.
 * Used by test_hostile.c. */
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string.h>

int main(int argc, char **argv)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0)
		return 1;
	exe[n] = 0;
	if (unlink(exe) != 0)
		return 2;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return 3;
	exe[n] = 0;
	if (mkfifo(exe, 0600) != 0)
		return 4;
	if (!(argc > 1 && strcmp(argv[1], "dumpable") == 0) &&
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 5;
	*(volatile int *)0 = 1;
	return 0;
}
