/* SPDX-License-Identifier: MIT */
/* crash_stack_overflow.c -- unbounded recursion on the main thread:
 * SIGSEGV on the guard page, handled on the alternate stack. */
#include <stdio.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static int recurse(volatile int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	return recurse(depth + 1) + pad[0]; /* frame recurse, then "…" */
}

int main(void)
{
	printf("%d\n", recurse(0));
	return 0;
}
