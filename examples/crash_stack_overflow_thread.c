/* SPDX-License-Identifier: MIT */
/* crash_stack_overflow_thread.c -- unbounded recursion on a thread created
 * after load: needs the alternate stack the shim gave that thread.
 * Frames: where the guard page is hit (prologue to call, recurse:+1
 * to +5, as ASLR places the stack), then recurse:+5 and "…". */
#include <pthread.h>
#include <stdio.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static int recurse(volatile int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	return recurse(depth + 1) + pad[0]; /* recurse:+5, "…" */
}

static void *run(void *arg)
{
	(void)arg;
	printf("%d\n", recurse(0));
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, run, NULL) != 0)
		return 1;
	pthread_join(t, NULL);
	return 0;
}
