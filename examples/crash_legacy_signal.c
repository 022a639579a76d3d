/* SPDX-License-Identifier: MIT */
/* crash_legacy_signal.c -- a SIGSEGV handler installed with the signal(3)
 * variant named by argv[1] (sigset, sysv_signal, bsd_signal, ssignal, or
 * __sysv_signal, what signal() is in a strict X/Open program); it says so,
 * restores the default action (sysv_signal's SA_RESETHAND does it) and
 * returns: the write faults again and the process dies of SIGSEGV. */
#define _GNU_SOURCE
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <signal.h>
#include <string.h>
#include <unistd.h>

extern sighandler_t bsd_signal(int sig, sighandler_t handler);
extern sighandler_t __sysv_signal(int sig, sighandler_t handler);

static const char *how = "sigset";

static void on_segv(int sig)
{
	static const char line[] = "handler ran\n";

	(void)!write(1, line, sizeof(line) - 1);
	if (strcmp(how, "sigset") == 0)
		sigset(sig, SIG_DFL);
	else if (strcmp(how, "bsd_signal") == 0)
		bsd_signal(sig, SIG_DFL);
	else if (strcmp(how, "ssignal") == 0)
		ssignal(sig, SIG_DFL);
}

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 5; /* frame write_null:+2 */
}

int main(int argc, char **argv)
{
	if (argc > 1)
		how = argv[1];
	if (strcmp(how, "sigset") == 0)
		sigset(SIGSEGV, on_segv);
	else if (strcmp(how, "sysv_signal") == 0)
		sysv_signal(SIGSEGV, on_segv);
	else if (strcmp(how, "bsd_signal") == 0)
		bsd_signal(SIGSEGV, on_segv);
	else if (strcmp(how, "ssignal") == 0)
		ssignal(SIGSEGV, on_segv);
	else
		__sysv_signal(SIGSEGV, on_segv);
	write_null(NULL); /* frame main:+14 */
	return 0;
}
