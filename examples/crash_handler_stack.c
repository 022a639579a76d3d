/* SPDX-License-Identifier: MIT */
/* crash_handler_stack.c -- where its SIGSEGV handler runs, as the kernel
 * decides: argv[1] "thread_stack" (no SA_ONSTACK: the interrupted stack),
 * "onstack_without_altstack" (SA_ONSTACK, no alternate stack: the same),
 * "own_altstack" (SA_ONSTACK on its own 256 KiB alternate stack),
 * "in_thread" (as thread_stack, in a second thread), "nested" (as
 * thread_stack with SA_NODEFER, and the handler faults once more inside
 * itself; the nested run leaves by siglongjmp into the outer one). The
 * handler needs 96 KiB of stack, prints where it runs and what
 * sigaltstack() says, and recovers with siglongjmp; 100 faults, then
 * exit 0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG (96 * 1024)
#define ALT (256 * 1024)
#define ROUNDS 100

static sigjmp_buf back, inner;
static int depth;
static uintptr_t thread_sp; /* a local of the faulting thread */
static char *alt;
static int round_no;
static int nesting;

static const char *altstack_view(void)
{
	stack_t ss;

	if (sigaltstack(NULL, &ss) != 0)
		return "error";
	if (ss.ss_flags & SS_DISABLE)
		return "disabled";
	if ((char *)ss.ss_sp != alt || ss.ss_size != ALT)
		return "not the program's";
	return (ss.ss_flags & SS_ONSTACK) ? "own, on it" : "own, not on it";
}

static const char *where_is(uintptr_t here)
{
	if (alt && here >= (uintptr_t)alt && here < (uintptr_t)alt + ALT)
		return "own altstack";
	if (here < thread_sp && thread_sp - here < 1024 * 1024)
		return "thread stack";
	return "elsewhere";
}

static void on_segv(int sig, siginfo_t *info, void *uc)
{
	volatile char big[BIG];
	volatile int nested = 0;

	(void)sig;
	(void)info;
	(void)uc;
	if (depth > 0) {
		if (round_no == 0)
			printf("nested handler: %s\n",
			       where_is((uintptr_t)&nested));
		siglongjmp(inner, 1);
	}
	memset((char *)big, 1, sizeof(big));
	if (round_no == 0)
		printf("handler: %s; altstack %s\n",
		       where_is((uintptr_t)&big[0]), altstack_view());
	if (nesting) {
		depth = 1;
		if (sigsetjmp(inner, 1) == 0)
			*(volatile int *)NULL = 2;
		depth = 0;
	}
	siglongjmp(back, 1);
}

static void *faults(void *arg)
{
	volatile int here = 0;

	(void)arg;
	thread_sp = (uintptr_t)&here;
	printf("before: altstack %s\n", altstack_view());
	for (round_no = 0; round_no < ROUNDS; round_no++) {
		if (sigsetjmp(back, 1) == 0)
			*(volatile int *)NULL = 1;
	}
	printf("after: altstack %s; recovered %d times\n", altstack_view(),
	       round_no);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "thread_stack";
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	nesting = strcmp(how, "nested") == 0;
	if (nesting)
		sa.sa_flags |= SA_NODEFER;
	else if (strcmp(how, "thread_stack") && strcmp(how, "in_thread"))
		sa.sa_flags |= SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	if (strcmp(how, "own_altstack") == 0) {
		stack_t ss = { .ss_size = ALT };

		alt = malloc(ALT);
		ss.ss_sp = alt;
		if (!alt || sigaltstack(&ss, NULL) != 0)
			return 2;
	}
	if (strcmp(how, "in_thread") == 0) {
		if (pthread_create(&t, NULL, faults, NULL) != 0)
			return 2;
		pthread_join(t, NULL);
	} else {
		faults(NULL);
	}
	return 0;
}
