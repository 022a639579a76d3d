/* SPDX-License-Identifier: MIT */
/* crash_own_handler_chain.c -- installs its own SIGSEGV handler that
 * prints a "stack dump" line and chains to the previous action, as
 * runtimes do: it still dies of SIGSEGV and is still reported. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static struct sigaction previous;

static void dump_and_chain(int sig, siginfo_t *info, void *uc)
{
	static const char line[] = "own handler: stack dump\n";

	(void)info;
	(void)uc;
	(void)!write(2, line, sizeof(line) - 1);
	sigaction(sig, &previous, NULL); /* the fault recurs with it */
}

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 5; /* frame write_null:+2 */
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = dump_and_chain;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &previous);
	write_null(NULL); /* frame main:+8 */
	return 0;
}
