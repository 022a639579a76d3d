/* SPDX-License-Identifier: MIT */
/* crash_overflow_with_handler.c -- unbounded recursion with a SIGSEGV
 * handler that would print and exit 3. Without an alternate stack
 * ("no_altstack") the kernel cannot run it on the exhausted stack: the
 * process dies of SIGSEGV. With its own alternate stack and SA_ONSTACK
 * ("own_altstack") the handler runs there: "handler ran", exit 3. With a
 * small one (16 KiB, "small_altstack_chains") the handler restores the
 * default action and returns: the overflow faults again and kills.
 * Frames: as crash_stack_overflow.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"

static int is_chaining;

static void on_segv(int sig)
{
	static const char line[] = "handler ran\n";

	(void)!write(1, line, sizeof(line) - 1);
	if (is_chaining) {
		signal(sig, SIG_DFL);
		return;
	}
	_exit(3);
}

__attribute__((noinline)) static int recurse(volatile int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	return recurse(depth + 1) + pad[0]; /* recurse:+5, "…" */
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	is_chaining = argc > 1 && strcmp(argv[1], "small_altstack_chains") == 0;
	if (argc > 1 && (strcmp(argv[1], "own_altstack") == 0 || is_chaining)) {
		stack_t ss = { .ss_size = is_chaining ? 16 * 1024 : 64 * 1024 };

		ss.ss_sp = malloc(ss.ss_size);
		if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
			return 2;
		sa.sa_flags = SA_ONSTACK;
	}
	sigaction(SIGSEGV, &sa, NULL);
	printf("%d\n", recurse(0));
	return 0;
}
