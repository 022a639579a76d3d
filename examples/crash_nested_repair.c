/* SPDX-License-Identifier: MIT */
/* crash_nested_repair.c -- a SIGSEGV handler (SA_NODEFER, no SA_ONSTACK)
 * that faults once more inside itself; the nested run repairs its page
 * and returns, then the outer one repairs the first page and returns, 100
 * times: "repaired 100 times", exit 0. Both runs return through the
 * contexts the kernel saved, so a nested frame written over the outer
 * one shows as a crash. "with_altstack": the program also has its own
 * alternate stack, which such a handler does not use. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static char *first, *second;

static void on_segv(int sig, siginfo_t *info, void *uc)
{
	volatile char work[8192];

	(void)sig;
	(void)uc;
	memset((char *)work, 1, sizeof(work));
	if ((char *)info->si_addr == first) {
		*(volatile char *)second = work[0]; /* nested fault */
		mprotect(first, 4096, PROT_READ | PROT_WRITE);
	} else {
		mprotect(second, 4096, PROT_READ | PROT_WRITE);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int n;

	first = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		     0);
	if (first == MAP_FAILED)
		return 2;
	second = first + 4096;
	if (argc > 1 && strcmp(argv[1], "with_altstack") == 0) {
		stack_t ss = { .ss_size = 64 * 1024 };

		ss.ss_sp = malloc(ss.ss_size);
		if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
			return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	for (n = 0; n < 100; n++) {
		mprotect(first, 8192, PROT_NONE);
		*(volatile char *)first = 1;
	}
	printf("repaired %d times\n", n);
	return 0;
}
