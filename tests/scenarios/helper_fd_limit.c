/* SPDX-License-Identifier: MIT */
/* helper_fd_limit.c -- uses every descriptor its limit allows (open
 * until EMFILE), then writes through NULL: the shim must still report
 * (issue 8 §1, run under `ulimit -n 256`). Exits 2 if the limit was
 * never reached. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 1; /* frame write_null:+2 */
}

int main(void)
{
	int i;

	for (i = 0; i < 1 << 20; i++) {
		if (open("/dev/null", O_RDONLY) < 0)
			break;
	}
	if (errno != EMFILE)
		return 2;
	write_null(0);
	return 0;
}
