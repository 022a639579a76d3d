/* SPDX-License-Identifier: MIT */
/* crash_in_nodebug_lib.c -- crashes inside a stripped library without
 * debug info (lib_src/crash_nodebug.c): frames fall back to the
 * library's .dynsym, then to its file name (module-only).
 */
#include <stddef.h>

void crash_nodebug_entry(volatile int *p);

int main(void)
{
	crash_nodebug_entry(NULL); /* frame main:+2 */
	return 0;
}
