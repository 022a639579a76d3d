/* SPDX-License-Identifier: MIT */
/* helper_ownmod_lib.c -- libownmod.so, a library a program names as its
 * own in its upload config (OwnModules) while it is installed where
 * system libraries are (test_own_modules.c): one function that crashes
 * and one that counts a stack. Line offsets below are what the counters
 * must show when the library is classified as the program's own. */
#include <tmwatch/tmwatch.h>

__attribute__((noinline)) void ownmod_crash(volatile int *p);
__attribute__((noinline)) void ownmod_count(void);

__attribute__((noinline)) void ownmod_crash(volatile int *p)
{
	*p = 42; /* ownmod_crash:+2 */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void ownmod_count(void)
{
	tm_stack_counter_inc("test/ownmod"); /* ownmod_count:+2 */
	__asm__ volatile("" ::: "memory");
}
