/* SPDX-License-Identifier: MIT */
/* crash_on_input.c -- says "ready" and crashes when a line arrives on
 * stdin: the test replaces the binary on disk in between
 * (tests/scenarios/test_stacks_special.c).
 */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 1; /* frame write_null:+2 */
}

int main(void)
{
	char line[16];

	(void)!write(1, "ready\n", 6);
	if (read(0, line, sizeof(line)) <= 0)
		return 1;
	write_null(NULL); /* frame main:+7 */
	return 0;
}
