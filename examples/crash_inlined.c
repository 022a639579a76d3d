/* SPDX-License-Identifier: MIT */
/* crash_inlined.c -- a NULL write two inlined levels deep: the stack
 * counter lists each inlined function as a frame of its own, at -O0
 * (always_inline) and at -O2 alike (tests/scenarios/test_stacks.c).
 */
#include <stddef.h>

static inline __attribute__((always_inline)) void inner(volatile int *p)
{
	*p = 1; /* frame inner:+2 */
}

static inline __attribute__((always_inline)) void outer(volatile int *p)
{
	inner(p); /* frame outer:+2 */
}

__attribute__((noinline)) static void physical(volatile int *p)
{
	outer(p); /* frame physical:+2 */
}

int main(void)
{
	physical(NULL); /* frame main:+2 */
	return 0;
}
