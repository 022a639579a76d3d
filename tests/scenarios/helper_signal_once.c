/* SPDX-License-Identifier: MIT */
/* helper_signal_once.c -- counts how many times a real-time signal reaches
 * it, for the signal-forwarding tests (test_supervise.c).
 *
 * Blocks SIGRTMIN and SIGRTMIN+1, prints "ready", then waits for the
 * marker SIGRTMIN+1. Real-time signals queue (one delivery per send), and
 * the watchdog forwards in order, so once the marker is here every copy
 * of SIGRTMIN it will ever get is queued: unblocking runs the handler once
 * per copy, and it prints "count=N" and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t count;

static void on_signal(int sig)
{
	(void)sig;
	count++;
}

int main(void)
{
	struct sigaction sa;
	sigset_t both, marker;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGRTMIN, &sa, NULL);
	sigemptyset(&both);
	sigaddset(&both, SIGRTMIN);
	sigaddset(&both, SIGRTMIN + 1);
	sigemptyset(&marker);
	sigaddset(&marker, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &both, NULL);
	printf("ready\n");
	fflush(stdout);
	while (sigwait(&marker, &sig) != 0)
		;
	sigprocmask(SIG_UNBLOCK, &both, NULL);
	printf("count=%d\n", (int)count);
	return 0;
}
