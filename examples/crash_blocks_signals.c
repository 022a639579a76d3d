/* SPDX-License-Identifier: MIT */
/* crash_blocks_signals.c -- blocks every signal, then aborts: abort()
 * unblocks SIGABRT itself, so the crash is still reported. (A hardware
 * fault with its signal blocked is killed by the kernel without running
 * any handler: see docs/modes.md.) */
#include <signal.h>
#include <stdlib.h>

__attribute__((noinline)) static void give_up(void)
{
	abort(); /* frame give_up:+2 */
}

int main(void)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	give_up(); /* frame main:+6 */
	return 0;
}
