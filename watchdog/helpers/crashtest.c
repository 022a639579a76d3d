/* SPDX-License-Identifier: MIT */
/* crashtest.c -- tmwatch-crashtest, the tiny program `tmwatch doctor`
 * crashes on purpose (under the wrapper and under the preloaded shim) to
 * see a real crash counted end to end. Installed next to the modules;
 * never run by anything else.
 */
#include <stdio.h>

void tmwatch_crashtest_fault(volatile int *p);

/* The innermost frame doctor expects to see named in the counter: a
 * separate function the compiler may not inline or specialise (noipa: a
 * clone seeing the constant NULL could become a trap, SIGILL), so the
 * store is a real fault and the name proves symbolization. */
__attribute__((noipa)) void tmwatch_crashtest_fault(volatile int *p)
{
	*p = 1;
}

int main(void)
{
	volatile int *null = NULL;

	fflush(stdout);
	tmwatch_crashtest_fault(null);
	return 0;
}
