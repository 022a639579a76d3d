/* SPDX-License-Identifier: MIT */
/* crash_null_read.c -- reads through a NULL pointer: SIGSEGV, SEGV_MAPERR. */
#include <stdio.h>

__attribute__((noinline)) static int read_null(volatile int *p)
{
	return *p; /* frame read_null:+2 */
}

int main(void)
{
	printf("%d\n", read_null(NULL)); /* frame main:+2 */
	return 0;
}
