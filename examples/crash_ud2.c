/* SPDX-License-Identifier: MIT */
/* crash_ud2.c -- executes an undefined instruction: SIGILL, ILL_ILLOPN. */
__attribute__((noinline)) static void illegal(void)
{
	__builtin_trap(); /* frame illegal:+2 */
}

int main(void)
{
	illegal(); /* frame main:+2 */
	return 0;
}
