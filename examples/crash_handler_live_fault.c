/* SPDX-License-Identifier: MIT */
/* crash_handler_live_fault.c -- which delivery a crash is: a SIGSEGV
 * handler on the program's own alternate stack that re-raises
 * ("altstack", counted as "none", the bare fault), and handlers that
 * recover from a fault with siglongjmp, on the thread stack or the
 * program's alternate stack, before the program aborts from deeper down
 * ("recovered", "recovered_altstack", counted as "abort", the abort
 * alone: the handled fault is over).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static sigjmp_buf back;
static int is_recovering;
static char altstack[256 * 1024];

static void on_segv(int sig)
{
	if (is_recovering)
		siglongjmp(back, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 42;
}

/* Deeper than the fault's handler ran, its frames written over. */
__attribute__((noinline)) static void give_up(void)
{
	volatile char scratch[16384];

	memset((char *)scratch, 0x5a, sizeof(scratch));
	abort();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "none";
	struct sigaction sa;
	stack_t ss;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_NODEFER;
	if (strstr(mode, "altstack")) {
		ss.ss_sp = altstack;
		ss.ss_size = sizeof(altstack);
		ss.ss_flags = 0;
		sigaltstack(&ss, NULL);
		sa.sa_flags |= SA_ONSTACK;
	}
	is_recovering = strncmp(mode, "recovered", 9) == 0;
	if (strcmp(mode, "none") != 0 && strcmp(mode, "abort") != 0)
		sigaction(SIGSEGV, &sa, NULL);
	if (strcmp(mode, "abort") != 0 && sigsetjmp(back, 1) == 0)
		write_null(NULL);
	give_up();
	return 0;
}
