/* SPDX-License-Identifier: MIT */
/* crash_thread_handler_raises.c -- a thread faults under a SIGSEGV
 * handler installed before main (a constructor, so library mode chains
 * it too), which restores the previous action and raise()s the signal
 * again, or with the argument "abort" calls abort(); "none": no handler.
 * In library mode the thread has no alternate stack of tmwatch's, so
 * the handler runs right where tmwatch's does. The crash/crash counter
 * is the fault's each time.
 */
#include <pthread.h>
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

/* glibc passes main's arguments to constructors. */
__attribute__((constructor)) static void install(int argc, char **argv)
{
	struct sigaction sa;

	if (argc > 1 && strcmp(argv[1], "none") == 0)
		return;
	is_abort = argc > 1 && strcmp(argv[1], "abort") == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fatal_error;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, &previous);
}

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 42;
}

static void *run(void *arg)
{
	(void)arg;
	write_null(NULL);
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, run, NULL) != 0)
		return 2;
	pthread_join(t, NULL);
	return 0;
}
