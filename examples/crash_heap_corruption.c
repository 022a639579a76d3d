/* SPDX-License-Identifier: MIT */
/* crash_heap_corruption.c -- a double free: glibc's allocator detects it
 * and aborts ("free(): double free detected in tcache 2"). */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void corrupt(void)
{
	char *volatile p = malloc(32);

	memset(p, 1, 32);
	free(p);
	free(p); /* frame corrupt:+6 */
}

int main(void)
{
	corrupt(); /* frame main:+2 */
	return 0;
}
