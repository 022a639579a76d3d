/* SPDX-License-Identifier: MIT */
/* crashlib.c -- a shared library that crashes, for the pipeline tests:
 * built with debug info (linked into the crashers) and as a stripped
 * copy loaded with dlopen (module and .dynsym fallbacks). */
volatile int *volatile crashlib_null;

void crashlib_crash(int how);
void dl_crash(int how);

__attribute__((noinline)) static void lib_hidden(int how)
{
	crashlib_null[how] = 4; /* lib_hidden:+2 */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void crashlib_crash(int how)
{
	lib_hidden(how); /* crashlib_crash:+2 */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void dl_crash(int how)
{
	if (how == 2)
		lib_hidden(1); /* dl_crash:+3 */
	crashlib_crash(how - 1); /* dl_crash:+4 */
	__asm__ volatile("" ::: "memory");
}
