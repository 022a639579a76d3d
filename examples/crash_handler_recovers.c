/* SPDX-License-Identifier: MIT */
/* crash_handler_recovers.c -- probes a guard page with its own SIGSEGV
 * handler and recovers with siglongjmp, then fixes the page and reads it
 * again by returning from the handler: runs to completion, exit 0, no
 * crash reported. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf probe;
static char *page;
static int mode;

static void on_segv(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	if (mode == 0)
		siglongjmp(probe, 1);
	/* Repair: make the page readable; the load re-executes. */
	mprotect(info->si_addr, 4096, PROT_READ | PROT_WRITE);
}

int main(void)
{
	struct sigaction sa;
	volatile int guarded = 0;

	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(probe, 1) == 0)
		(void)*(volatile char *)page;
	else
		guarded = 1;
	mode = 1;
	(void)*(volatile char *)page;
	printf("guarded %d, recovered\n", guarded);
	return guarded ? 0 : 1;
}
