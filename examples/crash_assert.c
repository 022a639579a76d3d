/* SPDX-License-Identifier: MIT */
/* crash_assert.c -- a failed assert(): SIGABRT with glibc's abort message
 * ("...Assertion `x == 2' failed."), kept for the local log only. */
#undef NDEBUG
#include <assert.h>

__attribute__((noinline)) static void check(int x)
{
	assert(x == 2); /* frame check:+2 */
}

int main(void)
{
	check(1); /* frame main:+2 */
	return 0;
}
