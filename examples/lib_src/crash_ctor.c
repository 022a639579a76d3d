/* SPDX-License-Identifier: MIT */
/* crash_ctor.c -- libcrash_ctor.so for examples/crash_dlopen_ctor.c: its
 * constructor writes through NULL while dlopen() runs it. */
static volatile int *volatile target;

__attribute__((constructor)) static void crash_in_ctor(void)
{
	*target = 13; /* frame crash_in_ctor:+2 */
}
