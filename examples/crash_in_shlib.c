/* SPDX-License-Identifier: MIT */
/* crash_in_shlib.c -- calls into libcrash_shlib.so, which writes through
 * NULL: the faulting PC lies in the shared library. */
void crash_shlib_write_null(volatile int *p);

int main(void)
{
	crash_shlib_write_null(0); /* frame main:+2 */
	return 0;
}
