/* SPDX-License-Identifier: MIT */
/* signal_counter.c -- counts the SIGINTs and SIGCONTs it gets, for the
 * job-control test: prints "ready", one line per signal, and on a "q"
 * line from the terminal prints "ints=N" and exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t ints;

static void on_signal(int sig)
{
	if (sig == SIGINT) {
		ints++;
		(void)!write(1, "got int\n", 8);
	} else {
		(void)!write(1, "got cont\n", 9);
	}
}

int main(void)
{
	struct sigaction sa;
	char buf[64];
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || buf[0] == 'q')
			break;
	}
	printf("ints=%d\n", (int)ints);
	return 0;
}
