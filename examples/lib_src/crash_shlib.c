/* SPDX-License-Identifier: MIT */
/* crash_shlib.c -- libcrash_shlib.so for examples/crash_in_shlib.c. */
void crash_shlib_write_null(volatile int *p);

__attribute__((visibility("default"), noinline))
void crash_shlib_write_null(volatile int *p)
{
	*p = 11; /* frame crash_shlib_write_null:+2 */
}
