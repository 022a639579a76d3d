/* SPDX-License-Identifier: MIT */
/* crash_stack_overflow.c -- unbounded recursion on the main thread:
 * SIGSEGV on the guard page, handled on the alternate stack.
 * Frames: where the guard page is hit (prologue to call, recurse:+1
 * to +5, as ASLR places the stack), then recurse:+5 and "…". */
#include <stdio.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static int recurse(volatile int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	return recurse(depth + 1) + pad[0]; /* recurse:+5, "…" */
}

int main(void)
{
	printf("%d\n", recurse(0));
	return 0;
}
