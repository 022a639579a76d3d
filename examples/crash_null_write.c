/* SPDX-License-Identifier: MIT */
/* crash_null_write.c -- writes through a NULL pointer: SIGSEGV. */
__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 42; /* frame write_null:+2 */
}

int main(void)
{
	write_null(0); /* frame main:+2 */
	return 0;
}
