/* SPDX-License-Identifier: MIT */
/* detach.c -- turn a forked child into a detached background job, for the
 * daily report and upload (tool/upload.c, watchdog/daily.c). libc only: part
 * of the core the light watchdog links. */
#define _GNU_SOURCE
#include "detach.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

void tm__detach_process(void)
{
	sigset_t none;
	int fd;

	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	/* close_range needs Linux 5.9 and glibc 2.34; fall back to a loop. */
	if (close_range(3, ~0U, 0) != 0)
		for (int i = 3; i < 1024; i++)
			close(i);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
