/* SPDX-License-Identifier: MIT */
/* crash_own_handler_raises.c -- catches its own SIGSEGV the way Python's
 * faulthandler does (SA_NODEFER; the handler restores the previous action
 * and raise()s the signal again), then dies of it; with the argument
 * "abort" the handler calls abort() instead, with "none" there is no
 * handler. The crash/crash counter is the same each time: the fault's
 * frames, never the handler's or the trampoline.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static struct sigaction previous;
static int is_abort;

static void fatal_error(int sig, siginfo_t *info, void *uc)
{
	(void)info;
	(void)uc;
	if (is_abort)
		abort();
	sigaction(sig, &previous, NULL);
	raise(sig);
}

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 42; /* frame write_null:+2 */
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fatal_error;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	is_abort = argc > 1 && strcmp(argv[1], "abort") == 0;
	if (argc < 2 || strcmp(argv[1], "none") != 0)
		sigaction(SIGSEGV, &sa, &previous);
	write_null(NULL); /* frame main:+10 */
	return 0;
}
