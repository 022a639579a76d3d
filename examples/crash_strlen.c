/* SPDX-License-Identifier: MIT */
/* crash_strlen.c -- strlen(NULL): the fault is inside libc's IFUNC-chosen
 * strlen (__strlen_evex, _avx2 or _sse2 by CPU), which the counter names
 * strlen on every machine. */
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) static size_t measure(const char *volatile *s)
{
	return strlen(*s); /* frame measure:+2 */
}

int main(void)
{
	const char *volatile p = NULL;

	printf("%zu\n", measure(&p)); /* frame main:+4 */
	return 0;
}
