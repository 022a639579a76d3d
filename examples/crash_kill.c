/* SPDX-License-Identifier: MIT */
/* crash_kill.c -- kill(getpid(), SIGBUS): a process-directed crash signal
 * sent to ourselves (si_code SI_USER). */
#include <signal.h>
#include <unistd.h>

__attribute__((noinline)) static void send_bus(void)
{
	kill(getpid(), SIGBUS); /* frame send_bus:+2, below kill */
}

int main(void)
{
	send_bus(); /* frame main:+2 */
	return 0;
}
