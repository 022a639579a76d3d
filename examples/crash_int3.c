/* SPDX-License-Identifier: MIT */
/* crash_int3.c -- a breakpoint instruction with no debugger: SIGTRAP. */
__attribute__((noinline)) static void breakpoint(void)
{
#if defined(__x86_64__)
	__asm__ volatile("int3"); /* frame breakpoint:+3 */
#else
	__asm__ volatile("brk #0");
#endif
}

int main(void)
{
	breakpoint(); /* frame main:+2 */
	return 0;
}
