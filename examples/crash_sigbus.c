/* SPDX-License-Identifier: MIT */
/* crash_sigbus.c -- touches a page of a file mapping past the file's end
 * after truncating it: SIGBUS, BUS_ADRERR. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) static int touch(volatile char *p)
{
	return p[8192]; /* frame touch:+2 */
}

int main(void)
{
	FILE *f = tmpfile();
	char *p;

	if (!f || ftruncate(fileno(f), 16384) != 0)
		return 1;
	p = mmap(NULL, 16384, PROT_READ, MAP_SHARED, fileno(f), 0);
	if (p == MAP_FAILED || ftruncate(fileno(f), 100) != 0)
		return 1;
	return touch(p); /* frame main:+10 */
}
