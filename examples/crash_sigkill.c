/* SPDX-License-Identifier: MIT */
/* crash_sigkill.c -- kills itself with SIGKILL: not a crash, no record,
 * but the same death as without tmwatch. */
#include <signal.h>
#include <unistd.h>

int main(void)
{
	kill(getpid(), SIGKILL);
	pause();
	return 0;
}
