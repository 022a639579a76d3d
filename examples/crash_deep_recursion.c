/* SPDX-License-Identifier: MIT */
/* crash_deep_recursion.c -- recursion 1000 frames deep, then a NULL
 * write: the 999 identical caller frames collapse into one frame and a
 * "…" line (tests/scenarios/test_stacks.c).
 */
#include <stddef.h>

__attribute__((noinline)) static int recurse(volatile int *p, int depth)
{
	if (depth == 1000)
		return *p = 1; /* frame recurse:+3 */
	return recurse(p, depth + 1) + 1; /* frame recurse:+4, then "…" */
}

int main(void)
{
	return recurse(NULL, 1); /* frame main:+2 */
}
