/* SPDX-License-Identifier: MIT */
/* crash_closes_fds.c -- closes every fd above stderr at start, reopens a
 * file on the freed numbers, then writes through NULL. The shim must not
 * write into the reused fd: it reports through the watchdog's named
 * socket instead (TMWATCH_SOCK), and the program dies as usual. */
#include <fcntl.h>
#include <unistd.h>

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 9; /* frame write_null:+2 */
}

int main(void)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		close(fd);
	for (fd = 0; fd < 8; fd++)
		(void)open("/dev/null", O_WRONLY);
	write_null(0);
	return 0;
}
