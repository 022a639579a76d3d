/* SPDX-License-Identifier: MIT */
/* crash_raise.c -- raise(SIGSEGV): a crash signal sent, not a fault; the
 * record says it was sent. */
#include <signal.h>

__attribute__((noinline)) static void send_segv(void)
{
	raise(SIGSEGV); /* frame send_segv:+2 */
}

int main(void)
{
	send_segv(); /* frame main:+2 */
	return 0;
}
