/* SPDX-License-Identifier: MIT */
/* crash_queued_fault.c -- queues itself a fault signal that does not fault
 * again when a handler returns: SIGBUS with BUS_MCEERR_AO (an asynchronous
 * machine-check report, "sigbus_mceerr_ao") or SIGSEGV with SEGV_MAPERR
 * ("sigsegv"), through rt_tgsigqueueinfo. The default action kills it
 * (SIGBUS: status 135); it must not survive to print "survived". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) static void queue(int sig, int code)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.si_addr = (void *)0x1000;
	syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), sig, &si);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "sigsegv") == 0)
		queue(SIGSEGV, SEGV_MAPERR); /* frame main:+3 */
	else
		queue(SIGBUS, BUS_MCEERR_AO); /* frame main:+5 */
	printf("survived\n");
	return 0;
}
